"""The retention run on a simulated timeline (PRODUCT.md section 13): exactly the leavers past six
years are anonymised, figures and snapshots do not move, old uploads and email bodies go, current
staff are not touched, a dry run writes nothing and a second run changes nothing."""

import datetime
import io
import json
import os

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from config.celery_app import app as celery_app
from imports.models import ImportRecord
from notifications.models import DigestOptOut, ReminderItem, ReminderMessage
from privacy import services
from privacy.models import Anonymisation, RetentionRun
from privacy.tasks import retention_run_task
from training.models import Completion, ComplianceSnapshot, Exemption
from training.selectors.report import build_report
from workforce.models import SigninLink, StaffMember

from .conftest import TODAY, at

pytestmark = pytest.mark.django_db

FIGURE_DATES = [datetime.date(2015, 6, 1), datetime.date(2017, 1, 1), datetime.date(2019, 6, 1), TODAY]
NAMES = ("Gwendolyn", "Oldfield", "Cuthbert", "Edgeworth", "gwen.previous", "G-100", "C-200")


def figures():
    return {day.isoformat(): build_report(on=day) for day in FIGURE_DATES}


def snapshots():
    return list(ComplianceSnapshot.objects.order_by("taken_on", "scope", "agency_id", "module_id").values())


def everything_about(staff):
    """Every value the database holds in rows about this person, as one string to search."""
    rows = [
        StaffMember.objects.filter(pk=staff.pk).values(),
        StaffMember.history.filter(id=staff.pk).values(),
        Completion.objects.filter(staff=staff).values(),
        Completion.history.filter(staff_id=staff.pk).values(),
        Exemption.objects.filter(staff=staff).values(),
        Exemption.history.filter(staff_id=staff.pk).values(),
        ReminderItem.objects.filter(staff=staff).values(),
        ReminderMessage.objects.filter(items__staff=staff).values(),
    ]
    return json.dumps([list(r) for r in rows], default=str)


def run_on(day, **options):
    """The run on `day` at 03:00, with what it queues for after its commit (deleting files) run as
    a real commit would."""
    with time_machine.travel(at(day, hour=3), tick=False), TestCase.captureOnCommitCallbacks(execute=True):
        return services.retention_run(**options)


class TestTimeline:
    def test_the_night_before_the_sixth_anniversary_nobody_is_anonymised(self, scene):
        result = run_on(TODAY - datetime.timedelta(days=1))
        assert result.anonymised_staff == 1  # only the one who left 400 days before the cutoff
        assert set(Anonymisation.objects.values_list("staff_id", flat=True)) == {scene["gone"].pk}

    def test_exactly_the_leavers_past_six_years_are_anonymised(self, scene):
        result = run_on(TODAY)
        anonymised = set(Anonymisation.objects.values_list("staff_id", flat=True))
        assert anonymised == {scene["gone"].pk, scene["on_cutoff"].pk}
        assert result.anonymised_staff == 2
        gone = StaffMember.objects.get(pk=scene["gone"].pk)
        assert (gone.first_name, gone.last_name, gone.staff_number) == (
            "Anonymised",
            f"person {gone.pk}",
            f"ANON-{gone.pk}",
        )
        assert (gone.email, gone.line_manager_email, gone.job_title) == ("", "", "")
        # Kept, because figures need them: agency, role, dates.
        assert (gone.agency_id, gone.job_role_id, gone.start_date, gone.left_on) == (
            scene["gone"].agency_id,
            scene["gone"].job_role_id,
            scene["gone"].start_date,
            scene["gone"].left_on,
        )
        for person in (scene["gone"], scene["on_cutoff"]):
            text = everything_about(person)
            for name in NAMES:
                assert name.lower() not in text.lower(), name
            assert "CERT-" not in text and "brought the certificate" not in text and "on leave" not in text

    def test_completions_stay_with_their_dates_and_lose_their_certificates(self, scene, media):
        completion = scene["completions"][scene["gone"].pk]
        path = completion.certificate.path
        assert os.path.exists(path)
        run_on(TODAY)
        completion.refresh_from_db()
        assert (completion.completed_on, completion.expires_on, completion.verification) == (
            datetime.date(2015, 3, 1),
            datetime.date(2018, 3, 1),
            "verified",
        )
        assert (completion.certificate.name, completion.certificate_reference, completion.notes) == (
            "",
            "",
            "",
        )
        assert not os.path.exists(path)
        # The current member of staff keeps their certificate.
        kept = scene["completions"][scene["current"].pk]
        kept.refresh_from_db()
        assert kept.certificate and os.path.exists(kept.certificate.path)

    def test_figures_and_snapshots_are_the_same_before_and_after(self, scene):
        before_figures, before_snapshots = figures(), snapshots()
        run_on(TODAY)
        assert figures() == before_figures
        assert snapshots() == before_snapshots

    def test_nothing_of_a_current_member_of_staff_or_a_recent_leaver_is_touched(self, scene, settings):
        settings.RETENTION_OUTBOX_BODY_YEARS = 20  # only anonymising in play here

        def state(person):
            return (everything_about(person), list(person.assignments.values()))

        before = {key: state(scene[key]) for key in ("current", "day_after")}
        run_on(TODAY)
        assert {key: state(scene[key]) for key in ("current", "day_after")} == {
            key: before[key] for key in before
        }

    def test_outbox_rows_keep_their_status_and_lose_what_names_the_person(self, scene):
        run_on(TODAY)
        own = ReminderMessage.objects.get(pk=scene["messages"]["gone_old"].pk)
        assert (own.status, own.subject, own.text_body, own.html_body) == ("sent", "", "", "")
        assert own.recipient.endswith("@example.invalid")
        item = ReminderItem.objects.get(message=own)
        assert item.status == "sent" and item.recipient.endswith("@example.invalid")
        assert "gwendolyn" not in item.series
        manager = ReminderMessage.objects.get(pk=scene["messages"]["gone_manager"].pk)
        assert manager.recipient == "team.manager@agency-a.example.org"  # the manager's own address
        assert manager.text_body == ""

    def test_digest_opt_outs_of_the_anonymised_go(self, scene):
        DigestOptOut.objects.create(email="gwen.previous@example.org", kind="manager_digest")
        DigestOptOut.objects.create(email="priya.stillhere@example.org", kind="manager_digest")
        run_on(TODAY)
        assert list(DigestOptOut.objects.values_list("email", flat=True)) == ["priya.stillhere@example.org"]

    def test_sign_in_links_of_the_anonymised_go(self, scene):
        SigninLink.objects.create(
            token_hash="a" * 64, email="gwen.previous@example.org", staff_ids=[1], created_at=at(TODAY)
        )
        SigninLink.objects.create(
            token_hash="b" * 64, email="priya.stillhere@example.org", staff_ids=[2], created_at=at(TODAY)
        )
        run_on(TODAY)
        assert list(SigninLink.objects.values_list("email", flat=True)) == ["priya.stillhere@example.org"]

    def test_old_uploads_are_deleted_and_their_records_keep_their_counts(self, scene):
        uploads = scene["uploads"]
        paths = {key: record.file.path for key, record in uploads.items()}
        result = run_on(TODAY)
        assert result.files_deleted == 2
        for key in ("applied_old", "refused_old"):
            record = ImportRecord.objects.get(pk=uploads[key].pk)
            assert not record.file and record.file_deleted_at is not None
            assert (record.rows_count, record.new_count) == (1, 1)
            assert record.preview == {"new": 1, "new_rows": [], "ignored_columns": ["Notes"]}
            assert record.errors == [{"row": 2, "column": "Email", "value": None, "message": "Not an email"}]
            assert not os.path.exists(paths[key])
        for key in ("applied_recent", "refused_recent"):
            assert ImportRecord.objects.get(pk=uploads[key].pk).file
            assert ImportRecord.objects.get(pk=uploads[key].pk).preview["new_rows"]
            assert os.path.exists(paths[key])

    def test_email_bodies_older_than_two_years_are_emptied(self, scene):
        result = run_on(TODAY)
        old = ReminderMessage.objects.get(pk=scene["messages"]["current_old"].pk)
        recent = ReminderMessage.objects.get(pk=scene["messages"]["current_recent"].pk)
        assert (old.text_body, old.html_body, old.status) == ("", "", "sent")
        assert old.items.get().status == "sent"
        assert "Priya" in recent.text_body
        # The current person's old email (2023) and the two about the anonymised leaver (2018).
        assert result.messages_purged == 3

    def test_a_dry_run_writes_nothing(self, scene):
        def database():
            return (
                list(StaffMember.objects.order_by("pk").values()),
                StaffMember.history.count(),
                list(Completion.objects.order_by("pk").values()),
                list(ReminderMessage.objects.order_by("pk").values()),
                list(ImportRecord.objects.order_by("pk").values("file")),
                RetentionRun.objects.count(),
                Anonymisation.objects.count(),
            )

        before = database()
        result = run_on(TODAY, dry_run=True)
        assert result.as_dict() == {"anonymised_staff": 2, "files_deleted": 2, "messages_purged": 3}
        assert database() == before
        assert run_on(TODAY).as_dict() == result.as_dict()  # what the dry run said is what a run does

    def test_a_second_run_changes_nothing(self, scene):
        run_on(TODAY)
        before = (
            list(StaffMember.objects.order_by("pk").values()),
            StaffMember.history.count(),
            list(ReminderMessage.objects.order_by("pk").values()),
        )
        again = run_on(TODAY)
        assert again.as_dict() == {"anonymised_staff": 0, "files_deleted": 0, "messages_purged": 0}
        assert (
            list(StaffMember.objects.order_by("pk").values()),
            StaffMember.history.count(),
            list(ReminderMessage.objects.order_by("pk").values()),
        ) == before

    def test_years_later_the_recent_leaver_goes_too(self, scene):
        run_on(TODAY)
        run_on(datetime.date(2026, 6, 2))
        assert Anonymisation.objects.filter(staff=scene["day_after"]).exists()
        assert not Anonymisation.objects.filter(staff=scene["current"]).exists()

    def test_the_period_is_a_setting(self, scene, settings):
        settings.RETENTION_LEAVER_YEARS = 10
        assert run_on(TODAY).anonymised_staff == 0

    def test_each_run_is_recorded_with_its_counts(self, scene):
        run_on(TODAY)
        run = RetentionRun.objects.get()
        assert (run.ran_on, run.anonymised_staff, run.files_deleted, run.messages_purged) == (TODAY, 2, 2, 3)
        assert run.finished_at is not None


class TestCommandAndSchedule:
    def test_the_command_prints_one_json_object(self, scene):
        out = io.StringIO()
        call_command("retention_run", "--today", TODAY.isoformat(), "--json", stdout=out)
        assert json.loads(out.getvalue()) == {"anonymised_staff": 2, "files_deleted": 2, "messages_purged": 3}
        assert RetentionRun.objects.get().triggered_by == "command"

    def test_the_command_dry_run_writes_nothing(self, scene):
        out = io.StringIO()
        call_command("retention_run", "--today", TODAY.isoformat(), "--dry-run", "--json", stdout=out)
        assert json.loads(out.getvalue())["anonymised_staff"] == 2
        assert not Anonymisation.objects.exists() and not RetentionRun.objects.exists()

    def test_a_bad_date_is_refused_and_nothing_is_written(self, scene):
        from django.core.management.base import CommandError

        with pytest.raises(CommandError, match="YYYY-MM-DD") as raised:
            call_command("retention_run", "--today", "1/6/2026", "--json")
        assert raised.value.returncode == 2
        assert not Anonymisation.objects.exists() and not RetentionRun.objects.exists()

    def test_it_runs_nightly_from_the_beat_schedule(self, scene):
        entry = celery_app.conf.beat_schedule["retention-run"]
        assert entry["task"] == "privacy.tasks.retention_run_task"
        with time_machine.travel(at(TODAY, hour=3), tick=False):
            retention_run_task()
        assert Anonymisation.objects.count() == 2

    def test_queries_do_not_grow_with_the_number_of_leavers(self, scene):
        with CaptureQueriesContext(connection) as queries:
            run_on(TODAY)
        assert len(queries) < 60


def test_the_outbox_page_says_why_an_old_email_has_no_text(client, lead, scene):
    run_on(TODAY)
    message = scene["messages"]["current_old"]
    ReminderMessage.objects.filter(pk=message.pk).update(sent_at=at(message.day))
    client.force_login(lead)
    body = client.get(reverse("outbox:message", kwargs={"pk": message.pk})).content.decode()
    assert "The text of this email has been removed" in body


def test_the_lead_sees_each_run_and_others_do_not(client, lead, hr_a, scene):
    run_on(TODAY)
    client.force_login(hr_a)
    assert client.get(reverse("privacy:retention")).status_code == 404
    client.force_login(lead)
    body = client.get(reverse("privacy:retention")).content.decode()
    assert "1 June 2026" in body and "Leavers anonymised" in body
