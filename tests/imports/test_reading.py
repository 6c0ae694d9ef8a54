"""The reading layer (workforce.spreadsheets): formats, encodings, safety checks, inert writing.

No database: these check what a file turns into, or why it is refused."""

import datetime
import io
import struct
import time
import zipfile

import pytest
from openpyxl import load_workbook

from imports import reading as spreadsheets
from imports.reading import CellError, SpreadsheetRefused, open_sheet
from tests.imports.spreadsheet_files import csv_bytes, ods_bytes, rezip, xlsx_bytes
from workforce.spreadsheets import inert, uninert, write_csv, write_xlsx


def read(data, name="file.csv"):
    sheet = open_sheet(data, name)
    return sheet, list(sheet.rows)


def refusal(data, name="file.xlsx"):
    with pytest.raises(SpreadsheetRefused) as caught:
        sheet = open_sheet(data, name)
        list(sheet.rows)
    return caught.value.message


# ---------------------------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------------------------


class TestCsv:
    @pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
    def test_encodings(self, encoding):
        data = "Name,Town\r\nZoë,Bézier’s\r\n".encode(encoding)
        sheet, rows = read(data)
        assert sheet.headers == ["Name", "Town"]
        assert rows == [(2, ["Zoë", "Bézier’s"])]

    def test_bytes_that_are_neither_utf8_nor_windows_1252_are_refused(self):
        assert refusal(b"Name\r\n\x81\x8d\r\n", "file.csv").startswith("We could not read the characters")

    def test_binary_content_is_refused(self):
        assert refusal(b"Name\x00\x00\x01", "file.csv").startswith("This file contains binary data")

    @pytest.mark.parametrize("delimiter", [",", ";", "\t"])
    def test_delimiter_is_recognised_from_the_header(self, delimiter):
        _sheet, rows = read(csv_bytes([["a,b", "c"]], headers=["One", "Two"], delimiter=delimiter))
        assert rows == [(2, ["a,b", "c"])]

    def test_quoted_line_breaks_stay_in_one_row_and_row_numbers_count_records(self):
        _sheet, rows = read(b'Name,Note\r\n"Asha","two\r\nlines"\r\nBen,x\r\n')
        assert rows == [(2, ["Asha", "two\r\nlines"]), (3, ["Ben", "x"])]

    def test_blank_rows_anywhere_are_skipped_and_short_rows_padded(self):
        sheet, rows = read(b"\r\n,,\r\nA,B,C,,\r\n1\r\n , ,\r\n2,3,4,5\r\n\r\n,,,\r\n")
        assert (sheet.header_row, sheet.headers) == (3, ["A", "B", "C"])
        assert rows == [(4, ["1", None, None]), (6, ["2", "3", "4"])]

    def test_a_field_larger_than_the_csv_limit_is_refused_with_its_row(self):
        data = b"Name\r\n" + b"x" * 200_000 + b"\r\n"
        assert refusal(data, "file.csv").startswith("Row 2 could not be read as CSV")

    def test_other_extensions_are_refused(self):
        assert refusal(b"Name\r\nAsha\r\n", "list.docx") == (
            "We can read .xlsx, .xls, .ods and .csv files. Save the spreadsheet in one of those formats."
        )


# ---------------------------------------------------------------------------------------------
# XLSX
# ---------------------------------------------------------------------------------------------

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def handmade_xlsx(sheet_xml, *, shared=None, styles=None, workbook=None):
    """An XLSX whose parts are written by hand, to reach what openpyxl would never write."""
    base = xlsx_bytes([["placeholder"]], headers=None)
    replace = {"xl/worksheets/sheet1.xml": sheet_xml}
    add = {}
    if styles is not None:
        replace["xl/styles.xml"] = styles
    if workbook is not None:
        replace["xl/workbook.xml"] = workbook
    if shared is not None:
        names = zipfile.ZipFile(io.BytesIO(base)).namelist()
        (replace if "xl/sharedStrings.xml" in names else add)["xl/sharedStrings.xml"] = shared
    return rezip(base, replace=replace, add=add)


DATE_STYLES = (
    f'<styleSheet xmlns="{MAIN}"><numFmts count="1"><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/>'
    '</numFmts><cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="164"/><xf numFmtId="14"/></cellXfs>'
    "</styleSheet>"
)


class TestXlsx:
    def test_real_date_cells_numbers_and_text(self):
        data = xlsx_bytes(
            [["E1", datetime.date(2026, 3, 4), 1234, 12.5, True, "=not a formula"]],
            headers=["Number", "Date", "Int", "Float", "Bool", "Text"],
        )
        _sheet, rows = read(data, "f.xlsx")
        assert rows == [(2, ["E1", datetime.datetime(2026, 3, 4), 1234, 12.5, True, "=not a formula"])]

    def test_shared_rich_and_phonetic_strings_gaps_and_error_cells(self):
        shared = (
            f'<sst xmlns="{MAIN}"><si><t>Name</t></si><si><r><t>As</t></r><r><rPr/><t>ha</t></r>'
            '<rPh><t>PHONETIC</t></rPh></si><si><t xml:space="preserve"> Ben </t></si></sst>'
        )
        sheet_xml = (
            f'<worksheet xmlns="{MAIN}"><sheetData>'
            '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="C1" t="inlineStr"><is><t>When</t></is></c></row>'
            '<row r="4"><c r="A4" t="s"><v>1</v></c><c r="C4" s="1"><v>46085</v></c></row>'
            '<row r="5"><c t="s"><v>2</v></c><c t="e"><v>#N/A</v></c><c s="2"><v>46085.75</v></c></row>'
            '<row r="9"/>'
            "</sheetData></worksheet>"
        )
        sheet, rows = read(handmade_xlsx(sheet_xml, shared=shared, styles=DATE_STYLES), "f.xlsx")
        assert sheet.headers == ["Name", "", "When"]
        assert rows[0] == (4, ["Asha", None, datetime.datetime(2026, 3, 4)])
        number, cells = rows[1]
        assert (number, cells[0], cells[2]) == (5, " Ben ", datetime.datetime(2026, 3, 4, 18, 0))
        assert isinstance(cells[1], CellError) and cells[1] == "#N/A"

    def test_1904_date_system(self):
        workbook = (
            f'<workbook xmlns="{MAIN}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<workbookPr date1904="1"/><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>'
        )
        sheet_xml = (
            f'<worksheet xmlns="{MAIN}"><sheetData>'
            '<row r="1"><c r="A1" t="inlineStr"><is><t>D</t></is></c></row>'
            '<row r="2"><c r="A2" s="1"><v>1</v></c></row></sheetData></worksheet>'
        )
        _sheet, rows = read(handmade_xlsx(sheet_xml, styles=DATE_STYLES, workbook=workbook), "f.xlsx")
        assert rows == [(2, [datetime.datetime(1904, 1, 2)])]

    def test_namespace_prefixes_as_some_generators_write_them(self):
        sheet_xml = (
            f'<x:worksheet xmlns:x="{MAIN}"><x:sheetData>'
            '<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>Name</x:t></x:is></x:c></x:row>'
            '<x:row r="2"><x:c r="A2" t="inlineStr"><x:is><x:t>Asha</x:t></x:is></x:c></x:row>'
            "</x:sheetData></x:worksheet>"
        )
        _sheet, rows = read(handmade_xlsx(sheet_xml), "f.xlsx")
        assert rows == [(2, ["Asha"])]

    def test_comments_inside_the_rows_fall_back_to_the_streaming_parser(self, monkeypatch):
        monkeypatch.setattr(spreadsheets, "SHEET_BLOCK_BYTES", 64)
        rows_xml = "".join(
            f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>v{n}</t></is></c></row><!-- </row> -->'
            for n in range(1, 30)
        )
        sheet_xml = f'<worksheet xmlns="{MAIN}"><sheetData>{rows_xml}</sheetData><pageMargins/></worksheet>'
        sheet, rows = read(handmade_xlsx(sheet_xml), "f.xlsx")
        assert sheet.headers == ["v1"]
        assert rows == [(n, [f"v{n}"]) for n in range(2, 30)]

    def test_rows_across_many_slices(self, monkeypatch):
        monkeypatch.setattr(spreadsheets, "SHEET_BLOCK_BYTES", 100)
        data = xlsx_bytes([[f"E{n}", n] for n in range(500)], headers=["Number", "N"])
        sheet, rows = read(data, "f.xlsx")
        assert rows == [(n + 2, [f"E{n}", n]) for n in range(500)]
        assert sheet.estimated_rows == 500

    def test_the_first_visible_sheet_is_read(self):
        data = xlsx_bytes([["E1"]], headers=["Number"], sheets_before=["Notes"])
        workbook = load_workbook(io.BytesIO(data))
        workbook["Notes"].append(["Not this"])
        workbook["Notes"].sheet_state = "hidden"
        buffer = io.BytesIO()
        workbook.save(buffer)
        _sheet, rows = read(buffer.getvalue(), "f.xlsx")
        assert rows == [(2, ["E1"])]

    def test_a_dtd_in_a_workbook_part_is_refused(self):
        base = xlsx_bytes([["x"]], headers=["A"])
        evil = (
            b'<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY lol "lol">]>'
            + zipfile.ZipFile(io.BytesIO(base)).read("xl/workbook.xml").split(b"?>", 1)[-1]
        )
        assert refusal(rezip(base, replace={"xl/workbook.xml": evil})).startswith("This workbook is damaged")

    def test_an_entity_in_the_sheet_is_refused(self):
        sheet_xml = (
            f'<!DOCTYPE x [<!ENTITY e "boom">]><worksheet xmlns="{MAIN}"><sheetData>'
            '<row r="1"><c r="A1" t="inlineStr"><is><t>&e;</t></is></c></row></sheetData></worksheet>'
        )
        assert refusal(handmade_xlsx(sheet_xml)).startswith("This workbook is damaged")

    def test_macro_enabled_workbooks_are_refused(self):
        base = xlsx_bytes([["x"]], headers=["A"])
        expected = (
            "This workbook contains macros, which we do not accept. Save a copy as an ordinary .xlsx "
            "workbook (or .ods), without macros, and upload that."
        )
        assert refusal(rezip(base, add={"xl/vbaProject.bin": b"\x00" * 10}), "f.xlsm") == expected
        types = (
            zipfile.ZipFile(io.BytesIO(base))
            .read("[Content_Types].xml")
            .replace(b"sheet.main+xml", b"sheet.macroEnabled.main+xml")
        )
        assert refusal(rezip(base, replace={"[Content_Types].xml": types})) == expected

    def test_encrypted_workbooks_are_refused(self):
        from imports.reading import NOT_A_SPREADSHEET_OLE

        assert refusal(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512) == NOT_A_SPREADSHEET_OLE
        assert (
            refusal(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, "old.xls") == NOT_A_SPREADSHEET_OLE
        )
        expected = (
            "This workbook is password-protected; save it as .xlsx without a password and upload it again."
        )
        # A zip whose members carry the "encrypted" flag.
        data = bytearray(xlsx_bytes([["x"]], headers=["A"]))
        for offset in range(len(data) - 4):
            if data[offset : offset + 4] in (b"PK\x03\x04", b"PK\x01\x02"):
                flag_at = offset + (6 if data[offset + 2] == 3 else 8)
                data[flag_at] |= 0x1
        assert refusal(bytes(data)) == expected

    def test_other_office_documents_and_zips_are_refused(self):
        docx = rezip(xlsx_bytes([["x"]], headers=["A"]), drop={"xl/workbook.xml"})
        assert refusal(docx).startswith("This file is an Office document but not a spreadsheet")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("notes.txt", "hello")
        assert refusal(buffer.getvalue(), "f.zip").startswith("This is a compressed (.zip) file")


class TestArchiveBombs:
    def test_a_declared_size_of_gigabytes_is_refused_before_anything_is_unpacked(self):
        data = bytearray(xlsx_bytes([["x"]], headers=["A"]))
        # Declare 4 GB for the sheet in the central directory (uncompressed size at offset 24).
        name = b"xl/worksheets/sheet1.xml"
        central = data.find(b"PK\x01\x02" + data[data.find(b"PK\x01\x02") + 4 : data.find(b"PK\x01\x02") + 4])
        while central != -1:
            name_length = struct.unpack("<H", data[central + 28 : central + 30])[0]
            if data[central + 46 : central + 46 + name_length] == name:
                data[central + 24 : central + 28] = struct.pack("<I", 0xFFFFFFF0)
            central = data.find(b"PK\x01\x02", central + 4)
        started = time.perf_counter()
        message = refusal(bytes(data))
        assert time.perf_counter() - started < 1
        assert message.startswith(
            "This workbook expands to 4096.0 MB when opened, more than the 500.0 MB we accept."
        )

    def test_a_part_compressed_hundreds_of_times_is_refused(self):
        padding = b"<row/>" + b" " * (20 * 1024 * 1024)
        sheet_xml = f'<worksheet xmlns="{MAIN}"><sheetData>'.encode() + padding + b"</sheetData></worksheet>"
        data = handmade_xlsx(sheet_xml)
        assert len(data) < 200_000
        started = time.perf_counter()
        message = refusal(data)
        assert time.perf_counter() - started < 1
        assert message.startswith("This workbook is unusually compressed")

    def test_too_many_members(self, monkeypatch):
        monkeypatch.setattr(spreadsheets, "MAX_ARCHIVE_MEMBERS", 3)
        assert refusal(xlsx_bytes([["x"]], headers=["A"])).startswith("This workbook is damaged")


# ---------------------------------------------------------------------------------------------
# ODS
# ---------------------------------------------------------------------------------------------


class TestOds:
    def test_dates_numbers_and_repeated_blank_rows(self):
        data = ods_bytes(
            [["E1", datetime.date(2026, 3, 4), 1234, "", "x"]],
            headers=["Number", "Date", "Int", "Empty", "Last"],
            trailing_blank_rows=1_048_000,
        )
        sheet, rows = read(data, "f.ods")
        assert sheet.headers == ["Number", "Date", "Int", "Empty", "Last"]
        assert rows == [(2, ["E1", datetime.date(2026, 3, 4), 1234, None, "x"])]

    def test_spaces_paragraphs_and_repeated_cells(self):
        content = (
            '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
            'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
            'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet>'
            '<table:table table:name="S"><table:table-header-rows><table:table-row>'
            "<table:table-cell><text:p>A</text:p></table:table-cell>"
            '<table:table-cell table:number-columns-repeated="2"><text:p>B</text:p></table:table-cell>'
            "</table:table-row></table:table-header-rows>"
            '<table:table-row table:number-rows-repeated="2">'
            '<table:table-cell table:number-columns-repeated="1"/>'
            '<table:table-cell office:value-type="string"><text:p>two<text:s text:c="2"/>spaces</text:p>'
            "<text:p>and <text:span>more</text:span></text:p></table:table-cell>"
            "<table:covered-table-cell/></table:table-row>"
            '<table:table-row table:number-rows-repeated="5"><table:table-cell/></table:table-row>'
            "<table:table-row><table:table-cell><text:p>last</text:p></table:table-cell></table:table-row>"
            "</table:table>"
            '<table:table table:name="Second"><table:table-row><table:table-cell><text:p>no</text:p>'
            "</table:table-cell></table:table-row></table:table>"
            "</office:spreadsheet></office:body></office:document-content>"
        )
        data = rezip(ods_bytes([["x"]], headers=["A"]), replace={"content.xml": content})
        sheet, rows = read(data, "f.ods")
        assert sheet.headers == ["A", "B", "B"]
        assert rows == [
            (2, [None, "two  spaces\nand more", None]),
            (3, [None, "two  spaces\nand more", None]),
            (9, ["last", None, None]),
        ]

    def test_macros_and_passwords_are_refused(self):
        base = ods_bytes([["x"]], headers=["A"])
        assert refusal(rezip(base, add={"Basic/Standard/Module1.xml": "<x/>"}), "f.ods").startswith(
            "This workbook contains macros"
        )
        manifest = (
            zipfile.ZipFile(io.BytesIO(base))
            .read("META-INF/manifest.xml")
            .replace(b"</manifest:manifest>", b"<manifest:encryption-data/></manifest:manifest>")
        )
        assert refusal(rezip(base, replace={"META-INF/manifest.xml": manifest}), "f.ods") == (
            "This spreadsheet is password-protected; save it without a password and upload it again."
        )

    def test_other_opendocument_files_are_refused(self):
        text = rezip(
            ods_bytes([["x"]], headers=["A"]), replace={"mimetype": "application/vnd.oasis.opendocument.text"}
        )
        assert refusal(text, "f.odt").startswith("This is an OpenDocument file but not a spreadsheet")


# ---------------------------------------------------------------------------------------------
# Limits and writing
# ---------------------------------------------------------------------------------------------


class TestLimitsAndWriting:
    def test_file_size_limit(self):
        assert refusal(b"x" * (50 * 1024 * 1024 + 1), "f.csv").startswith(
            "The file is 50.0 MB; the limit is 50 MB."
        )

    def test_row_limit_counts_data_rows_only(self, monkeypatch):
        monkeypatch.setattr(spreadsheets, "MAX_DATA_ROWS", 2)
        _sheet, rows = read(b"H\r\n1\r\n\r\n\r\n2\r\n")
        assert len(rows) == 2
        assert refusal(b"H\r\n1\r\n2\r\n3\r\n", "f.csv").startswith("The file has more than 2 rows of data")

    @pytest.mark.parametrize("text", ["=1+1", "+44 1234", "-5", "@SUM(A1)", "\tx", "\rx"])
    def test_formula_like_text_is_made_inert_and_back(self, text):
        assert inert(text) == "'" + text
        assert uninert(inert(text)) == text
        assert inert("Asha") == "Asha" and inert(None) is None and inert(5) == 5

    def test_written_files_read_back_inert_with_real_dates(self):
        rows = [['=HYPERLINK("x")', datetime.date(2026, 3, 4), None, 7]]
        workbook = load_workbook(io.BytesIO(write_xlsx(["@A", "B", "C", "D"], rows)))
        sheet = workbook.active
        assert [cell.value for cell in sheet[1]] == ["'@A", "B", "C", "D"]
        assert sheet["A2"].value == '\'=HYPERLINK("x")' and sheet["A2"].data_type == "s"
        assert (
            sheet["B2"].value == datetime.datetime(2026, 3, 4) and sheet["B2"].number_format == "dd/mm/yyyy"
        )
        text = write_csv(["A", "B"], [["-1", datetime.date(2026, 3, 4)]]).decode("utf-8-sig")
        assert text == "A,B\r\n'-1,2026-03-04\r\n"
