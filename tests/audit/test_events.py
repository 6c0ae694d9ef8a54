"""The audit log: each audited event is written exactly once, with who, what and from where."""

import datetime
import re

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from api.models import ApiToken
from api.services import api_token_create
from audit import actions
from audit.models import AuditEvent
from tests import factories
from tests.api.conftest import client_for
from tests.training.records_fixtures import media, upload  # noqa: F401 - media is a fixture
from training.models import CompletionSource, Module
from training.services import completion_record
from workforce import signin

PASSWORD = "correct horse battery staple"


def events(action):
    return list(AuditEvent.objects.filter(action=action))


@pytest.fixture
def lead_with_password(lead):
    lead.set_password(PASSWORD)
    lead.save()
    return lead


@pytest.mark.django_db
class TestSignIn:
    def test_a_sign_in_is_one_event_with_the_real_client_address(self, client, lead_with_password, settings):
        settings.TRUSTED_PROXY_COUNT = 1
        response = client.post(
            reverse("login"),
            {"username": "lead", "password": PASSWORD},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR="203.0.113.7",
        )
        assert response.status_code == 302
        [event] = events(actions.SIGNIN)
        assert (event.user, event.actor, event.client_ip) == (lead_with_password, "lead", "203.0.113.7")

    def test_a_failed_sign_in_is_one_event_naming_the_username_and_never_the_password(
        self, client, lead_with_password
    ):
        response = client.post(reverse("login"), {"username": "lead", "password": "wrong"})
        assert response.status_code == 200
        [event] = events(actions.SIGNIN_FAILED)
        assert event.user is None and event.actor == "lead"
        assert event.client_ip == "127.0.0.1"
        assert "wrong" not in str(AuditEvent.objects.values().get())
        assert not events(actions.SIGNIN)

    def test_a_staff_sign_in_link_used_is_one_event_and_opening_it_is_none(self, client, staff_a):
        token = signin.signin_token(staff_ids=[staff_a.pk], email=staff_a.email)
        path = reverse("staff_signin_open", kwargs={"token": token})
        assert client.get(path).status_code == 200
        assert not events(actions.STAFF_SIGNIN)
        assert client.post(path).status_code == 302
        [event] = events(actions.STAFF_SIGNIN)
        assert event.target_id == str(staff_a.pk) and staff_a.email in event.actor
        client.post(path)  # used already: refused, not a second sign-in
        assert len(events(actions.STAFF_SIGNIN)) == 1


@pytest.fixture
def scene(lead, agency_a, staff_a):
    module = factories.ModuleFactory(code="HSB-101")
    factories.RequirementFactory(module=module, job_role=staff_a.job_role)
    return {"lead": lead, "agency": agency_a, "staff": staff_a}


DOWNLOADS = [
    lambda s: reverse("agency_staff", kwargs={"slug": s["agency"].slug}) + "?download=csv",
    lambda s: reverse("agency_staff", kwargs={"slug": s["agency"].slug}) + "?download=xlsx",
    lambda s: reverse("search") + "?q=Patel&download=csv",
    lambda s: reverse("compliance:people") + "?download=csv",
    lambda s: reverse("compliance:export", kwargs={"kind": "list", "file_format": "csv"}),
    lambda s: reverse("imports:staff_export", kwargs={"slug": s["agency"].slug, "file_format": "csv"}),
    lambda s: reverse("audit_log") + "?download=csv",
    lambda s: reverse("data_quality") + "?problem=no_email&download=xlsx",
    lambda s: reverse("strategy:action_export"),
    lambda s: reverse("imports:template", kwargs={"kind": "staff", "file_format": "xlsx"}),
]


@pytest.mark.django_db
class TestDownloads:
    @pytest.mark.parametrize("url", DOWNLOADS)
    def test_each_download_is_one_event(self, client, scene, url):
        client.force_login(scene["lead"])
        path = url(scene)
        response = client.get(path)
        assert response.status_code == 200, path
        b"".join(response.streaming_content) if response.streaming else response.content
        [event] = events(actions.DOWNLOAD)
        assert event.user == scene["lead"] and event.extra["path"] == path.split("?")[0]
        assert event.target_label  # the file's name

    def test_a_staff_members_own_download_names_their_session(self, client, scene):
        staff = scene["staff"]
        token = signin.signin_token(staff_ids=[staff.pk], email=staff.email)
        client.post(reverse("staff_signin_open", kwargs={"token": token}))
        response = client.get(reverse("records:my_calendar", kwargs={"pk": staff.pk}))
        assert response.status_code == 200
        [event] = events(actions.DOWNLOAD)
        assert event.user is None and event.actor == f"staff sign-in: staff #{staff.pk}"
        assert event.target_label.endswith(".ics") and event.client_ip == "127.0.0.1"

    @pytest.mark.usefixtures("media")
    def test_each_opening_of_a_certificate_is_one_event(self, client, scene):
        completion = completion_record(
            staff=scene["staff"],
            module=factories.ModuleFactory(code="HSB-202"),
            completed_on=datetime.date(2026, 1, 5),
            source=CompletionSource.SELF_DECLARED,
            certificate=upload(),
            today=datetime.date(2026, 3, 1),
        )
        client.force_login(scene["lead"])
        path = reverse("records:certificate", kwargs={"pk": completion.pk})
        for _ in range(2):  # shown in the browser (a PDF), not as an attachment: still a download
            response = client.get(path)
            assert response.status_code == 200
            b"".join(response.streaming_content)
        assert len(events(actions.DOWNLOAD)) == 2

    def test_a_page_that_is_not_a_download_is_no_event(self, client, scene):
        client.force_login(scene["lead"])
        assert client.get(reverse("agency_staff", kwargs={"slug": scene["agency"].slug})).status_code == 200
        assert not events(actions.DOWNLOAD)

    def test_a_refused_download_is_no_event(self, client, hr_b, scene):
        client.force_login(hr_b)
        path = reverse("agency_staff", kwargs={"slug": scene["agency"].slug}) + "?download=csv"
        assert client.get(path).status_code == 404
        assert not AuditEvent.objects.filter(action=actions.DOWNLOAD).exists()


@pytest.mark.django_db
class TestApiTokens:
    def test_creation_revocation_and_first_use_of_each_day_are_one_event_each(self, lead, time_machine):
        time_machine.move_to(datetime.datetime(2026, 3, 4, 9, tzinfo=datetime.UTC), tick=False)
        token, key = api_token_create(user=lead, name="Payroll", actor=lead)
        assert len(events(actions.API_TOKEN_CREATED)) == 1
        api = client_for(key)
        for minutes in (0, 2, 4):
            time_machine.move_to(datetime.datetime(2026, 3, 4, 9, minutes, tzinfo=datetime.UTC), tick=False)
            assert api.get("/api/v1/modules/").status_code == 200
        assert len(events(actions.API_TOKEN_USED)) == 1
        time_machine.move_to(datetime.datetime(2026, 3, 5, 9, tzinfo=datetime.UTC), tick=False)
        assert api.get("/api/v1/modules/").status_code == 200
        assert api.get("/api/v1/modules/").status_code == 200
        used = events(actions.API_TOKEN_USED)
        assert len(used) == 2 and used[0].target_id == str(token.pk)

    def test_the_tokens_page_records_creation_and_revocation_with_the_address(self, client, lead):
        client.force_login(lead)
        client.post("/accounts/api-tokens/", {"name": "Payroll", "expires_in_days": ""})
        token = ApiToken.objects.get()
        client.post(f"/accounts/api-tokens/{token.pk}/revoke/")
        client.post(f"/accounts/api-tokens/{token.pk}/revoke/")  # again: nothing more to record
        [made] = events(actions.API_TOKEN_CREATED)
        [revoked] = events(actions.API_TOKEN_REVOKED)
        assert made.client_ip == revoked.client_ip == "127.0.0.1"
        assert "Payroll" in revoked.description


@pytest.mark.django_db
class TestAdminChanges:
    def test_an_addition_and_a_change_in_the_admin_are_one_event_each(self, admin_client, admin_user):
        values = {
            "code": "HSB-900",
            "title": "A new module",
            "tier": 1,
            "domain": "prevention",
            "delivery_mode": "e_learning",
            "validity_months": 24,
            "renewal_window_days": 60,
            "active": "on",
        }
        assert admin_client.post(reverse("admin:training_module_add"), values).status_code == 302
        module = Module.objects.get(code="HSB-900")
        change = reverse("admin:training_module_change", args=[module.pk])
        assert admin_client.post(change, {**values, "validity_months": 12}).status_code == 302
        assert LogEntry.objects.count() == 2
        [added] = events(actions.ADMIN_ADDED)
        [changed] = events(actions.ADMIN_CHANGED)
        assert added.user == changed.user == admin_user
        assert "HSB-900" in added.target_label and "Validity" in changed.description
        assert changed.client_ip == "127.0.0.1" and changed.target_id == str(module.pk)

    def test_an_admin_export_is_one_download_event(self, admin_client):
        factories.JobRoleFactory(name="Nurse")
        page = admin_client.get(reverse("admin:workforce_jobrole_export"))
        value = re.search(r'<option value="(\d+)">\s*csv\s*</option>', page.text).group(1)
        data = {"format": value, "resource": "0", "jobroleresource_name": "on"}
        response = admin_client.post(reverse("admin:workforce_jobrole_export"), data)
        assert response.status_code == 200
        [event] = events(actions.DOWNLOAD)
        assert event.target_label.endswith(".csv")


@pytest.mark.django_db
def test_events_are_kept_for_the_retention_period_then_purged(lead, settings):
    from django.core.management import call_command

    from audit.services import audit_events_purge, audit_record

    settings.AUDIT_RETENTION_DAYS = 730
    now = timezone.now()
    old = audit_record(action=actions.SIGNIN, user=lead, at=now - datetime.timedelta(days=731))
    kept = audit_record(action=actions.SIGNIN, user=lead, at=now - datetime.timedelta(days=729))
    assert audit_events_purge(now=now) == 1
    assert list(AuditEvent.objects.values_list("pk", flat=True)) == [kept.pk]
    assert not AuditEvent.objects.filter(pk=old.pk).exists()
    settings.AUDIT_RETENTION_DAYS = 1
    call_command("audit_purge")
    assert not AuditEvent.objects.exists()


def test_the_purge_is_on_the_beat_schedule():
    from config.celery_app import app

    entries = [entry["task"] for entry in app.conf.beat_schedule.values()]
    assert "audit.tasks.audit_events_purge_task" in entries


@pytest.mark.parametrize("name", ["staff list.csv", "Zoë – Agency A.xlsx", 'a;b "c".csv', "plain.csv"])
def test_the_download_event_names_the_file_however_the_header_spells_it(name):
    from django.http import HttpResponse
    from django.utils.http import content_disposition_header

    from workforce.downloads import _filename

    response = HttpResponse()
    response["Content-Disposition"] = content_disposition_header(True, name)
    assert _filename(response) == name
