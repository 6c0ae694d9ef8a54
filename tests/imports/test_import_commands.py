"""`import_staff` and `import_completions` exactly as PRODUCT.md section 8 gives them: one JSON
object on standard output with --json, messages on standard error, exit 0 done (a dry run
included), 1 input refused (nothing written), 2 could not run."""

import datetime
import json

import pytest
from django.core.management import load_command_class
from django.db import connections

from imports.models import ImportRecord
from tests import factories
from tests.imports.spreadsheet_files import csv_bytes, staff_row, xlsx_bytes
from training.models import Completion
from workforce.models import StaffMember

STAFF_KEYS = ["committed", "rows", "new", "updated", "unchanged", "leavers", "ignored_columns", "errors"]
COMPLETION_KEYS = ["committed", "rows", "new", "duplicates", "errors"]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def run(monkeypatch, capsys):
    """Run a command as `manage.py` would (argument errors exit 2), returning (status, out, err)."""
    # run_from_argv closes the database connections when it ends, which would end the test's
    # transaction.
    monkeypatch.setattr(connections, "close_all", lambda: None)

    def runner(app, name, *argv):
        command = load_command_class(app, name)
        try:
            command.run_from_argv(["manage.py", name, *[str(arg) for arg in argv]])
            status = 0
        except SystemExit as exc:
            status = exc.code
        out, err = capsys.readouterr()
        return status, out, err

    return runner


@pytest.fixture
def police(db):
    return factories.JobRoleFactory(name="Police officer")


def write(tmp_path, data, name="staff.csv"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.django_db
class TestImportStaff:
    def test_json_summary_and_exit_0(self, run, tmp_path, agency_a, police):
        path = write(tmp_path, csv_bytes([staff_row("E1"), staff_row("E2", "Ben")]))
        status, out, err = run("imports", "import_staff", path, "--agency", "agency-a", "--json")
        assert status == 0
        summary = json.loads(out)
        assert list(summary) == STAFF_KEYS
        assert summary == {
            "committed": True,
            "rows": 2,
            "new": 2,
            "updated": 0,
            "unchanged": 0,
            "leavers": 0,
            "ignored_columns": [],
            "errors": [],
        }
        assert "Applied to Agency A" in err
        assert StaffMember.objects.count() == 2
        record = ImportRecord.objects.get()
        assert (record.uploaded_by, record.status, record.original_name) == (None, "committed", "staff.csv")

    def test_dry_run_changes_nothing_and_exits_0(self, run, tmp_path, agency_a, police):
        path = write(tmp_path, xlsx_bytes([staff_row("E1")]), "staff.xlsx")
        status, out, err = run("imports", "import_staff", path, "--agency", "agency-a", "--dry-run", "--json")
        assert status == 0
        assert json.loads(out)["committed"] is False and json.loads(out)["new"] == 1
        assert "Dry run: nothing was changed." in err
        assert not StaffMember.objects.exists()

    def test_refused_file_exits_1_with_the_errors_and_writes_nothing(self, run, tmp_path, agency_a, police):
        path = write(tmp_path, csv_bytes([staff_row("E1", email="nope")]))
        status, out, err = run("imports", "import_staff", path, "--agency", "agency-a", "--json")
        assert status == 1
        assert json.loads(out)["errors"] == [
            {
                "row": 2,
                "column": "Email",
                "value": "nope",
                "message": "Enter an email address in the correct format, like name@example.org.",
            }
        ]
        assert json.loads(out)["committed"] is False
        assert "Refused: 1 problem. Nothing was changed." in err
        assert not StaffMember.objects.exists()

    def test_plain_output_lists_the_errors(self, run, tmp_path, agency_a, police):
        path = write(tmp_path, csv_bytes([staff_row("E1", start="31/02/2024")]))
        status, out, _err = run("imports", "import_staff", path, "--agency", "agency-a")
        assert status == 1
        assert "row 2, Start date (31/02/2024): This date does not exist: February 2024 has 29 days." in out

    def test_mass_leavers_need_the_confirmation_flag(self, run, tmp_path, agency_a, police):
        for number in range(5):
            factories.StaffMemberFactory(agency=agency_a, staff_number=f"OLD{number}", job_role=police)
        path = write(tmp_path, csv_bytes([staff_row("E1")]))
        args = ("imports", "import_staff", path, "--agency", "agency-a", "--complete-list", "--json")
        for extra in ((), ("--dry-run",)):
            status, out, _err = run(*args, *extra)
            assert status == 1
            assert json.loads(out)["errors"] == [
                {
                    "row": None,
                    "column": None,
                    "value": None,
                    "message": "This file would make 5 of the agency's 5 current staff (100%) leavers. "
                    "Add --confirm-mass-leavers if that is right."
                    if extra
                    else "This file would make 5 of the agency's 5 current staff (100%) leavers. "
                    "Confirm that this is right to go ahead.",
                }
            ]
            assert not StaffMember.objects.filter(left_on__isnull=False).exists()
            assert StaffMember.objects.count() == 5
        status, out, _err = run(*args, "--confirm-mass-leavers")
        assert status == 0
        assert json.loads(out)["leavers"] == 5 and json.loads(out)["new"] == 1

    def test_unknown_agency_exits_2(self, run, tmp_path, agency_a):
        path = write(tmp_path, csv_bytes([staff_row("E1")]))
        status, out, err = run("imports", "import_staff", path, "--agency", "nowhere", "--json")
        assert (status, out) == (2, "")
        assert "There is no agency with the slug 'nowhere'. Known agencies: agency-a." in err
        assert not ImportRecord.objects.exists()

    def test_unreadable_file_exits_2(self, run, tmp_path, agency_a):
        status, out, err = run("imports", "import_staff", tmp_path / "missing.csv", "--agency", "agency-a")
        assert (status, out) == (2, "")
        assert "Cannot read" in err and "No such file or directory" in err
        status, _out, err = run("imports", "import_staff", tmp_path, "--agency", "agency-a")
        assert status == 2 and "Cannot read" in err

    def test_bad_arguments_exit_2(self, run, tmp_path):
        status, out, err = run("imports", "import_staff", tmp_path / "x.csv", "--json")
        assert (status, out) == (2, "")
        assert "--agency" in err

    def test_a_file_over_the_size_limit_is_refused_without_reading_it(self, run, tmp_path, agency_a):
        path = tmp_path / "huge.csv"
        with path.open("wb") as stream:
            stream.truncate(51 * 1024 * 1024)
        status, out, _err = run("imports", "import_staff", path, "--agency", "agency-a", "--json")
        assert status == 1
        assert json.loads(out)["errors"][0]["message"].startswith("The file is 51.0 MB; the limit is 50 MB.")
        assert ImportRecord.objects.get().status == "invalid"


@pytest.mark.django_db
class TestImportCompletions:
    @pytest.fixture
    def asha(self, agency_a):
        factories.ModuleFactory(code="HSB-101")
        return factories.StaffMemberFactory(agency=agency_a, email="asha@example.org")

    def test_json_summary_duplicates_and_dry_run(self, run, tmp_path, asha):
        rows = [["asha@example.org", "HSB-101", "2025-03-04"], ["asha@example.org", "HSB-101", "04/03/2025"]]
        path = write(tmp_path, csv_bytes(rows, headers=["Learner email", "Course code", "Completion date"]))
        status, out, _err = run("imports", "import_completions", path, "--dry-run", "--json")
        assert status == 0
        assert json.loads(out) == {"committed": False, "rows": 2, "new": 1, "duplicates": 1, "errors": []}
        assert not Completion.objects.exists()

        status, out, _err = run("imports", "import_completions", path, "--json")
        assert status == 0
        summary = json.loads(out)
        assert list(summary) == COMPLETION_KEYS
        assert summary == {"committed": True, "rows": 2, "new": 1, "duplicates": 1, "errors": []}
        assert Completion.objects.count() == 1

    def test_refused_exits_1(self, run, tmp_path, asha):
        future = (datetime.date.today() + datetime.timedelta(days=3)).isoformat()
        path = write(
            tmp_path,
            csv_bytes([["asha@example.org", "HSB-101", future]], headers=["Email", "Module", "Completed"]),
        )
        status, out, _err = run("imports", "import_completions", path, "--json")
        assert status == 1
        assert json.loads(out)["errors"][0]["message"].endswith("A completion date cannot be in the future.")
        assert not Completion.objects.exists()

    def test_unreadable_file_exits_2(self, run, tmp_path, db):
        status, out, err = run("imports", "import_completions", tmp_path / "missing.csv", "--json")
        assert (status, out) == (2, "")
        assert "Cannot read" in err
