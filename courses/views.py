"""Pages of training sessions: the sessions page (per month and module), a session with its
bookings, create/edit/cancel for the lead, booking by Agency HR and the lead, and a staff member's
own "Book a place" and "Your bookings" pages (staff session from an emailed link).

Thin views: access comes from workforce.access and courses.selectors (another agency's booking is
a 404), writes from courses.services.
"""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from training.compliance import Status
from training.selectors.records import person_pairs
from workforce import access
from workforce.lists import spreadsheet_response

from . import feedback_links, invitations, selectors, services
from .forms import (
    BookingCancelForm,
    BookPersonForm,
    FeedbackForm,
    RegisterForm,
    SessionCancelForm,
    SessionFilterForm,
    SessionForm,
)
from .models import LIVE_STATUSES, BookingStatus, SessionStatus, TrainingSession


def _errors(form, error):
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def _month_label(day):
    return f"{day:%B %Y}"


def _shift(month, by):
    index = month.year * 12 + month.month - 1 + by
    return datetime.date(index // 12, index % 12 + 1, 1)


def _require_sessions(user):
    if not (access.is_lead_or_hr(user) or selectors.is_trainer(user)):
        raise Http404("Not found")


@login_required
def session_list(request):
    _require_sessions(request.user)
    today = timezone.localdate()
    agencies = access.visible_agencies(request.user)
    form = SessionFilterForm(request.GET or None, agencies=agencies)
    month = form.month_start(today)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    sessions = selectors.sessions_in_month(
        request.user, month_start=month, module=data.get("module"), delivery_mode=data.get("mode")
    )
    rows = selectors.session_rows(sessions, user=request.user, agency=data.get("agency"), today=today)
    query = request.GET.copy()
    links = {}
    for name, by in (("previous", -1), ("next", 1)):
        query["month"] = f"{_shift(month, by):%Y-%m}"
        links[name] = {"href": "?" + query.urlencode(), "label": _month_label(_shift(month, by))}
    context = {
        "form": None,
        "filters": form,
        "rows": rows,
        "month": month,
        "month_label": _month_label(month),
        "links": links,
        "is_lead": access.is_lead(request.user),
        "can_see_demand": access.is_lead_or_hr(request.user),
        "agency": data.get("agency"),
    }
    return render(request, "courses/session_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def session_new(request):
    access.require_lead(request.user)
    form = SessionForm(request.POST or None, initial={"delivery_mode": "classroom"})
    if request.method == "POST" and form.is_valid():
        try:
            session = services.session_create(actor=request.user, **form.service_arguments())
        except ValidationError as error:
            _errors(form, error)
        else:
            messages.success(request, f"The {session.module.code} session has been scheduled.")
            return redirect("courses:session_detail", pk=session.pk)
    return render(request, "courses/session_form.html", {"form": form, "session": None})


@login_required
@require_http_methods(["GET", "POST"])
def session_edit(request, pk):
    access.require_lead(request.user)
    session = selectors.get_visible_session_or_404(request.user, pk=pk)
    if session.status != SessionStatus.SCHEDULED:
        raise Http404("Not found")
    form = SessionForm(request.POST or None, initial=SessionForm.initial_for(session))
    if request.method == "POST" and form.is_valid():
        arguments = form.service_arguments()
        try:
            services.session_update(
                session=session,
                actor=request.user,
                parts=arguments.pop("parts"),
                trainers=arguments.pop("trainers"),
                holds=arguments.pop("holds"),
                **arguments,
            )
        except ValidationError as error:
            _errors(form, error)
        else:
            messages.success(
                request, "The session has been changed. People booked are told of any new time or place."
            )
            return redirect("courses:session_detail", pk=session.pk)
    return render(request, "courses/session_form.html", {"form": form, "session": session})


@login_required
@require_http_methods(["GET", "POST"])
def session_cancel(request, pk):
    access.require_lead(request.user)
    session = selectors.get_visible_session_or_404(request.user, pk=pk)
    form = SessionCancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.session_cancel(session=session, actor=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            _errors(form, error)
        else:
            messages.success(request, "The session has been cancelled and everyone booked is being told.")
            return redirect("courses:session_detail", pk=session.pk)
    return render(request, "courses/session_cancel.html", {"form": form, "session": session})


@login_required
@require_http_methods(["GET", "POST"])
def session_detail(request, pk):
    _require_sessions(request.user)
    session = selectors.get_visible_session_or_404(request.user, pk=pk)
    today = timezone.localdate()
    can_book = access.is_lead_or_hr(request.user) and session.status == SessionStatus.SCHEDULED
    book_form = BookPersonForm(
        request.POST or None, agencies=access.visible_agencies(request.user), prefix="book"
    )
    if request.method == "POST":
        if not can_book:
            raise Http404("Not found")
        if book_form.is_valid():
            staff = selectors.staff_bookable(
                request.user,
                agency=book_form.cleaned_data["agency"],
                staff_number=book_form.cleaned_data["staff_number"],
            )
            try:
                booking = services.booking_create(session=session, staff=staff, actor=request.user)
            except ValidationError as error:
                _errors(book_form, error)
            else:
                if booking.status == BookingStatus.BOOKED:
                    messages.success(request, f"{staff.full_name} has a place.")
                else:
                    messages.success(
                        request,
                        f"The session is full: {staff.full_name} is number {booking.waitlist_position} "
                        "on the waiting list.",
                    )
                return redirect("courses:session_detail", pk=session.pk)
    row = selectors.session_rows(type(session).objects.filter(pk=session.pk), user=request.user, today=today)[
        0
    ]
    bookings = list(selectors.visible_bookings(request.user, session))
    context = {
        "form": None,
        "book_form": book_form,
        "row": row,
        "session": row.session,
        "bookings": [b for b in bookings if b.status in LIVE_STATUSES],
        "past_bookings": [b for b in bookings if b.status not in LIVE_STATUSES],
        "every_attendee": selectors.sees_every_attendee(request.user, session),
        "counts_by_agency": selectors.session_counts_by_agency(session),
        "can_book": can_book,
        "is_lead": access.is_lead(request.user),
        "can_register": selectors.may_manage(request.user, session)
        and session.status != SessionStatus.CANCELLED
        and timezone.localdate(session.starts_at) <= today,
    }
    return render(request, "courses/session_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def booking_cancel(request, pk):
    access.require_lead_or_hr(request.user)
    booking = selectors.get_visible_booking_or_404(request.user, pk=pk)
    form = BookingCancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.booking_cancel(booking=booking, actor=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            _errors(form, error)
        else:
            messages.success(request, f"{booking.staff.full_name}'s booking has been cancelled.")
            return redirect("courses:session_detail", pk=booking.session_id)
    return render(
        request,
        "courses/booking_cancel.html",
        {"form": form, "booking": booking, "back": "courses:session_detail"},
    )


@login_required
def booking_invite(request, pk):
    access.require_lead_or_hr(request.user)
    booking = selectors.get_visible_booking_or_404(request.user, pk=pk)
    return _invite_response(booking)


def _invite_response(booking):
    body = invitations.booking_invitation(booking)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{booking.session.module.code.lower()}-session.ics"'
    )
    return response


# ---------------------------------------------------------------------------------------------
# A staff member's own bookings (staff session from an emailed link)
# ---------------------------------------------------------------------------------------------

BOOKABLE_STATUSES = {Status.DUE, Status.OVERDUE, Status.EXPIRED, Status.RENEWAL_DUE, Status.COMPLIANT}


@never_cache
@access.staff_session_required
def my_sessions(request, pk):
    """Each module required of the person with sessions open for booking: "Book a place"."""
    staff = access.get_signed_in_staff_or_404(request, pk=pk)
    today = timezone.localdate()
    now = timezone.now()
    pairs = [pair for pair in person_pairs(staff=staff, today=today) if pair.status in BOOKABLE_STATUSES]
    live = selectors.live_module_ids(staff)
    sessions = selectors.upcoming_sessions(module_ids=[pair.module.id for pair in pairs], now=now)
    rows = selectors.session_rows(sessions, user=request.user, agency=staff.agency, today=today)
    by_module = {}
    for row in rows:
        by_module.setdefault(row.session.module_id, []).append(row)
    modules = [
        {"pair": pair, "sessions": by_module.get(pair.module.id, []), "booked": pair.module.id in live}
        for pair in pairs
        if pair.module.id in by_module or pair.module.id in live
    ]
    context = {"staff": staff, "modules": modules, "nav_staff_active": "sessions"}
    return render(request, "courses/self/sessions.html", context)


@never_cache
@access.staff_session_required
@require_http_methods(["GET", "POST"])
def my_book(request, pk, session_pk):
    """Confirm a place (a POST: a link in an email never books by itself)."""
    staff = access.get_signed_in_staff_or_404(request, pk=pk)
    # Any session open for booking may be asked for; the booking rules decide the rest.
    session = get_object_or_404(TrainingSession.objects.select_related("module"), pk=session_pk)
    today = timezone.localdate()
    row = selectors.session_rows(
        type(session).objects.filter(pk=session.pk), user=request.user, agency=staff.agency, today=today
    )[0]
    error = None
    if request.method == "POST":
        try:
            booking = services.booking_create(session=session, staff=staff)
        except ValidationError as refusal:
            error = " ".join(refusal.messages)
        else:
            if booking.status == BookingStatus.BOOKED:
                messages.success(
                    request, "You have a place. We have emailed you the details and a calendar invitation."
                )
            else:
                messages.success(
                    request,
                    f"The session is full: you are number {booking.waitlist_position} on the waiting list. "
                    "We will email you if a place frees.",
                )
            return redirect("courses:my_bookings", pk=staff.pk)
    context = {
        "staff": staff,
        "row": row,
        "session": row.session,
        "error": error,
        "nav_staff_active": "sessions",
    }
    return render(request, "courses/self/book.html", context)


@never_cache
@access.staff_session_required
def my_bookings(request, pk):
    staff = access.get_signed_in_staff_or_404(request, pk=pk)
    bookings = selectors.person_bookings(staff)
    context = {
        "staff": staff,
        "live": [b for b in bookings if b.status in LIVE_STATUSES],
        "past": [b for b in bookings if b.status not in LIVE_STATUSES],
        "nav_staff_active": "bookings",
    }
    return render(request, "courses/self/bookings.html", context)


@never_cache
@access.staff_session_required
@require_http_methods(["GET", "POST"])
def my_booking_cancel(request, pk, booking_pk):
    staff = access.get_signed_in_staff_or_404(request, pk=pk)
    booking = selectors.get_own_booking_or_404(staff, pk=booking_pk)
    form = BookingCancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.booking_cancel(booking=booking, by_staff=True, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            _errors(form, error)
        else:
            messages.success(request, "Your booking has been cancelled.")
            return redirect("courses:my_bookings", pk=staff.pk)
    context = {
        "form": form,
        "booking": booking,
        "staff": staff,
        "now": timezone.now(),
        "nav_staff_active": "bookings",
    }
    return render(request, "courses/self/booking_cancel.html", context)


@never_cache
@access.staff_session_required
def my_booking_invite(request, pk, booking_pk):
    staff = access.get_signed_in_staff_or_404(request, pk=pk)
    return _invite_response(selectors.get_own_booking_or_404(staff, pk=booking_pk))


# ---------------------------------------------------------------------------------------------
# The attendance register: the lead or the session's trainers
# ---------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def register(request, pk):
    session = selectors.get_visible_session_or_404(request.user, pk=pk)
    if not selectors.may_manage(request.user, session):
        raise Http404("Not found")
    booked = list(selectors.register_bookings(session))
    form = RegisterForm(request.POST or None, bookings=booked)
    if request.method == "POST" and session.register_confirmed_at is None and form.is_valid():
        try:
            result = services.register_confirm(
                session=session,
                attended=form.marked("attended"),
                no_show=form.marked("no_show"),
                walk_ins=form.cleaned_data["walk_ins"],
                actor=request.user,
            )
        except ValidationError as error:
            _errors(form, error)
        else:
            messages.success(
                request,
                f"The register is confirmed: {result.completions} "
                f"completion{'s' if result.completions != 1 else ''} "
                f"of {session.module.code} recorded, {result.no_show} did not attend.",
            )
            return redirect("courses:session_detail", pk=session.pk)
    context = {"form": form, "session": session, "bookings": booked, "rows": form.rows()}
    return render(request, "courses/register.html", context)


# ---------------------------------------------------------------------------------------------
# Demand against supply: the lead (the partnership or one agency) and Agency HR (their agency)
# ---------------------------------------------------------------------------------------------

DEMAND_HEADERS = [
    "Module",
    "Title",
    "People who need it",
    "Places scheduled",
    "Sessions",
    "Shortfall",
    "Sessions needed",
    "Usual places",
]


@login_required
def demand(request):
    access.require_lead_or_hr(request.user)
    today = timezone.localdate()
    agencies = access.visible_agencies(request.user)
    slug = request.GET.get("agency", "")
    agency = access.get_visible_agency_or_404(request.user, slug=slug) if slug else None
    if agency is None and not access.is_lead(request.user):
        agency = agencies.first()
    rows = selectors.demand_supply(today=today, agency=agency)
    if request.GET.get("download") == "xlsx":
        return spreadsheet_response(
            headers=DEMAND_HEADERS,
            rows=(
                [
                    r.module.code,
                    r.module.title,
                    r.need,
                    r.places,
                    r.sessions,
                    r.shortfall,
                    r.sessions_needed,
                    r.usual_capacity,
                ]
                for r in rows
            ),
            name=f"demand-and-supply-{agency.slug if agency else 'partnership'}-{today:%Y-%m-%d}",
            file_format="xlsx",
            title="Demand and supply",
        )
    attendance = [
        row for row in selectors.attendance_by_agency(request.user) if agency is None or row.agency == agency
    ]
    context = {
        "rows": rows,
        "attendance": attendance,
        "agency": agency,
        "agencies": agencies,
        "is_lead": access.is_lead(request.user),
        "horizon": today + datetime.timedelta(days=selectors.DEMAND_DAYS),
        "days": selectors.DEMAND_DAYS,
    }
    return render(request, "courses/demand.html", context)


# ---------------------------------------------------------------------------------------------
# Evaluation: the attendee's feedback form (an emailed link, or their own record), and the
# summaries (the lead every session, a trainer their own, Agency HR their agencies' counts)
# ---------------------------------------------------------------------------------------------


def _feedback_form(request, booking, *, template, context):
    """The feedback form of `booking`. Once given, the page thanks the person and a second answer
    is refused with the service's message (nothing written): the form is no longer shown, so the
    refusal stands in an error summary of its own."""
    form = FeedbackForm(request.POST or None)
    given = selectors.feedback_given(booking)
    refusal = None
    if request.method == "POST" and given:
        refusal = services.ALREADY_GIVEN
    elif request.method == "POST" and form.is_valid():
        try:
            services.feedback_record(booking=booking, **form.service_arguments())
        except ValidationError as error:
            if services.ALREADY_GIVEN not in error.messages:
                _errors(form, error)
            else:  # given meanwhile, from another tab or device
                given, refusal = True, services.ALREADY_GIVEN
        else:
            messages.success(request, "Thank you. Your feedback has been sent to the trainers.")
            return redirect(request.path)
    context = {
        **context,
        "form": None if given else form,
        "refusal": refusal,
        "booking": booking,
        "session": booking.session,
        "given": given,
    }
    return render(request, template, context)


@never_cache
@require_http_methods(["GET", "POST"])
def feedback(request, token):
    """The form opened by the link in the feedback email: no sign-in, this one booking only."""
    try:
        booking = feedback_links.booking_for_token(token)
    except feedback_links.LinkRefused as refused:
        return render(request, "courses/feedback_link_refused.html", {"reason": refused.reason}, status=403)
    return _feedback_form(request, booking, template="courses/feedback_form.html", context={})


@never_cache
@access.staff_session_required
@require_http_methods(["GET", "POST"])
def my_feedback(request, pk, booking_pk):
    staff = access.get_signed_in_staff_or_404(request, pk=pk)
    booking = selectors.get_own_booking_or_404(staff, pk=booking_pk, status=BookingStatus.ATTENDED)
    context = {"staff": staff, "nav_staff_active": "bookings"}
    return _feedback_form(request, booking, template="courses/self/feedback.html", context=context)


@login_required
def feedback_summary(request):
    _require_sessions(request.user)
    summary = selectors.feedback_summary(request.user)
    return render(request, "courses/feedback_summary.html", summary)


@login_required
def session_feedback(request, pk):
    session = selectors.get_visible_session_or_404(request.user, pk=pk)
    if not selectors.sees_feedback_scores(request.user, session):
        raise Http404("Not found")
    figures, comments = selectors.session_feedback(session)
    context = {"session": session, "figures": figures, "comments": comments}
    return render(request, "courses/session_feedback.html", context)
