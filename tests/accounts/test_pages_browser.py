"""The sign-in pages, the second factor's set-up, code and recovery pages, the refusal page and the
lead's reset pages pass axe-core and the Nu HTML Checker at desktop and phone widths, in Chromium,
with no sideways scrolling on a phone."""

import pytest
from django.conf import settings as django_settings
from django.test import Client

from tests.accessibility import HtmlChecker, assert_accessible

from .test_second_factor import PASSWORD, code, give_authenticator

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (1280, 390)


def check(page, html, name):
    assert_accessible(page)
    html.add(f"{name}-{page.viewport_size['width']}", page.content())
    if page.viewport_size["width"] == 390:
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), name


def password_step(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_load_state()


@pytest.mark.usefixtures("isolated_cache")
def test_sign_in_and_second_factor_pages(browser_page, live_server, settings, lead, hr_a):
    settings.OIDC_SERVER_URL = "https://login.example.org/tenant/v2.0"
    settings.OIDC_PROVIDER_NAME = "Microsoft 365"
    give_authenticator(lead)
    html = HtmlChecker()
    base = live_server.url
    for width in WIDTHS:
        page = browser_page(width=width)
        page.goto(f"{base}/accounts/login/")
        assert page.get_by_role("button", name="Sign in with Microsoft 365").count() == 1
        check(page, html, "sign-in")
        page.get_by_label("Username").fill("lead")
        page.get_by_label("Password").fill("wrong")
        page.get_by_role("button", name="Sign in", exact=True).click()
        check(page, html, "sign-in-error")
        page.goto(f"{base}/accounts/signup/")  # what an identity with no account is shown
        assert "You do not have an account yet" in page.content()
        check(page, html, "no-account")

        password_step(page, base, "lead")
        assert page.get_by_role("heading", name="Enter the code from your authenticator app").count()
        check(page, html, "code")
        page.get_by_label("Code").fill("000000")
        page.get_by_role("button", name="Continue").click()
        check(page, html, "code-error")
        page.context.clear_cookies()

        hr = browser_page(width=width)
        password_step(hr, base, "hr-a")
        assert hr.get_by_role("heading", name="Set up your second factor").count()
        check(hr, html, "set-up")
        hr.get_by_label("Code from the app").fill("000000")
        hr.get_by_role("button", name="Set up").click()
        check(hr, html, "set-up-error")
        key = hr.locator("#totp-key").inner_text().strip()
        hr.get_by_label("Code from the app").fill(code(key))
        hr.get_by_role("button", name="Set up").click()
        hr.get_by_role("heading", name="Your recovery codes").wait_for()
        check(hr, html, "recovery-codes")
        hr.goto(f"{base}/accounts/2fa/")
        check(hr, html, "your-second-factor")
        from allauth.mfa.models import Authenticator

        Authenticator.objects.filter(user=hr_a).delete()  # set up again at the next width
    assert html.errors() == {}


def test_the_leads_second_factor_pages(browser_page, live_server, lead, hr_a):
    give_authenticator(hr_a)
    client = Client()
    client.force_login(lead)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    html = HtmlChecker()
    for width in WIDTHS:
        page = browser_page(width=width)
        page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
        page.goto(f"{live_server.url}/accounts/second-factors/")
        check(page, html, "second-factors")
        page.get_by_role("link", name="Reset").first.click()
        check(page, html, "reset")
    assert html.errors() == {}
