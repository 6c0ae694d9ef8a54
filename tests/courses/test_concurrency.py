"""Capacity under concurrent requests, on PostgreSQL: threads, each with its own connection."""

import threading

import pytest
from django.db import connection, connections

from courses import notices, services
from courses.models import Booking, TrainingSession
from notifications.models import ReminderItem
from tests import factories

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

REQUESTS = 40
PLACES = 12


def book_at_once(session, people):
    barrier = threading.Barrier(len(people))
    errors = []

    def book(person):
        try:
            barrier.wait()
            services.booking_create(session=session, staff=person)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=book, args=(person,)) for person in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def test_forty_requests_for_twelve_places_book_twelve_and_queue_twenty_eight(make_session, agency_a, role):
    if connection.vendor != "postgresql":
        pytest.skip("The race needs a database that serves many connections at once: run on PostgreSQL.")
    people = [
        factories.StaffMemberFactory(agency=agency_a, job_role=role, first_name=f"P{n:02d}", last_name="Race")
        for n in range(REQUESTS)
    ]
    session = make_session(capacity=PLACES)

    assert book_at_once(session, people) == []

    booked = Booking.objects.filter(session=session, status="booked")
    waiting = Booking.objects.filter(session=session, status="waitlisted").order_by("waitlist_position")
    assert booked.count() == PLACES
    assert list(waiting.values_list("waitlist_position", flat=True)) == list(range(1, REQUESTS - PLACES + 1))
    session.refresh_from_db()
    assert (session.booked_count, session.waitlist_count) == (PLACES, REQUESTS - PLACES)

    first_three = list(waiting.values_list("id", flat=True)[:3])
    for booking in list(booked[:3]):
        services.booking_cancel(booking=booking)
    offered = Booking.objects.filter(session=session, offered_at__isnull=False)
    assert sorted(offered.values_list("id", flat=True)) == sorted(first_three)
    assert set(offered.values_list("status", flat=True)) == {"booked"}
    assert list(waiting.values_list("waitlist_position", flat=True)) == list(
        range(1, REQUESTS - PLACES - 3 + 1)
    )
    assert TrainingSession.objects.get(pk=session.pk).booked_count == PLACES
    # Each of the three is told once, however often the emails are planned.
    notices.notices_plan_now()
    notices.notices_plan_now()
    told = ReminderItem.objects.filter(kind="session_offered").values_list("staff_id", flat=True)
    assert sorted(told) == sorted(offered.values_list("staff_id", flat=True))


def test_one_person_booking_twice_at_once_gets_one_live_booking(make_session, person_a):
    if connection.vendor != "postgresql":
        pytest.skip("The race needs a database that serves many connections at once: run on PostgreSQL.")
    sessions = [make_session(days=20), make_session(days=30)]
    barrier = threading.Barrier(2)
    errors = []

    def book(session):
        try:
            barrier.wait()
            services.booking_create(session=session, staff=person_a)
        except Exception as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=book, args=(s,)) for s in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert Booking.objects.filter(staff=person_a).count() == 1
    assert len(errors) == 1 and "already booked" in str(errors[0])


def test_a_session_moved_onto_another_booking_while_the_person_is_checked_is_refused(
    make_session, person_a, workshop, lead, monkeypatch
):
    """The person's checks run before the session's lock: a change of the session's times in that
    gap (from another connection) is seen under the lock, and the overlap refuses the booking."""
    if connection.vendor != "postgresql":
        pytest.skip("Needs a second connection at once: run on PostgreSQL.")
    from tests.courses.conftest import at

    other_module = factories.ModuleFactory(code="HSB-901", delivery_mode="classroom")
    factories.RequirementFactory(job_role=person_a.job_role, module=other_module)
    booked = make_session(days=20, module=other_module)
    services.booking_create(session=booked, staff=person_a)
    moving = make_session(days=40)
    checked = services._person_may_book

    def check_then_move(**kwargs):
        checked(**kwargs)
        day = booked.starts_at.date()

        def move():
            try:
                services.session_update(
                    session=moving, actor=lead, parts=[services.Part(at(day, 10), at(day, 12))]
                )
            finally:
                connections.close_all()

        mover = threading.Thread(target=move)
        mover.start()
        mover.join(timeout=60)

    monkeypatch.setattr(services, "_person_may_book", check_then_move)
    with pytest.raises(services.ValidationError, match="which overlaps this session"):
        services.booking_create(session=moving, staff=person_a)
    assert not Booking.objects.filter(session=moving).exists()
    assert TrainingSession.objects.get(pk=moving.pk).starts_at.date() == booked.starts_at.date()
