"""In real headless Chromium at 1280 and 390 px, the pages this issue changed: the register
upload and its preview, the demand page with attendance by agency, and the person page with its
no-shows. Each passes axe-core and the Nu HTML Checker, with no sideways scrolling on a phone."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from courses import services
from imports.services import import_create, import_validate
from tests.accessibility import HtmlChecker, assert_accessible
from tests.imports.spreadsheet_files import csv_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SLOW_MACHINE_MS = 30_000


def _sign_in(page, live_server, user):
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def test_register_upload_demand_and_person_pages_are_accessible(
    live_server, browser_page, delivered, people_a, person_b, lead, hr_a, settings, tmp_path, isolated_cache
):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    rows = [
        [p.email, "Attended" if p != people_a[1] else "No-show"] for p in (people_a[0], people_a[1], person_b)
    ]
    record = import_create(
        kind="register",
        actor=lead,
        upload=csv_bytes(rows, headers=["Email", "Attendance"]),
        file_name="register.csv",
        options={"session": delivered.pk},
        run_in_background=False,
    )
    assert import_validate(import_record=record).ok
    html = HtmlChecker()
    for width in (1280, 390):
        page = browser_page(width=width, height=900)
        page.set_default_timeout(SLOW_MACHINE_MS)
        _sign_in(page, live_server, lead)
        pages = [
            (
                f"{reverse('imports:upload', args=['registers'])}?session={delivered.pk}",
                "Upload a session register",
            ),
            (reverse("imports:status", kwargs={"pk": record.pk}), "Check the register, then confirm"),
            (reverse("imports:help", args=["registers"]), "How to prepare a session register"),
        ]
        for path, heading in pages:
            page.goto(live_server.url + path)
            page.get_by_role("heading", name=heading).first.wait_for()
            assert_accessible(page)
            if width == 390:
                assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), path
            html.add(f"{path}-{width}", page.content())
        # The upload refused without a session: the error summary.
        page.goto(live_server.url + reverse("imports:upload", args=["registers"]))
        page.get_by_role("button", name="Upload and check").click()
        page.locator(".govuk-error-summary").wait_for()
        assert "Choose the session this is the register of." in page.content()
        assert_accessible(page)
        html.add(f"upload-error-{width}", page.content())

    booked = {b.staff_id: b.pk for b in delivered.bookings.all()}
    services.register_confirm(
        session=delivered,
        attended=[booked[people_a[0].pk], booked[person_b.pk]],
        no_show=[booked[people_a[1].pk]],
        actor=lead,
    )
    for width in (1280, 390):
        page = browser_page(width=width, height=900)
        page.set_default_timeout(SLOW_MACHINE_MS)
        _sign_in(page, live_server, hr_a)
        for path, heading in (
            (reverse("courses:demand"), "Attendance by agency"),
            (reverse("staff_detail", kwargs={"pk": people_a[1].pk}), "Training sessions"),
            (reverse("courses:feedback_summary"), "Session feedback"),
        ):
            page.goto(live_server.url + path)
            page.get_by_role("heading", name=heading).first.wait_for()
            assert_accessible(page)
            if width == 390:
                assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), path
            html.add(f"{path}-{width}", page.content())
    assert html.errors() == {}
