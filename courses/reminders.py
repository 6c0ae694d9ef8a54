"""The emails of bookings and sessions, planned and sent through the reminder engine's outbox
(PRODUCT.md section 9), so each goes exactly once (the engine's unique key) and shows on the
outbox page.

| kind                 | to       | series (one per ...)           | stage                                |
| -------------------- | -------- | ------------------------------ | ------------------------------------ |
| `session_booked`     | staff    | booking                        | `booked`: the day a place was booked |
| `session_waitlisted` | staff    | booking                        | `waitlisted`                         |
| `session_offered`    | staff    | booking                        | `offered`: a place from the list     |
| `session_changed`    | staff    | booking and change of session  | `changed`                            |
| `session_cancelled`  | staff    | booking                        | `cancelled` (by anyone, or the session) |
| `session_reminder`   | staff    | booking                        | S-7 and S-1 (S: the first part's day) |
| `session_attendees`  | trainer  | trainer and session            | S-2: the attendee list               |
| `session_feedback`   | staff    | booking (attended)             | `feedback`: the register confirmed   |

The booking services queue a planning of this source alone as soon as a booking changes
(courses.tasks), so a confirmation need not wait for the morning's run; the morning's run plans
the same keys again harmlessly. Confirmations, offers, changes and cancellations carry the
booking's calendar invitation (courses.invitations). Reminders stages that fall before the
booking was made are left out (someone booking 3 days ahead gets only the 1-day reminder).
The feedback email carries a fresh opaque link to the attendee's feedback form
(courses.feedback_links), made when the email is written; it is not sent once feedback is given.
"""

import datetime

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from notifications import sources
from notifications.rules import Stage, long_date, stage_label
from notifications.sources import Check, Cycle, NamedStage, ReminderKind, ReminderSource

from . import feedback_links
from .models import Booking, BookingStatus, Feedback, SessionChange, SessionStatus, TrainingSession

BOOKED = "session_booked"
WAITLISTED = "session_waitlisted"
OFFERED = "session_offered"
CHANGED = "session_changed"
CANCELLED = "session_cancelled"
REMINDER = "session_reminder"
ATTENDEES = "session_attendees"
FEEDBACK = "session_feedback"
EVENT_KINDS = (BOOKED, WAITLISTED, OFFERED, CHANGED, CANCELLED)
WITH_INVITATION = (BOOKED, OFFERED, CHANGED, CANCELLED)
SESSION_CYCLE = "S"
DAY = datetime.timedelta(days=1)
# Events older than this are not planned any more (the first run after a long outage).
LOOK_BACK = 14 * DAY


def _day(moment):
    return timezone.localdate(moment)


def series_name(kind, *, booking_id=None, session_id=None, recipient=None, change=None):
    if kind == ATTENDEES:
        return f"{kind}|session-{session_id}|{recipient}"
    if kind == CHANGED:
        return f"{kind}|booking-{booking_id}|change-{change}"
    return f"{kind}|booking-{booking_id}"


def parse_series(series):
    """(kind, {"booking": id} or {"session": id}, change or None), or None for anything else."""
    parts = series.split("|")
    if len(parts) < 2 or parts[0] not in (*EVENT_KINDS, REMINDER, ATTENDEES, FEEDBACK):
        return None
    subject, _, number = parts[1].partition("-")
    if subject not in ("booking", "session") or not number.isdigit():
        return None
    change = None
    if parts[0] == CHANGED and len(parts) == 3 and parts[2].startswith("change-"):
        change = int(parts[2].removeprefix("change-"))
    return parts[0], {subject: int(number)}, change


def reminder_stages(session_day, booked_day):
    stages = [
        Stage(session_day - 7 * DAY, 0, REMINDER, stage_label(SESSION_CYCLE, -7)),
        Stage(session_day - DAY, 1, REMINDER, stage_label(SESSION_CYCLE, -1)),
    ]
    return [stage for stage in stages if stage.trigger > booked_day]


def _event_series(kind, booking, when, *, day, stage, change=None):
    if not booking.staff.email:
        return None
    trigger = _day(when)
    return sources.series(
        kind=kind,
        recipient=booking.staff.email,
        stages=[Stage(trigger, 0, kind, stage)],
        today=day,
        cycle_date=_day(booking.session.starts_at),
        staff_id=booking.staff_id,
        module_id=booking.module_id,
        agency_id=booking.staff.agency_id,
        name=series_name(kind, booking_id=booking.pk, change=change),
    )


def plan_series(*, day):
    """Every series of this source with a stage due on `day`: five queries, whatever the count."""
    since = timezone.make_aware(datetime.datetime.combine(day - LOOK_BACK, datetime.time()))
    recent = (
        Booking.objects.filter(walk_in=False, session__starts_at__gte=since)
        .select_related("staff", "session")
        .only(
            "id",
            "status",
            "module_id",
            "created_at",
            "booked_at",
            "waitlisted_at",
            "offered_at",
            "cancelled_at",
            "staff__email",
            "staff__agency_id",
            "session__starts_at",
            "session__status",
        )
    )
    found = []
    for booking in recent:
        if booking.booked_at and not booking.offered_at and booking.booked_at >= since:
            found.append(_event_series(BOOKED, booking, booking.booked_at, day=day, stage="booked"))
        if booking.waitlisted_at and booking.waitlisted_at >= since:
            found.append(
                _event_series(WAITLISTED, booking, booking.waitlisted_at, day=day, stage="waitlisted")
            )
        if booking.offered_at and booking.offered_at >= since:
            found.append(_event_series(OFFERED, booking, booking.offered_at, day=day, stage="offered"))
        if booking.cancelled_at and booking.cancelled_at >= since:
            found.append(_event_series(CANCELLED, booking, booking.cancelled_at, day=day, stage="cancelled"))
        if (
            booking.status == BookingStatus.BOOKED
            and booking.session.status == SessionStatus.SCHEDULED
            and booking.staff.email
        ):
            session_day = _day(booking.session.starts_at)
            if day < session_day <= day + 7 * DAY:
                found.append(
                    sources.series(
                        kind=REMINDER,
                        recipient=booking.staff.email,
                        stages=reminder_stages(session_day, _day(booking.booked_at or booking.created_at)),
                        today=day,
                        cycle_date=session_day,
                        staff_id=booking.staff_id,
                        module_id=booking.module_id,
                        agency_id=booking.staff.agency_id,
                        name=series_name(REMINDER, booking_id=booking.pk),
                    )
                )
    by_session = {}
    for booking in recent:
        by_session.setdefault(booking.session_id, []).append(booking)
    for change in SessionChange.objects.filter(changed_at__gte=since).select_related("session"):
        for booking in by_session.get(change.session_id, []):
            if (
                booking.status in (BookingStatus.BOOKED, BookingStatus.WAITLISTED)
                and booking.created_at < change.changed_at
            ):
                found.append(
                    _event_series(
                        CHANGED, booking, change.changed_at, day=day, stage="changed", change=change.sequence
                    )
                )
    found += _attendee_series(day=day)
    found += _feedback_series(day=day, since=since)
    return [series for series in found if series is not None]


def _feedback_series(*, day, since):
    """Each attendee of a register confirmed in the last two weeks, walk-ins too: one feedback
    email per booking (its series), on the day the register was confirmed."""
    attended = (
        Booking.objects.filter(status=BookingStatus.ATTENDED, session__register_confirmed_at__gte=since)
        .exclude(staff__email="")
        .select_related("staff", "session")
        .only(
            "id",
            "module_id",
            "staff__email",
            "staff__agency_id",
            "session__starts_at",
            "session__register_confirmed_at",
        )
    )
    return [
        _event_series(FEEDBACK, booking, booking.session.register_confirmed_at, day=day, stage="feedback")
        for booking in attended
    ]


def _attendee_series(*, day):
    start = timezone.make_aware(datetime.datetime.combine(day + DAY, datetime.time()))
    end = timezone.make_aware(datetime.datetime.combine(day + 3 * DAY, datetime.time()))
    sessions = TrainingSession.objects.filter(
        status=SessionStatus.SCHEDULED, starts_at__gte=start, starts_at__lt=end
    ).prefetch_related("trainers")
    found = []
    for session in sessions:
        session_day = _day(session.starts_at)
        for trainer in session.trainers.all():
            found.append(
                sources.series(
                    kind=ATTENDEES,
                    recipient=trainer.email,
                    stages=[Stage(session_day - 2 * DAY, 0, ATTENDEES, stage_label(SESSION_CYCLE, -2))],
                    today=day,
                    cycle_date=session_day,
                    module_id=session.module_id,
                    name=series_name(ATTENDEES, session_id=session.pk, recipient=trainer.email),
                )
            )
    return found


# ---------------------------------------------------------------------------------------------
# The sender's re-check and the emails' content
# ---------------------------------------------------------------------------------------------


def _booking_reason(kind, booking, *, change):
    session = booking.session
    if kind == BOOKED and booking.status not in (BookingStatus.BOOKED,):
        return "the booking is no longer a place"
    if kind == WAITLISTED and booking.status != BookingStatus.WAITLISTED:
        return "the person is no longer on the waiting list"
    if kind == OFFERED and booking.status != BookingStatus.BOOKED:
        return "the offered place was cancelled"
    if kind in (CHANGED, REMINDER):
        if booking.status not in (BookingStatus.BOOKED, BookingStatus.WAITLISTED):
            return "the booking was cancelled"
        if session.status != SessionStatus.SCHEDULED:
            return "the session was cancelled"
    if kind == REMINDER and booking.status != BookingStatus.BOOKED:
        return "the person is on the waiting list"
    if kind == FEEDBACK:
        if booking.status != BookingStatus.ATTENDED:
            return "the person is no longer marked as attended"
        if Feedback.objects.filter(booking=booking).exists():
            return "feedback has been given already"
    if (
        kind == CHANGED
        and change is not None
        and change < session.sequence
        and booking.status == BookingStatus.BOOKED
    ):
        # A later change is coming too; the latest one says everything.
        later = SessionChange.objects.filter(session=session, sequence__gt=change).exists()
        if later:
            return "a later change of the session supersedes this one"
    return None


def check_items(items):
    parsed = {item.id: parse_series(item.series) for item in items}
    booking_ids = [p[1]["booking"] for p in parsed.values() if p and "booking" in p[1]]
    session_ids = [p[1]["session"] for p in parsed.values() if p and "session" in p[1]]
    bookings = Booking.objects.select_related("session", "session__module", "staff").in_bulk(booking_ids)
    sessions = TrainingSession.objects.select_related("module").prefetch_related("parts").in_bulk(session_ids)
    checks = {}
    for item in items:
        found = parsed[item.id]
        if found is None:
            checks[item.id] = Check("not an email of training sessions")
            continue
        kind, subject, change = found
        if kind == ATTENDEES:
            session = sessions.get(subject["session"])
            if session is None or session.status != SessionStatus.SCHEDULED:
                checks[item.id] = Check("the session was cancelled")
                continue
            attendees = list(
                session.bookings.filter(status=BookingStatus.BOOKED)
                .select_related("staff", "staff__agency")
                .order_by("staff__last_name", "staff__first_name")
            )
            checks[item.id] = Check(content={"session": session, "attendees": attendees})
            continue
        booking = bookings.get(subject["booking"])
        if booking is None:
            checks[item.id] = Check("the booking no longer exists")
            continue
        reason = _booking_reason(kind, booking, change=change)
        checks[item.id] = Check(reason) if reason else Check(content={"booking": booking})
    return checks


def email_context(item, facts):
    content = dict(facts.contents[item.id])
    session = content.get("session") or content["booking"].session
    parts = list(session.parts.order_by("starts_at"))
    content.update(
        session=session,
        parts=parts,
        module=session.module,
        starts_on=long_date(_day(session.starts_at)),
        days=(_day(session.starts_at) - facts.today).days,
        session_url=settings.SITE_URL + reverse("courses:session_detail", kwargs={"pk": session.pk}),
    )
    if "booking" in content:
        booking = content["booking"]
        content["show_link"] = booking.status == BookingStatus.BOOKED and bool(session.online_link)
        change = SessionChange.objects.filter(session=session).order_by("-sequence").first()
        content["what_changed"] = change.what if change else ""
        if item.kind == FEEDBACK:
            content["feedback_url"] = feedback_links.feedback_url(booking)
            content["ended_on"] = long_date(_day(session.ends_at))
    return content


# Why each reader gets these (said once in the email's footer).
BOOKING_FOOTER = "You get this because you have a place, or are waiting for one, on this training session."
TRAINER_FOOTER = "You get this as a trainer of the session."
FEEDBACK_FOOTER = "You get this because you attended this training session: the trainers read every answer."


class SessionEmails(ReminderSource):
    kinds = (
        ReminderKind(BOOKED, "Session place booked", own_training=True, urgency=1, footer=BOOKING_FOOTER),
        ReminderKind(WAITLISTED, "Session waiting list", own_training=True, urgency=2, footer=BOOKING_FOOTER),
        ReminderKind(OFFERED, "Session place offered", own_training=True, urgency=1, footer=BOOKING_FOOTER),
        ReminderKind(CHANGED, "Session changed", own_training=True, urgency=1, footer=BOOKING_FOOTER),
        ReminderKind(
            CANCELLED, "Session booking cancelled", own_training=True, urgency=1, footer=BOOKING_FOOTER
        ),
        ReminderKind(REMINDER, "Session coming up", own_training=True, urgency=2, footer=BOOKING_FOOTER),
        ReminderKind(ATTENDEES, "Session attendee list", footer=TRAINER_FOOTER),
        ReminderKind(FEEDBACK, "Session feedback", own_training=True, urgency=3, footer=FEEDBACK_FOOTER),
    )
    cycles = {SESSION_CYCLE: Cycle("the session", "on the day of the session", "session")}
    named_stages = {
        "booked": NamedStage("when the place was booked", "session"),
        "waitlisted": NamedStage("when the person joined the waiting list", "session"),
        "offered": NamedStage("when a place was offered from the waiting list", "session"),
        "changed": NamedStage("when the session changed", "session"),
        "cancelled": NamedStage("when the booking was cancelled", "session"),
        "feedback": NamedStage("when the register was confirmed", "session"),
    }

    def series(self, planning):
        return plan_series(day=planning.day)

    def check(self, items, *, today):
        return check_items(items)

    def email_context(self, item, facts):
        return email_context(item, facts)

    def attachments(self, item, facts):
        if item.kind not in WITH_INVITATION or item.id not in facts.contents:
            return []
        booking = facts.contents[item.id]["booking"]
        if booking.status == BookingStatus.WAITLISTED:
            return []
        # Imported here: the reminder source is registered at start-up, and icalendar (with its
        # time-zone data) is only needed when an invitation is sent.
        from . import invitations

        method = "CANCEL" if invitations.is_withdrawn(booking) else "REQUEST"
        return [("invite.ics", invitations.booking_invitation(booking), f"text/calendar; method={method}")]


SOURCE = SessionEmails()
