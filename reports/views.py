"""The board report pages (namespace "reports"), for partnership leads: the report as a page with
a print stylesheet, and as a PDF download."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from workforce import access
from workforce.database import heavy_reads_view

from .documents import board_report_pdf, file_name, report_context
from .forms import BoardReportForm
from .selectors import board_report


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
