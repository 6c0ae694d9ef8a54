"""The partnership dashboard and the people behind its counts: who may see them, what they show,
that filters change the figures, that the figures are compliance_report's, and that the number of
queries does not grow with the number of people."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.downloads import file_bytes
from tests.training.compliance_fixtures import ON, more_staff
from training.compliance import Status

DASHBOARD = reverse("compliance:dashboard")
PEOPLE = reverse("compliance:people")

pytestmark = pytest.mark.usefixtures("on_day")


def statuses(figures):
    return {row.status.value: row.pairs for row in figures.status_counts}


# ---------------------------------------------------------------------------------------------
# Who may see what
# ---------------------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client, scene):
    for url in (DASHBOARD, PEOPLE):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_the_lead_sees_the_dashboard(client, lead, scene):
    client.force_login(lead)
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    assert statuses(response.context["figures"]) == {
        "compliant": 3,
        "renewal_due": 1,
        "expired": 1,
        "due": 2,
        "overdue": 2,
        "exempt": 1,
    }
    page = response.content.decode()
    assert "44%" in page  # 4 valid of 9 required and not exempt, rounded down
    assert "Agency A" in page and "Agency B" in page


def test_agency_hr_sees_their_own_agencys_dashboard(client, hr_a, agency_a, scene):
    client.force_login(hr_a)
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    assert response.context["filters"].agency == agency_a
    assert {agency.id for agency, _cells, _all in response.context["figures"].heat_map.rows} <= {agency_a.id}


def test_an_outsider_gets_not_found(client, outsider, scene):
    client.force_login(outsider)
    assert client.get(DASHBOARD).status_code == 404
    assert client.get(PEOPLE).status_code == 404
    assert client.get(PEOPLE, {"status": "overdue"}).status_code == 404


def test_agency_hr_sees_the_people_of_their_own_agency_only(client, hr_a, scene):
    client.force_login(hr_a)
    response = client.get(PEOPLE, {"status": "overdue"})
    assert response.status_code == 200
    names = [row.staff.full_name for row in response.context["rows"]]
    assert names == ["Asha Patel"]  # Cara Doyle of agency B is overdue too, and not shown


def test_people_page_has_no_empty_caption_and_a_visible_filter_button(client, hr_a, lead, scene):
    client.force_login(hr_a)
    page = client.get(PEOPLE).content.decode()
    assert '<span class="govuk-caption-l"></span>' not in page
    # A secondary button is the grey of the filter panel it sits on.
    assert 'class="govuk-button" data-module="govuk-button">Apply filters</button>' in page

    client.force_login(lead)
    assert '<span class="govuk-caption-l">Whole partnership</span>' in client.get(PEOPLE).content.decode()


def test_agency_hr_asking_for_another_agency_gets_not_found(client, hr_a, scene):
    client.force_login(hr_a)
    response = client.get(PEOPLE, {"agency": scene.agency_b.slug, "status": "overdue"})
    assert response.status_code == 404
    assert b"Cara" not in response.content


def test_the_lead_sees_the_people_of_every_agency(client, lead, scene):
    client.force_login(lead)
    response = client.get(PEOPLE, {"status": "overdue"})
    assert {row.staff.full_name for row in response.context["rows"]} == {"Asha Patel", "Cara Doyle"}
    # Only the overdue module is listed against each person.
    listed = {
        (row.staff.first_name, pair.module.code) for row in response.context["rows"] for pair in row.pairs
    }
    assert listed == {("Asha", "HSB-201"), ("Cara", "HSB-101")}


# ---------------------------------------------------------------------------------------------
# Filters
# ---------------------------------------------------------------------------------------------


def test_filtering_by_agency_narrows_every_figure(client, lead, scene):
    client.force_login(lead)
    figures = client.get(DASHBOARD, {"agency": scene.agency_b.slug}).context["figures"]
    assert statuses(figures) == {
        "compliant": 2,
        "renewal_due": 0,
        "expired": 0,
        "due": 0,
        "overdue": 1,
        "exempt": 0,
    }
    assert [agency.slug for agency, _, _ in figures.heat_map.rows] == [scene.agency_b.slug]
    assert figures.summary.people_total == 2 and figures.summary.people_compliant == 1


def test_filtering_by_module_job_role_and_tier(client, lead, scene):
    client.force_login(lead)
    by_module = client.get(DASHBOARD, {"module": "HSB-201"}).context["figures"]
    assert by_module.summary.required == 3  # Asha, Dan and Ben's HSB-201
    assert [module.code for module in by_module.heat_map.modules] == ["HSB-201"]

    by_role = client.get(DASHBOARD, {"job_role": scene.police.pk}).context["figures"]
    assert statuses(by_role)["renewal_due"] == 1 and by_role.summary.required == 4

    by_tier = client.get(DASHBOARD, {"tier": "2"}).context["figures"]
    assert by_tier.summary.required == 6  # the social workers' pairs
    assert [row.label for row in by_tier.by_tier] == ["2 Practitioner"]


def test_filtering_by_team(client, lead, scene):
    team = scene.people["rhys"].agency.teams.create(name="Neighbourhood")
    for name in ("rhys", "ewa"):
        scene.people[name].team = team
        scene.people[name].save()
    client.force_login(lead)
    figures = client.get(DASHBOARD, {"team": team.pk}).context["figures"]
    assert statuses(figures)["renewal_due"] == 1 and statuses(figures)["expired"] == 1
    assert figures.summary.required == 2


def test_a_status_filter_measures_the_share_in_that_status(client, lead, scene):
    client.force_login(lead)
    figures = client.get(DASHBOARD, {"status": "overdue"}).context["figures"]
    # The counts still cover every status; the heat map now measures the share overdue.
    assert figures.summary.required == 10
    agency_b_row = next(row for row in figures.heat_map.rows if row[0].slug == scene.agency_b.slug)
    total = agency_b_row[2]
    assert (total.numerator, total.denominator, total.percent) == (1, 3, 33)
    assert total.band == "share-3"


def test_an_unknown_filter_value_is_reported_and_left_out(client, lead, scene):
    client.force_login(lead)
    response = client.get(DASHBOARD, {"module": "NOPE-1", "agency": scene.agency_b.slug})
    assert response.status_code == 200
    assert "Select a module from the list." in response.content.decode()
    assert response.context["figures"].summary.required == 3  # the agency filter still applies


def test_the_dashboard_works_without_javascript_as_a_get_form(client, lead, scene):
    client.force_login(lead)
    page = client.get(DASHBOARD).content.decode()
    assert 'method="get"' in page and "novalidate" in page
    assert 'name="agency"' in page and 'name="status"' in page and 'name="tier"' in page


# ---------------------------------------------------------------------------------------------
# One engine: the dashboard says what compliance_report says
# ---------------------------------------------------------------------------------------------


def test_the_dashboards_figures_equal_compliance_reports(client, lead, scene):
    output = StringIO()
    call_command("compliance_report", "--on", ON.isoformat(), "--json", stdout=output)
    report = json.loads(output.getvalue())
    client.force_login(lead)
    figures = client.get(DASHBOARD).context["figures"]

    assert figures.summary.status_counts() == report["pairs"]
    assert round(figures.summary.rate, 4) == report["rate"]
    assert {"total": figures.summary.people_total, "compliant": figures.summary.people_compliant} == report[
        "people"
    ]
    for agency, _, total in figures.heat_map.rows:
        assert total.summary.status_counts() == report["by_agency"][agency.slug]
    for module, total in figures.heat_map.totals:
        assert total.summary.status_counts() == report["by_module"][module.code]


def test_heat_map_cells_give_rate_and_counts_as_text(client, lead, scene):
    client.force_login(lead)
    response = client.get(DASHBOARD)
    figures = response.context["figures"]
    agency_a = next(row for row in figures.heat_map.rows if row[0].slug == scene.agency_a.slug)
    cells = {module.code: cell for module, cell in agency_a[1]}
    # HSB-101 in agency A: Asha compliant, Rhys renewal due, Ewa expired, Dan due, Femi exempt.
    assert (cells["HSB-101"].numerator, cells["HSB-101"].denominator, cells["HSB-101"].percent) == (2, 4, 50)
    assert cells["HSB-101"].band == "rate-2"
    page = response.content.decode()
    assert "2 of 4" in page and "app-heat--rate-2" in page
    assert "Key" in page and "90% or more" in page  # the legend


def test_status_counts_link_to_the_people_behind_them(client, lead, scene):
    client.force_login(lead)
    page = client.get(DASHBOARD, {"agency": scene.agency_a.slug}).content.decode()
    assert f"{PEOPLE}?agency={scene.agency_a.slug}&amp;status=expired" in page


def test_breakdowns_by_tier_and_job_role(client, lead, scene):
    client.force_login(lead)
    figures = client.get(DASHBOARD).context["figures"]
    tiers = {row.key: row.cell.summary for row in figures.by_tier}
    assert tiers[1].required == 4 and tiers[1].valid == 1  # police: Rhys renewal due
    assert tiers[2].required == 6 and tiers[2].valid == 3
    roles = {row.label: row.cell.summary for row in figures.by_job_role}
    assert roles["Police officer"].people_total == 4 and roles["Police officer"].people_compliant == 2


# ---------------------------------------------------------------------------------------------
# Scale: the number of queries does not grow with the number of people
# ---------------------------------------------------------------------------------------------


def _queries(client, url, data=None):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, data or {})
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    ("url", "data"),
    [(DASHBOARD, {}), (DASHBOARD, {"status": "overdue", "tier": "2"}), (PEOPLE, {"status": "overdue"})],
)
def test_query_count_does_not_grow_with_staff(client, lead, scene, url, data, django_assert_max_num_queries):
    client.force_login(lead)
    more_staff(scene, 5)
    few = _queries(client, url, data)
    more_staff(scene, 45, agency=scene.agency_b)
    with django_assert_max_num_queries(few):
        client.get(url, data)
    assert _queries(client, url, data) == few
    assert few <= 25


def test_people_list_is_paginated_most_urgent_first(client, lead, scene):
    more_staff(scene, 60)
    client.force_login(lead)
    response = client.get(PEOPLE, {"status": "overdue"})
    page = response.context["page"]
    assert page.paginator.count == 62 and len(response.context["rows"]) == 50
    keys = [min(pair.key_date for pair in row.pairs) for row in response.context["rows"]]
    assert keys == sorted(keys)
    second = client.get(PEOPLE, {"status": "overdue", "page": 2})
    assert len(second.context["rows"]) == 12


def test_people_list_shows_each_pairs_status_and_date(client, lead, scene):
    client.force_login(lead)
    page = client.get(PEOPLE, {"agency": scene.agency_a.slug, "module": "HSB-101"}).content.decode()
    assert "expires 20 March 2026" in page  # Rhys, renewal due
    assert "expired 1 January 2025" in page  # Ewa
    assert "due 2 May 2026" in page  # Dan, new starter
    assert "exempt, open-ended" in page  # Femi
    assert Status.RENEWAL_DUE.label in page


# ---------------------------------------------------------------------------------------------
# The people list: search, sort, page sizes and downloads of exactly the listed people
# ---------------------------------------------------------------------------------------------


def _listed(response):
    """Staff numbers of every listed person on every page (ids in the order shown)."""
    return [row.staff.staff_number for row in response.context["rows"]]


def _downloaded_numbers(response, file_format):
    from openpyxl import load_workbook

    if file_format == "csv":
        import csv

        rows = list(csv.reader(file_bytes(response).decode("utf-8-sig").splitlines()))
    else:
        from io import BytesIO

        rows = [
            list(row)
            for row in load_workbook(BytesIO(file_bytes(response))).active.iter_rows(values_only=True)
        ]
    assert rows[0][:2] == ["Name", "Staff number"]
    return [str(row[1]) for row in rows[1:]]


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
@pytest.mark.parametrize(
    "data",
    [{}, {"status": "overdue"}, {"module": "HSB-101", "sort": "-name"}, {"tier": "2", "sort": "agency"}],
)
def test_the_download_is_exactly_the_filtered_and_sorted_list(client, lead, scene, data, file_format):
    more_staff(scene, 30)
    client.force_login(lead)
    listed = client.get(PEOPLE, {**data, "per_page": 100})
    download = client.get(PEOPLE, {**data, "download": file_format})
    assert download.status_code == 200
    assert download["Cache-Control"] == "private, no-store"
    assert _downloaded_numbers(download, file_format) == _listed(listed)
    assert listed.context["page"].paginator.count == len(_listed(listed))


def test_agency_hr_downloads_their_own_agencys_people_only(client, hr_a, scene):
    client.force_login(hr_a)
    numbers = _downloaded_numbers(client.get(PEOPLE, {"download": "csv"}), "csv")
    own = set(scene.agency_a.staff.values_list("staff_number", flat=True))
    assert numbers and set(numbers) <= own


def test_an_outsider_cannot_download_the_people_list(client, outsider, scene):
    client.force_login(outsider)
    response = client.get(PEOPLE, {"download": "csv"})
    assert response.status_code == 404
    assert b"Staff number" not in response.content


def test_the_name_search_narrows_the_list(client, lead, scene):
    client.force_login(lead)
    everyone = _listed(client.get(PEOPLE))
    person = scene.agency_a.staff.get(staff_number=everyone[0])
    response = client.get(PEOPLE, {"q": f"  {person.last_name.upper()} "})
    assert person.staff_number in _listed(response)
    assert all(row.staff.last_name.lower() == person.last_name.lower() for row in response.context["rows"])
    assert "Matching: <strong>“" in response.content.decode()
    assert _listed(client.get(PEOPLE, {"q": "nobody-has-this-name"})) == []


def test_sorting_by_name_either_way(client, lead, scene):
    more_staff(scene, 10)
    client.force_login(lead)
    rows = client.get(PEOPLE, {"sort": "name"}).context["rows"]
    names = [(row.staff.last_name.casefold(), row.staff.first_name.casefold()) for row in rows]
    assert names == sorted(names)
    rows = client.get(PEOPLE, {"sort": "-name"}).context["rows"]
    names = [(row.staff.last_name.casefold(), row.staff.first_name.casefold()) for row in rows]
    assert names == sorted(names, reverse=True)
    page = client.get(PEOPLE, {"sort": "-name"}).content.decode()
    assert 'aria-sort="descending"' in page


@pytest.mark.parametrize(("asked", "shown"), [("25", 25), ("100", 62), ("7", 50), ("lots", 50)])
def test_page_sizes_of_25_50_or_100(client, lead, scene, asked, shown):
    more_staff(scene, 60)
    client.force_login(lead)
    response = client.get(PEOPLE, {"status": "overdue", "per_page": asked})
    assert len(response.context["rows"]) == shown
