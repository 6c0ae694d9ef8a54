"""Staff-list export in the upload template's columns: uploading it again changes nothing, and
cells a spreadsheet would run as formulas are inert. Also the template itself and `export_staff`."""

import datetime
import io

import pytest
import time_machine
from django.core.management import load_command_class
from django.db import connections
from openpyxl import load_workbook

from imports.kinds.staff import STAFF_LIST, staff_list_export
from imports.reading import open_sheet
from imports.services import import_commit, import_create, import_validate
from tests import factories
from tests.imports.spreadsheet_files import HEADERS
from workforce.models import StaffMember

TODAY = datetime.date(2026, 3, 4)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def staff(agency_a, agency_b):
    role = factories.JobRoleFactory(name="Police officer")
    team = factories.TeamFactory(agency=agency_a, name="=North")
    people = [
        factories.StaffMemberFactory(
            agency=agency_a,
            staff_number="E2",
            first_name="+Asha",
            last_name="@Patel",
            email="asha@example.org",
            job_role=role,
            job_title="-Constable",
            team=team,
            line_manager_email="sam@example.org",
            start_date=datetime.date(2020, 1, 6),
            left_on=datetime.date(2026, 12, 31),
        ),
        factories.StaffMemberFactory(
            agency=agency_a, staff_number="E1", email="ben@example.org", job_role=role, start_date=None
        ),
        factories.StaffMemberFactory(
            agency=agency_a,
            staff_number="E3",
            email="new@example.org",
            job_role=role,
            start_date=datetime.date(2026, 9, 1),
        ),
    ]
    factories.StaffMemberFactory(
        agency=agency_a, staff_number="GONE", job_role=role, left_on=datetime.date(2025, 1, 1)
    )
    factories.StaffMemberFactory(agency=agency_b, staff_number="OTHER", job_role=role)
    return people


def reimport(agency, data, name, *, complete_list=False):
    record = import_create(
        kind="staff",
        actor=None,
        agency=agency,
        upload=data,
        file_name=name,
        complete_list=complete_list,
        run_in_background=False,
    )
    preview = import_validate(import_record=record, today=TODAY)
    assert preview.ok, preview.errors
    return import_commit(import_record=record, actor=None, today=TODAY)


def history_and_rows():
    return StaffMember.history.count(), list(StaffMember.objects.order_by("pk").values())


@pytest.mark.django_db
class TestExport:
    @pytest.mark.parametrize("file_format", ["csv", "xlsx"])
    def test_exporting_then_uploading_changes_nothing(self, agency_a, staff, file_format):
        data = staff_list_export(agency=agency_a, file_format=file_format, today=TODAY)
        before = history_and_rows()
        outcome = reimport(agency_a, data, f"export.{file_format}", complete_list=True)
        assert (outcome.rows, outcome.new, outcome.updated, outcome.unchanged, outcome.leavers) == (
            3,
            0,
            0,
            3,
            0,
        )
        assert history_and_rows() == before

    @pytest.mark.parametrize("file_format", ["csv", "xlsx"])
    def test_someone_the_tracker_has_no_email_for_exports_and_uploads_unchanged(
        self, agency_a, staff, file_format
    ):
        factories.StaffMemberFactory(agency=agency_a, staff_number="E4", email="", job_role=staff[0].job_role)
        data = staff_list_export(agency=agency_a, file_format=file_format, today=TODAY)
        before = history_and_rows()
        outcome = reimport(agency_a, data, f"export.{file_format}", complete_list=True)
        assert (outcome.rows, outcome.unchanged, outcome.leavers) == (4, 4, 0)
        assert history_and_rows() == before
        assert StaffMember.objects.get(staff_number="E4").email == ""

    def test_csv_columns_order_and_inert_cells(self, agency_a, staff):
        text = staff_list_export(agency=agency_a, file_format="csv", today=TODAY).decode("utf-8-sig")
        lines = text.splitlines()
        assert lines[0] == ",".join(HEADERS)
        assert lines[1:] == [
            "E1,"
            + ",".join(str(v) for v in [staff[1].first_name, staff[1].last_name])
            + ",ben@example.org,Police officer,,,,,",
            "E2,'+Asha,'@Patel,asha@example.org,Police officer,'-Constable,'=North,"
            "sam@example.org,2020-01-06,2026-12-31",
            "E3,"
            + ",".join([staff[2].first_name, staff[2].last_name])
            + ",new@example.org,Police officer,,,,2026-09-01,",
        ]

    def test_xlsx_has_real_date_cells_and_inert_text(self, agency_a, staff):
        sheet = load_workbook(
            io.BytesIO(staff_list_export(agency=agency_a, file_format="xlsx", today=TODAY))
        ).active
        assert [cell.value for cell in sheet[1]] == HEADERS
        asha = [cell.value for cell in sheet[3]]
        assert asha[:8] == [
            "E2",
            "'+Asha",
            "'@Patel",
            "asha@example.org",
            "Police officer",
            "'-Constable",
            "'=North",
            "sam@example.org",
        ]
        assert asha[8:] == [datetime.datetime(2020, 1, 6), datetime.datetime(2026, 12, 31)]
        assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)

    def test_leavers_and_other_agencies_are_left_out(self, agency_a, staff):
        sheet = open_sheet(staff_list_export(agency=agency_a, file_format="csv", today=TODAY), "x.csv")
        assert [cells[0] for _number, cells in sheet.rows] == ["E1", "E2", "E3"]


@pytest.mark.django_db
class TestTemplate:
    def test_csv_template_has_the_headers_and_an_example_row(self):
        _name, data = STAFF_LIST.template("csv")
        sheet = open_sheet(data, "template.csv")
        assert sheet.headers == HEADERS
        assert [cells[0] for _number, cells in sheet.rows] == ["E001234"]

    def test_xlsx_template_explains_the_columns_and_lists_the_job_roles(self, agency_a):
        factories.JobRoleFactory(name="Children's social worker", aliases="Social worker")
        name, data = STAFF_LIST.template("xlsx")
        workbook = load_workbook(io.BytesIO(data))
        assert name == "staff-list-template.xlsx"
        assert workbook.sheetnames == ["Staff list", "Columns", "Job roles"]
        assert [cell.value for cell in workbook["Staff list"][1]] == HEADERS
        assert workbook["Columns"]["C2"].value.startswith("employee id, employee number")
        assert [cell.value for cell in workbook["Job roles"][2]] == [
            "Children's social worker",
            "2 Practitioner",
            "Social worker",
        ]
        # The example row is a valid upload.
        outcome = reimport(agency_a, data, name)
        assert outcome.new == 1


@pytest.mark.django_db
class TestExportCommand:
    @pytest.fixture
    def run(self, monkeypatch, capsys):
        monkeypatch.setattr(connections, "close_all", lambda: None)
        # The command exports as of today; fix the clock so planned leavers are still current.
        traveller = time_machine.travel(datetime.datetime(2026, 3, 4, 12, 0, tzinfo=datetime.UTC), tick=False)
        traveller.start()

        def runner(*argv):
            try:
                load_command_class("imports", "export_staff").run_from_argv(
                    ["manage.py", "export_staff", *map(str, argv)]
                )
                status = 0
            except SystemExit as exc:
                status = exc.code
            out, err = capsys.readouterr()
            return status, out, err

        yield runner
        traveller.stop()

    @pytest.mark.parametrize("file_format", ["csv", "xlsx"])
    def test_writes_the_file(self, run, tmp_path, agency_a, staff, file_format):
        target = tmp_path / f"staff.{file_format}"
        status, out, err = run("--agency", "agency-a", "--format", file_format, "--output", target)
        assert (status, out) == (0, "")
        assert "Wrote the staff list of Agency A" in err
        sheet = open_sheet(target.read_bytes(), target.name)
        assert sheet.headers == HEADERS
        assert [cells[0] for _number, cells in sheet.rows] == ["E1", "E2", "E3"]

    def test_could_not_run_exits_2(self, run, tmp_path, agency_a):
        assert run("--agency", "nowhere", "--format", "csv", "--output", tmp_path / "x.csv")[0] == 2
        assert run("--agency", "agency-a", "--format", "pdf", "--output", tmp_path / "x.pdf")[0] == 2
        status, _out, err = run(
            "--agency", "agency-a", "--format", "csv", "--output", tmp_path / "no" / "x.csv"
        )
        assert status == 2 and "Cannot write" in err
