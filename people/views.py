"""The people pages: a home page per role, agencies and their staff lists, and a staff member's
page, which brings together their details, training, reminders and history.

Thin views: access comes from workforce.access (another agency's object is a 404) and reads from
the selectors of the apps below.
"""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone

from notifications.selectors import outbox as outbox_selectors
from training.selectors.compliance import (
    ComplianceFilters,
    compliance_figures,
    person_compliance,
    person_pairs,
    worst_statuses,
)
from workforce import access, selectors
from workforce.forms import StaffSearchForm
from workforce.selectors import StaffStatus

from . import selectors as people_selectors

STAFF_PER_PAGE = 50


@login_required
def home(request):
    user = request.user
    if access.is_lead(user):
        overview = people_selectors.agency_overview(user=user, today=timezone.localdate())
        return render(request, "people/home_lead.html", {"overview": overview})
    if access.is_agency_hr(user):
        agencies = list(access.visible_agencies(user).only("slug")[:2])
        if len(agencies) == 1:
            return redirect("agency_staff", slug=agencies[0].slug)
        return redirect("agency_list")
    return render(request, "people/home_staff.html")


@login_required
def agency_list(request):
    access.require_lead_or_hr(request.user)
    agencies = selectors.agencies_with_staff_counts(user=request.user, today=timezone.localdate())
    return render(request, "people/agency_list.html", {"agencies": agencies})


@login_required
def agency_staff(request, slug):
    agency = access.get_visible_agency_or_404(request.user, slug=slug)
    today = timezone.localdate()
    search = StaffSearchForm(request.GET or None)
    q, status = search.filters()
    staff = selectors.staff_search(user=request.user, agency=agency, q=q, status=status, today=today)
    page = Paginator(staff, STAFF_PER_PAGE).get_page(request.GET.get("page"))
    counts = selectors.staff_status_counts(user=request.user, agency=agency, today=today)
    # The agency's compliance figures, and the worst status of each person on this page only.
    compliance_filters = ComplianceFilters(agency=agency)
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
        "filters": compliance_filters,
        "page": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1),
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
