"""Staff lists from partner HR (PRODUCT.md section 5): one kind of import (imports.kinds).

The engine (imports.services) drives this kind: it reads the file with these columns, plans the
changes against the agency's staff, previews them, and applies exactly the previewed plan in one
transaction. The upload template and an agency's staff-list export (`staff_list_export`) use the
same columns, so exporting and uploading again changes nothing.

Matching is by staff number within the agency (ignoring case). A value that differs only in case or
surrounding spaces is unchanged. Staff are never deleted: with "complete staff list", current staff
missing from the file get a leaving date of the import day, and more than 10% of the agency's
current staff leaving needs a second confirmation. New starters not yet started (a start date
after today) are not current staff, so a complete list without them leaves them as they are.

Rows are written in bulk with their history rows (imports.bulk: COPY on PostgreSQL,
simple_history's bulk helpers elsewhere), each history row carrying the actor and the reason
"Staff list import #<id>"; django-import-export's row-by-row path cannot check and apply a
50,000-row file in the time a person will wait. The check keeps its clean rows beside the upload
(tied to the file's hash), so the commit does not read a large workbook a second time.
"""

import datetime
import difflib
import hashlib
from collections import Counter
from dataclasses import dataclass, field

from django.urls import reverse
from django.utils import timezone
from import_export import fields, resources

from workforce import access, rules
from workforce.models import Agency, JobRole, StaffMember, Team
from workforce.services import staff_changed
from workforce.spreadsheets import inert, write_csv, write_xlsx

from ..bulk import bulk_change_with_history, bulk_insert_with_history
from ..columns import (
    STAFF_NUMBER_ALIASES,
    Column,
    ColumnsResource,
    EmailWidget,
    HeaderMatch,
    LookupWidget,
    RowError,
    StaffNumberWidget,
    TextWidget,
    UKDateWidget,
    cell_display,
    lookup_key,
    missing_value_message,
    uk_date,
)
from ..models import JobTitleMapping
from ..services import (
    PREVIEW_LIMIT,
    ParsedSheet,
    import_load_checked,
    import_read_sheet,
    import_save_checked,
)
from . import Headings, ImportKind, Preview, Section

# ---------------------------------------------------------------------------------------------
# The columns, and how a job role and a team are read
# ---------------------------------------------------------------------------------------------

STAFF_COLUMNS = (
    Column(
        "staff_number",
        "Staff number",
        required=True,
        aliases=STAFF_NUMBER_ALIASES,
        help_text="Your agency's own number for the person. Matches the person on every upload.",
        example="E001234",
    ),
    Column(
        "first_name",
        "First name",
        required=True,
        aliases=("forename", "first name", "given name"),
        example="Asha",
    ),
    Column(
        "last_name",
        "Last name",
        required=True,
        aliases=("surname", "last name", "family name"),
        example="Patel",
    ),
    Column(
        "email",
        "Email",
        required=True,
        aliases=("email", "email address", "work email"),
        help_text=(
            "Work email address. Reminders go here. Leave it empty only for someone the tracker "
            "already has no email for."
        ),
        empty_judged_by_import=True,
        example="asha.patel@example.org",
    ),
    Column(
        "job_role",
        "Job role",
        required=True,
        aliases=("role", "job role"),
        help_text="The name of a job role in the catalogue, or one of its other names.",
        example="Children's social worker",
    ),
    Column(
        "job_title",
        "Job title",
        aliases=("job title", "position", "post"),
        help_text="The person's title in your agency, if different from the job role.",
        example="Senior social worker",
    ),
    Column(
        "team",
        "Team",
        aliases=("team", "department", "service"),
        help_text="A new team name creates the team.",
        example="Assessment team north",
    ),
    Column(
        "line_manager_email",
        "Line manager email",
        aliases=("manager email", "line manager email", "line manager"),
        help_text="Receives escalations and the weekly team digest.",
        example="sam.jones@example.org",
    ),
    Column(
        "start_date",
        "Start date",
        aliases=("start date", "date started", "employment start date"),
        help_text="The date the person joined. Future dates are fine for new starters.",
        example=datetime.date(2024, 9, 2),
    ),
    Column(
        "left_on",
        "Leaving date",
        aliases=("leaving date", "end date", "left on", "date left"),
        help_text="The date the person left or will leave. Leave empty for current staff.",
        example=None,
    ),
)


class JobRoleWidget(LookupWidget):
    """A job role by its name or one of its aliases, ignoring case and repeated spaces."""

    def __init__(self, job_roles, *, mappings=()):
        super().__init__(job_roles, names=(lambda role: (*role.alias_list(), role.name),))
        self.names = sorted(role.name for role in job_roles)
        # The agency's own job titles, mapped once by its HR: (title key, job role).
        by_pk = {role.pk: role for role in job_roles}
        for title_key, role_id in mappings:
            if role_id in by_pk:
                self.lookup.setdefault(title_key, by_pk[role_id])

    def suggestions(self, text, count=3):
        """The catalogue job roles closest to `text` (difflib), best first."""
        by_key = {lookup_key(name): name for name in self.names}
        close = difflib.get_close_matches(lookup_key(text), list(by_key), n=count, cutoff=0.5)
        return [by_key[key] for key in close]

    def unknown(self, text):
        close = self.suggestions(text)
        if close:
            named = " or ".join(f'"{name}"' for name in close)
            return (
                f"This is not a job role in the catalogue. Did you mean {named}? Or map this job title "
                "to a job role in the preview."
            )
        known = "; ".join(self.names) if self.names else "none yet: ask the partnership lead"
        return f"This is not a job role in the catalogue. The job roles are: {known}."

    def render(self, value, obj=None, **kwargs):
        return inert(value.name) if value else ""


class TeamWidget(TextWidget):
    """A team by name within the agency; the import creates teams it does not know yet."""

    def __init__(self):
        super().__init__(max_length=200)

    def render(self, value, obj=None, **kwargs):
        return inert(value.name) if value else ""


class StaffResource(ColumnsResource, resources.ModelResource):
    """One agency's staff list. Matching is by staff number within `agency`."""

    staff_number = fields.Field("staff_number", "staff_number", widget=StaffNumberWidget())
    first_name = fields.Field("first_name", "first_name", widget=TextWidget(max_length=100))
    last_name = fields.Field("last_name", "last_name", widget=TextWidget(max_length=100))
    email = fields.Field("email", "email", widget=EmailWidget())
    job_role = fields.Field("job_role", "job_role", widget=JobRoleWidget(()))
    job_title = fields.Field("job_title", "job_title", widget=TextWidget(max_length=200))
    team = fields.Field("team", "team", widget=TeamWidget())
    line_manager_email = fields.Field(
        "line_manager_email", "line_manager_email", widget=EmailWidget(repeats=True)
    )
    start_date = fields.Field("start_date", "start_date", widget=UKDateWidget(today=None))
    left_on = fields.Field("left_on", "left_on", widget=UKDateWidget(today=None))

    columns = STAFF_COLUMNS

    class Meta:
        model = StaffMember
        fields = tuple(column.field for column in STAFF_COLUMNS)
        import_id_fields = ("staff_number",)
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True

    def __init__(self, *, agency=None, today=None, job_roles=None, **kwargs):
        super().__init__(**kwargs)
        self.agency = agency
        self.today = today or timezone.localdate()
        roles = list(job_roles if job_roles is not None else JobRole.objects.all())
        mappings = ()
        if agency is not None:
            mappings = JobTitleMapping.objects.filter(agency=agency).values_list("title_key", "job_role_id")
        self.fields["job_role"].widget = JobRoleWidget(roles, mappings=list(mappings))
        for name in ("start_date", "left_on"):
            self.fields[name].widget = UKDateWidget(today=self.today)

    def check_row(self, number, cells, values, match, errors):
        start, left = values.get("start_date"), values.get("left_on")
        if start and left and left < start:
            message = f"The leaving date is before the start date ({uk_date(start)})."
            raw = cells[match.indexes["left_on"]]
            errors.append(RowError(number, match.written["left_on"], cell_display(raw), message))


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
class StaffImportPreview(Preview):
    """What a staff list would change (or changed, once committed)."""

    agency: str = ""
    complete_list: bool = False
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    leavers: int = 0
    current_staff: int = 0
    needs_mass_leaver_confirmation: bool = False
    new_rows: list = field(default_factory=list)
    updated_rows: list = field(default_factory=list)
    leaver_rows: list = field(default_factory=list)
    new_teams: list = field(default_factory=list)
    zero_matches: list = field(default_factory=list)  # {"row", "in_file", "on_record"}
    unmapped_titles: list = field(default_factory=list)  # {"title", "people", "suggestions"}

    SUMMARY = ("rows", "new", "updated", "unchanged", "leavers", "ignored_columns")

    @classmethod
    def defaults(cls, record):
        return {
            **super().defaults(record),
            "agency": record.agency.slug,
            "complete_list": record.complete_list,
        }

    @property
    def leaver_share(self):
        return self.leavers / self.current_staff if self.current_staff else 0.0

    def checked_message(self):
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


class StaffListKind(ImportKind):
    value = "staff"
    label = "Staff list"
    slug = "staff"
    noun = "staff list"
    columns = STAFF_COLUMNS
    preview_class = StaffImportPreview
    sections = (
        Section("new", "New staff", "imports/staff/new_table.html"),
        Section("updated", "Updated staff", "imports/staff/updated_table.html"),
        Section("leavers", "Leavers", "imports/staff/leavers_table.html", rows_field="leaver_rows"),
    )
    count_labels = (
        ("new", "New staff"),
        ("updated", "Updated"),
        ("unchanged", "Unchanged"),
        ("leavers", "Leavers"),
    )
    headings = Headings(
        validated="Check the changes, then confirm",
        committing="Applying the changes",
        committed="Staff list applied",
    )
    template_stem = "staff-list-template"
    has_agency = True
    confirmation_fields = ("confirm_mass_leavers",)

    def check_access(self, *, actor, agency, options=None):
        """Agency HR may import into their own agencies only, leads into any: another agency is a 404."""
        if actor is not None:
            access.get_visible_agency_or_404(actor, pk=agency.pk)

    def read(self, record, data, *, today, progress):
        return _read(record, data, today=today, progress=progress)

    def load_checked(self, record):
        return _load_checked(record)

    def save_checked(self, record, parsed):
        _save_checked(record, parsed)

    def lock(self, record):
        # One import per agency at a time: the plan must still hold when it is written.
        Agency.objects.select_for_update().filter(pk=record.agency_id).first()

    def plan(self, record, parsed, *, today):
        return _plan(parsed, agency=record.agency, today=today, complete_list=record.complete_list)

    def preview(self, record, parsed, plan):
        return _preview_from(record, parsed, plan)

    def refusal(self, preview, *, confirm_mass_leavers=False):
        if preview.needs_mass_leaver_confirmation and not confirm_mass_leavers:
            return preview.mass_leaver_message()
        return None

    def apply(self, record, plan, *, actor, today):
        _apply(plan, agency=record.agency, actor=actor, today=today, reason=self.history_reason(record))

    def plan_changed_message(self):
        return (
            "The staff records changed after the preview (another upload or an edit), so nothing was "
            "applied. Check the new preview and confirm again."
        )

    plural_label = "Staff list uploads"
    preview_intro = (
        "Nothing has changed yet. Check what this file would do to the staff records of {agency}, "
        "then confirm."
    )
    apply_note = "The changes are applied all together or not at all. It takes a few seconds for most files."
    help_summary = "the columns, dates, and how people are matched"
    confirm_button = "Confirm and apply the changes"
    none_yet = "No staff lists have been uploaded yet."

    def history_url(self, record):
        return reverse("imports:agency_history", kwargs={"slug": record.agency.slug})

    def history_link_text(self, record):
        return "upload history"

    def back_link(self, record):
        return f"Staff list uploads for {record.agency.name}", self.history_url(record)

    def next_links(self, record):
        agency = record.agency
        return [
            (f"View the {agency.name} staff list", reverse("agency_staff", kwargs={"slug": agency.slug})),
            (f"See every staff list upload for {agency.name}", self.history_url(record)),
        ]

    def facts(self, record):
        if record.complete_list:
            return [("Complete staff list", "Yes: staff not in the file become leavers")]
        return [("Complete staff list", "No: no one becomes a leaver")]

    def changes_text(self, record):
        leavers = f"{record.leavers_count:,} leaver{'s' if record.leavers_count != 1 else ''}"
        return f"{record.new_count:,} new, {record.updated_count:,} updated, {leavers}"

    def upload_form(self, data=None, files=None, *, user, initial=None):
        from ..forms import StaffUploadForm

        agencies = access.visible_agencies(user).order_by("name")
        return StaffUploadForm(data, files, agencies=agencies, initial=initial)

    def template_sheets(self):
        roles = [
            (role.name, role.get_tier_display(), ", ".join(role.alias_list()))
            for role in JobRole.objects.all()
        ]
        columns = [
            (
                column.header,
                "yes" if column.required else "no",
                ", ".join(column.also_accepted),
                column.help_text,
            )
            for column in STAFF_COLUMNS
        ]
        return (
            ("Columns", ["Column", "Required", "Also accepted", "Notes"], columns),
            ("Job roles", ["Job role", "Tier", "Also accepted"], roles),
        )

    def help_context(self):
        return {"job_roles": JobRole.objects.order_by("name")}


STAFF_LIST = StaffListKind()

# ---------------------------------------------------------------------------------------------
# Reading and checking the file
# ---------------------------------------------------------------------------------------------


@dataclass
class _Parsed(ParsedSheet):
    numbers_in_file: set = field(default_factory=set)  # staff numbers (upper case), errors or not
    titles_to_map: dict = field(default_factory=dict)  # job title -> rows, when no job role column
    unmapped_titles: list = field(default_factory=list)  # {"title", "people", "suggestions"}


def _read(record, data, *, today, progress):
    parsed = _Parsed()
    seen = parsed.numbers_in_file.add

    def note_staff_number(values):
        staff_number = values.get("staff_number")
        if staff_number:
            seen(staff_number.upper())

    resource = StaffResource(agency=record.agency, today=today)
    readable = import_read_sheet(
        parsed,
        data,
        record.original_name,
        columns=STAFF_COLUMNS,
        resource=resource,
        progress=progress,
        on_row=note_staff_number,
        required=_required_columns,
    )
    if readable:
        widget = resource.fields["job_role"].widget
        if not parsed.match.present("job_role"):
            _roles_from_titles(parsed, widget)
        parsed.unmapped_titles = _unmapped_titles(parsed, widget)
        parsed.errors.extend(_duplicate_errors(parsed.rows, parsed.match))
    return parsed


def _required_columns(match):
    """A file with job titles (mapped once by the agency's HR) needs no job role column."""
    required = {column.field for column in STAFF_COLUMNS if column.required}
    if match.present("job_title"):
        required.discard("job_role")
    return required


UNMAPPED_TITLE = (
    'The job title "{title}" is not mapped to a job role. Map it in the preview (under "Job titles '
    'to map"), or add a Job role column.'
)


def _roles_from_titles(parsed, widget):
    """Each row's job role from its job title: the agency's mapping or a catalogue name."""
    kept = []
    column = parsed.match.written["job_title"]
    for number, values in parsed.rows:
        title = values.get("job_title") or ""
        role = widget.lookup.get(lookup_key(title)) if title else None
        if role is None:
            message = UNMAPPED_TITLE.format(title=title) if title else "The job title is missing."
            parsed.errors.append(RowError(number, column, title or None, message))
            parsed.titles_to_map[title] = parsed.titles_to_map.get(title, 0) + 1 if title else 0
            continue
        kept.append((number, {**values, "job_role": role}))
    parsed.rows = kept
    # The job roles come from the job title column (the preview and the kept rows say so).
    parsed.match.written["job_role"] = column


def _unmapped_titles(parsed, widget):
    """The distinct job titles (or job role cells) that are not catalogue job roles, with their
    number of people and the closest job roles: the preview's mapping form."""
    counts = dict(parsed.titles_to_map)
    if parsed.match.present("job_role"):
        column = parsed.match.written["job_role"]
        for error in parsed.errors:
            if error.column == column and error.value and error.message.startswith("This is not a job role"):
                text = " ".join(error.value.split())
                counts[text] = counts.get(text, 0) + 1
    counts.pop("", None)
    return [
        {"title": title, "people": people, "suggestions": widget.suggestions(title)}
        for title, people in sorted(counts.items(), key=lambda item: item[0].casefold())
    ]


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
    # `written` also names the job role read from the job titles of a file without a job role column.
    fields = [name for name in _FIELD_ORDER if name in parsed.match.written]
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
            "header_row": parsed.header_row,
            "sheet_name": parsed.sheet_name,
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
            header_row=body.get("header_row", 1),
            sheet_name=body.get("sheet_name", ""),
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
    # (row number, staff number in the file, staff number on record) matched ignoring leading zeros
    zero_matches: list = field(default_factory=list)
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
    by_zeroless = {}
    for person in existing:
        by_number.setdefault(person[1].upper(), []).append(person)
        if person[1].isdigit() and person[10] is None:
            by_zeroless.setdefault(person[1].lstrip("0"), []).append(person)
    matched = set()
    future_emails = []  # (row number, email, staff id or None) for rows still current after today
    new_team_names = {}
    for number, values in parsed.rows:
        candidates = by_number.get(values["staff_number"].upper(), ())
        if not candidates and values["staff_number"].isdigit():
            # 123 in the file, 00123 on record (or the other way round): the same person when
            # exactly one current record matches once leading zeros are ignored; the preview says so.
            zeroless = by_zeroless.get(values["staff_number"].lstrip("0"), ())
            if len(zeroless) == 1:
                candidates = zeroless
                plan.zero_matches.append((number, values["staff_number"], zeroless[0][1]))
                values = {**values, "staff_number": zeroless[0][1]}
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
        if not rules.has_left(left_on=left_on, on=today):
            future_emails.append((number, values["email"], person[0] if person else None))
    current = [
        person for person in existing if rules.is_current(start_date=person[9], left_on=person[10], on=today)
    ]
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
        if not rules.has_left(left_on=person[10], on=today):
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


def _preview_from(record, parsed, plan):
    preview = StaffImportPreview.start(record, parsed)
    preview.new = len(plan.new)
    preview.updated = len(plan.updates)
    preview.unchanged = plan.unchanged
    preview.leavers = len(plan.leavers)
    preview.current_staff = plan.current_staff
    preview.needs_mass_leaver_confirmation = preview.leavers > MASS_LEAVER_SHARE * plan.current_staff
    preview.new_rows = [_new_row(number, values) for number, values in plan.new[:PREVIEW_LIMIT]]
    preview.updated_rows = [_updated_row(update, plan) for update in plan.updates[:PREVIEW_LIMIT]]
    preview.leaver_rows = [_leaver_row(person, plan) for person in plan.leavers[:PREVIEW_LIMIT]]
    preview.new_teams = plan.new_teams
    preview.unmapped_titles = list(getattr(parsed, "unmapped_titles", []))[:PREVIEW_LIMIT]
    preview.zero_matches = [
        {"row": number, "in_file": in_file, "on_record": on_record}
        for number, in_file, on_record in plan.zero_matches[:PREVIEW_LIMIT]
    ]
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
    history = {"user": actor, "reason": reason, "when": now}
    team_ids = _ensure_teams(agency, plan.new_teams)
    if plan.leavers:
        leavers = list(StaffMember.objects.select_for_update().filter(pk__in=[p[0] for p in plan.leavers]))
        for person in leavers:
            person.left_on = today
            person.updated_at = now
        bulk_change_with_history(StaffMember, leavers, ["left_on", "updated_at"], **history)
    if plan.updates:
        _apply_updates(plan.updates, team_ids=team_ids, now=now, today=today, history=history)
    changed = [person[0] for person in plan.leavers] + [person[0] for _n, person, _c in plan.updates]
    if plan.new:
        people = [_new_person(agency, values, team_ids) for _number, values in plan.new]
        bulk_insert_with_history(StaffMember, people, **history)
        changed += [person["id"] for person in people]
    # The maintained compliance state follows, in this transaction (a fixed number of statements).
    staff_changed(changed)


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
# The export: the template's columns
# ---------------------------------------------------------------------------------------------


def staff_list_export(*, agency, file_format, today=None):
    """An agency's current and future staff in the template's columns (leavers are left out, so
    the file can be the next upload as it is). Uploading it again changes nothing."""
    today = today or timezone.localdate()
    headers = [column.header for column in STAFF_COLUMNS]
    people = (
        StaffMember.objects.filter(agency=agency)
        .filter(rules.not_left_q(today))
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
