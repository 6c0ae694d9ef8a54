"""The sessions API (PRODUCT.md section 10): scoped as the pages are, the booking rules' messages
as 400s, nothing written on a refusal."""

import datetime

import icalendar
import pytest
from django.utils import timezone

from courses import services
from courses.models import Booking, TrainingSession
from tests.courses.conftest import at, make_session, people_a, person_a, person_b, role, workshop  # noqa: F401

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def test_a_lead_schedules_a_session(lead_api, workshop, agency_b):  # noqa: F811
    day = timezone.localdate() + 30 * DAY
    body = {
        "module": "HSB-202",
        "parts": [{"starts_at": at(day, 9).isoformat(), "ends_at": at(day, 16).isoformat()}],
        "venue": "Northshire House",
        "capacity": 12,
        "trainers": [{"name": "Tara", "email": "tara@example.org"}],
        "held_places": [{"agency": "agency-b", "places": 2, "until": (day - 7 * DAY).isoformat()}],
    }
    response = lead_api.post("/api/v1/sessions/", body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["module"], data["capacity"], data["booked"], data["waitlisted"], data["status"]) == (
        "HSB-202",
        12,
        0,
        0,
        "scheduled",
    )
    assert data["held_places"] == [{"agency": "agency-b", "places": 2, "until": (day - 7 * DAY).isoformat()}]
    assert TrainingSession.objects.count() == 1


def test_a_bad_session_gets_a_message_per_field_and_nothing_is_written(lead_api, workshop):  # noqa: F811
    response = lead_api.post(
        "/api/v1/sessions/", {"module": "NOPE", "parts": [], "capacity": 0}, format="json"
    )
    assert response.status_code == 400
    assert "capacity" in response.json()["errors"]
    assert not TrainingSession.objects.exists()


def test_agency_hr_cannot_schedule_change_or_cancel(hr_a_api, make_session):  # noqa: F811
    session = make_session()
    assert hr_a_api.post("/api/v1/sessions/", {}, format="json").status_code == 403
    assert (
        hr_a_api.patch(f"/api/v1/sessions/{session.pk}/", {"capacity": 3}, format="json").status_code == 403
    )
    assert hr_a_api.post(f"/api/v1/sessions/{session.pk}/cancel/", {"reason": "x"}).status_code == 403
    session.refresh_from_db()
    assert (session.capacity, session.status) == (12, "scheduled")


def test_a_lead_changes_and_cancels_a_session(lead_api, make_session, person_a):  # noqa: F811
    session = make_session()
    booking = services.booking_create(session=session, staff=person_a)
    day = timezone.localdate() + 25 * DAY
    parts = [{"starts_at": at(day, 10).isoformat(), "ends_at": at(day, 15).isoformat()}]
    response = lead_api.patch(f"/api/v1/sessions/{session.pk}/", {"parts": parts}, format="json")
    assert response.status_code == 200, response.json()
    booking.refresh_from_db()
    assert booking.sequence == 1
    refused = lead_api.post(f"/api/v1/sessions/{session.pk}/cancel/", {"reason": ""}, format="json")
    assert refused.status_code == 400 and "Give a reason" in str(refused.json())
    done = lead_api.post(f"/api/v1/sessions/{session.pk}/cancel/", {"reason": "Trainer ill"}, format="json")
    assert done.json()["status"] == "cancelled"


def test_hr_books_their_own_staff_and_the_list_shows_only_theirs(
    hr_b_api,
    lead_api,
    make_session,  # noqa: F811
    person_a,  # noqa: F811
    person_b,  # noqa: F811
):
    session = make_session(capacity=1)
    first = lead_api.post(
        f"/api/v1/sessions/{session.pk}/bookings/",
        {"agency": "agency-a", "staff_number": person_a.staff_number},
        format="json",
    )
    assert first.status_code == 201 and first.json()["status"] == "booked"
    second = hr_b_api.post(
        f"/api/v1/sessions/{session.pk}/bookings/",
        {"agency": "agency-b", "staff_number": person_b.staff_number},
        format="json",
    )
    assert second.status_code == 201
    assert (second.json()["status"], second.json()["waitlist_position"]) == ("waitlisted", 1)
    listed = hr_b_api.get(f"/api/v1/sessions/{session.pk}/bookings/").json()["results"]
    assert [row["staff_number"] for row in listed] == [person_b.staff_number]


def test_hr_cannot_book_cancel_or_download_another_agencys_staff(hr_b_api, make_session, person_a):  # noqa: F811
    session = make_session()
    response = hr_b_api.post(
        f"/api/v1/sessions/{session.pk}/bookings/",
        {"agency": "agency-a", "staff_number": person_a.staff_number},
        format="json",
    )
    assert response.status_code == 404
    assert not Booking.objects.exists()
    booking = services.booking_create(session=session, staff=person_a)
    assert hr_b_api.post(f"/api/v1/bookings/{booking.pk}/cancel/").status_code == 404
    assert hr_b_api.get(f"/api/v1/bookings/{booking.pk}/invite.ics").status_code == 404
    booking.refresh_from_db()
    assert booking.status == "booked"


def test_a_refused_booking_is_a_400_with_the_rule(lead_api, make_session, person_a):  # noqa: F811
    services.booking_create(session=make_session(days=10), staff=person_a)
    other = make_session(days=40)
    response = lead_api.post(
        f"/api/v1/sessions/{other.pk}/bookings/",
        {"agency": "agency-a", "staff_number": person_a.staff_number},
        format="json",
    )
    assert response.status_code == 400
    assert "already booked" in response.json()["errors"]["non_field_errors"][0]
    assert Booking.objects.count() == 1


def test_cancel_offers_the_place_and_the_invitation_is_withdrawn(lead_api, make_session, person_a, people_a):  # noqa: F811
    session = make_session(capacity=1)
    booking = services.booking_create(session=session, staff=person_a)
    waiting = services.booking_create(session=session, staff=people_a[0])
    invite = lead_api.get(f"/api/v1/bookings/{booking.pk}/invite.ics")
    assert icalendar.Calendar.from_ical(invite.content)["METHOD"] == "REQUEST"
    response = lead_api.post(f"/api/v1/bookings/{booking.pk}/cancel/", {"reason": "Leave"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    waiting.refresh_from_db()
    assert waiting.status == "booked"
    withdrawn = icalendar.Calendar.from_ical(
        lead_api.get(f"/api/v1/bookings/{booking.pk}/invite.ics").content
    )
    assert withdrawn["METHOD"] == "CANCEL"


def test_attendance_records_completions(lead_api, hr_a_api, make_session, person_a):  # noqa: F811
    now = timezone.now()
    session = make_session(
        parts=[services.Part(now + DAY, now + DAY + datetime.timedelta(hours=3))],
        booking_closes_at=now + datetime.timedelta(hours=1),
    )
    booking = services.booking_create(session=session, staff=person_a)
    TrainingSession.objects.filter(pk=session.pk).update(
        starts_at=now - datetime.timedelta(hours=4), ends_at=now - datetime.timedelta(hours=1)
    )
    session.parts.update(
        starts_at=now - datetime.timedelta(hours=4), ends_at=now - datetime.timedelta(hours=1)
    )
    body = {"attended": [booking.pk], "no_show": []}
    assert hr_a_api.post(f"/api/v1/sessions/{session.pk}/attendance/", body, format="json").status_code == 404
    response = lead_api.post(f"/api/v1/sessions/{session.pk}/attendance/", body, format="json")
    assert response.status_code == 200, response.json()
    assert response.json() == {"completions": 1}


def test_sessions_list_and_detail(hr_a_api, make_session):  # noqa: F811
    session = make_session()
    listed = hr_a_api.get("/api/v1/sessions/").json()
    assert [row["id"] for row in listed["results"]] == [session.pk]
    detail = hr_a_api.get(f"/api/v1/sessions/{session.pk}/").json()
    assert detail["parts"][0]["starts_at"] == timezone.localtime(session.starts_at).isoformat()
