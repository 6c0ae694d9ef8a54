"""Import records: every uploaded spreadsheet, who may see it, its progress and its downloads.

Shared by staff lists (workforce.staff_import) and providers' completion files
(training.completion_import). The life of a record:

    uploaded -> validating -> validated -> committing -> committed
                          \\-> invalid               \\-> failed (nothing changed)

Each step is claimed with a conditional UPDATE of `status`, so a retried task, a second worker or
a double click never runs a step twice. A step whose worker died is claimable again once it is
older than the hard task time limit (after which the first worker is certainly gone).
"""

import contextlib
import dataclasses
import datetime
import gc
import hashlib
import json
import operator
import pathlib

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone
from simple_history.utils import (
    bulk_create_with_history,
    bulk_update_with_history,
    get_history_model_for_model,
)

from . import access
from .models import ImportRecord
from .resources import HeaderMatch, RowError, clean_in_batches, match_headers, missing_column_errors
from .spreadsheets import MAX_FILE_BYTES, SpreadsheetRefused, open_sheet, write_csv, write_xlsx

Status = ImportRecord.Status

PROGRESS_EVERY = 2_000
PREVIEW_LIMIT = 1_000
STORED_ERRORS_LIMIT = 100_000
FILE_RETENTION_DAYS = 30
ERROR_COLUMN = "error"


class ImportRefused(Exception):
    """The import cannot go ahead; `errors` are RowError-shaped dicts to show or print."""

    def __init__(self, message, *, errors=None):
        super().__init__(message)
        self.message = message
        self.errors = errors or [RowError(None, None, None, message).as_dict()]


# ---------------------------------------------------------------------------------------------
# Access (built on workforce.access, the one scoping module)
# ---------------------------------------------------------------------------------------------


def import_check_agency_access(*, actor, agency):
    """Agency HR may import into their own agencies only, leads into any. Another agency is a 404.

    `actor` None is the command line, run by someone with access to the server.
    """
    if actor is None:
        return
    access.get_visible_agency_or_404(actor, pk=agency.pk)


def import_check_completions_access(*, actor):
    if actor is not None and not access.is_lead(actor):
        raise PermissionDenied("Only partnership leads can import completion files.")


def visible_imports(user):
    """Leads see every import; Agency HR the staff-list imports of their own agencies."""
    if access.is_lead(user):
        return ImportRecord.objects.all()
    if access.is_agency_hr(user):
        return ImportRecord.objects.filter(
            kind=ImportRecord.Kind.STAFF, agency__in=access.visible_agencies(user)
        )
    return ImportRecord.objects.none()


def get_visible_import_or_404(user, **lookup):
    return get_object_or_404(visible_imports(user).select_related("agency", "uploaded_by"), **lookup)


def import_history(*, user, agency=None, kind=ImportRecord.Kind.STAFF):
    records = visible_imports(user).filter(kind=kind).select_related("agency", "uploaded_by")
    if agency is not None:
        records = records.filter(agency=agency)
    return records.order_by("-created_at", "-id")


# ---------------------------------------------------------------------------------------------
# Creating, claiming and finishing records
# ---------------------------------------------------------------------------------------------


def import_record_create(*, kind, agency, actor, upload, file_name=None, complete_list=False):
    """Keep an uploaded file as an import record (status uploaded), or refuse it at once.

    `upload` is the file's bytes or a Django UploadedFile; a file over the size limit is refused
    without reading it, and its record says so (status invalid, no file kept).
    """
    name = pathlib.PurePath(file_name or getattr(upload, "name", "") or "upload").name[:255]
    size = len(upload) if isinstance(upload, bytes) else upload.size
    record = ImportRecord(
        kind=kind,
        agency=agency,
        uploaded_by=_user(actor),
        original_name=name,
        size_bytes=size,
        complete_list=complete_list,
        created_at=timezone.now(),
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
            status=Status.COMMITTING, claimed_at=None, confirmed_by=_user(actor), **changes
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
        confirmed_by=_user(actor),
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


@contextlib.contextmanager
def gc_paused():
    """Pause the cyclic garbage collector while a file is read and checked.

    A large file becomes hundreds of thousands of small objects that all live until the end; the
    collector would walk them again and again and free nothing (there are no cycles to find).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


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


def import_read_sheet(
    parsed, data, file_name, *, columns, resource, progress, header_errors=None, on_row=None
):
    """Fill `parsed` (a ParsedSheet) from an upload: headers matched to `columns`, every data row
    cleaned by the resource's rows_cleaner in batches, counted as it is read (the progress bar), and
    every problem listed: an unreadable file, missing columns, each row's errors, no rows at all.

    `header_errors(match, headers)` adds an import's own checks of the columns found; `on_row(values)`
    sees every row's values, with errors or not. Returns whether the rows could be read (the file
    opened and its headers were acceptable); the rows of a file that could not are still counted.
    """
    try:
        sheet = open_sheet(data, file_name)
    except SpreadsheetRefused as exc:
        parsed.errors.append(RowError(exc.row, None, None, exc.message))
        return False
    parsed.file_format = sheet.file_format
    match = match_headers(sheet.headers, columns, header_row=sheet.header_row)
    parsed.match = match
    parsed.errors.extend(match.errors)
    parsed.errors.extend(missing_column_errors(match, columns, sheet.headers))
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
            f"The uploaded file was deleted {FILE_RETENTION_DAYS} days after the import finished. "
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


def _user(actor):
    return actor if actor is not None and actor.is_authenticated else None


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


def import_files_purge(*, today):
    """Delete uploaded files FILE_RETENTION_DAYS after their import finished; the records stay.

    A file whose import never finished (abandoned before it was checked) goes the same number of
    days after it was uploaded. Returns the number of files deleted.
    """
    cutoff = timezone.make_aware(
        datetime.datetime.combine(today - datetime.timedelta(days=FILE_RETENTION_DAYS), datetime.time.min)
    )
    due = (
        ImportRecord.objects.exclude(file="")
        .annotate(ended=Coalesce("finished_at", "created_at"))
        .filter(ended__lt=cutoff)
        .exclude(status__in=[Status.VALIDATING, Status.COMMITTING])
    )
    deleted = 0
    for record in due.iterator():
        _delete_upload(record)
        ImportRecord.objects.filter(pk=record.pk).update(file="", file_deleted_at=timezone.now())
        deleted += 1
    return deleted


# ---------------------------------------------------------------------------------------------
# Writing many rows with their history
# ---------------------------------------------------------------------------------------------

BATCH_SIZE = 2_000
# Field types whose Python values the PostgreSQL driver writes as they are.
_PLAIN_TYPES = {
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "DateField",
    "DateTimeField",
    "EmailField",
    "ForeignKey",
    "IntegerField",
    "OneToOneField",
    "PositiveBigIntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SlugField",
    "SmallIntegerField",
    "TextField",
}


def bulk_insert_with_history(model, rows, *, user, reason, when):
    """Insert new rows and their "+" history rows (history_user `user`, change reason `reason`).

    `rows` are dicts of field attname -> value as the database stores it (a foreign key as its id,
    a file field as its name); missing fields are null, and each dict gets its new id. On
    PostgreSQL the rows go through COPY with ids taken from the table's sequence, with no model
    instances at all (Django's bulk_create spends most of a large import preparing values field by
    field), and their history rows are copied from them on the server. Elsewhere this is
    simple_history's bulk_create_with_history. Either way every row gets its history row.
    """
    if not rows:
        return rows
    fields = model._meta.concrete_fields
    for field in fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            for row in rows:
                row[field.attname] = when
    pk = model._meta.pk
    if connection.vendor != "postgresql":
        objs = [model(**row) for row in rows]
        bulk_create_with_history(
            objs,
            model,
            batch_size=BATCH_SIZE,
            default_user=user,
            default_change_reason=reason,
            default_date=when,
        )
        for row, obj in zip(rows, objs, strict=True):
            row[pk.attname] = obj.pk
        return rows
    table = model._meta.db_table
    for row, pk_value in zip(rows, reserve_ids(model, len(rows)), strict=True):
        row[pk.attname] = pk_value
    with connection.cursor() as cursor:
        _copy_dicts(cursor, table, fields, rows)
        _history_from_table(
            cursor,
            model,
            [row[pk.attname] for row in rows],
            history_type="+",
            user=user,
            reason=reason,
            when=when,
        )
    return rows


def reserve_ids(model, count):
    """Primary keys for `count` new rows, taken from the table's sequence so later inserts carry on."""
    if count == 0:
        return []
    table, pk = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The sequence's name once: pg_get_serial_sequence on every row costs more than the ids.
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, pk])
            sequence = cursor.fetchone()[0]
            cursor.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [sequence, count])
            return [row[0] for row in cursor.fetchall()]
        # SQLite (AUTOINCREMENT): past both the highest id and the highest ever handed out. The
        # write lock taken when the transaction began keeps anyone else from inserting meanwhile.
        quote = connection.ops.quote_name
        cursor.execute(f"SELECT COALESCE(MAX({quote(pk)}), 0) FROM {quote(table)}")  # noqa: S608
        highest = cursor.fetchone()[0]
        if connection.vendor == "sqlite":
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            found = cursor.fetchone()
            highest = max(highest, found[0] if found else 0)
    return list(range(highest + 1, highest + 1 + count))


def _copy_dicts(cursor, table, fields, rows):
    quote = connection.ops.quote_name
    names = [field.attname for field in fields]
    # Dates and times as ISO text, each distinct value formatted once (see _as_text).
    dated = [
        (index, {})
        for index, field in enumerate(fields)
        if field.get_internal_type() in ("DateField", "DateTimeField")
    ]
    columns = ", ".join(quote(field.column) for field in fields)
    with cursor.cursor.copy(f"COPY {quote(table)} ({columns}) FROM STDIN") as copy:
        write = copy.write_row
        for row in rows:
            values = list(map(row.get, names))
            for index, texts in dated:
                value = values[index]
                if value is not None:
                    text = texts.get(value)
                    if text is None:
                        text = texts[value] = value.isoformat()
                    values[index] = text
            write(values)


def _history_from_table(cursor, model, ids, *, history_type, user, reason, when):
    """Write the history rows of the rows `ids` (in id order) from their state in the table, inside
    this transaction: the rows are already on the server, so they are not sent a second time.

    The rows are those simple_history's bulk helpers would write: every column of the history
    table is a column of the model's table or one of the four history fields set here.
    """
    history = get_history_model_for_model(model)
    fixed = {
        "history_date": when,
        "history_change_reason": reason,
        "history_type": history_type,
        "history_user_id": user.pk if user is not None else None,
    }
    source = {field.attname: field for field in model._meta.concrete_fields}
    fields = [field for field in history._meta.concrete_fields if not field.primary_key]
    extra = [field.attname for field in fields if field.attname not in source and field.attname not in fixed]
    if extra:
        raise TypeError(f"{history.__name__} has fields the bulk history writer does not fill: {extra}")
    quote = connection.ops.quote_name
    selected, params = [], []
    for field in fields:
        if field.attname in fixed:
            selected.append("%s")
            params.append(fixed[field.attname])
        else:
            selected.append(f"t.{quote(source[field.attname].column)}")
    pk = model._meta.pk
    columns = ", ".join(quote(field.column) for field in fields)
    # Names are the models' own tables and columns, quoted; values are parameters.
    cursor.execute(
        f"INSERT INTO {quote(history._meta.db_table)} ({columns}) "  # noqa: S608
        f"SELECT {', '.join(selected)} FROM {quote(model._meta.db_table)} AS t "
        f"WHERE t.{quote(pk.column)} = ANY(%s::{pk.rel_db_type(connection)}[]) ORDER BY t.{quote(pk.column)}",
        [*params, list(ids)],
    )


def _as_text(field):
    """For date and time columns, a function writing each distinct value's ISO text once.

    The driver formats a timezone-aware datetime in about 9 microseconds and a date in 2.5; an
    import writes the same timestamp on every row and the same few thousand dates again and again,
    and the server reads ISO text as quickly as its own format.
    """
    if field.get_internal_type() not in ("DateField", "DateTimeField"):
        return None
    texts = {}

    def text(value):
        if value is None:
            return None
        known = texts.get(value)
        if known is None:
            known = texts[value] = value.isoformat()
        return known

    return text


def bulk_change_with_history(model, objs, fields, *, user, reason, when):
    """Save `fields` of existing rows and write their "~" history rows with the full new state.

    On PostgreSQL: COPY into a temporary table and one UPDATE ... FROM it (Django's bulk_update
    builds a CASE per field and row, which grows slow past a few thousand rows). Elsewhere this is
    simple_history's bulk_update_with_history.
    """
    if not objs:
        return
    if connection.vendor != "postgresql":
        bulk_update_with_history(
            objs,
            model,
            fields,
            batch_size=BATCH_SIZE,
            default_user=user,
            default_change_reason=reason,
            default_date=when,
        )
        return
    # Every name in the SQL below is a model's own table or column, quoted; values go through COPY.
    quote = connection.ops.quote_name
    table, pk = model._meta.db_table, model._meta.pk
    changed = [model._meta.get_field(name) for name in fields]
    scratch = "import_bulk_change"
    columns = ", ".join(quote(field.column) for field in [pk, *changed])
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {scratch}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {scratch} AS SELECT {columns} FROM {quote(table)} WITH NO DATA"  # noqa: S608
        )
        _copy(cursor, scratch, [pk, *changed], objs)
        assignments = ", ".join(f"{quote(field.column)} = s.{quote(field.column)}" for field in changed)
        cursor.execute(
            f"UPDATE {quote(table)} AS t SET {assignments} FROM {scratch} AS s "  # noqa: S608
            f"WHERE t.{quote(pk.column)} = s.{quote(pk.column)}"
        )
        cursor.execute(f"DROP TABLE {scratch}")
        _history_from_table(
            cursor, model, [obj.pk for obj in objs], history_type="~", user=user, reason=reason, when=when
        )


def _getters(fields):
    """For each field a function obj -> the value to write: the attribute as it is where the
    driver can write it, else through the field's own conversion (a file field's name)."""
    getters = []
    for field in fields:
        as_text = _as_text(field)
        if as_text is not None:
            getters.append(lambda obj, name=field.attname, as_text=as_text: as_text(getattr(obj, name)))
        elif field.get_internal_type() in _PLAIN_TYPES:
            getters.append(operator.attrgetter(field.attname))
        else:
            getters.append(lambda obj, f=field: f.get_db_prep_save(getattr(obj, f.attname), connection))
    return getters


def _copy_rows(cursor, table, fields, getters, objs):
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    with cursor.cursor.copy(f"COPY {quote(table)} ({columns}) FROM STDIN") as copy:
        for obj in objs:
            copy.write_row([get(obj) for get in getters])


def _copy(cursor, table, fields, objs):
    _copy_rows(cursor, table, fields, _getters(fields), objs)
