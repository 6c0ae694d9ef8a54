"""Completion files from training providers (PRODUCT.md section 5 "Completion files")."""

import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied
from openpyxl import load_workbook

from imports.kinds.completions import COMPLETION_FILE
from imports.models import ImportRecord
from imports.services import ImportRefused, import_commit, import_create, import_failing_rows, import_validate
from tests import factories
from tests.imports.spreadsheet_files import csv_bytes, xlsx_bytes
from training.models import Completion, CompletionSource, Verification
from training.services import completion_record

TODAY = datetime.date(2026, 3, 4)
HEADERS = ["Email", "Module", "Completed on", "Certificate reference"]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def module(db):
    return factories.ModuleFactory(
        code="HSB-101",
        title="Understanding harmful sexual behaviour",
        validity_months=36,
        renewal_window_days=60,
    )


@pytest.fixture
def asha(agency_a):
    return factories.StaffMemberFactory(
        agency=agency_a, staff_number="E1", first_name="Asha", last_name="Patel", email="asha@example.org"
    )


def check(data, name="completions.csv", *, actor=None):
    record = import_create(
        kind="completions", actor=actor, upload=data, file_name=name, run_in_background=False
    )
    return record, import_validate(import_record=record, today=TODAY)


def apply(data, name="completions.csv", *, actor=None):
    record, preview = check(data, name, actor=actor)
    assert preview.ok, preview.errors
    return record, import_commit(import_record=record, actor=actor, today=TODAY)


def snapshot():
    return Completion.history.count(), list(Completion.objects.order_by("pk").values())


def refused(data, name="completions.csv"):
    before = snapshot()
    record, preview = check(data, name)
    assert not preview.ok
    with pytest.raises(ImportRefused):
        import_commit(import_record=record, actor=None, today=TODAY)
    assert snapshot() == before
    record.refresh_from_db()
    assert record.status == ImportRecord.Status.INVALID
    return preview


@pytest.mark.django_db
class TestRecording:
    def test_completions_are_recorded_verified_from_the_import_with_history(self, asha, module, lead):
        data = csv_bytes([["ASHA@example.org", "hsb-101", "04/03/2025", "CERT-1"]], headers=HEADERS)
        record, outcome = apply(data, actor=lead)
        assert outcome.summary() == {"committed": True, "rows": 1, "new": 1, "duplicates": 0, "errors": []}
        completion = Completion.objects.get()
        assert (completion.staff, completion.module, completion.completed_on) == (
            asha,
            module,
            datetime.date(2025, 3, 4),
        )
        assert (completion.source, completion.verification, completion.certificate_reference) == (
            CompletionSource.IMPORT,
            Verification.VERIFIED,
            "CERT-1",
        )
        assert completion.expires_on == datetime.date(2028, 3, 4)
        assert (completion.recorded_by, completion.verified_by) == (lead, lead)
        history = completion.history.get()
        assert (history.history_user, history.history_change_reason) == (
            lead,
            f"Completion file import #{record.pk}",
        )
        assert outcome.new_rows == [
            {
                "row": 2,
                "name": "Asha Patel",
                "agency": "agency-a",
                "staff_number": "E1",
                "module": "HSB-101",
                "completed_on": "2025-03-04",
                "expires_on": "2028-03-04",
                "certificate_reference": "CERT-1",
            }
        ]

    @pytest.mark.parametrize(
        "headers",
        [
            ["Learner email", "Course", "Completion date"],
            ["User email", "Course code", "Date completed"],
            ["e-mail", "Module code", "Completed"],
        ],
    )
    def test_header_aliases_and_module_by_exact_title(self, asha, module, headers):
        apply(
            csv_bytes(
                [["asha@example.org", "understanding harmful  sexual behaviour", "2025-03-04"]],
                headers=headers,
            )
        )
        assert Completion.objects.get().module == module

    def test_person_by_agency_and_staff_number(self, asha, module, agency_a):
        headers = ["Agency", "Staff no", "Module", "Completed on"]
        apply(
            csv_bytes(
                [["agency-a", "e1", "HSB-101", "2025-03-04"], ["Agency A", "E1", "HSB-101", "2025-04-04"]],
                headers=headers,
            )
        )
        assert Completion.objects.filter(staff=asha).count() == 2

    def test_xlsx_with_date_cells(self, asha, module):
        apply(
            xlsx_bytes([["asha@example.org", "HSB-101", datetime.date(2025, 3, 4), None]], headers=HEADERS),
            "c.xlsx",
        )
        assert Completion.objects.get().completed_on == datetime.date(2025, 3, 4)

    def test_a_completion_from_before_the_person_joined_is_fine(self, asha, module):
        apply(csv_bytes([["asha@example.org", "HSB-101", "2015-06-01", ""]], headers=HEADERS))
        assert Completion.objects.get().completed_on == datetime.date(2015, 6, 1)

    def test_a_leaver_can_get_completions_up_to_their_leaving_date(self, asha, module):
        asha.left_on = datetime.date(2025, 6, 30)
        asha.save()
        apply(csv_bytes([["asha@example.org", "HSB-101", "2025-06-30", ""]], headers=HEADERS))
        assert Completion.objects.count() == 1


@pytest.mark.django_db
class TestDuplicates:
    def test_recorded_completions_and_repeats_in_the_file_are_skipped_and_counted(self, asha, module):
        completion_record(
            staff=asha, module=module, completed_on=datetime.date(2025, 3, 4), source="manual", today=TODAY
        )
        rows = [
            ["asha@example.org", "HSB-101", "04/03/2025", ""],
            ["asha@example.org", "HSB-101", "2025-09-01", ""],
            ["asha@example.org", "hsb-101", "1 September 2025", ""],
        ]
        _record, outcome = apply(csv_bytes(rows, headers=HEADERS))
        assert (outcome.rows, outcome.new, outcome.duplicates) == (3, 1, 2)
        assert [row["row"] for row in outcome.duplicate_rows] == [2, 4]
        assert Completion.objects.count() == 2

    def test_uploading_the_same_file_again_changes_nothing(self, asha, module):
        data = csv_bytes([["asha@example.org", "HSB-101", "2025-03-04", ""]], headers=HEADERS)
        apply(data)
        before = snapshot()
        _record, outcome = apply(data)
        assert (outcome.new, outcome.duplicates) == (0, 1)
        assert snapshot() == before


@pytest.mark.django_db
class TestExpiry:
    def test_renewal_inside_the_window_extends_without_drift_as_completion_record_does(
        self, agency_a, module
    ):
        by_hand = factories.StaffMemberFactory(agency=agency_a, email="hand@example.org")
        by_file = factories.StaffMemberFactory(agency=agency_a, email="file@example.org")
        dates = [datetime.date(2022, 3, 1), datetime.date(2025, 1, 15), datetime.date(2025, 2, 1)]
        for person in (by_hand, by_file):
            completion_record(
                staff=person, module=module, completed_on=dates[0], source="manual", today=TODAY
            )
        for day in dates[1:]:
            completion_record(staff=by_hand, module=module, completed_on=day, source="manual", today=TODAY)
        # The file lists them out of order; the import takes them in date order.
        rows = [
            ["file@example.org", "HSB-101", dates[2].isoformat(), ""],
            ["file@example.org", "HSB-101", dates[1].isoformat(), ""],
        ]
        apply(csv_bytes(rows, headers=HEADERS))

        def expiries(person):
            return list(
                Completion.objects.filter(staff=person)
                .order_by("completed_on")
                .values_list("expires_on", flat=True)
            )

        assert expiries(by_file) == expiries(by_hand)
        assert expiries(by_file)[1] == datetime.date(2028, 3, 1)  # renewed from the old expiry

    def test_a_module_that_never_expires(self, asha):
        factories.ModuleFactory(code="LIFE-1", validity_months=None)
        apply(csv_bytes([["asha@example.org", "LIFE-1", "2025-03-04", ""]], headers=HEADERS))
        assert Completion.objects.get().expires_on is None


@pytest.mark.django_db
class TestRefusals:
    def test_future_completion_date(self, asha, module):
        preview = refused(csv_bytes([["asha@example.org", "HSB-101", "2026-03-05", ""]], headers=HEADERS))
        assert preview.errors == [
            {
                "row": 2,
                "column": "Completed on",
                "value": "2026-03-05",
                "message": "5 March 2026 is in the future. A completion date cannot be in the future.",
            }
        ]

    def test_unknown_person_and_module(self, asha, module):
        rows = [
            ["nobody@example.org", "HSB-101", "2025-03-04", ""],
            ["asha@example.org", "HSB-999", "2025-03-04", ""],
        ]
        preview = refused(csv_bytes(rows, headers=HEADERS))
        assert [(e["row"], e["column"], e["message"]) for e in preview.errors] == [
            (2, "Email", "No member of staff has this email."),
            (3, "Module", "No module has this code or title. Use the module code, for example HSB-101."),
        ]

    def test_an_email_of_current_staff_in_two_agencies_needs_agency_and_staff_number(
        self, asha, module, agency_b
    ):
        factories.StaffMemberFactory(agency=agency_b, staff_number="B7", email="asha@example.org")
        preview = refused(csv_bytes([["asha@example.org", "HSB-101", "2025-03-04", ""]], headers=HEADERS))
        assert preview.errors[0]["message"] == (
            "This email belongs to current staff in 2 agencies (Agency A, Agency B). Give the agency and "
            "staff number instead, so we record the right person."
        )
        headers = ["Email", "Agency", "Staff number", "Module", "Completed on"]
        apply(csv_bytes([["asha@example.org", "agency-b", "B7", "HSB-101", "2025-03-04"]], headers=headers))
        assert Completion.objects.get().staff.agency == agency_b

    def test_an_email_of_a_leaver_and_a_current_person_is_the_current_person(self, asha, module, agency_b):
        factories.StaffMemberFactory(
            agency=agency_b, email="asha@example.org", left_on=datetime.date(2024, 1, 1)
        )
        apply(csv_bytes([["asha@example.org", "HSB-101", "2025-03-04", ""]], headers=HEADERS))
        assert Completion.objects.get().staff == asha

    def test_a_date_after_the_person_left(self, asha, module):
        asha.left_on = datetime.date(2025, 6, 30)
        asha.save()
        preview = refused(csv_bytes([["asha@example.org", "HSB-101", "2025-07-01", ""]], headers=HEADERS))
        assert preview.errors[0]["message"] == "Asha Patel left on 30 June 2025, before this date."

    def test_unknown_agency_or_staff_number(self, asha, module):
        headers = ["Agency", "Staff number", "Module", "Completed on"]
        rows = [["nowhere", "E1", "HSB-101", "2025-03-04"], ["agency-a", "E404", "HSB-101", "2025-03-04"]]
        preview = refused(csv_bytes(rows, headers=headers))
        assert [e["message"] for e in preview.errors] == [
            "No agency has this name.",
            "No one at Agency A has this staff number.",
        ]

    def test_no_way_to_tell_who(self, asha, module):
        preview = refused(csv_bytes([["HSB-101", "2025-03-04"]], headers=["Module", "Completed on"]))
        assert preview.errors[0]["message"].startswith('The file needs an "Email" column')

    def test_missing_module_column_and_bad_dates(self, asha, module):
        preview = refused(csv_bytes([["asha@example.org", "2025-03-04"]], headers=["Email", "Completed on"]))
        assert preview.errors[0]["message"].startswith('The file has no "Module" column')
        preview = refused(csv_bytes([["asha@example.org", "HSB-101", "31/02/2024", ""]], headers=HEADERS))
        assert preview.errors[0]["message"] == "This date does not exist: February 2024 has 29 days."


@pytest.mark.django_db
class TestAccess:
    def test_only_leads_import_completion_files(self, asha, module, hr_a, lead):
        data = csv_bytes([["asha@example.org", "HSB-101", "2025-03-04", ""]], headers=HEADERS)
        with pytest.raises(PermissionDenied):
            import_create(kind="completions", actor=hr_a, upload=data, file_name="c.csv")
        assert not ImportRecord.objects.exists()
        record, _preview = check(data, actor=lead)
        with pytest.raises(PermissionDenied):
            import_commit(import_record=record, actor=hr_a, today=TODAY)
        assert not Completion.objects.exists()
        import_commit(import_record=record, actor=lead, today=TODAY)
        assert Completion.objects.count() == 1

    def test_records_changed_since_the_preview_refuse(self, asha, module):
        record, _preview = check(
            csv_bytes([["asha@example.org", "HSB-101", "2025-03-04", ""]], headers=HEADERS)
        )
        completion_record(
            staff=asha, module=module, completed_on=datetime.date(2025, 3, 4), source="manual", today=TODAY
        )
        before = snapshot()
        with pytest.raises(ImportRefused, match="changed after the preview"):
            import_commit(import_record=record, actor=None, today=TODAY)
        assert snapshot() == before
        record.refresh_from_db()
        assert (record.status, record.duplicates_count, record.new_count) == (
            ImportRecord.Status.VALIDATED,
            1,
            0,
        )


@pytest.mark.django_db
class TestDownloads:
    def test_template_and_failing_rows(self, asha, module):
        name, data = COMPLETION_FILE.template("xlsx")
        workbook = load_workbook(io.BytesIO(data))
        assert (name, workbook.sheetnames) == ("completions-template.xlsx", ["Completions", "Modules"])
        assert [cell.value for cell in workbook["Completions"][1]] == [
            "Email",
            "Agency",
            "Staff number",
            "Module",
            "Completed on",
            "Certificate reference",
        ]
        assert [cell.value for cell in workbook["Modules"][2]] == [
            "HSB-101",
            "Understanding harmful sexual behaviour",
        ]

        rows = [
            ["asha@example.org", "HSB-101", "2025-03-04", ""],
            ["asha@example.org", "=HSB-999", "2025-03-04", ""],
        ]
        record, _preview = check(csv_bytes(rows, headers=HEADERS))
        _name, failing = import_failing_rows(import_record=record, file_format="csv")
        assert failing.decode("utf-8-sig").splitlines() == [
            "Email,Module,Completed on,Certificate reference,error",
            "asha@example.org,'=HSB-999,2025-03-04,,"
            '"Module: No module has this code or title. Use the module code, for example HSB-101."',
        ]
