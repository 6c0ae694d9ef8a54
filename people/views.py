"""The people pages: a home page per role, agencies and their staff lists, and a staff member's
page, which brings together their details, training, reminders and history.

Thin views: access comes from workforce.access (another agency's object is a 404) and reads from
the selectors of the apps below.
"""

import itertools

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from audit import actions as audit_actions
from audit import selectors as audit_selectors
from audit.forms import AuditFilterForm
from courses import selectors as courses_selectors
from notifications import services as notification_services
from notifications.selectors import outbox as outbox_selectors
from training import services as training_services
from training.charts import trend
from training.forms.records import apply_service_errors
from training.selectors.compliance import (
    ComplianceFilters,
    compliance_figures,
    person_compliance,
    person_pairs,
    worst_statuses,
)
from training.selectors.targets import compliance_targets, rate_against_target
from training.snapshots import compliance_trend
from training.views import compliance as compliance_views
from workforce import access, selectors, signin
from workforce.database import heavy_reads_view
from workforce.forms import StaffSearchForm
from workforce.lists import CONTENT_TYPES, ListControls, Sort, spreadsheet_response
from workforce.selectors import StaffStatus

from . import selectors as people_selectors
from .forms import ACTIONS, BulkAssignmentForm, BulkExemptionForm


@login_required
@heavy_reads_view
def home(request):
    """Leads and Agency HR start on the dashboard; anyone else is told where their record is."""
    if access.is_lead_or_hr(request.user):
        return compliance_views.dashboard(request)
    return render(request, "people/home_staff.html")


@login_required
@heavy_reads_view
def agency_list(request):
    access.require_lead_or_hr(request.user)
    if not access.is_lead(request.user):
        # Agency HR of one agency have one staff list: straight there.
        own = list(access.visible_agencies(request.user).only("slug")[:2])
        if len(own) == 1:
            return redirect("agency_staff", slug=own[0].slug)
    agencies = selectors.agencies_with_staff_counts(user=request.user, today=timezone.localdate())
    return render(request, "people/agency_list.html", {"agencies": agencies})


@login_required
@heavy_reads_view
def agency_staff(request, slug):
    agency = access.get_visible_agency_or_404(request.user, slug=slug)
    today = timezone.localdate()
    search = StaffSearchForm(request.GET or None)
    q, status = search.filters()
    staff = selectors.staff_search(user=request.user, agency=agency, q=q, status=status, today=today)
    controls = ListControls(request, sorts=AGENCY_STAFF_SORTS, default="name")
    staff = controls.ordered(staff)
    compliance_filters = ComplianceFilters(agency=agency)
    file_format = controls.wants_download()
    if file_format:
        return _agency_staff_download(request, agency, staff, compliance_filters, file_format, today)
    page = controls.page(staff)
    counts = selectors.staff_status_counts(user=request.user, agency=agency, today=today)
    # The agency's compliance figures, and the worst status of each person on this page only.
    figures = compliance_figures(user=request.user, on=today, filters=compliance_filters)
    page.object_list = list(page.object_list)
    worst = worst_statuses(
        staff=access.visible_staff(request.user),
        on=today,
        filters=compliance_filters,
        people=[person.pk for person in page.object_list],
    )
    for person in page.object_list:
        person.worst_status = worst.get(person.pk)
    targets = compliance_targets()
    context = {
        "agency": agency,
        "figures": figures,
        "against_target": rate_against_target(figures.summary, today=today, targets=targets, agency=agency),
        "trend": trend(
            key="agency",
            subject=agency.name,
            points=compliance_trend(today=today, agency=agency),
            target=targets.partnership,
        ),
        "filters": compliance_filters,
        "page": page,
        "page_range": page.range,
        "controls": controls,
        "headings": controls.headings(),
        "search": search,
        "q": q,
        "status": status,
        "status_filters": [
            {"value": value, "label": label, "count": counts[value], "selected": value == status}
            for value, label in StaffStatus.choices
        ],
        "today": today,
    }
    return render(request, "people/agency_staff.html", context)


AGENCY_STAFF_SORTS = (
    Sort("name", "Name", ("last_name", "first_name", "staff_number")),
    Sort("number", "Staff number", ("staff_number",)),
    Sort("role", "Job role", ("job_role__name", "last_name", "first_name")),
    Sort("team", "Team", ("team__name", "last_name", "first_name")),
    Sort("start", "Start date", ("start_date", "last_name", "first_name")),
    Sort("left", "Leaving date", ("left_on", "last_name", "first_name")),
)
AGENCY_STAFF_HEADERS = [
    "Name",
    "Staff number",
    "Job role",
    "Team",
    "Email",
    "Training",
    "Start date",
    "Leaving date",
]
DOWNLOAD_CHUNK = 2000  # people whose training status is worked out at once in a download


def _agency_staff_download(request, agency, staff, compliance_filters, file_format, today):
    """The listed staff, in the listed order, with each person's worst training status."""

    def rows():
        visible = access.visible_staff(request.user)
        # Read in chunks as the file is written: memory stays flat for the largest agency.
        people = staff.iterator(chunk_size=DOWNLOAD_CHUNK)
        while chunk := list(itertools.islice(people, DOWNLOAD_CHUNK)):
            worst = worst_statuses(
                staff=visible, on=today, filters=compliance_filters, people=[p.pk for p in chunk]
            )
            for person in chunk:
                status = worst.get(person.pk)
                yield [
                    person.full_name,
                    person.staff_number,
                    person.job_role.name,
                    person.team.name if person.team else "",
                    person.email,
                    status.label if status else STATE_WORDS[selectors.staff_state(person, today=today)],
                    person.start_date,
                    person.left_on,
                ]

    return spreadsheet_response(
        headers=[
            "Name",
            "Staff number",
            "Job role",
            "Team",
            "Email",
            "Training",
            "Start date",
            "Leaving date",
        ],
        rows=rows(),
        name=f"{agency.slug}-staff-{today:%Y-%m-%d}",
        file_format=file_format,
        title="Staff",
    )


@login_required
def staff_detail(request, pk):
    staff = access.get_visible_staff_or_404(request.user, pk=pk)
    today = timezone.localdate()
    # The requirements table and the reminders panel share one run of the compliance engine.
    pairs = person_pairs(staff=staff, on=today)
    context = {
        "staff": staff,
        "compliance": person_compliance(staff=staff, on=today, pairs=pairs),
        "reminders": outbox_selectors.person_reminders(staff, today=today, pairs=pairs),
        "address_failure": outbox_selectors.address_failure(staff),
        "is_lead": access.is_lead(request.user),
        "reminder_history_limit": outbox_selectors.PERSON_HISTORY_LIMIT,
        "history": selectors.staff_history(staff=staff),
        "attendance": courses_selectors.person_attendance(staff),
        "today": today,
    }
    return render(request, "people/staff_detail.html", context)


# ---------------------------------------------------------------------------------------------
# Finding anyone, and the gaps in the data
# ---------------------------------------------------------------------------------------------

SEARCH_SORTS = (
    Sort("name", "Name", ("last_name", "first_name", "staff_number")),
    Sort("number", "Staff number", ("staff_number", "agency__name")),
    Sort("agency", "Agency", ("agency__name", "last_name", "first_name")),
    Sort("role", "Job role", ("job_role__name", "last_name", "first_name")),
)
STATE_WORDS = {"current": "Current", "leaver": "Left", "starting": "Not started yet"}


@login_required
def search(request):
    """Find anyone by name, staff number or email, across the agencies the user may see."""
    access.require_lead_or_hr(request.user)
    query = " ".join(request.GET.get("q", "").split())[:200]
    today = timezone.localdate()
    controls = ListControls(request, sorts=SEARCH_SORTS, default="name")
    results = controls.ordered(selectors.staff_find(user=request.user, q=query))
    file_format = controls.wants_download()
    if file_format:
        rows = (
            [
                person.full_name,
                person.staff_number,
                person.agency.name,
                person.job_role.name,
                person.email,
                STATE_WORDS[selectors.staff_state(person, today=today)],
            ]
            for person in results.iterator(chunk_size=DOWNLOAD_CHUNK)
        )
        return spreadsheet_response(
            headers=["Name", "Staff number", "Agency", "Job role", "Email", "Status"],
            rows=rows,
            name=f"people-matching-{slugify(query) or 'search'}-{today:%Y-%m-%d}",
            file_format=file_format,
            title="People",
        )
    page = controls.page(results)
    people = list(page.object_list)
    if len(people) == 1 and page.paginator.count == 1 and "sort" not in request.GET:
        return redirect("staff_detail", pk=people[0].pk)
    for person in people:
        person.state = STATE_WORDS[selectors.staff_state(person, today=today)]
    context = {
        "query": query,
        "search_query": query,
        "page": page,
        "people": people,
        "controls": controls,
        "headings": controls.headings(),
    }
    return render(request, "people/search.html", context)


@login_required
@heavy_reads_view
def data_quality(request):
    """The gaps in the staff data the user may see, each with the people it leaves out."""
    access.require_lead_or_hr(request.user)
    today = timezone.localdate()
    problem = request.GET.get("problem")
    file_format = request.GET.get("download")
    if problem in people_selectors.PEOPLE_PROBLEM_KEYS and file_format in ("csv", "xlsx"):
        people = people_selectors.people_with(problem, user=request.user, today=today)
        return spreadsheet_response(
            headers=[
                "Name",
                "Staff number",
                "Agency",
                "Job role",
                "Email",
                "Line manager email",
                "Start date",
            ],
            rows=(
                [
                    p.full_name,
                    p.staff_number,
                    p.agency.name,
                    p.job_role.name,
                    p.email,
                    p.line_manager_email,
                    p.start_date,
                ]
                for p in people
            ),
            name=f"data-quality-{problem.replace('_', '-')}-{today:%Y-%m-%d}",
            file_format=file_format,
            title="People",
        )
    problems = people_selectors.data_quality(user=request.user, today=today)
    context = {
        "problems": problems,
        "today": today,
        "shown": people_selectors.SHOWN,
        "download_keys": people_selectors.PEOPLE_PROBLEM_KEYS,
    }
    return render(request, "people/data_quality.html", context)


AUDIT_SORTS = (Sort("at", "When", fields=("at", "pk")),)


@login_required
def audit_log(request):
    """The audit log, for partnership leads only (anyone else: 404): search, filter, page and
    download it; the download is itself an audit event (workforce.downloads)."""
    access.require_lead(request.user)
    form = AuditFilterForm(request.GET or None)
    filters = form.filters()
    events = audit_selectors.audit_events(**filters)
    controls = ListControls(request, sorts=AUDIT_SORTS, default="-at")
    events = controls.ordered(events)
    file_format = controls.wants_download()
    if file_format:
        return spreadsheet_response(
            headers=[
                "When",
                "Who",
                "Event",
                "Description",
                "Record type",
                "Record id",
                "Record",
                "Client address",
            ],
            rows=(
                [
                    timezone.localtime(event.at).strftime("%Y-%m-%d %H:%M:%S"),
                    event.actor,
                    audit_actions.label(event.action),
                    event.description,
                    event.target_type,
                    event.target_id,
                    event.target_label,
                    event.client_ip or "",
                ]
                for event in events.iterator(chunk_size=2000)
            ),
            name=f"audit-log-{timezone.localdate():%Y-%m-%d}",
            file_format=file_format,
            title="Audit log",
        )
    page = controls.page(events)
    for event in page.object_list:
        event.label = audit_actions.label(event.action)
    context = {
        "form": form,
        "filtered": bool(filters),
        "page": page,
        "page_range": page.range,
        "controls": controls,
        "headings": controls.headings(),
        "retention_days": settings.AUDIT_RETENTION_DAYS,
    }
    return render(request, "people/audit_log.html", context)


# ---------------------------------------------------------------------------------------------
# Acting on a list of people at once, and on one person from their page
# ---------------------------------------------------------------------------------------------

BULK_SHOWN = 20  # names listed on a confirmation page; the rest are counted


class BulkRefused(Exception):
    def __init__(self, message, back):
        super().__init__(message)
        self.message = message
        self.back = back


def _bulk_back(request):
    """The list the action came from, with its filters: an agency's staff list or the people list."""
    filters = request.POST.get("filters", "")
    query = QueryDict(filters)
    if request.POST.get("list") == "agency":
        agency = access.get_visible_agency_or_404(request.user, slug=request.POST.get("agency", ""))
        return agency, reverse("agency_staff", kwargs={"slug": agency.slug}), query
    return None, reverse("compliance:people"), query


def _with_query(url, query):
    return f"{url}?{query.urlencode()}" if query else url


def _listed_ids(request, agency, query, today):
    """Everyone the list shows for its filters, on every page, in the user's scope."""
    if agency is not None:
        search = StaffSearchForm(query or None)
        q, status = search.filters()
        staff = selectors.staff_search(user=request.user, agency=agency, q=q, status=status, today=today)
        return list(staff.order_by().values_list("pk", flat=True))
    return compliance_views.people_listed(request.user, query, today=today)


def _bulk_people(request, today):
    """(people, back url) of a bulk action. The chosen ids come from ticked boxes (`staff`), from
    the confirmation page (`people`, comma-separated) or from the whole filtered list (`scope`
    "all"). Anyone outside the user's scope refuses the whole selection (BulkRefused)."""
    agency, back_url, query = _bulk_back(request)
    back = _with_query(back_url, query)
    if request.POST.get("people"):
        wanted = request.POST["people"].split(",")
    elif request.POST.get("scope") == "all":
        wanted = [str(pk) for pk in _listed_ids(request, agency, query, today)]
    else:
        wanted = request.POST.getlist("staff")
    ids = {int(value) for value in wanted if value.strip().isdigit()}
    if len(ids) != len({value.strip() for value in wanted}):
        raise BulkRefused("Some of the chosen people are not valid. Nothing was changed.", back)
    if not ids:
        raise BulkRefused("Tick at least one person, or choose everyone in this list.", back)
    people = list(
        access.visible_staff(request.user)
        .filter(pk__in=ids)
        .select_related("agency", "job_role")
        .order_by("last_name", "first_name", "staff_number")
    )
    if len(people) != len(ids):
        outside = len(ids) - len(people)
        raise BulkRefused(
            f"{outside} of the chosen people {pluralize(outside, 'is,are')} "
            "not in an agency you look after. "
            "Nothing was changed: choose only your own agency's staff.",
            back,
        )
    return people, back


@login_required
@require_POST
def bulk_action(request):
    """A bulk action on a list of people: a confirmation page that counts them (with the action's
    own questions), then the action through its service, all or none. Nothing is written before
    the confirmation; someone outside the user's scope refuses the whole selection."""
    access.require_lead_or_hr(request.user)
    action = request.POST.get("action")
    if action not in ACTIONS:
        raise Http404("No such action.")
    today = timezone.localdate()
    try:
        people, back = _bulk_people(request, today)
    except BulkRefused as refused:
        messages.error(request, refused.message)
        return redirect(refused.back)
    confirmed = bool(request.POST.get("confirm"))
    form_class = {"exempt": BulkExemptionForm, "assign": BulkAssignmentForm}.get(action)
    form = None
    if form_class is not None:
        initial = {"starts_on": today} if action == "exempt" else {}
        form = form_class(request.POST if confirmed else None, initial=initial)
    if confirmed and (form is None or form.is_valid()):
        done = _bulk_apply(request, action, people, form, today)
        if done is not None:
            messages.success(request, done)
            return redirect(back)
    context = {
        "action": action,
        "action_label": ACTIONS[action],
        "people": people,
        "shown": people[:BULK_SHOWN],
        "more": max(len(people) - BULK_SHOWN, 0),
        "form": form,
        "back": back,
        "ids": ",".join(str(person.pk) for person in people),
        "post": request.POST,
        "preview": notification_services.reminders_now_preview(staff=people, day=today)
        if action == "remind"
        else None,
    }
    return render(request, "people/bulk_confirm.html", context)


def _bulk_apply(request, action, people, form, today):
    """Run the action; the success message, or None with the service's errors on the form."""
    count = len(people)
    if action == "remind":
        result = notification_services.reminders_now_request(staff=people, actor=request.user, day=today)
        return _remind_words(result)
    data = form.cleaned_data
    try:
        if action == "exempt":
            outcome = training_services.exemptions_create(
                staff=people,
                module=data["module"],
                reason=data["reason"],
                details=data["details"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                actor=request.user,
            )
            what = data["module"].code if data["module"] else "all modules"
            people_are = pluralize(outcome.created, "person is,people are")
            text = f"{outcome.created} {people_are} now exempt from {what}."
        else:
            outcome = training_services.assignments_create(
                staff=people,
                module=data["module"],
                assigned_on=today,
                due_on=data["due_on"],
                reason=data["reason"],
                actor=request.user,
            )
            people_word = pluralize(count, "person,people")
            text = f"Assigned {data['module'].code} to {outcome.created} of {count} {people_word}."
    except ValidationError as error:
        apply_service_errors(form, error)
        return None
    if outcome.skipped:
        already = len(outcome.skipped)
        text += f" {already} already had it: left as {pluralize(already, 'it was,they were')}."
    return text


def _remind_words(result):
    parts = [f"{result.queued} reminder{pluralize(result.queued)} queued."]
    if result.tomorrow:
        parts.append(
            f"{result.tomorrow} of them wait for tomorrow's email: "
            "today's had already gone (one email a day)."
        )
    if result.already:
        parts.append(f"{result.already} had been reminded today already: nothing more was queued for them.")
    if result.unreachable:
        parts.append(f"{result.unreachable} {pluralize(result.unreachable, 'has,have')} no email address.")
    if result.nothing_outstanding:
        parts.append(f"{result.nothing_outstanding} had nothing outstanding.")
    return " ".join(parts)


@login_required
@require_POST
def staff_remind(request, pk):
    """Send one person a reminder now, from their page (the same service as the lists' action)."""
    access.require_lead_or_hr(request.user)
    staff = access.get_visible_staff_or_404(request.user, pk=pk)
    result = notification_services.reminders_now_request(staff=[staff], actor=request.user)
    name = staff.full_name
    if result.queued and result.tomorrow:
        messages.success(
            request,
            f"A reminder to {name} is queued. It goes with tomorrow's email: "
            "they have had today's already (one email a day).",
        )
    elif result.queued:
        messages.success(
            request, f"A reminder to {name} is queued: it lists everything they have outstanding."
        )
    elif result.already:
        messages.info(request, f"{name} has been reminded today already: nothing more was queued.")
    elif result.unreachable:
        messages.error(request, f"{name} has no email address: add one to their agency's staff list.")
    else:
        messages.info(request, f"{name} has nothing outstanding: no reminder was queued.")
    return redirect("staff_detail", pk=staff.pk)


SIGNIN_WORDS = {
    "no_email": "has no email address: add one to their agency's staff list.",
    "left": "has left, so their record cannot be opened by link.",
    "limit": "has been sent several sign-in links in the last hour. Try again later.",
}


@login_required
@require_POST
def staff_signin_link(request, pk):
    """Email one person a fresh sign-in link to their own record, from their page."""
    access.require_lead_or_hr(request.user)
    staff = access.get_visible_staff_or_404(request.user, pk=pk)
    outcome = signin.signin_link_send_for(staff=staff, actor=request.user)
    if outcome == "queued":
        messages.success(request, f"A sign-in link is on its way to {staff.email}. It works for 7 days.")
    else:
        messages.error(request, f"No link was sent: {staff.full_name} {SIGNIN_WORDS[outcome]}")
    return redirect("staff_detail", pk=staff.pk)


# ---------------------------------------------------------------------------------------------
# Large exports, written in the background (workforce.exports)
# ---------------------------------------------------------------------------------------------


@login_required
def export_job(request, pk):
    """A large export's page: its progress while the worker writes it, then its download. Only for
    the person who asked, while they may still see what it holds (anyone else: 404)."""
    job = access.get_export_job_or_404(request.user, pk=pk, today=timezone.localdate())
    context = {
        "job": job,
        "progress_text": _export_progress_text(job),
        "keep_hours": settings.EXPORT_KEEP_HOURS,
    }
    return render(request, "people/export_job.html", context)


@login_required
def export_job_progress(request, pk):
    """The page's script (static/imports/progress.js) polls this; it reloads when `status` changes."""
    job = access.get_export_job_or_404(request.user, pk=pk, today=timezone.localdate())
    return JsonResponse({"status": job.status, "percent": job.percent, "text": _export_progress_text(job)})


@login_required
def export_job_download(request, pk):
    """The file, once written; one audit event (workforce.downloads)."""
    job = access.get_export_job_or_404(request.user, pk=pk, today=timezone.localdate())
    if job.status != job.Status.READY or timezone.now() >= job.expires_at:
        raise Http404("This file is not ready, or is no longer kept.")
    try:
        handle = job.file.open("rb")
    except FileNotFoundError:
        raise Http404("This file is no longer kept.") from None
    response = FileResponse(
        handle, as_attachment=True, filename=job.filename, content_type=CONTENT_TYPES[job.file_format]
    )
    response["Cache-Control"] = "private, no-store"
    return response


def _export_progress_text(job):
    if job.status == job.Status.QUEUED:
        return "Waiting for the worker to start writing the file."
    if job.status == job.Status.RUNNING:
        return f"{job.percent}% written: {job.rows_done:,} of {job.rows_total:,} people."
    if job.status == job.Status.READY:
        return f"Every one of {job.rows_done:,} people written."
    return job.error
