"""In real headless Chromium: an Agency HR user uploads a staff list, watches the check's progress,
reads the preview, confirms, and sees the result and the history.

The background tasks are held back (`.delay` is captured) and run by the test when it chooses, as
a worker would, so that the page is seen while the work is still going on: the status page must
follow the work by itself, with no reload by the person.
"""

import re

import pytest

from imports import tasks
from imports.models import ImportRecord
from tests import factories
from tests.browser_conftest import sign_in_with_password
from tests.imports.spreadsheet_files import csv_bytes, staff_row
from workforce.models import StaffMember

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct-horse-battery"
# Generous: a loaded CI machine can take seconds to render a page in Chromium.
SLOW_MACHINE_MS = 30_000


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def held_tasks(monkeypatch):
    """Tasks queued by the web app, held until the test runs them with run_next()."""
    held = []
    for task in (tasks.import_validate_task, tasks.import_commit_task):
        monkeypatch.setattr(task, "delay", lambda pk, task=task: held.append((task, pk)))
    return held


def run_next(held):
    task, pk = held.pop(0)
    task.run(pk)


def test_an_agency_hr_user_uploads_watches_previews_confirms_and_reads_the_history(
    live_server, browser_page, held_tasks
):
    agency = factories.AgencyFactory(name="Northshire Police", slug="northshire-police")
    factories.AgencyHRFactory(username="sam", first_name="Sam", last_name="Okafor", agency=agency)
    police = factories.JobRoleFactory(name="Police officer")
    factories.StaffMemberFactory(
        agency=agency,
        staff_number="P1",
        first_name="Janet",
        last_name="Payne",
        email="janet.payne@example.org",
        job_role=police,
    )
    factories.StaffMemberFactory(
        agency=agency,
        staff_number="P2",
        first_name="Leah",
        last_name="Walker",
        email="leah.walker@example.org",
        job_role=police,
    )
    rows = [
        staff_row("P1", "Janet", "Payne", email="janet.payne@example.org", team="Response north"),
        staff_row("P3", "Nia", "Newman", start="4/3/2026"),
    ]
    base = live_server.url
    page = browser_page()
    page.set_default_timeout(SLOW_MACHINE_MS)

    sign_in_with_password(page, base, "sam", PASSWORD)
    page.get_by_role("heading", name="Dashboard").wait_for()
    page.get_by_role("link", name="Staff and training").click()
    page.get_by_role("heading", name="Staff and training").wait_for()
    page.get_by_role("link", name="Upload a staff list").click()

    # Upload, marked as the complete list.
    page.get_by_role("heading", name="Upload a staff list").wait_for()
    page.get_by_label("Staff list spreadsheet").set_input_files(
        {"name": "March staff.csv", "mimeType": "text/csv", "buffer": csv_bytes(rows)}
    )
    page.get_by_label("This file is our complete staff list").check()
    page.get_by_role("button", name="Upload and check").click()

    # The check has not started: the page says so, and follows the worker when it does.
    page.get_by_role("heading", name="Checking your file").wait_for()
    assert page.get_by_text("Waiting to start checking the file.").is_visible()
    record = ImportRecord.objects.get()
    assert [pk for _task, pk in held_tasks] == [record.pk]
    ImportRecord.objects.filter(pk=record.pk).update(
        status=ImportRecord.Status.VALIDATING, progress_done=1, progress_total=2
    )
    page.get_by_text("Checked 1 of 2 rows (50%).").wait_for()
    assert page.get_by_role("progressbar").get_attribute("aria-valuenow") == "50"

    ImportRecord.objects.filter(pk=record.pk).update(status=ImportRecord.Status.UPLOADED)
    run_next(held_tasks)

    # The preview appears by itself.
    page.get_by_role("heading", name="Check the changes, then confirm").wait_for()
    assert page.locator(".app-import-counts").inner_text().split() == [
        "1",
        "New",
        "staff",
        "1",
        "Updated",
        "0",
        "Unchanged",
        "1",
        "Leavers",
        "0",
        "Problems",
    ]
    new = page.locator("table", has_text="Nia Newman")
    assert new.get_by_text("4 March 2026").is_visible()
    change = page.locator("tr", has_text="Team")
    assert change.get_by_text("Response north").is_visible()
    assert page.locator("table", has_text="Leah Walker").is_visible()
    assert StaffMember.objects.filter(left_on__isnull=False).count() == 0

    # 1 leaver of 2 is more than 10%: confirming without the second box is refused.
    page.get_by_role("button", name="Confirm and apply the changes").click()
    page.get_by_role("heading", name="There is a problem").wait_for()
    assert page.get_by_role("link", name=re.compile("Tick the box to confirm that 1 person")).is_visible()
    assert held_tasks == []
    page.get_by_label("I confirm that 1 person (50%) has left Northshire Police").check()
    page.get_by_role("button", name="Confirm and apply the changes").click()

    page.get_by_role("heading", name="Applying the changes").wait_for()
    run_next(held_tasks)

    # The result appears by itself, with the way to the staff list and the history.
    page.get_by_role("heading", name="Staff list applied").wait_for()
    assert page.get_by_text("Applied 2 rows: 1 new, 1 updated, 0 unchanged, 1 leavers.").is_visible()
    assert StaffMember.objects.filter(agency=agency, left_on__isnull=True).count() == 2
    assert StaffMember.objects.get(staff_number="P2").left_on is not None
    assert page.get_by_role("link", name="View the Northshire Police staff list").is_visible()
    page.get_by_role("link", name="See every staff list upload for Northshire Police").click()

    page.get_by_role("heading", name="Staff list uploads").wait_for()
    row = page.locator("tbody tr", has_text="March staff.csv")
    assert row.get_by_text("Sam Okafor").is_visible()
    assert row.get_by_text("1 new, 1 updated, 1 leaver").is_visible()
    assert row.get_by_text("Applied").is_visible()
    row.get_by_role("link", name="March staff.csv").click()
    page.get_by_role("heading", name="Staff list applied").wait_for()


def test_job_titles_are_mapped_in_the_preview_and_listed_on_the_agency_page(
    live_server, browser_page, held_tasks
):
    """The preview of a file of job titles offers the mapping form; both pages pass axe-core and
    the Nu HTML Checker, at desktop width and on a 390px phone."""
    from tests.accessibility import HtmlChecker, assert_accessible

    agency = factories.AgencyFactory(name="Northshire Police", slug="northshire-police")
    factories.AgencyHRFactory(username="sam", agency=agency)
    police = factories.JobRoleFactory(name="Police officer")
    base = live_server.url
    page = browser_page()
    page.set_default_timeout(SLOW_MACHINE_MS)
    sign_in_with_password(page, base, "sam", PASSWORD)
    page.get_by_role("heading", name="Dashboard").wait_for()
    data = csv_bytes(
        [["P1", "Asha", "Patel", "asha@example.org", "Detective constable"]],
        headers=["Staff ID*", "Forename", "Surname", "Email", "Job title"],
    )
    page.goto(f"{base}/imports/staff/upload/?agency={agency.slug}")
    page.get_by_label("Staff list spreadsheet").set_input_files(
        {"name": "titles.csv", "mimeType": "text/csv", "buffer": data}
    )
    page.get_by_role("button", name="Upload and check").click()
    run_next(held_tasks)
    page.get_by_role("heading", name="Job titles to map").wait_for(timeout=SLOW_MACHINE_MS)
    checker = HtmlChecker()
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        assert_accessible(page)
    checker.add(page.url, page.content())
    page.get_by_label("Detective constable").select_option(label="Police officer")
    page.get_by_role("button", name="Save job titles").click()
    page.get_by_text("Saved 1 job title mapping").wait_for(timeout=SLOW_MACHINE_MS)
    assert list(agency.job_title_mappings.values_list("title", "job_role")) == [
        ("Detective constable", police.pk)
    ]
    page.goto(f"{base}/imports/agencies/{agency.slug}/job-titles/")
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        assert_accessible(page)
    checker.add(page.url, page.content())
    assert checker.errors() == {}
