"""End to end through a real Celery worker on the configured broker and a real SMTP server."""

import datetime

import pytest
from django.db import OperationalError
from django.utils import timezone

from notifications import services
from notifications.models import ReminderItem, ReminderMessage
from notifications.selectors import outbox as selectors
from notifications.tasks import plan_reminders, sweep_outbox
from tests.celery_fixtures import wait_for
from tests.notifications.builders import hsb101, person, quiet_agency, role_requiring

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def overdue_people():
    """Three people whose HSB-101 was due ten days ago (so the test needs no time travel: the
    worker re-checks against the real today)."""
    agency = quiet_agency()
    module = hsb101()
    role = role_requiring(module)
    start = timezone.localdate() - datetime.timedelta(days=100)
    return [
        person(agency, role, first_name=name, last_name="Jones", start=start)
        for name in ("Ann", "Bob", "Cat")
    ]


def all_messages(status):
    """A predicate for wait_for. Tests wait on the SMTP server first (no database) and ask the
    database only then: the SQLite in-memory test database locks whole tables, so a test polling it
    while the worker thread writes would make the worker's write fail."""

    def check():
        try:
            return (
                not ReminderMessage.objects.exclude(status=status).exists()
                and ReminderMessage.objects.exists()
            )
        except OperationalError:
            return False

    check.__name__ = f"every message {status}"
    return check


def settle(status):
    wait_for(all_messages(status), timeout=15, interval=0.25)


def test_the_daily_task_plans_and_the_worker_sends_each_email_once(
    celery_worker, smtp_settings, overdue_people
):
    plan_reminders.delay(timezone.localdate().isoformat())

    assert smtp_settings.wait_for_count(3, timeout=30)
    settle("sent")
    assert sorted(smtp_settings.recipients()) == [
        "ann.jones@example.org",
        "bob.jones@example.org",
        "cat.jones@example.org",
    ]
    assert ReminderItem.objects.filter(status="sent").count() == 3
    # Planning again (a second beat, a retried task) sends nothing more.
    plan_reminders.delay(timezone.localdate().isoformat())
    sweep_outbox.delay()
    assert smtp_settings.wait_for_count(4, timeout=3) is False
    assert len(smtp_settings.messages) == 3


def test_a_4xx_answer_is_retried_with_backoff_and_the_email_goes_once(
    celery_worker, smtp_settings, overdue_people
):
    smtp_settings.answer_next("451 4.3.0 Greylisted, try again later")

    services.reminders_plan(day=timezone.localdate())

    assert smtp_settings.wait_for_count(3, timeout=30)
    settle("sent")
    assert len(smtp_settings.messages) == 3
    assert sorted(smtp_settings.recipients()) == sorted(set(smtp_settings.recipients()))
    assert smtp_settings.data_commands == 4
    retried = ReminderMessage.objects.get(attempts=2)
    assert retried.last_error == ""
    assert ReminderItem.objects.get(message=retried, status="sent").attempts == 2
    assert sorted(ReminderMessage.objects.values_list("attempts", flat=True)) == [1, 1, 2]


def test_a_5xx_answer_fails_the_message_visibly(celery_worker, smtp_settings, overdue_people):
    smtp_settings.always = "550 5.1.1 Mailbox unavailable"

    services.reminders_plan(day=timezone.localdate())

    wait_for(lambda: smtp_settings.data_commands >= 3, timeout=30)
    settle("failed")
    failed = list(selectors.outbox_items(status="failed"))
    assert len(failed) == 3
    assert {item.last_error for item in failed} == {"550 5.1.1 Mailbox unavailable"}
    assert smtp_settings.messages == []


def test_the_sweeper_task_recovers_a_message_whose_task_was_lost(
    celery_worker, smtp_settings, overdue_people
):
    services.reminders_plan(day=timezone.localdate(), queue=False)  # planned, but the queueing was lost
    assert smtp_settings.wait_for_count(1, timeout=1) is False

    old = timezone.now() - datetime.timedelta(minutes=16)
    ReminderMessage.objects.update(queued_at=old)
    sweep_outbox.delay()

    assert smtp_settings.wait_for_count(3, timeout=30)
    settle("sent")
    assert len(smtp_settings.messages) == 3
