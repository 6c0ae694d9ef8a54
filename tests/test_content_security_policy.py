"""The strict Content-Security-Policy in real headless Chromium: the pages still work under it
(GOV.UK Frontend's header menu and error summary, the admin's export page, the API docs) and the
browser reports no violation. The crawl (test_accessibility_crawl.py) checks every persona's pages
for the header and for violations; this file checks what the crawl does not visit, and that the
violation watcher itself sees a violation when there is one."""

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from tests import factories
from tests.test_accessibility_crawl import csp_problems, watch_csp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def signed_in_page(browser_page, live_server, user, *, width=1280):
    page = browser_page(width=width)
    client = Client()
    client.force_login(user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
    return page


@pytest.fixture
def lead_admin(db):
    return factories.LeadFactory(username="lead-admin", is_staff=True)


def test_the_watcher_sees_an_inline_script_refused(browser_page, live_server, lead):
    page = signed_in_page(browser_page, live_server, lead)
    reported = watch_csp(page)
    response = page.goto(live_server.url + "/")
    assert csp_problems(response) == []
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.ran = 1';"
        " document.body.appendChild(s); }"
    )
    page.wait_for_timeout(200)
    assert page.evaluate("() => window.ran") is None
    assert reported and "Content Security Policy" in reported[0]


def test_the_header_menu_opens_on_a_phone(browser_page, live_server, lead):
    page = signed_in_page(browser_page, live_server, lead, width=390)
    reported = watch_csp(page)
    page.goto(live_server.url + "/")
    toggle = page.locator(".govuk-service-navigation__toggle")
    assert toggle.is_visible()  # shown by GOV.UK Frontend's JavaScript, which ran
    assert not page.locator("#navigation").is_visible()
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    assert page.locator("#navigation").is_visible()
    assert "govuk-frontend-supported" in page.locator("body").get_attribute("class")
    assert reported == []


def test_the_error_summary_takes_focus(browser_page, live_server, lead):
    page = signed_in_page(browser_page, live_server, lead)
    reported = watch_csp(page)
    page.goto(live_server.url + reverse("audit_log") + "?since=31/2/2026")
    summary = page.locator(".govuk-error-summary")
    assert summary.is_visible()
    page.wait_for_function("() => document.activeElement.classList.contains('govuk-error-summary')")
    assert reported == []


def test_the_admin_works_under_the_policy(browser_page, live_server, lead_admin):
    module = factories.ModuleFactory(code="HSB-101")
    page = signed_in_page(browser_page, live_server, lead_admin)
    reported = watch_csp(page)
    for path in (
        reverse("admin:index"),
        reverse("admin:training_module_changelist"),
        reverse("admin:training_module_change", args=[module.pk]),
        reverse("admin:training_module_history", args=[module.pk]),
        reverse("admin:training_module_import"),
    ):
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        assert csp_problems(response) == [], path
    page.goto(live_server.url + reverse("admin:training_module_export"))
    select_all = page.locator("input.select-toggle")
    fields = page.locator('.selectable-field-export-row input[type="checkbox"]')
    assert fields.count() >= 2
    select_all.uncheck()
    assert all(not box.is_checked() for box in fields.all())  # the handler bound from a file ran
    select_all.check()
    assert all(box.is_checked() for box in fields.all())
    assert reported == []


def test_the_api_docs_work_under_the_policy(browser_page, live_server):
    page = browser_page()
    reported = watch_csp(page)
    response = page.goto(live_server.url + "/api/docs/")
    assert csp_problems(response) == []
    page.wait_for_selector("text=/api/v1/completions/", timeout=15_000)
    assert reported == []
