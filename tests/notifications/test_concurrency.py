"""Exactly once under concurrency and faults, on PostgreSQL with real processes.

- two senders racing for the same messages (threads with their own database connections);
- a worker killed in the middle of sending;
- the broker restarted between planning and sending (the test's own redis-server, never the
  machine's shared one).
Every email is delivered, none twice.
"""

import datetime
import random
import threading

import pytest
from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

from notifications import services
from notifications.models import ReminderItem, ReminderMessage
from tests.celery_fixtures import wait_for
from tests.notifications.builders import hsb101, person, quiet_agency, role_requiring

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

PEOPLE = 12


def overdue_cohort(count=PEOPLE):
    """People whose HSB-101 was due ten days ago, each with their own address."""
    agency = quiet_agency()
    module = hsb101()
    role = role_requiring(module)
    start = timezone.localdate() - datetime.timedelta(days=100)
    return [
        person(agency, role, first_name=f"Person{n:02d}", last_name="Race", start=start) for n in range(count)
    ]


def expected_recipients(count=PEOPLE):
    return [f"person{n:02d}.race@example.org" for n in range(count)]


def test_two_senders_racing_for_the_same_messages_deliver_each_email_once(smtp_settings):
    if connection.vendor != "postgresql":
        pytest.skip("The race needs a database that serves two connections at once: run on PostgreSQL.")
    overdue_cohort()
    services.reminders_plan(day=timezone.localdate(), queue=False)
    ids = list(ReminderMessage.objects.values_list("id", flat=True))
    barrier = threading.Barrier(2)
    outcomes = []

    def sender(name):
        order = ids[:]
        random.Random(name).shuffle(order)
        barrier.wait()
        try:
            for message_id in order:
                outcome = services.message_send(message_id=message_id, claim_token=name)
                outcomes.append((name, message_id, outcome.status))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sender, args=(f"sender-{n}",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(smtp_settings.recipients()) == expected_recipients()
    sent = [outcome for outcome in outcomes if outcome[2] == "sent"]
    assert sorted(message_id for _, message_id, _ in sent) == sorted(ids)
    assert {status for _, _, status in outcomes} <= {"sent", "not_claimed"}
    assert set(ReminderMessage.objects.values_list("status", "attempts")) == {("sent", 1)}


def test_a_worker_killed_while_sending_delays_the_email_and_never_doubles_it(fault_broker):
    lab = fault_broker
    overdue_cohort()
    lab.smtp.hold()  # the first sender gets stuck after EHLO, before MAIL FROM is answered
    planned = services.reminders_plan(day=timezone.localdate(), queue=False)
    lab.publish(planned.message_ids)
    worker = lab.start_worker()
    assert lab.smtp.held.wait(timeout=90), "the worker never reached the SMTP server"
    stuck = ReminderMessage.objects.get(status="sending")

    lab.kill(worker)  # SIGKILL, worker and pool: no acknowledgement, no clean-up
    lab.smtp.release()
    lab.start_worker()
    # The other messages go; the one whose worker died stays claimed until its lease runs out.
    assert lab.smtp.wait_for_count(PEOPLE - 1, timeout=120)
    # The SMTP server counts an email before its worker records it as sent: wait for the records,
    # or the last of them would still look claimed to the sweeper below.
    wait_for(lambda: ReminderMessage.objects.filter(status="sent").count() == PEOPLE - 1, timeout=60)
    stuck.refresh_from_db()
    assert stuck.status == "sending"

    lease_over = timezone.now() + datetime.timedelta(seconds=settings.REMINDER_CLAIM_LEASE_SECONDS + 1)
    swept = services.outbox_sweep(now=lease_over, queue=False)
    assert (swept.released, swept.queued) == (1, [stuck.id])
    lab.publish(swept.queued)

    assert lab.smtp.wait_for_count(PEOPLE, timeout=120)
    assert lab.smtp.wait_for_count(PEOPLE + 1, timeout=3) is False
    assert sorted(lab.smtp.recipients()) == expected_recipients()
    stuck.refresh_from_db()
    assert (stuck.status, stuck.attempts) == ("sent", 2)
    assert not ReminderItem.objects.filter(status="pending").exists()


def test_a_broker_restarted_between_planning_and_sending_loses_no_email(fault_broker):
    lab = fault_broker
    overdue_cohort()
    planned = services.reminders_plan(day=timezone.localdate(), queue=False)
    lab.publish(planned.message_ids)
    assert ReminderMessage.objects.filter(status="pending", queued_at__isnull=False).count() == PEOPLE

    lab.redis.restart()  # every queued task is gone with it
    lab.start_worker()
    assert lab.smtp.wait_for_count(1, timeout=3) is False

    fifteen_minutes_on = timezone.now() + datetime.timedelta(minutes=16)
    swept = services.outbox_sweep(now=fifteen_minutes_on, queue=False)
    assert len(swept.queued) == PEOPLE
    lab.publish(swept.queued)

    assert lab.smtp.wait_for_count(PEOPLE, timeout=120)
    assert lab.smtp.wait_for_count(PEOPLE + 1, timeout=3) is False
    assert sorted(lab.smtp.recipients()) == expected_recipients()
    assert set(ReminderMessage.objects.values_list("status", flat=True)) == {"sent"}
