"""Compliance pages (namespace "compliance"): the dashboard, the people behind a count, and the
compliance exports. An agency's figures are on its staff page (people.views.agency_staff)
and a person's on their page (people.views.staff_detail), both built from the same selectors.

Thin views: access from workforce.access (another agency is a 404), figures from
training.selectors.compliance, files from training.exports.
"""

import dataclasses
from operator import attrgetter

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.text import slugify

from workforce import access
from workforce import exports as export_engine
from workforce.database import heavy_reads_view
from workforce.lists import ListControls, Sort, spreadsheet_response
from workforce.models import Tier
from workforce.selectors import staff_matching

from .. import charts, exports
from ..forms.compliance import ComplianceFilterForm, PeopleFilterForm, TargetsForm
from ..models import Module
from ..selectors import compliance as compliance_selectors
from ..selectors import targets as target_selectors
from ..selectors.state import maintained
from ..services import compliance_targets_save
from ..snapshots import compliance_trend, compliance_trends_by_tier


def filter_form(request, form_class=ComplianceFilterForm):
    """The filters in the query string. Naming an agency the user may not see is a 404, as it is
    everywhere else, rather than a form error that would confirm the agency exists."""
    slug = request.GET.get("agency")
    if slug:
        access.get_visible_agency_or_404(request.user, slug=slug)
    return form_class(request.GET or None, user=request.user)


@login_required
@heavy_reads_view
def dashboard(request):
    """The first page of leads and Agency HR (the home page renders it): the compliance rate,
    people fully compliant, statuses, the heat map and the trend, of what the user may see. An
    Agency HR user of one agency sees that agency's."""
    user = request.user
    access.require_lead_or_hr(user)
    today = timezone.localdate()
    form = filter_form(request)
    filters = form.filters()
    if filters.agency is None and not access.is_lead(user):
        agencies = list(access.visible_agencies(user)[:2])
        if len(agencies) == 1:
            filters = dataclasses.replace(filters, agency=agencies[0])
    figures = compliance_selectors.compliance_figures(user=user, on=today, filters=filters)
    targets = target_selectors.compliance_targets()
    trends, trend_note = _trends(user, filters, today, targets)
    context = {
        "form": form,
        "filters": filters,
        "figures": figures,
        "against_target": _against_target(figures, filters, today, targets),
        "trends": trends,
        "trend_note": trend_note,
        "today": today,
    }
    return render(request, "training/compliance/dashboard.html", context)


def _trends(user, filters, today, targets):
    """The 12-month trends the dashboard charts, and a sentence when it charts none.

    Snapshots exist for the partnership, each agency, each module and each tier: an agency's
    chart follows an agency filter (Agency HR always have one: theirs), a lead's module or tier
    filter charts that module or tier, and a lead's unfiltered dashboard charts the partnership
    and each tier. Partnership-wide figures are for leads only."""
    if filters.agency is not None:
        points = compliance_trend(today=today, agency=filters.agency)
        return [
            charts.trend(key="agency", subject=filters.agency.name, points=points, target=targets.partnership)
        ], ""
    if not access.is_lead(user):
        return [], "Choose one agency in the filter to see its trend."
    if filters.module is not None:
        module = filters.module
        points = compliance_trend(today=today, module=module)
        subject = f"{module.code} {module.title}"
        return [
            charts.trend(key="module", subject=subject, points=points, target=targets.for_module(module.pk))
        ], ""
    by_tier = compliance_trends_by_tier(today=today)
    tiers = [
        charts.trend(
            key=f"tier-{tier.value}",
            subject=f"tier {tier.label}",
            points=by_tier[tier.value],
            target=targets.for_tier(tier),
        )
        for tier in Tier
        if filters.tier is None or filters.tier == tier.value
    ]
    if filters.tier is not None:
        return tiers, ""
    whole = charts.trend(
        key="partnership",
        subject="the whole partnership",
        points=compliance_trend(today=today),
        target=targets.partnership,
    )
    return [whole, *tiers], ""


def _against_target(figures, filters, today, targets):
    """The headline rate against its target and last month's snapshot. Snapshots exist for the
    partnership, each agency, each module and each tier: with a narrower filter or two of those
    at once there is no month-ago figure of the same scope to compare with, so only the target
    shows."""
    narrowing = [filters.agency, filters.module, filters.tier]
    comparable = filters.team is None and filters.job_role is None
    comparable = comparable and sum(value is not None for value in narrowing) <= 1
    if not comparable:
        target = targets.for_tier(filters.tier) if filters.tier is not None else targets.partnership
        if filters.module is not None:
            target = targets.for_module(filters.module.pk)
        return target_selectors.against(figures.summary, target)
    return target_selectors.rate_against_target(
        figures.summary,
        today=today,
        targets=targets,
        agency=filters.agency,
        module=filters.module,
        tier=filters.tier,
    )


@login_required
def targets(request):
    """The lead's settings page for the partnership, tier and module targets."""
    access.require_lead(request.user)
    modules = Module.objects.filter(active=True).order_by("code")
    form = TargetsForm(request.POST or None, targets=target_selectors.compliance_targets(), modules=modules)
    if request.method == "POST" and form.is_valid():
        compliance_targets_save(**form.targets(), actor=request.user)
        messages.success(request, "Targets saved. Every rate on the dashboard is now compared with them.")
        return redirect("compliance:targets")
    return render(request, "training/compliance/targets.html", {"form": form})


def _person_key(*fields):
    def key(entry):
        details = entry.details
        return tuple((getattr(details, name) or "").casefold() for name in fields)

    return key


def _by_person(key, label, *fields):
    """A sort by a person's fields (PersonDetails names): in Python over the engine's list, in the
    database over the maintained state's (compliance_selectors.PeopleList)."""
    return Sort(key, label, fields=fields, row_key=_person_key(*fields))


PEOPLE_SORTS = (
    Sort("urgency", "Training", row_key=attrgetter("rank")),
    _by_person("name", "Name", "last_name", "first_name", "staff_number"),
    _by_person("number", "Staff number", "staff_number", "agency"),
    _by_person("agency", "Agency", "agency", "last_name", "first_name"),
    _by_person("role", "Job role", "job_role", "last_name", "first_name"),
)


@dataclasses.dataclass
class PersonEntry:
    """One person of the engine's list: their place by urgency, their pairs, and (when the list is
    sorted by a person's field or downloaded) their details."""

    rank: int
    staff_id: int
    pairs: list
    details: object = None


def _pairs_text(pairs):
    return "; ".join(f"{pair.module.code} {pair.module.title}: {pair.status.label}" for pair in pairs)


@login_required
@heavy_reads_view
def people(request):
    """The people behind a count: everyone in scope with at least one pair in the chosen status
    (or any status), most urgent first or sorted by a column, with those pairs; the whole list
    downloads as CSV or XLSX. On the maintained state's day the database filters, sorts and pages
    the list (a fixed number of queries, whatever the number of people); on any other day (a test's
    own clock, before the first roll) the engine lists every pair and Python does."""
    access.require_lead_or_hr(request.user)
    today = timezone.localdate()
    form = filter_form(request, form_class=PeopleFilterForm)
    filters, query, staff = _people_scope(request.user, form)
    controls = ListControls(request, sorts=PEOPLE_SORTS, default="urgency")
    file_format = controls.wants_download()
    if maintained(today):
        listed = compliance_selectors.people_list(
            staff=staff,
            on=today,
            filters=filters,
            order=controls.sort.fields,
            descending=controls.descending,
            agencies=None if query else access.visible_agencies(request.user),
        )
        if file_format:
            return _people_download(listed.with_details(), filters, today, file_format)
        page = controls.page(listed)
        groups = page.object_list
    else:
        entries = _people_entries(
            staff, filters, today, details=controls.sort.key != "urgency" or file_format
        )
        entries = controls.ordered(entries)
        if file_format:
            listed = ((entry.details, entry.pairs) for entry in entries)
            return _people_download(listed, filters, today, file_format)
        page = controls.page(entries)
        groups = [(entry.staff_id, entry.pairs) for entry in page.object_list]
    context = {
        "form": form,
        "filters": filters,
        "query": query,
        "page": page,
        "page_range": page.range,
        "controls": controls,
        "headings": controls.headings(),
        "rows": compliance_selectors.people_rows(groups),
        "today": today,
    }
    return render(request, "training/compliance/people.html", context)


def _people_scope(user, form):
    filters = form.filters()
    query = form.query()
    return filters, query, staff_matching(access.visible_staff(user), query)


def _people_entries(staff, filters, today, *, details):
    """The engine's list: every pair in scope, grouped by person, most urgent first (with each
    person's details when they are sorted by them or downloaded)."""
    pairs = compliance_selectors.scoped_pairs(staff=staff, on=today, filters=filters)
    groups = compliance_selectors.people_behind(pairs, filters.status)
    entries = [
        PersonEntry(rank, staff_id, person_pairs) for rank, (staff_id, person_pairs) in enumerate(groups)
    ]
    if details:
        # Everyone in scope in one query (a list of ids could pass the database's parameter limit).
        in_scope = staff if filters.agency is None else staff.filter(agency=filters.agency)
        found = compliance_selectors.people_details(in_scope)
        entries = [entry for entry in entries if entry.staff_id in found]
        for entry in entries:
            entry.details = found[entry.staff_id]
    return entries


def _people_download(listed, filters, today, file_format):
    """The whole list, as (PersonDetails, pairs) in order, as a CSV or XLSX file."""
    rows = (
        [
            f"{details.first_name} {details.last_name}",
            details.staff_number,
            details.email,
            details.agency,
            details.team or "",
            details.job_role,
            _pairs_text(pairs),
        ]
        for details, pairs in listed
    )
    status = slugify(filters.status.label) if filters.status else "people"
    return spreadsheet_response(
        headers=["Name", "Staff number", "Email", "Agency", "Team", "Job role", "Training"],
        rows=rows,
        name=f"{status}-training-{today:%Y-%m-%d}",
        file_format=file_format,
        title="People",
    )


def people_listed(user, params, *, today) -> list[int]:
    """Ids of everyone the people list shows for these query parameters, on every page (a bulk
    action on the whole list): the same filters, search and scope as the page."""
    slug = params.get("agency")
    if slug:
        access.get_visible_agency_or_404(user, slug=slug)
    form = PeopleFilterForm(params or None, user=user)
    filters, query, staff = _people_scope(user, form)
    if maintained(today):
        agencies = None if query else access.visible_agencies(user)
        return compliance_selectors.people_list(
            staff=staff, on=today, filters=filters, agencies=agencies
        ).staff_ids()
    return [entry.staff_id for entry in _people_entries(staff, filters, today, details=False)]


@login_required
@heavy_reads_view
def export(request, kind, file_format):
    """A compliance export of what the user may see, narrowed like the dashboard: streamed, or
    above EXPORT_BACKGROUND_ROWS written in the background (workforce.exports)."""
    access.require_lead_or_hr(request.user)
    if kind not in exports.KINDS or file_format not in exports.FORMATS:
        raise Http404("No such export.")
    export_kind = export_engine.get(exports.ENGINE_KEYS[kind])
    return export_engine.download_or_job(
        request, kind=export_kind, file_format=file_format, today=timezone.localdate()
    )
