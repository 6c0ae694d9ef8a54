"""Reminders sent now (issue 13): one item per person per day through the outbox, who asked
recorded, the email lists what is outstanding, and a second request the same day adds nothing."""

import datetime

import pytest

from notifications import services
from notifications.models import ItemStatus, MessageStatus, ReminderItem, ReminderMessage
from tests.notifications.builders import D, complete, hsb101, person, quiet_agency, role_requiring

pytestmark = pytest.mark.django_db

DAY = D(2026, 4, 23)
NOW = datetime.datetime(2026, 4, 23, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture
def world():
    agency = quiet_agency()
    module = hsb101()
    role = role_requiring(module)
    return agency, module, role


def test_a_reminder_now_is_one_outbox_item_with_who_asked_and_is_sent_listing_the_modules(
    world, smtp_settings, lead
):
    agency, module, role = world
    asha = person(agency, role)  # never completed, overdue since 5 April 2020

    result = services.reminders_now_request(staff=[asha], actor=lead, day=DAY, now=NOW)

    assert (result.queued, result.already, result.unreachable) == (1, 0, 0)
    item = ReminderItem.objects.get()
    assert (item.kind, item.stage, item.staff_id, item.requested_by_id) == (
        "reminder_now",
        "now",
        asha.pk,
        lead.pk,
    )
    assert item.recipient == "asha.patel@example.org"
    assert item.message is not None
    outcome = services.message_send(message_id=item.message_id, today=DAY, now=NOW)
    assert outcome.status == "sent"
    [delivered] = smtp_settings.messages
    email = delivered["message"]
    assert (
        email["Subject"]
        == "Your HSB training: HSB-101 Understanding harmful sexual behaviour needs attention"
    )
    text = email.get_body(("plain",)).get_content()
    assert "HSB-101 Understanding harmful sexual behaviour: overdue" in text
    item.refresh_from_db()
    assert item.status == ItemStatus.SENT


def test_asking_twice_the_same_day_queues_nothing_more_and_says_so(world, lead, hr_a):
    agency, module, role = world
    asha = person(agency, role)

    services.reminders_now_request(staff=[asha], actor=lead, day=DAY, now=NOW)
    again = services.reminders_now_request(staff=[asha], actor=hr_a, day=DAY, now=NOW)

    assert (again.queued, again.already) == (0, 1)
    assert ReminderItem.objects.count() == 1
    assert ReminderItem.objects.get().requested_by_id == lead.pk
    assert services.reminders_now_preview(staff=[asha], day=DAY).already == 1
    # The next day is a new day.
    tomorrow = services.reminders_now_preview(staff=[asha], day=DAY + datetime.timedelta(days=1))
    assert tomorrow.queued == 1


def test_no_email_address_or_nothing_outstanding_gets_nothing(world, lead):
    agency, module, role = world
    unreachable = person(agency, role, first_name="Ben", email="")
    done = person(agency, role, first_name="Cara")
    complete(done, module, DAY - datetime.timedelta(days=10), today=DAY)

    result = services.reminders_now_request(staff=[unreachable, done], actor=lead, day=DAY, now=NOW)

    assert (result.queued, result.unreachable, result.nothing_outstanding) == (0, 1, 1)
    assert not ReminderItem.objects.exists()


def test_it_joins_the_open_message_of_the_day_so_the_person_gets_one_email(world, lead):
    agency, module, role = world
    asha = person(agency, role)
    services.reminders_plan(day=DAY, queue=False)
    planned = ReminderItem.objects.filter(status=ItemStatus.PENDING).get()

    services.reminders_now_request(staff=[asha], actor=lead, day=DAY, now=NOW)

    now_item = ReminderItem.objects.get(kind="reminder_now")
    assert now_item.message_id == planned.message_id
    assert ReminderMessage.objects.count() == 1


def test_after_todays_email_has_gone_it_waits_for_tomorrows(world, lead, smtp_settings):
    agency, module, role = world
    asha = person(agency, role)
    services.reminders_plan(day=DAY, queue=False)
    services.message_send(message_id=ReminderMessage.objects.get().id, today=DAY, now=NOW)

    result = services.reminders_now_request(staff=[asha], actor=lead, day=DAY, now=NOW)

    assert (result.queued, result.tomorrow) == (1, 1)
    item = ReminderItem.objects.get(kind="reminder_now")
    assert item.message_id is None and item.status == ItemStatus.PENDING
    assert ReminderMessage.objects.get().status == MessageStatus.SENT


def test_a_completion_before_sending_cancels_it(world, lead, smtp_settings):
    agency, module, role = world
    asha = person(agency, role)
    services.reminders_now_request(staff=[asha], actor=lead, day=DAY, now=NOW)
    complete(asha, module, DAY, today=DAY)

    outcome = services.message_send(message_id=ReminderMessage.objects.get().id, today=DAY, now=NOW)

    assert outcome.status == "cancelled"
    assert ReminderItem.objects.get().reason == "nothing is outstanding any more"
    assert smtp_settings.messages == []


def test_the_planner_never_plans_reminders_now(world):
    agency, module, role = world
    person(agency, role)

    services.reminders_plan(day=DAY, queue=False)

    assert not ReminderItem.objects.filter(kind="reminder_now").exists()
