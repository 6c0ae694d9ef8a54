"""The privacy pages pass axe-core and the Nu HTML Checker at desktop and phone widths, without
horizontal scrolling on a phone: the notice, its editor with an error, the retention runs, the
erasure confirmation with an error, and the person page with its privacy buttons."""

import datetime

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from privacy.models import RetentionRun
from tests import factories
from tests.accessibility import HtmlChecker, assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page, live_server, user):
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def test_privacy_pages_are_accessible(browser_page, live_server, lead, agency_a):
    person = factories.StaffMemberFactory(agency=agency_a, first_name="Asha", last_name="Patel")
    RetentionRun.objects.create(
        ran_on=datetime.date(2026, 6, 1),
        started_at=timezone.now(),
        finished_at=timezone.now(),
        anonymised_staff=3,
        files_deleted=2,
        messages_purged=1200,
    )
    html = HtmlChecker()
    for width in (1024, 390):
        page = browser_page(width=width)
        _sign_in(page, live_server, lead)

        def check(name, page=page, width=width):
            assert_accessible(page)
            html.add(f"{name}-{width}", page.content())
            if width == 390:
                assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), name

        page.goto(live_server.url + "/privacy/")
        assert "What we hold" in page.content()
        check("notice")
        page.goto(live_server.url + "/privacy/edit/")
        page.fill("#id_text", "")
        page.click("button:has-text('Save the notice')")
        assert "Enter the text of the privacy notice" in page.content()
        check("notice-error")
        page.goto(live_server.url + "/privacy/retention/")
        assert "1,200" in page.content()
        check("retention")
        page.goto(live_server.url + f"/staff/{person.pk}/")
        assert "Download everything we hold" in page.content()
        check("person")
        page.goto(live_server.url + f"/privacy/staff/{person.pk}/erase/")
        page.click("button:has-text('Erase their personal data')")
        assert "Enter the reason for erasing" in page.content()
        check("erase-error")
    assert html.errors() == {}
