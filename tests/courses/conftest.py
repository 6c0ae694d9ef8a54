"""Sessions and bookings: a classroom module required of a job role, its people in agencies A
and B, and a session builder."""

import datetime

import pytest
from django.utils import timezone

from courses import services
from courses.models import Booking, TrainingSession
from tests import factories
from training.models import DeliveryMode


def at(day, hour, minute=0):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


@pytest.fixture
def workshop(db):
    return factories.ModuleFactory(
        code="HSB-202", title="Responding along the continuum", delivery_mode=DeliveryMode.CLASSROOM
    )


@pytest.fixture
def role(workshop):
    role = factories.JobRoleFactory(name="Children's social worker")
    factories.RequirementFactory(job_role=role, module=workshop)
    return role


@pytest.fixture
def people_a(agency_a, role):
    return [
        factories.StaffMemberFactory(
            agency=agency_a, job_role=role, first_name=f"A{n:02d}", last_name="Person"
        )
        for n in range(3)
    ]


@pytest.fixture
def person_a(staff_a, role):
    staff_a.job_role = role
    staff_a.save()
    return staff_a


@pytest.fixture
def person_b(staff_b, role):
    staff_b.job_role = role
    staff_b.save()
    return staff_b


@pytest.fixture
def make_session(workshop):
    def make(*, days=20, capacity=12, parts=None, module=None, **fields):
        day = timezone.localdate() + datetime.timedelta(days=days)
        parts = parts or [services.Part(at(day, 9, 30), at(day, 16, 30))]
        fields.setdefault("venue", "Northshire House, 1 High Street")
        return services.session_create(
            module=module or workshop,
            parts=parts,
            capacity=capacity,
            trainers=[("Tara Trainer", "tara@example.org")],
            **fields,
        )

    return make


@pytest.fixture
def delivered(workshop, people_a, person_b):
    """A two-day session that ended yesterday, with three people booked."""
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    session = TrainingSession.objects.create(
        module=workshop,
        delivery_mode="classroom",
        venue="Hall",
        capacity=10,
        booking_closes_at=at(yesterday - datetime.timedelta(days=3), 9),
        starts_at=at(yesterday - datetime.timedelta(days=1), 9),
        ends_at=at(yesterday, 16),
    )
    session.parts.create(
        starts_at=at(yesterday - datetime.timedelta(days=1), 9),
        ends_at=at(yesterday - datetime.timedelta(days=1), 16),
    )
    session.parts.create(starts_at=at(yesterday, 9), ends_at=at(yesterday, 16))
    session.trainers.create(name="Tara", email="tara@example.org")
    now = timezone.now() - datetime.timedelta(days=10)
    for person in (people_a[0], people_a[1], person_b):
        Booking.objects.create(
            session=session, staff=person, module=workshop, status="booked", created_at=now, booked_at=now
        )
    TrainingSession.objects.filter(pk=session.pk).update(booked_count=3)
    session.refresh_from_db()
    return session
