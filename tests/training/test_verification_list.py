"""The verification queue as a list of people: the dashboard's filters that apply to it (agency,
team, job role, tier, module) and a name search, sorting by its columns, pages of 25/50/100, and a
download of exactly the listed certificates."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests import factories
from tests.downloads import file_bytes
from training.models import CompletionSource, Verification

pytestmark = pytest.mark.django_db

QUEUE = reverse("records:verification_queue")


@pytest.fixture
def waiting(agency_a, agency_b):
    """Four certificates waiting: people of two agencies, two teams, two roles of two tiers, two modules."""
    team_a1 = factories.TeamFactory(agency=agency_a, name="Duty")
    team_a2 = factories.TeamFactory(agency=agency_a, name="Fostering")
    worker = factories.JobRoleFactory(name="Social worker", tier=2)
    lead_role = factories.JobRoleFactory(name="Strategic lead", tier=4)
    hsb101 = factories.ModuleFactory(code="HSB-101", title="Understanding HSB")
    hsb401 = factories.ModuleFactory(code="HSB-401", title="Supervising HSB practice")
    people = {
        "asha": factories.StaffMemberFactory(
            agency=agency_a, team=team_a1, job_role=worker, first_name="Asha", last_name="Patel"
        ),
        "ben": factories.StaffMemberFactory(
            agency=agency_a, team=team_a2, job_role=lead_role, first_name="Ben", last_name="Adams"
        ),
        "cara": factories.StaffMemberFactory(
            agency=agency_b, job_role=worker, first_name="Cara", last_name="Zed"
        ),
    }
    declared = [
        ("asha", hsb101, datetime.date(2026, 2, 1)),
        ("ben", hsb401, datetime.date(2026, 1, 15)),
        ("cara", hsb101, datetime.date(2026, 2, 20)),
        ("asha", hsb401, datetime.date(2025, 12, 1)),
    ]
    for name, module, completed_on in declared:
        factories.CompletionFactory(
            staff=people[name],
            module=module,
            completed_on=completed_on,
            source=CompletionSource.SELF_DECLARED,
            verification=Verification.PENDING,
        )
    # Decided certificates are not in the queue, whatever the filters.
    factories.CompletionFactory(staff=people["asha"], module=hsb101, source=CompletionSource.SELF_DECLARED)
    return {**people, "team_a1": team_a1, "worker": worker, "lead_role": lead_role}


def listed(response):
    """(person, module code) of each row, in order."""
    assert response.status_code == 200
    return [
        (row["completion"].staff.first_name, row["completion"].module.code)
        for row in response.context["rows"]
    ]


def downloaded_csv(response):
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(file_bytes(response).decode("utf-8-sig"), newline="")))
    return rows[0], [(row[0].split()[0], row[5]) for row in rows[1:]]


def downloaded_xlsx(response):
    sheet = load_workbook(io.BytesIO(file_bytes(response))).worksheets[0]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    return rows[0], [(row[0].split()[0], row[5]) for row in rows[1:]]


class TestFilters:
    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ({}, {("Asha", "HSB-101"), ("Ben", "HSB-401"), ("Cara", "HSB-101"), ("Asha", "HSB-401")}),
            ({"agency": "agency-b"}, {("Cara", "HSB-101")}),
            ({"module": "HSB-401"}, {("Ben", "HSB-401"), ("Asha", "HSB-401")}),
            ({"tier": "4"}, {("Ben", "HSB-401")}),
            ({"q": "patel"}, {("Asha", "HSB-101"), ("Asha", "HSB-401")}),
            ({"agency": "agency-a", "module": "HSB-101"}, {("Asha", "HSB-101")}),
        ],
    )
    def test_each_filter_narrows_the_list_and_its_downloads(self, client, lead, waiting, query, expected):
        client.force_login(lead)
        shown = listed(client.get(QUEUE, query))
        assert set(shown) == expected
        _headers, csv_rows = downloaded_csv(client.get(QUEUE, {**query, "download": "csv"}))
        assert csv_rows == shown, "the download is exactly the listed rows, in the listed order"
        _headers, xlsx_rows = downloaded_xlsx(client.get(QUEUE, {**query, "download": "xlsx"}))
        assert xlsx_rows == shown

    def test_team_and_job_role_filters(self, client, lead, waiting):
        client.force_login(lead)
        assert set(listed(client.get(QUEUE, {"team": waiting["team_a1"].pk}))) == {
            ("Asha", "HSB-101"),
            ("Asha", "HSB-401"),
        }
        assert set(listed(client.get(QUEUE, {"job_role": waiting["lead_role"].pk}))) == {("Ben", "HSB-401")}

    def test_the_chosen_filters_are_said_and_an_empty_selection_explained(self, client, lead, waiting):
        client.force_login(lead)
        page = client.get(QUEUE, {"q": "nobody-matches"}).text
        assert "No certificates are waiting in this selection." in page
        assert "Matching: <strong>“nobody-matches”</strong>" in page
        assert "Nothing is waiting: every certificate" not in page

    def test_a_mistyped_choice_is_explained_and_left_out(self, client, lead, waiting):
        client.force_login(lead)
        response = client.get(QUEUE, {"module": "NOPE-1"})
        assert "Select a module from the list." in response.text
        assert len(listed(response)) == 4

    def test_the_verification_queue_offers_no_status_filter(self, client, lead, waiting):
        client.force_login(lead)
        assert "status" not in client.get(QUEUE).context["form"].fields


class TestSortsAndPages:
    @pytest.mark.parametrize(
        ("sort", "expected"),
        [
            # Oldest first by default: the certificates were sent in the order they were made.
            ("", [("Asha", "HSB-101"), ("Ben", "HSB-401"), ("Cara", "HSB-101"), ("Asha", "HSB-401")]),
            ("-sent", [("Asha", "HSB-401"), ("Cara", "HSB-101"), ("Ben", "HSB-401"), ("Asha", "HSB-101")]),
            ("person", [("Ben", "HSB-401"), ("Asha", "HSB-101"), ("Asha", "HSB-401"), ("Cara", "HSB-101")]),
            (
                "completed",
                [("Asha", "HSB-401"), ("Ben", "HSB-401"), ("Asha", "HSB-101"), ("Cara", "HSB-101")],
            ),
            ("-module", [("Asha", "HSB-401"), ("Ben", "HSB-401"), ("Cara", "HSB-101"), ("Asha", "HSB-101")]),
        ],
    )
    def test_each_column_sorts_the_list_and_the_download(self, client, lead, waiting, sort, expected):
        client.force_login(lead)
        assert listed(client.get(QUEUE, {"sort": sort})) == expected
        headers, rows = downloaded_csv(client.get(QUEUE, {"sort": sort, "download": "csv"}))
        assert rows == expected
        assert headers[:6] == ["Name", "Staff number", "Agency", "Team", "Job role", "Module code"]

    def test_the_headings_link_to_their_sort(self, client, lead, waiting):
        client.force_login(lead)
        page = client.get(QUEUE).text
        assert 'aria-sort="ascending"' in page
        assert 'href="?sort=person"' in page

    def test_pages_of_25_50_or_100(self, client, lead, agency_a):
        module = factories.ModuleFactory(code="HSB-101")
        for _ in range(30):
            factories.CompletionFactory(
                staff=factories.StaffMemberFactory(agency=agency_a),
                module=module,
                source=CompletionSource.SELF_DECLARED,
                verification=Verification.PENDING,
            )
        client.force_login(lead)
        assert len(listed(client.get(QUEUE, {"per_page": "25"}))) == 25
        assert len(listed(client.get(QUEUE, {"per_page": "25", "page": "2"}))) == 5
        assert len(listed(client.get(QUEUE))) == 30
        assert len(listed(client.get(QUEUE, {"per_page": "7"}))) == 30, "only 25, 50 or 100"
        _headers, rows = downloaded_csv(client.get(QUEUE, {"per_page": "25", "download": "csv"}))
        assert len(rows) == 30, "the download is the whole filtered list, not one page"


class TestScope:
    @pytest.mark.parametrize("persona", ["hr_a", "hr_b", "outsider"])
    def test_only_a_lead_sees_the_list_or_its_downloads(self, client, request, persona, waiting):
        client.force_login(request.getfixturevalue(persona))
        assert client.get(QUEUE).status_code == 404
        assert client.get(QUEUE, {"download": "csv"}).status_code == 404

    def test_an_unknown_agency_is_not_found(self, client, lead, waiting):
        client.force_login(lead)
        assert client.get(QUEUE, {"agency": "no-such-agency"}).status_code == 404

    def test_downloaded_cells_are_inert(self, client, lead, agency_a):
        person = factories.StaffMemberFactory(agency=agency_a, first_name="=cmd()", last_name="Evil")
        factories.CompletionFactory(
            staff=person, source=CompletionSource.SELF_DECLARED, verification=Verification.PENDING
        )
        client.force_login(lead)
        response = client.get(QUEUE, {"download": "csv"})
        assert "'=cmd() Evil" in file_bytes(response).decode("utf-8-sig")


@pytest.mark.usefixtures("eager_tasks")
class TestBackToTheList:
    def test_a_bulk_decision_returns_to_the_list_as_it_was_filtered(self, client, lead, waiting):
        client.force_login(lead)
        listed_url = f"{QUEUE}?module=HSB-401&sort=person"
        [ben, asha] = [row["completion"] for row in client.get(listed_url).context["rows"]]
        confirm = client.post(
            reverse("records:verification_bulk"),
            {"decision": "verify", "completion": [ben.pk], "next": listed_url},
        )
        assert confirm.context["back"] == listed_url
        assert f'href="{listed_url.replace("&", "&amp;")}"' in confirm.text
        done = client.post(
            reverse("records:verification_bulk"),
            {"decision": "verify", "completion": [ben.pk], "next": listed_url, "confirm": "yes"},
        )
        assert done.status_code == 302 and done.url == listed_url
        ben.refresh_from_db()
        assert ben.verification == Verification.VERIFIED

    @pytest.mark.parametrize("target", ["https://evil.example.org/", "//evil.example.org/x", "/reminders/"])
    def test_it_never_goes_anywhere_else(self, client, lead, waiting, target):
        client.force_login(lead)
        response = client.post(reverse("records:verification_bulk"), {"decision": "verify", "next": target})
        assert response.status_code == 302 and response.url == QUEUE
