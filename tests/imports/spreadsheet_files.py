"""Small spreadsheets made inside the tests: CSV in several encodings, XLSX with real date cells
(openpyxl) and ODS with date and number cells (odfpy), plus staff rows in the template's columns."""

import csv
import datetime
import io
import zipfile

from odf.opendocument import OpenDocumentSpreadsheet
from odf.table import Table, TableCell, TableRow
from odf.text import P
from openpyxl import Workbook

HEADERS = [
    "Staff number",
    "First name",
    "Last name",
    "Email",
    "Job role",
    "Job title",
    "Team",
    "Line manager email",
    "Start date",
    "Leaving date",
]


def staff_row(number="E1", first="Asha", last="Patel", email=None, role="Police officer", **extra):
    """A row in HEADERS order; keyword arguments job_title, team, manager, start, left."""
    return [
        number,
        first,
        last,
        email if email is not None else f"{first}.{last}@example.org".lower(),
        role,
        extra.get("job_title", ""),
        extra.get("team", ""),
        extra.get("manager", ""),
        extra.get("start", "2020-01-06"),
        extra.get("left", ""),
    ]


def csv_bytes(rows, *, headers=HEADERS, encoding="utf-8", bom=False, delimiter=","):
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    if headers is not None:
        writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
    data = buffer.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def xlsx_bytes(rows, *, headers=HEADERS, sheets_before=(), date_format="dd/mm/yyyy"):
    """Dates (datetime.date) become real Excel date cells with `date_format`."""
    workbook = Workbook()
    sheet = workbook.active
    for title in sheets_before:
        workbook.create_sheet(title, 0)
    if headers is not None:
        sheet.append(headers)
    for row in rows:
        sheet.append(row)
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, datetime.date):
                cell.number_format = date_format
            elif isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # text that looks like a formula, as a person might type '=
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def ods_bytes(rows, *, headers=HEADERS, trailing_blank_rows=0):
    """Dates become OpenDocument date cells, numbers float cells; empty cells are written as one
    repeated cell, as LibreOffice does."""
    table_rows = ([headers] if headers is not None else []) + list(rows)
    return ods_book([("Staff", table_rows)], trailing_blank_rows=trailing_blank_rows)


def ods_book(sheets, *, trailing_blank_rows=0):
    """sheets: [(name, [rows])], each a sheet of the workbook in order."""
    document = OpenDocumentSpreadsheet()
    for name, rows in sheets:
        table = Table(name=name)
        for row in rows:
            table_row = TableRow()
            for value in row:
                table_row.addElement(_ods_cell(value))
            table.addElement(table_row)
        if trailing_blank_rows:
            blank = TableRow(numberrowsrepeated=trailing_blank_rows)
            blank.addElement(TableCell(numbercolumnsrepeated=1024))
            table.addElement(blank)
        document.spreadsheet.addElement(table)
    buffer = io.BytesIO()
    document.write(buffer)
    return buffer.getvalue()


def _ods_cell(value):
    if value is None or value == "":
        return TableCell()
    if isinstance(value, datetime.date):
        cell = TableCell(valuetype="date", datevalue=value.isoformat())
        cell.addElement(P(text=f"{value:%d/%m/%Y}"))
        return cell
    if isinstance(value, int | float):
        cell = TableCell(valuetype="float", value=value)
        cell.addElement(P(text=str(value)))
        return cell
    cell = TableCell(valuetype="string")
    cell.addElement(P(text=str(value)))
    return cell


def rezip(data, *, replace=None, add=None, drop=()):
    """A copy of a zip-based workbook with members replaced, added or dropped."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename in drop:
                continue
            payload = (replace or {}).get(info.filename, source.read(info.filename))
            target.writestr(info.filename, payload)
        for name, payload in (add or {}).items():
            target.writestr(name, payload)
    return buffer.getvalue()
