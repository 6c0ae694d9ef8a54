"""The spreadsheets people download (workforce.spreadsheets): the row-by-row writers give the same
cells as the in-memory ones, and every cell stays inert."""

import datetime
import decimal
import io

import openpyxl
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.styles import Font

from workforce.spreadsheets import inert, iter_csv, write_csv, write_xlsx, xlsx_file

HEADERS = ["Name", "Date", "Count", "Note"]
TRICKY = [
    ['=HYPERLINK("http://x")', datetime.date(2026, 3, 4), 3, "+44 7700"],
    ["-1", datetime.datetime(2026, 3, 4, 17, 30), 2.5, "@SUM(A1)"],
    ["\tTab", None, True, "\rReturn"],
    ["#N/A", datetime.date(1999, 12, 31), decimal.Decimal("1.25"), "line\r\nbreak"],
    ["Siân O'Brien", "", 0, "bell\x07 gone"],
    ["http://example.org", "2026-03-04", False, "'already quoted"],
]


def _reference_xlsx(headers, rows):
    """The workbook as openpyxl's write-only writer made it before XlsxWriter (the same rules:
    dates as dd/mm/yyyy date cells, error-like text as text, inert text, no control characters)."""
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(title="Sheet1")

    def value(cell):
        if isinstance(cell, datetime.datetime):
            cell = cell.date()
        if isinstance(cell, str):
            cell = inert("".join(c for c in cell if c >= " " or c in "\t\n\r"))
        return cell

    def xlsx_cell(cell):
        cell = value(cell)
        if isinstance(cell, datetime.date):
            written = WriteOnlyCell(sheet, value=cell)
            written.number_format = "dd/mm/yyyy"
            return written
        if isinstance(cell, str) and cell in ERROR_CODES:
            written = WriteOnlyCell(sheet, value=cell)
            written.data_type = "s"
            return written
        return cell

    bold = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = Font(bold=True)
        bold.append(cell)
    sheet.append(bold)
    for row in rows:
        sheet.append([xlsx_cell(cell) for cell in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def cells(data):
    """Every cell of the first sheet as (value, type, number format, bold)."""
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    return [
        [(cell.value, cell.data_type, cell.number_format, bool(cell.font.b)) for cell in row]
        for row in sheet.iter_rows()
    ]


def _empty_as_none(rows):
    # openpyxl wrote "" as a cell with no value; XlsxWriter as an empty string: both are an empty
    # cell in Excel, and an upload reads both as no value.
    return [[(None, "-", *cell[2:]) if cell[0] in ("", None) else cell for cell in row] for row in rows]


def test_xlsx_has_the_cells_openpyxl_wrote_cell_by_cell():
    written = _empty_as_none(cells(write_xlsx(HEADERS, iter(TRICKY))))
    assert written == _empty_as_none(cells(_reference_xlsx(HEADERS, TRICKY)))
    assert written[1][1] == (datetime.datetime(2026, 3, 4), "d", "dd/mm/yyyy", False)
    assert written[0][0] == ("Name", "s", "General", True)


def test_xlsx_text_is_never_a_formula_a_number_or_a_link():
    sheet = openpyxl.load_workbook(io.BytesIO(write_xlsx(HEADERS, TRICKY))).worksheets[0]
    values = {cell.value: cell.data_type for row in sheet.iter_rows(min_row=2) for cell in row}
    assert values['\'=HYPERLINK("http://x")'] == "s"
    assert values["'-1"] == "s"
    assert values["'@SUM(A1)"] == "s"
    assert values["'\nReturn"] == "s"
    assert values["#N/A"] == "s"
    assert values["http://example.org"] == "s"
    assert values["2026-03-04"] == "s"
    assert not sheet.parent.defined_names
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_xlsx_file_is_the_same_workbook_in_a_rewound_temporary_file():
    extra = [("Job roles", ["Role"], [["=Lead"]])]
    with xlsx_file(HEADERS, iter(TRICKY), title="People", extra_sheets=extra) as handle:
        streamed = handle.read()
    in_memory = write_xlsx(HEADERS, TRICKY, title="People", extra_sheets=extra)
    assert cells(streamed) == cells(in_memory)
    workbook = openpyxl.load_workbook(io.BytesIO(streamed))
    assert workbook.sheetnames == ["People", "Job roles"]
    assert workbook["Job roles"]["A2"].value == "'=Lead"
    assert workbook["People"].freeze_panes == "A2"


def test_iter_csv_equals_write_csv():
    assert b"".join(iter_csv(HEADERS, iter(TRICKY))) == write_csv(HEADERS, TRICKY)
    text = write_csv(HEADERS, TRICKY).decode("utf-8-sig")
    assert text.startswith('Name,Date,Count,Note\r\n"\'=HYPERLINK(""http://x"")",2026-03-04,3,')
    assert ",'@SUM(A1)\r\n" in text
