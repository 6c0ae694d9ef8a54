"""Import records in the background: tasks by id, claims, progress, scoping, and the purge of old
uploaded files (imports.tasks and imports.services)."""

import datetime
import os

import pytest
from django.http import Http404
from django.utils import timezone

from imports import tasks
from imports.models import ImportRecord
from imports.selectors import get_visible_import_or_404, visible_imports
from imports.services import (
    ImportRefused,
    Progress,
    import_claim,
    import_commit,
    import_create,
    import_files_purge,
    import_request_commit,
)
from tests import factories
from tests.imports.spreadsheet_files import csv_bytes, staff_row
from training.models import Completion
from workforce.models import StaffMember

Status = ImportRecord.Status


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def queued(monkeypatch):
    """Task ids queued with .delay, instead of sending them to a broker."""
    sent = []
    for task in (
        tasks.import_validate_task,
        tasks.import_commit_task,
    ):
        monkeypatch.setattr(
            task, "delay", lambda pk, name=task.name: sent.append((name.rsplit(".", 1)[-1], pk))
        )
    return sent


@pytest.fixture
def police(db):
    return factories.JobRoleFactory(name="Police officer")


def upload(agency, actor, rows, **options):
    return import_create(
        kind="staff", actor=actor, agency=agency, upload=csv_bytes(rows), file_name="staff.csv", **options
    )


@pytest.mark.django_db
class TestBackgroundFlow:
    def test_upload_check_confirm_apply_by_id(
        self, agency_a, police, hr_a, lead, queued, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            record = upload(agency_a, hr_a, [staff_row("E1"), staff_row("E2", "Ben")])
        assert queued == [("import_validate_task", record.pk)]
        assert record.status == Status.UPLOADED and record.uploaded_by == hr_a

        tasks.import_validate_task(record.pk)
        record.refresh_from_db()
        assert (record.status, record.new_count, record.progress_done, record.progress_total) == (
            Status.VALIDATED,
            2,
            2,
            2,
        )
        assert not StaffMember.objects.exists()

        with django_capture_on_commit_callbacks(execute=True):
            import_request_commit(import_record=record, actor=lead)
        assert queued[-1] == ("import_commit_task", record.pk)
        record.refresh_from_db()
        assert (record.status, record.claimed_at, record.confirmed_by) == (Status.COMMITTING, None, lead)
        # A second click queues nothing more.
        with django_capture_on_commit_callbacks(execute=True), pytest.raises(ImportRefused):
            import_request_commit(import_record=record, actor=lead)
        assert len(queued) == 2

        tasks.import_commit_task(record.pk)
        record.refresh_from_db()
        assert record.status == Status.COMMITTED
        assert StaffMember.objects.get(staff_number="E1").history.get().history_user == lead
        history = StaffMember.history.count()
        tasks.import_commit_task(record.pk)  # redelivered
        tasks.import_validate_task(record.pk)
        assert StaffMember.history.count() == history
        record.refresh_from_db()
        assert record.status == Status.COMMITTED

    def test_the_commit_task_uses_the_confirmed_options(self, agency_a, police, hr_a, queued):
        for number in range(3):
            factories.StaffMemberFactory(agency=agency_a, staff_number=f"OLD{number}", job_role=police)
        record = upload(agency_a, hr_a, [staff_row("E1")], complete_list=True)
        tasks.import_validate_task(record.pk)
        import_request_commit(import_record=record, actor=hr_a, confirm_mass_leavers=True)
        tasks.import_commit_task(record.pk)
        assert StaffMember.objects.filter(left_on=timezone.localdate()).count() == 3

    def test_a_refused_commit_task_leaves_the_reason_on_the_record(self, agency_a, police, hr_a):
        record = upload(agency_a, hr_a, [staff_row("E1")], run_in_background=False)
        tasks.import_validate_task(record.pk)
        import_request_commit(import_record=record, actor=hr_a)
        with open(record.file.path, "ab") as stream:
            stream.write(b"tampered")
        tasks.import_commit_task(record.pk)
        record.refresh_from_db()
        assert record.status == Status.FAILED
        assert record.message.startswith("The stored file is not the one that was checked")
        assert not StaffMember.objects.exists()

    def test_tasks_for_unknown_ids_do_nothing(self, db):
        tasks.import_validate_task(999)
        tasks.import_commit_task(999)

    def test_completion_files_in_the_background(
        self, agency_a, lead, queued, django_capture_on_commit_callbacks
    ):
        factories.ModuleFactory(code="HSB-101")
        factories.StaffMemberFactory(agency=agency_a, email="asha@example.org")
        data = csv_bytes(
            [["asha@example.org", "HSB-101", "2025-03-04"]], headers=["Email", "Module", "Completed"]
        )
        with django_capture_on_commit_callbacks(execute=True):
            record = import_create(kind="completions", actor=lead, upload=data, file_name="c.csv")
        tasks.import_validate_task(record.pk)
        with django_capture_on_commit_callbacks(execute=True):
            import_request_commit(import_record=record, actor=lead)
        assert queued == [
            ("import_validate_task", record.pk),
            ("import_commit_task", record.pk),
        ]
        tasks.import_commit_task(record.pk)
        assert Completion.objects.get().recorded_by == lead


@pytest.mark.django_db
class TestClaims:
    def test_a_step_is_claimed_once_until_its_worker_is_certainly_gone(self, agency_a, police, settings):
        record = upload(agency_a, None, [staff_row("E1")], run_in_background=False)
        assert import_claim(
            import_record=record, from_statuses=[Status.UPLOADED], to_status=Status.VALIDATING
        )
        assert not import_claim(
            import_record=record, from_statuses=[Status.UPLOADED], to_status=Status.VALIDATING
        )
        stale = timezone.now() - datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 1)
        ImportRecord.objects.filter(pk=record.pk).update(claimed_at=stale)
        assert import_claim(
            import_record=record, from_statuses=[Status.UPLOADED], to_status=Status.VALIDATING
        )

    def test_progress_is_written_every_n_rows(self, agency_a, police):
        record = upload(agency_a, None, [staff_row("E1")], run_in_background=False)
        progress = Progress(record, every=2)
        progress.start(5)
        progress.tick(1)
        record.refresh_from_db()
        assert (record.progress_done, record.progress_total, record.progress_percent) == (0, 5, 0)
        progress.tick(2)
        record.refresh_from_db()
        assert (record.progress_done, record.progress_percent) == (2, 40)


@pytest.mark.django_db
class TestScoping:
    def test_agency_hr_sees_only_their_agencys_staff_imports(
        self, agency_a, agency_b, police, hr_a, hr_b, lead, outsider
    ):
        own = upload(agency_a, hr_a, [staff_row("E1")], run_in_background=False)
        other = upload(agency_b, hr_b, [staff_row("E1")], run_in_background=False)
        completions = import_create(
            kind="completions", actor=lead, upload=b"Email\r\n", file_name="c.csv", run_in_background=False
        )
        assert list(visible_imports(hr_a)) == [own]
        assert set(visible_imports(lead)) == {own, other, completions}
        assert not visible_imports(outsider).exists()
        assert get_visible_import_or_404(hr_a, pk=own.pk) == own
        for pk in (other.pk, completions.pk):
            with pytest.raises(Http404):
                get_visible_import_or_404(hr_a, pk=pk)


@pytest.mark.django_db
class TestPurge:
    def test_files_go_90_days_after_the_import_finished_and_records_stay(self, agency_a, police):
        today = timezone.localdate()
        old = upload(agency_a, None, [staff_row("E1")], run_in_background=False)
        recent = upload(agency_a, None, [staff_row("E2")], run_in_background=False)
        running = upload(agency_a, None, [staff_row("E3")], run_in_background=False)
        long_ago = timezone.now() - datetime.timedelta(days=91)
        ImportRecord.objects.filter(pk=old.pk).update(status=Status.COMMITTED, finished_at=long_ago)
        ImportRecord.objects.filter(pk=recent.pk).update(
            status=Status.COMMITTED, finished_at=timezone.now() - datetime.timedelta(days=89)
        )
        ImportRecord.objects.filter(pk=running.pk).update(status=Status.VALIDATING, created_at=long_ago)
        path = old.file.path

        assert import_files_purge(today=today) == 1
        old.refresh_from_db()
        assert (old.file.name, old.status) == ("", Status.COMMITTED) and old.file_deleted_at is not None
        assert not os.path.exists(path)
        recent.refresh_from_db()
        running.refresh_from_db()
        assert recent.file and running.file
        assert import_files_purge(today=today) == 0

    def test_refused_files_go_after_30_days(self, agency_a, police):
        today = timezone.localdate()
        refused = upload(agency_a, None, [staff_row("E1")], run_in_background=False)
        kept = upload(agency_a, None, [staff_row("E2")], run_in_background=False)
        finished = timezone.now() - datetime.timedelta(days=31)
        ImportRecord.objects.filter(pk=refused.pk).update(status=Status.INVALID, finished_at=finished)
        ImportRecord.objects.filter(pk=kept.pk).update(status=Status.COMMITTED, finished_at=finished)

        assert import_files_purge(today=today) == 1
        refused.refresh_from_db()
        kept.refresh_from_db()
        assert not refused.file and kept.file

    def test_an_unconfirmed_import_whose_file_was_purged_cannot_be_applied(self, agency_a, police):
        record = upload(agency_a, None, [staff_row("E1")], run_in_background=False)
        tasks.import_validate_task(record.pk)
        ImportRecord.objects.filter(pk=record.pk).update(
            finished_at=timezone.now() - datetime.timedelta(days=100)
        )
        import_files_purge(today=timezone.localdate())
        record.refresh_from_db()
        with pytest.raises(ImportRefused, match="deleted 90 days after the import finished"):
            import_commit(import_record=record, actor=None)
        assert not StaffMember.objects.exists()
