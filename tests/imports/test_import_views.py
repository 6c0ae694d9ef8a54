"""The spreadsheet import pages (imports.views): upload, progress, preview, confirmation,
result, history, downloads and help, for staff lists and completion files, and who may see each.

Celery tasks run in the test process: `.delay` is captured and the captured tasks are run by hand
(`run_queued`), or the eager_tasks fixture runs them as they are queued. One test at the end uses a
real worker on the real broker.
"""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from config.celery_app import app as celery_app
from imports import tasks
from imports.models import ImportRecord
from imports.services import import_create, import_files_purge, import_validate
from tests import factories
from tests.celery_fixtures import wait_for
from tests.imports.spreadsheet_files import HEADERS, csv_bytes, staff_row, xlsx_bytes
from training.models import Completion
from workforce.models import StaffMember

Status = ImportRecord.Status
TASKS = {
    "import_validate_task": tasks.import_validate_task,
    "import_commit_task": tasks.import_commit_task,
}
REFRESH = '<meta http-equiv="refresh" content="2">'


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def police(db):
    return factories.JobRoleFactory(name="Police officer")


@pytest.fixture
def queued(monkeypatch):
    """(task name, import id) for every task queued with .delay, instead of the broker."""
    sent = []
    for name, task in TASKS.items():
        monkeypatch.setattr(task, "delay", lambda pk, name=name: sent.append((name, pk)))
    return sent


def run_queued(queued):
    """Run the captured tasks, as a worker would, in the order they were queued."""
    while queued:
        name, pk = queued.pop(0)
        TASKS[name].run(pk)


def login(client, user):
    client.force_login(user)
    return client


def upload_file(content, name="staff.csv"):
    return SimpleUploadedFile(name, content, content_type="text/csv")


def post_upload(client, content, *, agency=None, complete_list=False, name="staff.csv", capture):
    data = {"file": upload_file(content, name)}
    if agency is not None:
        data["agency"] = agency.pk
    if complete_list:
        data["complete_list"] = "on"
    with capture(execute=True):
        return client.post(reverse("imports:upload", args=["staff"]), data)


def checked_record(agency, rows, *, actor=None, complete_list=False, content=None, name="staff.csv"):
    """A staff list uploaded and checked (the task's work done in the test)."""
    record = import_create(
        kind="staff",
        actor=actor,
        agency=agency,
        upload=content if content is not None else csv_bytes(rows),
        file_name=name,
        complete_list=complete_list,
        run_in_background=False,
    )
    import_validate(import_record=record)
    record.refresh_from_db()
    return record


def confirm(client, record, *, capture, **extra):
    record.refresh_from_db()
    data = {"fingerprint": record.preview.get("fingerprint", ""), **extra}
    with capture(execute=True):
        return client.post(reverse("imports:confirm", kwargs={"pk": record.pk}), data)


def status_page(client, record):
    return client.get(reverse("imports:status", kwargs={"pk": record.pk}))


def current_people(agency):
    return StaffMember.objects.filter(agency=agency, left_on__isnull=True).count()


def ten_staff_keeping(agency, role, kept):
    """Ten current staff of `agency`; the rows of a staff list that keeps the first `kept` of them."""
    for number in range(10):
        factories.StaffMemberFactory(
            agency=agency,
            staff_number=f"E{number}",
            first_name="Asha",
            last_name=f"Patel{number}",
            email=f"asha{number}@example.org",
            job_role=role,
        )
    return [staff_row(f"E{n}", "Asha", f"Patel{n}", email=f"asha{n}@example.org") for n in range(kept)]


# ---------------------------------------------------------------------------------------------
# Upload
# ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
class TestUpload:
    def test_hr_uploads_into_their_own_agency_and_the_check_is_queued(
        self, client, hr_a, agency_a, agency_b, police, queued, django_capture_on_commit_callbacks
    ):
        login(client, hr_a)
        page = client.get(reverse("imports:upload", args=["staff"]))
        assert page.status_code == 200
        assert 'name="agency"' not in page.content.decode(), "one agency: nothing to choose"
        assert "Agency A" in page.content.decode()

        # An agency id slipped into the form changes nothing: the HR user's agency is fixed.
        response = post_upload(
            client, csv_bytes([staff_row("E1")]), agency=agency_b, capture=django_capture_on_commit_callbacks
        )

        record = ImportRecord.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("imports:status", kwargs={"pk": record.pk})
        assert (record.agency, record.uploaded_by, record.status) == (agency_a, hr_a, Status.UPLOADED)
        assert queued == [("import_validate_task", record.pk)]

    def test_a_lead_chooses_the_agency(
        self, client, lead, agency_a, agency_b, police, queued, django_capture_on_commit_callbacks
    ):
        login(client, lead)
        page = client.get(reverse("imports:upload", args=["staff"]) + "?agency=agency-b")
        body = page.content.decode()
        assert f'<option value="{agency_b.pk}" selected>Agency B</option>' in body
        assert "Agency A" in body

        post_upload(
            client,
            csv_bytes([staff_row("E1")]),
            agency=agency_b,
            complete_list=True,
            capture=django_capture_on_commit_callbacks,
        )

        record = ImportRecord.objects.get()
        assert (record.agency, record.complete_list) == (agency_b, True)

    def test_a_lead_must_choose_an_agency(
        self, client, lead, agency_a, agency_b, police, queued, django_capture_on_commit_callbacks
    ):
        login(client, lead)
        response = post_upload(
            client, csv_bytes([staff_row("E1")]), capture=django_capture_on_commit_callbacks
        )
        assert response.status_code == 200
        assert "Choose the agency whose staff list this is." in response.content.decode()
        assert "There is a problem" in response.content.decode()
        assert not ImportRecord.objects.exists() and queued == []

    def test_hr_of_several_agencies_chooses_among_theirs_only(
        self, client, hr_a, agency_a, agency_b, police, queued, django_capture_on_commit_callbacks
    ):
        agency_c = factories.AgencyFactory(name="Agency C", slug="agency-c")
        factories.AgencyHRFactory(agency=agency_c)
        hr_a.agency_memberships.create(agency=agency_c)
        login(client, hr_a)
        body = client.get(reverse("imports:upload", args=["staff"])).content.decode()
        assert "Agency A" in body and "Agency C" in body and "Agency B" not in body

        response = post_upload(
            client, csv_bytes([staff_row("E1")]), agency=agency_b, capture=django_capture_on_commit_callbacks
        )

        assert response.status_code == 200
        assert "Choose one of the agencies in the list." in response.content.decode()
        assert not ImportRecord.objects.exists() and queued == []

    def test_a_file_over_50_mb_is_refused_at_once(
        self, client, hr_a, queued, django_capture_on_commit_callbacks
    ):
        login(client, hr_a)
        big = b"Staff number\r\n" + b"E1\r\n" * (13 * 1024 * 1024)
        response = post_upload(client, big, capture=django_capture_on_commit_callbacks)
        body = response.content.decode()
        assert response.status_code == 200
        assert "The selected file must be smaller than 50 MB (it is 52.0 MB)." in body
        assert not ImportRecord.objects.exists() and queued == []

    def test_no_file_and_an_empty_file_are_refused(
        self, client, hr_a, queued, django_capture_on_commit_callbacks
    ):
        login(client, hr_a)
        response = client.post(reverse("imports:upload", args=["staff"]), {})
        assert "Choose the spreadsheet to upload." in response.content.decode()
        response = post_upload(client, b"", capture=django_capture_on_commit_callbacks)
        assert "The selected file is empty." in response.content.decode()
        assert not ImportRecord.objects.exists() and queued == []

    def test_the_upload_page_links_to_the_template_and_the_help(self, client, hr_a):
        body = login(client, hr_a).get(reverse("imports:upload", args=["staff"])).content.decode()
        assert reverse("imports:template", kwargs={"kind": "staff", "file_format": "xlsx"}) in body
        assert reverse("imports:template", kwargs={"kind": "staff", "file_format": "csv"}) in body
        assert reverse("imports:help", args=["staff"]) in body
        assert "This file is our complete staff list" in body
        assert "recorded as having left" in body
        assert 'enctype="multipart/form-data" novalidate' in body

    def test_the_agency_staff_page_offers_the_upload(self, client, hr_a, agency_a):
        body = login(client, hr_a).get(reverse("agency_staff", kwargs={"slug": "agency-a"})).content.decode()
        assert reverse("imports:upload", args=["staff"]) + "?agency=agency-a" in body
        assert "Upload a staff list" in body


# ---------------------------------------------------------------------------------------------
# Progress, preview, errors
# ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
class TestStatus:
    def test_the_page_refreshes_itself_while_checking_and_stops_once_done(
        self, client, hr_a, agency_a, police
    ):
        record = import_create(
            kind="staff",
            actor=hr_a,
            agency=agency_a,
            upload=csv_bytes([staff_row("E1")]),
            file_name="staff.csv",
            run_in_background=False,
        )
        login(client, hr_a)

        waiting = status_page(client, record).content.decode()
        assert REFRESH in waiting
        assert "Checking your file" in waiting
        assert "Waiting to start checking the file." in waiting
        assert "taking longer than usual" not in waiting
        ImportRecord.objects.filter(pk=record.pk).update(
            created_at=record.created_at - datetime.timedelta(minutes=5)
        )
        assert "taking longer than usual" in status_page(client, record).content.decode()

        ImportRecord.objects.filter(pk=record.pk).update(
            status=Status.VALIDATING, progress_done=2_000, progress_total=8_000
        )
        checking = status_page(client, record).content.decode()
        assert REFRESH in checking
        assert "Checked 2,000 of 8,000 rows (25%)." in checking
        assert 'aria-valuenow="25"' in checking and "app-w-25" in checking

        ImportRecord.objects.filter(pk=record.pk).update(status=Status.UPLOADED)
        import_validate(import_record=record)
        done = status_page(client, record).content.decode()
        assert REFRESH not in done
        assert "data-import-progress" not in done
        assert "Check the changes, then confirm" in done

    def test_the_progress_endpoint_reports_rows_done(self, client, hr_a, agency_a, police):
        record = import_create(
            kind="staff",
            actor=hr_a,
            agency=agency_a,
            upload=csv_bytes([staff_row("E1")]),
            file_name="staff.csv",
            run_in_background=False,
        )
        ImportRecord.objects.filter(pk=record.pk).update(
            status=Status.VALIDATING, progress_done=300, progress_total=1_200
        )
        data = login(client, hr_a).get(reverse("imports:progress", kwargs={"pk": record.pk})).json()
        assert data == {
            "status": "validating",
            "status_label": "Checking the file",
            "working": True,
            "done": 300,
            "total": 1_200,
            "percent": 25,
            "text": "Checked 300 of 1,200 rows (25%).",
        }

    def test_the_preview_shows_counts_and_new_updated_and_leaving_staff(self, client, hr_a, agency_a, police):
        factories.StaffMemberFactory(
            agency=agency_a,
            staff_number="E1",
            first_name="Janet",
            last_name="Payne",
            email="janet.payne@example.org",
            job_role=police,
        )
        factories.StaffMemberFactory(
            agency=agency_a,
            staff_number="E2",
            first_name="Asha",
            last_name="Patel",
            email="asha.patel@example.org",
            job_role=police,
        )
        factories.StaffMemberFactory(
            agency=agency_a, staff_number="E3", first_name="Leah", last_name="Walker", job_role=police
        )
        rows = [
            staff_row("E1", "Janeta", "Payne", email="janet.payne@example.org", start="06/01/2020"),
            staff_row("E2", start="2020-01-06"),
            staff_row("N9", "Nia", "Newman", start="4/3/2026"),
        ]
        record = checked_record(agency_a, rows, actor=hr_a, complete_list=True)

        response = status_page(login(client, hr_a), record)
        body = response.content.decode()
        counts = response.context["counts"]
        assert {count["key"]: count["value"] for count in counts} == {
            "new": 1,
            "updated": 1,
            "unchanged": 1,
            "leavers": 1,
            "errors": 0,
        }
        assert "Nia Newman" in body and "4 March 2026" in body
        assert response.context["updated_rows"][0]["changes"] == [
            {"field": "first_name", "label": "First name", "before": "Janet", "after": "Janeta"}
        ]
        assert "Leah Walker" in body
        # 1 of 3 current staff is more than 10%: the second confirmation is asked for.
        assert "I confirm that 1 person (33%) has left Agency A" in body
        assert "Confirm and apply the changes" in body
        assert REFRESH not in body

    def test_every_error_is_listed_with_row_column_value_and_message(self, client, hr_a, agency_a, police):
        rows = [staff_row("E1"), staff_row("E2", email="not-an-email"), staff_row("E3", role="Astronaut")]
        record = checked_record(agency_a, rows, actor=hr_a)
        assert record.status == Status.INVALID

        response = status_page(login(client, hr_a), record)
        body = response.content.decode()
        assert response.context["error_rows"] == [
            {
                "row": 3,
                "column": "Email",
                "value": "not-an-email",
                "message": "Enter an email address in the correct format, like name@example.org.",
            },
            {
                "row": 4,
                "column": "Job role",
                "value": "Astronaut",
                "message": response.context["error_rows"][1]["message"],
            },
        ]
        assert response.context["error_rows"][1]["message"].startswith(
            "This is not a job role in the catalogue"
        )
        assert "Fix the problems in the file" in body
        assert "Nothing was changed." in body
        assert "Confirm and apply" not in body and '/confirm/"' not in body
        assert reverse("imports:failing_rows", kwargs={"pk": record.pk, "file_format": "xlsx"}) in body
        assert reverse("imports:failing_rows", kwargs={"pk": record.pk, "file_format": "csv"}) in body

    def test_a_missing_value_is_shown_as_empty(self, client, hr_a, agency_a, police):
        record = checked_record(agency_a, [staff_row("E1", last="", email="asha@example.org")], actor=hr_a)
        assert record.status == Status.INVALID

        body = status_page(login(client, hr_a), record).content.decode()

        assert [error["value"] for error in status_page(client, record).context["error_rows"]] == [""]
        assert (
            '<td class="govuk-table__cell app-import-value" data-label="Value"><span class="govuk-hint'
            in body
        )
        assert ">(empty)</span></td>" in body

    def test_a_whole_file_problem_has_no_failing_rows_download(self, client, hr_a, agency_a, police):
        record = checked_record(agency_a, [], content=csv_bytes([["x"]], headers=["Nothing"]), actor=hr_a)
        body = status_page(login(client, hr_a), record).content.decode()
        assert "We could not use this file" in body
        assert "Whole file" in body
        assert "failing-rows" not in body
        assert (
            client.get(
                reverse("imports:failing_rows", kwargs={"pk": record.pk, "file_format": "csv"})
            ).status_code
            == 404
        )

    def test_long_tables_are_capped_with_a_link_to_every_row(self, client, hr_a, agency_a, police):
        rows = [staff_row(f"E{n}", "Asha", f"Patel{n}", email=f"asha{n}@example.org") for n in range(30)]
        record = checked_record(agency_a, rows, actor=hr_a)
        body = status_page(login(client, hr_a), record).content.decode()
        assert "Showing the first 25 of 30." in body
        all_rows = reverse("imports:rows", kwargs={"pk": record.pk, "section": "new"})
        assert all_rows in body

        page = client.get(all_rows)
        assert len(page.context["rows"]) == 30
        assert "Asha Patel29" in page.content.decode()

    def test_every_problem_pages_and_downloads(self, client, hr_a, agency_a, police):
        rows = [staff_row(f"E{n}", email=f"bad{n}") for n in range(130)]
        record = checked_record(agency_a, rows, actor=hr_a)
        body = status_page(login(client, hr_a), record).content.decode()
        assert "Problems to fix (130)" in body
        assert "Showing the first 100 of 130." in body

        second = client.get(
            reverse("imports:rows", kwargs={"pk": record.pk, "section": "errors"}) + "?page=2"
        )
        assert [row["value"] for row in second.context["rows"]][:2] == ["bad100", "bad101"]

        listing = client.get(reverse("imports:errors", kwargs={"pk": record.pk, "file_format": "csv"}))
        lines = listing.content.decode("utf-8-sig").splitlines()
        assert lines[0] == "Row,Column,Value,Problem"
        assert len(lines) == 131
        assert lines[1].startswith('2,Email,bad0,"Enter an email address')


# ---------------------------------------------------------------------------------------------
# Failing rows, original file, templates, export
# ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
class TestDownloads:
    def test_failing_rows_come_with_an_error_column_and_inert_cells(self, client, hr_a, agency_a, police):
        rows = [staff_row("E1"), staff_row("E2", "=1+2", email="bad"), staff_row("E3", "Cara", role="@Boss")]
        record = checked_record(agency_a, rows, actor=hr_a, content=xlsx_bytes(rows), name="staff.xlsx")
        login(client, hr_a)

        response = client.get(
            reverse("imports:failing_rows", kwargs={"pk": record.pk, "file_format": "xlsx"})
        )
        assert response.status_code == 200
        assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        assert 'filename="staff - failing rows.xlsx"' in response["Content-Disposition"]
        sheet = load_workbook(io.BytesIO(response.content)).active
        values = [[cell.value for cell in row] for row in sheet.iter_rows()]
        assert values[0][: len(HEADERS) + 1] == HEADERS + ["error"]
        assert [row[0] for row in values[1:]] == ["E2", "E3"]
        assert values[1][1] == "'=1+2"
        assert (
            values[1][len(HEADERS)]
            == "Email: Enter an email address in the correct format, like name@example.org."
        )
        assert values[2][4] == "'@Boss"
        assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)

        csv_response = client.get(
            reverse("imports:failing_rows", kwargs={"pk": record.pk, "file_format": "csv"})
        )
        text = csv_response.content.decode("utf-8-sig")
        assert csv_response["Content-Type"] == "text/csv; charset=utf-8"
        assert text.splitlines()[0].endswith(",error")
        assert "'=1+2" in text and "'@Boss" in text

    def test_the_list_of_problems_is_inert_too(self, client, hr_a, agency_a, police):
        record = checked_record(agency_a, [staff_row("E1", email="=HYPERLINK(1)")], actor=hr_a)
        response = login(client, hr_a).get(
            reverse("imports:errors", kwargs={"pk": record.pk, "file_format": "xlsx"})
        )
        sheet = load_workbook(io.BytesIO(response.content)).active
        assert sheet["A1"].value == "Row" and sheet["D1"].value == "Problem"
        assert sheet["C2"].value == "'=HYPERLINK(1)"

    def test_the_original_file_downloads_until_it_is_purged(self, client, hr_a, agency_a, police):
        content = csv_bytes([staff_row("E1")])
        record = checked_record(agency_a, [], content=content, actor=hr_a, name="Our staff.csv")
        login(client, hr_a)
        url = reverse("imports:original_file", kwargs={"pk": record.pk})

        response = client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == content
        assert 'filename="Our staff.csv"' in response["Content-Disposition"]

        ImportRecord.objects.filter(pk=record.pk).update(
            finished_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
        )
        assert import_files_purge(today=datetime.date.today()) == 1
        assert client.get(url).status_code == 404
        body = status_page(client, record).content.decode()
        assert "The file itself was deleted on" in body
        assert url not in body

    @pytest.mark.parametrize("file_format", ["csv", "xlsx"])
    def test_the_templates_download(self, client, hr_a, lead, file_format):
        response = login(client, hr_a).get(
            reverse("imports:template", kwargs={"kind": "staff", "file_format": file_format})
        )
        assert response.status_code == 200
        assert f'filename="staff-list-template.{file_format}"' in response["Content-Disposition"]
        if file_format == "csv":
            assert response.content.decode("utf-8-sig").splitlines()[0] == ",".join(HEADERS)
        else:
            headers = [cell.value for cell in load_workbook(io.BytesIO(response.content)).active[1]]
            assert headers == HEADERS

        response = login(client, lead).get(
            reverse("imports:template", kwargs={"kind": "completions", "file_format": file_format})
        )
        assert f'filename="completions-template.{file_format}"' in response["Content-Disposition"]

    def test_the_staff_list_exports_in_the_upload_columns(self, client, hr_a, agency_a, staff_a):
        response = login(client, hr_a).get(
            reverse("imports:staff_export", kwargs={"slug": "agency-a", "file_format": "csv"})
        )
        lines = response.content.decode("utf-8-sig").splitlines()
        assert lines[0] == ",".join(HEADERS)
        assert lines[1].startswith(f"{staff_a.staff_number},Asha,Patel,")
        assert "agency-a-staff-list-" in response["Content-Disposition"]


# ---------------------------------------------------------------------------------------------
# Confirming
# ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
class TestConfirm:
    def test_confirming_applies_the_file_and_shows_the_result(
        self, client, hr_a, agency_a, police, queued, django_capture_on_commit_callbacks
    ):
        record = checked_record(agency_a, [staff_row("E1"), staff_row("E2", "Ben", "Ode")], actor=hr_a)
        login(client, hr_a)

        response = confirm(client, record, capture=django_capture_on_commit_callbacks)

        assert response.status_code == 302
        assert queued == [("import_commit_task", record.pk)]
        committing = status_page(client, record).content.decode()
        assert "Applying the changes" in committing and REFRESH in committing

        run_queued(queued)

        record.refresh_from_db()
        assert record.status == Status.COMMITTED and record.confirmed_by == hr_a
        assert StaffMember.objects.filter(agency=agency_a).count() == 2
        body = status_page(client, record).content.decode()
        assert REFRESH not in body
        assert "Staff list applied" in body
        assert "Applied 2 rows: 2 new, 0 updated, 0 unchanged, 0 leavers." in body
        assert reverse("agency_staff", kwargs={"slug": "agency-a"}) in body
        assert reverse("imports:agency_history", kwargs={"slug": "agency-a"}) in body

    def test_a_second_click_queues_nothing_more(
        self, client, hr_a, agency_a, police, queued, django_capture_on_commit_callbacks
    ):
        record = checked_record(agency_a, [staff_row("E1")], actor=hr_a)
        login(client, hr_a)
        confirm(client, record, capture=django_capture_on_commit_callbacks)
        second = confirm(client, record, capture=django_capture_on_commit_callbacks)
        assert second.status_code == 302
        assert queued == [("import_commit_task", record.pk)]

    def test_more_than_10_percent_leaving_needs_the_second_confirmation(
        self, client, hr_a, agency_a, police, queued, django_capture_on_commit_callbacks
    ):
        kept = ten_staff_keeping(agency_a, police, 8)
        record = checked_record(agency_a, kept, actor=hr_a, complete_list=True)
        login(client, hr_a)

        response = confirm(client, record, capture=django_capture_on_commit_callbacks)

        body = response.content.decode()
        assert response.status_code == 200
        assert "There is a problem" in body
        assert (
            "Tick the box to confirm that 2 people (20%) have left Agency A, or upload a different file."
            in body
        )
        assert "2 of the 10 current staff of Agency A (20%) are not in this file" in body
        record.refresh_from_db()
        assert record.status == Status.VALIDATED and not record.confirm_mass_leavers
        assert queued == [] and current_people(agency_a) == 10

        response = confirm(
            client, record, capture=django_capture_on_commit_callbacks, confirm_mass_leavers="on"
        )
        assert response.status_code == 302
        run_queued(queued)
        record.refresh_from_db()
        assert record.status == Status.COMMITTED and record.confirm_mass_leavers
        assert current_people(agency_a) == 8

    def test_10_percent_or_less_needs_no_second_confirmation(
        self, client, hr_a, agency_a, police, queued, django_capture_on_commit_callbacks
    ):
        kept = ten_staff_keeping(agency_a, police, 9)
        record = checked_record(agency_a, kept, actor=hr_a, complete_list=True)
        login(client, hr_a)
        assert "I confirm that" not in status_page(client, record).content.decode()

        confirm(client, record, capture=django_capture_on_commit_callbacks)
        run_queued(queued)

        assert current_people(agency_a) == 9

    def test_a_tampered_file_is_refused_and_nothing_is_written(
        self, client, hr_a, agency_a, police, queued, django_capture_on_commit_callbacks
    ):
        record = checked_record(agency_a, [staff_row("E1")], actor=hr_a)
        with record.file.open("wb") as stream:
            stream.write(csv_bytes([staff_row("E1"), staff_row("E666", "Mallory", "Evil")]))
        login(client, hr_a)

        confirm(client, record, capture=django_capture_on_commit_callbacks)
        run_queued(queued)

        record.refresh_from_db()
        assert record.status == Status.FAILED
        assert not StaffMember.objects.exists()
        body = status_page(client, record).content.decode()
        assert "The import did not go ahead" in body
        assert (
            "The stored file is not the one that was checked, so nothing was applied. Upload it again."
            in body
        )
        assert "Nothing was changed." in body
        assert "Staff list applied" not in body

    def test_a_preview_that_changed_since_the_page_was_opened_must_be_read_again(
        self, client, hr_a, agency_a, police, queued, django_capture_on_commit_callbacks
    ):
        record = checked_record(agency_a, [staff_row("E1")], actor=hr_a)
        login(client, hr_a)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("imports:confirm", kwargs={"pk": record.pk}), {"fingerprint": "old"}
            )
        assert response.status_code == 200
        assert "The preview changed after you opened this page." in response.content.decode()
        record.refresh_from_db()
        assert record.status == Status.VALIDATED and queued == [] and not StaffMember.objects.exists()

    def test_records_changed_since_the_preview_are_shown_again_before_anything_is_written(
        self, client, hr_a, agency_a, police, queued, django_capture_on_commit_callbacks
    ):
        person = factories.StaffMemberFactory(
            agency=agency_a, staff_number="E1", first_name="Janet", last_name="Payne", job_role=police
        )
        record = checked_record(
            agency_a, [staff_row("E1", "Janeta", "Payne", email=person.email)], actor=hr_a
        )
        StaffMember.objects.filter(pk=person.pk).update(first_name="Janeta")  # someone else fixed it
        login(client, hr_a)

        confirm(client, record, capture=django_capture_on_commit_callbacks)
        run_queued(queued)

        record.refresh_from_db()
        assert record.status == Status.VALIDATED and record.updated_count == 0
        body = status_page(client, record).content.decode()
        assert "The staff records changed after the preview" in body
        assert "Check the new preview and confirm again." in body
        assert "Confirm and apply the changes" in body
        assert StaffMember.objects.get().first_name == "Janeta"

    def test_a_refused_file_cannot_be_confirmed(
        self, client, hr_a, agency_a, police, queued, django_capture_on_commit_callbacks
    ):
        record = checked_record(agency_a, [staff_row("E1", email="bad")], actor=hr_a)
        response = confirm(login(client, hr_a), record, capture=django_capture_on_commit_callbacks)
        assert response.status_code == 302
        assert queued == [] and not StaffMember.objects.exists()


# ---------------------------------------------------------------------------------------------
# History and help
# ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
class TestHistory:
    def test_the_agency_history_lists_who_when_file_counts_and_outcome(
        self, client, hr_a, hr_b, agency_a, agency_b, police, django_assert_max_num_queries
    ):
        hr_a.first_name, hr_a.last_name = "Sam", "Okafor"
        hr_a.save()
        good = checked_record(
            agency_a, [staff_row("E1"), staff_row("E2", "Ben", "Ode")], actor=hr_a, name="March.csv"
        )
        bad = checked_record(agency_a, [staff_row("E1", email="bad")], actor=hr_a, name="April.csv")
        other = checked_record(agency_b, [staff_row("E1")], actor=hr_b, name="Secret B.csv")
        for _ in range(5):
            checked_record(agency_a, [staff_row("E1")], actor=hr_a)
        login(client, hr_a)

        with django_assert_max_num_queries(12):
            response = client.get(reverse("imports:agency_history", kwargs={"slug": "agency-a"}))

        body = response.content.decode()
        assert len(response.context["page"].object_list) == 7
        assert reverse("imports:status", kwargs={"pk": good.pk}) in body
        assert reverse("imports:status", kwargs={"pk": bad.pk}) in body
        assert "March.csv" in body and "Sam Okafor" in body
        assert "2 new, 0 updated, 0 leavers" in body
        assert "1 problem" in body and "Problems to fix" in body
        assert "Secret B.csv" not in body and reverse("imports:status", kwargs={"pk": other.pk}) not in body

        index = client.get(reverse("imports:index")).content.decode()
        assert "March.csv" in index and "Secret B.csv" not in index

    def test_a_lead_sees_every_agency_in_the_index(
        self, client, lead, hr_a, hr_b, agency_a, agency_b, police
    ):
        checked_record(agency_a, [staff_row("E1")], actor=hr_a, name="A.csv")
        checked_record(agency_b, [staff_row("E1")], actor=hr_b, name="B.csv")
        body = login(client, lead).get(reverse("imports:index")).content.decode()
        assert "A.csv" in body and "B.csv" in body and "Agency B" in body
        assert reverse("imports:history", args=["completions"]) in body

    def test_the_help_page_explains_columns_dates_matching_and_leavers(self, client, hr_a, police):
        body = login(client, hr_a).get(reverse("imports:help", args=["staff"])).content.decode()
        for text in (
            "Staff number",
            "payroll number",  # an alias
            "Police officer",  # the job roles
            "always read day first",
            "04/03/2026 is 4 March 2026",
            "staff number within your agency",
            "This file is our complete staff list",
            "more than 10%",
            "50 MB and 250,000 rows",
            "Formulas are not run",
        ):
            assert text in body, text


# ---------------------------------------------------------------------------------------------
# Completion files (leads only)
# ---------------------------------------------------------------------------------------------

COMPLETION_HEADERS = ["Email", "Module", "Completed on"]


@pytest.mark.django_db
class TestCompletionFiles:
    def test_a_lead_uploads_previews_confirms_and_reads_the_history(
        self, client, lead, staff_a, staff_b, eager_tasks, django_capture_on_commit_callbacks
    ):
        module = factories.ModuleFactory(code="HSB-101", title="Understanding HSB", validity_months=None)
        factories.CompletionFactory(staff=staff_b, module=module, completed_on=datetime.date(2025, 1, 6))
        rows = [
            [staff_a.email, "HSB-101", "6/1/2025"],
            [staff_b.email, "hsb-101", "2025-01-06"],  # already recorded
        ]
        login(client, lead)
        assert client.get(reverse("imports:upload", args=["completions"])).status_code == 200

        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("imports:upload", args=["completions"]),
                {"file": upload_file(csv_bytes(rows, headers=COMPLETION_HEADERS), "provider.csv")},
            )

        record = ImportRecord.objects.get(kind=ImportRecord.Kind.COMPLETIONS)
        assert response["Location"] == reverse("imports:status", kwargs={"pk": record.pk})
        page = status_page(client, record)
        body = page.content.decode()
        assert "Check the completions, then confirm" in body
        assert {count["key"]: count["value"] for count in page.context["counts"]} == {
            "new": 1,
            "duplicates": 1,
            "errors": 0,
        }
        assert staff_a.full_name in body and "6 January 2025" in body
        assert "Agency A" in body, "the agency by name, not its slug"

        with django_capture_on_commit_callbacks(execute=True):
            client.post(
                reverse("imports:confirm", kwargs={"pk": record.pk}),
                {"fingerprint": record.preview["fingerprint"]},
            )

        record.refresh_from_db()
        assert record.status == Status.COMMITTED
        assert Completion.objects.filter(staff=staff_a, module=module).count() == 1
        assert Completion.objects.count() == 2
        body = status_page(client, record).content.decode()
        assert "Completions recorded" in body and reverse("imports:history", args=["completions"]) in body
        history = client.get(reverse("imports:history", args=["completions"])).content.decode()
        assert "provider.csv" in history and "1 new, 1 already recorded" in history

    def test_errors_in_a_completion_file_are_listed(self, client, lead, staff_a):
        factories.ModuleFactory(code="HSB-101")
        rows = [["nobody@example.org", "HSB-101", "6/1/2025"], [staff_a.email, "HSB-999", "6/1/2025"]]
        record = import_create(
            kind="completions",
            actor=lead,
            upload=csv_bytes(rows, headers=COMPLETION_HEADERS),
            file_name="p.csv",
            run_in_background=False,
        )
        import_validate(import_record=record)
        response = status_page(login(client, lead), record)
        assert [(row["row"], row["column"], row["value"]) for row in response.context["error_rows"]] == [
            (2, "Email", "nobody@example.org"),
            (3, "Module", "HSB-999"),
        ]
        assert "Confirm and record" not in response.content.decode()


# ---------------------------------------------------------------------------------------------
# Access: every page and download, as every persona
# ---------------------------------------------------------------------------------------------


def record_urls(record):
    pk = record.pk
    return [
        reverse("imports:status", kwargs={"pk": pk}),
        reverse("imports:progress", kwargs={"pk": pk}),
        reverse("imports:rows", kwargs={"pk": pk, "section": "errors"}),
        reverse("imports:failing_rows", kwargs={"pk": pk, "file_format": "csv"}),
        reverse("imports:failing_rows", kwargs={"pk": pk, "file_format": "xlsx"}),
        reverse("imports:errors", kwargs={"pk": pk, "file_format": "csv"}),
        reverse("imports:errors", kwargs={"pk": pk, "file_format": "xlsx"}),
        reverse("imports:original_file", kwargs={"pk": pk}),
    ]


def agency_urls(slug):
    return [
        reverse("imports:upload", args=["staff"]) + f"?agency={slug}",
        reverse("imports:agency_history", kwargs={"slug": slug}),
        reverse("imports:staff_export", kwargs={"slug": slug, "file_format": "csv"}),
        reverse("imports:staff_export", kwargs={"slug": slug, "file_format": "xlsx"}),
    ]


STAFF_PAGES = [
    reverse("imports:index"),
    reverse("imports:upload", args=["staff"]),
    reverse("imports:help", args=["staff"]),
    reverse("imports:template", kwargs={"kind": "staff", "file_format": "csv"}),
    reverse("imports:template", kwargs={"kind": "staff", "file_format": "xlsx"}),
]
COMPLETION_PAGES = [
    reverse("imports:history", args=["completions"]),
    reverse("imports:upload", args=["completions"]),
    reverse("imports:help", args=["completions"]),
    reverse("imports:template", kwargs={"kind": "completions", "file_format": "csv"}),
    reverse("imports:template", kwargs={"kind": "completions", "file_format": "xlsx"}),
]


@pytest.fixture
def invalid_a(agency_a, hr_a, police):
    return checked_record(agency_a, [staff_row("E1", email="bad")], actor=hr_a)


@pytest.fixture
def invalid_b(agency_b, hr_b, police):
    return checked_record(agency_b, [staff_row("E1", email="bad")], actor=hr_b)


@pytest.fixture
def completion_record(lead, staff_a):
    factories.ModuleFactory(code="HSB-101")
    record = import_create(
        kind="completions",
        actor=lead,
        upload=csv_bytes([["nobody@example.org", "HSB-101", "6/1/2025"]], headers=COMPLETION_HEADERS),
        file_name="p.csv",
        run_in_background=False,
    )
    import_validate(import_record=record)
    return record


def codes(client, urls):
    return {url: client.get(url).status_code for url in urls}


@pytest.mark.django_db
class TestAccess:
    def test_a_lead_reads_every_page_and_download(
        self, client, lead, invalid_a, invalid_b, completion_record
    ):
        login(client, lead)
        urls = [
            *record_urls(invalid_b),
            *agency_urls("agency-b"),
            *STAFF_PAGES,
            *COMPLETION_PAGES,
            *record_urls(completion_record),
        ]
        assert set(codes(client, urls).values()) == {200}

    def test_hr_reads_their_own_agencys_imports(self, client, hr_a, invalid_a):
        login(client, hr_a)
        assert set(
            codes(client, [*record_urls(invalid_a), *agency_urls("agency-a"), *STAFF_PAGES]).values()
        ) == {200}

    def test_hr_gets_404_for_another_agencys_import(
        self, client, hr_a, invalid_b, agency_b, police, queued, django_capture_on_commit_callbacks
    ):
        login(client, hr_a)
        assert set(codes(client, [*record_urls(invalid_b), *agency_urls("agency-b")]).values()) == {404}

        valid_b = checked_record(agency_b, [staff_row("E1")])
        response = confirm(client, valid_b, capture=django_capture_on_commit_callbacks)
        assert response.status_code == 404
        valid_b.refresh_from_db()
        assert valid_b.status == Status.VALIDATED and queued == []
        assert not StaffMember.objects.exists()

    def test_hr_never_sees_completion_files(
        self, client, hr_a, completion_record, queued, django_capture_on_commit_callbacks
    ):
        login(client, hr_a)
        assert set(codes(client, [*record_urls(completion_record), *COMPLETION_PAGES]).values()) == {404}
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("imports:upload", args=["completions"]), {"file": upload_file(b"Email\r\nx\r\n")}
            )
        assert response.status_code == 404
        assert ImportRecord.objects.filter(kind=ImportRecord.Kind.COMPLETIONS).count() == 1 and queued == []

    def test_an_outsider_gets_404_everywhere(
        self, client, outsider, invalid_a, completion_record, queued, django_capture_on_commit_callbacks
    ):
        login(client, outsider)
        urls = [*record_urls(invalid_a), *agency_urls("agency-a"), *STAFF_PAGES, *COMPLETION_PAGES]
        assert set(codes(client, urls).values()) == {404}
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("imports:upload", args=["staff"]), {"file": upload_file(csv_bytes([]))}
            )
        assert response.status_code == 404
        assert ImportRecord.objects.count() == 2 and queued == []

    def test_anonymous_visitors_are_sent_to_sign_in(self, client, invalid_a, completion_record):
        urls = [*record_urls(invalid_a), *agency_urls("agency-a"), *STAFF_PAGES, *COMPLETION_PAGES]
        for url in urls:
            response = client.get(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith(reverse("login")), url
        response = client.post(reverse("imports:confirm", kwargs={"pk": invalid_a.pk}))
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


# ---------------------------------------------------------------------------------------------
# With a real worker on the real broker
# ---------------------------------------------------------------------------------------------


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("celery_worker")
def test_the_worker_checks_and_applies_an_uploaded_staff_list(client, hr_a, agency_a, police):
    assert not celery_app.conf.task_always_eager
    login(client, hr_a)
    response = client.post(
        reverse("imports:upload", args=["staff"]),
        {"file": upload_file(csv_bytes([staff_row("E1"), staff_row("E2", "Ben", "Ode")]))},
    )
    record = ImportRecord.objects.get()
    assert response["Location"] == reverse("imports:status", kwargs={"pk": record.pk})

    def checked():
        record.refresh_from_db()
        return record.status == Status.VALIDATED

    wait_for(checked, timeout=30)
    assert "Check the changes, then confirm" in status_page(client, record).content.decode()

    client.post(
        reverse("imports:confirm", kwargs={"pk": record.pk}), {"fingerprint": record.preview["fingerprint"]}
    )

    def applied():
        record.refresh_from_db()
        return record.status == Status.COMMITTED

    wait_for(applied, timeout=30)
    assert StaffMember.objects.filter(agency=agency_a).count() == 2
    assert "Staff list applied" in status_page(client, record).content.decode()
