"""Compliance on the agency page (its staff list) and the person page: who may see them, what
they show, and that their query counts do not grow with the number of people."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from notifications.selectors import outbox as outbox_selectors
from tests.training.compliance_fixtures import ON, more_staff
from training.compliance import Status
from training.selectors import engine as selectors

pytestmark = pytest.mark.usefixtures("on_day")


def agency_page(agency):
    return reverse("agency_staff", kwargs={"slug": agency.slug})


def person_page(person):
    return reverse("staff_detail", kwargs={"pk": person.pk})


# ---------------------------------------------------------------------------------------------
# Agency page
# ---------------------------------------------------------------------------------------------


def test_agency_page_permissions(client, lead, hr_a, hr_b, outsider, scene):
    url = agency_page(scene.agency_a)
    assert client.get(url).status_code == 302  # anonymous: to the sign-in page
    for user, expected in ((lead, 200), (hr_a, 200), (hr_b, 404), (outsider, 404)):
        client.force_login(user)
        assert client.get(url).status_code == expected, user


def test_agency_page_shows_the_agencys_figures(client, hr_a, scene):
    client.force_login(hr_a)
    response = client.get(agency_page(scene.agency_a))
    figures = response.context["figures"]
    assert figures.summary.status_counts() == {
        "compliant": 1,
        "renewal_due": 1,
        "expired": 1,
        "due": 2,
        "overdue": 1,
        "exempt": 1,
    }
    assert [row.label for row in figures.by_module] == ["HSB-101", "HSB-201"]
    assert {row.label for row in figures.by_job_role} == {"Children's social worker", "Police officer"}
    page = response.content.decode()
    assert "33%" in page  # 2 valid of 6 required and not exempt
    assert f"{reverse('compliance:people')}?agency=agency-a&amp;status=overdue" in page
    assert f"{reverse('compliance:export', args=['matrix', 'csv'])}?agency=agency-a" in page
    assert "Cara" not in page and "Agency B" not in page


def test_agency_page_lists_each_persons_worst_status(client, lead, scene):
    client.force_login(lead)
    response = client.get(agency_page(scene.agency_a))
    worst = {person.staff_number: person.worst_status for person in response.context["page"].object_list}
    assert worst == {
        "A001": Status.OVERDUE,  # Asha: HSB-101 compliant, HSB-201 overdue
        "A002": Status.DUE,
        "A003": Status.RENEWAL_DUE,
        "A004": Status.EXPIRED,
        "A005": Status.EXEMPT,
    }
    page = response.content.decode()
    assert "govuk-tag--yellow" in page and "Renewal due" in page


def test_agency_page_search_by_name_number_or_email(client, lead, scene):
    client.force_login(lead)
    url = agency_page(scene.agency_a)
    for query in ("ewa", "A004", "ewa.lis@agency-a"):
        names = [person.first_name for person in client.get(url, {"q": query}).context["page"].object_list]
        assert names == ["Ewa"], query


def test_agency_page_leavers_are_listed_without_a_status(client, lead, scene):
    client.force_login(lead)
    response = client.get(agency_page(scene.agency_a), {"status": "leavers"})
    [gail] = response.context["page"].object_list
    assert gail.worst_status is None
    assert "Left" in response.content.decode()


def test_agency_page_query_count_does_not_grow(client, lead, scene, django_assert_max_num_queries):
    client.force_login(lead)
    more_staff(scene, 5)
    with CaptureQueriesContext(connection) as few:
        client.get(agency_page(scene.agency_a))
    more_staff(scene, 45, agency=scene.agency_a)
    with django_assert_max_num_queries(len(few)):
        response = client.get(agency_page(scene.agency_a))
    assert response.context["figures"].summary.people_total == 55


# ---------------------------------------------------------------------------------------------
# Person page
# ---------------------------------------------------------------------------------------------


def test_person_page_permissions(client, lead, hr_a, hr_b, outsider, scene):
    url = person_page(scene.people["asha"])
    assert client.get(url).status_code == 302
    for user, expected in ((lead, 200), (hr_a, 200), (hr_b, 404), (outsider, 404)):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == expected, user
        if expected == 404:
            assert b"CERT-77" not in response.content


def test_person_page_shows_each_requirement_with_status_date_and_how_it_was_met(client, lead, scene):
    client.force_login(lead)
    response = client.get(person_page(scene.people["asha"]))
    requirements = response.context["compliance"].requirements
    assert [(row.pair.module.code, row.pair.status) for row in requirements] == [
        ("HSB-101", Status.COMPLIANT),
        ("HSB-201", Status.OVERDUE),
    ]
    assert requirements[0].completion.certificate_reference == "CERT-77"
    page = response.content.decode()
    assert "expires 10 January 2028" in page
    assert "Completed 10 January 2025 (recorded by a lead), certificate CERT-77" in page
    assert "was due 31 March 2020" in page
    assert "Not fully compliant on 4 March 2026: 1 of 2 modules needs action." in page


UNDERSTANDING = "HSB-101 Understanding harmful sexual behaviour"


def _next_steps(page):
    import re

    found = re.search(r'<ul class="govuk-list govuk-list--bullet" id="next-steps">(.*?)</ul>', page, re.S)
    return (
        None
        if found is None
        else [
            " ".join(re.sub("<[^>]+>", "", li).split())
            for li in re.findall(r"<li>(.*?)</li>", found.group(1), re.S)
        ]
    )


@pytest.mark.parametrize(
    ("who", "steps"),
    [
        ("asha", ["HSB-201 Using a traffic light tool was due on 31 March 2020 and is not done."]),
        (
            "dan",
            [
                "HSB-101 Understanding harmful sexual behaviour: complete it by 2 May 2026.",
                "HSB-201 Using a traffic light tool: complete it by 2 May 2026.",
            ],
        ),
        (
            "rhys",
            [f"{UNDERSTANDING} expires on 20 March 2026: renew it before then."],
        ),
        (
            "ewa",
            [f"{UNDERSTANDING} expired on 1 January 2025: it needs doing again."],
        ),
        ("femi", None),
    ],
)
def test_person_page_says_what_to_do_next_most_urgent_first(client, lead, scene, who, steps):
    client.force_login(lead)
    page = client.get(person_page(scene.people[who])).content.decode()
    assert _next_steps(page) == steps
    if steps:  # it answers first: before the requirements table and the details
        assert page.index('id="next-steps"') < page.index("<table") < page.index(">Details</h2>")


def test_person_page_lists_every_completion_whatever_the_route(client, lead, scene):
    client.force_login(lead)
    response = client.get(person_page(scene.people["asha"]))
    completions = response.context["compliance"].completions
    assert [(c.module.code, c.verification) for c in completions] == [
        ("HSB-201", "pending"),
        ("HSB-201", "rejected"),
        ("HSB-101", "verified"),
    ]
    page = response.content.decode()
    assert "Waiting for verification" in page and "Not accepted" in page
    assert "The certificate is for another course." in page
    assert page.count("Does not count") == 2


def test_person_page_of_an_exempt_person_and_a_leaver(client, lead, scene):
    client.force_login(lead)
    exempt = client.get(person_page(scene.people["femi"]))
    assert [row.pair.status for row in exempt.context["compliance"].requirements] == [Status.EXEMPT]
    assert "exempt, open-ended" in exempt.content.decode()
    assert 'id="exemptions"' in exempt.content.decode()  # the exemptions panel is on the page

    leaver = client.get(person_page(scene.people["gail"]))
    assert leaver.context["compliance"].requirements == []
    assert "is not current staff on 4 March 2026 (left on 31 December 2025)" in leaver.content.decode()


def test_person_page_query_count_is_fixed(client, lead, scene, django_assert_max_num_queries):
    client.force_login(lead)
    with CaptureQueriesContext(connection) as queries:
        client.get(person_page(scene.people["asha"]))
    more_staff(scene, 40)
    with django_assert_max_num_queries(len(queries)):
        client.get(person_page(scene.people["ben"]))


def _count_engine_runs(monkeypatch):
    """Count the runs of the per-pair rules (training.selectors._combine, behind compliance_pairs)."""
    runs = []
    combine = selectors._combine

    def counted(**kwargs):
        runs.append(kwargs)
        return combine(**kwargs)

    monkeypatch.setattr(selectors, "_combine", counted)
    return runs


def test_person_page_runs_the_compliance_engine_once(client, lead, scene, monkeypatch):
    runs = _count_engine_runs(monkeypatch)
    client.force_login(lead)
    response = client.get(person_page(scene.people["asha"]))
    assert response.status_code == 200
    assert len(runs) == 1  # shared by the requirements table and the reminders panel
    assert response.context["reminders"].next is not None  # Asha is overdue: a reminder is planned
    assert 'id="reminders"' in response.content.decode()


@pytest.mark.parametrize("active", [True, False])
def test_person_page_reminders_panel_is_the_notifications_panel(client, lead, scene, active):
    """The panel's reminders, from the shared pairs, are those notifications.selectors.outbox gives
    for the person, in an active agency and in an inactive one (whose people get no reminders but
    keep their requirements on their page)."""
    asha = scene.people["asha"]
    type(scene.agency_a).objects.filter(pk=scene.agency_a.pk).update(active=active)
    asha.refresh_from_db()
    client.force_login(lead)
    response = client.get(person_page(asha))
    assert response.context["reminders"] == outbox_selectors.person_reminders(asha, today=ON)
    requirements = response.context["compliance"].requirements
    assert [row.pair.module.code for row in requirements] == ["HSB-101", "HSB-201"]
    assert (response.context["reminders"].next is None) is not active


def test_missing_data_is_flagged_at_the_top_of_the_person_page(client, lead, agency_a):
    from tests import factories as f

    gaps = f.StaffMemberFactory(agency=agency_a, email="", line_manager_email="", start_date=None)
    complete = f.StaffMemberFactory(agency=agency_a, line_manager_email="manager@example.org")
    client.force_login(lead)
    page = client.get(reverse("staff_detail", kwargs={"pk": gaps.pk})).content.decode()
    assert "Missing from this record" in page
    for gap in ("an email address", "a line manager email", "a start date"):
        assert gap in page
    assert page.index("Missing from this record") < page.index('<h2 class="govuk-heading-l">Details</h2>')
    other = client.get(reverse("staff_detail", kwargs={"pk": complete.pk})).content.decode()
    assert "Missing from this record" not in other
