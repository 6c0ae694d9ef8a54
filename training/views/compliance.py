"""Compliance pages (namespace "compliance"): the dashboard, the people behind a count, and the
compliance exports. An agency's figures are on its staff page (people.views.agency_staff)
and a person's on their page (people.views.staff_detail), both built from the same selectors.

Thin views: access from workforce.access (another agency is a 404), figures from
training.selectors.compliance, files from training.exports.
"""

import dataclasses

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from workforce import access

from .. import exports
from ..forms.compliance import ComplianceFilterForm
from ..selectors import compliance as compliance_selectors
from ..snapshots import compliance_trend

PEOPLE_PER_PAGE = 50


def _filter_form(request):
    """The filters in the query string. Naming an agency the user may not see is a 404, as it is
    everywhere else, rather than a form error that would confirm the agency exists."""
    slug = request.GET.get("agency")
    if slug:
        access.get_visible_agency_or_404(request.user, slug=slug)
    return ComplianceFilterForm(request.GET or None, user=request.user)


@login_required
def dashboard(request):
    """The first page of leads and Agency HR (the home page renders it): the compliance rate,
    people fully compliant, statuses, the heat map and the trend, of what the user may see. An
    Agency HR user of one agency sees that agency's."""
    user = request.user
    access.require_lead_or_hr(user)
    today = timezone.localdate()
    form = _filter_form(request)
    filters = form.filters()
    if filters.agency is None and not access.is_lead(user):
        agencies = list(access.visible_agencies(user)[:2])
        if len(agencies) == 1:
            filters = dataclasses.replace(filters, agency=agencies[0])
    figures = compliance_selectors.compliance_figures(user=user, on=today, filters=filters)
    trend = compliance_trend(today=today, agency=filters.agency, module=filters.module)
    context = {
        "form": form,
        "filters": filters,
        "figures": figures,
        "trend": trend,
        "trend_subject": _trend_subject(filters),
        "today": today,
    }
    return render(request, "training/compliance/dashboard.html", context)


def _trend_subject(filters):
    if filters.agency is not None:
        return filters.agency.name
    if filters.module is not None:
        return f"{filters.module.code} {filters.module.title}"
    return "the whole partnership"


@login_required
def people(request):
    """The people behind a count: everyone in scope with at least one pair in the chosen status
    (or any status), most urgent first, with those pairs."""
    access.require_lead_or_hr(request.user)
    today = timezone.localdate()
    form = _filter_form(request)
    filters = form.filters()
    pairs = compliance_selectors.scoped_pairs(
        staff=access.visible_staff(request.user), on=today, filters=filters
    )
    groups = compliance_selectors.people_behind(pairs, filters.status)
    page = Paginator(groups, PEOPLE_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "filters": filters,
        "page": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1),
        "rows": compliance_selectors.people_rows(page.object_list),
        "today": today,
    }
    return render(request, "training/compliance/people.html", context)


@login_required
def export(request, kind, file_format):
    """A compliance export of what the user may see, narrowed like the dashboard."""
    access.require_lead_or_hr(request.user)
    if kind not in exports.KINDS or file_format not in exports.FORMATS:
        raise Http404("No such export.")
    form = _filter_form(request)
    filters = form.filters()
    if form.errors:
        message = " ".join(error for errors in form.errors.values() for error in errors)
        return HttpResponseBadRequest(f"The download link is not valid: {message}", content_type="text/plain")
    today = timezone.localdate()
    table = exports.compliance_table(
        kind=kind, staff=access.visible_staff(request.user), on=today, filters=filters
    )
    filename = exports.export_filename(kind=kind, file_format=file_format, on=today, filters=filters)
    content_type = exports.CONTENT_TYPES[file_format]
    if file_format == "csv":
        response = StreamingHttpResponse(exports.export_csv(table), content_type=content_type)
    else:
        response = HttpResponse(exports.export_xlsx(table, kind=kind), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
