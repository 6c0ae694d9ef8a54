"""In real headless Chromium at desktop and phone widths: a lead asks for a compliance export too
large to stream, watches its page while the file is written, and downloads it; a failed job says
why. Every state of the page passes axe-core and the Nu HTML Checker and fits a 390 px screen."""

import pytest

from tests.accessibility import HtmlChecker, assert_accessible
from tests.training.test_compliance_browser import make_lead, sign_in
from workforce import tasks
from workforce.models import ExportJob
from workforce.services import export_job_build

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("on_day"),
]


def check(page, html, width):
    assert_accessible(page)
    html.add(page.url + f"#{len(html.pages)}", page.content())
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("width", [1280, 390])
def test_lead_waits_for_a_large_export_and_downloads_it(
    live_server, browser_page, scene, settings, media, monkeypatch, width
):
    settings.EXPORT_BACKGROUND_ROWS = 1
    queued = []
    # No worker here: the test writes the file itself, when it has seen the waiting page.
    monkeypatch.setattr(tasks.export_job_build_task, "delay", lambda **kwargs: queued.append(kwargs))
    make_lead()
    base = live_server.url
    page = browser_page(width=width)
    html = HtmlChecker()
    sign_in(page, base, "lead")

    page.goto(f"{base}/compliance/export/list.xlsx?module=HSB-101")
    page.get_by_role("heading", level=1, name="Compliance list").wait_for()
    page.get_by_text("Waiting for the worker to start writing the file.").wait_for()
    assert page.get_by_role("progressbar").get_attribute("aria-valuenow") == "0"
    check(page, html, width)
    [job] = ExportJob.objects.all()
    assert queued == [{"job_id": job.pk}]

    export_job_build(job_id=job.pk)
    # The page's script sees the status change and reloads by itself.
    page.get_by_role("heading", level=2, name="Your file is ready").wait_for(timeout=10_000)
    check(page, html, width)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download compliance-list-hsb-101-2026-03-04.xlsx").click()
    assert download.value.suggested_filename == "compliance-list-hsb-101-2026-03-04.xlsx"

    # A job whose filter is no longer valid says why.
    page.goto(f"{base}/compliance/export/matrix.csv")
    failed = ExportJob.objects.exclude(pk=job.pk).get()
    ExportJob.objects.filter(pk=failed.pk).update(params={"module": ["GONE-1"]})
    export_job_build(job_id=failed.pk)
    page.get_by_role("heading", level=2, name="The file was not written").wait_for(timeout=10_000)
    check(page, html, width)

    if width == 1280:
        assert html.errors() == {}
