"""Fixtures for browser tests in real headless Chromium (Debian's /usr/bin/chromium, driven by the
pinned `playwright` package; no browser download). Use them from a test package's conftest.py:

    from tests.browser_conftest import browser, browser_page  # noqa: F401

and mark the tests @pytest.mark.browser. `browser_page(width=390)` opens a new page (its own
context: no cookies shared with other pages) at that width; every page and context is closed at
the end of the test. Tests are skipped, not failed, when Chromium is not installed.
"""

import os
import shutil
import time

import pytest
from django.db import connections

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def browser(monkeypatch):
    """Chromium for one test. Function-scoped on purpose: Playwright's sync API keeps an event loop
    running in this thread while it is open, and Django refuses database access from a thread with
    a running loop, so it must not outlive the test (nor start before the test database exists).
    The test's own database work is synchronous, which makes DJANGO_ALLOW_ASYNC_UNSAFE safe here."""
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium).")
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()
        # While Playwright's loop runs, Django keeps this thread's connections apart from those
        # pytest-django closes at the end of the session: close them here, or the test database
        # cannot be dropped ("being accessed by other users").
        connections.close_all()


@pytest.fixture
def browser_page(browser):
    """A factory of fresh pages: browser_page() at desktop width, browser_page(width=390) for a phone."""
    contexts = []

    def open_page(*, width=DESKTOP["width"], height=DESKTOP["height"]):
        context = browser.new_context(viewport={"width": width, "height": height}, locale="en-GB")
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def sign_in_with_password(page, base, username, password):
    """The sign-in page as a lead or HR user meets it the first time, second factor included: a user
    who must have one and has none sets up an authenticator app (its key read off the page, the
    code computed as the app would), then continues past the recovery codes to the dashboard."""
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    if page.get_by_role("heading", name="Set up your second factor").count():
        key = page.locator("#totp-key").inner_text().strip()
        page.get_by_label("Code from the app").fill(
            format_hotp_value(hotp_value(key, int(time.time()) // 30))
        )
        page.get_by_role("button", name="Set up").click()
        page.get_by_role("heading", name="Your recovery codes").wait_for()
        page.get_by_role("link", name="Continue").click()


def fill_date(page, legend, day):
    """Type `day` (a date) into the GOV.UK date input whose fieldset has this legend."""
    group = page.get_by_role("group", name=legend)
    group.get_by_label("Day").fill(str(day.day))
    group.get_by_label("Month").fill(str(day.month))
    group.get_by_label("Year").fill(str(day.year))
