"""The training sessions of seed_demo: past delivered sessions with registers and evaluations,
upcoming sessions with bookings and a waiting list, one cancelled; a second run adds nothing."""

import pytest

from courses.models import Booking, Feedback, TrainingSession
from tests.demo.test_seed_demo import logins_file, seed  # noqa: F401
from training.models import Completion

pytestmark = pytest.mark.django_db(transaction=False)


def test_the_demo_has_sessions_in_every_state_and_runs_once():
    seed("--staff", "300", "--seed", "7")
    sessions = TrainingSession.objects.all()
    assert sessions.filter(status="delivered", register_confirmed_at__isnull=False).count() >= 1
    assert sessions.filter(status="cancelled").count() == 1
    upcoming = sessions.filter(status="scheduled")
    assert upcoming.filter(booked_count__gt=0).count() >= 3
    assert upcoming.filter(waitlist_count__gt=0).exists()
    assert Booking.objects.filter(status="attended").exists()
    assert Booking.objects.filter(status="no_show").exists()
    assert Completion.objects.filter(source="register").exists()
    delivered = sessions.filter(status="delivered")
    assert delivered.count() >= 2 and all(s.register_confirmed_at for s in delivered)
    feedback = Feedback.objects.all()
    assert feedback.count() >= 5 and feedback.exclude(comments="").exists()
    assert set(feedback.values_list("booking__status", flat=True)) == {"attended"}
    assert {s.pk for s in delivered} == set(feedback.values_list("booking__session_id", flat=True))
    for session in upcoming:
        assert session.booked_count == session.bookings.filter(status="booked").count() <= session.capacity
    before = (TrainingSession.objects.count(), Booking.objects.count())
    seed("--staff", "300", "--seed", "7")
    assert (TrainingSession.objects.count(), Booking.objects.count()) == before
