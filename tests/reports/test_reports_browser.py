"""The board report, the targets page and the what-if preview pass axe-core and the Nu HTML
Checker at desktop and phone widths, without sideways scrolling of the page on a phone; the
screenshots go to /tmp/shots-16/ for a person to look at."""

from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests.accessibility import HtmlChecker, assert_accessible
from training.snapshots import compliance_snapshot_take

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path("/tmp/shots-16")


def _sign_in(page, live_server, user):
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def test_report_pages_are_accessible(browser_page, live_server, lead, scene, on_day):
    compliance_snapshot_take(on=on_day)
    SHOTS.mkdir(exist_ok=True)
    html = HtmlChecker()
    for width in (1280, 390):
        page = browser_page(width=width)
        _sign_in(page, live_server, lead)

        def check(name, page=page, width=width):
            assert_accessible(page)
            html.add(f"{name}-{width}", page.content())
            page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
            if width == 390:
                assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), name

        page.goto(live_server.url + "/")
        assert "Target 90%" in page.content()
        check("dashboard")
        page.goto(live_server.url + "/reports/board/")
        assert "Training compliance of the whole partnership" in page.content()
        check("board")
        page.goto(live_server.url + "/compliance/targets/")
        page.fill("#id_partnership", "120")
        with page.expect_navigation():
            page.click("button:has-text('Save targets')")
        assert "Partnership target must be 100% or less" in page.content()
        check("targets-error")
        page.goto(live_server.url + "/reports/what-if/")
        page.select_option("#id_module", "HSB-101")
        page.fill("#id_validity_months", "12")
        with page.expect_navigation():
            page.click("button:has-text('Preview the effect')")
        assert "The effect" in page.content(), page.inner_text("main")[:1500]
        check("what-if")
    assert html.errors() == {}
