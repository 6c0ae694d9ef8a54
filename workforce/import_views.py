"""Spreadsheet imports on the web: upload, watch the check, read the preview, confirm, see the result.

One set of views serves both kinds of import, staff lists (workforce.staff_import, leads and
Agency HR) and training providers' completion files (training.completion_import, leads only);
`Kind` holds what differs. The work itself runs in Celery tasks queued by the import services; the
status page follows it with a progress bar that refreshes itself without JavaScript (a
<meta refresh> inside <noscript>) and more smoothly with a few lines of script polling
`import_progress`.

Access: every record is read through workforce.imports.get_visible_import_or_404, which builds on
workforce.access. Another agency's import, and any completion file for Agency HR, is a 404.
"""

import datetime
import pathlib
from dataclasses import dataclass

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

from training import completion_import
from training.models import Module
from training.resources import COMPLETION_COLUMNS

from . import access, staff_import
from .import_forms import CompletionUploadForm, ConfirmImportForm, StaffUploadForm, percent_text
from .imports import (
    FILE_RETENTION_DAYS,
    ImportRefused,
    get_visible_import_or_404,
    import_failing_rows,
    import_history,
)
from .models import Agency, ImportRecord, JobRole
from .resources import DATE_SHAPES, STAFF_COLUMNS
from .spreadsheets import MAX_DATA_ROWS, MAX_FILE_BYTES, write_csv, write_xlsx

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


@dataclass(frozen=True)
class Kind:
    value: str
    slug: str
    noun: str  # in a sentence: "staff list"
    preview_class: type
    sections: tuple  # tables of the preview, in page order; "errors" last
    leads_only: bool

    def may_upload(self, user):
        if self.leads_only:
            return access.is_lead(user)
        return access.is_lead(user) or access.is_agency_hr(user)

    def require_upload(self, user):
        # Not a 403: the pages of a kind someone may not use do not exist for them.
        if not self.may_upload(user):
            raise Http404("No such page.")

    def template(self, file_format):
        if self.value == ImportRecord.Kind.STAFF:
            return staff_import.staff_import_template(file_format=file_format)
        return completion_import.completion_import_template(file_format=file_format)

    def request_commit(self, record, *, actor, confirm_mass_leavers):
        if self.value == ImportRecord.Kind.STAFF:
            return staff_import.staff_import_request_commit(
                import_record=record, actor=actor, confirm_mass_leavers=confirm_mass_leavers
            )
        return completion_import.completion_import_request_commit(import_record=record, actor=actor)


STAFF = Kind(
    value=ImportRecord.Kind.STAFF,
    slug="staff",
    noun="staff list",
    preview_class=staff_import.StaffImportPreview,
    sections=("new", "updated", "leavers", "errors"),
    leads_only=False,
)
COMPLETIONS = Kind(
    value=ImportRecord.Kind.COMPLETIONS,
    slug="completions",
    noun="completion file",
    preview_class=completion_import.CompletionImportPreview,
    sections=("new", "duplicates", "errors"),
    leads_only=True,
)
KINDS = {kind.value: kind for kind in (STAFF, COMPLETIONS)}
KINDS_BY_SLUG = {kind.slug: kind for kind in (STAFF, COMPLETIONS)}


def _kind_of(record):
    return KINDS[record.kind]


# ---------------------------------------------------------------------------------------------
# Upload
# ---------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def staff_upload(request):
    STAFF.require_upload(request.user)
    agencies = access.visible_agencies(request.user).order_by("name")
    initial = {}
    if request.GET.get("agency"):
        initial["agency"] = access.get_visible_agency_or_404(request.user, slug=request.GET["agency"])
    form = StaffUploadForm(*_bound(request), agencies=agencies, initial=initial)
    if request.method == "POST" and form.is_valid():
        record = staff_import.staff_import_create(
            actor=request.user,
            agency=form.chosen_agency(),
            upload=form.cleaned_data["file"],
            complete_list=form.cleaned_data["complete_list"],
        )
        return redirect("imports:status", pk=record.pk)
    agency = form.fixed_agency or initial.get("agency")
    context = {"form": form, "kind": STAFF, "agency": agency, **_limits()}
    return render(request, "workforce/imports/upload.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def completion_upload(request):
    COMPLETIONS.require_upload(request.user)
    form = CompletionUploadForm(*_bound(request))
    if request.method == "POST" and form.is_valid():
        record = completion_import.completion_import_create(
            actor=request.user, upload=form.cleaned_data["file"]
        )
        return redirect("imports:status", pk=record.pk)
    context = {"form": form, "kind": COMPLETIONS, **_limits()}
    return render(request, "workforce/imports/upload.html", context)


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
    return render(request, "workforce/imports/status.html", _status_context(request, record))


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
        return render(request, "workforce/imports/status.html", _status_context(request, record, form=form))
    try:
        kind.request_commit(record, actor=request.user, confirm_mass_leavers=form.mass_leavers_confirmed)
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
        "retention_days": FILE_RETENTION_DAYS,
        "counts": _counts(kind, preview, record),
    }
    names = _agency_names(kind)
    for section in kind.sections:
        if section != "errors":
            items = _section_items(preview, section)[:STATUS_TABLE_ROWS]
            context[f"{section}_rows"] = [_present(section, item, names) for item in items]
    if kind is STAFF:
        context["leaver_percent"] = percent_text(preview.leaver_share)
    return context


def _heading(kind, record, errors):
    staff = kind is STAFF
    if record.status in {Status.UPLOADED, Status.VALIDATING}:
        return "Checking your file"
    if record.status == Status.VALIDATED:
        return "Check the changes, then confirm" if staff else "Check the completions, then confirm"
    if record.status == Status.INVALID:
        if errors and all(error.get("row") is None for error in errors):
            return "We could not use this file"
        return "Fix the problems in the file"
    if record.status == Status.COMMITTING:
        return "Applying the changes" if staff else "Recording the completions"
    if record.status == Status.COMMITTED:
        return "Staff list applied" if staff else "Completions recorded"
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


def _counts(kind, preview, record):
    """(label, number) pairs for the figures above the preview or result."""
    if kind is STAFF:
        pairs = [
            ("new", "New staff", preview.new),
            ("updated", "Updated", preview.updated),
            ("unchanged", "Unchanged", preview.unchanged),
            ("leavers", "Leavers", preview.leavers),
        ]
    else:
        pairs = [
            ("new", "New completions", preview.new),
            ("duplicates", "Already recorded", preview.duplicates),
        ]
    pairs.append(("errors", "Problems", len(preview.errors)))
    return [{"key": key, "label": label, "value": value} for key, label, value in pairs]


def _agency_name(record):
    return record.agency.name if record.agency_id else ""


def _file_kept_until(record):
    if not record.file or record.finished_at is None:
        return None
    return timezone.localdate(record.finished_at) + datetime.timedelta(days=FILE_RETENTION_DAYS)


# ---------------------------------------------------------------------------------------------
# The preview's tables, a page at a time
# ---------------------------------------------------------------------------------------------

SECTION_TITLES = {
    ("staff", "new"): "New staff",
    ("staff", "updated"): "Updated staff",
    ("staff", "leavers"): "Leavers",
    ("completions", "new"): "New completions",
    ("completions", "duplicates"): "Already recorded",
    ("staff", "errors"): "Problems to fix",
    ("completions", "errors"): "Problems to fix",
}


@login_required
@require_GET
def import_rows(request, pk, section):
    record = get_visible_import_or_404(request.user, pk=pk)
    kind = _kind_of(record)
    if section not in kind.sections:
        raise Http404("No such table.")
    preview = kind.preview_class.from_record(record)
    items = preview.errors if section == "errors" else _section_items(preview, section)
    page = Paginator(items, SECTION_PAGE_ROWS).get_page(request.GET.get("page"))
    names = _agency_names(kind)
    present = _error_row if section == "errors" else (lambda item: _present(section, item, names))
    context = {
        "record": record,
        "kind": kind,
        "preview": preview,
        "section": section,
        "title": SECTION_TITLES[(kind.slug, section)],
        "rows": [present(item) for item in page.object_list],
        "page": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1),
        "total": _section_total(preview, section),
        "has_row_errors": any(error.get("row") is not None for error in preview.errors),
    }
    return render(request, "workforce/imports/rows.html", context)


def _section_items(preview, section):
    return {
        "new": lambda: preview.new_rows,
        "updated": lambda: preview.updated_rows,
        "leavers": lambda: preview.leaver_rows,
        "duplicates": lambda: preview.duplicate_rows,
        "errors": lambda: preview.errors,
    }[section]()


def _section_total(preview, section):
    """The full count: the stored tables keep the first PREVIEW_LIMIT rows of each."""
    if section == "errors":
        return len(preview.errors)
    return getattr(preview, section)


def _uk_date(value):
    if not value:
        return ""
    try:
        return date_format(datetime.date.fromisoformat(str(value)), "j F Y")
    except ValueError:
        return str(value)


_DATE_FIELDS = {"start_date", "left_on", "completed_on", "expires_on"}


def _agency_names(kind):
    """Completion rows name the person's agency by its slug; tables show its name."""
    if kind is not COMPLETIONS:
        return {}
    return dict(Agency.objects.values_list("slug", "name"))


def _present(section, item, agency_names):
    """A preview row for a table: dates written the UK way, agencies by name."""
    row = {key: (_uk_date(value) if key in _DATE_FIELDS else value) for key, value in item.items()}
    if "agency" in item:
        row["agency"] = agency_names.get(item["agency"], item["agency"])
    if section == "new" and "first_name" in item:
        row["name"] = f"{item.get('first_name', '')} {item.get('last_name', '')}".strip()
    if section == "updated":
        row["changes"] = [
            {
                **change,
                "before": _uk_date(change["before"]) if change["field"] in _DATE_FIELDS else change["before"],
                "after": _uk_date(change["after"]) if change["field"] in _DATE_FIELDS else change["after"],
            }
            for change in item.get("changes", [])
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
    kind = KINDS_BY_SLUG[kind]
    kind.require_upload(request.user)
    name, data = kind.template(file_format)
    return _spreadsheet_response(data, name, file_format)


@login_required
@require_GET
def staff_export(request, slug, file_format):
    """An agency's staff list in the template's columns: upload it again and nothing changes."""
    agency = access.get_visible_agency_or_404(request.user, slug=slug)
    data = staff_import.staff_list_export(agency=agency, file_format=file_format)
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
    STAFF.require_upload(request.user)
    agencies = list(access.visible_agencies(request.user).order_by("name"))
    records = import_history(user=request.user)
    context = {
        "kind": STAFF,
        "agency": agencies[0] if len(agencies) == 1 else None,
        "agencies": agencies,
        "show_agency": len(agencies) != 1,
        "is_lead": access.is_lead(request.user),
        **_history_page(request, records),
    }
    return render(request, "workforce/imports/history.html", context)


@login_required
@require_GET
def agency_history(request, slug):
    STAFF.require_upload(request.user)
    agency = access.get_visible_agency_or_404(request.user, slug=slug)
    records = import_history(user=request.user, agency=agency)
    context = {
        "kind": STAFF,
        "agency": agency,
        "show_agency": False,
        "is_lead": access.is_lead(request.user),
        **_history_page(request, records),
    }
    return render(request, "workforce/imports/history.html", context)


@login_required
@require_GET
def completion_history(request):
    COMPLETIONS.require_upload(request.user)
    records = import_history(user=request.user, kind=ImportRecord.Kind.COMPLETIONS)
    context = {"kind": COMPLETIONS, "show_agency": False, "is_lead": True, **_history_page(request, records)}
    return render(request, "workforce/imports/history.html", context)


def _history_page(request, records):
    page = Paginator(records, HISTORY_PER_PAGE).get_page(request.GET.get("page"))
    return {
        "page": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1),
    }


@login_required
@require_GET
def import_help(request, kind):
    kind = KINDS_BY_SLUG[kind]
    kind.require_upload(request.user)
    columns = STAFF_COLUMNS if kind is STAFF else COMPLETION_COLUMNS
    context = {
        "kind": kind,
        "columns": columns,
        "date_shapes": DATE_SHAPES,
        "retention_days": FILE_RETENTION_DAYS,
        **_limits(),
    }
    if kind is STAFF:
        context["job_roles"] = JobRole.objects.order_by("name")
    else:
        context["modules"] = Module.objects.filter(active=True).order_by("code").only("code", "title")
    return render(request, "workforce/imports/help.html", context)
