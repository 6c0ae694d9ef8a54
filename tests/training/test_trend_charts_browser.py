"""The trend charts in Chromium: the dashboard (partnership and tiers), the module view, an agency's
page and Agency HR's dashboard pass axe-core and the Nu HTML Checker at 1280 and 390 px, the
charts fit a phone's width, and printed the page keeps the charts and drops the navigation. The
screenshots go to /tmp/shots16/ for a person to look at."""

from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests.accessibility import HtmlChecker, assert_accessible
from training.snapshots import compliance_snapshot_backfill

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path("/tmp/shots16")


def _sign_in(page, live_server, user):
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.clear_cookies()
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def _charts_fit(page):
    """Every chart is drawn, no wider than the window, and the page does not scroll sideways."""
    sizes = page.evaluate(
        "[...document.querySelectorAll('svg.app-chart')].map(s => s.getBoundingClientRect().right)"
    )
    assert sizes, "no chart on the page"
    assert max(sizes) <= page.evaluate("window.innerWidth")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_trend_charts_are_accessible_at_desktop_and_phone_widths(
    browser_page, live_server, lead, hr_a, scene, on_day
):
    compliance_snapshot_backfill(months=12, today=on_day)
    SHOTS.mkdir(exist_ok=True)
    html = HtmlChecker()
    for width in (1280, 390):
        page = browser_page(width=width)

        def check(name, page=page, width=width):
            assert_accessible(page)
            html.add(f"{name}-{width}", page.content())
            page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
            _charts_fit(page)

        _sign_in(page, live_server, lead)
        page.goto(live_server.url + "/")
        assert page.locator("svg.app-chart").count() == 1 + 2  # the partnership, tiers 1 and 2
        assert page.locator("#trend-partnership-caption").inner_text().startswith("Compliance rate by month")
        check("dashboard")
        page.goto(live_server.url + "/?module=HSB-201")
        assert page.locator("#trend-module-heading").inner_text() == "HSB-201 Using a traffic light tool"
        check("module")
        page.goto(live_server.url + f"/agencies/{scene.agency_a.slug}/staff/")
        page.click("a.govuk-tabs__tab[href='#trend']")
        assert page.locator("#trend svg.app-chart").is_visible()
        check("agency")

        _sign_in(page, live_server, hr_a)
        page.goto(live_server.url + "/")
        assert page.locator("svg.app-chart").count() == 1
        assert "Agency A" in page.locator("#trend-agency-caption").inner_text()
        check("dashboard-hr")

    # Printed: the charts and their tables stay, the navigation and the filters go.
    page = browser_page(width=1280)
    _sign_in(page, live_server, lead)
    page.goto(live_server.url + "/")
    page.emulate_media(media="print")
    assert page.locator("svg.app-chart").first.is_visible()
    assert not page.locator(".govuk-service-navigation").is_visible()
    assert not page.locator("form.app-filter").is_visible()
    page.pdf(path=str(SHOTS / "dashboard-print.pdf"))
    assert html.errors() == {}
