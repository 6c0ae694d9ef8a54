"""The token page, with a token just shown, an error and a revoked token, passes axe-core and the
Nu HTML Checker at desktop and phone widths, without horizontal scrolling on a phone."""

import pytest
from django.conf import settings
from django.test import Client

from api.services import api_token_create, api_token_revoke
from tests.accessibility import HtmlChecker, assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page, live_server, user):
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def test_token_page_is_accessible(browser_page, live_server, lead):
    token, _key = api_token_create(user=lead, name="Old sync", actor=lead)
    api_token_revoke(token=token, actor=lead)
    html = HtmlChecker()
    for width in (1024, 390):
        page = browser_page(width=width)
        _sign_in(page, live_server, lead)
        page.goto(live_server.url + "/accounts/api-tokens/")
        page.fill("#id_name", "Power BI")
        page.fill("#id_expires_in_days", "90")
        page.click("button:has-text('Create token')")
        assert page.locator("#new-token").input_value().startswith("hsb_")
        assert_accessible(page)
        html.add(f"created-{width}", page.content())
        if width == 390:
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        page.fill("#id_name", "")
        page.click("button:has-text('Create token')")
        assert "Enter a name for the token" in page.content()
        assert_accessible(page)
        html.add(f"error-{width}", page.content())
    assert html.errors() == {}
