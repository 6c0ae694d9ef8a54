"""The people pages: a home page per role, agencies and their staff lists, and a staff member's
page, which brings together their details, training, reminders and history.

Thin views: access comes from workforce.access (another agency's object is a 404) and reads from
the selectors of the apps below.
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.text import slugify

from notifications.selectors import outbox as outbox_selectors
from training.selectors.compliance import (
    ComplianceFilters,
    compliance_figures,
    person_compliance,
    person_pairs,
    worst_statuses,
)
from training.selectors.targets import compliance_targets, rate_against_target
from training.views import compliance as compliance_views
from workforce import access, selectors
from workforce.database import heavy_reads_view
from workforce.forms import StaffSearchForm
from workforce.lists import ListControls, Sort, spreadsheet_response
from workforce.selectors import StaffStatus

from . import selectors as people_selectors


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
    context = {
        "agency": agency,
        "figures": figures,
        "against_target": rate_against_target(
            figures.summary, today=today, targets=compliance_targets(), agency=agency
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
        people = list(staff)
        for start in range(0, len(people), DOWNLOAD_CHUNK):
            chunk = people[start : start + DOWNLOAD_CHUNK]
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
        "is_lead": access.is_lead(request.user),
        "reminder_history_limit": outbox_selectors.PERSON_HISTORY_LIMIT,
        "history": selectors.staff_history(staff=staff),
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
            for person in results
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
