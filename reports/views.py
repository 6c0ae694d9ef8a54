"""The report pages (namespace "reports"), for partnership leads: the board report as a page with
a print stylesheet and as a PDF download, and the what-if preview of a change to a module."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from training.compliance import Status
from workforce import access
from workforce.database import heavy_reads, heavy_reads_view
from workforce.models import Agency

from .documents import board_report_pdf, file_name, report_context
from .forms import BoardReportForm, WhatIfForm
from .selectors import board_report
from .whatif import change_apply, whatif


def _report(request):
    access.require_lead(request.user)
    form = BoardReportForm(request.GET or None)
    agency, on = None, timezone.localdate()
    if form.is_bound and form.is_valid():
        agency = form.cleaned_data["agency"]
        on = form.cleaned_data["on"] or on
    return form, board_report(on=on, agency=agency)


@login_required
@heavy_reads_view
def board(request):
    form, report = _report(request)
    query = request.GET.urlencode() if form.is_bound and form.is_valid() else ""
    return render(request, "reports/board.html", {**report_context(report), "form": form, "query": query})


@login_required
@heavy_reads_view
def board_pdf(request):
    form, report = _report(request)
    if form.is_bound and not form.is_valid():
        return render(request, "reports/board.html", {**report_context(report), "form": form}, status=400)
    response = HttpResponse(board_report_pdf(report), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{file_name(report, "pdf")}"'
    return response


@login_required
def what_if(request):
    """Preview the effect of a change to a module (GET with the change, or POST "preview"), then
    apply it (POST "apply"), for partnership leads."""
    access.require_lead(request.user)
    data = request.POST if request.method == "POST" else (request.GET if "module" in request.GET else None)
    form = WhatIfForm(data)
    result = None
    today = timezone.localdate()
    if form.is_bound and form.is_valid():
        change = form.cleaned_data["change"]
        if request.method == "POST" and request.POST.get("action") == "apply":
            change_apply(change, on=today, actor=request.user)
            messages.success(request, f"Saved: {'; '.join(change.describe())}.")
            return redirect("home")
        with heavy_reads():
            result = whatif(change, on=today)
        result = _whatif_view(result, change)
    return render(request, "reports/what_if.html", {"form": form, "result": result, "today": today})


def _whatif_view(result, change):
    """The figures shaped for the page: a row per status, and agencies whose figures change."""
    statuses = list(Status)
    rows = [
        (status.label, result["before"][status.value], result["after"][status.value]) for status in statuses
    ]
    later = [
        (
            status.label,
            result["in_90_days"]["before"][status.value],
            result["in_90_days"]["after"][status.value],
        )
        for status in statuses
    ]
    names = dict(Agency.objects.values_list("slug", "name"))
    agencies = [
        (names.get(slug, slug), [(values["before"][s.value], values["after"][s.value]) for s in statuses])
        for slug, values in result["by_agency"].items()
        if values["before"] != values["after"]
    ]
    return {
        **result,
        "describe": change.describe(),
        "rows": rows,
        "later_rows": later,
        "statuses": [status.label for status in statuses],
        "agencies": agencies,
    }
