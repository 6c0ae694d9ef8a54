"""The sessions pages, booking by HR and the lead, and a staff member's own booking pages: each
scoped through workforce.access, each refusal with its message and nothing written."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from courses import services
from courses.models import Booking, TrainingSession
from tests import factories
from tests.training.records_fixtures import login, sign_in

pytestmark = pytest.mark.django_db


def detail(session):
    return reverse("courses:session_detail", kwargs={"pk": session.pk})


def month_of(session):
    return f"{timezone.localtime(session.starts_at):%Y-%m}"


def listed(code, body):
    return f'<span class="govuk-!-font-weight-bold">{code}</span>' in body


def test_the_sessions_page_lists_the_month_with_free_places(client, lead, make_session, person_a):
    session = make_session(capacity=5)
    services.booking_create(session=session, staff=person_a)
    response = login(client, lead).get(reverse("courses:session_list"), {"month": month_of(session)})
    assert response.status_code == 200
    body = response.content.decode()
    assert "HSB-202" in body and "4 of 5" in body


def test_the_sessions_page_filters_by_module_agency_and_delivery(client, lead, make_session, agency_b, role):
    online = factories.ModuleFactory(code="HSB-203", delivery_mode="live_online")
    until = timezone.localdate() + datetime.timedelta(days=10)
    session = make_session(capacity=3, holds=[services.Hold(agency_b, 2, until)])
    other = make_session(
        module=online, delivery_mode="live_online", venue="", online_link="https://meet.example.org/x"
    )
    login(client, lead)
    url = reverse("courses:session_list")
    by_module = client.get(url, {"month": month_of(session), "module": session.module_id}).content.decode()
    assert listed("HSB-202", by_module) and not listed("HSB-203", by_module)
    by_mode = client.get(url, {"month": month_of(other), "mode": "live_online"}).content.decode()
    assert listed("HSB-203", by_mode) and not listed("HSB-202", by_mode)
    for_b = client.get(url, {"month": month_of(session), "agency": "agency-b", "module": session.module_id})
    assert "3 of 3" in for_b.content.decode()
    for_anyone = client.get(url, {"month": month_of(session), "module": session.module_id})
    assert "1 of 3" in for_anyone.content.decode()


def test_outsiders_get_404_and_trainers_see_only_their_own(client, outsider, make_session):
    mine = make_session()
    login(client, outsider)
    assert client.get(reverse("courses:session_list")).status_code == 404
    assert client.get(detail(mine)).status_code == 404
    trainer = factories.UserFactory(username="tara", email="Tara@example.org")
    theirs = services.session_create(
        module=mine.module,
        parts=[
            services.Part(
                mine.starts_at + datetime.timedelta(days=3), mine.ends_at + datetime.timedelta(days=3)
            )
        ],
        capacity=4,
        venue="Hall",
        trainers=[("Sam", "sam@example.org")],
    )
    login(client, trainer)
    assert client.get(detail(mine)).status_code == 200
    assert client.get(detail(theirs)).status_code == 404
    assert client.get(reverse("courses:session_edit", kwargs={"pk": mine.pk})).status_code == 404


def test_the_lead_schedules_a_session_from_the_form(client, lead, workshop, agency_b):
    day = timezone.localdate() + datetime.timedelta(days=30)
    data = {
        "module": workshop.pk,
        "delivery_mode": "classroom",
        "parts": f"{day:%d/%m/%Y} 09:30-16:30\n{day + datetime.timedelta(days=1):%d/%m/%Y} 09:30-12:30",
        "venue": "Northshire House",
        "capacity": "16",
        "trainers": "Tara Jones <Tara@Example.org>",
        "held_places": f"Agency B: 4 until {day - datetime.timedelta(days=7):%d/%m/%Y}",
    }
    response = login(client, lead).post(reverse("courses:session_new"), data)
    session = TrainingSession.objects.get()
    assert response.status_code == 302 and response["Location"] == detail(session)
    assert session.parts.count() == 2 and session.capacity == 16
    assert list(session.trainers.values_list("email", flat=True)) == ["tara@example.org"]
    assert session.held_places.get().places == 4
    assert timezone.localtime(session.booking_closes_at).date() == day - datetime.timedelta(days=2)


def test_a_bad_session_form_says_what_is_wrong_and_keeps_what_was_typed(client, lead, workshop):
    data = {"module": workshop.pk, "delivery_mode": "classroom", "parts": "next Tuesday", "capacity": "0"}
    response = login(client, lead).post(reverse("courses:session_new"), data)
    body = response.content.decode()
    assert response.status_code == 200
    assert "write a part as 4/5/2026 09:30-16:30" in body
    assert "A session needs at least 1 place" in body
    assert "next Tuesday" in body
    assert not TrainingSession.objects.exists()


def test_agency_hr_cannot_schedule_change_or_cancel(client, hr_a, make_session):
    session = make_session()
    login(client, hr_a)
    assert client.get(reverse("courses:session_new")).status_code == 404
    assert (
        client.post(reverse("courses:session_cancel", kwargs={"pk": session.pk}), {"reason": "x"}).status_code
        == 404
    )
    session.refresh_from_db()
    assert session.status == "scheduled"


def test_the_lead_cancels_a_session_with_a_reason(client, lead, make_session, person_a):
    session = make_session()
    services.booking_create(session=session, staff=person_a)
    login(client, lead)
    url = reverse("courses:session_cancel", kwargs={"pk": session.pk})
    refused = client.post(url, {"reason": ""})
    assert "Give a reason" in refused.content.decode()
    assert client.post(url, {"reason": "Trainer ill"}).status_code == 302
    assert Booking.objects.get().status == "cancelled"


def test_agency_hr_books_their_own_staff(client, hr_a, make_session, person_a):
    session = make_session()
    response = login(client, hr_a).post(
        detail(session), {"book-agency": person_a.agency_id, "book-staff_number": person_a.staff_number}
    )
    assert response.status_code == 302
    assert Booking.objects.get().staff == person_a


def test_agency_hr_cannot_book_another_agencys_staff(client, hr_b, make_session, person_a):
    session = make_session()
    login(client, hr_b)
    response = client.post(
        detail(session), {"book-agency": person_a.agency_id, "book-staff_number": person_a.staff_number}
    )
    assert response.status_code == 200  # agency A is not a choice for HR of agency B
    assert not Booking.objects.exists()


def test_a_refused_booking_shows_the_rule_and_writes_nothing(client, lead, make_session, person_a):
    first, second = make_session(days=20), make_session(days=30)
    services.booking_create(session=first, staff=person_a)
    response = login(client, lead).post(
        detail(second), {"book-agency": person_a.agency_id, "book-staff_number": person_a.staff_number}
    )
    assert "is already booked on HSB-202" in response.content.decode()
    assert Booking.objects.count() == 1


def test_hr_of_agency_b_sees_agency_a_attendees_only_as_counts(
    client, hr_b, make_session, person_a, person_b
):
    session = make_session()
    services.booking_create(session=session, staff=person_a)
    services.booking_create(session=session, staff=person_b)
    body = login(client, hr_b).get(detail(session)).content.decode()
    assert person_b.full_name in body
    assert person_a.full_name not in body and person_a.staff_number not in body
    assert "Agency A: 1" in body


def test_hr_of_agency_b_cannot_cancel_or_download_agency_a_bookings(client, hr_b, make_session, person_a):
    booking = services.booking_create(session=make_session(), staff=person_a)
    login(client, hr_b)
    assert client.post(reverse("courses:booking_cancel", kwargs={"pk": booking.pk})).status_code == 404
    assert client.get(reverse("courses:booking_invite", kwargs={"pk": booking.pk})).status_code == 404
    booking.refresh_from_db()
    assert booking.status == "booked"


# --- a staff member's own booking pages ---------------------------------------------------------


def test_the_record_offers_book_a_place_on_a_module_with_sessions(client, make_session, person_a):
    make_session()
    sign_in(client, person_a)
    record = client.get(reverse("records:my_record", kwargs={"pk": person_a.pk})).content.decode()
    assert "Book a place" in record
    page = client.get(reverse("courses:my_sessions", kwargs={"pk": person_a.pk}))
    assert page.status_code == 200 and "HSB-202" in page.content.decode()


def test_staff_book_with_a_post_and_a_get_books_nothing(client, make_session, person_a):
    session = make_session()
    sign_in(client, person_a)
    url = reverse("courses:my_book", kwargs={"pk": person_a.pk, "session_pk": session.pk})
    assert client.get(url).status_code == 200
    assert not Booking.objects.exists()
    response = client.post(url)
    assert response.status_code == 302
    assert Booking.objects.get().staff == person_a
    bookings = client.get(reverse("courses:my_bookings", kwargs={"pk": person_a.pk})).content.decode()
    assert "Add to your calendar" in bookings


def test_staff_cannot_book_someone_else(client, make_session, person_a, people_a):
    session = make_session()
    sign_in(client, person_a)
    other = people_a[0]
    url = reverse("courses:my_book", kwargs={"pk": other.pk, "session_pk": session.pk})
    assert client.post(url).status_code == 404
    assert not Booking.objects.exists()


def test_staff_cannot_cancel_someone_elses_booking(client, make_session, person_a, people_a):
    booking = services.booking_create(session=make_session(), staff=people_a[0])
    sign_in(client, person_a)
    url = reverse("courses:my_booking_cancel", kwargs={"pk": person_a.pk, "booking_pk": booking.pk})
    assert client.post(url).status_code == 404
    booking.refresh_from_db()
    assert booking.status == "booked"


def test_staff_refused_a_booking_read_why(client, make_session, person_a):
    session = make_session(days=5, booking_closes_at=timezone.now() - datetime.timedelta(hours=1))
    sign_in(client, person_a)
    response = client.post(reverse("courses:my_book", kwargs={"pk": person_a.pk, "session_pk": session.pk}))
    assert "Booking for this session closed" in response.content.decode()
    assert not Booking.objects.exists()


def test_staff_cancel_their_booking_and_the_first_waiting_gets_the_place(
    client, make_session, person_a, people_a
):
    session = make_session(capacity=1)
    booking = services.booking_create(session=session, staff=person_a)
    waiting = services.booking_create(session=session, staff=people_a[0])
    sign_in(client, person_a)
    url = reverse("courses:my_booking_cancel", kwargs={"pk": person_a.pk, "booking_pk": booking.pk})
    assert client.post(url, {"reason": "On leave"}).status_code == 302
    booking.refresh_from_db()
    waiting.refresh_from_db()
    assert (booking.status, booking.cancelled_by_staff) == ("cancelled", True)
    assert waiting.status == "booked"


def test_the_invitation_downloads_from_the_booking(client, make_session, person_a):
    booking = services.booking_create(session=make_session(), staff=person_a)
    sign_in(client, person_a)
    response = client.get(
        reverse("courses:my_booking_invite", kwargs={"pk": person_a.pk, "booking_pk": booking.pk})
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert b"METHOD:REQUEST" in response.content


def test_the_session_form_escapes_its_example_address(client, lead):
    body = login(client, lead).get(reverse("courses:session_new")).content.decode()
    assert "Tara Jones &lt;tara@example.org&gt;" in body
