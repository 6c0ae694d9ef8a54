"""Completion files from training providers (PRODUCT.md section 5): one kind of import
(imports.kinds), for partnership leads only.

A row names the person by email, or by agency and staff number (needed when the email belongs to
current staff in two agencies). A person, module and date already recorded is a duplicate:
skipped and counted, never an error. Completions are recorded as verified, source "import", with
the expiry that training.services.completion_record would give had each been recorded one by one
in date order (renewal without drift included), but computed and written in bulk.
"""

import hashlib
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.db.models.functions import Upper
from django.urls import reverse
from django.utils import timezone
from import_export import fields, resources

from training.compliance import best_expiry_before, expiry_date
from training.models import Completion, CompletionSource, Module, Verification
from training.state import pairs_changed
from workforce import access, rules
from workforce.models import Agency, StaffMember

from ..bulk import bulk_insert_with_history
from ..columns import (
    STAFF_NUMBER_ALIASES,
    Column,
    ColumnsResource,
    EmailWidget,
    LookupWidget,
    RowError,
    StaffNumberWidget,
    TextWidget,
    UKDateWidget,
    agency_keys,
    lookup_key,
    uk_date,
)
from ..services import PREVIEW_LIMIT, ParsedSheet, import_read_sheet
from . import Headings, ImportKind, Preview, Section

ID_CHUNK = 5_000

# ---------------------------------------------------------------------------------------------
# The columns
# ---------------------------------------------------------------------------------------------


COMPLETION_COLUMNS = (
    Column(
        "email",
        "Email",
        aliases=("email", "learner email", "user email", "email address", "work email"),
        help_text="The learner's work email. Or give Agency and Staff number instead.",
        example="asha.patel@example.org",
        required_text="Email, or Agency and Staff number",
    ),
    Column(
        "agency",
        "Agency",
        aliases=("agency", "organisation", "agency slug"),
        help_text="The agency's name or short name; needed with Staff number when there is no email.",
        example="",
        required_text="Without an email",
    ),
    Column(
        "staff_number",
        "Staff number",
        aliases=STAFF_NUMBER_ALIASES,
        example="",
        required_text="Without an email",
    ),
    Column(
        "module",
        "Module",
        required=True,
        aliases=("module", "course", "course code", "module code"),
        help_text="The module's code (HSB-101) or its exact title.",
        example="HSB-101",
    ),
    Column(
        "completed_on",
        "Completed on",
        required=True,
        aliases=("completion date", "date completed", "completed", "completed on"),
        help_text="The date the learner completed the module. Not in the future.",
        example="2026-03-04",
    ),
    Column(
        "certificate_reference",
        "Certificate reference",
        aliases=("certificate reference", "certificate number", "certificate"),
        example="CERT-0042",
    ),
)


class ModuleWidget(LookupWidget):
    """A module by its code or its exact title, ignoring case and repeated spaces."""

    def __init__(self, modules):
        super().__init__(modules, names=(lambda module: (module.title,), lambda module: (module.code,)))

    def unknown(self, text):
        return "No module has this code or title. Use the module code, for example HSB-101."

    def render(self, value, obj=None, **kwargs):
        return value.code if value else ""


class CompletionDateWidget(UKDateWidget):
    def latest_date(self, today):
        return today

    def too_late(self, day):
        return f"{day.day} {day:%B %Y} is in the future. A completion date cannot be in the future."


class CompletionResource(ColumnsResource, resources.Resource):
    """A provider's completion file: who (email, or agency and staff number), which module, when."""

    email = fields.Field(column_name="email", widget=EmailWidget())
    agency = fields.Field(column_name="agency", widget=TextWidget(max_length=200))
    staff_number = fields.Field(column_name="staff_number", widget=StaffNumberWidget())
    module = fields.Field("module", "module", widget=ModuleWidget(()))
    completed_on = fields.Field("completed_on", "completed_on", widget=CompletionDateWidget(today=None))
    certificate_reference = fields.Field(
        "certificate_reference", "certificate_reference", widget=TextWidget(max_length=200)
    )

    columns = COMPLETION_COLUMNS

    def __init__(self, *, today, modules=None, **kwargs):
        super().__init__(**kwargs)
        self.today = today
        modules = list(modules if modules is not None else Module.objects.all())
        self.fields["module"].widget = ModuleWidget(modules)
        self.fields["completed_on"].widget = CompletionDateWidget(today=today)


# ---------------------------------------------------------------------------------------------
# The kind
# ---------------------------------------------------------------------------------------------


@dataclass
class CompletionImportPreview(Preview):
    """What a completion file would record (or recorded)."""

    new: int = 0
    duplicates: int = 0
    new_rows: list = field(default_factory=list)
    duplicate_rows: list = field(default_factory=list)

    SUMMARY = ("rows", "new", "duplicates")

    def checked_message(self):
        return (
            f"Checked {self.rows:,} rows: {self.new:,} new completions, {self.duplicates:,} already "
            "recorded. Waiting for confirmation."
        )

    def committed_message(self):
        return (
            f"Recorded {self.new:,} completions from {self.rows:,} rows; {self.duplicates:,} were "
            "already recorded."
        )


class CompletionFileKind(ImportKind):
    value = "completions"
    label = "Completion file"
    slug = "completions"
    noun = "completion file"
    columns = COMPLETION_COLUMNS
    preview_class = CompletionImportPreview
    sections = (
        Section("new", "New completions", "imports/completions/new_table.html"),
        Section(
            "duplicates",
            "Already recorded",
            "imports/completions/duplicates_table.html",
            rows_field="duplicate_rows",
        ),
    )
    count_labels = (("new", "New completions"), ("duplicates", "Already recorded"))
    headings = Headings(
        validated="Check the completions, then confirm",
        committing="Recording the completions",
        committed="Completions recorded",
    )
    template_stem = "completions-template"
    template_title = "Completions"
    leads_only = True
    done_word = "recorded"

    def check_access(self, *, actor, agency, options=None):
        if actor is not None and not access.is_lead(actor):
            raise PermissionDenied("Only partnership leads can import completion files.")

    def read(self, record, data, *, today, progress):
        return _read(record, data, today=today, progress=progress)

    def plan(self, record, parsed, *, today):
        return _plan(parsed, today=today)

    def preview(self, record, parsed, plan):
        return _preview_from(record, parsed, plan)

    def apply(self, record, plan, *, actor, today):
        _apply(plan, actor=actor, reason=self.history_reason(record))

    def plan_changed_message(self):
        return (
            "The training records changed after the preview, so nothing was recorded. Check the new "
            "preview and confirm again."
        )

    plural_label = "Completion files"
    preview_intro = "Nothing has been recorded yet. Check the completions below, then confirm."
    apply_note = "The completions are recorded all together or not at all."
    help_summary = "the columns, dates, and how people and modules are matched"
    confirm_button = "Confirm and record the completions"
    none_yet = "No completion files have been uploaded yet."

    def next_links(self, record):
        return [
            ("View compliance across the partnership", reverse("compliance:dashboard")),
            ("See every completion file", self.history_url(record)),
        ]

    def changes_text(self, record):
        return f"{record.new_count:,} new, {record.duplicates_count:,} already recorded"

    def upload_form(self, data=None, files=None, *, user, initial=None):
        from ..forms import CompletionUploadForm

        return CompletionUploadForm(data, files)

    def template_sheets(self):
        modules = [(module.code, module.title) for module in Module.objects.order_by("code")]
        return (("Modules", ["Code", "Title"], modules),)

    def help_context(self):
        return {"modules": Module.objects.filter(active=True).order_by("code").only("code", "title")}

    def present(self, rows):
        """Rows name the person's agency by its slug; the tables show its name."""
        names = dict(Agency.objects.values_list("slug", "name"))
        return [
            {**row, "agency": names.get(row["agency"], row["agency"])} if "agency" in row else row
            for row in rows
        ]


COMPLETION_FILE = CompletionFileKind()


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


# Up to this many rows, only the staff the rows could name are loaded (an API POST is one row);
# a larger file loads every member of staff once, which is cheaper than a long IN list.
NARROW_LOAD_ROWS = 1_000


class _People:
    """Every member of staff (or, for a few rows, every one those rows could name), loaded once,
    looked up by email and by agency and staff number."""

    def __init__(self, today, rows=None):
        self.today = today
        self.agencies = {
            pk: (slug, name) for pk, slug, name in Agency.objects.values_list("id", "slug", "name")
        }
        self.agency_ids = agency_keys((pk, slug, name) for pk, (slug, name) in self.agencies.items())
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
        for person in _candidates(rows).values_list(*fields).iterator(chunk_size=10_000):
            if person[EMAIL]:
                self.by_email.setdefault(person[EMAIL], []).append(person)
            self.by_number[(person[AGENCY], person[NUMBER].upper())] = person

    def is_current(self, person):
        return rules.is_current(start_date=person[START], left_on=person[LEFT], on=self.today)

    def identify(self, number, values, match):
        """(person, None) or (None, RowError)."""
        agency_text, staff_number = values.get("agency", ""), values.get("staff_number", "")
        if agency_text and staff_number:
            agency_id = self.agency_ids.get(lookup_key(agency_text))
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


def _candidates(rows):
    """The staff a few rows could name: the same people the lookups below would find among all
    staff, since they match emails exactly and staff numbers ignoring case."""
    if rows is None or len(rows) > NARROW_LOAD_ROWS:
        return StaffMember.objects.all()
    emails = {values["email"] for _n, values in rows if values.get("email")}
    numbers = {values["staff_number"].upper() for _n, values in rows if values.get("staff_number")}
    return StaffMember.objects.annotate(number_upper=Upper("staff_number")).filter(
        Q(email__in=emails) | Q(number_upper__in=numbers)
    )


def _plan(parsed, *, today):
    plan = _Plan(errors=list(parsed.errors))
    if not parsed.rows:
        return plan
    people = _People(today, parsed.rows)
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
            previous_expiry=best_expiry_before(history, before=item["completed_on"]),
        )
        history.append((item["completed_on"], item["expires_on"]))


# ---------------------------------------------------------------------------------------------
# Preview and writing
# ---------------------------------------------------------------------------------------------


def _preview_from(record, parsed, plan):
    preview = CompletionImportPreview.start(record, parsed)
    preview.new = len(plan.new)
    preview.duplicates = len(plan.duplicates)
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
    user_id = actor.pk if actor is not None else None
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
    bulk_insert_with_history(Completion, completions, user=actor, reason=reason, when=now)
    # The maintained compliance state follows, in this transaction (a fixed number of statements).
    pairs_changed(staff={completion["staff_id"] for completion in completions})


# ---------------------------------------------------------------------------------------------
# One completion from elsewhere (the JSON API): the same reading, rules and messages as a file
# ---------------------------------------------------------------------------------------------

API_FIELDS = ("email", "agency", "staff_number", "module", "completed_on", "certificate_reference")


@dataclass
class _Named:
    original_name: str


class _NoProgress:
    """Counts rows without a record to report to (one request, no progress bar)."""

    done = 0

    def start(self, total):
        pass

    def tick(self, done):
        pass


def completion_rows_plan(rows, *, today):
    """Plan completions given as dicts of API_FIELDS through exactly the path of a completion
    file (a CSV of those columns is written and read), so a POSTed completion meets the same
    rules and the same messages as a row of a file. Returns (plan, errors as dicts)."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(API_FIELDS)
    for row in rows:
        writer.writerow([str(row.get(name) or "") for name in API_FIELDS])
    parsed = _read(_Named("api.csv"), buffer.getvalue().encode(), today=today, progress=_NoProgress())
    plan = _plan(parsed, today=today)
    return plan, [error.as_dict() for error in plan.errors]


def completion_rows_record(plan, *, actor, reason):
    """Write what completion_rows_plan planned (nothing when it found errors)."""
    if not plan.errors:
        _apply(plan, actor=actor, reason=reason)
