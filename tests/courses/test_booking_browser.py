"""In real headless Chromium on a phone: a staff member opens the "Book a place" link of their
overdue reminder, signs in by POST, confirms a place by POST, then cancels it; the first person on
the waiting list is offered the place."""

import re

import pytest
from django.core import mail
from django.utils import timezone

from courses import services
from courses.models import Booking
from notifications import services as outbox
from notifications.models import ReminderItem
from tests.accessibility import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SLOW_MACHINE_MS = 30_000


def test_a_staff_member_books_from_a_reminder_cancels_and_the_next_person_gets_the_place(
    live_server, browser_page, settings, make_session, person_a, people_a, isolated_cache
):
    settings.SITE_URL = live_server.url
    session = make_session(capacity=1)
    outbox.reminders_plan(day=timezone.localdate(), queue=False)
    outbox.pending_messages_send()
    [email] = [m for m in mail.outbox if m.to == [person_a.email]]
    links = re.findall(r"Book: (\S+)", email.body)
    [link] = [each for each in links if f"/sessions/{session.pk}/book/" in each]

    phone = browser_page(width=390, height=844)
    phone.set_default_timeout(SLOW_MACHINE_MS)
    phone.goto(link)
    phone.get_by_role("button", name="Continue to your record").click()
    phone.get_by_role("heading", name="Book a place").wait_for()
    assert not Booking.objects.filter(staff=person_a).exists(), "opening the link books nothing"
    assert axe_violations(phone) == []
    phone.get_by_role("button", name="Confirm my place").click()
    phone.get_by_role("heading", name="Your bookings").wait_for()
    assert Booking.objects.get(staff=person_a).status == "booked"
    assert axe_violations(phone) == []
    # The session is full now: the next person joins its waiting list.
    waiting = services.booking_create(session=session, staff=people_a[1])
    assert waiting.status == "waitlisted"

    # The person cancels their place from "Your bookings".
    phone.get_by_role("link", name=re.compile("Cancel")).click()
    phone.get_by_label("Reason").fill("On leave that week")
    phone.get_by_role("button", name="Cancel my booking").click()
    phone.get_by_text("Your booking has been cancelled.").wait_for()
    assert Booking.objects.get(staff=person_a).status == "cancelled"

    # The first person waiting is offered the place, once.
    waiting.refresh_from_db()
    assert (waiting.status, waiting.offered_at is not None) == ("booked", True)
    outbox.reminders_plan(day=timezone.localdate(), queue=False)
    outbox.reminders_plan(day=timezone.localdate(), queue=False)
    offered = ReminderItem.objects.filter(kind="session_offered").values_list("staff_id", flat=True)
    assert list(offered) == [people_a[1].pk]
