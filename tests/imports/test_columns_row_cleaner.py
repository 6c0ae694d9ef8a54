"""The bulk row cleaner (ColumnsResource.rows_cleaner) against the widgets it is built from.

The cleaner works on batches of rows column by column and keeps each distinct cell's result per
column, so a 50,000-row file cleans a repeated job role, name or date once. These tests hold it to
what the widgets say cell by cell: the same values, the same errors with the same messages,
whatever repeats, in whatever order and however the rows are split into batches.
"""

import datetime

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from imports import columns as resources
from imports.columns import RowError, cell_display, clean_in_batches, match_headers
from imports.kinds.staff import STAFF_COLUMNS, StaffResource
from imports.reading import CellError
from workforce.models import JobRole

TODAY = datetime.date(2026, 3, 4)
HEADERS = [column.header for column in STAFF_COLUMNS]
ROLES = [
    JobRole(pk=1, name="Police officer", tier=1, aliases="PC"),
    JobRole(pk=2, name="Children's social worker", tier=2, aliases="Social worker"),
]


def cleaner(headers=HEADERS):
    """(match, clean(number, cells) -> (values, errors)): one row at a time, through one cleaner."""
    match = match_headers(headers, STAFF_COLUMNS)
    clean_rows = StaffResource(today=TODAY, job_roles=ROLES).rows_cleaner(match)

    def clean(number, cells):
        [(cleaned_number, values, errors)] = clean_rows([(number, cells)])
        assert cleaned_number == number
        return values, errors

    return match, clean


def one_cell_at_a_time(match, number, cells):
    """What the cleaner must give: every widget called on its own cell, with fresh widgets."""
    resource = StaffResource(today=TODAY, job_roles=ROLES)
    values, errors = {}, []
    for column in STAFF_COLUMNS:
        if column.field not in match.indexes:
            continue
        raw = cells[match.indexes[column.field]]
        written = match.written[column.field]
        try:
            value = resource.fields[column.field].widget.clean(raw)
        except ValueError as exc:
            errors.append(RowError(number, written, cell_display(raw), str(exc)))
            continue
        if column.required and not column.empty_judged_by_import and (value is None or value == ""):
            errors.append(RowError(number, written, None, f"The {column.header.lower()} is missing."))
            continue
        values[column.field] = value
    if not errors:
        resource.check_row(number, cells, values, match, errors)
    return values, errors


def row(**cells):
    base = {
        "Staff number": "E1",
        "First name": "Asha",
        "Last name": "Patel",
        "Email": "asha@example.org",
        "Job role": "PC",
        "Job title": "",
        "Team": "North",
        "Line manager email": "sam@example.org",
        "Start date": "02/09/2024",
        "Leaving date": "",
    }
    base.update(cells)
    return [base[header] for header in HEADERS]


def test_a_spreadsheet_error_and_the_same_text_keep_their_own_messages():
    match, clean = cleaner()
    rows = [
        row(**{"Job role": "#N/A", "Start date": "#N/A"}),
        row(**{"Job role": CellError("#N/A"), "Start date": CellError("#N/A")}),
        row(**{"Job role": "#N/A", "Start date": "#N/A"}),
    ]
    outcomes = [clean(number, cells) for number, cells in enumerate(rows, start=2)]
    texts = [[error.message for error in errors] for _values, errors in outcomes]
    assert texts[0] == texts[2]
    assert texts[0][0].startswith("This is not a job role in the catalogue.")
    assert texts[0][1].startswith("This is not a date we can read.")
    assert texts[1] == [
        "The cell shows the spreadsheet error #N/A. Replace it with a value.",
        "The cell shows the spreadsheet error #N/A. Replace it with a date.",
    ]


def test_true_one_and_one_point_zero_are_not_mistaken_for_each_other():
    match, clean = cleaner()
    names = [
        clean(n, row(**{"First name": value}))[0]["first_name"]
        for n, value in enumerate((True, 1, 1.0, True))
    ]
    assert names == ["TRUE", "1", "1", "TRUE"]


def test_a_date_cell_and_a_datetime_cell_of_the_same_day_both_read():
    match, clean = cleaner()
    day = datetime.date(2024, 9, 2)
    for cells in (row(**{"Start date": datetime.datetime(2024, 9, 2)}), row(**{"Start date": day})):
        values, errors = clean(2, cells)
        assert errors == [] and values["start_date"] == day


def test_equal_instants_in_two_time_zones_keep_their_own_text():
    match, clean = cleaner()
    late = datetime.datetime(2024, 1, 1, 23, 0, tzinfo=datetime.UTC)
    early = datetime.datetime(2024, 1, 2, 0, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=1)))
    assert late == early
    titles = [clean(2, row(**{"Job title": value}))[0]["job_title"] for value in (late, early)]
    assert titles == ["2024-01-01T23:00:00+00:00", "2024-01-02"]


def test_results_stay_right_when_the_memo_is_emptied(monkeypatch):
    monkeypatch.setattr(resources, "MEMO_LIMIT", 2)
    match, clean = cleaner()
    starts = ["02/09/2024", "31/02/2024", "2024-09-03", "02/09/2024", "31/02/2024", ""]
    for number, start in enumerate(starts * 2, start=2):
        cells = row(**{"Start date": start, "Staff number": f"E{number}"})
        assert clean(number, cells) == one_cell_at_a_time(match, number, cells)


CELLS = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "",
            " ",
            "PC",
            "pc ",
            "Social worker",
            "Nurse",
            "#N/A",
            "asha@example.org",
            "ASHA@example.org",
            "not an email",
            "'=1+1",
            "=1+1",
            "04/03/2026",
            "4 March 2026",
            "31/02/2024",
            "01/01/1949",
            "2030-01-01",
            "x" * 120,
        ]
    ),
    st.sampled_from([CellError("#N/A"), CellError("#REF!"), True, False, 0, 1, 1.0, 45000, 2.5]),
    st.dates(min_value=datetime.date(1940, 1, 1), max_value=datetime.date(2030, 12, 31)),
    st.datetimes(min_value=datetime.datetime(1940, 1, 1), max_value=datetime.datetime(2030, 12, 31)),
    st.text(max_size=12),
)


@given(
    rows=st.lists(st.lists(CELLS, min_size=len(HEADERS), max_size=len(HEADERS)), min_size=1, max_size=30),
    columns=st.sets(st.sampled_from(HEADERS[5:])),
    batch=st.integers(min_value=1, max_value=40),
)
@hypothesis_settings(max_examples=200, deadline=None)
def test_the_cleaner_gives_what_the_widgets_give_cell_by_cell(rows, columns, batch):
    # Repeat the generated rows so that every value is also met a second time, from the memo.
    headers = [
        header if header in HEADERS[:5] or header in columns else f"Other {i}"
        for i, header in enumerate(HEADERS)
    ]
    match = match_headers(headers, STAFF_COLUMNS)
    clean = StaffResource(today=TODAY, job_roles=ROLES).rows_cleaner(match)
    numbered = list(enumerate(rows + rows + list(reversed(rows)), start=2))
    cleaned = list(clean_in_batches(clean, numbered, size=batch))
    assert [number for number, _values, _errors in cleaned] == [number for number, _cells in numbered]
    for (number, values, errors), (_number, cells) in zip(cleaned, numbered, strict=True):
        assert (values, errors) == one_cell_at_a_time(match, number, cells)


def test_rows_read_before_the_file_turns_out_unreadable_are_cleaned_first():
    match = match_headers(HEADERS, STAFF_COLUMNS)
    clean = StaffResource(today=TODAY, job_roles=ROLES).rows_cleaner(match)

    def rows():
        yield 2, row()
        yield 3, row(**{"Staff number": "E2", "Email": "ben@example.org", "Job role": "Chef"})
        raise ValueError("row 4 is damaged")

    given_back = []
    with pytest.raises(ValueError, match="row 4 is damaged"):
        for number, values, errors in clean_in_batches(clean, rows(), size=10):
            given_back.append((number, values.get("staff_number"), [error.column for error in errors]))
    assert given_back == [(2, "E1", []), (3, "E2", ["Job role"])]


@pytest.mark.parametrize("widget", ["staff_number", "email"])
def test_columns_of_unique_values_are_not_remembered(widget):
    resource = StaffResource(today=TODAY, job_roles=ROLES)
    assert resource.fields[widget].widget.repeats is False
    assert resource.fields["first_name"].widget.repeats is True
