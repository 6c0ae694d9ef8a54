"""Large compliance exports, written in the background (workforce.exports, ExportJob): above
EXPORT_BACKGROUND_ROWS the button queues a job; the worker writes the file; its page shows the
progress and then the download, for the person who asked only, while they may still see it.

And the streamed files (CSV a line at a time, XLSX row by row) equal the files written in memory."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from audit import actions
from audit.models import AuditEvent
from tests.celery_fixtures import wait_for
from tests.downloads import file_bytes
from tests.training.records_fixtures import stored_files
from training import exports
from training.selectors.compliance import ComplianceFilters
from workforce import access
from workforce import exports as engine
from workforce.models import AgencyMembership, ExportJob
from workforce.services import export_job_build, export_jobs_purge
from workforce.spreadsheets import write_csv, write_xlsx


def export_url(kind, file_format):
    return reverse("compliance:export", args=[kind, file_format])


def job_url(job, name="export_job"):
    return reverse(name, args=[job.pk])


def xlsx_cells(content):
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    return [[(cell.value, cell.data_type, cell.number_format) for cell in row] for row in sheet.iter_rows()]


def csv_rows(content):
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


@pytest.fixture
def dangerous(scene):
    """Names a spreadsheet would run as formulas, to see them stay inert in every file."""
    asha = scene.people["asha"]
    asha.first_name, asha.last_name = '=HYPERLINK("http://x")', "@SUM(A1)"
    asha.save()
    return asha


# ---------------------------------------------------------------------------------------------
# Streamed files equal the files written in memory
# ---------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("on_day")
@pytest.mark.parametrize("kind", [exports.MATRIX, exports.LIST])
@pytest.mark.parametrize("query", [{}, {"status": "overdue"}, {"module": "HSB-101"}])
def test_streamed_downloads_equal_the_files_written_in_memory(client, lead, scene, dangerous, kind, query):
    client.force_login(lead)
    filters = exports.filters_from(lead, engine.query_of({key: [value] for key, value in query.items()}))
    table = exports.compliance_table(
        kind=kind, staff=access.visible_staff(lead), on=scene_day(), filters=filters
    )
    rows = list(table.rows)
    assert rows, "the scene should give every case some rows"

    streamed_csv = client.get(export_url(kind, "csv"), query)
    assert streamed_csv.streaming
    assert file_bytes(streamed_csv) == write_csv(table.headers, rows)

    streamed_xlsx = client.get(export_url(kind, "xlsx"), query)
    assert streamed_xlsx.streaming and streamed_xlsx["Content-Type"] == exports.CONTENT_TYPES["xlsx"]
    cells = xlsx_cells(file_bytes(streamed_xlsx))
    assert cells == xlsx_cells(write_xlsx(table.headers, rows, title=exports.KINDS[kind].capitalize()))
    if not query:
        texts = {value for row in cells for value, _, _ in row if isinstance(value, str)}
        assert '\'=HYPERLINK("http://x")' in texts and "'@SUM(A1)" in texts
        assert all(data_type != "f" for row in cells for _, data_type, _ in row)


@pytest.mark.usefixtures("on_day")
@pytest.mark.parametrize("kind", [exports.MATRIX, exports.LIST])
def test_people_read_a_few_at_a_time_give_the_same_rows(lead, scene, dangerous, kind):
    """The statuses are worked out a chunk of people at a time; chunks of 2 (people split across
    chunks, agencies too) give the rows of one chunk, in the same order."""
    staff = access.visible_staff(lead)
    filters = ComplianceFilters()
    whole = exports.compliance_table(kind=kind, staff=staff, on=scene_day(), filters=filters)
    rows = list(whole.rows)
    assert whole.people_done() == 7
    chunked = exports.compliance_table(kind=kind, staff=staff, on=scene_day(), filters=filters, chunk=2)
    assert list(chunked.rows) == rows
    assert chunked.people_done() == 7


def scene_day():
    return datetime.date(2026, 3, 4)


# ---------------------------------------------------------------------------------------------
# Above the threshold: a job, its page, its rejections
# ---------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("on_day")
def test_above_the_threshold_the_button_queues_a_job_and_shows_its_page(client, lead, scene, settings):
    settings.EXPORT_BACKGROUND_ROWS = 6
    client.force_login(lead)
    response = client.get(export_url("matrix", "xlsx"), {"module": "HSB-101", "page": "2"})
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == job_url(job)
    assert (job.requested_by, job.kind, job.file_format, job.status) == (
        lead,
        "compliance-matrix",
        "xlsx",
        "queued",
    )
    assert job.params == {"module": ["HSB-101"]}  # the filters, not the page
    assert job.rows_total == 7  # the current staff of both agencies
    assert job.expires_at == job.created_at + datetime.timedelta(hours=24)
    assert not AuditEvent.objects.filter(action=actions.DOWNLOAD).exists()

    page = client.get(job_url(job)).content.decode()
    assert "Compliance matrix" in page and "Waiting for the worker to start writing the file." in page
    assert 'role="progressbar"' in page and 'aria-valuenow="0"' in page
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in page
    assert "Check again" in page
    progress = client.get(job_url(job, "export_job_progress")).json()
    assert progress == {
        "status": "queued",
        "percent": 0,
        "text": "Waiting for the worker to start writing the file.",
    }


@pytest.mark.usefixtures("on_day")
def test_at_the_threshold_the_file_still_streams(client, lead, scene, settings):
    settings.EXPORT_BACKGROUND_ROWS = 7
    client.force_login(lead)
    response = client.get(export_url("matrix", "csv"))
    assert response.status_code == 200 and response.streaming
    assert not ExportJob.objects.exists()


@pytest.mark.usefixtures("on_day")
def test_a_bad_filter_is_refused_with_its_reason_and_queues_nothing(client, lead, scene, settings):
    settings.EXPORT_BACKGROUND_ROWS = 1
    client.force_login(lead)
    response = client.get(export_url("list", "xlsx"), {"module": "NOPE-1"})
    assert response.status_code == 400
    assert response.content.decode() == "The download link is not valid: Select a module from the list."
    assert not ExportJob.objects.exists()


@pytest.mark.usefixtures("on_day")
def test_another_agency_is_not_found_and_queues_nothing(client, hr_a, scene, settings):
    settings.EXPORT_BACKGROUND_ROWS = 1
    client.force_login(hr_a)
    assert client.get(export_url("matrix", "csv"), {"agency": scene.agency_b.slug}).status_code == 404
    assert not ExportJob.objects.exists()


@pytest.mark.usefixtures("on_day")
def test_only_the_person_who_asked_sees_the_job(client, lead, hr_a, hr_b, outsider, scene, settings, media):
    settings.EXPORT_BACKGROUND_ROWS = 1
    client.force_login(hr_a)
    client.get(export_url("list", "csv"))
    job = ExportJob.objects.get()
    export_job_build(job_id=job.pk)
    assert client.get(job_url(job, "export_job_download")).status_code == 200
    for other in (hr_b, outsider, lead):  # the lead may see agency A, but did not ask for this file
        client.force_login(other)
        for name in ("export_job", "export_job_progress", "export_job_download"):
            assert client.get(job_url(job, name)).status_code == 404, (other, name)
    client.logout()
    assert client.get(job_url(job)).status_code == 302  # to sign in
    assert AuditEvent.objects.filter(action=actions.DOWNLOAD).count() == 1


@pytest.mark.usefixtures("on_day")
def test_access_lost_after_asking_hides_the_file(client, hr_a, scene, settings, media):
    settings.EXPORT_BACKGROUND_ROWS = 1
    client.force_login(hr_a)
    client.get(export_url("matrix", "xlsx"), {"agency": scene.agency_a.slug})
    job = ExportJob.objects.get()
    export_job_build(job_id=job.pk)
    AgencyMembership.objects.filter(user=hr_a).delete()
    for name in ("export_job", "export_job_progress", "export_job_download"):
        assert client.get(job_url(job, name)).status_code == 404
    assert not AuditEvent.objects.filter(action=actions.DOWNLOAD).exists()


@pytest.mark.usefixtures("on_day")
def test_access_lost_before_the_worker_starts_fails_the_job_and_writes_nothing(
    client, hr_a, scene, settings, media
):
    settings.EXPORT_BACKGROUND_ROWS = 1
    client.force_login(hr_a)
    client.get(export_url("list", "xlsx"), {"agency": scene.agency_a.slug})
    job = ExportJob.objects.get()
    hr_a.groups.clear()
    export_job_build(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and not job.file
    assert job.error == "The file was not written: you can no longer see these records."
    assert stored_files(media) == []


@pytest.mark.usefixtures("on_day")
def test_a_failed_job_says_why_and_offers_no_download(client, lead, scene, settings, media):
    settings.EXPORT_BACKGROUND_ROWS = 1
    client.force_login(lead)
    client.get(export_url("list", "csv"), {"module": "HSB-101"})
    job = ExportJob.objects.get()
    job.params = {"module": ["GONE-1"]}  # the module was deleted meanwhile
    job.save()
    export_job_build(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "failed"
    assert job.error == "The file was not written: Select a module from the list."
    page = client.get(job_url(job)).content.decode()
    assert "The file was not written" in page and "Select a module from the list." in page
    assert "Download" not in page and "http-equiv" not in page
    assert client.get(job_url(job, "export_job_download")).status_code == 404
    assert stored_files(media) == []


@pytest.mark.usefixtures("on_day")
def test_the_download_before_the_file_is_ready_is_not_found(client, lead, scene, settings):
    settings.EXPORT_BACKGROUND_ROWS = 1
    client.force_login(lead)
    client.get(export_url("matrix", "csv"))
    job = ExportJob.objects.get()
    assert client.get(job_url(job, "export_job_download")).status_code == 404
    assert not AuditEvent.objects.filter(action=actions.DOWNLOAD).exists()


@pytest.mark.usefixtures("on_day")
def test_a_second_build_of_the_same_job_does_nothing(client, lead, scene, settings, media):
    settings.EXPORT_BACKGROUND_ROWS = 1
    client.force_login(lead)
    client.get(export_url("matrix", "csv"))
    job = ExportJob.objects.get()
    export_job_build(job_id=job.pk)
    export_job_build(job_id=job.pk)  # a redelivered task
    assert len(stored_files(media)) == 1
    job.refresh_from_db()
    assert (job.status, job.rows_done, job.rows_total, job.percent) == ("ready", 7, 7, 100)
    assert job.filename == "compliance-matrix-2026-03-04.csv"


@pytest.mark.usefixtures("on_day")
def test_a_job_left_running_by_a_dead_worker_is_built_again(client, lead, scene, settings, media):
    settings.EXPORT_BACKGROUND_ROWS = 1
    client.force_login(lead)
    client.get(export_url("matrix", "csv"))
    job = ExportJob.objects.get()
    ExportJob.objects.filter(pk=job.pk).update(status="running", started_at=timezone.now())
    export_job_build(job_id=job.pk)  # still running elsewhere, as far as anyone knows
    assert ExportJob.objects.get().status == "running"
    ExportJob.objects.filter(pk=job.pk).update(started_at=timezone.now() - datetime.timedelta(hours=1))
    export_job_build(job_id=job.pk)
    assert ExportJob.objects.get().status == "ready"


@pytest.mark.usefixtures("on_day")
def test_files_go_after_their_time_and_others_stay(client, lead, scene, settings, media):
    settings.EXPORT_BACKGROUND_ROWS = 1
    client.force_login(lead)
    client.get(export_url("matrix", "csv"))
    client.get(export_url("list", "xlsx"))
    old, new = ExportJob.objects.order_by("pk")
    for job in (old, new):
        export_job_build(job_id=job.pk)
    ExportJob.objects.filter(pk=old.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    kept = ExportJob.objects.get(pk=new.pk).file.name

    assert export_jobs_purge() == 1
    assert list(ExportJob.objects.values_list("pk", flat=True)) == [new.pk]
    assert [path.relative_to(media).as_posix() for path in stored_files(media)] == [kept]
    assert client.get(job_url(old)).status_code == 404
    assert export_jobs_purge() == 0


# ---------------------------------------------------------------------------------------------
# With the real worker
# ---------------------------------------------------------------------------------------------


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_with_the_real_worker_the_file_is_written_and_equals_the_streamed_one(
    celery_worker, client, lead, scene, dangerous, settings, media, file_format
):
    client.force_login(lead)
    settings.EXPORT_BACKGROUND_ROWS = 1_000
    streamed = file_bytes(client.get(export_url("list", file_format), {"status": "overdue"}))

    settings.EXPORT_BACKGROUND_ROWS = 1
    response = client.get(export_url("list", file_format), {"status": "overdue"})
    job = ExportJob.objects.get()
    assert response["Location"] == job_url(job)
    wait_for(lambda: ExportJob.objects.get(pk=job.pk).finished, timeout=30)
    job.refresh_from_db()
    assert job.status == "ready", job.error
    streamed_rows = len(csv_rows(streamed)) if file_format == "csv" else len(xlsx_cells(streamed))
    assert streamed_rows > 1
    assert job.rows_done == job.rows_total == 7  # people read: the current staff of both agencies

    page = client.get(job_url(job)).content.decode()
    assert "Your file is ready" in page and job.filename in page and "http-equiv" not in page
    events_before = AuditEvent.objects.filter(action=actions.DOWNLOAD).count()
    download = client.get(job_url(job, "export_job_download"))
    assert download.status_code == 200
    assert download["Content-Disposition"] == f'attachment; filename="{job.filename}"'
    assert download["Cache-Control"] == "private, no-store"
    content = file_bytes(download)
    if file_format == "csv":
        assert content == streamed
    else:
        assert xlsx_cells(content) == xlsx_cells(streamed)
    [event] = AuditEvent.objects.filter(action=actions.DOWNLOAD).order_by("-pk")[:1]
    assert AuditEvent.objects.filter(action=actions.DOWNLOAD).count() == events_before + 1
    assert event.extra["file"] == job.filename and event.user == lead


@pytest.mark.django_db
def test_the_filename_and_filters_of_a_job_follow_the_page(lead, scene):
    filters = ComplianceFilters(agency=scene.agency_a)
    name = exports.export_filename(kind=exports.LIST, file_format="csv", on=scene_day(), filters=filters)
    assert name == "compliance-list-agency-a-2026-03-04.csv"


def test_the_file_is_written_on_the_reports_queue_and_purged_hourly(settings):
    from config.celery_app import app

    assert settings.CELERY_TASK_ROUTES["workforce.tasks.export_job_build_task"] == {"queue": "reports"}
    entry = app.conf.beat_schedule["export-jobs-purge"]
    assert entry["task"] == "workforce.tasks.export_jobs_purge_task"
    assert entry["schedule"].minute == {25} and len(entry["schedule"].hour) == 24
