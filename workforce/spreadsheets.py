"""Writing the spreadsheets people download: CSV and XLSX, every cell inert.

Every export, template and download of the tracker is written here, so one rule holds everywhere:
text a spreadsheet would run as a formula (starting with =, +, -, @, a tab or a carriage return)
gets a leading apostrophe and stays plain text. Uploads strip that apostrophe again (`uninert`,
used by imports.reading), so a file exported and uploaded again round-trips unchanged.
"""

import codecs
import csv
import datetime
import io
import itertools
import re
from collections.abc import Iterator

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.styles import Font

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def inert(value):
    """Text a spreadsheet would run as a formula gets a leading apostrophe, which makes it plain text.

    Uploads strip that apostrophe again (see `uninert`), so exporting and re-importing round-trips.
    """
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def uninert(text):
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@\t\r":
        return text[1:]
    return text


def _csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return inert(str(value))


def write_csv(headers, rows) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel shows accented names correctly."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([_csv_cell(header) for header in headers])
    for row in rows:
        writer.writerow([_csv_cell(value) for value in row])
    return codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8")


def iter_csv(headers, rows) -> Iterator[bytes]:
    """write_csv, a line at a time, for a streamed download of any length (same cells, same BOM)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    yield codecs.BOM_UTF8
    for row in itertools.chain([headers], rows):
        writer.writerow([_csv_cell(value) for value in row])
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()


def write_xlsx(headers, rows, *, title="Sheet1", extra_sheets=(), widths=None) -> bytes:
    """A workbook whose first sheet holds `headers` and `rows`; dates become real date cells.

    `extra_sheets` is a sequence of (title, headers, rows) for reference sheets such as job roles.
    """
    workbook = Workbook(write_only=True)
    _write_sheet(workbook, title, headers, rows, widths)
    for extra_title, extra_headers, extra_rows in extra_sheets:
        _write_sheet(workbook, extra_title, extra_headers, extra_rows, None)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _write_sheet(workbook, title, headers, rows, widths):
    sheet = workbook.create_sheet(title=title[:31])
    for index, header in enumerate(headers):
        width = (widths or {}).get(index) or max(12, min(40, len(str(header)) + 4))
        sheet.column_dimensions[_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=_xlsx_value(header))
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        sheet.append([_xlsx_cell(sheet, value) for value in row])


def _xlsx_cell(sheet, value):
    value = _xlsx_value(value)
    if isinstance(value, datetime.date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "dd/mm/yyyy"
        return cell
    if isinstance(value, str) and value in ERROR_CODES:
        # openpyxl would store "#N/A" as an error value; a name or note is text, always.
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def _xlsx_value(value):
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, str):
        # Characters XML cannot hold would make Excel call the file damaged.
        return inert(_ILLEGAL_XML.sub("", value))
    return value


def _column_letter(index):
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters
