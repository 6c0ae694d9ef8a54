"""Booking rules (PRODUCT.md section 9) through courses.services: each refusal with its message and
nothing written; the waiting list and its offers."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from courses import services
from courses.models import Booking, BookingStatus, SessionChange, TrainingSession
from tests import factories
from tests.courses.conftest import at
from training.models import DeliveryMode, Exemption

pytestmark = pytest.mark.django_db


def state():
    """Everything a refused booking must leave as it was."""
    return (
        list(Booking.objects.order_by("id").values_list("id", "status", "waitlist_position")),
        list(TrainingSession.objects.order_by("id").values_list("id", "booked_count", "waitlist_count")),
    )


def refused(message, **kwargs):
    before = state()
    with pytest.raises(ValidationError) as error:
        services.booking_create(**kwargs)
    assert message in " ".join(error.value.messages)
    assert state() == before


def test_a_free_place_is_booked_and_then_people_wait_in_order(make_session, people_a, lead):
    session = make_session(capacity=1)
    first = services.booking_create(session=session, staff=people_a[0], actor=lead)
    second = services.booking_create(session=session, staff=people_a[1], actor=lead)
    third = services.booking_create(session=session, staff=people_a[2], actor=lead)
    assert (first.status, first.waitlist_position) == ("booked", None)
    assert (second.status, second.waitlist_position) == ("waitlisted", 1)
    assert (third.status, third.waitlist_position) == ("waitlisted", 2)
    session.refresh_from_db()
    assert (session.booked_count, session.waitlist_count) == (1, 2)


def test_cancelling_a_place_offers_it_to_the_first_person_waiting_once(make_session, people_a, lead):
    session = make_session(capacity=1)
    first = services.booking_create(session=session, staff=people_a[0], actor=lead)
    second = services.booking_create(session=session, staff=people_a[1], actor=lead)
    third = services.booking_create(session=session, staff=people_a[2], actor=lead)

    cancelled = services.booking_cancel(booking=first, actor=lead, reason="Clash with court")
    assert (cancelled.status, cancelled.late_cancellation, cancelled.cancel_reason) == (
        "cancelled",
        False,
        "Clash with court",
    )
    second.refresh_from_db()
    third.refresh_from_db()
    assert (second.status, second.waitlist_position, second.offered_at is not None) == ("booked", None, True)
    assert (third.status, third.waitlist_position) == ("waitlisted", 1)
    session.refresh_from_db()
    assert (session.booked_count, session.waitlist_count) == (1, 1)
    # A second cancellation of the same booking changes nothing.
    with pytest.raises(ValidationError, match="can be cancelled"):
        services.booking_cancel(booking=first, actor=lead)
    third.refresh_from_db()
    assert third.status == "waitlisted"


def test_leaving_the_waiting_list_moves_the_people_behind_up(make_session, people_a, lead, person_b):
    session = make_session(capacity=1)
    services.booking_create(session=session, staff=person_b, actor=lead)
    second = services.booking_create(session=session, staff=people_a[0], actor=lead)
    third = services.booking_create(session=session, staff=people_a[1], actor=lead)
    services.booking_cancel(booking=second, actor=lead)
    third.refresh_from_db()
    assert (third.status, third.waitlist_position) == ("waitlisted", 1)
    session.refresh_from_db()
    assert (session.booked_count, session.waitlist_count) == (1, 1)


def test_a_cancellation_after_booking_closed_is_recorded_as_late(make_session, person_a, lead):
    session = make_session(days=5, booking_closes_at=timezone.now() + datetime.timedelta(hours=1))
    booking = services.booking_create(session=session, staff=person_a, actor=lead)
    later = timezone.now() + datetime.timedelta(hours=2)
    cancelled = services.booking_cancel(booking=booking, actor=None, by_staff=True, now=later)
    assert cancelled.late_cancellation is True
    assert cancelled.cancelled_by_staff is True


def test_booking_after_booking_closed_is_refused(make_session, person_a):
    session = make_session(days=5, booking_closes_at=timezone.now() - datetime.timedelta(hours=1))
    refused("Booking for this session closed on", session=session, staff=person_a)


def test_one_live_booking_per_person_per_module(make_session, person_a):
    first = make_session(days=20)
    second = make_session(days=30)
    services.booking_create(session=first, staff=person_a)
    refused("is already booked on HSB-202", session=second, staff=person_a)


def test_waiting_for_one_session_is_a_live_booking_too(make_session, person_a, person_b):
    full = make_session(days=20, capacity=1)
    services.booking_create(session=full, staff=person_b)
    services.booking_create(session=full, staff=person_a)
    refused("is already on the waiting list for HSB-202", session=make_session(days=30), staff=person_a)


def test_no_two_booked_sessions_that_overlap(make_session, person_a, role):
    other = factories.ModuleFactory(code="HSB-201", delivery_mode=DeliveryMode.CLASSROOM)
    factories.RequirementFactory(job_role=role, module=other)
    day = timezone.localdate() + datetime.timedelta(days=20)
    booked = make_session(parts=[services.Part(at(day, 9), at(day, 12))])
    services.booking_create(session=booked, staff=person_a)
    clashing = make_session(module=other, parts=[services.Part(at(day, 11), at(day, 15))])
    refused("which overlaps this session", session=clashing, staff=person_a)
    # An afternoon session of the same day that starts when the morning ends is fine.
    after = make_session(module=other, parts=[services.Part(at(day, 12), at(day, 15))])
    assert services.booking_create(session=after, staff=person_a).status == "booked"


def test_a_module_not_required_of_the_person_is_refused(make_session, agency_a):
    stranger = factories.StaffMemberFactory(agency=agency_a, first_name="Nia", last_name="Jones")
    refused("HSB-202 is not required of Nia Jones", session=make_session(), staff=stranger)


def test_an_exempt_person_is_refused(make_session, person_a, workshop):
    Exemption.objects.create(
        staff=person_a, module=workshop, reason="other", starts_on=datetime.date(2020, 1, 1)
    )
    refused("is exempt from HSB-202", session=make_session(), staff=person_a)


def test_a_leaver_is_refused(make_session, person_a):
    person_a.left_on = timezone.localdate() - datetime.timedelta(days=1)
    person_a.save()
    refused("has left", session=make_session(), staff=person_a)


def test_a_cancelled_session_is_refused(make_session, person_a, lead):
    session = make_session()
    services.session_cancel(session=session, actor=lead, reason="Trainer ill")
    refused("This session has been cancelled.", session=session, staff=person_a)


def test_a_started_session_is_refused(make_session, person_a):
    now = timezone.now()
    session = make_session(
        parts=[services.Part(now - datetime.timedelta(hours=1), now + datetime.timedelta(hours=2))],
        booking_closes_at=now + datetime.timedelta(hours=1),
    )
    refused("This session has already started.", session=session, staff=person_a)


def test_places_held_for_an_agency_are_kept_until_their_date(make_session, person_a, person_b, agency_b):
    until = timezone.localdate() + datetime.timedelta(days=10)
    session = make_session(capacity=1, holds=[services.Hold(agency_b, 1, until)])
    assert services.booking_create(session=session, staff=person_a).status == "waitlisted"
    assert services.booking_create(session=session, staff=person_b).status == "booked"


def test_held_places_released_after_their_date_go_to_the_waiting_list(make_session, person_a, agency_b):
    until = timezone.localdate() + datetime.timedelta(days=3)
    session = make_session(capacity=1, holds=[services.Hold(agency_b, 1, until)])
    waiting = services.booking_create(session=session, staff=person_a)
    assert waiting.status == "waitlisted"
    services.held_places_release(now=timezone.now() + datetime.timedelta(days=4))
    waiting.refresh_from_db()
    assert (waiting.status, waiting.offered_at is not None) == ("booked", True)


def test_less_capacity_than_booked_is_refused_and_more_offers_places(make_session, people_a, lead):
    session = make_session(capacity=2)
    services.booking_create(session=session, staff=people_a[0])
    services.booking_create(session=session, staff=people_a[1])
    waiting = services.booking_create(session=session, staff=people_a[2])
    with pytest.raises(ValidationError, match="2 places are booked already"):
        services.session_update(session=session, actor=lead, capacity=1)
    session.refresh_from_db()
    assert session.capacity == 2
    services.session_update(session=session, actor=lead, capacity=3)
    waiting.refresh_from_db()
    assert waiting.status == "booked"


def test_a_change_of_time_raises_every_live_invitation_sequence_once(make_session, people_a, lead):
    session = make_session(capacity=1)
    booked = services.booking_create(session=session, staff=people_a[0])
    waiting = services.booking_create(session=session, staff=people_a[1])
    day = timezone.localdate() + datetime.timedelta(days=21)
    services.session_update(session=session, actor=lead, parts=[services.Part(at(day, 10), at(day, 17))])
    services.session_update(session=session, actor=lead, notes="Bring lunch")  # not a notified change
    booked.refresh_from_db()
    waiting.refresh_from_db()
    session.refresh_from_db()
    assert (booked.sequence, waiting.sequence, session.sequence) == (1, 1, 1)
    assert list(SessionChange.objects.values_list("sequence", "what")) == [(1, "the dates and times")]
    assert session.booking_closes_at == at(day, 10) - datetime.timedelta(days=2)


def test_cancelling_a_session_cancels_every_live_booking(make_session, people_a, lead):
    session = make_session(capacity=1)
    services.booking_create(session=session, staff=people_a[0])
    services.booking_create(session=session, staff=people_a[1])
    services.session_cancel(session=session, actor=lead, reason="Trainer ill")
    assert set(Booking.objects.values_list("status", "waitlist_position")) == {
        (BookingStatus.CANCELLED, None)
    }
    session.refresh_from_db()
    assert (session.status, session.booked_count, session.waitlist_count) == ("cancelled", 0, 0)


def test_a_session_cancel_needs_a_reason(make_session, lead):
    session = make_session()
    with pytest.raises(ValidationError, match="Give a reason"):
        services.session_cancel(session=session, actor=lead, reason=" ")
    session.refresh_from_db()
    assert session.status == "scheduled"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"parts": []}, "Give at least one part"),
        ({"venue": ""}, "Give the venue"),
        ({"delivery_mode": "live_online", "venue": ""}, "Give the joining link"),
    ],
)
def test_a_session_without_what_it_needs_is_refused(workshop, fields, message):
    day = timezone.localdate() + datetime.timedelta(days=9)
    kwargs = {"parts": [services.Part(at(day, 9), at(day, 12))], "venue": "Hall", **fields}
    with pytest.raises(ValidationError, match=message):
        services.session_create(module=workshop, capacity=10, **kwargs)
    assert not TrainingSession.objects.exists()


def test_more_places_held_than_the_session_has_is_refused(workshop, agency_b):
    day = timezone.localdate() + datetime.timedelta(days=9)
    with pytest.raises(ValidationError, match="More places are held"):
        services.session_create(
            module=workshop,
            capacity=2,
            venue="Hall",
            parts=[services.Part(at(day, 9), at(day, 12))],
            holds=[services.Hold(agency_b, 3, day)],
        )
    assert not TrainingSession.objects.exists()


def test_the_beat_schedule_releases_held_places_nightly():
    from celery.schedules import crontab

    from config.celery_app import app as celery_app
    from courses import tasks  # noqa: F401 - registers the tasks, as the worker's autodiscovery does

    entry = celery_app.conf.beat_schedule["held-places-release"]
    assert entry["task"] == "courses.tasks.held_places_release_task"
    assert entry["schedule"] == crontab(hour=0, minute=20)
    assert entry["task"] in celery_app.tasks
    assert "courses.tasks.booking_notices_task" in celery_app.tasks
