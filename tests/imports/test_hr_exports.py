"""Staff lists and completion files as HR systems and office programs really write them
(PRODUCT.md section 5, "Spreadsheets as HR systems really write them"), one table-driven test per
rule, with files made by real writers: openpyxl, xlsxwriter, xlwt (.xls), the csv module in each
encoding and delimiter, and msoffcrypto-tool (a password-protected workbook). Each asserts the
outcome and what was stored; each refused file writes nothing."""

import datetime
import io
from types import SimpleNamespace

import pytest
import xlsxwriter
import xlwt
from msoffcrypto.format.ooxml import OOXMLFile
from openpyxl import Workbook

from imports.columns import heading_key, parse_date
from imports.reading import (
    ENCRYPTED,
    MACROS,
    NOT_A_SPREADSHEET_OLE,
    STRICT_XLSX,
    open_sheet,
)
from tests import factories
from tests.imports.spreadsheet_files import HEADERS, csv_bytes, ods_book, rezip, staff_row
from tests.imports.test_staff_import import apply, check, media, refused  # noqa: F401
from workforce.models import StaffMember


@pytest.fixture
def roles(db):
    return SimpleNamespace(
        police=factories.JobRoleFactory(name="Police officer", tier=1, aliases="Police constable\nPC"),
        social=factories.JobRoleFactory(name="Children's social worker", tier=2, aliases="Social worker"),
    )


BANNER = [["Northshire Police – Staff list report"], ["Run on 03/03/2026 08:15 by payroll"], []]


def rows_two():
    return [
        staff_row("E1", start="02/09/2024"),
        staff_row("E2", "Ben", "Morgan", start="2021-03-04T00:00:00"),
    ]


# --- writers -------------------------------------------------------------------------------------


def openpyxl_book(sheets, *, active=0):
    """sheets: [(title, [rows])]."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets:
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    workbook.active = active
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsxwriter_book(sheets, *, number_format=None):
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    padded = workbook.add_format({"num_format": number_format}) if number_format else None
    for title, rows in sheets:
        sheet = workbook.add_worksheet(title)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if isinstance(value, int) and padded is not None:
                    sheet.write_number(r, c, value, padded)
                elif value not in (None, ""):
                    sheet.write(r, c, value)
    workbook.close()
    return buffer.getvalue()


def xlwt_book(sheets, *, number_format=None):
    workbook = xlwt.Workbook()
    padded = xlwt.easyxf(num_format_str=number_format) if number_format else None
    dated = xlwt.easyxf(num_format_str="dd/mm/yyyy")
    for title, rows in sheets:
        sheet = workbook.add_sheet(title)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if isinstance(value, int) and padded is not None:
                    sheet.write(r, c, value, padded)
                elif isinstance(value, datetime.date):
                    sheet.write(r, c, value, dated)
                elif value not in (None, ""):
                    sheet.write(r, c, value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def in_file(kind, rows, headers=HEADERS, banner=()):
    table = [*banner, headers, *rows]
    if kind == "csv":
        return csv_bytes(table, headers=None), "staff.csv"
    if kind == "csv-cp1252-semicolon":
        return csv_bytes(table, headers=None, encoding="cp1252", delimiter=";"), "staff.csv"
    if kind == "csv-utf16-tab":
        return csv_bytes(table, headers=None, encoding="utf-16", delimiter="\t"), "staff.txt"
    if kind == "openpyxl":
        return openpyxl_book([("Staff", table)]), "staff.xlsx"
    if kind == "xlsxwriter":
        return xlsxwriter_book([("Staff", table)]), "staff.xlsx"
    if kind == "xlwt":
        return xlwt_book([("Staff", table)]), "staff.xls"
    raise AssertionError(kind)


WRITERS = ["csv", "csv-cp1252-semicolon", "csv-utf16-tab", "openpyxl", "xlsxwriter", "xlwt"]


# --- the heading row -----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("writer", WRITERS)
def test_report_banner_above_the_headings_is_skipped(writer, agency_a, roles):
    data, name = in_file(writer, rows_two(), banner=BANNER)
    record, outcome = apply(agency_a, data, name)
    assert outcome.header_row == 4
    assert outcome.rows == 2 and outcome.new == 2
    stored = dict(StaffMember.objects.values_list("staff_number", "start_date"))
    assert stored == {"E1": datetime.date(2024, 9, 2), "E2": datetime.date(2021, 3, 4)}


@pytest.mark.django_db
def test_headings_beyond_the_tenth_row_are_not_searched(agency_a, roles):
    banner = [[f"Report line {n}"] for n in range(1, 11)]
    data, name = in_file("csv", rows_two(), banner=banner)
    preview = refused(agency_a, data, name)
    assert any('no "Staff number" column' in error["message"] for error in preview.errors)


# --- the sheet -----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("writer", ["openpyxl", "xlsxwriter", "xlwt", "odfpy"])
def test_staff_on_the_second_sheet_are_found(writer, agency_a, roles):
    sheets = [
        ("Read me", [["This report lists staff"], ["Generated by payroll"]]),
        ("Staff", [HEADERS, *rows_two()]),
    ]
    if writer == "openpyxl":
        data, name = openpyxl_book(sheets), "staff.xlsx"
    elif writer == "xlsxwriter":
        data, name = xlsxwriter_book(sheets), "staff.xlsx"
    elif writer == "xlwt":
        data, name = xlwt_book(sheets), "staff.xls"
    else:
        data, name = ods_book(sheets), "staff.ods"
    record, outcome = apply(agency_a, data, name)
    assert (outcome.sheet_name, outcome.header_row, outcome.new) == ("Staff", 1, 2)
    assert StaffMember.objects.count() == 2


def test_the_active_sheet_wins_when_several_match():
    table = [HEADERS, staff_row("E1")]
    other = [HEADERS, staff_row("E9")]
    data = openpyxl_book([("Old", other), ("Current", table)], active=1)
    from imports.columns import heading_score
    from imports.kinds.staff import StaffListKind

    sheet = open_sheet(data, "f.xlsx", score=heading_score(StaffListKind.columns))
    assert sheet.sheet_name == "Current"
    assert [cells[0] for _n, cells in sheet.rows] == ["E1"]


def test_an_ods_sheet_is_chosen_by_its_headings_and_the_first_wins_a_tie():
    from imports.columns import heading_score
    from imports.kinds.staff import StaffListKind

    score = heading_score(StaffListKind.columns)
    notes = [["Read me"], ["This workbook was exported by payroll"]]
    table = [*BANNER, HEADERS, staff_row("E1"), staff_row("E2", "Ben", "Morgan")]
    data = ods_book([("Notes", notes), ("Staff", table), ("Old", [HEADERS, staff_row("E9")])])
    sheet = open_sheet(data, "f.ods", score=score)
    assert (sheet.sheet_name, sheet.header_row) == ("Staff", 4)
    assert [cells[0] for _n, cells in sheet.rows] == ["E1", "E2"]
    tie = ods_book([("First", [HEADERS, staff_row("E1")]), ("Second", [HEADERS, staff_row("E9")])])
    assert open_sheet(tie, "f.ods", score=score).sheet_name == "First"


# --- headings with hints and marks ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("heading", "key"),
    [
        ("Start date (dd/mm/yyyy)", "startdate"),
        ("Start date\n(dd/mm/yyyy)", "startdate"),
        ("Staff ID*", "staffid"),
        ("Email [required]", "email"),
        ("  Job   role  ", "jobrole"),
    ],
)
def test_heading_hints_and_marks_are_removed(heading, key):
    assert heading_key(heading) == key


@pytest.mark.django_db
@pytest.mark.parametrize("writer", ["csv", "openpyxl", "xlwt"])
def test_start_date_with_a_hint_is_read_and_extra_columns_are_listed(writer, agency_a, roles):
    headers = [
        "Staff ID*",
        "Forename",
        "Surname",
        "Email [required]",
        "Job role",
        "Start date\n(dd/mm/yyyy)",
        "Cost centre",
    ]
    rows = [["E1", "Asha", "Patel", "asha@example.org", "Police officer", "02/09/2024", "CC12"]]
    data, name = in_file(writer, rows, headers=headers)
    record, outcome = apply(agency_a, data, name)
    assert outcome.ignored_columns == ["Cost centre"]
    assert StaffMember.objects.get().start_date == datetime.date(2024, 9, 2)


# --- staff numbers as displayed ------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("writer", ["xlsxwriter", "xlwt"])
def test_zero_padded_number_cell_updates_the_existing_person(writer, agency_a, roles):
    person = factories.StaffMemberFactory(
        agency=agency_a, staff_number="00123", first_name="Old", job_role=roles.police
    )
    table = [HEADERS, [123, "Asha", "Patel", "asha@example.org", "Police officer", "", "", "", "", ""]]
    if writer == "xlsxwriter":
        data, name = xlsxwriter_book([("Staff", table)], number_format="00000"), "staff.xlsx"
    else:
        data, name = xlwt_book([("Staff", table)], number_format="00000"), "staff.xls"
    record, outcome = apply(agency_a, data, name)
    assert (outcome.new, outcome.updated) == (0, 1)
    assert StaffMember.objects.count() == 1
    person.refresh_from_db()
    assert (person.staff_number, person.first_name) == ("00123", "Asha")


@pytest.mark.django_db
def test_float_text_staff_number_is_the_whole_number(agency_a, roles):
    factories.StaffMemberFactory(agency=agency_a, staff_number="4501", job_role=roles.police)
    data = csv_bytes([staff_row("4501.0")])
    record, outcome = apply(agency_a, data)
    assert (outcome.new, outcome.updated) == (0, 1)
    assert list(StaffMember.objects.values_list("staff_number", flat=True)) == ["4501"]


@pytest.mark.django_db
def test_unique_leading_zero_match_is_that_person_and_the_preview_says_so(agency_a, roles):
    person = factories.StaffMemberFactory(agency=agency_a, staff_number="00123", job_role=roles.police)
    record, preview = check(agency_a, csv_bytes([staff_row("123")]))
    assert preview.ok
    assert preview.zero_matches == [{"row": 2, "in_file": "123", "on_record": "00123"}]
    assert (preview.new, preview.updated) == (0, 1)
    from imports.services import import_commit
    from tests.imports.test_staff_import import TODAY

    import_commit(import_record=record, actor=None, today=TODAY)
    assert list(StaffMember.objects.values_list("pk", "staff_number")) == [(person.pk, "00123")]


@pytest.mark.django_db
def test_two_leading_zero_matches_are_not_guessed(agency_a, roles):
    factories.StaffMemberFactory(agency=agency_a, staff_number="0123", job_role=roles.police)
    factories.StaffMemberFactory(agency=agency_a, staff_number="00123", job_role=roles.police)
    record, preview = check(agency_a, csv_bytes([staff_row("123")]))
    assert preview.zero_matches == []
    assert preview.new == 1


# --- dates and text ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2021-03-04T00:00:00", datetime.date(2021, 3, 4)),
        ("2021-03-04 09:30", datetime.date(2021, 3, 4)),
        ("2021-03-04T09:30:15.123Z", datetime.date(2021, 3, 4)),
        ("2021-03-04", datetime.date(2021, 3, 4)),
    ],
)
def test_iso_text_dates_with_a_time(text, day):
    assert parse_date(text) == day


@pytest.mark.django_db
def test_whitespace_is_collapsed_in_job_roles_and_teams(agency_a, roles):
    data = csv_bytes([staff_row("E1", role="Police\n  officer", team="North   team")])
    record, outcome = apply(agency_a, data)
    person = StaffMember.objects.get()
    assert person.job_role == roles.police
    assert person.team.name == "North team"


# --- files users confuse -------------------------------------------------------------------------


def encrypted_xlsx():
    plain = io.BytesIO(openpyxl_book([("Staff", [HEADERS, staff_row("E1")])]))
    office = OOXMLFile(plain)
    out = io.BytesIO()
    office.encrypt("secret", out)
    return out.getvalue()


def strict_xlsx():
    base = openpyxl_book([("Staff", [HEADERS, staff_row("E1")])])
    import zipfile

    workbook = (
        zipfile.ZipFile(io.BytesIO(base))
        .read("xl/workbook.xml")
        .replace(
            b"http://schemas.openxmlformats.org/spreadsheetml/2006/main",
            b"http://purl.oclc.org/ooxml/spreadsheetml/main",
        )
    )
    return rezip(base, replace={"xl/workbook.xml": workbook})


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("make", "name", "message"),
    [
        (encrypted_xlsx, "staff.xlsx", ENCRYPTED),
        (lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "staff.doc", NOT_A_SPREADSHEET_OLE),
        (strict_xlsx, "staff.xlsx", STRICT_XLSX),
        (lambda: b"%PDF-1.7\n\x00\x01binary", "staff.pdf", None),
    ],
)
def test_confusing_files_get_their_own_message_and_write_nothing(make, name, message, agency_a, roles):
    preview = refused(agency_a, make(), name)
    if message is not None:
        assert [error["message"] for error in preview.errors] == [message]
    else:
        assert "We can read .xlsx, .xls, .ods and .csv files" in preview.errors[0]["message"]


def test_macro_message_is_unchanged():
    assert "macros" in MACROS


# --- job title mappings --------------------------------------------------------------------------


TITLE_HEADERS = ["Staff number", "First name", "Last name", "Email", "Job title"]


def titles_file(rows):
    return csv_bytes(rows, headers=TITLE_HEADERS)


@pytest.mark.django_db
def test_job_title_mapping_round_trip(client, agency_a, roles, lead):
    from imports.models import JobTitleMapping
    from imports.services import import_commit
    from tests.imports.test_staff_import import TODAY

    rows = [
        ["E1", "Asha", "Patel", "asha@example.org", "Senior  residential support worker"],
        ["E2", "Ben", "Morgan", "ben@example.org", "Senior residential support worker"],
        ["E3", "Cara", "Lee", "cara@example.org", "Police officer"],
    ]
    record, preview = check(agency_a, titles_file(rows), actor=lead)
    assert not preview.ok
    assert preview.unmapped_titles == [
        {"title": "Senior residential support worker", "people": 2, "suggestions": []}
    ]
    assert StaffMember.objects.count() == 0

    client.force_login(lead)
    page = client.get(f"/imports/{record.pk}/")
    assert "Job titles to map" in page.content.decode()
    assert "2 people" in page.content.decode()
    response = client.post(f"/imports/{record.pk}/job-titles/", {"title_0": str(roles.social.pk)})
    assert response.status_code == 302
    mapping = JobTitleMapping.objects.get()
    assert (mapping.agency, mapping.title, mapping.job_role) == (
        agency_a,
        "Senior residential support worker",
        roles.social,
    )
    assert mapping.history.get().history_user == lead

    record, preview = check(agency_a, titles_file(rows), actor=lead)
    assert preview.ok, preview.errors
    import_commit(import_record=record, actor=lead, today=TODAY)
    stored = dict(StaffMember.objects.values_list("staff_number", "job_role"))
    assert stored == {"E1": roles.social.pk, "E2": roles.social.pk, "E3": roles.police.pk}

    # The same file again: same people, same roles, nothing changes.
    record, preview = check(agency_a, titles_file(rows), actor=lead)
    assert (preview.new, preview.updated, preview.unchanged) == (0, 0, 3)

    # Listed and editable on the agency's page; the change is in its history.
    page = client.get(f"/imports/agencies/{agency_a.slug}/job-titles/")
    assert "Senior residential support worker" in page.content.decode()
    client.post(f"/imports/agencies/{agency_a.slug}/job-titles/", {"title_0": str(roles.police.pk)})
    mapping.refresh_from_db()
    assert mapping.job_role == roles.police
    assert mapping.history.count() == 2


@pytest.mark.django_db
def test_a_mapping_also_reads_a_job_role_cell(agency_a, roles):
    from imports.models import JobTitleMapping

    JobTitleMapping.objects.create(agency=agency_a, title="Detective constable", job_role=roles.police)
    record, outcome = apply(agency_a, csv_bytes([staff_row("E1", role="Detective  Constable")]))
    assert StaffMember.objects.get().job_role == roles.police


@pytest.mark.django_db
def test_unknown_job_role_suggests_the_closest(agency_a, roles):
    preview = refused(agency_a, csv_bytes([staff_row("E1", role="Police oficer")]))
    assert 'Did you mean "Police officer"?' in preview.errors[0]["message"]
    assert preview.unmapped_titles[0]["suggestions"] == ["Police officer"]


@pytest.mark.django_db
def test_mappings_of_another_agency_are_a_404(client, agency_a, agency_b, hr_a):
    client.force_login(hr_a)
    assert client.get(f"/imports/agencies/{agency_b.slug}/job-titles/").status_code == 404
    assert client.get(f"/imports/agencies/{agency_a.slug}/job-titles/").status_code == 200


# --- completion files ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_completion_files_get_the_same_heading_and_sheet_rules():
    from imports.columns import heading_score
    from imports.kinds.completions import CompletionFileKind

    table = [["Provider report"], [], ["Learner email*", "Course code", "Completion date (dd/mm/yyyy)"]]
    table.append(["asha@example.org", "HSB1", "2026-01-05T00:00:00"])
    data = openpyxl_book([("Cover", [["Provider: Acme"]]), ("Completions", table)])
    sheet = open_sheet(data, "c.xlsx", score=heading_score(CompletionFileKind.columns))
    assert (sheet.sheet_name, sheet.header_row) == ("Completions", 3)
    assert parse_date(next(sheet.rows)[1][2]) == datetime.date(2026, 1, 5)
