"""Completion files from training providers (PRODUCT.md section 5): check, preview, apply.

Entry points, the same shape as workforce.staff_import (leads only):

- completion_import_create(actor, upload) -> ImportRecord; checks it in the background unless
  run_in_background=False.
- completion_import_validate(import_record) -> CompletionImportPreview, stored on the record.
- completion_import_request_commit(import_record, actor): the web "Confirm" button.
- completion_import_commit(import_record, actor) -> CompletionImportPreview: applies exactly the
  previewed file (same bytes, same planned completions) in one transaction, all rows or none.

A row names the person by email, or by agency and staff number (needed when the email belongs to
current staff in two agencies). A person, module and date already recorded is a duplicate:
skipped and counted, never an error. Completions are recorded as verified, source "import", with
the expiry that training.services.completion_record would give had each been recorded one by one
in date order (renewal without drift included), but computed and written in bulk.
"""

import hashlib
from dataclasses import asdict, dataclass, field

from django.db import transaction
from django.utils import timezone

from workforce.imports import (
    PREVIEW_LIMIT,
    ImportRefused,
    ParsedSheet,
    Progress,
    bulk_insert_with_history,
    gc_paused,
    import_check_completions_access,
    import_claim_commit,
    import_fail,
    import_finish,
    import_not_waiting,
    import_queue_commit,
    import_read_file,
    import_read_sheet,
    import_record_create,
    import_validate_step,
)
from workforce.models import Agency, ImportRecord, StaffMember
from workforce.resources import RowError, uk_date
from workforce.spreadsheets import write_csv, write_xlsx

from .compliance import expiry_date
from .models import Completion, CompletionSource, Module, Verification
from .resources import COMPLETION_COLUMNS, CompletionResource

Status = ImportRecord.Status
ID_CHUNK = 5_000


@dataclass
class CompletionImportPreview:
    """What a completion file would record (or recorded). Stored on the record as JSON."""

    import_id: int | None
    file_name: str
    file_format: str = ""
    sha256: str = ""
    rows: int = 0
    new: int = 0
    duplicates: int = 0
    columns: dict = field(default_factory=dict)
    ignored_columns: list = field(default_factory=list)
    new_rows: list = field(default_factory=list)
    duplicate_rows: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    fingerprint: str = ""
    committed: bool = False

    @property
    def ok(self):
        return not self.errors

    def as_json(self):
        data = asdict(self)
        data.pop("errors")
        return data

    @classmethod
    def from_record(cls, record):
        known = set(cls.__dataclass_fields__)
        data = {
            key: value for key, value in (record.preview or {}).items() if key in known and key != "errors"
        }
        data.setdefault("import_id", record.pk)
        data.setdefault("file_name", record.original_name)
        preview = cls(**data)
        preview.errors = list(record.errors or [])
        return preview

    def summary(self):
        """The JSON that `manage.py import_completions --json` prints (PRODUCT.md section 8)."""
        return {
            "committed": self.committed,
            "rows": self.rows,
            "new": self.new,
            "duplicates": self.duplicates,
            "errors": self.errors,
        }

    def counts(self):
        return {
            "rows": self.rows,
            "new": self.new,
            "duplicates": self.duplicates,
            "updated": 0,
            "unchanged": 0,
        }

    def validated_message(self):
        if self.errors:
            count = len(self.errors)
            return f"Refused: {count:,} problem{'s' if count != 1 else ''} to fix. Nothing was changed."
        return (
            f"Checked {self.rows:,} rows: {self.new:,} new completions, {self.duplicates:,} already "
            "recorded. Waiting for confirmation."
        )

    def committed_message(self):
        return (
            f"Recorded {self.new:,} completions from {self.rows:,} rows; {self.duplicates:,} were "
            "already recorded."
        )


# ---------------------------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------------------------


def completion_import_create(*, actor, upload, file_name=None, run_in_background=True):
    import_check_completions_access(actor=actor)
    record = import_record_create(
        kind=ImportRecord.Kind.COMPLETIONS, agency=None, actor=actor, upload=upload, file_name=file_name
    )
    if run_in_background and record.status == Status.UPLOADED:
        from .tasks import completion_import_validate_task

        transaction.on_commit(lambda: completion_import_validate_task.delay(record.pk))
    return record


def completion_import_validate(*, import_record, today=None):
    """Check the file and store the preview. Safe to call twice: only one caller does the work."""
    today = today or timezone.localdate()
    preview = import_validate_step(
        import_record,
        build=lambda data, progress: _preview(import_record, data, today=today, progress=progress),
        empty=lambda: _empty_preview(import_record),
    )
    return preview if preview is not None else CompletionImportPreview.from_record(import_record)


def completion_import_request_commit(*, import_record, actor):
    import_record.refresh_from_db()
    import_check_completions_access(actor=actor)
    _check_confirmable(import_record, CompletionImportPreview.from_record(import_record))
    from .tasks import completion_import_commit_task

    import_queue_commit(import_record, actor=actor, task=completion_import_commit_task)
    return import_record


def completion_import_commit(*, import_record, actor, today=None):
    """Record exactly the previewed completions in one transaction; refused if anything changed."""
    import_record.refresh_from_db()
    import_check_completions_access(actor=actor)
    today = today or timezone.localdate()
    if import_record.status == Status.COMMITTED:
        return CompletionImportPreview.from_record(import_record)
    previewed = CompletionImportPreview.from_record(import_record)
    _check_confirmable(import_record, previewed, allow_queued=True)
    if not import_claim_commit(import_record, actor=actor):
        if import_record.status == Status.COMMITTED:
            return CompletionImportPreview.from_record(import_record)
        raise import_not_waiting(import_record)
    try:
        with gc_paused():
            return _commit(import_record, previewed, actor=actor, today=today)
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
    except ImportRefused as exc:
        import_finish(import_record, Status.FAILED, message=exc.message, errors=exc.errors)
        raise
    except Exception:
        import_fail(import_record, message="An unexpected error stopped the import. Nothing was changed.")
        raise


def _check_confirmable(record, preview, allow_queued=False):
    allowed = {Status.VALIDATED, Status.COMMITTING} if allow_queued else {Status.VALIDATED}
    if record.status not in allowed:
        raise import_not_waiting(record)
    if preview.errors:
        raise ImportRefused("The file has errors, so it cannot be applied.", errors=preview.errors)


class _PlanChanged(Exception):
    def __init__(self, preview):
        super().__init__()
        self.preview = preview
        self.message = (
            "The training records changed after the preview, so nothing was recorded. Check the new "
            "preview and confirm again."
        )


def _commit(record, previewed, *, actor, today):
    data = import_read_file(record)
    if record.sha256 != previewed.sha256:
        raise ImportRefused("The stored file is not the one that was previewed, so nothing was recorded.")
    parsed = _read(record, data, today=today, progress=Progress(record))
    with transaction.atomic():
        locked = ImportRecord.objects.select_for_update().get(pk=record.pk)
        if locked.status == Status.COMMITTED:
            return CompletionImportPreview.from_record(locked)
        plan = _plan(parsed, today=today)
        preview = _preview_from(record, parsed, plan)
        if preview.fingerprint != previewed.fingerprint or not preview.ok:
            raise _PlanChanged(preview)
        _apply(plan, actor=actor, reason=f"Completion file import #{record.pk}")
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
# Reading
# ---------------------------------------------------------------------------------------------


def _read(record, data, *, today, progress):
    parsed = ParsedSheet()
    import_read_sheet(
        parsed,
        data,
        record.original_name,
        columns=COMPLETION_COLUMNS,
        resource=CompletionResource(today=today),
        progress=progress,
        header_errors=_who_columns_missing,
    )
    return parsed


def _who_columns_missing(match, headers):
    if match.present("email") or (match.present("agency") and match.present("staff_number")):
        return []
    found = ", ".join(f'"{header}"' for header in headers if header) or "none"
    return [
        RowError(
            None,
            "Email",
            None,
            'The file needs an "Email" column (also accepted: learner email, user email), or '
            '"Agency" and "Staff number" columns, to know who completed. '
            f"The columns found were: {found}.",
        )
    ]


# ---------------------------------------------------------------------------------------------
# Planning
# ---------------------------------------------------------------------------------------------

# Indexes into the staff tuples loaded below.
PK, AGENCY, NUMBER, EMAIL, FIRST, LAST, START, LEFT = range(8)


@dataclass
class _Plan:
    new: list = field(default_factory=list)  # dicts: row, person, module, completed_on, ref, expires_on
    duplicates: list = field(default_factory=list)  # (row, person, module, completed_on)
    errors: list = field(default_factory=list)
    agencies: dict = field(default_factory=dict)  # id -> (slug, name)


class _People:
    """Every member of staff, loaded once, looked up by email and by agency and staff number."""

    def __init__(self, today):
        self.today = today
        self.agencies = {
            pk: (slug, name) for pk, slug, name in Agency.objects.values_list("id", "slug", "name")
        }
        self.agency_ids = {}
        for pk, (slug, name) in self.agencies.items():
            self.agency_ids[slug.casefold()] = pk
            self.agency_ids[" ".join(name.split()).casefold()] = pk
        self.by_email, self.by_number = {}, {}
        fields = (
            "id",
            "agency_id",
            "staff_number",
            "email",
            "first_name",
            "last_name",
            "start_date",
            "left_on",
        )
        for person in StaffMember.objects.values_list(*fields).iterator(chunk_size=10_000):
            if person[EMAIL]:
                self.by_email.setdefault(person[EMAIL], []).append(person)
            self.by_number[(person[AGENCY], person[NUMBER].upper())] = person

    def is_current(self, person):
        start, left = person[START], person[LEFT]
        return (start is None or start <= self.today) and (left is None or left > self.today)

    def identify(self, number, values, match):
        """(person, None) or (None, RowError)."""
        agency_text, staff_number = values.get("agency", ""), values.get("staff_number", "")
        if agency_text and staff_number:
            agency_id = self.agency_ids.get(" ".join(agency_text.split()).casefold())
            if agency_id is None:
                return None, RowError(
                    number, match.written["agency"], agency_text, "No agency has this name."
                )
            person = self.by_number.get((agency_id, staff_number.upper()))
            if person is None:
                name = self.agencies[agency_id][1]
                message = f"No one at {name} has this staff number."
                return None, RowError(number, match.written["staff_number"], staff_number, message)
            return person, None
        email = values.get("email", "")
        if not email:
            message = "Give the person's email, or both their agency and their staff number."
            column = (
                match.written.get("email") or match.written.get("agency") or match.written.get("staff_number")
            )
            return None, RowError(number, column, None, message)
        people = self.by_email.get(email, [])
        current = [person for person in people if self.is_current(person)]
        pool = current or people
        if not pool:
            return None, RowError(number, match.written["email"], email, "No member of staff has this email.")
        if len(pool) > 1:
            names = sorted({self.agencies[person[AGENCY]][1] for person in pool})
            who = "current staff" if current else "former staff"
            message = (
                f"This email belongs to {who} in {len(names)} agencies ({', '.join(names)}). Give the "
                "agency and staff number instead, so we record the right person."
            )
            return None, RowError(number, match.written["email"], email, message)
        return pool[0], None


def _plan(parsed, *, today):
    plan = _Plan(errors=list(parsed.errors))
    if not parsed.rows:
        return plan
    people = _People(today)
    plan.agencies = people.agencies
    candidates = []
    for number, values in parsed.rows:
        person, error = people.identify(number, values, parsed.match)
        if error is not None:
            plan.errors.append(error)
            continue
        completed_on = values["completed_on"]
        if person[LEFT] is not None and completed_on > person[LEFT]:
            message = f"{person[FIRST]} {person[LAST]} left on {uk_date(person[LEFT])}, before this date."
            raw = values["completed_on"]
            plan.errors.append(
                RowError(number, parsed.match.written["completed_on"], raw.isoformat(), message)
            )
            continue
        candidates.append(
            (number, person, values["module"], completed_on, values.get("certificate_reference", ""))
        )
    if plan.errors:
        plan.errors.sort(key=lambda error: (error.row is not None, error.row or 0))
        return plan
    recorded = _recorded(candidates)
    seen = set()
    for number, person, module, completed_on, reference in candidates:
        key = (person[PK], module.pk, completed_on)
        if key in seen or key in recorded["keys"]:
            plan.duplicates.append((number, person, module, completed_on))
            continue
        seen.add(key)
        plan.new.append(
            {
                "row": number,
                "person": person,
                "module": module,
                "completed_on": completed_on,
                "reference": reference,
            }
        )
    _set_expiries(plan.new, recorded["counted"])
    return plan


def _recorded(candidates):
    """Completions already recorded for the people and modules in the file: the (person, module,
    date) keys that make a row a duplicate, and the counted ones that drive renewal."""
    staff_ids = sorted({person[PK] for _n, person, _m, _d, _r in candidates})
    module_ids = {module.pk for _n, _p, module, _d, _r in candidates}
    keys, counted = set(), {}
    for start in range(0, len(staff_ids), ID_CHUNK):
        rows = (
            Completion.objects.filter(
                staff_id__in=staff_ids[start : start + ID_CHUNK], module_id__in=module_ids
            )
            .exclude(verification=Verification.REJECTED)
            .values_list("staff_id", "module_id", "completed_on", "expires_on", "verification")
        )
        for staff_id, module_id, completed_on, expires_on, verification in rows:
            keys.add((staff_id, module_id, completed_on))
            if verification == Verification.VERIFIED:
                counted.setdefault((staff_id, module_id), []).append((completed_on, expires_on))
    return {"keys": keys, "counted": counted}


def _set_expiries(new, counted):
    """Expiry exactly as completion_record computes it, taking the file's rows in date order so
    that a renewal in the same file extends from the expiry it renews."""
    for item in sorted(new, key=lambda item: (item["person"][PK], item["module"].pk, item["completed_on"])):
        module = item["module"]
        history = counted.setdefault((item["person"][PK], module.pk), [])
        item["expires_on"] = expiry_date(
            completed_on=item["completed_on"],
            validity_months=module.validity_months,
            renewal_window_days=module.renewal_window_days,
            previous_expiry=_previous_best_expiry(history, before=item["completed_on"]),
        )
        history.append((item["completed_on"], item["expires_on"]))


def _previous_best_expiry(history, *, before):
    """As training.services.previous_best_expiry, over values already loaded."""
    expiries = [expires_on for completed_on, expires_on in history if completed_on <= before]
    if not expiries or None in expiries:
        return None
    return max(expiries)


# ---------------------------------------------------------------------------------------------
# Preview and writing
# ---------------------------------------------------------------------------------------------


def _empty_preview(record):
    return CompletionImportPreview(import_id=record.pk, file_name=record.original_name, sha256=record.sha256)


def _preview(record, data, *, today, progress):
    parsed = _read(record, data, today=today, progress=progress)
    plan = _plan(parsed, today=today)
    progress.finish(parsed.row_count)
    return _preview_from(record, parsed, plan)


def _preview_from(record, parsed, plan):
    preview = _empty_preview(record)
    preview.file_format = parsed.file_format
    preview.rows = parsed.row_count
    preview.new = len(plan.new)
    preview.duplicates = len(plan.duplicates)
    if parsed.match is not None:
        preview.columns = dict(parsed.match.written)
        preview.ignored_columns = list(parsed.match.ignored)
    preview.new_rows = [_row(plan, item) for item in plan.new[:PREVIEW_LIMIT]]
    preview.duplicate_rows = [
        _row(plan, {"row": number, "person": person, "module": module, "completed_on": completed_on})
        for number, person, module, completed_on in plan.duplicates[:PREVIEW_LIMIT]
    ]
    preview.errors = [error.as_dict() for error in plan.errors]
    preview.fingerprint = _fingerprint(plan)
    return preview


def _row(plan, item):
    person = item["person"]
    expires_on = item.get("expires_on")
    return {
        "row": item["row"],
        "name": f"{person[FIRST]} {person[LAST]}",
        "agency": plan.agencies.get(person[AGENCY], ("", ""))[0],
        "staff_number": person[NUMBER],
        "module": item["module"].code,
        "completed_on": item["completed_on"].isoformat(),
        "expires_on": expires_on.isoformat() if expires_on else None,
        "certificate_reference": item.get("reference", ""),
    }


def _fingerprint(plan):
    digest = hashlib.sha256()
    for item in plan.new:
        digest.update(
            repr(
                (
                    item["person"][PK],
                    item["module"].pk,
                    item["completed_on"],
                    item["reference"],
                    item["expires_on"],
                )
            ).encode()
        )
    digest.update(repr(("duplicates", len(plan.duplicates))).encode())
    return digest.hexdigest()


def _apply(plan, *, actor, reason):
    if not plan.new:
        return
    now = timezone.now()
    user = actor if actor is not None and actor.is_authenticated else None
    user_id = user.pk if user is not None else None
    completions = [
        {
            "staff_id": item["person"][PK],
            "module_id": item["module"].pk,
            "completed_on": item["completed_on"],
            "expires_on": item["expires_on"],
            "source": CompletionSource.IMPORT.value,
            "verification": Verification.VERIFIED.value,
            "certificate": "",
            "certificate_reference": item["reference"],
            "notes": "",
            "rejection_reason": "",
            "recorded_by_id": user_id,
            "verified_by_id": user_id,
            "verified_at": now,
        }
        for item in plan.new
    ]
    bulk_insert_with_history(Completion, completions, user=user, reason=reason, when=now)


def completion_import_template(*, file_format):
    """(file name, bytes): the headers, one example row, and in XLSX the modules."""
    headers = [column.header for column in COMPLETION_COLUMNS]
    example = [column.example for column in COMPLETION_COLUMNS]
    if file_format == "csv":
        return "completions-template.csv", write_csv(headers, [example])
    modules = [(module.code, module.title) for module in Module.objects.order_by("code")]
    return "completions-template.xlsx", write_xlsx(
        headers, [example], title="Completions", extra_sheets=(("Modules", ["Code", "Title"], modules),)
    )
