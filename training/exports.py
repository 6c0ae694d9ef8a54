"""Compliance exports: the matrix (a row per person, a status and a date per module) and the
person-level list (a row per person and module), as CSV or XLSX.

The statuses come from the one engine (training.selectors.compliance.scoped_pairs), scoped exactly
as the pages are. Files are written by workforce.spreadsheets, the one place that makes cells inert:
text a spreadsheet would run (=, +, -, @, a tab or a carriage return first) gets a leading
apostrophe, and XLSX cells are written as text or dates, never as formulas.
"""

import datetime
import itertools
from dataclasses import dataclass

from django.db import connection
from django.db.models.expressions import RawSQL

from workforce import access
from workforce import exports as engine
from workforce.models import StaffMember
from workforce.spreadsheets import iter_csv, xlsx_write

from .compliance import Status, worst_status
from .forms.compliance import ComplianceFilterForm
from .models import Module
from .selectors.compliance import ComplianceFilters, scoped_pairs
from .selectors.engine import current_staff

MATRIX = "matrix"
LIST = "list"
KINDS = {MATRIX: "compliance matrix", LIST: "compliance list"}
FORMATS = ("csv", "xlsx")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

PERSON_HEADERS = ["Agency", "Staff number", "First name", "Last name", "Email", "Job role", "Team"]
PERSON_FIELDS = (
    "id",
    "agency__name",
    "staff_number",
    "first_name",
    "last_name",
    "email",
    "job_role__name",
    "team__name",
)
LIST_HEADERS = [
    *PERSON_HEADERS,
    "Module code",
    "Module title",
    "Status",
    "Due date",
    "Expiry date",
    "Completed on",
]
NOT_REQUIRED = "Not required"


@dataclass(frozen=True)
class ExportTable:
    headers: list
    rows: object  # an iterator of rows, produced while the file is written
    people_done: object  # () -> people read so far, for a background export's progress


CHUNK = 10_000  # people whose statuses are worked out at once


def compliance_table(
    *, kind: str, staff, on: datetime.date, filters: ComplianceFilters, chunk: int = CHUNK
) -> ExportTable:
    """The rows of an export. `staff` is the user's scope (access.visible_staff) or None for the
    command line; `filters` narrow it as on the dashboard. With a status filter, the list keeps the
    pairs in that status and the matrix the people with at least one.

    People are read in name order, `chunk` at a time, and the engine works out the statuses of
    each chunk alone (the same queries for each), so memory stays flat however large the
    partnership: a file of 250,000 people never holds more than one chunk's pairs."""
    people = _people(staff=staff, on=on, filters=filters)
    read = [0]

    def chunks():
        while block := list(itertools.islice(people, chunk)):
            scope = _only(staff, [person[0] for person in block])
            by_person = {}
            for pair in scoped_pairs(staff=scope, on=on, filters=filters):
                by_person.setdefault(pair.staff_id, []).append(pair)
            yield block, by_person
            read[0] += len(block)

    status = filters.status
    if kind == MATRIX:
        modules = list(_modules(filters))
        rows = _matrix_rows(chunks(), modules, status)
        return ExportTable(_matrix_headers(modules), rows, lambda: read[0])
    return ExportTable(LIST_HEADERS, _list_rows(chunks(), status), lambda: read[0])


def _only(staff, ids):
    scope = staff if staff is not None else StaffMember.objects.all()
    if connection.vendor == "postgresql":
        # One array parameter rather than 10,000: psycopg's conversion of a long IN list, in each
        # of the engine's queries, cost more than the queries themselves.
        return scope.filter(pk__in=RawSQL("SELECT unnest(%s::bigint[])", (ids,)))
    return scope.filter(pk__in=ids)


def _people(*, staff, on, filters):
    # The same scope as the pairs (training.selectors.current_staff), ordered for reading.
    scope = current_staff(
        on=on,
        staff=staff,
        agency=filters.agency,
        team=filters.team,
        job_role=filters.job_role,
        tier=filters.tier,
    )
    ordered = scope.order_by("agency__name", "last_name", "first_name", "staff_number")
    return ordered.values_list(*PERSON_FIELDS).iterator(chunk_size=CHUNK)


def _modules(filters):
    modules = Module.objects.filter(active=True).order_by("code")
    if filters.module is not None:
        modules = modules.filter(pk=filters.module.pk)
    return modules.values_list("id", "code")


def _matrix_headers(modules):
    headers = [*PERSON_HEADERS, "Overall"]
    for _, code in modules:
        headers += [f"{code} status", f"{code} date"]
    return headers


def _each_person(chunks):
    for block, by_person in chunks:
        for person in block:
            yield person, by_person.get(person[0], ())


def _matrix_rows(chunks, modules, status):
    for person, pairs in _each_person(chunks):
        if not pairs or (status is not None and all(pair.status is not status for pair in pairs)):
            continue
        by_module = {pair.module.id: pair for pair in pairs}
        worst = worst_status(pair.status for pair in pairs)
        overall = Status.COMPLIANT.label if worst.is_valid else worst.label  # all exempt: "Exempt"
        row = [*person[1:], overall]
        for module_id, _ in modules:
            pair = by_module.get(module_id)
            # The date that matters: due date while never completed, expiry once completed,
            # the end of an exemption (empty: never expires, or open-ended).
            row += [pair.status.label, pair.key_date] if pair is not None else [NOT_REQUIRED, None]
        yield row


def _list_rows(chunks, status):
    for person, person_pairs in _each_person(chunks):
        pairs = sorted(person_pairs, key=lambda pair: pair.module.code)
        for pair in pairs:
            if status is not None and pair.status is not status:
                continue
            never_completed = pair.status.never_completed
            yield [
                *person[1:],
                pair.module.code,
                pair.module.title,
                pair.status.label,
                pair.due_on if never_completed else None,
                pair.expires_on,
                pair.completed_on,
            ]


def export_csv(table: ExportTable):
    """The file as an iterator of bytes (for a streamed response or a file)."""
    return iter_csv(table.headers, table.rows)


def export_xlsx(table: ExportTable, *, kind: str, target):
    """Write the workbook to `target` (a path or a binary file), row by row."""
    xlsx_write(target, table.headers, table.rows, title=KINDS[kind].capitalize())


def export_filename(*, kind: str, file_format: str, on: datetime.date, filters: ComplianceFilters) -> str:
    parts = ["compliance", MATRIX if kind == MATRIX else "list"]
    if filters.agency is not None:
        parts.append(filters.agency.slug)
    if filters.module is not None:
        parts.append(filters.module.code.lower())
    if filters.status is not None:
        parts.append(filters.status.value.replace("_", "-"))
    parts.append(on.isoformat())
    return f"{'-'.join(parts)}.{file_format}"


# ---------------------------------------------------------------------------------------------
# The compliance exports as kinds of the export engine (workforce.exports): streamed from the
# dashboard, or written in the background when large. Registered by TrainingConfig.ready().
# ---------------------------------------------------------------------------------------------

ENGINE_KEYS = {MATRIX: "compliance-matrix", LIST: "compliance-list"}


def filters_from(user, params) -> ComplianceFilters:
    """The dashboard's filters from a query string, as the user may see them: naming an agency the
    user may not see is a 404 (as on the pages), an invalid choice refuses the file."""
    access.require_lead_or_hr(user)
    slug = params.get("agency")
    if slug:
        access.get_visible_agency_or_404(user, slug=slug)
    form = ComplianceFilterForm(params or None, user=user)
    filters = form.filters()
    if form.errors:
        raise engine.ExportRefused(" ".join(error for errors in form.errors.values() for error in errors))
    return filters


def _size(user, params, today):
    """The people in scope (one COUNT): the matrix's rows at most; the list has a few per person."""
    filters = filters_from(user, params)
    return current_staff(
        on=today,
        staff=access.visible_staff(user),
        agency=filters.agency,
        team=filters.team,
        job_role=filters.job_role,
        tier=filters.tier,
    ).count()


def _engine_kind(kind):
    def table(user, params, today):
        filters = filters_from(user, params)
        built = compliance_table(kind=kind, staff=access.visible_staff(user), on=today, filters=filters)
        name = export_filename(kind=kind, file_format="csv", on=today, filters=filters).removesuffix(".csv")
        return engine.Table(
            built.headers, built.rows, name=name, title=KINDS[kind].capitalize(), done=built.people_done
        )

    return engine.ExportKind(key=ENGINE_KEYS[kind], label=KINDS[kind].capitalize(), size=_size, table=table)


def register_kinds():
    for kind in KINDS:
        engine.register(_engine_kind(kind))
