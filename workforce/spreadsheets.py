"""Writing the spreadsheets people download: CSV and XLSX, every cell inert.

Every export, template and download of the tracker is written here, so one rule holds everywhere:
text a spreadsheet would run as a formula (starting with =, +, -, @, a tab or a carriage return)
gets a leading apostrophe and stays plain text. Uploads strip that apostrophe again (`uninert`,
used by imports.reading), so a file exported and uploaded again round-trips unchanged.
"""

import codecs
import csv
import datetime
import decimal
import io
import itertools
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass

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
    The same workbook as `xlsx_file`, in memory: for the small files (templates, problem reports).
    """
    buffer = io.BytesIO()
    xlsx_write(buffer, headers, rows, title=title, extra_sheets=extra_sheets, widths=widths)
    return buffer.getvalue()


def xlsx_file(headers, rows, *, title="Sheet1", extra_sheets=(), widths=None):
    """`write_xlsx` into an anonymous temporary file, returned open and rewound (for a FileResponse,
    which streams it out and closes it): memory stays flat however many rows there are."""
    target = tempfile.TemporaryFile()  # noqa: SIM115 (the response closes it)
    xlsx_write(target, headers, rows, title=title, extra_sheets=extra_sheets, widths=widths)
    target.seek(0)
    return target


def xlsx_write(target, headers, rows, *, title="Sheet1", extra_sheets=(), widths=None):
    """Write the workbook to `target` (a path or a binary file) one row at a time.

    XlsxWriter in constant_memory mode flushes each row to a temporary file as soon as the next one
    starts, so a 250,000-row export holds one row in memory (openpyxl's pure-Python XML writer was
    about twice as slow). Every string is written with write_string, never `write`, so nothing
    is ever a formula, a number or a link that the text merely looks like.
    """
    import xlsxwriter  # where it is used: start-up (commands, the worker) does without it

    workbook = xlsxwriter.Workbook(
        target,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    formats = _Formats(
        bold=workbook.add_format({"bold": True}),
        date=workbook.add_format({"num_format": "dd/mm/yyyy"}),
    )
    _write_sheet(workbook, formats, title, headers, rows, widths)
    for extra_title, extra_headers, extra_rows in extra_sheets:
        _write_sheet(workbook, formats, extra_title, extra_headers, extra_rows, None)
    workbook.close()


@dataclass(frozen=True)
class _Formats:
    bold: object
    date: object


_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _write_sheet(workbook, formats, title, headers, rows, widths):
    sheet = workbook.add_worksheet(title[:31])
    for index, header in enumerate(headers):
        width = (widths or {}).get(index) or max(12, min(40, len(str(header)) + 4))
        sheet.set_column(index, index, width)
    sheet.freeze_panes(1, 0)
    for column, header in enumerate(headers):
        _write_cell(sheet, 0, column, header, formats, formats.bold)
    for number, row in enumerate(rows, start=1):
        for column, value in enumerate(row):
            _write_cell(sheet, number, column, value, formats, None)


def _write_cell(sheet, row, column, value, formats, cell_format):
    value = _xlsx_value(value)
    if value is None:
        return
    if isinstance(value, bool):
        sheet.write_boolean(row, column, value, cell_format)
    elif isinstance(value, datetime.date):
        sheet.write_datetime(row, column, value, formats.date)
    elif isinstance(value, int | float | decimal.Decimal):
        sheet.write_number(row, column, value, cell_format)
    else:
        # Text, always: "#N/A" in a name or a note stays text, and so does "=SUM(A1)" (made inert).
        sheet.write_string(
            row, column, value if isinstance(value, str) else _xlsx_value(str(value)), cell_format
        )


def _xlsx_value(value):
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, str):
        # Characters XML cannot hold would make Excel call the file damaged. A carriage return is
        # a line break, as XML reads it (XlsxWriter would escape it as _x000D_, which openpyxl and
        # so our own uploads would keep as those seven characters).
        text = inert(_ILLEGAL_XML.sub("", value))
        return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text
    return value
