"""Spreadsheet imports on the web: upload, watch the check, read the preview, confirm, see the result.

One set of views serves every kind of import (imports.kinds: staff lists for leads and Agency HR,
providers' completion files for leads); the kind holds what differs, down to the templates of its
preview's tables. The work itself runs in Celery tasks queued by the import engine
(imports.services); the status page follows it with a progress bar that refreshes itself without
JavaScript (a <meta refresh> inside <noscript>) and more smoothly with a few lines of script
polling `import_progress`.

Access: every record is read through imports.selectors.get_visible_import_or_404, which builds on
workforce.access. Another agency's import, and any completion file for Agency HR, is a 404.
"""

import datetime
import pathlib

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from workforce import access
from workforce.spreadsheets import write_csv, write_xlsx

from . import kinds, services
from .columns import DATE_SHAPES
from .forms import ConfirmImportForm, JobTitleMappingForm, percent_text
from .kinds.staff import STAFF_LIST, staff_list_export
from .models import ImportRecord, JobTitleMapping
from .reading import MAX_DATA_ROWS, MAX_FILE_BYTES
from .selectors import get_visible_import_or_404, import_history
from .services import ImportRefused, file_retention_days, import_failing_rows

Status = ImportRecord.Status
WORKING = {Status.UPLOADED, Status.VALIDATING, Status.COMMITTING}
# Rows of each table on the status page; the rest are a click away, a page at a time.
STATUS_TABLE_ROWS = 25
STATUS_ERROR_ROWS = 100
SECTION_PAGE_ROWS = 100
HISTORY_PER_PAGE = 50
# A check that has not started after this long probably has no worker: say so.
SLOW_START = datetime.timedelta(minutes=2)
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
ERRORS = kinds.Section("errors", "Problems to fix", "imports/includes/errors_table.html")


def _kind(slug):
    try:
        return kinds.by_slug(slug)
    except LookupError:
        raise Http404("No such kind of import.") from None


def _kind_of(record):
    return kinds.get(record.kind)


# ---------------------------------------------------------------------------------------------
# Upload
# ---------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def upload(request, kind):
    kind = _kind(kind)
    kind.require_upload(request.user)
    initial = kind.upload_initial(request.GET, user=request.user)
    if request.GET.get("agency"):
        initial["agency"] = access.get_visible_agency_or_404(request.user, slug=request.GET["agency"])
    form = kind.upload_form(*_bound(request), user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        record = services.import_create(
            kind=kind.value, actor=request.user, upload=form.cleaned_data["file"], **form.import_options()
        )
        return redirect("imports:status", pk=record.pk)
    agency = getattr(form, "fixed_agency", None) or initial.get("agency")
    context = {"form": form, "kind": kind, "agency": agency, **_limits()}
    return render(request, "imports/upload.html", context)


def _bound(request):
    # A POST with no fields at all (no file chosen, nothing ticked) must still bind the form.
    return (request.POST, request.FILES) if request.method == "POST" else (None, None)


def _limits():
    return {"max_megabytes": MAX_FILE_BYTES // (1024 * 1024), "max_rows": MAX_DATA_ROWS}


# ---------------------------------------------------------------------------------------------
# Status: progress, preview, confirmation, result
# ---------------------------------------------------------------------------------------------


@never_cache
@login_required
@require_GET
def import_status(request, pk):
    record = get_visible_import_or_404(request.user, pk=pk)
    return render(request, "imports/status.html", _status_context(request, record))


@never_cache
@login_required
@require_POST
def import_confirm(request, pk):
    record = get_visible_import_or_404(request.user, pk=pk)
    kind = _kind_of(record)
    kind.require_upload(request.user)
    if record.status != Status.VALIDATED:
        # A second click on the button, or a page left open: the status page says where it stands.
        return redirect("imports:status", pk=record.pk)
    preview = kind.preview_class.from_record(record)
    form = ConfirmImportForm(request.POST, preview=preview, agency_name=_agency_name(record))
    if not form.is_valid():
        return render(request, "imports/status.html", _status_context(request, record, form=form))
    try:
        services.import_request_commit(import_record=record, actor=request.user, **form.confirmation())
    except ImportRefused as refused:
        messages.error(request, refused.message)
    return redirect("imports:status", pk=record.pk)


@never_cache
@login_required
@require_GET
def import_progress(request, pk):
    """The status page's script polls this; when `status` changes it reloads the page."""
    record = get_visible_import_or_404(request.user, pk=pk)
    return JsonResponse(
        {
            "status": record.status,
            "status_label": record.get_status_display(),
            "working": record.status in WORKING,
            "done": record.progress_done,
            "total": record.progress_total,
            "percent": record.progress_percent,
            "text": _progress_text(record),
        }
    )


def _status_context(request, record, *, form=None):
    kind = _kind_of(record)
    preview = kind.preview_class.from_record(record)
    may_confirm = kind.may_upload(request.user)
    if form is None and record.status == Status.VALIDATED and may_confirm and preview.ok:
        form = ConfirmImportForm(preview=preview, agency_name=_agency_name(record))
    errors = preview.errors
    context = {
        "record": record,
        "kind": kind,
        "preview": preview,
        "form": form,
        "heading": _heading(kind, record, errors),
        "working": record.status in WORKING,
        "progress_text": _progress_text(record),
        "slow_start": record.status == Status.UPLOADED and timezone.now() - record.created_at > SLOW_START,
        "may_confirm": may_confirm,
        "replanned": record.status == Status.VALIDATED and record.confirmed_by_id is not None,
        "error_rows": [_error_row(error) for error in errors[:STATUS_ERROR_ROWS]],
        "error_count": len(errors),
        "has_row_errors": any(error.get("row") is not None for error in errors),
        "file_errors_only": bool(errors) and all(error.get("row") is None for error in errors),
        "file_kept_until": _file_kept_until(record),
        "retention_days": file_retention_days(record.status),
        "counts": _counts(kind, preview),
        "subject": kind.subject(record),
        "caption": kind.caption(record),
        "back_link": kind.back_link(record),
        "history_link": (kind.history_link_text(record), kind.history_url(record)),
        "facts": kind.facts(record),
        "preview_intro": kind.preview_intro.format(agency=_agency_name(record)),
        "upload_url": kind.upload_url(agency=record.agency),
        "next_links": kind.next_links(record) if record.status == Status.COMMITTED else [],
    }
    context["tables"] = [
        {"section": section, "rows": _present(kind, _section_items(preview, section)[:STATUS_TABLE_ROWS])}
        for section in kind.sections
    ]
    # Each table's rows also by name ("new_rows"), for the kind's own templates and tests.
    context.update({f"{table['section'].key}_rows": table["rows"] for table in context["tables"]})
    if hasattr(preview, "leaver_share"):
        context["leaver_percent"] = percent_text(preview.leaver_share)
    if getattr(preview, "unmapped_titles", None) and kind.may_upload(request.user):
        context["job_title_form"] = _unmapped_form(record)
    return context


def _heading(kind, record, errors):
    if record.status in {Status.UPLOADED, Status.VALIDATING}:
        return "Checking your file"
    if record.status == Status.VALIDATED:
        return kind.headings.validated
    if record.status == Status.INVALID:
        if errors and all(error.get("row") is None for error in errors):
            return "We could not use this file"
        return "Fix the problems in the file"
    if record.status == Status.COMMITTING:
        return kind.headings.committing
    if record.status == Status.COMMITTED:
        return kind.headings.committed
    return "The import did not go ahead"


def _progress_text(record):
    done, total = record.progress_done, record.progress_total
    if record.status == Status.UPLOADED:
        return "Waiting to start checking the file."
    if record.status == Status.VALIDATING:
        if not total:
            return "Opening the file."
        return f"Checked {done:,} of {total:,} rows ({record.progress_percent}%)."
    if record.status == Status.COMMITTING:
        if not total:
            return "Applying the changes."
        return f"Applying the changes: {done:,} of {total:,} rows ({record.progress_percent}%)."
    return record.get_status_display() + "."


def _counts(kind, preview):
    """(label, number) pairs for the figures above the preview or result."""
    pairs = [(key, label, getattr(preview, key)) for key, label in kind.count_labels]
    pairs.append(("errors", "Problems", len(preview.errors)))
    return [{"key": key, "label": label, "value": value} for key, label, value in pairs]


def _agency_name(record):
    return record.agency.name if record.agency_id else ""


def _file_kept_until(record):
    if not record.file or record.finished_at is None:
        return None
    days = file_retention_days(record.status)
    return timezone.localdate(record.finished_at) + datetime.timedelta(days=days)


# ---------------------------------------------------------------------------------------------
# The preview's tables, a page at a time
# ---------------------------------------------------------------------------------------------


def _section(kind, key):
    if key == ERRORS.key:
        return ERRORS
    section = next((section for section in kind.sections if section.key == key), None)
    if section is None:
        raise Http404("No such table.")
    return section


@login_required
@require_GET
def import_rows(request, pk, section):
    record = get_visible_import_or_404(request.user, pk=pk)
    kind = _kind_of(record)
    section = _section(kind, section)
    preview = kind.preview_class.from_record(record)
    items = _section_items(preview, section)
    page = Paginator(items, SECTION_PAGE_ROWS).get_page(request.GET.get("page"))
    rows = list(map(_error_row, page.object_list)) if section is ERRORS else _present(kind, page.object_list)
    context = {
        "record": record,
        "kind": kind,
        "preview": preview,
        "section": section,
        "title": section.title,
        "rows": rows,
        "page": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1),
        "total": _section_total(preview, section.key),
        "has_row_errors": any(error.get("row") is not None for error in preview.errors),
    }
    return render(request, "imports/rows.html", context)


def _section_items(preview, section):
    return preview.errors if section is ERRORS else getattr(preview, section.rows)


def _section_total(preview, key):
    """The full count: the stored tables keep the first PREVIEW_LIMIT rows of each."""
    if key == ERRORS.key:
        return len(preview.errors)
    return getattr(preview, key)


def _uk_date(value):
    if not value:
        return ""
    try:
        return date_format(datetime.date.fromisoformat(str(value)), "j F Y")
    except ValueError:
        return str(value)


_DATE_FIELDS = {"start_date", "left_on", "completed_on", "expires_on"}


def _present(kind, items):
    """Preview rows for a table: dates written the UK way, a person's name in full, and whatever
    the kind adds (agencies by name)."""
    return kind.present([_present_row(item) for item in items])


def _present_row(item):
    row = {key: (_uk_date(value) if key in _DATE_FIELDS else value) for key, value in item.items()}
    if "first_name" in item and "name" not in item:
        row["name"] = f"{item.get('first_name', '')} {item.get('last_name', '')}".strip()
    if "changes" in item:
        row["changes"] = [
            {
                **change,
                "before": _uk_date(change["before"]) if change["field"] in _DATE_FIELDS else change["before"],
                "after": _uk_date(change["after"]) if change["field"] in _DATE_FIELDS else change["after"],
            }
            for change in item["changes"]
        ]
    return row


def _error_row(error):
    value = error.get("value")
    return {
        "row": error.get("row"),
        "column": error.get("column") or "",
        "value": "" if value is None else str(value),
        "message": error.get("message", ""),
    }


# ---------------------------------------------------------------------------------------------
# Downloads: failing rows, every error, the uploaded file, templates and the staff list
# ---------------------------------------------------------------------------------------------


@login_required
@require_GET
def import_failing_rows_download(request, pk, file_format):
    record = get_visible_import_or_404(request.user, pk=pk)
    try:
        result = import_failing_rows(import_record=record, file_format=file_format)
    except ImportRefused as refused:
        messages.error(request, refused.message)
        return redirect("imports:status", pk=record.pk)
    if result is None:
        raise Http404("No row of this file failed.")
    name, data = result
    return _spreadsheet_response(data, name, file_format)


@login_required
@require_GET
def import_errors_download(request, pk, file_format):
    """Every problem found, one a line: row, column, value and message (cells made inert)."""
    record = get_visible_import_or_404(request.user, pk=pk)
    if not record.errors:
        raise Http404("This file has no problems to list.")
    headers = ["Row", "Column", "Value", "Problem"]
    rows = [
        [row["row"] if row["row"] is not None else "Whole file", row["column"], row["value"], row["message"]]
        for row in map(_error_row, record.errors)
    ]
    stem = pathlib.PurePath(record.original_name).stem or "upload"
    if file_format == "csv":
        return _spreadsheet_response(write_csv(headers, rows), f"{stem} - problems.csv", "csv")
    data = write_xlsx(headers, rows, title="Problems", widths={0: 12, 1: 24, 2: 30, 3: 90})
    return _spreadsheet_response(data, f"{stem} - problems.xlsx", "xlsx")


@login_required
@require_GET
def import_original_file(request, pk):
    record = get_visible_import_or_404(request.user, pk=pk)
    if not record.file:
        raise Http404("The uploaded file has been deleted.")
    try:
        handle = record.file.open("rb")
    except FileNotFoundError:
        raise Http404("The uploaded file is missing.") from None
    response = FileResponse(
        handle, as_attachment=True, filename=record.original_name, content_type="application/octet-stream"
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def import_template(request, kind, file_format):
    kind = _kind(kind)
    kind.require_upload(request.user)
    name, data = kind.template(file_format)
    return _spreadsheet_response(data, name, file_format)


@login_required
@require_GET
def staff_export(request, slug, file_format):
    """An agency's staff list in the template's columns: upload it again and nothing changes."""
    agency = access.get_visible_agency_or_404(request.user, slug=slug)
    data = staff_list_export(agency=agency, file_format=file_format)
    name = f"{slugify(agency.slug)}-staff-list-{timezone.localdate():%Y-%m-%d}.{file_format}"
    return _spreadsheet_response(data, name, file_format)


def _spreadsheet_response(data, name, file_format):
    response = HttpResponse(data, content_type=CONTENT_TYPES[file_format])
    response["Content-Disposition"] = content_disposition_header(True, name)
    response["Cache-Control"] = "private, no-store"
    return response


# ---------------------------------------------------------------------------------------------
# History and help
# ---------------------------------------------------------------------------------------------


@login_required
@require_GET
def import_index(request):
    """Every staff-list upload the person may see, newest first (leads: every agency)."""
    return history(request, STAFF_LIST.slug)


@login_required
@require_GET
def history(request, kind):
    """Every upload of one kind the person may see, newest first."""
    kind = _kind(kind)
    kind.require_upload(request.user)
    records = import_history(user=request.user, kind=kind.value)
    context = {"kind": kind, "show_agency": False, "is_lead": access.is_lead(request.user)}
    if kind.has_agency:
        agencies = list(access.visible_agencies(request.user).order_by("name"))
        context.update(
            agency=agencies[0] if len(agencies) == 1 else None,
            agencies=agencies,
            show_agency=len(agencies) != 1,
        )
    return render(request, "imports/history.html", {**context, **_history_page(request, kind, records)})


@login_required
@require_GET
def agency_history(request, slug):
    """One agency's staff-list uploads."""
    STAFF_LIST.require_upload(request.user)
    agency = access.get_visible_agency_or_404(request.user, slug=slug)
    records = import_history(user=request.user, agency=agency)
    context = {
        "kind": STAFF_LIST,
        "agency": agency,
        "show_agency": False,
        "is_lead": access.is_lead(request.user),
        **_history_page(request, STAFF_LIST, records),
    }
    return render(request, "imports/history.html", context)


def _history_page(request, kind, records):
    page = Paginator(records, HISTORY_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    for record in page.object_list:
        record.changes = kind.changes_text(record)
    return {
        "page": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1),
    }


@login_required
@require_GET
def import_help(request, kind):
    kind = _kind(kind)
    kind.require_upload(request.user)
    context = {
        "kind": kind,
        "columns": kind.columns,
        "date_shapes": DATE_SHAPES,
        "retention_days": settings.RETENTION_UPLOAD_DAYS,
        "refused_retention_days": settings.RETENTION_REFUSED_UPLOAD_DAYS,
        **_limits(),
        **kind.help_context(),
    }
    return render(request, kind.templates["help"], context)


# ---------------------------------------------------------------------------------------------
# Job title mappings: an agency's own job titles, mapped once to catalogue job roles
# ---------------------------------------------------------------------------------------------


def _job_roles():
    from workforce.models import JobRole

    return list(JobRole.objects.order_by("name"))


def _unmapped_form(record, data=None):
    preview = STAFF_LIST.preview_class.from_record(record)
    titles = [
        (item["title"], item["people"], item.get("suggestions", [])) for item in preview.unmapped_titles
    ]
    return JobTitleMappingForm(data, titles=titles, job_roles=_job_roles())


@never_cache
@login_required
@require_POST
def import_map_job_titles(request, pk):
    """From a staff list's preview: map its unknown job titles to job roles, for this and every
    later upload of the agency. The file is then uploaded again (the mapping changes its rows)."""
    record = get_visible_import_or_404(request.user, pk=pk)
    kind = _kind_of(record)
    if kind is not STAFF_LIST:
        raise Http404("No such page.")
    kind.require_upload(request.user)
    form = _unmapped_form(record, request.POST)
    if not form.is_valid() or not form.mappings():
        messages.error(request, "Choose a job role for at least one job title.")
        return redirect("imports:status", pk=record.pk)
    changed = services.job_title_mappings_save(
        agency=record.agency, mappings=form.mappings(), actor=request.user
    )
    messages.success(
        request,
        f"Saved {changed:,} job title mapping{'s' if changed != 1 else ''} for {record.agency.name}. "
        "Upload the file again: its job titles now give these job roles.",
    )
    return redirect(STAFF_LIST.upload_url(agency=record.agency))


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def job_title_mappings(request, slug):
    """An agency's job title mappings: listed, changed or removed (each change is in the history)."""
    STAFF_LIST.require_upload(request.user)
    agency = access.get_visible_agency_or_404(request.user, slug=slug)
    mappings = list(JobTitleMapping.objects.filter(agency=agency).select_related("job_role"))
    titles = [(mapping.title, None, []) for mapping in mappings]
    initial = {mapping.title: mapping.job_role_id for mapping in mappings}
    form = JobTitleMappingForm(
        request.POST or None, titles=titles, job_roles=_job_roles(), initial_roles=initial, allow_remove=True
    )
    if request.method == "POST" and form.is_valid():
        changed = services.job_title_mappings_save(
            agency=agency, mappings=form.mappings(), actor=request.user
        )
        messages.success(request, f"Saved {changed:,} change{'s' if changed != 1 else ''}.")
        return redirect("imports:job_titles", slug=agency.slug)
    history = (
        JobTitleMapping.history.filter(agency=agency)
        .select_related("job_role", "history_user")
        .order_by("-history_date")[:50]
    )
    return render(
        request,
        "imports/job_titles.html",
        {"agency": agency, "form": form, "mappings": mappings, "history": history},
    )
