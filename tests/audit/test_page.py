"""The audit-log page: leads only, searchable, filterable, paged, and its download audited."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from audit import actions
from audit.models import AuditEvent
from audit.services import audit_record
from tests.downloads import file_bytes

PAGE = reverse("audit_log")


def _at(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


@pytest.fixture
def log(lead, hr_a):
    audit_record(action=actions.SIGNIN, user=lead, at=_at(datetime.date(2026, 3, 1)))
    audit_record(action=actions.SIGNIN, user=hr_a, at=_at(datetime.date(2026, 3, 2)))
    audit_record(
        action=actions.SIGNIN_FAILED,
        actor="mallory",
        detail="Sign-in failed for “mallory”",
        at=_at(datetime.date(2026, 3, 3)),
    )
    audit_record(
        action=actions.DOWNLOAD,
        user=hr_a,
        target=("file", "", "agency-a-staff.csv"),
        detail="Downloaded agency-a-staff.csv",
        at=_at(datetime.date(2026, 3, 4)),
    )


def sign_in(client, user):
    """Sign in, then forget the sign-in's own event (tested in test_events), so each test sees
    only the events it made."""
    started = timezone.now()
    client.force_login(user)
    AuditEvent.objects.filter(action=actions.SIGNIN, user=user, at__gte=started).delete()


def descriptions(response):
    return [event.description for event in response.context["page"].object_list]


@pytest.mark.django_db
class TestAccess:
    def test_a_lead_sees_every_event_newest_first(self, client, lead, log):
        sign_in(client, lead)
        response = client.get(PAGE)
        assert response.status_code == 200
        assert descriptions(response) == [
            "Downloaded agency-a-staff.csv",
            "Sign-in failed for “mallory”",
            "Signed in",
            "Signed in",
        ]
        assert "agency-a-staff.csv" in response.text and "mallory" in response.text

    @pytest.mark.parametrize("persona", ["hr_a", "hr_b", "outsider"])
    def test_anyone_but_a_lead_gets_404_and_nothing_is_recorded(self, client, request, persona, log):
        client.force_login(request.getfixturevalue(persona))
        before = AuditEvent.objects.count()
        assert client.get(PAGE).status_code == 404
        assert client.get(PAGE + "?download=csv").status_code == 404
        assert AuditEvent.objects.count() == before

    def test_signed_out_visitors_are_sent_to_sign_in(self, client, log):
        response = client.get(PAGE)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.mark.django_db
class TestFilters:
    @pytest.fixture(autouse=True)
    def signed_in(self, client, lead):
        sign_in(client, lead)

    def test_by_actor(self, client, log):
        assert descriptions(client.get(PAGE, {"actor": "HR-A"})) == [
            "Downloaded agency-a-staff.csv",
            "Signed in",
        ]

    def test_by_action(self, client, log):
        assert descriptions(client.get(PAGE, {"action": actions.SIGNIN_FAILED})) == [
            "Sign-in failed for “mallory”"
        ]

    def test_by_date_range_both_days_included(self, client, log):
        response = client.get(PAGE, {"since": "2/3/2026", "until": "3/3/2026"})
        assert descriptions(response) == ["Sign-in failed for “mallory”", "Signed in"]

    def test_by_text_in_the_description_or_record(self, client, log):
        assert descriptions(client.get(PAGE, {"q": "staff.csv"})) == ["Downloaded agency-a-staff.csv"]

    def test_a_bad_date_is_shown_as_an_error_and_the_other_filters_still_apply(self, client, log):
        response = client.get(PAGE, {"since": "31/2/2026", "action": actions.SIGNIN})
        assert response.status_code == 200
        assert "Enter the “from” date as a real date" in response.text
        assert descriptions(response) == ["Signed in", "Signed in"]

    def test_to_before_from_is_refused_with_a_message(self, client, log):
        response = client.get(PAGE, {"since": "4/3/2026", "until": "1/3/2026"})
        assert "The “to” date must be the same as or after the “from” date." in response.text
        assert len(descriptions(response)) == 1

    def test_an_unknown_action_is_refused_with_a_message(self, client, log):
        response = client.get(PAGE, {"action": "nonsense"})
        assert "Select an event from the list." in response.text
        assert len(descriptions(response)) == 4

    def test_pages_of_25(self, client, lead):
        for _ in range(30):
            audit_record(action=actions.SIGNIN, user=lead)
        first = client.get(PAGE, {"per_page": 25})
        assert len(descriptions(first)) == 25 and first.context["page"].paginator.num_pages == 2
        assert len(descriptions(client.get(PAGE, {"per_page": 25, "page": 2}))) == 5

    def test_a_page_takes_a_fixed_number_of_queries(self, client, lead, django_assert_max_num_queries):
        for _ in range(60):
            audit_record(action=actions.SIGNIN, user=lead)
        with django_assert_max_num_queries(12):
            client.get(PAGE)


@pytest.mark.django_db
def test_the_download_lists_the_filtered_events_and_is_itself_recorded(client, lead, log):
    client.force_login(lead)
    response = client.get(PAGE, {"actor": "mallory", "download": "csv"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(file_bytes(response).decode("utf-8-sig"))))
    assert rows[0][:3] == ["When", "Who", "Event"]
    assert [row[1] for row in rows[1:]] == ["mallory"]
    [download] = AuditEvent.objects.filter(action=actions.DOWNLOAD, user=lead)
    assert "audit-log" in download.target_label


@pytest.mark.django_db
def test_a_search_finds_the_client_address(client, lead):
    sign_in(client, lead)
    request = type("Request", (), {"META": {"REMOTE_ADDR": "198.51.100.23"}, "user": lead})()
    audit_record(action=actions.SIGNIN, request=request, detail="From the office")
    audit_record(action=actions.SIGNIN, user=lead, detail="From nowhere known")
    assert descriptions(client.get(PAGE, {"q": "198.51.100"})) == ["From the office"]
