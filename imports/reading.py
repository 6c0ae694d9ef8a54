"""Reading the spreadsheets people upload: CSV, XLSX and ODS (writing is workforce.spreadsheets).

Reading turns a file's bytes into a header row and data rows of plain Python values (text, numbers,
dates, booleans) with the spreadsheet's own row numbers, after the safety checks every upload needs:
size and row caps, archive size before anything is unpacked, macro-enabled and password-protected
workbooks refused. Nothing here knows about staff or modules; see imports.columns for columns.

XLSX is read with a small streaming reader rather than openpyxl: openpyxl's read-only mode spends
about 30 microseconds per cell in Python (18 s for a 50,000-row staff list on our hardware), which
would break the import speed targets. The reader below hands the XML of a few thousand rows at a
time to the C parser and uses openpyxl's helpers for the parts that need care (number formats that
are dates, Excel serial dates). XML parts are parsed without DTDs: defusedxml for the small parts,
and for the sheet itself the parser only ever sees slices of the sheet's rows wrapped in the sheet's
own root tag, never the document prolog where a DTD could be declared.

ODS is read from content.xml with defusedxml rather than through tablib (what
django-import-export[ods] installs): tablib drops repeated empty cells, which shifts the columns
after an empty cell, and joins every sheet of the workbook into one. Its sheet is chosen by its
headings, as an XLSX workbook's is.
"""

import codecs
import csv
import datetime
import io
import posixpath
import re

# Only ever fed slices of sheet rows without the document prolog (see the module docstring).
import xml.etree.ElementTree as ET  # noqa: S405
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH, from_excel

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_DATA_ROWS = 250_000
# A 250,000-row staff list is about 150 MB of sheet XML; anything far beyond is not a staff list.
MAX_UNCOMPRESSED_BYTES = 500 * 1024 * 1024
# Spreadsheet XML compresses 10 to 30 times; a part that shrank 200 times is padding, not data.
MAX_COMPRESSION_RATIO = 200
MAX_ARCHIVE_MEMBERS = 5_000
MAX_COLUMNS = 200

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
TEXT_EXTENSIONS = {"", ".csv", ".txt", ".tsv"}
# Names of OLE2 streams, as the compound file's directory spells them (UTF-16).
_OLE_ENCRYPTION_INFO = "EncryptionInfo".encode("utf-16-le")
_OLE_WORKBOOK = ("Workbook".encode("utf-16-le"), "Book".encode("utf-16-le"))
WORKBOOK_EXTENSIONS = {".xlsx", ".xlsm", ".xltx", ".xltm", ".ods", ".ots"}

ENCRYPTED_OR_XLS = (
    "This workbook is password-protected; save it as .xlsx without a password and upload it again."
)
ENCRYPTED = (
    "This workbook is password-protected, so we cannot read it. Open it in Excel, remove the "
    "password (File, Info, Protect Workbook, Encrypt with Password, then clear the password), save "
    "it and upload it again."
)
ENCRYPTED_XLS = (
    "This old-style .xls workbook is password-protected, so we cannot read it. Open it, remove the "
    "password, save it as .xlsx and upload that."
)
UNREADABLE_XLS = (
    "This old-style Excel (.xls) file could not be read: it may be damaged or made by a program "
    "we do not know. Open it in your spreadsheet program, save it as .xlsx and upload that."
)
NOT_A_SPREADSHEET_OLE = (
    "This is an Office file but not a spreadsheet (perhaps a Word document). Upload an .xlsx, "
    ".xls, .ods or .csv file."
)
STRICT_XLSX = (
    'This workbook is saved as "Strict Open XML Spreadsheet", which we cannot read. In Excel choose '
    'File, Save As, and pick "Excel Workbook (*.xlsx)", then upload that file.'
)
ENCRYPTED_ODS = "This spreadsheet is password-protected; save it without a password and upload it again."
MACROS = (
    "This workbook contains macros, which we do not accept. Save a copy as an ordinary .xlsx "
    "workbook (or .ods), without macros, and upload that."
)


class SpreadsheetRefused(Exception):
    """The file as a whole cannot be read; the message says why in plain English."""

    def __init__(self, message, *, row=None):
        super().__init__(message)
        self.message = message
        self.row = row


class CellError(str):
    """A cell that shows a spreadsheet error such as #N/A or #REF! instead of a value."""


@dataclass
class Sheet:
    file_format: str
    header_row: int
    headers: list
    rows: Iterator
    estimated_rows: int
    sheet_name: str = ""  # the workbook's sheet read ("" for CSV)


# ---------------------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------------------


HEADER_SEARCH_ROWS = 10


def open_sheet(data: bytes, file_name: str = "", *, score=None) -> Sheet:
    """Check the file and return its header and a generator of (row number, cells) for data rows.

    Raises SpreadsheetRefused with a plain-English reason when the file cannot be accepted. The rows
    generator raises it too, for problems only found while reading (too many rows, a corrupt part).
    Blank rows are skipped wherever they are; row numbers stay those the spreadsheet shows.

    `score(headers)` says how many of an import's columns a row of headings names. With it, the
    heading row is the best-scoring of the first HEADER_SEARCH_ROWS rows (report banners, titles
    and blank rows above it are skipped); those rows are kept as read, so the file is read once.
    """
    extension = posixpath.splitext((file_name or "").lower())[1]
    if len(data) > MAX_FILE_BYTES:
        raise SpreadsheetRefused(
            f"The file is {_megabytes(len(data))}; the limit is {MAX_FILE_BYTES // (1024 * 1024)} MB. "
            "Remove columns we do not use, or split the file."
        )
    if not data.strip():
        raise SpreadsheetRefused("The file is empty.")
    if data.startswith(OLE2_MAGIC):
        file_format, raw_rows, estimate, sheet_name = _open_ole2(data, score)
    elif data[:4] in ZIP_MAGIC:
        file_format, raw_rows, estimate, sheet_name = _open_archive(data, score)
    else:
        if extension in WORKBOOK_EXTENSIONS or extension in (".xls", ".xlt"):
            raise SpreadsheetRefused(
                f"This file is named {extension} but is not a workbook we can open: it may be "
                "damaged. Open it in your spreadsheet program, save it again as .xlsx and upload that."
            )
        if extension not in TEXT_EXTENSIONS:
            raise SpreadsheetRefused(
                "We can read .xlsx, .xls, .ods and .csv files. Save the spreadsheet in one of those formats."
            )
        file_format, sheet_name = "csv", ""
        raw_rows, estimate = _csv_rows(data)
    sheet = _with_header(file_format, raw_rows, estimate, score)
    sheet.sheet_name = sheet_name
    return sheet


def _with_header(file_format, raw_rows, estimate, score=None):
    if score is not None:
        raw_rows = _from_heading_row(raw_rows, score)
    header_row, headers = 0, None
    for number, cells in raw_rows:
        if _is_blank(cells):
            continue
        header_row = number
        headers = [_header_text(cell) for cell in cells]
        break
    if headers is None:
        raise SpreadsheetRefused("The file is empty: it has no header row and no data.")
    while headers and not headers[-1]:
        headers.pop()
    width = len(headers)
    return Sheet(
        file_format=file_format,
        header_row=header_row,
        headers=headers,
        rows=_data_rows(raw_rows, width),
        estimated_rows=max(0, estimate - header_row),
    )


def _from_heading_row(raw_rows, score):
    """The rows from the best heading row among the first HEADER_SEARCH_ROWS on (the first
    non-blank row when none names a column)."""
    raw_rows = iter(raw_rows)
    head = []
    for number, cells in raw_rows:
        head.append((number, cells))
        if number >= HEADER_SEARCH_ROWS:
            break
    best, best_score = None, 0
    for index, (_number, cells) in enumerate(head):
        if _is_blank(cells):
            continue
        found = score([_header_text(cell) for cell in cells])
        if found > best_score:
            best, best_score = index, found
    if best is not None:
        head = head[best:]
    yield from head
    yield from raw_rows


def _data_rows(raw_rows, width):
    count = 0
    for number, cells in raw_rows:
        if _is_blank(cells):
            continue
        count += 1
        if count > MAX_DATA_ROWS:
            raise SpreadsheetRefused(
                f"The file has more than {MAX_DATA_ROWS:,} rows of data, the most we accept in one "
                "upload. Split it into smaller files.",
                row=number,
            )
        if len(cells) < width:
            cells = list(cells) + [None] * (width - len(cells))
        elif len(cells) > width:
            cells = cells[:width]
        yield number, cells


def _is_blank(cells):
    for cell in cells:
        if cell is None:
            continue
        if isinstance(cell, str):
            if cell.strip():
                return False
            continue
        return False
    return True


def _header_text(cell):
    if cell is None:
        return ""
    if isinstance(cell, datetime.datetime | datetime.date):
        return cell.isoformat()
    return " ".join(str(cell).split())


def _megabytes(size):
    return f"{size / (1024 * 1024):.1f} MB"


# ---------------------------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------------------------


def decode_text(data: bytes) -> str:
    """UTF-8 with or without a byte-order mark, UTF-16 with one, else Windows-1252 (Excel's
    "CSV" on a UK Windows machine)."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise SpreadsheetRefused(_UNREADABLE_TEXT) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise SpreadsheetRefused(_UNREADABLE_TEXT) from None


_UNREADABLE_TEXT = (
    "We could not read the characters in this file. In your spreadsheet program choose "
    'Save As, then "CSV UTF-8", and upload that file.'
)


def _csv_rows(data):
    text = decode_text(data)
    if "\x00" in text:
        raise SpreadsheetRefused(
            "This file contains binary data, so it is not a CSV file. Upload an .xlsx, .ods or .csv file."
        )
    delimiter = _sniff_delimiter(text)
    estimate = text.count("\n") + 1
    return _csv_records(text, delimiter), estimate


def _sniff_delimiter(text):
    """Commas in the UK; semicolons from European settings; tabs from "Unicode text" exports: the
    one most used on a line among the first lines."""
    # The heading row may be below a report banner: look at the first lines that hold anything.
    lines = []
    for line in io.StringIO(text[: 64 * 1024]):
        if line.strip():
            lines.append(line)
            if len(lines) >= HEADER_SEARCH_ROWS:
                break
    # A report banner has no delimiter or one ("Staff list, March 2026"); a heading row has several.
    delimiters = (",", ";", "\t")
    line = next(
        (line for line in lines if max(line.count(delimiter) for delimiter in delimiters) >= 2),
        lines[0] if lines else "",
    )
    counts = {delimiter: line.count(delimiter) for delimiter in delimiters}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _csv_records(text, delimiter):
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number = 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise SpreadsheetRefused(
                f"Row {number + 1} could not be read as CSV ({exc}). Check for a stray quotation mark.",
                row=number + 1,
            ) from None
        number += 1
        yield number, record


# ---------------------------------------------------------------------------------------------
# Archives: XLSX and ODS
# ---------------------------------------------------------------------------------------------


def _open_archive(data, score=None):
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise SpreadsheetRefused(_DAMAGED) from None
    _check_archive_size(members)
    if any(member.flag_bits & 0x1 for member in members):
        raise SpreadsheetRefused(ENCRYPTED_OR_XLS)
    names = {member.filename for member in members}
    if "mimetype" in names:
        return _open_ods(archive, names, score)
    if "[Content_Types].xml" in names:
        return _open_xlsx(archive, names, score)
    raise SpreadsheetRefused(
        "This is a compressed (.zip) file but not a spreadsheet. Upload an .xlsx, .ods or .csv file."
    )


_DAMAGED = (
    "This workbook is damaged and cannot be opened. Open it in your spreadsheet program, save it "
    "again as .xlsx and upload the new file."
)


def _check_archive_size(members):
    """Decide from the archive's directory alone, before unpacking a byte, whether it is a bomb.

    zipfile never inflates a member beyond the size its directory declares, so the declared sizes
    bound the memory and time that opening it can take.
    """
    if len(members) > MAX_ARCHIVE_MEMBERS:
        raise SpreadsheetRefused(_DAMAGED)
    total = sum(member.file_size for member in members)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise SpreadsheetRefused(
            f"This workbook expands to {_megabytes(total)} when opened, more than the "
            f"{_megabytes(MAX_UNCOMPRESSED_BYTES)} we accept. Remove formatting, images and other "
            "sheets, or save it as CSV."
        )
    for member in members:
        if member.file_size > 1024 * 1024 and member.file_size > MAX_COMPRESSION_RATIO * max(
            member.compress_size, 1
        ):
            raise SpreadsheetRefused(
                "This workbook is unusually compressed (it would expand "
                f"{member.file_size // max(member.compress_size, 1):,} times), so we have not opened "
                "it. Save it again as .xlsx or CSV from your spreadsheet program."
            )


def _read_member(archive, name):
    try:
        return archive.read(name)
    except (zipfile.BadZipFile, KeyError, OSError, EOFError, NotImplementedError):
        raise SpreadsheetRefused(_DAMAGED) from None


def _parse_small_xml(payload):
    try:
        return SafeET.fromstring(payload)
    except (ET.ParseError, DefusedXmlException, ValueError):
        raise SpreadsheetRefused(_DAMAGED) from None


# ---------------------------------------------------------------------------------------------
# XLSX
# ---------------------------------------------------------------------------------------------

NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
NS_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
# Built-in number formats that are dates in some locale but are not spelt out in the file.
LOCALE_DATE_FORMAT_IDS = set(range(27, 37)) | set(range(50, 59))
SHEET_BLOCK_BYTES = 1024 * 1024


def _open_xlsx(archive, names, score=None):
    content_types = _read_member(archive, "[Content_Types].xml")
    if "xl/vbaProject.bin" in names or b"macroEnabled" in content_types:
        raise SpreadsheetRefused(MACROS)
    if "xl/workbook.bin" in names:
        raise SpreadsheetRefused(
            "This is a binary Excel workbook (.xlsb). Save it as an ordinary .xlsx workbook and upload that."
        )
    if "xl/workbook.xml" not in names:
        raise SpreadsheetRefused(
            "This file is an Office document but not a spreadsheet. Upload an .xlsx, .ods or .csv file."
        )
    workbook = _parse_small_xml(_read_member(archive, "xl/workbook.xml"))
    if workbook.tag.startswith("{http://purl.oclc.org/ooxml/"):
        raise SpreadsheetRefused(STRICT_XLSX)
    sheets = _sheet_paths(archive, workbook, names)
    properties = workbook.find(f"{NS_MAIN}workbookPr")
    mac_dates = properties is not None and properties.get("date1904") in ("1", "true")
    shared = _shared_strings(archive, names)
    date_styles, padded_styles = _cell_styles(archive, names)

    def reader_of(path):
        return _XlsxSheetReader(
            archive=archive,
            path=path,
            shared=shared,
            date_styles=date_styles,
            padded_styles=padded_styles,
            epoch=MAC_EPOCH if mac_dates else WINDOWS_EPOCH,
        )

    if score is None or len(sheets) == 1:
        name, path = sheets[0]
        reader = reader_of(path)
        return "xlsx", reader.rows(), reader.estimate_rows(), name
    # Several sheets: the one whose headings match best (the active sheet when several do). Only
    # the first rows of each are read, and the chosen sheet's go on from where they stopped.
    view = workbook.find(f"{NS_MAIN}bookViews/{NS_MAIN}workbookView")
    active = (
        int(view.get("activeTab", "0")) if view is not None and view.get("activeTab", "0").isdigit() else 0
    )
    best = None
    for position, (name, path) in enumerate(sheets):
        reader = reader_of(path)
        rows = reader.rows()
        head = []
        for number, cells in rows:
            head.append((number, cells))
            if number >= HEADER_SEARCH_ROWS:
                break
        found = max((score([_header_text(cell) for cell in cells]) for _n, cells in head), default=0)
        rank = (found, position == active)
        if best is None or rank > best[0]:
            best = (rank, name, reader, head, rows)
    _rank, name, reader, head, rows = best
    return "xlsx", _chained(head, rows), reader.estimate_rows(), name


def _chained(head, rows):
    yield from head
    yield from rows


def _sheet_paths(archive, workbook, names):
    """(name, path in the archive) of each visible sheet, in the workbook's order."""
    sheets = workbook.findall(f"{NS_MAIN}sheets/{NS_MAIN}sheet")
    visible = [sheet for sheet in sheets if sheet.get("state", "visible") == "visible"] or sheets
    if not visible:
        raise SpreadsheetRefused("This workbook has no sheets.")
    rels_name = "xl/_rels/workbook.xml.rels"
    if rels_name not in names:
        raise SpreadsheetRefused(_DAMAGED)
    targets = {}
    for relation in _parse_small_xml(_read_member(archive, rels_name)).iter(f"{NS_PKG_REL}Relationship"):
        target = relation.get("Target", "")
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
        targets[relation.get("Id")] = path
    found = []
    for sheet in visible:
        path = targets.get(sheet.get(f"{NS_REL}id"))
        if path in names:
            found.append((sheet.get("name", ""), path))
    if not found:
        raise SpreadsheetRefused(_DAMAGED)
    return found


def _shared_strings(archive, names):
    name = next((n for n in ("xl/sharedStrings.xml", "xl/SharedStrings.xml") if n in names), None)
    if name is None:
        return []
    strings = []
    tag_si = f"{NS_MAIN}si"
    try:
        with archive.open(name) as stream:
            for _event, element in SafeET.iterparse(stream, events=("end",)):
                if element.tag == tag_si:
                    strings.append(_rich_text(element))
                    element.clear()
    except (ET.ParseError, DefusedXmlException, zipfile.BadZipFile, OSError, EOFError, ValueError):
        raise SpreadsheetRefused(_DAMAGED) from None
    return strings


def _rich_text(element):
    """The text of a shared or inline string: plain <t>, or the runs <r><t> of rich text.

    Phonetic guides (<rPh>) are not part of the value.
    """
    tag_t, tag_r = f"{NS_MAIN}t", f"{NS_MAIN}r"
    parts = []
    for child in element:
        if child.tag == tag_t:
            parts.append(child.text or "")
        elif child.tag == tag_r:
            text = child.find(tag_t)
            if text is not None:
                parts.append(text.text or "")
    return "".join(parts)


def _cell_styles(archive, names):
    """(indexes of the cell styles whose number format displays a date, {index: digits} of those
    that display whole numbers zero-padded, such as 00000: 123 shows as 00123)."""
    if "xl/styles.xml" not in names:
        return frozenset(), {}
    styles = _parse_small_xml(_read_member(archive, "xl/styles.xml"))
    custom = {
        int(fmt.get("numFmtId", "-1")): fmt.get("formatCode", "")
        for fmt in styles.iter(f"{NS_MAIN}numFmt")
        if (fmt.get("numFmtId") or "").isdigit()
    }
    cell_xfs = styles.find(f"{NS_MAIN}cellXfs")
    if cell_xfs is None:
        return frozenset(), {}
    dates, padded = set(), {}
    for index, xf in enumerate(cell_xfs.findall(f"{NS_MAIN}xf")):
        raw_id = xf.get("numFmtId", "0")
        format_id = int(raw_id) if raw_id.isdigit() else 0
        code = custom.get(format_id, BUILTIN_FORMATS.get(format_id))
        if format_id in LOCALE_DATE_FORMAT_IDS or is_date_format(code):
            dates.add(index)
        elif code and re.fullmatch(r"0{2,}", code.split(";")[0]):
            padded[index] = len(code.split(";")[0])
    return frozenset(dates), padded


_COLUMN_INDEXES = {}


def _column_index(reference):
    letters = reference.rstrip("0123456789")
    index = _COLUMN_INDEXES.get(letters)
    if index is None:
        index = 0
        for letter in letters.upper():
            index = index * 26 + (ord(letter) - 64)
        index -= 1
        _COLUMN_INDEXES[letters] = index
    return index


class _XlsxSheetReader:
    """Streams one worksheet's rows: slices of whole <row> elements go to the C XML parser."""

    _root = re.compile(rb"<([\w.-]+:)?worksheet\b[^>]*>")
    _sheet_data = re.compile(rb"<([\w.-]+:)?sheetData\b[^>]*?(/?)>")

    def __init__(self, *, archive, path, shared, date_styles, epoch, padded_styles=None):
        self.archive = archive
        self.path = path
        self.shared = shared
        self.date_styles = date_styles
        self.padded_styles = padded_styles or {}
        self.epoch = epoch
        self.tag_row = NS_MAIN + "row"
        self._dates = {}

    def estimate_rows(self):
        # The declared sheet dimension is often wrong; counting row tags is cheap enough and exact.
        try:
            with self.archive.open(self.path) as stream:
                count = prefixed = 0
                tail = b""
                while block := stream.read(max(SHEET_BLOCK_BYTES * 4, 64 * 1024)):
                    # Count across the seam between blocks; a whole tag left in the carried tail
                    # (only ":row>" fits in five bytes) would be counted twice, so take it off.
                    window = tail + block
                    count += window.count(b"</row>")
                    prefixed += window.count(b":row>")
                    tail = window[-5:]
                    prefixed -= tail.count(b":row>")
                return count or prefixed
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError):
            raise SpreadsheetRefused(_DAMAGED) from None

    def rows(self):
        try:
            with self.archive.open(self.path) as stream:
                yield from self._rows(stream)
        except (ET.ParseError, zipfile.BadZipFile, OSError, EOFError, NotImplementedError):
            raise SpreadsheetRefused(_DAMAGED) from None

    def _rows(self, stream):
        head = b""
        while True:
            block = stream.read(SHEET_BLOCK_BYTES)
            head += block
            found = self._sheet_data.search(head)
            if found or not block:
                break
            if len(head) > 16 * SHEET_BLOCK_BYTES:
                raise SpreadsheetRefused(_DAMAGED)
        root = self._root.search(head)
        if found is None or root is None or root.start() > found.start():
            raise SpreadsheetRefused(_DAMAGED)
        if found.group(2) == b"/":
            return
        prefix = found.group(1) or b""
        wrapper_open = root.group(0)
        wrapper_close = b"</" + (root.group(1) or b"") + b"worksheet>"
        row_close = b"</" + prefix + b"row>"
        data_close = b"</" + prefix + b"sheetData>"
        buffer = head[found.end() :]
        last_row = 0
        at_end = False
        while True:
            end = buffer.find(data_close)
            if end != -1:
                chunk, buffer, finished = buffer[:end], b"", True
            else:
                cut = buffer.rfind(row_close)
                if cut == -1 or (len(buffer) < SHEET_BLOCK_BYTES and not at_end):
                    block = stream.read(SHEET_BLOCK_BYTES)
                    if not block:
                        if at_end:
                            raise SpreadsheetRefused(_DAMAGED)
                        at_end = True
                    buffer += block
                    continue
                cut += len(row_close)
                chunk, buffer, finished = buffer[:cut], buffer[cut:], False
            if b"<!" in chunk:
                # Comments or CDATA inside the rows: never written by spreadsheet programs, and a
                # slice boundary could fall inside one, so hand the rest to a streaming parser.
                yield from self._pull_rows(wrapper_open, found.group(0) + chunk + buffer, stream, last_row)
                return
            for element in ET.fromstring(wrapper_open + chunk + wrapper_close):  # noqa: S314
                last_row = self._row_number(element, last_row)
                yield last_row, self._row_values(element)
            if finished:
                return

    def _pull_rows(self, wrapper_open, pending, stream, last_row):
        parser = ET.XMLPullParser(events=("end",))  # noqa: S314 (the prolog is never fed)
        parser.feed(wrapper_open)
        parser.feed(pending)
        depth_tag = NS_MAIN + "sheetData"
        while True:
            for _event, element in parser.read_events():
                if element.tag == self.tag_row:
                    last_row = self._row_number(element, last_row)
                    yield last_row, self._row_values(element)
                    element.clear()
                elif element.tag == depth_tag:
                    return
            block = stream.read(SHEET_BLOCK_BYTES)
            if not block:
                raise SpreadsheetRefused(_DAMAGED)
            parser.feed(block)

    @staticmethod
    def _row_number(element, last_row):
        raw = element.get("r")
        return int(raw) if raw and raw.isdigit() else last_row + 1

    def _row_values(self, row):
        # The hot loop of a large upload: about half a million cells for a 50,000-row staff list,
        # so the common shapes (in-order cells, a value or an inline string as the first child)
        # are read by position rather than searched for.
        tag_c, tag_v, tag_is, tag_t = NS_MAIN + "c", NS_MAIN + "v", NS_MAIN + "is", NS_MAIN + "t"
        shared = self.shared
        values = []
        for cell in row:
            if cell.tag != tag_c or not len(cell):
                continue
            reference = cell.get("r")
            if reference is None:
                column = len(values)
            elif reference[1].isdigit():
                column = ord(reference[0]) - 65
            else:
                column = _column_index(reference)
            if column >= MAX_COLUMNS or column < 0:
                continue
            kind = cell.get("t")
            first = cell[0]
            if kind == "inlineStr":
                inline = first if first.tag == tag_is else cell.find(tag_is)
                if inline is None:
                    continue
                if len(inline) == 1 and inline[0].tag == tag_t:
                    value = inline[0].text or ""
                else:
                    value = _rich_text(inline)
            else:
                raw = first if first.tag == tag_v else cell.find(tag_v)
                if raw is None:
                    continue
                text = raw.text
                if text is None:
                    continue
                if kind == "s":
                    try:
                        value = shared[int(text)]
                    except (ValueError, IndexError):
                        raise SpreadsheetRefused(_DAMAGED) from None
                else:
                    value = self._typed_value(kind or "n", text, cell.get("s"))
            if column == len(values):
                values.append(value)
            else:
                if column > len(values):
                    values.extend([None] * (column + 1 - len(values)))
                values[column] = value
        return values

    def _serial_date(self, number):
        """An Excel serial number shown as a date; a date column repeats few values, so cache them."""
        moment = self._dates.get(number)
        if moment is None:
            try:
                moment = from_excel(number, self.epoch)
            except (OverflowError, ValueError):
                return number
            if not isinstance(moment, datetime.datetime):
                return number
            self._dates[number] = moment
        return moment

    def _typed_value(self, kind, text, style):
        if kind == "str":
            return text
        if kind == "b":
            return text.strip() in ("1", "true")
        if kind == "e":
            return CellError(text)
        if kind == "d":
            try:
                return datetime.datetime.fromisoformat(text.strip())
            except ValueError:
                return text
        try:
            number = float(text)
        except ValueError:
            return text
        if style is not None and style.isdigit():
            if int(style) in self.date_styles:
                return self._serial_date(number)
            digits = self.padded_styles.get(int(style))
            if digits is not None and number.is_integer() and number >= 0:
                # What the spreadsheet displays: 123 formatted 00000 is the text 00123.
                return str(int(number)).zfill(digits)
        if number.is_integer() and abs(number) < 1e15:
            return int(number)
        return number


# ---------------------------------------------------------------------------------------------
# Legacy Excel (.xls, BIFF in an OLE2 compound file), read with xlrd
# ---------------------------------------------------------------------------------------------


def _open_ole2(data, score=None):
    """An OLE2 compound file: a password-protected .xlsx (an encrypted package), an old .xls, or
    another Office file. xlrd reads .xls; each other case has its own message."""
    if _OLE_ENCRYPTION_INFO in data:
        raise SpreadsheetRefused(ENCRYPTED)
    if not any(name in data for name in _OLE_WORKBOOK):
        raise SpreadsheetRefused(NOT_A_SPREADSHEET_OLE)
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True)
    except xlrd.biffh.XLRDError as exc:
        if "encrypt" in str(exc).lower():
            raise SpreadsheetRefused(ENCRYPTED_XLS) from None
        raise SpreadsheetRefused(UNREADABLE_XLS) from None
    except Exception:  # noqa: BLE001 - xlrd raises many kinds of error on a damaged file
        raise SpreadsheetRefused(UNREADABLE_XLS) from None
    if any(name.lower().startswith("_vba") for name in getattr(book, "name_map", {})):
        raise SpreadsheetRefused(MACROS)
    sheets = [book.sheet_by_index(index) for index in range(book.nsheets)]
    sheets = [sheet for sheet in sheets if getattr(sheet, "visibility", 0) == 0] or sheets
    if not sheets:
        raise SpreadsheetRefused("This workbook has no sheets.")
    chosen = sheets[0]
    if score is not None and len(sheets) > 1:
        active = next((sheet for sheet in sheets if getattr(sheet, "sheet_visible", 0)), sheets[0])
        best = None
        for sheet in sheets:
            found = max(
                (
                    score([_header_text(cell) for cell in _xls_row(book, sheet, index)])
                    for index in range(min(sheet.nrows, HEADER_SEARCH_ROWS))
                ),
                default=0,
            )
            rank = (found, sheet is active)
            if best is None or rank > best[0]:
                best = (rank, sheet)
        chosen = best[1]
    if chosen.nrows > MAX_DATA_ROWS + HEADER_SEARCH_ROWS:
        raise SpreadsheetRefused(
            f"The file has more than {MAX_DATA_ROWS:,} rows of data, the most we accept in one "
            "upload. Split it into smaller files."
        )
    rows = ((index + 1, _xls_row(book, chosen, index)) for index in range(chosen.nrows))
    return "xls", rows, chosen.nrows, chosen.name


def _xls_row(book, sheet, index):
    import xlrd

    cells = []
    for column, cell in enumerate(sheet.row(index)):
        kind, value = cell.ctype, cell.value
        if kind in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
            cells.append(None)
        elif kind == xlrd.XL_CELL_TEXT:
            cells.append(value)
        elif kind == xlrd.XL_CELL_BOOLEAN:
            cells.append(bool(value))
        elif kind == xlrd.XL_CELL_ERROR:
            cells.append(CellError(xlrd.error_text_from_code.get(value, "#VALUE!")))
        elif kind == xlrd.XL_CELL_DATE:
            try:
                moment = xlrd.xldate.xldate_as_datetime(value, book.datemode)
            except (ValueError, OverflowError, xlrd.xldate.XLDateError):
                cells.append(value)
                continue
            cells.append(moment.date() if moment.time() == datetime.time() else moment)
        else:
            cells.append(_xls_number(book, sheet, index, column, value))
    return cells


def _xls_number(book, sheet, index, column, value):
    if float(value).is_integer() and abs(value) < 1e15:
        xf = book.xf_list[sheet.cell_xf_index(index, column)]
        code = book.format_map.get(xf.format_key)
        pattern = (code.format_str.split(";")[0] if code is not None else "") or ""
        if re.fullmatch(r"0{2,}", pattern) and value >= 0:
            return str(int(value)).zfill(len(pattern))
        return int(value)
    return value


# ---------------------------------------------------------------------------------------------
# ODS
# ---------------------------------------------------------------------------------------------

NS_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
NS_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
NS_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"


_ODS_TABLE = re.compile(rb"<table:table[\s>]")
_ODS_TABLE_NAME = re.compile(rb'table:name="([^"]*)"')


def _open_ods(archive, names, score=None):
    if _read_member(archive, "mimetype").strip() != ODS_MIMETYPE:
        raise SpreadsheetRefused(
            "This is an OpenDocument file but not a spreadsheet. Upload an .ods, .xlsx or .csv file."
        )
    if any(name.startswith(("Basic/", "Scripts/")) for name in names):
        raise SpreadsheetRefused(MACROS)
    if "META-INF/manifest.xml" in names:
        if b"encryption-data" in _read_member(archive, "META-INF/manifest.xml"):
            raise SpreadsheetRefused(ENCRYPTED_ODS)
    if "content.xml" not in names:
        raise SpreadsheetRefused(_DAMAGED)
    content = _read_member(archive, "content.xml")
    estimate = content.count(b"<table:table-row")
    tables = _ods_table_names(content)
    if score is None or len(tables) <= 1:
        return "ods", _ods_rows(archive), estimate, tables[0] if tables else ""
    # Several sheets: the one whose headings match best, the first when several do (as for XLSX,
    # only the first rows of each are read, and the chosen sheet's go on from where they stopped).
    best = None
    for position, name in enumerate(tables):
        rows = _ods_rows(archive, table=position)
        head = []
        for number, cells in rows:
            head.append((number, cells))
            if number >= HEADER_SEARCH_ROWS:
                break
        found = max((score([_header_text(cell) for cell in cells]) for _n, cells in head), default=0)
        if best is None or found > best[0]:
            best = (found, name, head, rows)
    _found, name, head, rows = best
    return "ods", _chained(head, rows), estimate, name


def _ods_table_names(content):
    """The names of the sheets of content.xml, in order (a sheet's start tag carries its name)."""
    names = []
    for match in _ODS_TABLE.finditer(content):
        tag = content[match.start() : content.find(b">", match.start()) + 1]
        named = _ODS_TABLE_NAME.search(tag)
        names.append(named.group(1).decode("utf-8", "replace") if named else "")
    return names


def _ods_rows(archive, table=0):
    """The rows of the workbook's `table`-th sheet (counting from 0)."""
    tag_table, tag_row = f"{NS_TABLE}table", f"{NS_TABLE}table-row"
    rows_repeated = f"{NS_TABLE}number-rows-repeated"
    depth, tables_seen, number = 0, 0, 0
    try:
        with archive.open("content.xml") as stream:
            for event, element in SafeET.iterparse(stream, events=("start", "end")):
                if element.tag == tag_table:
                    if event == "start":
                        depth += 1
                        tables_seen += depth == 1
                    else:
                        depth -= 1
                        if depth == 0 and tables_seen == table + 1:
                            return
                        if depth == 0:
                            element.clear()
                    continue
                if event != "end" or element.tag != tag_row:
                    continue
                if depth != 1 or tables_seen != table + 1:
                    element.clear()
                    continue
                repeat = _repeat(element.get(rows_repeated))
                cells = _ods_cells(element)
                element.clear()
                if _is_blank(cells):
                    # LibreOffice writes the empty rest of a sheet as one row repeated a million times.
                    number += repeat
                    continue
                for _ in range(min(repeat, MAX_DATA_ROWS + 1)):
                    number += 1
                    yield number, list(cells)
    except (ET.ParseError, DefusedXmlException, zipfile.BadZipFile, OSError, EOFError, ValueError):
        raise SpreadsheetRefused(_DAMAGED) from None


def _repeat(raw):
    return int(raw) if raw and raw.isdigit() and int(raw) > 0 else 1


def _ods_cells(row):
    tag_cell, tag_covered = f"{NS_TABLE}table-cell", f"{NS_TABLE}covered-table-cell"
    columns_repeated = f"{NS_TABLE}number-columns-repeated"
    values, pending_blanks = [], 0
    for cell in row:
        if cell.tag not in (tag_cell, tag_covered):
            continue
        repeat = _repeat(cell.get(columns_repeated))
        value = _ods_value(cell)
        if value is None or value == "":
            pending_blanks += repeat
            continue
        if len(values) + pending_blanks >= MAX_COLUMNS:
            break
        values.extend([None] * pending_blanks)
        pending_blanks = 0
        values.extend([value] * min(repeat, MAX_COLUMNS - len(values)))
    return values


def _ods_value(cell):
    kind = cell.get(f"{NS_OFFICE}value-type")
    if kind in ("float", "percentage", "currency"):
        raw = cell.get(f"{NS_OFFICE}value")
        try:
            number = float(raw)
        except (TypeError, ValueError):
            return _ods_text(cell)
        return int(number) if number.is_integer() and abs(number) < 1e15 else number
    if kind == "date":
        raw = cell.get(f"{NS_OFFICE}date-value", "")
        try:
            return datetime.datetime.fromisoformat(raw) if "T" in raw else datetime.date.fromisoformat(raw)
        except ValueError:
            return _ods_text(cell)
    if kind == "boolean":
        return cell.get(f"{NS_OFFICE}boolean-value") == "true"
    return _ods_text(cell)


def _ods_text(cell):
    paragraphs = [_ods_paragraph(p) for p in cell if p.tag in (f"{NS_TEXT}p", f"{NS_TEXT}h")]
    return "\n".join(paragraphs) if paragraphs else None


def _ods_paragraph(element):
    parts = [element.text or ""]
    for child in element:
        if child.tag == f"{NS_TEXT}s":
            parts.append(" " * _repeat(child.get(f"{NS_TEXT}c")))
        elif child.tag == f"{NS_TEXT}tab":
            parts.append("\t")
        elif child.tag == f"{NS_TEXT}line-break":
            parts.append("\n")
        elif child.tag != f"{NS_OFFICE}annotation":
            parts.append(_ods_paragraph(child))
        parts.append(child.tail or "")
    return "".join(parts)
