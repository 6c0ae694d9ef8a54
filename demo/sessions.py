"""Demo data for training sessions: past delivered sessions with confirmed registers and
evaluations (most attendees' feedback, some with a written answer), upcoming sessions with
bookings (one full, with a waiting list), and one cancelled session.

`seed_sessions_demo` is called at the end of seed_demo with demo staff. It runs once: when any
session exists it changes nothing. Bookings go through courses.services, so every rule applies
and the booking emails are planned as they would be; the past sessions' bookings are written
directly (a past session can no longer be booked) and their registers confirmed through the
service, which records the completions.
"""

import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone

from courses import services
from courses.models import Booking, BookingStatus, TrainingSession
from training.compliance import Status
from training.models import Module
from training.selectors.engine import compliance_pairs
from training.services import completion_check
from workforce.models import Agency

DAY = datetime.timedelta(days=1)
VENUE = "Northshire House, 1 Market Street, Northshire NS1 2AB.\nTraining room 2, second floor."
LINK = "https://meet.example.org/northshire-hsb"
TRAINERS = [("Tara Jones", "tara.jones@northshire-scp.example.org")]
# (module, days from today, capacity, people to book); a negative day is a past session.
PLAN = [
    ("HSB-201", -40, 16, 12),
    ("HSB-202", -20, 20, 14),
    ("HSB-201", 12, 16, 9),
    ("HSB-202", 18, 8, 11),  # full: three on the waiting list
    ("HSB-203", 9, 30, 10),
    ("HSB-301", 30, 12, 5),
    ("HSB-202", 45, 20, 0),
    ("HSB-204", 25, 25, 6),
]
CANCELLED = ("HSB-303", 21, 12, 3)


def _at(day, hour, minute=0):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def _parts(module, day):
    """A course's days: a 3-day course is three parts, a half day one morning."""
    days = {"3 days": 3, "2 days": 2}.get(module.duration, 1)
    end = (12, 30) if module.duration in ("3 hours", "half a day", "90 minutes") else (16, 30)
    return [services.Part(_at(day + n * DAY, 9, 30), _at(day + n * DAY, *end)) for n in range(days)]


def _people_needing(module, today, count, taken):
    pairs = compliance_pairs(on=today)
    wanted = [
        pair.staff_id
        for pair in pairs
        if pair.module.id == module.pk and pair.status in (Status.OVERDUE, Status.DUE, Status.EXPIRED)
    ]
    from workforce.models import StaffMember

    ids = [pk for pk in sorted(set(wanted)) if pk not in taken][: count * 2]
    return list(StaffMember.objects.filter(pk__in=ids).select_related("agency").order_by("pk"))


def _session(module, day, capacity, holds=()):
    mode = module.delivery_mode if module.delivery_mode != "e_learning" else "classroom"
    return services.session_create(
        module=module,
        parts=_parts(module, day),
        capacity=capacity,
        delivery_mode=mode,
        venue="" if mode == "live_online" else VENUE,
        online_link=LINK if mode == "live_online" else "",
        trainers=TRAINERS,
        holds=holds,
    )


def _book(session, people, count):
    booked = 0
    for person in people:
        if booked >= count:
            break
        try:
            services.booking_create(session=session, staff=person)
        except ValidationError:
            continue
        booked += 1
    return booked


def _deliver(session, people, count, today):
    """A past session: its bookings written directly, then its register confirmed (one no-show)."""
    now = timezone.now()
    marked = []
    for person in people[:count]:
        marked.append(
            Booking.objects.create(
                session=session,
                staff=person,
                module=session.module,
                status=BookingStatus.BOOKED,
                created_at=session.starts_at - 14 * DAY,
                booked_at=session.starts_at - 14 * DAY,
            )
        )
    TrainingSession.objects.filter(pk=session.pk).update(booked_count=len(marked))
    session.refresh_from_db()
    # Someone whose completion would clash with their history (a leaver, a completion that day)
    # is marked a no-show, so that the register is always confirmed.
    completed_on = timezone.localdate(session.ends_at)
    attended, no_show = [], [marked[0]] if marked else []
    for booking in marked[1:]:
        try:
            completion_check(
                staff=booking.staff, module=session.module, completed_on=completed_on, today=today
            )
        except ValidationError:
            no_show.append(booking)
        else:
            attended.append(booking)
    services.register_confirm(
        session=session,
        attended=[b.pk for b in attended],
        no_show=[b.pk for b in no_show],
        today=today,
        now=now,
    )
    return _evaluate(attended, now=now)


COMMENTS = [
    "The case studies made the continuum real. More time on them, please.",
    "Useful to hear how the police and schools each respond. The AIM section went quickly.",
    "I feel much clearer on when to refer. The room was cold.",
    "Good session; I would like a follow-up on working with families.",
]


def _evaluate(attended, *, now):
    """Feedback from three in four attendees, scores varied, every other one with a comment."""
    given = 0
    for index, booking in enumerate(attended):
        if index % 4 == 3:
            continue
        before = 1 + index % 3
        services.feedback_record(
            booking=booking,
            confidence_before=before,
            confidence_after=min(5, before + 1 + index % 2),
            usefulness=3 + index % 3,
            comments=COMMENTS[index % len(COMMENTS)] if index % 2 == 0 else "",
            now=now,
        )
        given += 1
    return given


def seed_sessions_demo(*, today):
    if TrainingSession.objects.exists():
        return {"sessions": 0, "bookings": 0, "feedback": 0}
    modules = {module.code: module for module in Module.objects.filter(code__startswith="HSB-")}
    taken = set()
    made = feedback = 0
    police = Agency.objects.filter(slug="northshire-police").first()
    for code, days, capacity, count in PLAN:
        module = modules.get(code)
        if module is None:
            continue
        day = today + days * DAY
        holds = [services.Hold(police, 2, today + 7 * DAY)] if police and code == "HSB-203" else []
        session = _session(module, day, capacity, holds)
        made += 1
        people = _people_needing(module, today, count, taken)
        taken.update(person.pk for person in people[:count])
        if days < 0:
            feedback += _deliver(session, people, count, today)
        else:
            _book(session, people, count)
    code, days, capacity, count = CANCELLED
    if code in modules:
        session = _session(modules[code], today + days * DAY, capacity)
        made += 1
        _book(session, _people_needing(modules[code], today, count, taken), count)
        services.session_cancel(
            session=session, actor=None, reason="The trainer is unwell; a new date follows."
        )
    return {"sessions": made, "bookings": Booking.objects.count(), "feedback": feedback}
