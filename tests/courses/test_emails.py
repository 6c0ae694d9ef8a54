"""The booking emails through the reminder outbox (courses.reminders): each planned once per
stage, none to cancelled bookings or cancelled sessions, with calendar invitations that parse."""

import datetime

import icalendar
import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.utils import timezone

from courses import notices, services
from courses.models import Booking
from courses.reminders import SOURCE
from notifications import services as outbox
from notifications.models import ReminderItem
from tests import factories
from tests.courses.conftest import at

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def plan(day=None):
    day = day or timezone.localdate()
    return outbox.reminders_plan(day=day, queue=False, only=[SOURCE])


def send(day=None):
    day = day or timezone.localdate()
    now = timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))
    outbox.pending_messages_send(today=day, now=now)


def items(kind=None):
    rows = ReminderItem.objects.order_by("id")
    if kind:
        rows = rows.filter(kind=kind)
    return list(rows.values_list("kind", "recipient", "stage", "status"))


def invitation(message):
    [(name, content, mimetype)] = message.attachments
    assert name == "invite.ics" and mimetype.startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(content)
    [event] = calendar.walk("VEVENT")
    return calendar, event


def test_a_booking_is_confirmed_once_with_an_invitation(make_session, person_a):
    session = make_session()
    services.booking_create(session=session, staff=person_a)
    plan()
    plan()
    assert items("session_booked") == [("session_booked", person_a.email, "booked", "pending")]
    send()
    [message] = mail.outbox
    assert message.to == [person_a.email]
    assert "Your place is booked: HSB-202" in message.subject
    calendar, event = invitation(message)
    assert calendar["METHOD"] == "REQUEST"
    assert event["SEQUENCE"] == 0
    assert str(event["UID"]).startswith("booking-")
    assert event.decoded("DTSTART") == session.starts_at
    assert event["DTSTART"].params["TZID"] == "Europe/London" and calendar.walk("VTIMEZONE")
    assert "mailto:" in str(event["ORGANIZER"]) and str(event["ATTENDEE"]) == f"mailto:{person_a.email}"


def test_a_change_keeps_the_uid_raises_the_sequence_and_a_cancel_withdraws_it(make_session, person_a, lead):
    session = make_session()
    booking = services.booking_create(session=session, staff=person_a)
    plan()
    send()
    _, first = invitation(mail.outbox[0])

    day = timezone.localdate() + 21 * DAY
    services.session_update(session=session, actor=lead, parts=[services.Part(at(day, 10), at(day, 16))])
    tomorrow = timezone.localdate() + DAY
    plan(tomorrow)
    send(tomorrow)
    changed = mail.outbox[1]
    assert "Session changed" in changed.subject
    _, second = invitation(changed)
    assert second["UID"] == first["UID"] and second["SEQUENCE"] == 1
    assert second.decoded("DTSTART") == at(day, 10)

    services.booking_cancel(booking=booking, by_staff=True)
    later = tomorrow + DAY
    plan(later)
    send(later)
    cancelled = mail.outbox[2]
    calendar, third = invitation(cancelled)
    assert calendar["METHOD"] == "CANCEL"
    assert third["UID"] == first["UID"] and third["SEQUENCE"] == 2
    assert third["STATUS"] == "CANCELLED"
    assert third.decoded("DTSTART") == at(day, 10) and calendar.walk("VTIMEZONE")


def test_a_place_offered_from_the_waiting_list_is_told_once(make_session, person_a, people_a):
    session = make_session(capacity=1)
    first = services.booking_create(session=session, staff=people_a[0])
    waiting = services.booking_create(session=session, staff=person_a)
    plan()
    assert items("session_waitlisted") == [("session_waitlisted", person_a.email, "waitlisted", "pending")]
    services.booking_cancel(booking=first)
    plan()
    plan()
    assert items("session_offered") == [("session_offered", person_a.email, "offered", "pending")]
    send()
    [to_person] = [m for m in mail.outbox if m.to == [person_a.email]]
    # Waitlisted and offered on one day: one email with both, and the invitation of the place.
    assert "A place is yours" in to_person.body or "offered" in to_person.body
    waiting.refresh_from_db()
    assert waiting.status == "booked"


def test_reminders_seven_and_one_day_before_are_planned_once_each(make_session, person_a):
    session = make_session(days=20)
    services.booking_create(session=session, staff=person_a)
    session_day = timezone.localdate(session.starts_at)
    for day in (session_day - 8 * DAY, session_day - 7 * DAY, session_day - 7 * DAY, session_day - DAY):
        plan(day)
    stages = [stage for kind, _, stage, _ in items("session_reminder")]
    assert stages == ["S-7", "S-1"]


def test_no_reminder_to_a_cancelled_booking_or_a_cancelled_session(make_session, person_a, people_a, lead):
    kept = make_session(days=20)
    booking = services.booking_create(session=kept, staff=person_a)
    services.booking_cancel(booking=booking)
    dropped = make_session(days=20, capacity=3)
    services.booking_create(session=dropped, staff=people_a[0])
    services.session_cancel(session=dropped, actor=lead, reason="Trainer ill")
    session_day = timezone.localdate(kept.starts_at)
    plan(session_day - 7 * DAY)
    plan(session_day - DAY)
    assert items("session_reminder") == []
    series = ReminderItem.objects.filter(kind="session_attendees").values_list("series", flat=True)
    assert all(f"session-{dropped.pk}|" not in name for name in series)


def test_a_reminder_planned_before_a_cancellation_is_cancelled_when_sent(make_session, person_a):
    session = make_session(days=20)
    booking = services.booking_create(session=session, staff=person_a)
    session_day = timezone.localdate(session.starts_at)
    plan(session_day - DAY)
    services.booking_cancel(booking=booking, now=timezone.now())
    send(session_day - DAY)
    assert sorted((stage, status) for _, _, stage, status in items("session_reminder")) == [
        ("S-1", "cancelled"),
        ("S-7", "skipped"),
    ]


def test_trainers_get_the_attendee_list_two_days_before(make_session, person_a):
    session = make_session(days=20)
    services.booking_create(session=session, staff=person_a)
    day = timezone.localdate(session.starts_at) - 2 * DAY
    plan(day)
    plan(day)
    assert items("session_attendees") == [("session_attendees", "tara@example.org", "S-2", "pending")]
    send(day)
    [message] = [m for m in mail.outbox if m.to == ["tara@example.org"]]
    assert person_a.full_name in message.body


def test_booking_plans_its_email_at_once(make_session, person_a):
    services.booking_create(session=make_session(), staff=person_a)
    notices.notices_plan_now()
    assert [kind for kind, *_ in items()] == ["session_booked"]


def test_no_email_is_planned_for_a_person_without_an_address(make_session, agency_a, role):
    person = factories.StaffMemberFactory(agency=agency_a, job_role=role, email="")
    services.booking_create(session=make_session(), staff=person)
    plan()
    assert items() == []


# --- compliance reminders list the next sessions ------------------------------------------------


def test_an_overdue_reminder_lists_up_to_three_sessions_with_free_places(
    client, make_session, person_a, people_a
):
    sessions = [make_session(days=days) for days in (10, 20, 30, 40)]
    full = make_session(days=5, capacity=1)
    services.booking_create(session=full, staff=people_a[0])
    today = timezone.localdate()
    outbox.reminders_plan(day=today, queue=False)
    mail.outbox.clear()
    send()
    [message] = [m for m in mail.outbox if m.to == [person_a.email]]
    assert "Sessions with free places:" in message.body
    assert message.body.count("Book: ") == 3
    start = timezone.localtime(sessions[0].starts_at)
    assert f"{start.day} {start:%B %Y}" in message.body
    full_day = timezone.localtime(full.starts_at)
    assert f"{full_day:%A} {full_day.day} {full_day:%B %Y}, " not in message.body

    # The link signs the person in and opens the session's booking page; only its POST books.
    link = next(line for line in message.body.splitlines() if "Book: " in line).split("Book: ")[1]
    path = link.removeprefix(django_settings.SITE_URL)
    client.get(path)
    opened = client.post(path)
    assert opened.status_code == 302 and opened["Location"].endswith(f"/sessions/{sessions[0].pk}/book/")
    assert not Booking.objects.filter(staff=person_a).exists()
    assert client.post(opened["Location"]).status_code == 302
    assert Booking.objects.get(staff=person_a).session == sessions[0]


def test_every_link_of_one_reminder_shares_one_sign_in_link_that_goes_on_in_its_own_browser(
    client, make_session, person_a
):
    from django.test import Client

    from workforce import access
    from workforce.models import SigninLink

    first, second = make_session(days=10), make_session(days=20)
    outbox.reminders_plan(day=timezone.localdate(), queue=False)
    mail.outbox.clear()
    before = SigninLink.objects.count()
    send()
    [message] = [m for m in mail.outbox if m.to == [person_a.email]]
    assert SigninLink.objects.count() == before + 1  # one link for the whole email
    books = [line.split("Book: ")[1] for line in message.body.splitlines() if "Book: " in line]
    assert len(books) == 2 and len({link.split("?")[0] for link in books}) == 1
    record = books[0].split("?")[0]
    assert f"Open your training record: {record}\n" in message.body  # the same link

    paths = [link.removeprefix(django_settings.SITE_URL) for link in books]
    assert client.post(paths[0])["Location"].endswith(f"/sessions/{first.pk}/book/")
    # Used, in the browser that used it: straight on to the second session's page, GET or POST.
    assert client.get(paths[1])["Location"].endswith(f"/sessions/{second.pk}/book/")
    assert client.post(paths[1])["Location"].endswith(f"/sessions/{second.pk}/book/")
    # Anyone else (a forwarded email, another browser) meets the used link's page.
    stranger = Client()
    refused = stranger.post(paths[1])
    assert refused.status_code != 302
    assert "This sign-in link has been used" in refused.content.decode()
    assert access.STAFF_SESSION_KEY not in stranger.session


def test_a_reminder_counts_the_places_held_for_other_agencies(make_session, person_a, agency_b):
    until = timezone.localdate() + datetime.timedelta(days=30)
    make_session(days=10, capacity=2, holds=[services.Hold(agency_b, 2, until)])
    open_ = make_session(days=20, capacity=3, holds=[services.Hold(agency_b, 1, until)])
    outbox.reminders_plan(day=timezone.localdate(), queue=False)
    mail.outbox.clear()
    send()
    [message] = [m for m in mail.outbox if m.to == [person_a.email]]
    assert message.body.count("Book: ") == 1
    assert f"/sessions/{open_.pk}/book/" in message.body
    assert "2 places free." in message.body  # 3 less the 1 held for agency B


def test_sending_reads_the_sessions_in_a_fixed_number_of_queries(make_session, person_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from notifications.models import ReminderMessage

    def queries_to_send_one():
        outbox.reminders_plan(day=timezone.localdate(), queue=False)
        message = ReminderMessage.objects.filter(recipient=person_a.email, status="pending").get()
        with CaptureQueriesContext(connection) as captured:
            outbox.message_send(message_id=message.pk)
        ReminderMessage.objects.filter(pk=message.pk).update(status="sent")
        return len(captured)

    make_session(days=10)
    few = queries_to_send_one()
    for days in (11, 12, 13, 14, 15):
        make_session(days=days)
    ReminderItem.objects.all().delete()
    ReminderMessage.objects.all().delete()
    assert queries_to_send_one() == few


def test_a_reminder_for_a_module_without_sessions_lists_none(person_a):
    outbox.reminders_plan(day=timezone.localdate(), queue=False)
    send()
    [message] = [m for m in mail.outbox if m.to == [person_a.email]]
    assert "Sessions with free places" not in message.body


def test_the_sign_in_link_goes_nowhere_but_the_persons_own_pages(client, person_a):
    from workforce.signin import signin_url_for_staff

    link = signin_url_for_staff(person_a).removeprefix(django_settings.SITE_URL)
    response = client.post(link + "?next=https://evil.example.org/my/")
    assert response["Location"] == "/my/"


def test_invitations_carry_europe_london_with_its_vtimezone_in_summer_and_winter(make_session, person_a):
    """09:30 in July is 08:30 UTC (BST) and 09:30 in January is 09:30 UTC (GMT): the file says
    09:30 local for both, with TZID and a VTIMEZONE that clients without the zone can use."""
    from courses import invitations

    year = timezone.localdate().year + 1
    summer = make_session(
        parts=[
            services.Part(at(datetime.date(year, 7, 1), 9, 30), at(datetime.date(year, 7, 1), 16)),
            services.Part(at(datetime.date(year, 7, 8), 9, 30), at(datetime.date(year, 7, 8), 12)),
        ]
    )
    winter = make_session(
        parts=[
            services.Part(at(datetime.date(year + 1, 1, 14), 9, 30), at(datetime.date(year + 1, 1, 14), 16))
        ]
    )
    for session, utc_hour in ((summer, 8), (winter, 9)):
        booking = services.booking_create(session=session, staff=person_a)
        text = invitations.booking_invitation(booking).decode()
        assert "DTSTART;TZID=Europe/London:" in text and "T093000" in text
        calendar = icalendar.Calendar.from_ical(text)
        [zone] = calendar.walk("VTIMEZONE")
        assert zone["TZID"] == "Europe/London"
        offsets = {(c.name, str(c["TZOFFSETTO"].to_ical())) for c in zone.walk() if c.name != "VTIMEZONE"}
        assert ("DAYLIGHT", "+0100") in offsets and ("STANDARD", "+0000") in offsets
        [event] = calendar.walk("VEVENT")
        start = event.decoded("DTSTART")
        assert (start.hour, start.minute) == (9, 30) and str(start.tzinfo) == "Europe/London"
        assert start.astimezone(datetime.UTC).hour == utc_hour
        assert start == session.starts_at
        services.booking_cancel(booking=booking, by_staff=True)
    assert "RDATE" not in str(icalendar.Calendar.from_ical(text).walk("VEVENT")[0].to_ical())  # one part
    booking = services.booking_create(session=summer, staff=person_a)
    rdate = next(
        line
        for line in invitations.booking_invitation(booking).decode().splitlines()
        if "VALUE=PERIOD" in line
    )
    assert rdate.startswith("RDATE;TZID=Europe/London;VALUE=PERIOD:") and f"{year}0708T093000/" in rdate
