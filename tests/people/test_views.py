"""The workforce pages: home per role, agency staff lists (search, filters, paging, query counts)
and a staff member's page with its history of changes."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests import factories
from tests.downloads import file_bytes
from training.models import CompletionSource, Verification
from workforce import services


def staff_url(agency, **params):
    url = reverse("agency_staff", kwargs={"slug": agency.slug})
    if params:
        url += "?" + "&".join(f"{key}={value}" for key, value in params.items())
    return url


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.mark.django_db
class TestLeadHome:
    """The lead starts on the dashboard; the agencies and their staff counts are one click away."""

    def test_home_is_the_dashboard_with_the_work_waiting_counted_in_the_navigation(
        self, client, lead, agency_a, agency_b, today
    ):
        factories.StaffMemberFactory.create_batch(3, agency=agency_a)
        factories.CompletionFactory(
            staff__agency=agency_b, source=CompletionSource.SELF_DECLARED, verification=Verification.PENDING
        )
        client.force_login(lead)
        response = client.get(reverse("home"))
        assert response.status_code == 200
        assert [template.name for template in response.templates][0] == "training/compliance/dashboard.html"
        assert "figures" in response.context and "trends" in response.context
        items = {item["text"]: item for item in response.context["nav_items"]}
        assert items["Dashboard"]["active"]
        assert items["Verification"]["count"] == 1
        assert '1<span class="govuk-visually-hidden"> waiting</span>' in response.text
        assert list(items)[:3] == ["Dashboard", "Agencies", "Verification"]

    def test_agencies_page_counts_current_staff(self, client, lead, agency_a, agency_b, today):
        factories.StaffMemberFactory.create_batch(3, agency=agency_a)
        factories.StaffMemberFactory(agency=agency_a, left_on=today)  # a leaver: not current
        factories.StaffMemberFactory(agency=agency_a, start_date=today + datetime.timedelta(days=7))
        factories.StaffMemberFactory(agency=agency_b)
        client.force_login(lead)
        response = client.get(reverse("agency_list"))
        counts = {agency.slug: agency.current_staff for agency in response.context["agencies"]}
        assert counts == {"agency-a": 3, "agency-b": 1}
        assert 'href="/agencies/agency-a/staff/"' in response.text

    def test_query_count_does_not_grow_with_agencies(self, client, lead, django_assert_max_num_queries):
        factories.AgencyFactory.create_batch(3)
        client.force_login(lead)
        with CaptureQueriesContext(connection) as few:
            client.get(reverse("home"))
        for agency in factories.AgencyFactory.create_batch(20):
            factories.StaffMemberFactory(agency=agency)
        with django_assert_max_num_queries(len(few)):
            client.get(reverse("home"))


@pytest.mark.django_db
class TestAgencyHRHome:
    def test_agency_hr_starts_on_their_agencys_dashboard(self, client, hr_a, agency_a, agency_b):
        role = factories.RequirementFactory().job_role
        factories.StaffMemberFactory(agency=agency_a, job_role=role)
        factories.StaffMemberFactory(agency=agency_b, job_role=role)
        client.force_login(hr_a)
        response = client.get(reverse("home"))
        assert response.status_code == 200
        assert response.context["filters"].agency == agency_a
        assert response.context["figures"].summary.people_total == 1
        assert [item["text"] for item in response.context["nav_items"]] == [
            "Dashboard",
            "Staff and training",
            "Sessions",
            "Uploads",
            "Data quality",
            "Action plan",
        ]

    def test_naming_another_agency_is_a_404(self, client, hr_a, agency_b):
        client.force_login(hr_a)
        assert client.get(reverse("home") + "?agency=agency-b").status_code == 404


@pytest.mark.django_db
class TestStaffHome:
    def test_outsider_sees_a_placeholder_about_sign_in_links(self, client, outsider):
        client.force_login(outsider)
        response = client.get(reverse("home"))
        assert response.status_code == 200
        assert "sign-in link" in response.text
        assert [item["text"] for item in response.context["nav_items"]] == ["Your training record"]


@pytest.mark.django_db
class TestAgencyStaffList:
    @pytest.fixture
    def people(self, agency_a, today):
        return {
            "asha": factories.StaffMemberFactory(
                agency=agency_a,
                first_name="Asha",
                last_name="Patel",
                staff_number="N100",
                email="asha.p@a.org",
            ),
            "tom": factories.StaffMemberFactory(
                agency=agency_a,
                first_name="Tom",
                last_name="Okafor",
                staff_number="N200",
                email="t.okafor@a.org",
            ),
            "leaver": factories.StaffMemberFactory(
                agency=agency_a, first_name="Lee", last_name="Vernon", staff_number="N300", left_on=today
            ),
        }

    def names(self, response):
        return {person.first_name for person in response.context["page"].object_list}

    @pytest.mark.parametrize(
        ("q", "expected"),
        [
            ("patel", {"Asha"}),
            ("Asha Patel", {"Asha"}),
            ("N200", {"Tom"}),
            ("n2", {"Tom"}),
            ("T.OKAFOR@A.ORG", {"Tom"}),
            ("a.org", {"Asha", "Tom"}),
            ("nobody-like-this", set()),
        ],
    )
    def test_search_by_name_staff_number_and_email(self, client, hr_a, agency_a, people, q, expected):
        client.force_login(hr_a)
        response = client.get(staff_url(agency_a), {"q": q})
        assert self.names(response) == expected

    def test_no_match_says_so(self, client, hr_a, agency_a, people):
        client.force_login(hr_a)
        response = client.get(staff_url(agency_a), {"q": "zzz"})
        assert "No one matches “zzz”" in response.text

    def test_search_never_reaches_another_agency(self, client, hr_a, agency_a, staff_b):
        client.force_login(hr_a)
        response = client.get(staff_url(agency_a), {"q": staff_b.last_name, "status": "all"})
        assert self.names(response) == set()

    def test_current_staff_by_default_then_leavers_and_everyone(self, client, hr_a, agency_a, people):
        client.force_login(hr_a)
        assert self.names(client.get(staff_url(agency_a))) == {"Asha", "Tom"}
        assert self.names(client.get(staff_url(agency_a, status="leavers"))) == {"Lee"}
        assert self.names(client.get(staff_url(agency_a, status="all"))) == {"Asha", "Tom", "Lee"}
        response = client.get(staff_url(agency_a, status="nonsense"))
        assert self.names(response) == {"Asha", "Tom"}
        assert "Current staff (2)" in response.text and "Leavers (1)" in response.text

    def test_future_starter_is_listed_under_everyone_only(self, client, hr_a, agency_a, today):
        factories.StaffMemberFactory(
            agency=agency_a, first_name="Nia", start_date=today + datetime.timedelta(1)
        )
        client.force_login(hr_a)
        assert self.names(client.get(staff_url(agency_a))) == set()
        assert self.names(client.get(staff_url(agency_a, status="all"))) == {"Nia"}

    def test_columns(self, client, hr_a, agency_a):
        team = factories.TeamFactory(agency=agency_a, name="North locality")
        factories.StaffMemberFactory(
            agency=agency_a,
            first_name="Asha",
            last_name="Patel",
            staff_number="N100",
            email="asha.p@a.org",
            team=team,
            job_role=factories.JobRoleFactory(name="Youth worker"),
            start_date=datetime.date(2026, 3, 4),
        )
        client.force_login(hr_a)
        text = client.get(staff_url(agency_a, status="all")).text
        for value in (
            "Patel, Asha",
            "N100",
            "Youth worker",
            "North locality",
            "asha.p@a.org",
            "4 March 2026",
        ):
            assert value in text

    def test_pages_of_fifty_keep_the_search(self, client, hr_a, agency_a):
        factories.StaffMemberFactory.create_batch(51, agency=agency_a, last_name="Smith")
        client.force_login(hr_a)
        first = client.get(staff_url(agency_a), {"q": "smith"})
        assert len(first.context["page"].object_list) == 50
        assert "Showing 1 to 50 of 51" in first.text
        assert "?q=smith&amp;page=2" in first.text
        second = client.get(staff_url(agency_a), {"q": "smith", "page": 2})
        assert len(second.context["page"].object_list) == 1

    def test_query_count_is_the_same_for_5_and_50_staff(self, client, hr_a, agency_a):
        client.force_login(hr_a)

        def queries_for_list():
            with CaptureQueriesContext(connection) as captured:
                response = client.get(staff_url(agency_a))
            assert response.status_code == 200
            return len(captured)

        for _ in range(5):
            factories.StaffMemberFactory(agency=agency_a, team=factories.TeamFactory(agency=agency_a))
        five = queries_for_list()
        for _ in range(45):
            factories.StaffMemberFactory(agency=agency_a, team=factories.TeamFactory(agency=agency_a))
        assert queries_for_list() == five
        # Session, user, groups, agency, count, page, status counts, and workforce.access's membership
        # checks (one per scoped read); then the compliance engine's reads: the agency's figures
        # counted in one statement (training.selectors.compliance_counts, with the catalogue and
        # requirements), the worst status of the listed page of people (compliance_statuses), and
        # the targets and last month's snapshot the rate is compared with, and the 12-month trend's
        # snapshots; and the day of the maintained compliance state, which decides whether those
        # reads use it or the engine.
        assert five <= 22

    def test_staff_list_within_pinned_query_budget(
        self, client, lead, agency_a, django_assert_max_num_queries
    ):
        factories.StaffMemberFactory.create_batch(50, agency=agency_a)
        client.force_login(lead)
        # 8, the compliance figures' reads (the trend's snapshots among them), the state's day
        with django_assert_max_num_queries(15):
            client.get(staff_url(agency_a))


@pytest.mark.django_db
class TestStaffDetail:
    def test_details_and_history_of_changes(self, client, lead, hr_a, agency_a):
        staff = services.staff_create(
            agency=agency_a,
            actor=lead,
            staff_number="N100",
            first_name="Asha",
            last_name="Patel",
            email="asha@a.org",
            job_role=factories.JobRoleFactory(name="Youth worker"),
            job_title="Worker",
            start_date=datetime.date(2024, 3, 4),
        )
        services.staff_update(
            staff=staff, actor=hr_a, job_title="Senior worker", left_on=datetime.date(2026, 3, 4)
        )
        client.force_login(hr_a)
        response = client.get(reverse("staff_detail", kwargs={"pk": staff.pk}))
        assert response.status_code == 200
        text = response.text
        assert "Youth worker" in text and "4 March 2024" in text
        history = response.context["history"]
        assert len(history) == 2
        latest = history[0]
        assert latest["who"] == hr_a
        assert {"field": "Job title", "old": "Worker", "new": "Senior worker"} in latest["fields"]
        assert {"field": "Leaving date", "old": None, "new": "4 March 2026"} in latest["fields"]
        assert "Worker → Senior worker" in text
        assert "Added to the staff list" in text

    def test_job_role_change_names_both_roles(self, client, lead, staff_a):
        new_role = factories.JobRoleFactory(name="School nurse")
        old_role = staff_a.job_role.name
        services.staff_update(staff=staff_a, actor=lead, job_role=new_role)
        client.force_login(lead)
        response = client.get(reverse("staff_detail", kwargs={"pk": staff_a.pk}))
        fields = response.context["history"][0]["fields"]
        assert {"field": "Job role", "old": old_role, "new": "School nurse"} in fields


@pytest.mark.django_db
class TestAgencyStaffListControls:
    """An agency's staff list sorts by its columns, pages in 25/50/100 and downloads exactly the listed
    people (the same search, status filter and order)."""

    def test_sorting_sizes_and_a_download_equal_to_the_list(self, client, hr_a, agency_a, agency_b):
        for number in range(30):
            factories.StaffMemberFactory(agency=agency_a, staff_number=f"N{number:03d}")
        factories.StaffMemberFactory(agency=agency_b, staff_number="OTHER-1")
        client.force_login(hr_a)
        listed = client.get(staff_url(agency_a, sort="-number", per_page=25))
        numbers = [person.staff_number for person in listed.context["page"].object_list]
        assert numbers == sorted(numbers, reverse=True) and len(numbers) == 25
        download = client.get(staff_url(agency_a, sort="-number", download="csv"))
        lines = file_bytes(download).decode("utf-8-sig").splitlines()
        assert lines[0].startswith("Name,Staff number,Job role,Team,Email,Training")
        downloaded = [line.split(",")[1] for line in lines[1:]]
        assert downloaded[:25] == numbers and len(downloaded) == 30
        assert "OTHER-1" not in file_bytes(download).decode("utf-8-sig")

    def test_another_agencys_download_is_not_found(self, client, hr_a, agency_b):
        factories.StaffMemberFactory(agency=agency_b, staff_number="SECRET-9")
        client.force_login(hr_a)
        response = client.get(staff_url(agency_b, download="xlsx"))
        assert response.status_code == 404
        assert b"SECRET-9" not in response.content
