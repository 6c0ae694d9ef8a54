"""Compliance exports from the pages and from `export_compliance`: columns, scope, inert cells."""

import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from tests import factories
from tests.downloads import file_bytes
from tests.training.compliance_fixtures import more_staff, person
from training.exports import LIST_HEADERS

pytestmark = pytest.mark.usefixtures("on_day")

DANGEROUS = [
    '=HYPERLINK("http://evil.example","click")',
    "+44 20 7946 0000",
    "-1+1",
    "@SUM(A1)",
    "\tTab",
    "\rCR",
]
# XML (and so XLSX) stores a carriage return as a line feed; the apostrophe is what matters.
INERT_IN_XLSX = {"'" + text.replace("\r", "\n") for text in DANGEROUS}


def export_url(kind, file_format):
    return reverse("compliance:export", args=[kind, file_format])


def read_csv(content: bytes):
    assert content.startswith(b"\xef\xbb\xbf")  # a BOM, so Excel reads UTF-8
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def read_xlsx(content: bytes):
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    return sheet, [list(row) for row in sheet.iter_rows(values_only=True)]


# ---------------------------------------------------------------------------------------------
# Who may download what
# ---------------------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client, scene):
    response = client.get(export_url("matrix", "csv"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_an_outsider_gets_not_found(client, outsider, scene):
    client.force_login(outsider)
    for kind in ("matrix", "list"):
        for file_format in ("csv", "xlsx"):
            assert client.get(export_url(kind, file_format)).status_code == 404


def test_an_unknown_kind_or_format_is_not_found(client, lead, scene):
    client.force_login(lead)
    assert client.get(export_url("everything", "csv")).status_code == 404
    assert client.get(export_url("matrix", "pdf")).status_code == 404


def test_the_lead_downloads_every_agency(client, lead, scene):
    client.force_login(lead)
    response = client.get(export_url("matrix", "csv"))
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="compliance-matrix-2026-03-04.csv"' in response["Content-Disposition"]
    rows = read_csv(body(response))
    assert [row[1] for row in rows[1:]] == ["A005", "A004", "A002", "A003", "A001", "B002", "B001"]


def test_agency_hr_downloads_their_own_agency_only(client, hr_a, scene):
    client.force_login(hr_a)
    rows = read_csv(body(client.get(export_url("list", "csv"))))
    assert {row[0] for row in rows[1:]} == {"Agency A"}
    assert len(rows) == 1 + 7  # agency A's seven pairs


def test_agency_hr_asking_for_another_agency_gets_not_found(client, hr_a, scene):
    client.force_login(hr_a)
    response = client.get(export_url("matrix", "xlsx"), {"agency": scene.agency_b.slug})
    assert response.status_code == 404


def test_a_bad_filter_in_a_download_link_is_a_bad_request(client, lead, scene):
    client.force_login(lead)
    response = client.get(export_url("list", "csv"), {"module": "NOPE-1"})
    assert response.status_code == 400
    assert b"Select a module from the list." in response.content


# ---------------------------------------------------------------------------------------------
# What is in them
# ---------------------------------------------------------------------------------------------


def test_the_matrix_has_a_status_and_date_per_module(client, lead, scene):
    client.force_login(lead)
    rows = read_csv(body(client.get(export_url("matrix", "csv"), {"agency": scene.agency_a.slug})))
    header = rows[0]
    assert header == [
        "Agency",
        "Staff number",
        "First name",
        "Last name",
        "Email",
        "Job role",
        "Team",
        "Overall",
        "HSB-101 status",
        "HSB-101 date",
        "HSB-201 status",
        "HSB-201 date",
    ]
    by_number = {row[1]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    assert by_number.keys() == {"A001", "A002", "A003", "A004", "A005"}  # not Gail, who left
    asha = by_number["A001"]
    assert (asha["Overall"], asha["HSB-101 status"], asha["HSB-101 date"]) == (
        "Overdue",
        "Compliant",
        "2028-01-10",
    )
    assert (asha["HSB-201 status"], asha["HSB-201 date"]) == ("Overdue", "2020-03-31")
    rhys = by_number["A003"]
    assert (rhys["Overall"], rhys["HSB-101 status"], rhys["HSB-201 status"]) == (
        "Compliant",
        "Renewal due",
        "Not required",
    )
    assert by_number["A005"]["Overall"] == "Exempt"


def test_the_list_has_a_row_per_person_and_module(client, lead, scene):
    client.force_login(lead)
    rows = read_csv(body(client.get(export_url("list", "csv"))))
    assert rows[0] == LIST_HEADERS
    records = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert len(records) == 10
    asha = [record for record in records if record["Staff number"] == "A001"]
    assert [
        (r["Module code"], r["Status"], r["Due date"], r["Expiry date"], r["Completed on"]) for r in asha
    ] == [
        ("HSB-101", "Compliant", "", "2028-01-10", "2025-01-10"),
        ("HSB-201", "Overdue", "2020-03-31", "", ""),
    ]
    assert asha[0]["Email"] == "asha.patel@agency-a.example.org"
    assert asha[0]["Job role"] == "Children's social worker"


def test_filters_narrow_the_download(client, lead, scene):
    client.force_login(lead)
    rows = read_csv(body(client.get(export_url("list", "csv"), {"status": "overdue"})))
    assert sorted((row[1], row[7]) for row in rows[1:]) == [("A001", "HSB-201"), ("B002", "HSB-101")]
    matrix = read_csv(body(client.get(export_url("matrix", "csv"), {"status": "expired"})))
    assert [row[1] for row in matrix[1:]] == ["A004"]
    response = client.get(export_url("matrix", "csv"), {"status": "expired", "module": "HSB-101"})
    assert 'filename="compliance-matrix-hsb-101-expired-2026-03-04.csv"' in response["Content-Disposition"]


def test_xlsx_download_has_real_dates_and_text(client, lead, scene):
    client.force_login(lead)
    response = client.get(export_url("list", "xlsx"), {"agency": scene.agency_a.slug})
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet, rows = read_xlsx(file_bytes(response))
    assert rows[0] == LIST_HEADERS
    asha = next(row for row in rows[1:] if row[1] == "A001" and row[7] == "HSB-101")
    assert asha[11].date().isoformat() == "2028-01-10"  # a date cell, not text


# ---------------------------------------------------------------------------------------------
# Inert cells: nothing a spreadsheet would run
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def dangerous_people(scene):
    team = factories.TeamFactory(agency=scene.agency_a, name="=cmd|' /C calc'!A0")
    people = []
    for index, text in enumerate(DANGEROUS):
        people.append(
            person(scene.agency_a, scene.police, text, "#N/A", f"Z{index}", team=team, job_title="=1+1")
        )
    return people


@pytest.mark.parametrize("kind", ["matrix", "list"])
def test_csv_cells_that_a_spreadsheet_would_run_are_inert(client, lead, dangerous_people, kind):
    client.force_login(lead)
    rows = read_csv(body(client.get(export_url(kind, "csv"))))
    first_names = {row[2] for row in rows[1:] if row[1].startswith("Z")}
    assert first_names == {"'" + text for text in DANGEROUS}
    teams = {row[6] for row in rows[1:] if row[1].startswith("Z")}
    assert teams == {"'=cmd|' /C calc'!A0"}
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


@pytest.mark.parametrize("kind", ["matrix", "list"])
def test_xlsx_cells_are_text_never_formulas(client, lead, dangerous_people, kind):
    client.force_login(lead)
    sheet, rows = read_xlsx(file_bytes(client.get(export_url(kind, "xlsx"))))
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f", cell.value
            assert cell.data_type != "e", cell.value  # "#N/A" is a surname here, not an error value
    names = {row[2] for row in rows[1:] if row[1].startswith("Z")}
    assert names == INERT_IN_XLSX
    assert {row[3] for row in rows[1:] if row[1].startswith("Z")} == {"#N/A"}


# ---------------------------------------------------------------------------------------------
# export_compliance
# ---------------------------------------------------------------------------------------------


def test_command_writes_the_matrix_as_csv(scene, tmp_path):
    target = tmp_path / "matrix.csv"
    errors = io.StringIO()
    call_command("export_compliance", "--format", "csv", "--output", str(target), stderr=errors)
    rows = read_csv(target.read_bytes())
    assert rows[0][:8] == [
        "Agency",
        "Staff number",
        "First name",
        "Last name",
        "Email",
        "Job role",
        "Team",
        "Overall",
    ]
    assert len(rows) == 1 + 7
    assert "Wrote the compliance matrix of the whole partnership on 04/03/2026" in errors.getvalue()


def test_command_writes_one_agency_as_xlsx(scene, tmp_path, dangerous_people):
    target = tmp_path / "agency-b.xlsx"
    call_command("export_compliance", "--agency", "agency-b", "--format", "xlsx", "--output", str(target))
    _, rows = read_xlsx(target.read_bytes())
    assert [row[1] for row in rows[1:]] == ["B002", "B001"]


def test_command_writes_the_list_and_makes_cells_inert(scene, tmp_path, dangerous_people):
    target = tmp_path / "list.xlsx"
    call_command("export_compliance", "--list", "--format", "xlsx", "--output", str(target))
    sheet, rows = read_xlsx(target.read_bytes())
    assert rows[0] == LIST_HEADERS
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert {row[2] for row in rows[1:] if row[1].startswith("Z")} == INERT_IN_XLSX


def test_command_refuses_an_unknown_agency(scene, tmp_path):
    target = tmp_path / "x.csv"
    with pytest.raises(CommandError, match="There is no agency with the slug 'nowhere'") as raised:
        call_command("export_compliance", "--agency", "nowhere", "--format", "csv", "--output", str(target))
    assert raised.value.returncode == 2
    assert not target.exists()


def test_command_refuses_an_unwritable_path(scene, tmp_path):
    with pytest.raises(CommandError, match="does not exist") as raised:
        call_command("export_compliance", "--format", "csv", "--output", str(tmp_path / "missing" / "x.csv"))
    assert raised.value.returncode == 2
    with pytest.raises(CommandError, match="is a folder") as raised:
        call_command("export_compliance", "--format", "csv", "--output", str(tmp_path))
    assert raised.value.returncode == 2


def test_command_refuses_a_bad_date(scene, tmp_path):
    with pytest.raises(CommandError, match="--on must be a date") as raised:
        call_command(
            "export_compliance", "--on", "4/3/2026", "--format", "csv", "--output", str(tmp_path / "x")
        )
    assert raised.value.returncode == 2


@pytest.mark.django_db(transaction=True)
def test_command_exit_statuses_from_the_shell(tmp_path):
    """Run as a user runs it: bad arguments exit 2 with a message on standard error."""
    root = Path(__file__).resolve().parents[2]

    def run(*args):
        return subprocess.run(  # noqa: S603 (our own interpreter and manage.py)
            [sys.executable, str(root / "manage.py"), "export_compliance", *args],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
        )

    missing_format = run("--output", str(tmp_path / "x.csv"))
    assert missing_format.returncode == 2 and "--format" in missing_format.stderr
    bad_format = run("--format", "pdf", "--output", str(tmp_path / "x.pdf"))
    assert bad_format.returncode == 2 and "invalid choice" in bad_format.stderr


def test_query_count_of_a_download_does_not_grow(client, lead, scene, django_assert_max_num_queries):
    client.force_login(lead)
    more_staff(scene, 5)
    with CaptureQueriesContext(connection) as few:
        body(client.get(export_url("matrix", "csv")))
    more_staff(scene, 50, agency=scene.agency_b)
    with django_assert_max_num_queries(len(few)):
        body(client.get(export_url("matrix", "csv")))
