"""The import engine: every uploaded spreadsheet, from upload to applied, for every kind of import.

The engine keeps an import record per upload and drives its kind (imports.kinds) through the
same steps whatever the kind:

    uploaded -> validating -> validated -> committing -> committed
                          \\-> invalid               \\-> failed (nothing changed)

- import_create: keep the file as a record (refused at once when too large) and queue its check;
- import_validate: read the file, have the kind plan and preview it, store the preview;
- import_request_commit: the person confirmed the preview: queue the commit;
- import_commit: apply exactly the previewed file in one transaction (same bytes, same plan).

Each step is claimed with a conditional UPDATE of `status`, so a retried task, a second worker or
a double click never runs a step twice. A step whose worker died is claimable again once it is
older than the hard task time limit (after which the first worker is certainly gone).
"""

import dataclasses
import datetime
import hashlib
import json
import pathlib

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from workforce.database import gc_paused
from workforce.services import acting_user
from workforce.spreadsheets import write_csv, write_xlsx

from . import kinds
from .columns import (
    HeaderMatch,
    RowError,
    clean_in_batches,
    heading_score,
    match_headers,
    missing_column_errors,
)
from .models import ImportRecord, JobTitleMapping
from .reading import MAX_FILE_BYTES, SpreadsheetRefused, open_sheet

Status = ImportRecord.Status

PROGRESS_EVERY = 2_000
PREVIEW_LIMIT = 1_000
STORED_ERRORS_LIMIT = 100_000
REFUSED_STATUSES = (Status.INVALID, Status.FAILED)


def file_retention_days(status):
    """Days an upload is kept after its import finished (PRODUCT.md section 13): a refused or
    failed file RETENTION_REFUSED_UPLOAD_DAYS (30), any other RETENTION_UPLOAD_DAYS (90)."""
    if status in REFUSED_STATUSES:
        return settings.RETENTION_REFUSED_UPLOAD_DAYS
    return settings.RETENTION_UPLOAD_DAYS


ERROR_COLUMN = "error"


class ImportRefused(Exception):
    """The import cannot go ahead; `errors` are RowError-shaped dicts to show or print."""

    def __init__(self, message, *, errors=None):
        super().__init__(message)
        self.message = message
        self.errors = errors or [RowError(None, None, None, message).as_dict()]


class PlanChanged(Exception):
    """The records changed between the preview and the commit: `preview` is the new one."""

    def __init__(self, preview, message):
        super().__init__(message)
        self.preview = preview
        self.message = message


# ---------------------------------------------------------------------------------------------
# The four steps, for every kind
# ---------------------------------------------------------------------------------------------


def import_create(*, kind, actor, upload, agency=None, file_name=None, run_in_background=True, **options):
    """Keep an upload as an import record of `kind` (a kind's value) and, by default, check it in
    the background. `options` are the kind's own choices made at upload (a complete staff list)."""
    import_kind = kinds.get(kind)
    import_kind.check_access(actor=actor, agency=agency, options=options.get("options"))
    record = import_record_create(
        kind=import_kind.value, agency=agency, actor=actor, upload=upload, file_name=file_name, **options
    )
    if run_in_background and record.status == Status.UPLOADED:
        from .tasks import import_validate_task

        transaction.on_commit(lambda: import_validate_task.delay(record.pk))
    return record


def import_validate(*, import_record, today=None):
    """Check the file and store the preview. Safe to call twice: only one caller does the work."""
    kind = kinds.get(import_record.kind)
    today = today or timezone.localdate()
    preview = import_validate_step(
        import_record,
        build=lambda data, progress: _previewed(kind, import_record, data, today=today, progress=progress),
        empty=lambda: kind.empty_preview(import_record),
    )
    return preview if preview is not None else kind.preview_class.from_record(import_record)


def _previewed(kind, record, data, *, today, progress):
    parsed = kind.read(record, data, today=today, progress=progress)
    plan = kind.plan(record, parsed, today=today)
    progress.finish(parsed.row_count)
    preview = kind.preview(record, parsed, plan)
    if preview.ok:
        kind.save_checked(record, parsed)
    return preview


def import_request_commit(*, import_record, actor, **confirmation):
    """The person confirmed the preview (with the kind's `confirmation` fields, such as
    confirm_mass_leavers): check it may be applied and apply it in the background."""
    import_record.refresh_from_db()
    kind = kinds.get(import_record.kind)
    kind.check_access(actor=actor, agency=import_record.agency, options=import_record.options)
    _check_confirmable(kind, import_record, kind.preview_class.from_record(import_record), confirmation)
    from .tasks import import_commit_task

    import_queue_commit(import_record, actor=actor, task=import_commit_task, **confirmation)
    return import_record


def import_commit(*, import_record, actor, today=None, **confirmation):
    """Apply exactly the previewed file in one transaction: every row or none.

    Refused (ImportRefused, nothing written) when the file's bytes differ from the preview's, when
    the records changed since the preview so that the file would now do something else (the
    record then holds the new preview, to confirm again), or when the kind refuses the
    confirmation given (more than 10% of an agency leaving, unconfirmed). Calling it again after
    success changes nothing and returns the committed outcome.
    """
    import_record.refresh_from_db()
    kind = kinds.get(import_record.kind)
    kind.check_access(actor=actor, agency=import_record.agency, options=import_record.options)
    today = today or timezone.localdate()
    if import_record.status == Status.COMMITTED:
        return kind.preview_class.from_record(import_record)
    previewed = kind.preview_class.from_record(import_record)
    _check_confirmable(kind, import_record, previewed, confirmation, allow_queued=True)
    if not import_claim_commit(import_record, actor=actor, **confirmation):
        if import_record.status == Status.COMMITTED:
            return kind.preview_class.from_record(import_record)
        raise import_not_waiting(import_record)
    try:
        with gc_paused():
            return _commit(
                kind, import_record, previewed, actor=actor, today=today, confirmation=confirmation
            )
    except ImportRefused as exc:
        import_finish(import_record, Status.FAILED, message=exc.message, errors=exc.errors)
        raise
    except PlanChanged as changed:
        preview = changed.preview
        import_finish(
            import_record,
            Status.VALIDATED if preview.ok else Status.INVALID,
            message=changed.message,
            counts=preview.counts(),
            preview=preview.as_json(),
            errors=preview.errors,
        )
        raise ImportRefused(changed.message) from None
    except Exception:
        import_fail(import_record, message="An unexpected error stopped the import. Nothing was changed.")
        raise


def _check_confirmable(kind, record, preview, confirmation, allow_queued=False):
    allowed = {Status.VALIDATED, Status.COMMITTING} if allow_queued else {Status.VALIDATED}
    if record.status not in allowed:
        raise import_not_waiting(record)
    if preview.errors:
        raise ImportRefused("The file has errors, so it cannot be applied.", errors=preview.errors)
    refusal = kind.refusal(preview, **confirmation)
    if refusal:
        raise ImportRefused(refusal)


def _commit(kind, record, previewed, *, actor, today, confirmation):
    data = import_read_file(record)
    if record.sha256 != previewed.sha256:
        raise ImportRefused(
            f"The stored file is not the one that was previewed, so nothing was {kind.done_word}."
        )
    parsed = kind.load_checked(record) or kind.read(record, data, today=today, progress=Progress(record))
    with transaction.atomic():
        locked = ImportRecord.objects.select_for_update().get(pk=record.pk)
        if locked.status == Status.COMMITTED:
            return kind.preview_class.from_record(locked)
        # The plan below must still hold when it is written (one import per agency at a time).
        kind.lock(record)
        plan = kind.plan(record, parsed, today=today)
        preview = kind.preview(record, parsed, plan)
        if preview.fingerprint != previewed.fingerprint or not preview.ok:
            raise PlanChanged(preview, kind.plan_changed_message())
        refusal = kind.refusal(preview, **confirmation)
        if refusal:
            raise ImportRefused(refusal)
        kind.apply(record, plan, actor=acting_user(actor), today=today)
        preview.committed = True
        import_finish(
            locked,
            Status.COMMITTED,
            message=preview.committed_message(),
            counts=preview.counts(),
            preview=preview.as_json(),
            errors=[],
        )
    record.refresh_from_db()
    return preview


# ---------------------------------------------------------------------------------------------
# Creating, claiming and finishing records
# ---------------------------------------------------------------------------------------------


def import_record_create(*, kind, agency, actor, upload, file_name=None, **options):
    """Keep an uploaded file as an import record (status uploaded), or refuse it at once.

    `upload` is the file's bytes or a Django UploadedFile; a file over the size limit is refused
    without reading it, and its record says so (status invalid, no file kept).
    """
    name = pathlib.PurePath(file_name or getattr(upload, "name", "") or "upload").name[:255]
    size = len(upload) if isinstance(upload, bytes) else upload.size
    record = ImportRecord(
        kind=kind,
        agency=agency,
        uploaded_by=acting_user(actor),
        original_name=name,
        size_bytes=size,
        created_at=timezone.now(),
        **options,
    )
    if size > MAX_FILE_BYTES:
        message = (
            f"The file is {size / (1024 * 1024):.1f} MB; the limit is {MAX_FILE_BYTES // (1024 * 1024)} MB. "
            "Remove columns we do not use, or split the file."
        )
        record.sha256 = ""
        _set_outcome(record, Status.INVALID, errors=[RowError(None, None, None, message).as_dict()])
        record.message = message
        record.save()
        return record
    data = upload if isinstance(upload, bytes) else b"".join(upload.chunks())
    record.sha256 = hashlib.sha256(data).hexdigest()
    record.file.save(name, ContentFile(data), save=False)
    record.save()
    return record


def import_claim(*, import_record, from_statuses, to_status, **changes):
    """Move the record to `to_status` if it is in one of `from_statuses`, or was claimed for
    `to_status` longer ago than a task may run. True when this caller won the claim."""
    now = timezone.now()
    stale = now - datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    claimable = Q(status__in=from_statuses) | Q(status=to_status, claimed_at__lt=stale)
    won = (
        ImportRecord.objects.filter(pk=import_record.pk)
        .filter(claimable)
        .update(status=to_status, claimed_at=now, progress_done=0, **changes)
    )
    import_record.refresh_from_db()
    return won == 1


def import_validate_step(import_record, *, build, empty):
    """Claim a record's check, run `build(data, progress)` -> preview and store the outcome.

    Returns None when another caller has the check (or it was done already). A preview has `ok`,
    `errors`, `counts()`, `as_json()` and `validated_message()`.
    """
    if not import_claim(
        import_record=import_record, from_statuses=[Status.UPLOADED], to_status=Status.VALIDATING
    ):
        return None
    try:
        data = import_read_file(import_record)
        with gc_paused():
            preview = build(data, Progress(import_record))
    except ImportRefused as exc:
        preview = empty()
        preview.errors = exc.errors
    except Exception:
        import_fail(import_record, message="An unexpected error stopped the check. Nothing was changed.")
        raise
    import_finish(
        import_record,
        Status.VALIDATED if preview.ok else Status.INVALID,
        message=preview.validated_message(),
        counts=preview.counts(),
        preview=preview.as_json(),
        errors=preview.errors,
    )
    return preview


def import_queue_commit(import_record, *, actor, task, **changes):
    """The person confirmed a checked import: mark it for the commit task and queue the task once
    this transaction commits. False when it was not waiting for confirmation (a double click)."""
    queued = (
        ImportRecord.objects.filter(pk=import_record.pk, status=Status.VALIDATED).update(
            status=Status.COMMITTING, claimed_at=None, confirmed_by=acting_user(actor), **changes
        )
        == 1
    )
    import_record.refresh_from_db()
    if queued:
        transaction.on_commit(lambda: task.delay(import_record.pk))
    return queued


def import_claim_commit(import_record, *, actor, **changes):
    """Claim the commit: straight from validated (the command line), or a commit the web queued
    (claimed_at still empty), or one whose worker died. True when this caller won it."""
    if import_claim(
        import_record=import_record,
        from_statuses=[Status.VALIDATED],
        to_status=Status.COMMITTING,
        confirmed_by=acting_user(actor),
        **changes,
    ):
        return True
    won = ImportRecord.objects.filter(
        pk=import_record.pk, status=Status.COMMITTING, claimed_at__isnull=True
    ).update(claimed_at=timezone.now())
    import_record.refresh_from_db()
    return won == 1


def import_not_waiting(import_record):
    return ImportRefused(
        f"This import is not waiting for confirmation ({import_record.get_status_display().lower()})."
    )


class Progress:
    """Writes rows done / total to the record every PROGRESS_EVERY rows, for the progress bar.

    It writes with its own UPDATE outside any transaction, so another request can read it.
    """

    def __init__(self, import_record, *, every=PROGRESS_EVERY):
        self.pk = import_record.pk
        self.every = every
        self.total = 0
        self.done = 0

    def start(self, total):
        self.total = total
        ImportRecord.objects.filter(pk=self.pk).update(progress_done=0, progress_total=total)

    def tick(self, done):
        if done % self.every == 0:
            ImportRecord.objects.filter(pk=self.pk).update(
                progress_done=done, progress_total=max(self.total, done)
            )

    def finish(self, done):
        ImportRecord.objects.filter(pk=self.pk).update(progress_done=done, progress_total=done)


@dataclasses.dataclass
class ParsedSheet:
    """What reading an uploaded sheet found: the rows without errors and every problem."""

    file_format: str = ""
    match: HeaderMatch | None = None
    rows: list = dataclasses.field(default_factory=list)  # (row number, values) for rows without errors
    row_count: int = 0
    errors: list = dataclasses.field(default_factory=list)
    header_row: int = 1  # the spreadsheet's row that held the headings
    sheet_name: str = ""  # the workbook's sheet that was read ("" for CSV)


def import_read_sheet(
    parsed, data, file_name, *, columns, resource, progress, header_errors=None, on_row=None, required=None
):
    """Fill `parsed` (a ParsedSheet) from an upload: headers matched to `columns`, every data row
    cleaned by the resource's rows_cleaner in batches, counted as it is read (the progress bar), and
    every problem listed: an unreadable file, missing columns, each row's errors, no rows at all.

    `header_errors(match, headers)` adds an import's own checks of the columns found; `on_row(values)`
    sees every row's values, with errors or not; `required(match)` gives the fields the file must
    have when that depends on the columns found (all required columns when None). Returns whether
    the rows could be read (the file opened and its headers were acceptable); the rows of a file
    that could not are still counted.
    """
    try:
        sheet = open_sheet(data, file_name, score=heading_score(columns))
    except SpreadsheetRefused as exc:
        parsed.errors.append(RowError(exc.row, None, None, exc.message))
        return False
    parsed.file_format = sheet.file_format
    parsed.header_row = sheet.header_row
    parsed.sheet_name = sheet.sheet_name
    match = match_headers(sheet.headers, columns, header_row=sheet.header_row)
    parsed.match = match
    parsed.errors.extend(match.errors)
    needed = required(match) if required is not None else None
    parsed.errors.extend(missing_column_errors(match, columns, sheet.headers, required=needed))
    if header_errors is not None:
        parsed.errors.extend(header_errors(match, sheet.headers))
    clean = resource.rows_cleaner(match)
    readable = not parsed.errors
    progress.start(sheet.estimated_rows)
    counted = _counted(sheet.rows, progress)
    try:
        if not readable:
            for _row in counted:
                pass
        for number, values, errors in clean_in_batches(clean, counted):
            if on_row is not None:
                on_row(values)
            if errors:
                parsed.errors.extend(errors)
            else:
                parsed.rows.append((number, values))
    except SpreadsheetRefused as exc:
        parsed.errors.append(RowError(exc.row, None, None, exc.message))
    parsed.row_count = progress.done
    if readable and parsed.row_count == 0:
        # Never read an empty staff list as "everyone has left", nor an empty file as done.
        parsed.errors.append(
            RowError(None, None, None, "The file has a header row but no rows of data under it.")
        )
    return readable


def _counted(rows, progress):
    for row in rows:
        progress.done += 1
        progress.tick(progress.done)
        yield row


def import_read_file(import_record):
    """The uploaded bytes, checked against the hash taken when they arrived."""
    if not import_record.file:
        raise ImportRefused(
            f"The uploaded file was deleted {file_retention_days(import_record.status)} days after the "
            "import finished. "
            "Upload it again."
        )
    try:
        with import_record.file.open("rb") as stream:
            data = stream.read()
    except OSError:
        raise ImportRefused("The uploaded file could not be read. Upload it again.") from None
    if hashlib.sha256(data).hexdigest() != import_record.sha256:
        raise ImportRefused(
            "The stored file is not the one that was checked, so nothing was applied. Upload it again."
        )
    return data


def _set_outcome(record, status, *, counts=None, preview=None, errors=None):
    record.status = status
    record.finished_at = timezone.now()
    for name, value in (counts or {}).items():
        setattr(record, f"{name}_count", value)
    if counts is not None:
        # Done: the bar is full, whatever the estimate of the row count was.
        record.progress_done = record.progress_total = counts["rows"]
    if preview is not None:
        record.preview = preview
    if errors is not None:
        record.errors = errors[:STORED_ERRORS_LIMIT]
        record.errors_count = len(errors)


def import_finish(record, status, *, message, counts=None, preview=None, errors=None):
    _set_outcome(record, status, counts=counts, preview=preview, errors=errors)
    record.message = message
    record.save()
    return record


def import_fail(record, *, message):
    """An unexpected error stopped a step; the transaction around any writes has rolled back."""
    ImportRecord.objects.filter(pk=record.pk).update(
        status=Status.FAILED, message=message, finished_at=timezone.now()
    )
    record.refresh_from_db()


# ---------------------------------------------------------------------------------------------
# Downloads: failing rows, and keeping files no longer than needed
# ---------------------------------------------------------------------------------------------


def _checked_name(import_record):
    return f"{import_record.file.name}.checked.json"


def import_save_checked(import_record, payload, *, encode=None):
    """Keep the checked rows of a file beside it, so the commit need not read and check it again
    (for a large workbook, reading is most of the time). Tied to the file by its hash; `encode`
    is json's `default`, for values JSON cannot hold."""
    storage = import_record.file.storage
    name = _checked_name(import_record)
    if storage.exists(name):
        storage.delete(name)
    body = {"sha256": import_record.sha256, **payload}
    storage.save(name, ContentFile(json.dumps(body, separators=(",", ":"), default=encode).encode()))


def import_load_checked(import_record):
    """The payload import_save_checked kept for exactly this file, or None."""
    if not import_record.file:
        return None
    storage = import_record.file.storage
    name = _checked_name(import_record)
    try:
        with storage.open(name, "rb") as stream:
            body = json.loads(stream.read())
    except (OSError, ValueError):
        return None
    if not isinstance(body, dict) or body.get("sha256") != import_record.sha256:
        return None
    return body


def _delete_upload(import_record):
    storage = import_record.file.storage
    checked = _checked_name(import_record)
    if storage.exists(checked):
        storage.delete(checked)
    import_record.file.delete(save=False)


def import_failing_rows(*, import_record, file_format):
    """The rows that failed, as the uploader wrote them, with an "error" column: fix and re-upload.

    Returns (file name, bytes), or None when no row failed (only the file as a whole, for example
    a missing column). Every cell, the messages included, is made inert.
    """
    by_row = {}
    for error in import_record.errors:
        if error.get("row") is not None:
            text = f"{error['column']}: {error['message']}" if error.get("column") else error["message"]
            by_row.setdefault(error["row"], []).append(text)
    if not by_row:
        return None
    try:
        sheet = open_sheet(import_read_file(import_record), import_record.original_name)
        headers = list(sheet.headers)
        existing = next((i for i, h in enumerate(headers) if h.strip().lower() == ERROR_COLUMN), None)
        if existing is None:
            headers.append(ERROR_COLUMN)
        rows = []
        for number, cells in sheet.rows:
            if number in by_row:
                message = "; ".join(by_row[number])
                cells = list(cells)
                if existing is None:
                    cells.append(message)
                else:
                    cells[existing] = message
                rows.append(cells)
    except SpreadsheetRefused as exc:
        raise ImportRefused(exc.message) from None
    stem = pathlib.PurePath(import_record.original_name).stem or "upload"
    if file_format == "csv":
        return f"{stem} - failing rows.csv", write_csv(headers, rows)
    return f"{stem} - failing rows.xlsx", write_xlsx(headers, rows, title="Failing rows")


def import_files_due(*, today):
    """Import records whose uploaded file is past its retention period on `today`: refused and
    failed imports RETENTION_REFUSED_UPLOAD_DAYS after they finished, every other one
    RETENTION_UPLOAD_DAYS after (an import that never finished counts from its upload). Imports
    being checked or applied right now are left alone."""

    def cutoff(days):
        start = today - datetime.timedelta(days=days)
        return timezone.make_aware(datetime.datetime.combine(start, datetime.time.min))

    refused = Q(status__in=REFUSED_STATUSES, ended__lt=cutoff(settings.RETENTION_REFUSED_UPLOAD_DAYS))
    others = ~Q(status__in=REFUSED_STATUSES) & Q(ended__lt=cutoff(settings.RETENTION_UPLOAD_DAYS))
    return (
        ImportRecord.objects.exclude(file="")
        .annotate(ended=Coalesce("finished_at", "created_at"))
        .filter(refused | others)
        .exclude(status__in=[Status.VALIDATING, Status.COMMITTING])
    )


def import_files_purge(*, today):
    """Delete the uploaded files import_files_due names, and with them the preview's tables of
    people and the cell values quoted in its problems; the records, with their counts and the
    problems' rows, columns and messages, stay. Returns the number of files deleted. Part of the
    nightly retention run (privacy.services.retention_run)."""
    deleted = 0
    for record in import_files_due(today=today).iterator():
        _delete_upload(record)
        ImportRecord.objects.filter(pk=record.pk).update(
            file="",
            file_deleted_at=timezone.now(),
            preview=_without_people(record.preview),
            errors=[{**error, "value": None} for error in record.errors or []],
        )
        deleted += 1
    return deleted


def _without_people(preview):
    """The preview as its counts: the tables of rows (people, their before and after) go with the
    file; the figures, headings and sheet stay."""
    if not isinstance(preview, dict):
        return {}
    return {
        key: ([] if isinstance(value, list) and any(isinstance(item, dict) for item in value) else value)
        for key, value in preview.items()
    }


# ---------------------------------------------------------------------------------------------
# Job title mappings (an agency's own job titles -> catalogue job roles)
# ---------------------------------------------------------------------------------------------


def job_title_mappings_save(*, agency, mappings, actor):
    """Map each of an agency's job titles (`mappings`: {title: JobRole or None}) to a job role,
    once: later staff lists of the agency read the title as that role. None removes a title's
    mapping. Each change is a history row of its own, by `actor`. Returns how many changed."""
    changed = 0
    with transaction.atomic():
        existing = {
            mapping.title_key: mapping
            for mapping in JobTitleMapping.objects.select_for_update().filter(agency=agency)
        }
        for title, role in mappings.items():
            title = " ".join(str(title).split())
            if not title:
                continue
            mapping = existing.get(title.casefold())
            if role is None:
                if mapping is not None:
                    mapping._history_user = acting_user(actor)
                    mapping.delete()
                    changed += 1
                continue
            if mapping is not None and mapping.job_role_id == role.pk:
                continue
            if mapping is None:
                mapping = JobTitleMapping(agency=agency, title=title)
            mapping.job_role = role
            mapping._history_user = acting_user(actor)
            mapping.save()
            changed += 1
    return changed
