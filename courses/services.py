"""Every write to sessions and bookings: one function per change of state.

Concurrency: every service that changes who holds a place locks the session's row first
(SELECT ... FOR UPDATE), so bookings, cancellations and offers of one session run one after
another; the session's `booked_count` is checked against its capacity by a database constraint
as well. A booking also locks the person's row, so one person's two requests at once cannot both
pass the "one live booking per module" and "no overlap" checks (the first is also a constraint).
Locks are always taken in the order person, then session.
"""

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F
from django.utils import timezone
from django.utils.formats import date_format

from training.compliance import Status
from training.models import CompletionSource
from training.selectors.records import person_pairs
from training.services import completion_check, completion_record
from workforce.models import StaffMember
from workforce.rules import has_left
from workforce.services import acting_user

from . import rules
from .models import (
    LIVE_STATUSES,
    Booking,
    BookingStatus,
    Feedback,
    HeldPlaces,
    SessionChange,
    SessionPart,
    SessionStatus,
    Trainer,
    TrainingSession,
)

SESSION_FIELDS = ("module", "delivery_mode", "venue", "online_link", "capacity", "booking_closes_at", "notes")
# Changes that booked people hear about, with an updated calendar invitation.
NOTIFIED_FIELDS = ("venue", "online_link")


@dataclass(frozen=True)
class Part:
    starts_at: datetime.datetime
    ends_at: datetime.datetime


@dataclass(frozen=True)
class Hold:
    agency: object
    places: int
    until: datetime.date


def _notify(event, **ids):
    """Tell the people concerned after the transaction commits (courses.notices plans the emails)."""
    from .tasks import booking_notices_task

    transaction.on_commit(lambda: booking_notices_task.delay(event=event, **ids))


def _long(moment):
    return date_format(timezone.localtime(moment), "j F Y, H:i")


# ---------------------------------------------------------------------------------------------
# Sessions
# ---------------------------------------------------------------------------------------------


def _check_parts(parts):
    if not parts:
        raise ValidationError({"parts": "Give at least one part, with its start and end."})
    for part in parts:
        if part.ends_at <= part.starts_at:
            raise ValidationError({"parts": "Each part must end after it starts."})
    ordered = sorted(parts, key=lambda part: part.starts_at)
    for earlier, later in zip(ordered, ordered[1:], strict=False):
        if rules.overlaps(earlier.starts_at, earlier.ends_at, later.starts_at, later.ends_at):
            raise ValidationError({"parts": "Two parts of the session overlap."})
    return ordered


def _check_holds(holds, capacity):
    if sum(hold.places for hold in holds) > capacity:
        raise ValidationError({"held_places": "More places are held for agencies than the session has."})
    agencies = [hold.agency.pk for hold in holds]
    if len(agencies) != len(set(agencies)):
        raise ValidationError({"held_places": "Hold places for each agency once."})


def _check_place(session):
    if session.delivery_mode == "live_online":
        if not session.online_link:
            raise ValidationError({"online_link": "Give the joining link of a live online session."})
    elif not session.venue.strip():
        raise ValidationError({"venue": "Give the venue's address and directions."})


def _write_parts(session, parts):
    session.parts.all().delete()
    SessionPart.objects.bulk_create(
        [SessionPart(session=session, starts_at=part.starts_at, ends_at=part.ends_at) for part in parts]
    )


def _write_trainers(session, trainers):
    session.trainers.all().delete()
    Trainer.objects.bulk_create(
        [
            Trainer(session=session, name=name.strip(), email=email.strip().lower())
            for name, email in trainers
            if name.strip() or email.strip()
        ]
    )


def _write_holds(session, holds):
    session.held_places.all().delete()
    HeldPlaces.objects.bulk_create(
        [HeldPlaces(session=session, agency=h.agency, places=h.places, until=h.until) for h in holds]
    )


def session_create(
    *,
    module,
    parts,
    capacity,
    delivery_mode=None,
    venue="",
    online_link="",
    trainers=(),
    booking_closes_at=None,
    holds=(),
    notes="",
    actor=None,
):
    """Schedule a session of `module` in `parts` (Part: start and end, aware datetimes)."""
    parts = _check_parts(list(parts))
    holds = list(holds)
    session = TrainingSession(
        module=module,
        delivery_mode=delivery_mode or module.delivery_mode,
        venue=venue or "",
        online_link=online_link or "",
        capacity=capacity,
        booking_closes_at=booking_closes_at or rules.default_booking_close(parts[0].starts_at),
        notes=notes or "",
        starts_at=parts[0].starts_at,
        ends_at=max(part.ends_at for part in parts),
        created_by=acting_user(actor),
    )
    if module.delivery_mode == "e_learning" and delivery_mode is None:
        raise ValidationError({"delivery_mode": "Choose how the session is delivered."})
    session.full_clean()
    _check_place(session)
    _check_holds(holds, capacity)
    session._history_user = acting_user(actor)
    with transaction.atomic():
        session.save()
        _write_parts(session, parts)
        _write_trainers(session, trainers)
        _write_holds(session, holds)
    return session


def _locked(session):
    """The session's row, locked; its module is read with it but not locked (`of`), so sessions
    of one module do not queue behind each other."""
    return TrainingSession.objects.select_for_update(of=("self",)).select_related("module").get(pk=session.pk)


def session_update(*, session, actor=None, parts=None, trainers=None, holds=None, now=None, **changes):
    """Change a session. A change of time, venue or joining link raises the SEQUENCE of every live
    booking's invitation and tells them; more capacity offers the new places to the waiting list;
    less than the places already booked is refused."""
    now = now or timezone.now()
    unknown = set(changes) - set(SESSION_FIELDS)
    if unknown:
        raise TypeError(f"Unknown session fields: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        locked = _locked(session)
        if locked.status != SessionStatus.SCHEDULED:
            raise ValidationError("Only a scheduled session can be changed.")
        before_parts = [(p.starts_at, p.ends_at) for p in locked.parts.all()]
        notified = any(name in changes and changes[name] != getattr(locked, name) for name in NOTIFIED_FIELDS)
        for name, value in changes.items():
            setattr(locked, name, value)
        if parts is not None:
            parts = _check_parts(list(parts))
            notified = notified or [(p.starts_at, p.ends_at) for p in parts] != before_parts
            locked.starts_at = parts[0].starts_at
            locked.ends_at = max(part.ends_at for part in parts)
            if "booking_closes_at" not in changes:
                locked.booking_closes_at = rules.default_booking_close(locked.starts_at)
        if locked.capacity < locked.booked_count:
            raise ValidationError(
                {"capacity": f"{locked.booked_count} places are booked already: the capacity cannot be less."}
            )
        locked.full_clean()
        _check_place(locked)
        if holds is not None:
            _check_holds(list(holds), locked.capacity)
        if notified:
            locked.sequence += 1
        locked._history_user = acting_user(actor)
        locked.save()
        locked.refresh_from_db()
        if parts is not None:
            _write_parts(locked, parts)
        if trainers is not None:
            _write_trainers(locked, trainers)
        if holds is not None:
            _write_holds(locked, holds)
        if notified:
            locked.bookings.filter(status__in=LIVE_STATUSES).update(sequence=F("sequence") + 1)
            SessionChange.objects.create(
                session=locked, sequence=locked.sequence, changed_at=now, what=_what_changed(changes, parts)
            )
            _notify("changed", session_id=locked.pk)
        _offer_places(locked, now=now)
    return locked


def _what_changed(changes, parts):
    words = []
    if parts is not None:
        words.append("the dates and times")
    if "venue" in changes:
        words.append("the venue")
    if "online_link" in changes:
        words.append("the joining link")
    return ", ".join(words) or "the details"


def session_cancel(*, session, actor, reason, now=None):
    """Cancel a session: every live booking is cancelled with it, and each person is told (their
    invitation is withdrawn with METHOD:CANCEL)."""
    now = now or timezone.now()
    if not (reason or "").strip():
        raise ValidationError({"reason": "Give a reason: the people booked are told it."})
    with transaction.atomic():
        locked = _locked(session)
        if locked.status != SessionStatus.SCHEDULED:
            raise ValidationError("Only a scheduled session can be cancelled.")
        booking_ids = list(locked.bookings.filter(status__in=LIVE_STATUSES).values_list("id", flat=True))
        Booking.objects.filter(id__in=booking_ids).update(
            status=BookingStatus.CANCELLED,
            waitlist_position=None,
            cancelled_at=now,
            cancelled_by=acting_user(actor),
            cancel_reason=f"The session was cancelled: {reason.strip()}",
            sequence=F("sequence") + 1,
        )
        locked.status = SessionStatus.CANCELLED
        locked.cancelled_at = now
        locked.cancelled_reason = reason.strip()
        locked.booked_count = 0
        locked.waitlist_count = 0
        locked.sequence += 1
        locked._history_user = acting_user(actor)
        locked.save()
        locked.refresh_from_db()
        for booking_id in booking_ids:
            _notify("cancelled", booking_id=booking_id)
    return locked


# ---------------------------------------------------------------------------------------------
# Bookings
# ---------------------------------------------------------------------------------------------


def _agency_booked(session):
    rows = (
        session.bookings.filter(status=BookingStatus.BOOKED)
        .values("staff__agency_id")
        .annotate(n=Count("id"))
        .values_list("staff__agency_id", "n")
    )
    return dict(rows)


def places_for(session, *, agency_id, today):
    """Places a person of `agency_id` may take on `session` now (holds for other agencies kept)."""
    holds = list(session.held_places.order_by().values_list("agency_id", "places", "until"))
    return rules.free_places(
        capacity=session.capacity,
        booked=session.booked_count,
        holds=holds,
        booked_by_agency=_agency_booked(session) if holds else {},
        agency_id=agency_id,
        today=today,
    )


def _clashing(staff, session, *, exclude_session_ids=()):
    """The person's booked sessions that overlap `session`."""
    mine = [(part.starts_at, part.ends_at) for part in session.parts.all()]
    others = (
        SessionPart.objects.filter(
            session__bookings__staff=staff,
            session__bookings__status=BookingStatus.BOOKED,
            starts_at__lt=session.ends_at,
            ends_at__gt=session.starts_at,
        )
        .exclude(session__in=[session.pk, *exclude_session_ids])
        .select_related("session__module")
    )
    return {part.session for part in others if rules.parts_overlap(mine, [(part.starts_at, part.ends_at)])}


def _session_open(session, *, now):
    """The refusals that depend on the session's own state (checked again under its lock)."""
    if session.status == SessionStatus.CANCELLED:
        raise ValidationError("This session has been cancelled.")
    if session.status != SessionStatus.SCHEDULED or session.starts_at <= now:
        raise ValidationError("This session has already started.")
    if now > session.booking_closes_at:
        raise ValidationError(f"Booking for this session closed on {_long(session.booking_closes_at)}.")


def _person_may_book(*, session, staff, today):
    """The refusals that depend on the person: required, not exempt, not left, no live booking for
    the module, no overlapping booked session. Only the person's own bookings change these, and
    those are written under the person's row lock, which the caller holds."""
    if has_left(left_on=staff.left_on, on=today):
        raise ValidationError(f"{staff.full_name} has left {staff.agency}.")
    pair = next((p for p in person_pairs(staff=staff, today=today) if p.module.id == session.module_id), None)
    if pair is None:
        raise ValidationError(f"{session.module.code} is not required of {staff.full_name}.")
    if pair.status == Status.EXEMPT:
        raise ValidationError(f"{staff.full_name} is exempt from {session.module.code}.")
    live = Booking.objects.filter(staff=staff, module=session.module_id, status__in=LIVE_STATUSES)
    existing = live.select_related("session").first()
    if existing is not None:
        word = "booked on" if existing.status == BookingStatus.BOOKED else "on the waiting list for"
        raise ValidationError(
            f"{staff.full_name} is already {word} {session.module.code} on "
            f"{_long(existing.session.starts_at)}. Cancel that booking first."
        )
    _check_no_clash(staff, session)


def _check_no_clash(staff, session):
    clash = _clashing(staff, session)
    if clash:
        other = min(clash, key=lambda s: s.starts_at)
        raise ValidationError(
            f"{staff.full_name} is booked on {other.module.code} on {_long(other.starts_at)}, "
            "which overlaps this session."
        )


def booking_create(*, session, staff, actor=None, now=None, today=None):
    """Book `staff` on `session`: a place when one is free for their agency, else the next
    position on the waiting list. Refused (ValidationError, nothing written) by every rule of
    PRODUCT.md section 9; the caller has checked that `actor` may book for `staff`.

    The session's row lock is held as briefly as can be, since every booking of the session
    queues behind it: the person's checks (the compliance engine for one person, their bookings
    and overlaps) run first, under the person's lock only; under the session's lock come its own
    state, its free places, the insert and the count. A change of the session's times meanwhile
    (its `sequence` moved) has the overlaps checked again under the lock. The emails are queued
    once the transaction commits."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    with transaction.atomic():
        StaffMember.objects.select_for_update().filter(pk=staff.pk).first()
        # The caller's session, as read: a stale one only costs the overlaps again under the lock.
        _session_open(session, now=now)
        _person_may_book(session=session, staff=staff, today=today)
        locked = _locked(session)
        _session_open(locked, now=now)
        if locked.sequence != session.sequence:
            _check_no_clash(staff, locked)
        booking = Booking(
            session=locked, staff=staff, module=locked.module, booked_by=acting_user(actor), created_at=now
        )
        if places_for(locked, agency_id=staff.agency_id, today=today) > 0:
            booking.status = BookingStatus.BOOKED
            booking.booked_at = now
            counts = {"booked_count": F("booked_count") + 1}
        else:
            booking.status = BookingStatus.WAITLISTED
            booking.waitlist_position = locked.waitlist_count + 1
            booking.waitlisted_at = now
            counts = {"waitlist_count": F("waitlist_count") + 1}
        booking._history_user = acting_user(actor)
        try:
            with transaction.atomic():
                booking.save()
        except IntegrityError as error:  # the constraint behind the check above, under a race
            raise ValidationError(f"{staff.full_name} already has a live booking for this module.") from error
        TrainingSession.objects.filter(pk=locked.pk).update(**counts)
        _notify("booked" if booking.status == BookingStatus.BOOKED else "waitlisted", booking_id=booking.pk)
    return booking


def booking_cancel(*, booking, actor=None, by_staff=False, reason="", now=None, today=None):
    """Cancel a live booking. After booking closed it is recorded as a late cancellation. A booked
    place that frees is offered at once to the first person waiting (courses.services._offer_places)."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    with transaction.atomic():
        locked = _locked(booking.session)
        current = Booking.objects.select_for_update().get(pk=booking.pk)
        if current.status not in LIVE_STATUSES:
            raise ValidationError("Only a booking or a place on the waiting list can be cancelled.")
        if locked.starts_at <= now:
            raise ValidationError("This session has already started: it can no longer be cancelled.")
        was = current.status
        position = current.waitlist_position
        current.status = BookingStatus.CANCELLED
        current.waitlist_position = None
        current.cancelled_at = now
        current.cancelled_by = acting_user(actor)
        current.cancelled_by_staff = by_staff
        current.cancel_reason = (reason or "").strip()[:300]
        current.late_cancellation = was == BookingStatus.BOOKED and rules.is_late_cancellation(
            booking_closes_at=locked.booking_closes_at, now=now
        )
        current.sequence += 1
        current._history_user = acting_user(actor)
        current.save()
        current.refresh_from_db()
        if was == BookingStatus.BOOKED:
            TrainingSession.objects.filter(pk=locked.pk).update(booked_count=F("booked_count") - 1)
        else:
            _close_gap(locked, position)
        locked.refresh_from_db()
        _notify("cancelled", booking_id=current.pk)
        _offer_places(locked, now=now, today=today)
    return current


def _close_gap(session, position):
    """Move everyone behind `position` on the waiting list up one place."""
    session.bookings.filter(status=BookingStatus.WAITLISTED, waitlist_position__gt=position).update(
        waitlist_position=F("waitlist_position") - 1
    )
    TrainingSession.objects.filter(pk=session.pk).update(waitlist_count=F("waitlist_count") - 1)


def _offer_places(session, *, now, today=None):
    """Offer every place free now to the first people waiting, in order: each is moved to booked
    and told once. The caller holds the session's lock. Someone now booked on an overlapping
    session keeps their position and the place goes to the next person."""
    today = today or timezone.localdate(now)
    if session.status != SessionStatus.SCHEDULED or session.starts_at <= now:
        return []
    offered = []
    waiting = list(session.bookings.filter(status=BookingStatus.WAITLISTED).select_related("staff"))
    waiting.sort(key=lambda booking: booking.waitlist_position)
    for booking in waiting:
        session.refresh_from_db(fields=["booked_count", "waitlist_count", "capacity"])
        if places_for(session, agency_id=booking.staff.agency_id, today=today) <= 0:
            if places_for(session, agency_id=None, today=None) <= 0:
                break
            continue  # the free place is held for another agency
        if _clashing(booking.staff, session):
            continue
        position = booking.waitlist_position
        Booking.objects.filter(pk=booking.pk, status=BookingStatus.WAITLISTED).update(
            status=BookingStatus.BOOKED,
            waitlist_position=None,
            booked_at=now,
            offered_at=now,
            sequence=F("sequence") + 1,
        )
        TrainingSession.objects.filter(pk=session.pk).update(booked_count=F("booked_count") + 1)
        _close_gap(session, position)
        offered.append(booking.pk)
        _notify("offered", booking_id=booking.pk)
    return offered


def session_offer_places(*, session, now=None):
    """Offer places freed by holds that ran out (the daily sweep) or by more capacity."""
    now = now or timezone.now()
    with transaction.atomic():
        return _offer_places(_locked(session), now=now)


def held_places_release(*, now=None):
    """The daily run after holds end: their places go to the waiting lists."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    sessions = TrainingSession.objects.filter(
        status=SessionStatus.SCHEDULED, starts_at__gt=now, waitlist_count__gt=0, held_places__until__lt=today
    ).distinct()
    return {session.pk: session_offer_places(session=session, now=now) for session in sessions}


# ---------------------------------------------------------------------------------------------
# The attendance register
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegisterResult:
    completions: int
    attended: int
    no_show: int


def register_confirm(*, session, attended, no_show, walk_ins=(), actor=None, today=None, now=None):
    """Confirm a session's register: `attended` and `no_show` are booked bookings' ids, `walk_ins`
    staff who came without one. Everyone who attended gets a completion (source register,
    completed on the last part's date) through training.services.completion_record, all in one
    transaction: any refusal writes nothing."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    attended, no_show = set(attended), set(no_show)
    if attended & no_show:
        raise ValidationError("A booking cannot be both attended and a no-show.")
    with transaction.atomic():
        locked = _locked(session)
        if locked.status == SessionStatus.CANCELLED:
            raise ValidationError("This session was cancelled: it has no register.")
        if locked.register_confirmed_at is not None:
            raise ValidationError("This register has been confirmed already.")
        if timezone.localdate(locked.starts_at) > today:
            raise ValidationError("The register can be taken once the session has started.")
        booked = {
            b.pk: b for b in locked.bookings.filter(status=BookingStatus.BOOKED).select_related("staff")
        }
        unknown = (attended | no_show) - set(booked)
        if unknown:
            raise ValidationError("Only people booked on this session can be marked on its register.")
        unmarked = set(booked) - attended - no_show
        if unmarked:
            raise ValidationError(f"Mark everyone booked: {len(unmarked)} not marked yet.")
        completed_on = timezone.localdate(locked.ends_at)
        walk_ins = [
            person
            for person in dict.fromkeys(walk_ins)
            if person.pk not in {b.staff_id for b in booked.values()}
        ]
        people = [booked[pk].staff for pk in sorted(attended)] + walk_ins
        problems = []
        for person in people:
            try:
                completion_check(staff=person, module=locked.module, completed_on=completed_on, today=today)
            except ValidationError as error:
                problems += [f"{person.full_name}: {m}" for m in error.messages]
        if problems:
            raise ValidationError(problems)
        Booking.objects.filter(pk__in=attended).update(status=BookingStatus.ATTENDED)
        Booking.objects.filter(pk__in=no_show).update(status=BookingStatus.NO_SHOW)
        Booking.objects.bulk_create(
            [
                Booking(
                    session=locked,
                    staff=person,
                    module=locked.module,
                    status=BookingStatus.ATTENDED,
                    walk_in=True,
                    booked_by=acting_user(actor),
                    created_at=now,
                )
                for person in walk_ins
            ]
        )
        for person in people:
            completion_record(
                staff=person,
                module=locked.module,
                completed_on=completed_on,
                source=CompletionSource.REGISTER,
                actor=actor,
                today=today,
            )
        locked.status = SessionStatus.DELIVERED
        locked.register_confirmed_at = now
        locked.register_confirmed_by = acting_user(actor)
        locked._history_user = acting_user(actor)
        locked.save()
        # Each attendee's feedback email (courses.reminders, kind session_feedback).
        _notify("register", session_id=locked.pk)
    return RegisterResult(completions=len(people), attended=len(people), no_show=len(no_show))


# ---------------------------------------------------------------------------------------------
# Evaluation: one attendee's feedback on a session they attended
# ---------------------------------------------------------------------------------------------

FEEDBACK_SCORES = ("confidence_before", "confidence_after", "usefulness")
ALREADY_GIVEN = "Feedback on this session has been given already: only one answer is kept for each place."


def feedback_record(
    *, booking, confidence_before, confidence_after, usefulness, comments="", actor=None, now=None
):
    """Record the attendee's feedback (PRODUCT.md section 9): scores 1 to 5 and one free-text
    answer. Refused (ValidationError, nothing written) for a booking not attended, for a score out
    of range, and for a second answer (also a constraint of the database, under a race)."""
    now = now or timezone.now()
    scores = {
        "confidence_before": confidence_before,
        "confidence_after": confidence_after,
        "usefulness": usefulness,
    }
    bad = {name: "Choose a number from 1 to 5." for name, value in scores.items() if value not in range(1, 6)}
    if bad:
        raise ValidationError(bad)
    comments = (comments or "").strip()
    if len(comments) > 2000:
        raise ValidationError({"comments": "Write 2,000 characters or fewer."})
    with transaction.atomic():
        current = Booking.objects.select_for_update().get(pk=booking.pk)
        if current.status != BookingStatus.ATTENDED:
            raise ValidationError("Feedback can be given only on a session you attended.")
        if Feedback.objects.filter(booking=current).exists():
            raise ValidationError(ALREADY_GIVEN)
        feedback = Feedback(booking=current, comments=comments, submitted_at=now, **scores)
        feedback._history_user = acting_user(actor)
        try:
            with transaction.atomic():
                feedback.save()
        except IntegrityError as error:
            raise ValidationError(ALREADY_GIVEN) from error
    return feedback
