"""Staff-list uploads (PRODUCT.md section 5): every rule, with small files made in the tests.

Every refusal asserts its message and that nothing was written (staff rows and history rows)."""

import datetime
from types import SimpleNamespace

import pytest
import tablib
from django.core.files.base import ContentFile
from django.http import Http404
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from benchmarks._row_by_row import RowByRowStaffResource
from imports.kinds.staff import StaffImportPreview, staff_list_export
from imports.models import ImportRecord
from imports.reading import open_sheet
from imports.services import (
    ImportRefused,
    import_commit,
    import_create,
    import_failing_rows,
    import_files_purge,
    import_request_commit,
    import_validate,
)
from tests import factories
from tests.imports.spreadsheet_files import (
    HEADERS,
    csv_bytes,
    ods_bytes,
    staff_row,
    xlsx_bytes,
)
from workforce.models import StaffMember, Team

TODAY = datetime.date(2026, 3, 4)
Status = ImportRecord.Status


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def roles(db):
    return SimpleNamespace(
        police=factories.JobRoleFactory(name="Police officer", tier=1, aliases="Police constable\nPC"),
        social=factories.JobRoleFactory(name="Children's social worker", tier=2, aliases="Social worker"),
    )


def check(agency, data, name="staff.csv", *, complete_list=False, actor=None):
    record = import_create(
        kind="staff",
        actor=actor,
        agency=agency,
        upload=data,
        file_name=name,
        complete_list=complete_list,
        run_in_background=False,
    )
    return record, import_validate(import_record=record, today=TODAY)


def apply(agency, data, name="staff.csv", *, complete_list=False, confirm=False, actor=None):
    record, preview = check(agency, data, name, complete_list=complete_list, actor=actor)
    assert preview.ok, preview.errors
    outcome = import_commit(import_record=record, actor=actor, confirm_mass_leavers=confirm, today=TODAY)
    return record, outcome


def snapshot():
    return (
        StaffMember.history.count(),
        list(StaffMember.objects.order_by("pk").values()),
        list(Team.objects.order_by("pk").values_list("name", flat=True)),
    )


def messages(preview):
    return [error["message"] for error in preview.errors]


def refused(agency, data, name="staff.csv", *, complete_list=False):
    """Check a file that must be refused; assert nothing was written and it cannot be committed."""
    before = snapshot()
    record, preview = check(agency, data, name, complete_list=complete_list)
    assert not preview.ok
    record.refresh_from_db()
    assert record.status == Status.INVALID
    assert record.errors_count == len(preview.errors)
    with pytest.raises(ImportRefused):
        import_commit(import_record=record, actor=None, today=TODAY)
    assert snapshot() == before
    return preview


# ---------------------------------------------------------------------------------------------
# Applying a file
# ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
class TestApply:
    def test_new_staff_are_created_with_teams_history_and_role_dates(self, agency_a, roles, lead):
        data = csv_bytes(
            [
                staff_row(
                    "E1",
                    "Asha",
                    "Patel",
                    role="PC",
                    job_title="Constable",
                    team="North",
                    manager="Sam.Jones@Example.org",
                    start="02/09/2024",
                ),
                staff_row("E2", "Ben", "Morgan", role="social worker", team="north", start=""),
            ]
        )
        record, outcome = apply(agency_a, data, actor=lead)

        assert outcome.summary() == {
            "committed": True,
            "rows": 2,
            "new": 2,
            "updated": 0,
            "unchanged": 0,
            "leavers": 0,
            "ignored_columns": [],
            "errors": [],
        }
        asha = StaffMember.objects.get(staff_number="E1")
        assert (asha.job_role, asha.job_title, asha.line_manager_email) == (
            roles.police,
            "Constable",
            "sam.jones@example.org",
        )
        assert asha.start_date == asha.role_since == datetime.date(2024, 9, 2)
        ben = StaffMember.objects.get(staff_number="E2")
        assert ben.job_role == roles.social and ben.start_date is None
        # One team, found case-insensitively for the second row.
        assert list(Team.objects.filter(agency=agency_a).values_list("name", flat=True)) == ["North"]
        assert asha.team_id == ben.team_id
        history = asha.history.get()
        assert (history.history_type, history.history_user, history.history_change_reason) == (
            "+",
            lead,
            f"Staff list import #{record.pk}",
        )
        record.refresh_from_db()
        assert (record.status, record.new_count, record.rows_count, record.confirmed_by) == (
            Status.COMMITTED,
            2,
            2,
            lead,
        )
        assert record.finished_at is not None and record.progress_done == record.progress_total == 2

    def test_uploading_the_same_file_again_changes_nothing(self, agency_a, roles):
        data = csv_bytes([staff_row("E1", team="North"), staff_row("E2", "Ben", "Morgan")])
        apply(agency_a, data)
        before = snapshot()
        _record, outcome = apply(agency_a, data)
        assert (outcome.new, outcome.updated, outcome.unchanged) == (0, 0, 2)
        assert snapshot() == before

    def test_values_differing_only_in_case_or_spaces_are_unchanged(self, agency_a, roles):
        apply(agency_a, csv_bytes([staff_row("E1", "Asha", "Patel", job_title="Constable", team="North")]))
        before = snapshot()
        shouty = staff_row(
            " e1 ",
            "  ASHA",
            "patel  ",
            email=" ASHA.PATEL@EXAMPLE.ORG ",
            role="police OFFICER",
            job_title="CONSTABLE ",
            team=" north",
        )
        _record, outcome = apply(agency_a, csv_bytes([shouty]))
        assert (outcome.updated, outcome.unchanged) == (0, 1)
        assert snapshot() == before

    def test_changes_are_previewed_field_by_field_and_applied_with_history(self, agency_a, roles, hr_a):
        apply(agency_a, csv_bytes([staff_row("E1", job_title="Constable", start="2020-01-06")]))
        changed = staff_row(
            "E1", role="Social worker", job_title="Sergeant", team="South", start="2020-01-07"
        )
        record, preview = check(agency_a, csv_bytes([changed]), actor=hr_a)

        assert preview.updated == 1
        update = preview.updated_rows[0]
        assert (update["row"], update["staff_number"], update["name"]) == (2, "E1", "Asha Patel")
        assert {change["field"]: (change["before"], change["after"]) for change in update["changes"]} == {
            "job_role": ("Police officer", "Children's social worker"),
            "job_title": ("Constable", "Sergeant"),
            "team": ("", "South"),
            "start_date": ("2020-01-06", "2020-01-07"),
        }
        assert preview.new_teams == ["South"]
        import_commit(import_record=record, actor=hr_a, today=TODAY)
        asha = StaffMember.objects.get()
        assert (asha.job_role, asha.job_title, asha.team.name) == (roles.social, "Sergeant", "South")
        # A new job role starts today, as staff_update would record it.
        assert asha.role_since == TODAY
        latest = asha.history.first()
        assert (latest.history_type, latest.history_user, latest.history_change_reason) == (
            "~",
            hr_a,
            f"Staff list import #{record.pk}",
        )

    def test_a_column_missing_from_the_file_leaves_that_field_alone(self, agency_a, roles):
        apply(agency_a, csv_bytes([staff_row("E1", team="North", job_title="Constable")]))
        headers = [h for h in HEADERS if h not in ("Team", "Job title")]
        row = [v for h, v in zip(HEADERS, staff_row("E1"), strict=True) if h not in ("Team", "Job title")]
        _record, outcome = apply(agency_a, csv_bytes([row], headers=headers))
        assert outcome.unchanged == 1
        asha = StaffMember.objects.get()
        assert (asha.team.name, asha.job_title) == ("North", "Constable")

    def test_an_empty_cell_in_a_present_column_clears_the_field(self, agency_a, roles):
        apply(agency_a, csv_bytes([staff_row("E1", team="North", job_title="Constable")]))
        _record, outcome = apply(agency_a, csv_bytes([staff_row("E1")]))
        assert outcome.updated == 1
        asha = StaffMember.objects.get()
        assert (asha.team, asha.job_title) == (None, "")

    def test_two_people_can_swap_email_addresses_in_one_file(self, agency_a, roles):
        apply(
            agency_a,
            csv_bytes(
                [staff_row("E1", email="a@example.org"), staff_row("E2", "Ben", email="b@example.org")]
            ),
        )
        apply(
            agency_a,
            csv_bytes(
                [staff_row("E1", email="b@example.org"), staff_row("E2", "Ben", email="a@example.org")]
            ),
        )
        assert dict(StaffMember.objects.values_list("staff_number", "email")) == {
            "E1": "b@example.org",
            "E2": "a@example.org",
        }

    def test_staff_numbers_match_ignoring_case(self, agency_a, roles):
        apply(agency_a, csv_bytes([staff_row("ab12")]))
        _record, outcome = apply(agency_a, csv_bytes([staff_row("AB12", job_title="Constable")]))
        assert (outcome.new, outcome.updated) == (0, 1)
        assert StaffMember.objects.get().staff_number == "ab12"

    def test_matching_is_within_the_uploaders_agency(self, agency_a, agency_b, roles):
        factories.StaffMemberFactory(agency=agency_b, staff_number="E1", email="asha.patel@example.org")
        _record, outcome = apply(agency_a, csv_bytes([staff_row("E1")]))
        assert outcome.new == 1
        assert StaffMember.objects.filter(staff_number="E1").count() == 2

    def test_leavers_and_future_dates_are_accepted(self, agency_a, roles):
        rows = [
            staff_row("E1", start="2026-09-01"),
            staff_row("E2", "Ben", start="2019-01-01", left="2027-03-04"),
            staff_row("E3", "Cara", start="2019-01-01", left="2025-12-31"),
        ]
        _record, outcome = apply(agency_a, csv_bytes(rows))
        assert outcome.new == 3
        assert StaffMember.objects.get(staff_number="E2").left_on == datetime.date(2027, 3, 4)

    def test_formula_like_text_is_stored_as_plain_text(self, agency_a, roles):
        row = staff_row(
            "E1",
            '=HYPERLINK("http://evil")',
            "+44",
            email="a@example.org",
            job_title="@SUM(A1)",
            team="-North",
        )
        apply(agency_a, csv_bytes([row]))
        asha = StaffMember.objects.get()
        assert (asha.first_name, asha.last_name, asha.job_title, asha.team.name) == (
            '=HYPERLINK("http://evil")',
            "+44",
            "@SUM(A1)",
            "-North",
        )

    def test_the_preview_lists_new_rows_ignored_columns_and_the_headers_as_written(self, agency_a, roles):
        headers = ["EMPLOYEE-ID", "Forename", "Surname", "E-mail address", "Role", "Shoe size"]
        record, preview = check(
            agency_a, csv_bytes([["E1", "Asha", "Patel", "a@example.org", "PC", "5"]], headers=headers)
        )
        assert preview.ok
        assert preview.columns["staff_number"] == "EMPLOYEE-ID"
        assert preview.ignored_columns == ["Shoe size"]
        assert preview.new_rows == [
            {
                "row": 2,
                "staff_number": "E1",
                "first_name": "Asha",
                "last_name": "Patel",
                "email": "a@example.org",
                "job_role": "Police officer",
            }
        ]
        record.refresh_from_db()
        assert StaffImportPreview.from_record(record).new_rows == preview.new_rows
        assert record.status == Status.VALIDATED and not StaffMember.objects.exists()


# ---------------------------------------------------------------------------------------------
# Formats, headers, dates
# ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
class TestFormats:
    def test_csv_with_a_byte_order_mark(self, agency_a, roles):
        apply(agency_a, csv_bytes([staff_row("E1", "Zoë", email="zoe@example.org")], bom=True))
        assert StaffMember.objects.get().first_name == "Zoë"

    def test_windows_1252_csv(self, agency_a, roles):
        apply(
            agency_a,
            csv_bytes([staff_row("E1", "Zoë", "O’Brien", email="zoe@example.org")], encoding="cp1252"),
        )
        assert StaffMember.objects.values_list("first_name", "last_name").get() == ("Zoë", "O’Brien")

    def test_semicolon_separated_csv(self, agency_a, roles):
        apply(agency_a, csv_bytes([staff_row("E1")], delimiter=";"))
        assert StaffMember.objects.get().first_name == "Asha"

    def test_xlsx_with_real_date_cells_and_numeric_staff_numbers(self, agency_a, roles):
        data = xlsx_bytes(
            [staff_row(1234, start=datetime.date(2024, 9, 2), left=datetime.datetime(2027, 1, 31))]
        )
        apply(agency_a, data, "staff.xlsx")
        person = StaffMember.objects.get()
        assert (person.staff_number, person.start_date, person.left_on) == (
            "1234",
            datetime.date(2024, 9, 2),
            datetime.date(2027, 1, 31),
        )

    def test_ods_with_date_cells(self, agency_a, roles):
        data = ods_bytes([staff_row(1234, start=datetime.date(2024, 9, 2))], trailing_blank_rows=500)
        _record, outcome = apply(agency_a, data, "staff.ods")
        assert outcome.rows == 1
        assert StaffMember.objects.values_list("staff_number", "start_date").get() == (
            "1234",
            datetime.date(2024, 9, 2),
        )

    def test_trailing_and_middle_blank_rows_are_ignored_and_row_numbers_kept(self, agency_a, roles):
        rows = [staff_row("E1"), [""] * 10, staff_row("E2", "Ben", email="bad")] + [[""] * 10] * 50
        preview = refused(agency_a, csv_bytes(rows))
        assert preview.rows == 2
        assert [(e["row"], e["column"]) for e in preview.errors] == [(4, "Email")]

    @pytest.mark.parametrize(
        ("field", "header"),
        [
            ("staff_number", header)
            for header in (
                "employee id",
                "Employee Number",
                "employee no",
                "Staff ID",
                "staff no.",
                "Payroll number",
                "person_id",
                "Staff number",
            )
        ]
        + [("first_name", h) for h in ("Forename", "first name", "Given name")]
        + [("last_name", h) for h in ("Surname", "LAST NAME", "family-name")]
        + [("email", h) for h in ("Email", "Email address", "Work email", "E-mail")]
        + [("job_role", h) for h in ("Role", "Job role")]
        + [("job_title", h) for h in ("Job title", "Position", "Post")]
        + [("team", h) for h in ("Team", "Department", "Service")]
        + [("line_manager_email", h) for h in ("Manager email", "Line manager email", "Line manager")]
        + [("start_date", h) for h in ("Start date", "Date started", "Employment start date")]
        + [("left_on", h) for h in ("Leaving date", "End date", "Left on", "Date left")],
    )
    def test_each_header_alias(self, agency_a, roles, field, header):
        values = {
            "staff_number": "E77",
            "first_name": "Asha",
            "last_name": "Patel",
            "email": "asha@example.org",
            "job_role": "Police officer",
            "job_title": "Constable",
            "team": "North",
            "line_manager_email": "sam@example.org",
            "start_date": "2020-01-06",
            "left_on": "2027-01-01",
        }
        required = ["staff_number", "first_name", "last_name", "email", "job_role"]
        fields = required + ([field] if field not in required else [])
        headers = [header if name == field else name for name in fields]
        apply(agency_a, csv_bytes([[values[name] for name in fields]], headers=headers))
        person = StaffMember.objects.select_related("team").get()
        stored = person.team.name if field == "team" else getattr(person, field)
        expected = {
            "job_role": roles.police,
            "start_date": datetime.date(2020, 1, 6),
            "left_on": datetime.date(2027, 1, 1),
        }
        assert stored == expected.get(field, values[field])

    @pytest.mark.parametrize(
        "written",
        [
            "2026-03-04",
            "04/03/2026",
            "4/3/2026",
            "04/03/26",
            "4 March 2026",
            "4 Mar 2026",
            " 4  march 2026 ",
            "4 MAR 2026",
        ],
    )
    def test_each_accepted_date_shape(self, agency_a, roles, written):
        apply(agency_a, csv_bytes([staff_row("E1", start=written)]))
        assert StaffMember.objects.get().start_date == datetime.date(2026, 3, 4)

    @pytest.mark.parametrize(
        ("written", "expected"),
        [
            ("01/02/00", datetime.date(2000, 2, 1)),
            ("01/02/27", datetime.date(2027, 2, 1)),
            ("01/02/70", datetime.date(1970, 2, 1)),
            ("31/12/99", datetime.date(1999, 12, 31)),
        ],
    )
    def test_two_digit_years_00_to_69_are_2000s_and_70_to_99_are_1900s(
        self, agency_a, roles, written, expected
    ):
        apply(agency_a, csv_bytes([staff_row("E1", start=written)]))
        assert StaffMember.objects.get().start_date == expected


# ---------------------------------------------------------------------------------------------
# Refusals: the message, and nothing written
# ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
class TestRefusals:
    @pytest.fixture(autouse=True)
    def existing(self, agency_a, roles):
        # Someone already on the list, so "nothing written" covers updates as well as creates.
        apply(agency_a, csv_bytes([staff_row("E0", "Old", "Hand", email="old@example.org")]))

    def test_empty_file(self, agency_a):
        assert messages(refused(agency_a, b"")) == ["The file is empty."]
        assert messages(refused(agency_a, b"\r\n , ,\r\n")) == [
            "The file is empty: it has no header row and no data."
        ]

    def test_header_without_rows_is_refused_even_as_a_complete_list(self, agency_a):
        preview = refused(agency_a, csv_bytes([]), complete_list=True)
        assert messages(preview) == ["The file has a header row but no rows of data under it."]

    def test_missing_required_columns_are_named_with_the_headers_found(self, agency_a):
        preview = refused(
            agency_a, csv_bytes([["E1", "Asha", "x"]], headers=["Staff no", "Forename", "Notes"])
        )
        assert [e["column"] for e in preview.errors] == ["Last name", "Email", "Job role"]
        assert preview.errors[1]["message"] == (
            'The file has no "Email" column (also accepted: email address, work email). '
            'The columns found were: "Staff no", "Forename", "Notes".'
        )

    def test_two_columns_for_one_field(self, agency_a):
        headers = HEADERS + ["Work email"]
        preview = refused(agency_a, csv_bytes([staff_row("E1") + ["x@example.org"]], headers=headers))
        assert messages(preview) == [
            'The columns "Email" and "Work email" both give the email. Delete one of them.'
        ]

    def test_duplicate_staff_numbers_report_every_row(self, agency_a):
        rows = [staff_row("E1"), staff_row("E2", "Ben"), staff_row("e1", "Cara"), staff_row("E1", "Dan")]
        preview = refused(agency_a, csv_bytes(rows))
        assert [(e["row"], e["value"]) for e in preview.errors] == [(2, "E1"), (4, "e1"), (5, "E1")]
        assert preview.errors[0]["message"] == (
            "The staff number E1 is on rows 2, 4 and 5. "
            "Each person must appear once, with their own staff number."
        )

    def test_duplicate_emails_report_every_row(self, agency_a):
        rows = [staff_row("E1", email="same@example.org"), staff_row("E2", "Ben", email="SAME@example.org")]
        preview = refused(agency_a, csv_bytes(rows))
        assert [(e["row"], e["column"]) for e in preview.errors] == [(2, "Email"), (3, "Email")]
        assert "is on rows 2 and 3" in preview.errors[0]["message"]

    def test_email_of_a_current_person_missing_from_the_file(self, agency_a):
        preview = refused(agency_a, csv_bytes([staff_row("E1", email="old@example.org")]))
        assert messages(preview) == [
            "This email belongs to Old Hand (staff number E0), who is not in this file and has not left. "
            "Each person needs their own email address."
        ]

    def test_unknown_job_role_lists_the_known_roles(self, agency_a):
        preview = refused(agency_a, csv_bytes([staff_row("E1", role="Astronaut")]))
        assert preview.errors == [
            {
                "row": 2,
                "column": "Job role",
                "value": "Astronaut",
                "message": "This is not a job role in the catalogue. The job roles are: "
                "Children's social worker; Police officer.",
            }
        ]

    @pytest.mark.parametrize("email", ["asha", "asha@", "asha patel@example.org", "@example.org"])
    def test_bad_email(self, agency_a, email):
        preview = refused(agency_a, csv_bytes([staff_row("E1", email=email)]))
        assert preview.errors == [
            {
                "row": 2,
                "column": "Email",
                "value": email,
                "message": "Enter an email address in the correct format, like name@example.org.",
            }
        ]

    def test_bad_line_manager_email(self, agency_a):
        preview = refused(agency_a, csv_bytes([staff_row("E1", manager="Sam Jones")]))
        assert [(e["column"], e["value"]) for e in preview.errors] == [("Line manager email", "Sam Jones")]

    def test_missing_required_values(self, agency_a):
        preview = refused(agency_a, csv_bytes([staff_row("E1", first="", email="a@example.org", role="")]))
        assert messages(preview) == ["The first name is missing.", "The job role is missing."]

    def test_a_new_person_needs_an_email(self, agency_a):
        preview = refused(agency_a, csv_bytes([staff_row("E1", email="  ")]))
        assert preview.errors == [
            {"row": 2, "column": "Email", "value": None, "message": "The email is missing."}
        ]

    def test_an_upload_cannot_remove_an_email_the_tracker_has(self, agency_a):
        # Old Hand, staff number E0, has old@example.org (this class's autouse set-up).
        preview = refused(agency_a, csv_bytes([staff_row("E0", first="Old", last="Hand", email="")]))
        assert messages(preview) == [
            "The email is missing. The tracker has old@example.org for Old Hand: an upload cannot "
            "remove an email address."
        ]

    @pytest.mark.parametrize(
        ("written", "message"),
        [
            ("31/02/2024", "This date does not exist: February 2024 has 29 days."),
            ("29/02/2025", "This date does not exist: February 2025 has 28 days."),
            ("2024-13-01", "There is no month 13. Slashed dates are day first: 04/03/2026 is 4 March 2026."),
            ("03/13/2024", "There is no month 13. Slashed dates are day first: 04/03/2026 is 4 March 2026."),
            ("31/12/1949", "31 December 1949 is before 1950. Check the year."),
            (
                "04/03/69",
                "4 March 2069 is more than a year ahead (the latest we accept is 4 March 2027). "
                "Check the year.",
            ),
            (
                "5 March 2027",
                "5 March 2027 is more than a year ahead (the latest we accept is 4 March 2027). "
                "Check the year.",
            ),
            (
                "March 4 2026",
                "This is not a date we can read. Write dates like 4 March 2026, 04/03/2026 or 2026-03-04.",
            ),
            (
                "4.3.2026",
                "This is not a date we can read. Write dates like 4 March 2026, 04/03/2026 or 2026-03-04.",
            ),
            (
                "4 Smarch 2026",
                "This is not a date we can read. Write dates like 4 March 2026, 04/03/2026 or 2026-03-04.",
            ),
        ],
    )
    def test_dates_that_are_not_accepted(self, agency_a, written, message):
        preview = refused(agency_a, csv_bytes([staff_row("E1", start=written)]))
        assert preview.errors == [{"row": 2, "column": "Start date", "value": written, "message": message}]

    def test_a_number_in_a_date_column_of_a_workbook(self, agency_a):
        preview = refused(agency_a, xlsx_bytes([staff_row("E1", start=45000)]), "staff.xlsx")
        assert preview.errors[0]["message"].startswith("This is a number, not a date.")

    def test_leaving_date_before_start_date(self, agency_a):
        preview = refused(agency_a, csv_bytes([staff_row("E1", start="2024-05-01", left="2024-04-30")]))
        assert preview.errors == [
            {
                "row": 2,
                "column": "Leaving date",
                "value": "2024-04-30",
                "message": "The leaving date is before the start date (1 May 2024).",
            }
        ]

    def test_too_long_values(self, agency_a):
        preview = refused(agency_a, csv_bytes([staff_row("E" * 51)]))
        assert messages(preview) == ["This is 51 characters long; the most we can keep is 50."]

    def test_every_error_in_the_file_is_listed_at_once(self, agency_a):
        rows = [staff_row("E1", email="bad"), staff_row("E2", "Ben", role="Astronaut", start="31/02/2024")]
        preview = refused(agency_a, csv_bytes(rows))
        assert [(e["row"], e["column"]) for e in preview.errors] == [
            (2, "Email"),
            (3, "Job role"),
            (3, "Start date"),
        ]

    def test_corrupt_workbook(self, agency_a):
        preview = refused(agency_a, b"PK\x03\x04 this is not really a zip file", "staff.xlsx")
        assert messages(preview)[0].startswith("This workbook is damaged and cannot be opened.")
        preview = refused(agency_a, b"Staff number,First name\nE1,Asha\n", "staff.xlsx")
        assert "is named .xlsx but is not a workbook we can open" in messages(preview)[0]

    def test_encrypted_or_old_excel_workbook(self, agency_a):
        data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600
        preview = refused(agency_a, data, "staff.xlsx")
        assert messages(preview) == [
            "This is an Office file but not a spreadsheet (perhaps a Word document). Upload an .xlsx, "
            ".xls, .ods or .csv file."
        ]

    def test_file_over_ten_megabytes(self, agency_a):
        before = snapshot()
        record = import_create(
            kind="staff",
            actor=None,
            agency=agency_a,
            upload=b"x" * (50 * 1024 * 1024 + 1),
            file_name="big.csv",
            run_in_background=False,
        )
        assert record.status == Status.INVALID and not record.file
        assert record.errors[0]["message"].startswith("The file is 50.0 MB; the limit is 50 MB.")
        preview = import_validate(import_record=record, today=TODAY)
        assert not preview.ok
        with pytest.raises(ImportRefused):
            import_commit(import_record=record, actor=None, today=TODAY)
        assert snapshot() == before

    def test_more_than_the_row_limit(self, agency_a, monkeypatch):
        monkeypatch.setattr("imports.reading.MAX_DATA_ROWS", 3)
        rows = [staff_row(f"E{i}", email=f"p{i}@example.org") for i in range(1, 5)]
        preview = refused(agency_a, csv_bytes(rows))
        assert preview.errors == [
            {
                "row": 5,
                "column": None,
                "value": None,
                "message": "The file has more than 3 rows of data, the most we accept in one upload. "
                "Split it into smaller files.",
            }
        ]

    def test_not_a_spreadsheet(self, agency_a):
        preview = refused(agency_a, b"%PDF-1.4 binary", "staff.pdf")
        assert messages(preview) == [
            "We can read .xlsx, .xls, .ods and .csv files. Save the spreadsheet in one of those formats."
        ]


# ---------------------------------------------------------------------------------------------
# Complete staff list: leavers
# ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
class TestCompleteList:
    @pytest.fixture
    def twenty(self, agency_a, roles):
        rows = [staff_row(f"E{i:02d}", f"P{i}", "Person", email=f"p{i}@example.org") for i in range(20)]
        apply(agency_a, csv_bytes(rows))
        return rows

    def test_missing_people_become_leavers_dated_today(self, agency_a, twenty):
        factories.StaffMemberFactory(
            agency=agency_a, staff_number="FUTURE", start_date=datetime.date(2026, 6, 1)
        )
        factories.StaffMemberFactory(agency=agency_a, staff_number="GONE", left_on=datetime.date(2025, 1, 1))
        record, preview = check(agency_a, csv_bytes(twenty[:18]), complete_list=True)
        assert (preview.leavers, preview.current_staff, preview.needs_mass_leaver_confirmation) == (
            2,
            20,
            False,
        )
        assert preview.leaver_rows == [
            {
                "staff_number": "E18",
                "name": "P18 Person",
                "email": "p18@example.org",
                "left_on": "2026-03-04",
            },
            {
                "staff_number": "E19",
                "name": "P19 Person",
                "email": "p19@example.org",
                "left_on": "2026-03-04",
            },
        ]
        outcome = import_commit(import_record=record, actor=None, today=TODAY)
        assert outcome.leavers == 2
        assert set(StaffMember.objects.filter(left_on=TODAY).values_list("staff_number", flat=True)) == {
            "E18",
            "E19",
        }
        # A starter who has not started, and someone who left already, are left as they are.
        assert StaffMember.objects.get(staff_number="FUTURE").left_on is None
        assert StaffMember.objects.get(staff_number="GONE").left_on == datetime.date(2025, 1, 1)
        assert StaffMember.objects.get(staff_number="E19").history.first().history_change_reason == (
            f"Staff list import #{record.pk}"
        )

    def test_without_the_complete_list_option_nobody_leaves(self, agency_a, twenty):
        _record, outcome = apply(agency_a, csv_bytes(twenty[:5]))
        assert outcome.leavers == 0
        assert not StaffMember.objects.filter(left_on__isnull=False).exists()

    def test_more_than_ten_percent_needs_a_second_confirmation(self, agency_a, twenty):
        before = snapshot()
        record, preview = check(agency_a, csv_bytes(twenty[:17]), complete_list=True)
        assert (preview.leavers, preview.needs_mass_leaver_confirmation) == (3, True)
        message = (
            "This file would make 3 of the agency's 20 current staff (15%) leavers. "
            "Confirm that this is right to go ahead."
        )
        with pytest.raises(ImportRefused, match=r"3 of the agency's 20 current staff \(15%\)") as refusal:
            import_commit(import_record=record, actor=None, today=TODAY)
        assert refusal.value.message == message
        with pytest.raises(ImportRefused):
            import_request_commit(import_record=record, actor=None)
        assert snapshot() == before
        record.refresh_from_db()
        assert record.status == Status.VALIDATED

        outcome = import_commit(import_record=record, actor=None, confirm_mass_leavers=True, today=TODAY)
        assert outcome.leavers == 3
        assert StaffMember.objects.filter(left_on=TODAY).count() == 3
        record.refresh_from_db()
        assert record.confirm_mass_leavers is True

    def test_reuploading_the_complete_list_changes_nothing(self, agency_a, twenty):
        apply(agency_a, csv_bytes(twenty[:18]), complete_list=True)
        before = snapshot()
        _record, outcome = apply(agency_a, csv_bytes(twenty[:18]), complete_list=True)
        assert (outcome.leavers, outcome.unchanged) == (0, 18)
        assert snapshot() == before

    def test_a_leaver_listed_again_is_a_returner(self, agency_a, twenty):
        apply(agency_a, csv_bytes(twenty[:19]), complete_list=True)
        _record, outcome = apply(agency_a, csv_bytes(twenty), complete_list=True)
        assert outcome.updated == 1
        assert outcome.updated_rows[0]["changes"] == [
            {"field": "left_on", "label": "Leaving date", "before": "2026-03-04", "after": ""}
        ]
        assert not StaffMember.objects.filter(left_on__isnull=False).exists()


# ---------------------------------------------------------------------------------------------
# Commit: exactly the previewed file, all or nothing, once
# ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
class TestCommit:
    def test_a_changed_stored_file_is_refused(self, agency_a, roles):
        record, _preview = check(agency_a, csv_bytes([staff_row("E1")]))
        with open(record.file.path, "wb") as stream:
            stream.write(csv_bytes([staff_row("E1"), staff_row("E2", "Ben")]))
        with pytest.raises(ImportRefused, match="not the one that was checked"):
            import_commit(import_record=record, actor=None, today=TODAY)
        assert not StaffMember.objects.exists()
        record.refresh_from_db()
        assert record.status == Status.FAILED

    def test_records_changed_since_the_preview_refuse_and_refresh_the_preview(self, agency_a, roles):
        record, preview = check(agency_a, csv_bytes([staff_row("E1"), staff_row("E2", "Ben")]))
        assert preview.new == 2
        factories.StaffMemberFactory(agency=agency_a, staff_number="E2", email="ben.patel@example.org")
        before = snapshot()
        with pytest.raises(ImportRefused, match="changed after the preview"):
            import_commit(import_record=record, actor=None, today=TODAY)
        assert snapshot() == before
        record.refresh_from_db()
        assert (record.status, record.new_count, record.updated_count) == (Status.VALIDATED, 1, 1)
        outcome = import_commit(import_record=record, actor=None, today=TODAY)
        assert (outcome.new, outcome.updated) == (1, 1)

    def test_all_or_nothing_when_a_write_fails(self, agency_a, roles, monkeypatch):
        apply(agency_a, csv_bytes([staff_row("E1")]))
        record, _preview = check(
            agency_a, csv_bytes([staff_row("E1", job_title="Boss"), staff_row("E2", "Ben")])
        )
        before = snapshot()

        def explode(*args, **kwargs):
            raise RuntimeError("disk full")

        monkeypatch.setattr("imports.kinds.staff.bulk_insert_with_history", explode)
        with pytest.raises(RuntimeError):
            import_commit(import_record=record, actor=None, today=TODAY)
        assert snapshot() == before
        record.refresh_from_db()
        assert (record.status, record.message) == (
            Status.FAILED,
            "An unexpected error stopped the import. Nothing was changed.",
        )

    def test_committing_twice_changes_nothing_the_second_time(self, agency_a, roles):
        record, outcome = apply(agency_a, csv_bytes([staff_row("E1")]))
        before = snapshot()
        again = import_commit(import_record=record, actor=None, today=TODAY)
        assert again.committed and again.new == outcome.new == 1
        assert snapshot() == before

    def test_validating_twice_does_the_work_once(self, agency_a, roles):
        record, preview = check(agency_a, csv_bytes([staff_row("E1")]))
        again = import_validate(import_record=record, today=TODAY)
        assert again.fingerprint == preview.fingerprint and again.new == 1

    def test_a_file_with_errors_cannot_be_confirmed(self, agency_a, roles):
        record, _preview = check(agency_a, csv_bytes([staff_row("E1", email="bad")]))
        with pytest.raises(ImportRefused, match="not waiting for confirmation"):
            import_request_commit(import_record=record, actor=None)


# ---------------------------------------------------------------------------------------------
# Access at service level
# ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
class TestAccess:
    def test_agency_hr_can_import_into_their_own_agency(self, agency_a, roles, hr_a):
        _record, outcome = apply(agency_a, csv_bytes([staff_row("E1")]), actor=hr_a)
        assert outcome.committed

    def test_agency_hr_cannot_import_into_another_agency(self, agency_a, agency_b, roles, hr_a, hr_b):
        with pytest.raises(Http404):
            import_create(
                kind="staff",
                actor=hr_a,
                agency=agency_b,
                upload=csv_bytes([staff_row("E1")]),
                file_name="s.csv",
            )
        assert not ImportRecord.objects.exists()
        # Nor confirm or apply an import of another agency.
        record, _preview = check(agency_b, csv_bytes([staff_row("E1")]), actor=hr_b)
        with pytest.raises(Http404):
            import_request_commit(import_record=record, actor=hr_a)
        with pytest.raises(Http404):
            import_commit(import_record=record, actor=hr_a, today=TODAY)
        assert not StaffMember.objects.exists()

    def test_a_lead_can_import_into_any_agency_and_an_outsider_into_none(
        self, agency_b, roles, lead, outsider
    ):
        _record, outcome = apply(agency_b, csv_bytes([staff_row("E1")]), actor=lead)
        assert outcome.committed
        with pytest.raises(Http404):
            import_create(
                kind="staff",
                actor=outsider,
                agency=agency_b,
                upload=csv_bytes([staff_row("E2")]),
                file_name="s.csv",
            )


# ---------------------------------------------------------------------------------------------
# Error reports and exports are inert
# ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
class TestInertDownloads:
    def test_failing_rows_come_back_with_an_error_column_and_inert_cells(self, agency_a, roles):
        rows = [staff_row("E1"), staff_row("E2", "=1+2", email="bad"), staff_row("E3", "Cara", role="@Boss")]
        record, _preview = check(agency_a, xlsx_bytes(rows), "staff.xlsx")
        name, data = import_failing_rows(import_record=record, file_format="xlsx")
        assert name == "staff - failing rows.xlsx"
        sheet = open_sheet(data, name)
        assert sheet.headers == HEADERS + ["error"]
        got = [cells for _number, cells in sheet.rows]
        assert [cells[0] for cells in got] == ["E2", "E3"]
        assert got[0][1] == "'=1+2"
        assert got[0][-1] == "Email: Enter an email address in the correct format, like name@example.org."
        assert got[1][4] == "'@Boss"

        _name, csv_data = import_failing_rows(import_record=record, file_format="csv")
        assert b"'=1+2" in csv_data and b"'@Boss" in csv_data

    def test_the_fixed_failing_rows_file_uploads_cleanly(self, agency_a, roles):
        record, _preview = check(agency_a, csv_bytes([staff_row("E1", "=Asha", email="bad")]))
        _name, data = import_failing_rows(import_record=record, file_format="csv")
        fixed = data.replace(b"bad,", b"asha@example.org,")
        apply(agency_a, fixed)
        assert StaffMember.objects.values_list("first_name", "email").get() == ("=Asha", "asha@example.org")

    def test_no_failing_rows_file_when_only_the_file_as_a_whole_failed(self, agency_a, roles):
        record, _preview = check(agency_a, csv_bytes([["x"]], headers=["Nothing"]))
        assert import_failing_rows(import_record=record, file_format="csv") is None

    def test_exported_formula_like_values_are_inert(self, agency_a, roles):
        apply(
            agency_a,
            csv_bytes([staff_row("E1", "=cmd|' /C calc'!A0", email="a@example.org", job_title="+1")]),
        )
        # Tabs and carriage returns cannot arrive through an upload (cells are stripped), but can
        # through other paths.
        factories.StaffMemberFactory(
            agency=agency_a,
            staff_number="E2",
            first_name="\tTab",
            team=factories.TeamFactory(agency=agency_a, name="\rNorth"),
        )
        data = staff_list_export(agency=agency_a, file_format="csv", today=TODAY)
        assert b"'=cmd|' /C calc'!A0" in data and b"'\tTab" in data and b"'+1" in data and b"'\rNorth" in data


# ---------------------------------------------------------------------------------------------
# Random files through the CSV path
# ---------------------------------------------------------------------------------------------

CELL = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        ["", " ", "=1+1", "@x", "-", "04/03/26", "31/02/2024", "a@b.co", "Police officer", '"', "\r\n"]
    ),
)


@pytest.mark.django_db
@hypothesis_settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rows=st.lists(st.lists(CELL, min_size=0, max_size=12), max_size=6),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]),
    delimiter=st.sampled_from([",", ";", "\t"]),
    complete_list=st.booleans(),
)
def test_random_csv_gives_a_clean_result_or_row_errors_and_never_a_partial_write(
    agency_a, roles, rows, encoding, delimiter, complete_list
):
    data = csv_bytes(rows, delimiter=delimiter).decode("utf-8").encode(encoding, errors="replace")
    before = snapshot()
    record, preview = check(agency_a, data, "random.csv", complete_list=complete_list)
    assert all(set(error) == {"row", "column", "value", "message"} for error in preview.errors)
    if not preview.ok:
        assert snapshot() == before
        return
    try:
        import_commit(import_record=record, actor=None, confirm_mass_leavers=True, today=TODAY)
    except ImportRefused:
        assert snapshot() == before


@pytest.mark.django_db
class TestCheckedRows:
    """The check keeps the clean rows beside the upload, so the commit need not read it again."""

    def test_the_commit_uses_the_rows_kept_by_the_check(self, agency_a, roles, monkeypatch):
        record, _preview = check(agency_a, csv_bytes([staff_row("E1", start="02/09/2024", team="North")]))

        def unread(*args, **kwargs):
            raise AssertionError("the file was read again")

        monkeypatch.setattr("imports.kinds.staff._read", unread)
        outcome = import_commit(import_record=record, actor=None, today=TODAY)
        assert outcome.new == 1
        person = StaffMember.objects.get()
        assert (person.start_date, person.team.name, person.job_role) == (
            datetime.date(2024, 9, 2),
            "North",
            roles.police,
        )

    def test_kept_rows_for_another_file_are_ignored(self, agency_a, roles):
        first, _preview = check(agency_a, csv_bytes([staff_row("E1")]))
        record, _preview = check(agency_a, csv_bytes([staff_row("E2", "Ben")]))
        storage = record.file.storage
        with storage.open(f"{first.file.name}.checked.json", "rb") as stream:
            foreign = stream.read()
        storage.delete(f"{record.file.name}.checked.json")
        storage.save(f"{record.file.name}.checked.json", ContentFile(foreign))
        import_commit(import_record=record, actor=None, today=TODAY)
        assert list(StaffMember.objects.values_list("staff_number", flat=True)) == ["E2"]

    def test_a_job_role_gone_since_the_check_means_reading_again_and_refusing(self, agency_a, roles):
        record, _preview = check(agency_a, csv_bytes([staff_row("E1", role="Social worker")]))
        roles.social.delete()
        with pytest.raises(ImportRefused, match="changed after the preview"):
            import_commit(import_record=record, actor=None, today=TODAY)
        assert not StaffMember.objects.exists()
        record.refresh_from_db()
        assert record.status == Status.INVALID
        assert record.errors[0]["column"] == "Job role"

    def test_the_purge_deletes_the_kept_rows_with_the_upload(self, agency_a, roles):
        record, _preview = check(agency_a, csv_bytes([staff_row("E1")]))
        storage, name = record.file.storage, record.file.name
        assert storage.exists(f"{name}.checked.json")
        ImportRecord.objects.filter(pk=record.pk).update(
            finished_at=datetime.datetime(2025, 11, 1, tzinfo=datetime.UTC)
        )
        assert import_files_purge(today=TODAY) == 1
        assert not storage.exists(name) and not storage.exists(f"{name}.checked.json")


@pytest.mark.django_db
class TestRowByRowResource:
    """The resource also drives django-import-export's own import (the benchmark's comparison,
    benchmarks/_row_by_row.py: the tracker itself never imports row by row)."""

    def test_import_data_with_aliases_creates_then_skips(self, agency_a, roles):
        headers = ["Employee ID", "Forename", "Surname", "Work email", "Role", "Department", "Start date"]
        dataset = tablib.Dataset(
            ["E1", "Asha", "Patel", "A@Example.org", "PC", "North", "04/03/2020"], headers=headers
        )
        result = RowByRowStaffResource(agency=agency_a, today=TODAY).import_data(dataset, raise_errors=True)
        assert result.totals["new"] == 1
        person = StaffMember.objects.get()
        assert (person.agency, person.email, person.job_role, person.team.name, person.role_since) == (
            agency_a,
            "a@example.org",
            roles.police,
            "North",
            datetime.date(2020, 3, 4),
        )
        dataset = tablib.Dataset(
            ["E1", "Asha", "Patel", "A@Example.org", "PC", "North", "04/03/2020"], headers=headers
        )
        again = RowByRowStaffResource(agency=agency_a, today=TODAY).import_data(dataset, raise_errors=True)
        assert again.totals["skip"] == 1


@pytest.mark.django_db
def test_a_leaving_date_before_the_recorded_start_date_is_refused(agency_a, roles):
    apply(agency_a, csv_bytes([staff_row("E1", start="2024-05-01")]))
    headers = [h for h in HEADERS if h != "Start date"]
    row = [v for h, v in zip(HEADERS, staff_row("E1", left="2024-04-30"), strict=True) if h != "Start date"]
    preview = refused(agency_a, csv_bytes([row], headers=headers))
    assert preview.errors == [
        {
            "row": 2,
            "column": "Leaving date",
            "value": "2024-04-30",
            "message": "The leaving date is before Asha Patel's start date (1 May 2024).",
        }
    ]
