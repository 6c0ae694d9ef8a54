"""Reads of sessions and bookings, scoped through workforce.access.

Who sees what (PRODUCT.md section 9): leads every session and booking; Agency HR every session,
their own agencies' bookings, and other agencies' attendees only as counts; a trainer (a signed-in
user whose address is a trainer's) their own sessions with every attendee; staff their own
bookings (through the staff session).
"""

import datetime
from dataclasses import dataclass

from django.db.models import Avg, Count, Exists, OuterRef, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from training.models import DeliveryMode
from workforce import access

from . import rules
from .models import (
    LIVE_STATUSES,
    Booking,
    BookingStatus,
    Feedback,
    HeldPlaces,
    SessionPart,
    SessionStatus,
    TrainingSession,
)


def _email(user):
    return (getattr(user, "email", "") or "").strip().lower()


def is_trainer(user):
    email = _email(user)
    return (
        bool(user.is_authenticated and user.is_active and email)
        and TrainingSession.objects.filter(trainers__email=email).exists()
    )


def visible_sessions(user):
    """Leads and Agency HR see every session; a trainer their own; anyone else none."""
    sessions = TrainingSession.objects.all()
    if access.is_lead_or_hr(user):
        return sessions
    email = _email(user)
    if user.is_authenticated and user.is_active and email:
        return sessions.filter(trainers__email=email).distinct()
    return sessions.none()


def get_visible_session_or_404(user, **lookup):
    return get_object_or_404(visible_sessions(user).select_related("module"), **lookup)


def may_manage(user, session):
    """Leads, and the session's own trainers, change nothing but may take its register."""
    return access.is_lead(user) or session.trainers.filter(email=_email(user)).exists()


def sees_every_attendee(user, session):
    return access.is_lead(user) or (
        bool(_email(user)) and session.trainers.filter(email=_email(user)).exists()
    )


def visible_bookings(user, session):
    """The bookings of `session` this user may see by name."""
    bookings = session.bookings.select_related("staff", "staff__agency").order_by(
        "status", "waitlist_position", "staff__last_name", "staff__first_name"
    )
    if sees_every_attendee(user, session):
        return bookings
    return access.scope(user, bookings, agency="staff__agency")


def get_visible_booking_or_404(user, **lookup):
    """A booking of someone this user may book for (leads anyone, HR their own agencies)."""
    bookings = Booking.objects.select_related("session", "session__module", "staff", "staff__agency")
    return access.get_scoped_or_404(user, bookings, agency="staff__agency", **lookup)


def get_own_booking_or_404(staff, **lookup):
    return get_object_or_404(
        Booking.objects.select_related("session", "session__module", "staff", "staff__agency"),
        staff=staff,
        **lookup,
    )


@dataclass
class SessionRow:
    session: TrainingSession
    free: int
    booked: int
    waiting: int
    own_booked: int | None
    by_agency: dict | None = None


def _with_details(sessions):
    return sessions.select_related("module").prefetch_related(
        Prefetch("parts", queryset=SessionPart.objects.order_by("starts_at")),
        "trainers",
        Prefetch("held_places", queryset=HeldPlaces.objects.select_related("agency")),
    )


def session_rows(sessions, *, user, agency=None, today):
    """Each session with its free places (for `agency`'s staff when given, else for anyone) and,
    for Agency HR, the places their own agencies' staff hold. Three queries whatever the count."""
    sessions = list(_with_details(sessions))
    ids = [session.pk for session in sessions]
    by_agency = {}
    for session_id, agency_id, count in (
        Booking.objects.filter(session__in=ids, status=BookingStatus.BOOKED)
        .values_list("session_id", "staff__agency_id")
        .annotate(n=Count("id"))
        .values_list("session_id", "staff__agency_id", "n")
    ):
        by_agency.setdefault(session_id, {})[agency_id] = count
    own_agencies = None
    if not access.is_lead(user) and access.is_agency_hr(user):
        own_agencies = set(access.visible_agencies(user).values_list("pk", flat=True))
    rows = []
    for session in sessions:
        counts = by_agency.get(session.pk, {})
        holds = [(h.agency_id, h.places, h.until) for h in session.held_places.all()]
        free = 0
        if session.status == SessionStatus.SCHEDULED:
            free = rules.free_places(
                capacity=session.capacity,
                booked=session.booked_count,
                holds=holds,
                booked_by_agency=counts,
                agency_id=agency.pk if agency else None,
                today=today,
            )
        own = sum(n for a, n in counts.items() if a in own_agencies) if own_agencies is not None else None
        rows.append(SessionRow(session, free, session.booked_count, session.waitlist_count, own, counts))
    return rows


def sessions_in_month(user, *, month_start, module=None, delivery_mode=None):
    after = (
        month_start.replace(year=month_start.year + 1, month=1)
        if month_start.month == 12
        else (month_start.replace(month=month_start.month + 1))
    )
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(month_start, datetime.time(), tzinfo=tz)
    end = datetime.datetime.combine(after, datetime.time(), tzinfo=tz)
    sessions = visible_sessions(user).filter(starts_at__gte=start, starts_at__lt=end)
    if module is not None:
        sessions = sessions.filter(module=module)
    if delivery_mode:
        sessions = sessions.filter(delivery_mode=delivery_mode)
    return sessions.order_by("starts_at", "id")


def upcoming_sessions(*, module_ids, now, limit_per_module=None):
    """Scheduled sessions of these modules that are still open for booking, soonest first."""
    sessions = TrainingSession.objects.filter(
        status=SessionStatus.SCHEDULED, booking_closes_at__gt=now, starts_at__gt=now
    ).order_by("starts_at", "id")
    if module_ids is not None:
        sessions = sessions.filter(module__in=module_ids)
    return sessions


def person_bookings(staff):
    """Every booking of the person, the live ones first, soonest first; each knows whether its
    feedback has been given (`has_feedback`)."""
    return list(
        Booking.objects.filter(staff=staff)
        .annotate(has_feedback=Exists(Feedback.objects.filter(booking=OuterRef("pk"))))
        .select_related("session", "session__module")
        .prefetch_related(Prefetch("session__parts", queryset=SessionPart.objects.order_by("starts_at")))
        .order_by("-session__starts_at")
    )


def live_module_ids(staff):
    return set(
        Booking.objects.filter(staff=staff, status__in=LIVE_STATUSES).values_list("module_id", flat=True)
    )


@dataclass(frozen=True)
class Attendance:
    """A person's or an agency's record on confirmed registers."""

    attended: int
    no_shows: int
    late_cancellations: int

    @property
    def marked(self):
        return self.attended + self.no_shows


_ATTENDANCE = {
    "attended": Count("id", filter=Q(status=BookingStatus.ATTENDED)),
    "no_shows": Count("id", filter=Q(status=BookingStatus.NO_SHOW)),
    "late_cancellations": Count("id", filter=Q(status=BookingStatus.CANCELLED, late_cancellation=True)),
}


def person_attendance(staff):
    """The person's sessions attended, missed (no-shows) and cancelled late. One query."""
    return Attendance(**Booking.objects.filter(staff=staff).aggregate(**_ATTENDANCE))


@dataclass(frozen=True)
class AgencyAttendance:
    agency: object
    attendance: Attendance


def attendance_by_agency(user):
    """For each agency the user may see, its staff's attended, no-shows and late cancellations
    (agencies with none are listed with noughts). Three queries: the user's role, the agencies,
    the counts."""
    agencies = list(access.visible_agencies(user).order_by("name"))
    counts = {
        row.pop("staff__agency_id"): Attendance(**row)
        for row in Booking.objects.filter(staff__agency__in=[agency.pk for agency in agencies])
        .values("staff__agency_id")
        .annotate(**_ATTENDANCE)
        .order_by()
    }
    nothing = Attendance(0, 0, 0)
    return [AgencyAttendance(agency, counts.get(agency.pk, nothing)) for agency in agencies]


def staff_bookable(user, *, agency, staff_number):
    """The person with this staff number at `agency`, if the user may book for them; else 404."""
    if not access.is_lead_or_hr(user):
        raise Http404("Not found")
    return access.get_visible_staff_or_404(user, agency=agency, staff_number=staff_number.strip())


def session_counts_by_agency(session):
    return dict(
        session.bookings.filter(Q(status=BookingStatus.BOOKED) | Q(status=BookingStatus.WAITLISTED))
        .values_list("staff__agency__name")
        .annotate(n=Count("id"))
    )


def record_actions(*, staff, pairs, today):
    """ "Book a place" on each module of a staff member's record with sessions open for booking,
    "Your booking" where they have one (training.selfservice). Two queries."""
    from django.urls import reverse

    wanted = [pair.module.id for pair in pairs if pair.status != "exempt"]
    if not wanted:
        return {}
    live = live_module_ids(staff)
    open_ = set(upcoming_sessions(module_ids=wanted, now=timezone.now()).values_list("module_id", flat=True))
    actions = {}
    for module_id in wanted:
        if module_id in live:
            actions[module_id] = [
                {"text": "Your booking", "href": reverse("courses:my_bookings", kwargs={"pk": staff.pk})}
            ]
        elif module_id in open_:
            actions[module_id] = [
                {"text": "Book a place", "href": reverse("courses:my_sessions", kwargs={"pk": staff.pk})}
            ]
    return actions


def register_bookings(session):
    """The register's rows: everyone booked, and once confirmed everyone marked (walk-ins too)."""
    statuses = [BookingStatus.BOOKED, BookingStatus.ATTENDED, BookingStatus.NO_SHOW]
    return (
        session.bookings.filter(status__in=statuses)
        .select_related("staff", "staff__agency")
        .order_by("staff__last_name", "staff__first_name", "id")
    )


NEXT_SESSIONS = 3
NEXT_SESSION_KINDS = ("due_soon", "overdue", "expired")


@dataclass(frozen=True)
class _OpenSession:
    """What a reminder says of a session open for booking (no parts, trainers or bookings)."""

    pk: int
    module_id: int
    starts_at: datetime.datetime
    delivery_mode: str
    venue: str
    capacity: int
    booked: int
    holds: tuple  # (agency id, places, until)
    booked_by_agency: dict


def _open_sessions_by_module(module_ids, *, now):
    """The sessions of these modules open for booking, by module, soonest first: read once per
    message, in at most three queries (none more when there are none), whatever its items."""
    sessions = list(
        upcoming_sessions(module_ids=module_ids, now=now).values_list(
            "pk", "module_id", "starts_at", "delivery_mode", "venue", "capacity", "booked_count"
        )
    )
    if not sessions:
        return {}
    ids = [row[0] for row in sessions]
    holds, counts = {}, {}
    for session_id, agency_id, places, until in HeldPlaces.objects.filter(session__in=ids).values_list(
        "session_id", "agency_id", "places", "until"
    ):
        holds.setdefault(session_id, []).append((agency_id, places, until))
    for session_id, agency_id, count in (
        Booking.objects.filter(session__in=ids, status=BookingStatus.BOOKED)
        .values_list("session_id", "staff__agency_id")
        .annotate(n=Count("id"))
        .values_list("session_id", "staff__agency_id", "n")
        .order_by()
    ):
        counts.setdefault(session_id, {})[agency_id] = count
    by_module = {}
    for pk, module_id, *details in sessions:
        row = _OpenSession(pk, module_id, *details, tuple(holds.get(pk, ())), counts.get(pk, {}))
        by_module.setdefault(module_id, []).append(row)
    return by_module


def next_sessions_context(item, facts):
    """Up to three sessions of the reminder's module with free places for the person's agency,
    each with a link that signs them in to the booking page of that session, where they confirm
    the place with a POST (a reminder's context extension, notifications.sources). The sessions
    of the message's modules are read once per message; every link of the email shares the one
    sign-in link made for the person (notifications.emails.person_signin_link)."""
    from django.conf import settings
    from django.urls import reverse

    from notifications.emails import person_signin_link

    if item.kind not in NEXT_SESSION_KINDS or item.staff_id is None or item.module_id is None:
        return {}
    cache = facts.__dict__.setdefault("courses_next_sessions", {})
    if "sessions" not in cache:
        cache["sessions"] = _open_sessions_by_module(facts.module_ids, now=timezone.now())
    candidates = cache["sessions"].get(item.module_id, [])
    if not candidates:
        return {}
    agency_id = item.staff.agency_id
    listed = []
    for session in candidates:
        free = rules.free_places(
            capacity=session.capacity,
            booked=session.booked,
            holds=session.holds,
            booked_by_agency=session.booked_by_agency,
            agency_id=agency_id,
            today=facts.today,
        )
        if free <= 0:
            continue
        link = person_signin_link(item.staff, facts)
        page = reverse("courses:my_book", kwargs={"pk": item.staff_id, "session_pk": session.pk})
        start = timezone.localtime(session.starts_at)
        where = ""
        if session.delivery_mode == "live_online":
            where = DeliveryMode(session.delivery_mode).label
        elif session.venue:
            where = session.venue.splitlines()[0][:80]
        listed.append(
            {
                "when": f"{start:%A} {start.day} {start:%B %Y}, {start:%H:%M}",
                "where": where,
                "free": free,
                "book_url": f"{link}?next={page}" if link else settings.SITE_URL + page,
            }
        )
        if len(listed) == NEXT_SESSIONS:
            break
    return {"next_sessions": listed} if listed else {}


# ---------------------------------------------------------------------------------------------
# Demand against supply
# ---------------------------------------------------------------------------------------------

DEMAND_DAYS = 90
USUAL_CAPACITY = 20  # for a module with no sessions yet


@dataclass
class DemandRow:
    module: object
    need: int
    places: int
    sessions: int
    usual_capacity: int

    @property
    def shortfall(self):
        return max(self.need - self.places, 0)

    @property
    def sessions_needed(self):
        return -(-self.shortfall // self.usual_capacity) if self.shortfall else 0


def demand_supply(*, today, agency=None):
    """Per module delivered in sessions: the people who need it within 90 days (on the 90th day
    they are overdue, expired, due or renewal due: not valid and not exempt) against the places
    of the sessions scheduled from today to then; shortfalls first, with the sessions needed at
    the module's usual (median) capacity. For one agency, its people, and all places (any agency
    may book them). Four queries."""
    from statistics import median

    from training.compliance import Status
    from training.models import Module
    from training.selectors.engine import compliance_statuses

    horizon = today + datetime.timedelta(days=DEMAND_DAYS)
    modules = list(Module.objects.filter(active=True).exclude(delivery_mode="e_learning").order_by("code"))
    ids = {module.pk for module in modules}
    need = {}
    for row in compliance_statuses(on=horizon, agency=agency):
        if row.module_id in ids and row.status not in (Status.COMPLIANT, Status.EXEMPT):
            need[row.module_id] = need.get(row.module_id, 0) + 1
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(today, datetime.time(), tzinfo=tz)
    end = datetime.datetime.combine(horizon + datetime.timedelta(days=1), datetime.time(), tzinfo=tz)
    scheduled = TrainingSession.objects.filter(
        module__in=ids, status=SessionStatus.SCHEDULED, starts_at__gte=start, starts_at__lt=end
    ).values_list("module_id", "capacity")
    places, counts = {}, {}
    for module_id, capacity in scheduled:
        places[module_id] = places.get(module_id, 0) + capacity
        counts[module_id] = counts.get(module_id, 0) + 1
    capacities = {}
    for module_id, capacity in TrainingSession.objects.filter(module__in=ids).values_list(
        "module_id", "capacity"
    ):
        capacities.setdefault(module_id, []).append(capacity)
    rows = [
        DemandRow(
            module=module,
            need=need.get(module.pk, 0),
            places=places.get(module.pk, 0),
            sessions=counts.get(module.pk, 0),
            usual_capacity=int(median(capacities[module.pk])) if module.pk in capacities else USUAL_CAPACITY,
        )
        for module in modules
    ]
    return sorted(rows, key=lambda row: (-row.shortfall, -row.need, row.module.code))


def board_figures(*, start: datetime.date, end: datetime.date, agency=None) -> dict:
    """Sessions delivered between `start` and `end` (the register confirmed) and their attendance,
    for the board report: {delivered, attended, no_shows, responses, and the mean confidence before
    and after and usefulness of the answers (1 to 5; None without any)}. With `agency`, only its
    staff's attendance, and the sessions any of them attended or missed."""
    from .models import Booking, BookingStatus, SessionStatus, TrainingSession

    sessions = TrainingSession.objects.filter(
        status=SessionStatus.DELIVERED, ends_at__date__gte=start, ends_at__date__lte=end
    )
    bookings = Booking.objects.filter(session__in=sessions)
    if agency is not None:
        bookings = bookings.filter(staff__agency=agency)
        sessions = sessions.filter(pk__in=bookings.values("session_id"))
    counts = bookings.aggregate(
        attended=Count("pk", filter=Q(status=BookingStatus.ATTENDED)),
        no_shows=Count("pk", filter=Q(status=BookingStatus.NO_SHOW)),
    )
    answers = Feedback.objects.filter(booking__in=bookings.filter(status=BookingStatus.ATTENDED)).aggregate(
        responses=Count("pk"),
        confidence_before=Avg("confidence_before"),
        confidence_after=Avg("confidence_after"),
        usefulness=Avg("usefulness"),
    )
    return {"delivered": sessions.count(), **counts, **answers}


# ---------------------------------------------------------------------------------------------
# Evaluation: feedback summaries per session and per module
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedbackFigures:
    """Attendees, their answers and the mean scores (None without answers, or for Agency HR,
    who see counts only)."""

    attended: int
    responses: int
    confidence_before: float | None = None
    confidence_after: float | None = None
    usefulness: float | None = None

    @property
    def response_rate(self):
        from training.selectors.compliance import floor_percent

        return floor_percent(self.responses, self.attended)


@dataclass(frozen=True)
class FeedbackRow:
    subject: object  # a TrainingSession or a Module
    figures: FeedbackFigures
    sessions: int = 1


def sees_feedback_scores(user, session=None):
    """Leads see every score and answer; a trainer those of their own sessions; Agency HR counts
    of their own agencies' attendees only."""
    if access.is_lead(user):
        return True
    if session is not None:
        return sees_every_attendee(user, session)
    return not access.is_lead_or_hr(user) and is_trainer(user)


def _figures_by(bookings, key, *, scores):
    figures = {"attended": Count("id"), "responses": Count("feedback")}
    if scores:
        figures.update(
            confidence_before=Avg("feedback__confidence_before"),
            confidence_after=Avg("feedback__confidence_after"),
            usefulness=Avg("feedback__usefulness"),
        )
    rows = bookings.values(key).annotate(**figures).order_by()
    return {row.pop(key): FeedbackFigures(**row) for row in rows}


def feedback_summary(user):
    """Delivered sessions this user may see, newest first, and their modules, each with its
    figures: for leads and trainers every attendee's answers, for Agency HR only their own
    agencies' attendees and answers, counted. Four queries whatever the sessions."""
    scores = sees_feedback_scores(user)
    sessions = list(
        visible_sessions(user)
        .filter(status=SessionStatus.DELIVERED)
        .select_related("module")
        .order_by("-starts_at", "-id")
    )
    attended = Booking.objects.filter(session__in=[s.pk for s in sessions], status=BookingStatus.ATTENDED)
    if not scores:
        attended = access.scope(user, attended, agency="staff__agency")
    by_session = _figures_by(attended, "session_id", scores=scores)
    by_module = _figures_by(attended, "module_id", scores=scores)
    nothing = FeedbackFigures(0, 0)
    session_rows = [FeedbackRow(s, by_session.get(s.pk, nothing)) for s in sessions]
    modules = {}
    for session in sessions:
        modules.setdefault(session.module_id, [session.module, 0])[1] += 1
    module_rows = [
        FeedbackRow(module, by_module.get(module_id, nothing), sessions=count)
        for module_id, (module, count) in sorted(modules.items(), key=lambda pair: pair[1][0].code)
    ]
    return {"scores": scores, "sessions": session_rows, "modules": module_rows}


def session_feedback(session):
    """One session's figures and its free-text answers (without names), oldest first. Two queries."""
    attended = Booking.objects.filter(session=session, status=BookingStatus.ATTENDED)
    figures = _figures_by(attended, "session_id", scores=True).get(session.pk, FeedbackFigures(0, 0))
    comments = list(
        Feedback.objects.filter(booking__session=session)
        .exclude(comments="")
        .order_by("submitted_at", "id")
        .values_list("comments", flat=True)
    )
    return figures, comments


def feedback_given(booking):
    return Feedback.objects.filter(booking=booking).exists()


def register_sessions(user, *, today):
    """Sessions whose register this user may take now: started by `today`, not cancelled, not
    confirmed; the lead's every such session, a trainer's own."""
    tz = timezone.get_current_timezone()
    tomorrow = datetime.datetime.combine(today + datetime.timedelta(days=1), datetime.time(), tzinfo=tz)
    if access.is_lead(user):
        sessions = TrainingSession.objects.all()
    elif user.is_authenticated and user.is_active and _email(user):
        sessions = TrainingSession.objects.filter(trainers__email=_email(user)).distinct()
    else:
        sessions = TrainingSession.objects.none()
    return (
        sessions.filter(
            status=SessionStatus.SCHEDULED, starts_at__lt=tomorrow, register_confirmed_at__isnull=True
        )
        .select_related("module")
        .order_by("-starts_at", "-id")
    )


def session_feedback_for(user, session):
    """(figures, comments) of a session as this user may see them: every score and the written
    answers for the lead and its trainers; for Agency HR their own agencies' counts and None."""
    if sees_feedback_scores(user, session):
        return session_feedback(session)
    attended = access.scope(
        user, Booking.objects.filter(session=session, status=BookingStatus.ATTENDED), agency="staff__agency"
    )
    return _figures_by(attended, "session_id", scores=False).get(session.pk, FeedbackFigures(0, 0)), None
