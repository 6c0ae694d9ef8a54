"""Reminders paused (issue 13): one switch holds every email; the outbox keeps filling; resuming
sends what was held, once. Who paused and when is recorded."""

import datetime

import pytest
from django.utils import timezone

from notifications import services
from notifications.models import (
    DigestOptOut,
    ItemStatus,
    MessageStatus,
    ReminderItem,
    ReminderMessage,
    ReminderPause,
)
from notifications.tasks import plan_reminders, send_message, sweep_outbox
from tests.notifications.builders import D, hsb101, person, quiet_agency, role_requiring

DAY = D(2026, 4, 23)
NOW = datetime.datetime(2026, 4, 23, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture
def world():
    agency = quiet_agency()
    module = hsb101()
    role = role_requiring(module)
    return agency, module, role


@pytest.mark.django_db
def test_pausing_records_who_and_when_with_history(lead):
    switch = services.reminders_pause_set(paused=True, actor=lead, now=NOW)

    assert (switch.paused, switch.changed_by, switch.changed_at) == (True, lead, NOW)
    assert services.reminders_paused()
    services.reminders_pause_set(paused=False, actor=lead, now=NOW + datetime.timedelta(hours=1))
    assert not services.reminders_paused()
    assert [row.paused for row in ReminderPause.history.order_by("history_date")] == [True, False]
    # Asking for the state it is already in changes nothing.
    services.reminders_pause_set(paused=False, actor=lead)
    assert ReminderPause.history.count() == 2


@pytest.mark.django_db
def test_while_paused_the_planner_plans_but_nothing_is_queued_claimed_or_sent(world, lead, smtp_settings):
    agency, module, role = world
    person(agency, role)
    services.reminders_pause_set(paused=True, actor=lead, now=NOW)

    result = services.reminders_plan(day=DAY, now=NOW, queue=False)

    assert result.message_ids == []
    message = ReminderMessage.objects.get()
    assert (message.status, message.queued_at) == (MessageStatus.PENDING, None)
    assert services.message_send(message_id=message.id, today=DAY, now=NOW).status == "not_claimed"
    assert services.pending_messages_send(today=DAY, now=NOW).messages == 0
    assert services.outbox_sweep(now=NOW + datetime.timedelta(hours=1), queue=False).queued == []
    assert smtp_settings.messages == []
    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.PENDING, 0)
    assert ReminderItem.objects.filter(status=ItemStatus.PENDING).count() == 1


@pytest.mark.django_db
def test_resuming_queues_every_held_message(
    world, lead, smtp_settings, monkeypatch, django_capture_on_commit_callbacks
):
    agency, module, role = world
    person(agency, role)
    person(agency, role, first_name="Ben")
    services.reminders_pause_set(paused=True, actor=lead, now=NOW)
    services.reminders_plan(day=DAY, now=NOW, queue=False)
    queued = []
    monkeypatch.setattr(services, "messages_queue", lambda ids: queued.extend(ids))

    with django_capture_on_commit_callbacks(execute=True):
        services.reminders_pause_set(paused=False, actor=lead, now=NOW)

    assert sorted(queued) == sorted(ReminderMessage.objects.values_list("id", flat=True))
    for message_id in queued:
        assert services.message_send(message_id=message_id, today=DAY, now=NOW).status == "sent"
    assert len(smtp_settings.messages) == 2


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def _no_board_report(lead):
    """In the first week of a month the lead is due the monthly board report (reports.reminders),
    which these tests are not about: the lead has switched it off."""
    DigestOptOut.objects.create(email=lead.email.lower(), kind="board_report")


def test_with_the_real_worker_a_paused_outbox_holds_and_resuming_sends_once(
    celery_worker, smtp_settings, lead
):
    _no_board_report(lead)
    agency = quiet_agency()
    role = role_requiring(hsb101())
    start = timezone.localdate() - datetime.timedelta(days=100)
    for name in ("Ann", "Bob"):
        person(agency, role, first_name=name, last_name="Jones", start=start)
    services.reminders_pause_set(paused=True, actor=lead)

    plan_reminders.delay(timezone.localdate().isoformat())
    for message in ReminderMessage.objects.all():
        send_message.delay(message.id)  # a task that reaches the worker anyway finds nothing to claim
    sweep_outbox.delay()

    assert smtp_settings.wait_for_count(1, timeout=4) is False
    services.reminders_pause_set(paused=False, actor=lead)

    assert smtp_settings.wait_for_count(2, timeout=30)
    assert sorted(smtp_settings.recipients()) == ["ann.jones@example.org", "bob.jones@example.org"]
    sweep_outbox.delay()
    assert smtp_settings.wait_for_count(3, timeout=3) is False


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_with_the_real_worker_a_reminder_now_goes_once_however_often_it_is_asked(
    celery_worker, smtp_settings, lead
):
    _no_board_report(lead)
    agency = quiet_agency()
    role = role_requiring(hsb101())
    asha = person(agency, role, start=timezone.localdate() - datetime.timedelta(days=100))

    first = services.reminders_now_request(staff=[asha], actor=lead)
    again = services.reminders_now_request(staff=[asha], actor=lead)

    assert (first.queued, again.queued, again.already) == (1, 0, 1)
    assert smtp_settings.wait_for_count(1, timeout=30)
    assert smtp_settings.recipients() == ["asha.patel@example.org"]
    sweep_outbox.delay()
    assert smtp_settings.wait_for_count(2, timeout=3) is False
