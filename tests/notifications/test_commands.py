"""send_reminders and reminders_outbox exactly as PRODUCT.md section 8 gives them."""

import io
import json

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from notifications.models import ReminderItem, ReminderMessage
from tests.notifications.builders import D, complete, hsb101, person, quiet_agency, role_requiring

pytestmark = pytest.mark.django_db

KINDS = [
    "assigned",
    "due_soon",
    "overdue",
    "renewal_open",
    "renewal_soon",
    "expired",
    "escalation",
    "manager_digest",
    "agency_digest",
    "staff_list_review",
    "verification_review",
    "action_plan_review",
    "session_booked",
    "session_waitlisted",
    "session_offered",
    "session_changed",
    "session_cancelled",
    "session_reminder",
    "session_attendees",
    "session_feedback",
    "board_report",
]


@pytest.fixture
def cohort():
    agency = quiet_agency()
    module = hsb101()
    role = role_requiring(module)
    asha = person(agency, role, start=D(2026, 1, 5), manager="boss@example.org")  # due 5 April 2026
    ben = person(agency, role, first_name="Ben", last_name="Morgan", start=D(2026, 1, 5))
    return agency, module, asha, ben


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_send_reminders_plans_and_sends_and_prints_one_json_object(cohort):
    out, _ = run("send_reminders", "--today", "2026-04-23", "--json")

    report = json.loads(out)
    assert report == {
        "today": "2026-04-23",
        "planned": {kind: {"overdue": 2, "escalation": 1}.get(kind, 0) for kind in KINDS},
        "skipped": 8,  # start, U-30, U-7 and U+0 for each person: caught up
        "sent": 3,
        "messages": 3,
        "failed": 0,
        "cancelled": 0,
    }
    assert list(report) == ["today", "planned", "skipped", "sent", "messages", "failed", "cancelled"]
    assert sorted(message.to[0] for message in mail.outbox) == [
        "asha.patel@example.org",
        "ben.morgan@example.org",
        "boss@example.org",
    ]


def test_send_reminders_twice_sends_nothing_more(cohort):
    run("send_reminders", "--today", "2026-04-23", "--json")

    out, _ = run("send_reminders", "--today", "2026-04-23", "--json")

    report = json.loads(out)
    assert (sum(report["planned"].values()), report["skipped"], report["sent"], report["messages"]) == (
        0,
        0,
        0,
        0,
    )
    assert len(mail.outbox) == 3


def test_send_reminders_counts_cancelled_items(cohort):
    agency, module, asha, ben = cohort
    run("send_reminders", "--today", "2026-04-05", "--json")  # U+0 for both, nothing sent after
    mail.outbox = []
    ReminderMessage.objects.update(status="pending")  # as if sending had failed temporarily
    ReminderItem.objects.filter(status="sent").update(status="pending")
    complete(asha, module, D(2026, 4, 6), today=D(2026, 4, 6))

    out, _ = run("send_reminders", "--today", "2026-04-06", "--json")

    report = json.loads(out)
    assert (report["sent"], report["cancelled"]) == (1, 1)
    assert [message.to for message in mail.outbox] == [["ben.morgan@example.org"]]


def test_a_dry_run_writes_and_sends_nothing(cohort):
    out, _ = run("send_reminders", "--today", "2026-04-23", "--dry-run", "--json")

    report = json.loads(out)
    assert report["planned"]["overdue"] == 2 and report["skipped"] == 8
    assert (report["sent"], report["messages"]) == (0, 3)
    assert ReminderItem.objects.count() == 0 and ReminderMessage.objects.count() == 0
    assert mail.outbox == []


def test_send_reminders_reports_failures(cohort, smtp_settings):
    smtp_settings.always = "554 5.7.1 Message rejected"

    out, err = run("send_reminders", "--today", "2026-04-23", "--json")

    report = json.loads(out)
    assert (report["sent"], report["failed"]) == (0, 3)
    assert "3 reminder(s) could not be sent" in err
    assert set(ReminderMessage.objects.values_list("status", "last_error")) == {
        ("failed", "554 5.7.1 Message rejected")
    }


def test_send_reminders_text_output(cohort):
    out, _ = run("send_reminders", "--today", "2026-04-23")

    assert out.splitlines()[:3] == [
        "Reminders for 23 April 2026",
        "",
        "Planned: 3 (overdue 2, escalation 1)",
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "23/04/2026",
            "--today must be a date written YYYY-MM-DD, for example 2026-03-04 (got '23/04/2026').",
        ),
        ("2026-02-30", "--today 2026-02-30 is not a real date."),
    ],
)
def test_send_reminders_refuses_a_bad_date_with_exit_status_2(cohort, value, message):
    with pytest.raises(CommandError) as refused:
        run("send_reminders", "--today", value, "--json")

    assert refused.value.returncode == 2
    assert str(refused.value) == message
    assert ReminderItem.objects.count() == 0


def test_reminders_outbox_lists_every_item_with_the_fields_of_section_8(cohort):
    agency, module, asha, ben = cohort
    run("send_reminders", "--today", "2026-04-23", "--json")

    out, _ = run("reminders_outbox", "--since", "2026-04-23", "--json")

    items = json.loads(out)["items"]
    assert len(items) == 11
    escalation = next(item for item in items if item["kind"] == "escalation")
    assert escalation == {
        "kind": "escalation",
        "to": "boss@example.org",
        "agency": "northshire-police",
        "staff_number": asha.staff_number,
        "module": "HSB-101",
        "cycle_date": "2026-04-05",
        "stage": "U+14",
        "planned_for": "2026-04-23",
        "status": "sent",
    }
    assert sorted({(item["status"], item["kind"]) for item in items}) == [
        ("sent", "escalation"),
        ("sent", "overdue"),
        ("skipped", "assigned"),
        ("skipped", "due_soon"),
        ("skipped", "overdue"),
    ]


def test_reminders_outbox_since_filters_by_planning_day(cohort):
    run("send_reminders", "--today", "2026-04-23", "--json")

    out, _ = run("reminders_outbox", "--since", "2026-04-24", "--json")

    assert json.loads(out) == {"items": []}


def test_reminders_outbox_digests_have_no_person(cohort):
    run("send_reminders", "--today", "2026-04-20", "--json")  # a Monday: the manager's digest

    out, _ = run("reminders_outbox", "--json")

    digest = next(item for item in json.loads(out)["items"] if item["kind"] == "manager_digest")
    assert (digest["agency"], digest["staff_number"], digest["module"], digest["cycle_date"]) == (
        "",
        "",
        "",
        "2026-04-20",
    )


def test_reminders_outbox_refuses_a_bad_date(cohort):
    with pytest.raises(CommandError) as refused:
        run("reminders_outbox", "--since", "yesterday")

    assert refused.value.returncode == 2


def test_with_the_console_backend_emails_go_to_standard_error_and_stdout_stays_json(cohort, settings, capsys):
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

    out, _ = run("send_reminders", "--today", "2026-04-23", "--json")

    assert json.loads(out)["messages"] == 3
    assert capsys.readouterr().err.count("Subject: ") == 3
