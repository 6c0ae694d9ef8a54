"""Staff lists from partner HR: check a file, preview what it changes, apply it all or nothing.

Entry points (the web flow, the Celery tasks and `manage.py import_staff` all call these):

- staff_import_create(actor, agency, upload, complete_list) -> ImportRecord (status uploaded);
  schedules the background check unless run_in_background=False.
- staff_import_validate(import_record) -> StaffImportPreview, stored on the record as JSON
  (record.preview, record.errors, the counts) with status validated or invalid.
- staff_import_request_commit(import_record, actor, confirm_mass_leavers): the web "Confirm"
  button; checks the preview can be applied and schedules the commit in the background.
- staff_import_commit(import_record, actor, confirm_mass_leavers) -> StaffImportPreview: applies
  exactly the previewed file (same bytes, same planned changes) in one transaction.
- staff_import_template(file_format) and staff_list_export(agency, file_format): the upload
  template and an agency's staff list in the same columns; exporting then uploading changes nothing.

Matching is by staff number within the agency (ignoring case). A value that differs only in case or
surrounding spaces is unchanged. Staff are never deleted: with "complete staff list", current staff
missing from the file get a leaving date of the import day, and more than 10% of the agency's
current staff leaving needs a second confirmation. New starters not yet started (a start date
after today) are not current staff, so a complete list without them leaves them as they are.

Rows are written in bulk with their history rows (workforce.imports.bulk_insert_with_history and
bulk_change_with_history: COPY on PostgreSQL, simple_history's bulk helpers elsewhere), each
history row carrying the actor and the reason "Staff list import #<id>"; the row-by-row path of
django-import-export cannot check and apply a 50,000-row file in the time a person will wait.
The check keeps its clean rows beside the upload (tied to the file's hash), so the commit does not
read a large workbook a second time.
"""

import datetime
import hashlib
from collections import Counter
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .imports import (
    PREVIEW_LIMIT,
    ImportRefused,
    ParsedSheet,
    Progress,
    bulk_change_with_history,
    bulk_insert_with_history,
    gc_paused,
    import_check_agency_access,
    import_claim_commit,
    import_fail,
    import_finish,
    import_load_checked,
    import_not_waiting,
    import_queue_commit,
    import_read_file,
    import_read_sheet,
    import_record_create,
    import_save_checked,
    import_validate_step,
)
from .models import Agency, ImportRecord, JobRole, StaffMember, Team
from .resources import (
    STAFF_COLUMNS,
    HeaderMatch,
    RowError,
    StaffResource,
    missing_value_message,
    uk_date,
)
from .spreadsheets import write_csv, write_xlsx

Status = ImportRecord.Status
MASS_LEAVER_SHARE = 0.10
STAFF_COLUMNS_BY_FIELD = {column.field: column for column in STAFF_COLUMNS}
LABELS = {column.field: column.header for column in STAFF_COLUMNS}
COMPARED_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "job_role",
    "job_title",
    "team",
    "line_manager_email",
    "start_date",
    "left_on",
)


@dataclass
class StaffImportPreview:
    """What a staff list would change (or changed, once committed). Stored on the record as JSON.

    Lists of rows are capped at PREVIEW_LIMIT each; the counts are always complete.
    Dates are ISO strings; `errors` are dicts with row, column, value and message.
    """

    import_id: int | None
    agency: str
    file_name: str
    file_format: str = ""
    sha256: str = ""
    complete_list: bool = False
    rows: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    leavers: int = 0
    current_staff: int = 0
    needs_mass_leaver_confirmation: bool = False
    columns: dict = field(default_factory=dict)
    ignored_columns: list = field(default_factory=list)
    new_rows: list = field(default_factory=list)
    updated_rows: list = field(default_factory=list)
    leaver_rows: list = field(default_factory=list)
    new_teams: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    fingerprint: str = ""
    committed: bool = False

    @property
    def ok(self):
        return not self.errors

    @property
    def leaver_share(self):
        return self.leavers / self.current_staff if self.current_staff else 0.0

    def as_json(self):
        """Everything but the errors, which the record keeps in its own field. A shallow copy: the
        lists hold plain dicts that are written as they are (asdict would copy every row)."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__ if name != "errors"}

    @classmethod
    def from_record(cls, record):
        known = set(cls.__dataclass_fields__)
        data = {
            key: value for key, value in (record.preview or {}).items() if key in known and key != "errors"
        }
        data.setdefault("import_id", record.pk)
        data.setdefault("agency", record.agency.slug)
        data.setdefault("file_name", record.original_name)
        data.setdefault("complete_list", record.complete_list)
        preview = cls(**data)
        preview.errors = list(record.errors or [])
        return preview

    def summary(self):
        """The JSON that `manage.py import_staff --json` prints (PRODUCT.md section 8)."""
        return {
            "committed": self.committed,
            "rows": self.rows,
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "leavers": self.leavers,
            "errors": self.errors,
        }

    def counts(self):
        return {
            "rows": self.rows,
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "leavers": self.leavers,
            "duplicates": 0,
        }

    def validated_message(self):
        if self.errors:
            count = len(self.errors)
            return f"Refused: {count:,} problem{'s' if count != 1 else ''} to fix. Nothing was changed."
        return (
            f"Checked {self.rows:,} rows: {self.new:,} new, {self.updated:,} updated, "
            f"{self.unchanged:,} unchanged, {self.leavers:,} leavers. Waiting for confirmation."
        )

    def committed_message(self):
        return (
            f"Applied {self.rows:,} rows: {self.new:,} new, {self.updated:,} updated, "
            f"{self.unchanged:,} unchanged, {self.leavers:,} leavers."
        )

    def mass_leaver_message(self):
        return (
            f"This file would make {self.leavers:,} of the agency's {self.current_staff:,} current staff "
            f"({self.leaver_share:.0%}) leavers. Confirm that this is right to go ahead."
        )


# ---------------------------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------------------------


def staff_import_create(
    *, actor, agency, upload, file_name=None, complete_list=False, run_in_background=True
):
    """Keep an upload as an import record and, by default, check it in the background."""
    import_check_agency_access(actor=actor, agency=agency)
    record = import_record_create(
        kind=ImportRecord.Kind.STAFF,
        agency=agency,
        actor=actor,
        upload=upload,
        file_name=file_name,
        complete_list=complete_list,
    )
    if run_in_background and record.status == Status.UPLOADED:
        from .tasks import staff_import_validate_task

        transaction.on_commit(lambda: staff_import_validate_task.delay(record.pk))
    return record


def staff_import_validate(*, import_record, today=None):
    """Check the file and store the preview. Safe to call twice: only one caller does the work."""
    today = today or timezone.localdate()
    preview = import_validate_step(
        import_record,
        build=lambda data, progress: _preview(import_record, data, today=today, progress=progress),
        empty=lambda: _empty_preview(import_record),
    )
    return preview if preview is not None else StaffImportPreview.from_record(import_record)


def staff_import_request_commit(*, import_record, actor, confirm_mass_leavers=False):
    """The person confirmed the preview: check it may be applied and apply it in the background."""
    import_record.refresh_from_db()
    import_check_agency_access(actor=actor, agency=import_record.agency)
    _check_confirmable(import_record, StaffImportPreview.from_record(import_record), confirm_mass_leavers)
    from .tasks import staff_import_commit_task

    import_queue_commit(
        import_record, actor=actor, task=staff_import_commit_task, confirm_mass_leavers=confirm_mass_leavers
    )
    return import_record


def staff_import_commit(*, import_record, actor, confirm_mass_leavers=False, today=None):
    """Apply exactly the previewed file in one transaction: every row or none.

    Refused (ImportRefused, nothing written) when the file's bytes differ from the preview's,
    when the staff records changed since the preview so that the file would now do something
    else (the record then holds the new preview, to confirm again), or when more than 10% of the
    agency would leave without `confirm_mass_leavers`. Calling it again after success changes
    nothing and returns the committed outcome.
    """
    import_record.refresh_from_db()
    import_check_agency_access(actor=actor, agency=import_record.agency)
    today = today or timezone.localdate()
    if import_record.status == Status.COMMITTED:
        return StaffImportPreview.from_record(import_record)
    previewed = StaffImportPreview.from_record(import_record)
    _check_confirmable(import_record, previewed, confirm_mass_leavers, allow_queued=True)
    if not import_claim_commit(import_record, actor=actor, confirm_mass_leavers=confirm_mass_leavers):
        if import_record.status == Status.COMMITTED:
            return StaffImportPreview.from_record(import_record)
        raise import_not_waiting(import_record)
    try:
        with gc_paused():
            return _commit(import_record, previewed, actor=actor, today=today, confirm=confirm_mass_leavers)
    except ImportRefused as exc:
        import_finish(import_record, Status.FAILED, message=exc.message, errors=exc.errors)
        raise
    except _PlanChanged as changed:
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


def _check_confirmable(record, preview, confirm_mass_leavers, allow_queued=False):
    allowed = {Status.VALIDATED, Status.COMMITTING} if allow_queued else {Status.VALIDATED}
    if record.status not in allowed:
        raise import_not_waiting(record)
    if preview.errors:
        raise ImportRefused("The file has errors, so it cannot be applied.", errors=preview.errors)
    if preview.needs_mass_leaver_confirmation and not confirm_mass_leavers:
        raise ImportRefused(preview.mass_leaver_message())


class _PlanChanged(Exception):
    def __init__(self, preview):
        super().__init__()
        self.preview = preview
        self.message = (
            "The staff records changed after the preview (another upload or an edit), so nothing was "
            "applied. Check the new preview and confirm again."
        )


def _commit(record, previewed, *, actor, today, confirm):
    data = import_read_file(record)
    if record.sha256 != previewed.sha256:
        raise ImportRefused("The stored file is not the one that was previewed, so nothing was applied.")
    progress = Progress(record)
    parsed = _load_checked(record) or _read(record, data, today=today, progress=progress)
    reason = f"Staff list import #{record.pk}"
    with transaction.atomic():
        locked = ImportRecord.objects.select_for_update().get(pk=record.pk)
        if locked.status == Status.COMMITTED:
            return StaffImportPreview.from_record(locked)
        # One import per agency at a time: the plan below must still hold when it is written.
        agency = Agency.objects.select_for_update().get(pk=record.agency_id)
        plan = _plan(parsed, agency=agency, today=today, complete_list=record.complete_list)
        preview = _preview_from(record, parsed, plan)
        if preview.fingerprint != previewed.fingerprint or not preview.ok:
            raise _PlanChanged(preview)
        if preview.needs_mass_leaver_confirmation and not confirm:
            raise ImportRefused(preview.mass_leaver_message())
        _apply(plan, agency=agency, actor=actor, today=today, reason=reason)
        preview.committed = True
        progress.finish(preview.rows)
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
# Reading and checking the file
# ---------------------------------------------------------------------------------------------


@dataclass
class _Parsed(ParsedSheet):
    numbers_in_file: set = field(default_factory=set)  # staff numbers (upper case), errors or not


def _read(record, data, *, today, progress):
    parsed = _Parsed()
    seen = parsed.numbers_in_file.add

    def note_staff_number(values):
        staff_number = values.get("staff_number")
        if staff_number:
            seen(staff_number.upper())

    readable = import_read_sheet(
        parsed,
        data,
        record.original_name,
        columns=STAFF_COLUMNS,
        resource=StaffResource(agency=record.agency, today=today),
        progress=progress,
        on_row=note_staff_number,
    )
    if readable:
        parsed.errors.extend(_duplicate_errors(parsed.rows, parsed.match))
    return parsed


def _duplicate_errors(rows, match):
    """Every row involved in a repeated staff number or email is an error (the first one too)."""
    errors = []
    for field_name, key in (("staff_number", str.upper), ("email", str.lower)):
        keys = [key(values[field_name]) if values.get(field_name) else None for _number, values in rows]
        repeated = {value for value, count in Counter(keys).items() if count > 1 and value is not None}
        if not repeated:
            continue
        seen = {}
        for (number, values), value in zip(rows, keys, strict=True):
            if value in repeated:
                seen.setdefault(value, []).append((number, values[field_name]))
        label = LABELS[field_name].lower()
        for occurrences in seen.values():
            where = _row_list([number for number, _ in occurrences])
            for number, value in occurrences:
                message = (
                    f"The {label} {value} is on {where}. "
                    f"Each person must appear once, with their own {label}."
                )
                errors.append(RowError(number, match.written[field_name], value, message))
    errors.sort(key=lambda error: error.row)
    return errors


def _row_list(numbers):
    numbers = [str(number) for number in numbers]
    if len(numbers) > 6:
        numbers = numbers[:5] + [f"{len(numbers) - 5} more"]
    return "rows " + ", ".join(numbers[:-1]) + " and " + numbers[-1]


# ---------------------------------------------------------------------------------------------
# The checked rows, kept beside the upload from the check to the commit
# ---------------------------------------------------------------------------------------------

_FIELD_ORDER = [column.field for column in STAFF_COLUMNS]
_DATE_FIELDS = {"start_date", "left_on"}
_CHECKED_VERSION = 2


def _save_checked(record, parsed):
    """Keep the clean rows column by column: lists of text, numbers and None that the JSON encoder
    writes in C, with dates as ISO text and job roles as ids (each distinct value converted once)."""
    fields = [name for name in _FIELD_ORDER if parsed.match.present(name)]
    rows = [values for _number, values in parsed.rows]
    columns = {}
    for name in fields:
        if name == "job_role":
            # A model's hash is Python code; its id is an attribute.
            columns[name] = [values[name].pk for values in rows]
            continue
        column = [values[name] for values in rows]
        if name in _DATE_FIELDS:
            column = _converted(column, lambda day: None if day is None else day.isoformat())
        columns[name] = column
    import_save_checked(
        record,
        {
            "kind": "staff",
            "version": _CHECKED_VERSION,
            "file_format": parsed.file_format,
            "row_count": parsed.row_count,
            "fields": fields,
            "written": parsed.match.written,
            "ignored": parsed.match.ignored,
            "numbers": sorted(parsed.numbers_in_file),
            "row_numbers": [number for number, _values in parsed.rows],
            "columns": columns,
        },
    )


def _converted(column, convert):
    as_kept = {value: convert(value) for value in set(column)}
    return [as_kept[value] for value in column]


def _load_checked(record):
    """The rows the check found clean, as _read would give them, or None to read the file again
    (kept rows missing, from another version, or naming a job role that has since gone)."""
    body = import_load_checked(record)
    if body is None or body.get("kind") != "staff" or body.get("version") != _CHECKED_VERSION:
        return None
    try:
        fields = body["fields"]
        columns = [_loaded(name, body["columns"][name]) for name in fields]
        values = (dict(zip(fields, cells, strict=True)) for cells in zip(*columns, strict=True))
        rows = list(zip(body["row_numbers"], values, strict=True))
        match = HeaderMatch(
            indexes={name: index for index, name in enumerate(fields)},
            written=body["written"],
            ignored=body["ignored"],
            errors=[],
        )
        return _Parsed(
            file_format=body["file_format"],
            match=match,
            rows=rows,
            numbers_in_file=set(body["numbers"]),
            row_count=body["row_count"],
        )
    except (KeyError, ValueError, TypeError, AttributeError):
        return None


def _loaded(name, column):
    if name == "job_role":
        roles = JobRole.objects.in_bulk(set(column))
        return _converted(column, roles.__getitem__)
    if name in _DATE_FIELDS:
        return _converted(column, lambda text: None if text is None else datetime.date.fromisoformat(text))
    return column


# ---------------------------------------------------------------------------------------------
# Planning the changes against the agency's staff
# ---------------------------------------------------------------------------------------------

_EXISTING_FIELDS = (
    "id",
    "staff_number",
    "first_name",
    "last_name",
    "email",
    "job_role_id",
    "job_title",
    "team_id",
    "line_manager_email",
    "start_date",
    "left_on",
)


@dataclass
class _Plan:
    new: list = field(default_factory=list)  # (row number, values)
    updates: list = field(default_factory=list)  # (row number, existing row, {field: (before, after)})
    unchanged: int = 0
    leavers: list = field(default_factory=list)  # existing rows (tuples of _EXISTING_FIELDS)
    current_staff: int = 0
    new_teams: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    teams: dict = field(default_factory=dict)  # team id -> name
    roles: dict = field(default_factory=dict)  # job role id -> name
    today: datetime.date | None = None


def _plan(parsed, *, agency, today, complete_list):
    plan = _Plan(today=today)
    plan.errors = list(parsed.errors)
    plan.roles = dict(JobRole.objects.values_list("id", "name"))
    team_rows = list(Team.objects.filter(agency=agency).values_list("id", "name"))
    plan.teams = dict(team_rows)
    team_ids = {name.casefold(): team_id for team_id, name in team_rows}
    existing = list(StaffMember.objects.filter(agency=agency).order_by("id").values_list(*_EXISTING_FIELDS))
    by_number = {}
    for person in existing:
        by_number.setdefault(person[1].upper(), []).append(person)
    matched = set()
    future_emails = []  # (row number, email, staff id or None) for rows still current after today
    new_team_names = {}
    for number, values in parsed.rows:
        candidates = by_number.get(values["staff_number"].upper(), ())
        if len(candidates) > 1:
            plan.errors.append(_ambiguous(number, values, candidates, parsed.match))
            continue
        person = candidates[0] if candidates else None
        if values.get("email") == "" and (person is None or person[4]):
            plan.errors.append(_missing_email(number, person, parsed.match))
            continue
        team = values.get("team")
        if team and team.casefold() not in team_ids:
            new_team_names.setdefault(team.casefold(), team)
        if person is None:
            plan.new.append((number, values))
            left_on = values.get("left_on")
        else:
            matched.add(person[0])
            left_on = values["left_on"] if "left_on" in values else person[10]
            start = values["start_date"] if "start_date" in values else person[9]
            if left_on is not None and start is not None and left_on < start:
                # Only possible when the file lacks one of the two columns: the row itself was checked.
                plan.errors.append(_leaves_before_start(number, values, person, parsed.match))
                continue
            changes = _changes(person, values, plan.teams)
            if changes:
                plan.updates.append((number, person, changes))
            else:
                plan.unchanged += 1
        if left_on is None or left_on > today:
            future_emails.append((number, values["email"], person[0] if person else None))
    current = [person for person in existing if _is_current(person, today)]
    plan.current_staff = len(current)
    if complete_list:
        plan.leavers = [
            person
            for person in current
            if person[0] not in matched and person[1].upper() not in parsed.numbers_in_file
        ]
    plan.errors.extend(_email_clashes(future_emails, existing, matched, plan.leavers, today, parsed.match))
    plan.new_teams = sorted(new_team_names.values(), key=str.casefold)
    plan.errors.sort(key=lambda error: (error.row is not None, error.row or 0))
    return plan


def _is_current(person, today):
    start, left = person[9], person[10]
    return (start is None or start <= today) and (left is None or left > today)


_TEXT_COLUMNS = (
    (2, "first_name"),
    (3, "last_name"),
    (4, "email"),
    (6, "job_title"),
    (8, "line_manager_email"),
)
_DATE_COLUMNS = ((9, "start_date"), (10, "left_on"))


def _changes(person, values, teams):
    """Field -> (before, after) for values that differ by more than case or surrounding spaces.

    Runs once per row of a re-uploaded list, most of them unchanged: equal values are ruled out
    before anything is case-folded.
    """
    changes = {}
    get = values.get
    for index, name in _TEXT_COLUMNS:
        after = get(name)
        if after is not None:
            before = person[index]
            if before != after and before.casefold() != after.casefold():
                changes[name] = (before, after)
    role = get("job_role")
    if role is not None and role.pk != person[5]:
        changes["job_role"] = (person[5], role.pk)
    team = get("team")
    if team is not None:
        before = teams.get(person[7], "")
        if before != team and before.casefold() != team.casefold():
            changes["team"] = (before, team)
    for index, name in _DATE_COLUMNS:
        if name in values and values[name] != person[index]:
            changes[name] = (person[index], values[name])
    return changes


def _leaves_before_start(number, values, person, match):
    if "left_on" in values:
        message = f"The leaving date is before {person[2]} {person[3]}'s start date ({uk_date(person[9])})."
        return RowError(number, match.written["left_on"], values["left_on"].isoformat(), message)
    message = f"The start date is after {person[2]} {person[3]}'s leaving date ({uk_date(person[10])})."
    return RowError(number, match.written["start_date"], values["start_date"].isoformat(), message)


def _missing_email(number, person, match):
    """An empty email cell is refused unless it matches the record: someone the tracker already has
    no email for stays as they are, so that an exported list uploads again unchanged."""
    message = missing_value_message(STAFF_COLUMNS_BY_FIELD["email"])
    if person is not None:
        message += (
            f" The tracker has {person[4]} for {person[2]} {person[3]}: an upload cannot remove an "
            "email address."
        )
    return RowError(number, match.written["email"], None, message)


def _ambiguous(number, values, candidates, match):
    spelt = " and ".join(person[1] for person in candidates)
    return RowError(
        number,
        match.written["staff_number"],
        values["staff_number"],
        f"This staff number matches more than one person ({spelt}); ask the partnership lead to fix the "
        "records first.",
    )


def _email_clashes(future_emails, existing, matched, leavers, today, match):
    """A current person's email must not belong to another current member of the agency's staff
    who is not in this file (or whose email this file does not change)."""
    leaving = {person[0] for person in leavers}
    held = {}
    for person in existing:
        if person[0] in matched or person[0] in leaving or not person[4]:
            continue
        if person[10] is None or person[10] > today:
            held[person[4]] = person
    errors = []
    for number, email, _staff_id in future_emails:
        other = held.get(email)
        if other is not None:
            errors.append(
                RowError(
                    number,
                    match.written["email"],
                    email,
                    f"This email belongs to {other[2]} {other[3]} (staff number {other[1]}), who is not in "
                    "this file and has not left. Each person needs their own email address.",
                )
            )
    return errors


# ---------------------------------------------------------------------------------------------
# The preview
# ---------------------------------------------------------------------------------------------


def _empty_preview(record):
    return StaffImportPreview(
        import_id=record.pk,
        agency=record.agency.slug,
        file_name=record.original_name,
        sha256=record.sha256,
        complete_list=record.complete_list,
    )


def _preview(record, data, *, today, progress):
    parsed = _read(record, data, today=today, progress=progress)
    plan = _plan(parsed, agency=record.agency, today=today, complete_list=record.complete_list)
    progress.finish(parsed.row_count)
    preview = _preview_from(record, parsed, plan)
    if preview.ok:
        _save_checked(record, parsed)
    return preview


def _preview_from(record, parsed, plan):
    preview = _empty_preview(record)
    preview.file_format = parsed.file_format
    preview.rows = parsed.row_count
    preview.new = len(plan.new)
    preview.updated = len(plan.updates)
    preview.unchanged = plan.unchanged
    preview.leavers = len(plan.leavers)
    preview.current_staff = plan.current_staff
    preview.needs_mass_leaver_confirmation = preview.leavers > MASS_LEAVER_SHARE * plan.current_staff
    if parsed.match is not None:
        preview.columns = dict(parsed.match.written)
        preview.ignored_columns = list(parsed.match.ignored)
    preview.new_rows = [_new_row(number, values) for number, values in plan.new[:PREVIEW_LIMIT]]
    preview.updated_rows = [_updated_row(update, plan) for update in plan.updates[:PREVIEW_LIMIT]]
    preview.leaver_rows = [_leaver_row(person, plan) for person in plan.leavers[:PREVIEW_LIMIT]]
    preview.new_teams = plan.new_teams
    preview.errors = [error.as_dict() for error in plan.errors]
    preview.fingerprint = _fingerprint(plan)
    return preview


def _display(name, value, plan=None):
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, JobRole):
        return value.name
    if name == "job_role" and plan is not None:
        return plan.roles.get(value, "")
    return str(value)


def _new_row(number, values):
    row = {"row": number}
    for name in ("staff_number", *COMPARED_FIELDS):
        if name in values:
            row[name] = _display(name, values[name])
    return row


def _updated_row(update, plan):
    number, person, changes = update
    return {
        "row": number,
        "staff_number": person[1],
        "name": f"{person[2]} {person[3]}",
        "changes": [
            {
                "field": name,
                "label": LABELS[name],
                "before": _display(name, before, plan),
                "after": _display(name, after, plan),
            }
            for name, (before, after) in changes.items()
        ],
    }


def _leaver_row(person, plan):
    return {
        "staff_number": person[1],
        "name": f"{person[2]} {person[3]}",
        "email": person[4],
        "left_on": plan.today.isoformat(),
    }


def _fingerprint(plan):
    """A hash of what would be written; the commit recomputes it and must find the same.

    The file itself is already pinned by its hash, so a new row is identified by its row number,
    staff number and the job role it resolved to; changes and leavers are hashed in full.
    """
    digest = hashlib.sha256()
    digest.update(
        repr(
            [(number, values["staff_number"], values["job_role"].pk) for number, values in plan.new]
        ).encode()
    )
    digest.update(repr([(number, person[0], changes) for number, person, changes in plan.updates]).encode())
    digest.update(repr(([person[0] for person in plan.leavers], plan.new_teams)).encode())
    return digest.hexdigest()


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------


def _apply(plan, *, agency, actor, today, reason):
    """Leavers first, then changes, then new people, so addresses are freed before they are reused."""
    now = timezone.now()
    history = {
        "user": actor if actor is not None and actor.is_authenticated else None,
        "reason": reason,
        "when": now,
    }
    team_ids = _ensure_teams(agency, plan.new_teams)
    if plan.leavers:
        leavers = list(StaffMember.objects.select_for_update().filter(pk__in=[p[0] for p in plan.leavers]))
        for person in leavers:
            person.left_on = today
            person.updated_at = now
        bulk_change_with_history(StaffMember, leavers, ["left_on", "updated_at"], **history)
    if plan.updates:
        _apply_updates(plan.updates, team_ids=team_ids, now=now, today=today, history=history)
    if plan.new:
        people = [_new_person(agency, values, team_ids) for _number, values in plan.new]
        bulk_insert_with_history(StaffMember, people, **history)


def _ensure_teams(agency, new_names):
    if new_names:
        Team.objects.bulk_create(
            [Team(agency=agency, name=name) for name in new_names], ignore_conflicts=True
        )
    return {name.casefold(): pk for pk, name in Team.objects.filter(agency=agency).values_list("id", "name")}


def _apply_updates(updates, *, team_ids, now, today, history):
    people = StaffMember.objects.select_for_update().in_bulk([person[0] for _n, person, _c in updates])
    changed_fields = {"updated_at"}
    email_movers = [person[0] for _n, person, changes in updates if "email" in changes]
    if email_movers:
        # Two people may swap addresses in one file; the unique index on current staff's emails is
        # checked row by row, so clear the moving addresses first (inside this transaction).
        StaffMember.objects.filter(pk__in=email_movers).update(email="")
    for _number, existing, changes in updates:
        person = people[existing[0]]
        for name, (_before, after) in changes.items():
            if name == "team":
                person.team_id = team_ids.get(after.casefold()) if after else None
                changed_fields.add("team")
            elif name == "job_role":
                person.job_role_id = after
                person.role_since = today
                changed_fields.update({"job_role", "role_since"})
            else:
                setattr(person, name, after)
                changed_fields.add(name)
        person.updated_at = now
    bulk_change_with_history(StaffMember, list(people.values()), sorted(changed_fields), **history)


def _new_person(agency, values, team_ids):
    """A new staff member as a row for bulk_insert_with_history."""
    team = values.get("team")
    start = values.get("start_date")
    return {
        "agency_id": agency.pk,
        "staff_number": values["staff_number"],
        "first_name": values["first_name"],
        "last_name": values["last_name"],
        "email": values["email"],
        "job_role_id": values["job_role"].pk,
        "job_title": values.get("job_title", ""),
        "team_id": team_ids.get(team.casefold()) if team else None,
        "line_manager_email": values.get("line_manager_email", ""),
        "start_date": start,
        "role_since": start,
        "left_on": values.get("left_on"),
    }


# ---------------------------------------------------------------------------------------------
# Template and export: the same columns
# ---------------------------------------------------------------------------------------------


def staff_import_template(*, file_format):
    """(file name, bytes): the headers, one example row, and in XLSX the columns and job roles."""
    headers = [column.header for column in STAFF_COLUMNS]
    example = [column.example for column in STAFF_COLUMNS]
    if file_format == "csv":
        return "staff-list-template.csv", write_csv(headers, [example])
    roles = [
        (role.name, role.get_tier_display(), ", ".join(role.alias_list())) for role in JobRole.objects.all()
    ]
    columns = [
        (column.header, "yes" if column.required else "no", ", ".join(column.also_accepted), column.help_text)
        for column in STAFF_COLUMNS
    ]
    return "staff-list-template.xlsx", write_xlsx(
        headers,
        [example],
        title="Staff list",
        extra_sheets=(
            ("Columns", ["Column", "Required", "Also accepted", "Notes"], columns),
            ("Job roles", ["Job role", "Tier", "Also accepted"], roles),
        ),
    )


def staff_list_export(*, agency, file_format, today=None):
    """An agency's current and future staff in the template's columns (leavers are left out, so
    the file can be the next upload as it is). Uploading it again changes nothing."""
    today = today or timezone.localdate()
    headers = [column.header for column in STAFF_COLUMNS]
    people = (
        StaffMember.objects.filter(agency=agency)
        .filter(Q(left_on__isnull=True) | Q(left_on__gt=today))
        .order_by("staff_number")
        .values_list(
            "staff_number",
            "first_name",
            "last_name",
            "email",
            "job_role__name",
            "job_title",
            "team__name",
            "line_manager_email",
            "start_date",
            "left_on",
        )
    )
    rows = (list(person) for person in people.iterator(chunk_size=5_000))
    if file_format == "csv":
        return write_csv(headers, rows)
    return write_xlsx(headers, rows, title="Staff list")
