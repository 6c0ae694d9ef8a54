"""The data-quality page: the gaps in the staff data the user may see, and who they affect."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from notifications.models import ItemStatus, ReminderItem
from tests import factories
from tests.downloads import file_bytes

PAGE = reverse("data_quality")


@pytest.fixture
def gaps(agency_a, agency_b):
    return {
        "no_email_a": factories.StaffMemberFactory(agency=agency_a, first_name="Noemail", email=""),
        "no_email_b": factories.StaffMemberFactory(agency=agency_b, first_name="Other", email=""),
        "no_manager_a": factories.StaffMemberFactory(
            agency=agency_a,
            first_name="Nomanager",
            line_manager_email="",
            start_date=datetime.date(2020, 1, 1),
        ),
        "leaver": factories.StaffMemberFactory(
            agency=agency_a, first_name="Gone", email="", left_on=timezone.localdate()
        ),
    }


def problem(response, key):
    return next(each for each in response.context["problems"] if each.key == key)


@pytest.mark.django_db
class TestDataQuality:
    def test_agency_hr_sees_their_agencys_current_staff_only(self, client, hr_a, gaps):
        client.force_login(hr_a)
        response = client.get(PAGE)
        no_email = problem(response, "no_email")
        assert [person.first_name for person in no_email.people] == ["Noemail"]  # not Other, not Gone
        assert no_email.count == 1
        assert "Nomanager" in {person.first_name for person in problem(response, "no_manager").people}

    def test_a_lead_sees_every_agency(self, client, lead, gaps):
        client.force_login(lead)
        assert problem(client.get(PAGE), "no_email").count == 2

    def test_an_address_that_failed_for_good_is_listed_until_it_changes(self, client, lead, staff_a):
        ReminderItem.objects.create(
            key="00000000-0000-5000-8000-000000000001",
            series="s",
            kind="overdue",
            recipient=staff_a.email,
            staff=staff_a,
            cycle_date=timezone.localdate(),
            stage="U+0",
            stage_date=timezone.localdate(),
            planned_for=timezone.localdate(),
            status=ItemStatus.FAILED,
        )
        client.force_login(lead)
        assert [p.pk for p in problem(client.get(PAGE), "emails_failing").people] == [staff_a.pk]
        staff_a.email = "new.address@example.org"
        staff_a.save()
        assert problem(client.get(PAGE), "emails_failing").people == []

    def test_download_of_one_problem_is_scoped(self, client, hr_a, gaps):
        client.force_login(hr_a)
        response = client.get(PAGE, {"problem": "no_email", "download": "csv"})
        rows = list(csv.reader(io.StringIO(file_bytes(response).decode("utf-8-sig"))))
        assert [row[0] for row in rows[1:]] == [gaps["no_email_a"].full_name]

    def test_stale_staff_lists_are_named(self, client, lead, agency_a):
        client.force_login(lead)
        items = problem(client.get(PAGE), "staff_lists").items
        assert ("Agency A", "No staff list uploaded yet") in items

    def test_outsiders_get_not_found(self, client, outsider):
        client.force_login(outsider)
        assert client.get(PAGE).status_code == 404
