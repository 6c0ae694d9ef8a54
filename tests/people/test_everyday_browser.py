"""In real headless Chromium at 1280 and 390 px wide: the lead's home page, the verification queue
with its bulk verify (confirmation page, then done), a person's page, and the wide lists (the
outbox, an agency's staff list, the people behind a count). Each page passes axe-core and the Nu
HTML Checker; on a phone, a wide table keeps its first column in view and scrolls inside its own
box, never the page. Screenshots go to SCREENSHOTS (default /tmp/shots-13c/) to be looked at."""

import os
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from notifications import services as reminder_services
from tests import factories
from tests.accessibility import HtmlChecker, assert_accessible
from tests.test_accessibility_crawl import _login
from training.models import CompletionSource, Verification
from workforce.models import Agency, StaffMember

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(os.environ.get("SCREENSHOTS", "/tmp/shots-13c"))


@pytest.fixture
def demo(settings, tmp_path):
    settings.DEMO_LOGINS_FILE = str(tmp_path / "logins.txt")
    call_command("seed_demo", "--staff", "40", "--json", stdout=StringIO(), stderr=StringIO())
    current = StaffMember.objects.filter(left_on__isnull=True).exclude(email="").order_by("pk")
    for person in current[:3]:
        factories.CompletionFactory(
            staff=person,
            module=person.job_role.requirements.first().module,
            completed_on=timezone.localdate() - timezone.timedelta(days=3),
            source=CompletionSource.SELF_DECLARED,
            verification=Verification.PENDING,
        )
    reminder_services.reminders_plan(day=timezone.localdate(), queue=False)
    return {"lead": get_user_model().objects.get(username="lead"), "person": current[0]}


def _shot(page, name, width):
    """The whole page, and its first screens one by one (a long phone page is unreadable whole)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
    height = page.evaluate("document.documentElement.scrollHeight")
    screen = 900
    for part in range(min(4, -(-height // screen))):
        clip = {"x": 0, "y": part * screen, "width": width, "height": min(screen, height - part * screen)}
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}-{part + 1}.png"), full_page=True, clip=clip)


def _check(page, html, name, width):
    assert_accessible(page)
    html.add(page.url, page.content())
    _shot(page, name, width)
    # The page itself never scrolls sideways: wide tables scroll inside their own box.
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def _first_column_stays_in_view(page, width, caption=None):
    """On a phone a wide table scrolls in its own box, and its first column stays where it was.
    `caption`: the id of the table's caption, when the page has several tables."""
    scrollers = page.locator(".app-table-scroll").filter(has=page.locator("tbody"))
    scroller = page.locator(f'[aria-labelledby="{caption}"]') if caption else scrollers.first
    assert scroller.get_attribute("tabindex") == "0"
    if width > 640:
        return
    assert scroller.evaluate("element => element.scrollWidth > element.clientWidth"), "it scrolls"
    first = scroller.locator("tbody tr").first.locator("th, td").first
    before = first.bounding_box()["x"]
    scroller.evaluate("element => { element.scrollLeft = 200; }")
    assert abs(first.bounding_box()["x"] - before) < 1, "the first column keeps its place"
    scroller.scroll_into_view_if_needed()
    page.screenshot(
        path=str(SCREENSHOTS / f"{page.url.rstrip('/').rsplit('/', 1)[-1][:20]}-scrolled-{width}.png")
    )


@pytest.mark.parametrize("width", [1280, 390])
def test_a_leads_everyday_pages_at_desktop_and_phone_width(live_server, browser_page, demo, settings, width):
    settings.SITE_URL = live_server.url
    page = browser_page(width=width)
    _login(page.context, live_server, demo["lead"])
    html = HtmlChecker()

    page.goto(live_server.url + "/")
    page.get_by_role("heading", level=1).wait_for()
    _check(page, html, "home", width)

    page.goto(live_server.url + "/training/verification/")
    _check(page, html, "verification-queue", width)
    _first_column_stays_in_view(page, width)
    boxes = page.locator("input[name=completion]")
    waiting = boxes.count()
    assert waiting >= 3
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.get_by_role("button", name="Verify selected").click()
    page.get_by_role("heading", level=1, name="Verify 2 certificates?").wait_for()
    _check(page, html, "verification-confirm", width)
    page.get_by_role("button", name="Verify 2 certificates").click()
    page.get_by_text("Verified 2 certificates.").wait_for()
    assert page.locator("input[name=completion]").count() == waiting - 2
    _check(page, html, "verification-done", width)

    page.goto(f"{live_server.url}/staff/{demo['person'].pk}/")
    page.get_by_role("heading", level=1, name=demo["person"].full_name).wait_for()
    _check(page, html, "person", width)

    page.goto(live_server.url + "/reminders/")
    _check(page, html, "outbox", width)
    _first_column_stays_in_view(page, width)

    agency = Agency.objects.order_by("name").first()
    page.goto(f"{live_server.url}/agencies/{agency.slug}/staff/")
    _check(page, html, "staff-list", width)
    _first_column_stays_in_view(page, width, caption="people-agency-staff-caption")

    page.goto(live_server.url + "/compliance/people/?status=overdue")
    _check(page, html, "people", width)
    _first_column_stays_in_view(page, width)

    if width == 1280:  # the markup is the same at every width
        assert html.errors() == {}
