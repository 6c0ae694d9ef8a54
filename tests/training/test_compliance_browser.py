"""In real headless Chromium: a lead filters the compliance dashboard, follows a count to the people
behind it and opens a person; on a phone the heat map scrolls sideways inside its own box."""

import re

import pytest
from django.contrib.auth.models import Group

from tests.browser_conftest import sign_in_with_password
from tests.factories import LeadFactory
from workforce.access import LEAD_GROUP

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("on_day"),
]
PASSWORD = "correct-horse-battery"


def make_lead():
    # A transactional test may run after another has flushed the groups the migrations made.
    Group.objects.get_or_create(name=LEAD_GROUP)
    return LeadFactory(username="lead")


def sign_in(page, base, username):
    sign_in_with_password(page, base, username, PASSWORD)


def test_lead_filters_the_dashboard_and_opens_a_person(live_server, browser_page, scene):
    make_lead()
    base = live_server.url
    page = browser_page()
    sign_in(page, base, "lead")

    page.get_by_role("link", name="Dashboard", exact=True).click()
    page.get_by_role("heading", level=1, name="Dashboard").wait_for()
    assert page.locator(".app-stat__value").first.inner_text() == "44%"

    page.get_by_label("Agency", exact=True).select_option(label="Agency B")
    page.get_by_label("Status", exact=True).select_option(label="Overdue")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"agency=agency-b"))
    assert page.locator(".app-stat__value").first.inner_text() == "66%"  # 2 of 3, rounded down
    heat_map = page.locator(".app-heat-map")
    assert heat_map.locator("tbody tr").count() == 1
    assert "Agency A" not in heat_map.inner_text()
    # With the status chosen, the cells measure the share overdue: 1 of Agency B's 3 pairs.
    assert "33%" in heat_map.locator("tbody tr").first.inner_text()

    page.locator(".app-row--selected").get_by_role("link").click()
    page.get_by_role("heading", level=1, name="People with overdue training").wait_for()
    assert page.locator("tbody tr").count() == 1
    page.get_by_role("link", name="Doyle, Cara").click()

    page.get_by_role("heading", level=1, name="Cara Doyle").wait_for()
    requirements = page.locator("#requirements ~ .app-table-scroll table").first
    assert "HSB-101" in requirements.inner_text() and "Overdue" in requirements.inner_text()


def test_heat_map_scrolls_sideways_on_a_phone(live_server, browser_page, scene):
    make_lead()
    page = browser_page(width=390)
    sign_in(page, live_server.url, "lead")
    page.goto(f"{live_server.url}/compliance/")
    scroller = page.locator(".app-heat-map__scroll")
    # The page itself does not scroll sideways; the heat map's own box does.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert scroller.evaluate("element => element.scrollWidth >= element.clientWidth")
    assert scroller.get_attribute("tabindex") == "0"  # keyboard users can scroll it
