"""The column framework of every import kind: columns and how headers are recognised, the
widgets that read each cell, and the row cleaner that reads a whole file column by column.

Widgets are django-import-export widgets (the same classes clean a cell in a kind's resource), but
large uploads never go through django-import-export's row-by-row import, which saves one row, one
history row and several queries at a time and cannot check a 50,000-row file in a web-friendly
time: ColumnsResource.rows_cleaner cleans cells with the widgets in bulk (each distinct value of a
repeating column once), and the kinds write rows in bulk (imports.bulk).

Reading rules (PRODUCT.md section 5):
- Headers match ignoring case, spaces and punctuation, with each column's aliases.
- Dates: Excel or OpenDocument date cells, 2026-03-04, 04/03/2026, 4/3/2026, 04/03/26, 4 March 2026,
  4 Mar 2026. Slashed dates are always day first. A two-digit year 00-69 means 2000-2069 and
  70-99 means 1970-1999 (the POSIX rule spreadsheet programs also use). Anything else is an error.
- Text is stripped of surrounding spaces. A leading apostrophe before =, +, -, @ (how our exports
  make such text inert) is removed, so an exported file uploads unchanged.
"""

import calendar
import datetime
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, validate_email
from import_export import widgets

from training.compliance import add_months
from workforce.spreadsheets import inert, uninert

from .reading import CellError

EARLIEST_DATE = datetime.date(1950, 1, 1)
# What every kind accepts as the heading of a staff number (staff lists, completion files).
STAFF_NUMBER_ALIASES = (
    "employee id",
    "employee number",
    "employee no",
    "staff id",
    "staff no",
    "payroll number",
    "person id",
)


# ---------------------------------------------------------------------------------------------
# Columns and headers
# ---------------------------------------------------------------------------------------------


def normalise_header(text):
    """Case-, space- and punctuation-insensitive form of a header: "E-mail Address" -> "emailaddress"."""
    return re.sub(r"[^0-9a-z]+", "", str(text or "").casefold())


_HINT = re.compile(r"\([^)]*\)|\[[^\]]*\]|\{[^}]*\}|\*")


def heading_key(text):
    """A heading without its hints and marks, normalised: "Start date (dd/mm/yyyy)", "Staff ID*"
    and "Email [required]" are "startdate", "staffid" and "email"."""
    return normalise_header(_HINT.sub(" ", str(text or "")))


def heading_score(columns):
    """A function telling how many of `columns` a row of headings names (reading.open_sheet uses
    it to find the heading row below a report banner, and the sheet of a workbook)."""
    keys = set()
    for column in columns:
        keys |= column.keys

    def score(headers):
        found = 0
        for header in headers:
            if header and (normalise_header(header) in keys or heading_key(header) in keys):
                found += 1
        return found

    return score


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    required: bool = False
    aliases: tuple = ()
    help_text: str = ""
    example: object = ""
    # A required column whose empty cells the import judges against the records rather than the
    # row cleaner refusing them (the staff list's email: see imports.kinds.staff._plan).
    empty_judged_by_import: bool = False
    # What the help page says under "Required" when it is neither a plain yes nor a plain no.
    required_text: str = ""

    @property
    def keys(self):
        return {normalise_header(name) for name in (self.field, self.header, *self.aliases)}

    @property
    def also_accepted(self):
        return [alias for alias in self.aliases if normalise_header(alias) != normalise_header(self.header)]


@dataclass
class RowError:
    """One problem in an uploaded file: `row` and `column` are None for the file as a whole."""

    row: int | None
    column: str | None
    value: str | None
    message: str

    def as_dict(self):
        return {"row": self.row, "column": self.column, "value": self.value, "message": self.message}


@dataclass
class HeaderMatch:
    indexes: dict  # field -> column index in the file
    written: dict  # field -> the header as written in the file
    ignored: list  # headers we do not use
    errors: list  # RowError for the file as a whole

    def present(self, field):
        return field in self.indexes


def match_headers(headers, columns, *, header_row=1):
    """Find each column among the file's headers; two headers meaning the same field is an error."""
    by_key = {}
    for column in columns:
        for key in column.keys:
            by_key[key] = column.field
    indexes, written, ignored, errors = {}, {}, [], []
    for index, header in enumerate(headers):
        field = by_key.get(normalise_header(header))
        if field is None:
            field = by_key.get(heading_key(header))
        if field is None:
            if header:
                ignored.append(header)
            continue
        if field in indexes:
            errors.append(
                RowError(
                    header_row,
                    header,
                    header,
                    f'The columns "{written[field]}" and "{header}" both give the '
                    f"{_label(columns, field)}. Delete one of them.",
                )
            )
            continue
        indexes[field] = index
        written[field] = header
    return HeaderMatch(indexes=indexes, written=written, ignored=ignored, errors=errors)


def missing_column_errors(match, columns, headers, *, required=None):
    """One error per required column the file lacks, naming the headers that were found."""
    found = ", ".join(f'"{header}"' for header in headers if header) or "none"
    errors = []
    for column in columns:
        needed = column.required if required is None else column.field in required
        if needed and not match.present(column.field):
            also = column.also_accepted
            accepted = f" (also accepted: {', '.join(also)})" if also else ""
            errors.append(
                RowError(
                    None,
                    column.header,
                    None,
                    f'The file has no "{column.header}" column{accepted}. The columns found were: {found}.',
                )
            )
    return errors


def _label(columns, field):
    return next(column.header for column in columns if column.field == field).lower()


# ---------------------------------------------------------------------------------------------
# Cells
# ---------------------------------------------------------------------------------------------


def cell_display(value):
    """A cell's value as text for error reports (a date cell as 2026-03-04)."""
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        value = value.date() if not (value.hour or value.minute or value.second) else value
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def cell_text(value):
    if value is None:
        return ""
    if isinstance(value, CellError):
        raise ValueError(f"The cell shows the spreadsheet error {value}. Replace it with a value.")
    if isinstance(value, str):
        return uninert(value.strip())
    return cell_display(value)


class TextWidget(widgets.Widget):
    """Text up to `max_length` characters. `repeats`: the column repeats values (names, teams), so a
    row cleaner may keep each distinct cell's result; a column of unique values would only fill
    the memory."""

    def __init__(self, *, max_length, repeats=True):
        super().__init__(coerce_to_string=True)
        self.max_length = max_length
        self.repeats = repeats

    def clean(self, value, row=None, **kwargs):
        # Plain text is by far the commonest cell; spare it the general conversion.
        if value.__class__ is str:
            text = value.strip()
            if text[:1] == "'":
                text = uninert(text)
        else:
            text = cell_text(value)
        if "  " in text or "\n" in text or "\t" in text or "\r" in text:
            # Runs of spaces, tabs and line breaks are one space (teams, titles, names compare equal).
            text = " ".join(text.split())
        if len(text) > self.max_length:
            raise ValueError(
                f"This is {len(text)} characters long; the most we can keep is {self.max_length}."
            )
        return text

    def render(self, value, obj=None, **kwargs):
        return inert("" if value is None else str(value))


_FLOAT_NUMBER = re.compile(r"(\d+)\.0+")


class StaffNumberWidget(TextWidget):
    """A staff number is text, as the spreadsheet displays it: "4501.0" (a number cell saved as
    text by some exports) is 4501, and runs of spaces inside it are one space."""

    def __init__(self):
        super().__init__(max_length=50, repeats=False)

    def clean(self, value, row=None, **kwargs):
        text = " ".join(super().clean(value).split())
        if match := _FLOAT_NUMBER.fullmatch(text):
            return match.group(1)
        return text


EMAIL_FORMAT = "Enter an email address in the correct format, like name@example.org."
# Django's own patterns, compiled here once: its validator reaches them through lazy objects,
# which costs more than the match itself over a 50,000-row file. Anything these do not accept
# goes to Django's validator, which has the final word (allowed hosts, address literals).
_EMAIL_USER = re.compile(EmailValidator.user_regex.pattern, re.IGNORECASE)
_EMAIL_DOMAIN = re.compile(EmailValidator.domain_regex.pattern, re.IGNORECASE)


def is_valid_email(email):
    user, _at, domain = email.rpartition("@")
    if _at and len(email) <= 320 and _EMAIL_USER.match(user) and _EMAIL_DOMAIN.match(domain):
        return True
    try:
        validate_email(email)
    except ValidationError:
        return False
    return True


_MISSING = object()


class Memo:
    """Results of cleaning by raw cell value. Job roles, line-manager emails and dates repeat down
    a column, so a large upload cleans each distinct value once."""

    limit = 50_000

    def __init__(self):
        self.results = {}
        self.failures = {}

    def get(self, value, compute):
        # A CellError equals its text ("#N/A"), so it is never looked up or kept: its message differs.
        if value.__class__ is not CellError:
            result = self.results.get(value, _MISSING)
            if result is not _MISSING:
                return result
            failure = self.failures.get(value)
            if failure is not None:
                raise ValueError(failure)
        try:
            result = compute(value)
        except ValueError as exc:
            if value.__class__ is not CellError:
                self._keep(self.failures, value, str(exc))
            raise
        if value.__class__ is not CellError:
            self._keep(self.results, value, result)
        return result

    def _keep(self, store, value, outcome):
        if len(store) >= self.limit:
            store.clear()
        store[value] = outcome


class EmailWidget(TextWidget):
    """An email address, in lower case. `repeats`: the column repeats values (line managers), so
    remember each one's result; a column of everyone's own address would only fill the memory."""

    def __init__(self, *, repeats=False):
        super().__init__(max_length=254, repeats=repeats)
        self.memo = Memo() if repeats else None

    def clean(self, value, row=None, **kwargs):
        if self.memo is not None:
            return self.memo.get(value, self._clean)
        return self._clean(value)

    def _clean(self, value):
        email = super().clean(value).lower()
        if email and not is_valid_email(email):
            raise ValueError(EMAIL_FORMAT)
        return email


MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): number for number, name in enumerate(calendar.month_abbr) if name})
MONTHS["sept"] = 9
DATE_SHAPES = "Write dates like 4 March 2026, 04/03/2026 or 2026-03-04."
# ISO dates, also with a time of day as databases and HR systems write them: 2021-03-04T00:00:00.
_ISO_DATE = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
)
_SLASHED_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})")
_WORDED_DATE = re.compile(r"(\d{1,2}) ([A-Za-z]+)\.? (\d{4})")


def uk_date(day):
    return f"{day.day} {day:%B %Y}"


def two_digit_year(year):
    """00-69 -> 2000-2069 and 70-99 -> 1970-1999, the rule spreadsheet programs use."""
    return 2000 + year if year < 70 else 1900 + year


def parse_date(value):
    """A date from a cell in one of the accepted shapes, None for an empty cell, else ValueError."""
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, CellError):
        raise ValueError(f"The cell shows the spreadsheet error {value}. Replace it with a date.")
    if isinstance(value, bool | int | float):
        raise ValueError(f"This is a number, not a date. Format the column as dates, or: {DATE_SHAPES}")
    text = " ".join(str(value).split())
    if not text:
        return None
    if match := _ISO_DATE.fullmatch(text):
        year, month, day = (int(part) for part in match.groups())
    elif match := _SLASHED_DATE.fullmatch(text):
        day, month, year = (int(part) for part in match.groups())
        if len(match.group(3)) == 2:
            year = two_digit_year(year)
    elif (match := _WORDED_DATE.fullmatch(text)) and match.group(2).lower() in MONTHS:
        day, month, year = int(match.group(1)), MONTHS[match.group(2).lower()], int(match.group(3))
    else:
        raise ValueError(f"This is not a date we can read. {DATE_SHAPES}")
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise ValueError(_impossible_date(day, month, year)) from None


def _impossible_date(day, month, year):
    if not 1 <= month <= 12:
        return f"There is no month {month}. Slashed dates are day first: 04/03/2026 is 4 March 2026."
    if year < 1:
        return f"This is not a date we can read. {DATE_SHAPES}"
    days = calendar.monthrange(year, month)[1]
    name = calendar.month_name[month]
    return f"This date does not exist: {name} {year} has {days} days."


class UKDateWidget(widgets.Widget):
    """Dates in the accepted shapes, from 1950 to a year after `today`. A resource declares its date
    columns with `today` None and gives each upload a widget of that upload's own day."""

    def __init__(self, *, today):
        super().__init__(coerce_to_string=False)
        self.latest = self.latest_date(today) if today is not None else None
        self.memo = Memo()

    def latest_date(self, today):
        return add_months(today, 12)

    def too_late(self, day):
        return (
            f"{uk_date(day)} is more than a year ahead (the latest we accept is {uk_date(self.latest)}). "
            "Check the year."
        )

    def clean(self, value, row=None, **kwargs):
        return self.memo.get(value, self._clean)

    def _clean(self, value):
        day = parse_date(value)
        if day is None:
            return None
        if day < EARLIEST_DATE:
            raise ValueError(f"{uk_date(day)} is before 1950. Check the year.")
        if day > self.latest:
            raise ValueError(self.too_late(day))
        return day

    def render(self, value, obj=None, **kwargs):
        return value.isoformat() if value else ""


def lookup_key(text):
    """How a name is compared with a catalogue's: case and runs of spaces do not matter."""
    return " ".join(text.split()).casefold()


def agency_keys(agencies):
    """{lookup_key(slug or name): id} of (id, slug, name) rows: how a file may name an agency."""
    keys = {}
    for pk, slug, name in agencies:
        keys[lookup_key(slug)] = pk
        keys[lookup_key(name)] = pk
    return keys


class LookupWidget(widgets.Widget):
    """One of a catalogue's objects by one of its names, ignoring case and repeated spaces;
    `unknown(text)` says what to write instead. `names` is a sequence of functions, each giving an
    object's names; where two objects share a name the later function wins (a module's code beats
    another module's title). Each distinct cell is looked up once (a column of job roles or modules
    repeats a few values)."""

    def __init__(self, objects, *, names):
        super().__init__()
        self.lookup = {}
        for names_of in names:
            for obj in objects:
                for name in names_of(obj):
                    self.lookup[lookup_key(name)] = obj
        self.memo = Memo()

    def clean(self, value, row=None, **kwargs):
        return self.memo.get(value, self._clean)

    def _clean(self, value):
        text = cell_text(value)
        if not text:
            return None
        found = self.lookup.get(lookup_key(text))
        if found is None:
            raise ValueError(self.unknown(text))
        return found

    def unknown(self, text):
        raise NotImplementedError


# ---------------------------------------------------------------------------------------------
# Cleaning a whole file, column by column
# ---------------------------------------------------------------------------------------------


class _Failed:
    """A cell's error message, kept in a row cleaner's memo like a clean value."""

    __slots__ = ("message",)

    def __init__(self, message):
        self.message = message


# Cells of these exact classes clean the same whenever they are equal, so a column's results can be
# kept by raw value. Not numbers and booleans (True == 1 == 1.0, but "TRUE" is not "1"), nor
# CellError (a str subclass equal to its text, whose message differs), nor datetimes (two equal
# instants in different time zones are different days and texts).
_MEMO_CLASSES = frozenset({str, datetime.date, type(None)})
MEMO_LIMIT = 50_000
CLEAN_BATCH = 5_000


def missing_value_message(column):
    return f"The {column.header.lower()} is missing."


@dataclass(frozen=True)
class _ColumnPlan:
    field: str
    index: int
    clean: object
    memo: dict | None
    written: str
    required: bool
    missing: str

    def problem(self, value):
        """A cell's result that makes its row an error: a failure, or nothing in a required column."""
        if value.__class__ is _Failed:
            return True
        return self.required and (value is None or (value.__class__ is str and not value))


def _clean_cell(clean, raw):
    try:
        return clean(raw)
    except ValueError as exc:
        return _Failed(str(exc))


def _clean_column(column, raws):
    """(the widget's result for each cell, a _Failed for an error; whether any makes its row an
    error). A column that repeats cleans each distinct value once."""
    clean, memo = column.clean, column.memo
    if memo is None:
        results = [_clean_cell(clean, raw) for raw in raws]
        return results, any(map(column.problem, results))
    if len(memo) >= MEMO_LIMIT:
        memo.clear()
    if set(map(type, raws)) <= _MEMO_CLASSES:
        distinct = set(raws)
        for raw in distinct.difference(memo):
            memo[raw] = _clean_cell(clean, raw)
        # Every result is one of the distinct values' results: look at those, not at every cell.
        return list(map(memo.__getitem__, raws)), any(column.problem(memo[raw]) for raw in distinct)
    results = []
    for raw in raws:
        if raw.__class__ in _MEMO_CLASSES:
            value = memo.get(raw, _MISSING)
            if value is _MISSING:
                value = memo[raw] = _clean_cell(clean, raw)
        else:
            value = _clean_cell(clean, raw)
        results.append(value)
    return results, any(map(column.problem, results))


def _row_with_problems(plan, number, cells, results):
    values, errors = {}, []
    for column, value in zip(plan, results, strict=True):
        if value.__class__ is _Failed:
            errors.append(RowError(number, column.written, cell_display(cells[column.index]), value.message))
        elif column.problem(value):
            errors.append(RowError(number, column.written, None, column.missing))
        else:
            values[column.field] = value
    return number, values, errors


def clean_in_batches(clean, rows, *, size=CLEAN_BATCH):
    """Yield (row number, values, errors) for each of `rows` ((row number, cells) pairs), cleaning
    `size` rows at a time with a rows_cleaner. When reading the rows stops with an exception, the
    rows read before it are cleaned and given first."""
    batch = []
    try:
        for row in rows:
            batch.append(row)
            if len(batch) >= size:
                yield from clean(batch)
                batch = []
    except Exception:
        yield from clean(batch)
        raise
    if batch:
        yield from clean(batch)


class ColumnsResource:
    """A resource whose `columns` (Column) name its fields; cleans rows cell by cell in bulk."""

    columns = ()

    def rows_cleaner(self, match):
        """A function [(row number, cells), ...] -> [(row number, values by field, [RowError]), ...]
        for one file, giving for each row what its widgets give cell by cell.

        Only the file's columns are read: a column the file lacks is absent from the values, so an
        upload without a Team column leaves teams as they are. Empty optional cells give "" or None;
        an empty required cell is an error. Built once per file and called on batches of rows
        (clean_in_batches), column by column: a column whose widget says its values repeat (job
        roles, names, dates, teams) cleans each distinct cell once for the whole file, and a batch
        with no error in it is assembled without looking at each cell again.
        """
        plan = []
        for column in self.columns:
            if column.field not in match.indexes:
                continue
            widget = self.fields[column.field].widget
            plan.append(
                _ColumnPlan(
                    field=column.field,
                    index=match.indexes[column.field],
                    clean=widget.clean,
                    memo={} if getattr(widget, "repeats", True) else None,
                    written=match.written[column.field],
                    required=column.required and not column.empty_judged_by_import,
                    missing=missing_value_message(column),
                )
            )
        names = [column.field for column in plan]

        def clean(batch):
            cleaned, problems = [], False
            for column in plan:
                results, problem = _clean_column(column, [cells[column.index] for _number, cells in batch])
                cleaned.append(results)
                problems = problems or problem
            if not problems:
                rows = [
                    (number, dict(zip(names, values, strict=True)), [])
                    for (number, _cells), values in zip(batch, zip(*cleaned, strict=True), strict=True)
                ]
            else:
                rows = [
                    _row_with_problems(plan, number, cells, values)
                    for (number, cells), values in zip(batch, zip(*cleaned, strict=True), strict=True)
                ]
            for (number, values, errors), (_number, cells) in zip(rows, batch, strict=True):
                if not errors:
                    self.check_row(number, cells, values, match, errors)
            return rows

        return clean

    def check_row(self, number, cells, values, match, errors):
        """Checks across the cells of a clean row; append RowError to `errors`."""
