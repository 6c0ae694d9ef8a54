"""In real headless Chromium at 1280 and 390 px: an attendee opens the feedback link of their
email, leaves a question out (the GOV.UK error summary), answers, and sees the thank-you; the
lead reads the summaries. Every page passes axe-core and the Nu HTML Checker, with no sideways
scrolling on a phone."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from courses import feedback_links, services
from tests.accessibility import HtmlChecker, assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SLOW_MACHINE_MS = 30_000


def _sign_in(page, live_server, user):
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def _fits(page, width):
    if width == 390:
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), page.url


def test_an_attendee_gives_feedback_and_the_lead_reads_it(
    live_server, browser_page, delivered, people_a, person_b, lead, isolated_cache
):
    booked = {b.staff_id: b for b in delivered.bookings.all()}
    services.register_confirm(
        session=delivered,
        attended=[booked[people_a[0].pk].pk, booked[person_b.pk].pk],
        no_show=[booked[people_a[1].pk].pk],
        actor=lead,
    )
    html = HtmlChecker()
    for width, person in ((1280, people_a[0]), (390, person_b)):
        token = feedback_links.feedback_token(booked[person.pk])
        page = browser_page(width=width, height=900)
        page.set_default_timeout(SLOW_MACHINE_MS)
        page.goto(live_server.url + reverse("courses:feedback", kwargs={"token": token}))
        page.get_by_role("heading", name="Tell us how the session went").wait_for()
        assert_accessible(page)
        _fits(page, width)
        html.add(f"form-{width}", page.content())

        page.locator("input[name=confidence_before][value='2']").check()
        page.locator("input[name=usefulness][value='5']").check()
        page.get_by_label("Anything you would tell the trainers").fill(f"Good session ({width})")
        page.get_by_role("button", name="Send feedback").click()
        summary = page.locator(".govuk-error-summary")
        summary.wait_for()
        assert "Choose how confident you are after the session, from 1 to 5." in summary.inner_text()
        assert page.title().startswith("Error: ")
        assert not services.Feedback.objects.filter(booking=booked[person.pk]).exists()
        assert_accessible(page)
        _fits(page, width)
        html.add(f"error-{width}", page.content())

        # A second tab with the form still open.
        other_tab = browser_page(width=width, height=900)
        other_tab.set_default_timeout(SLOW_MACHINE_MS)
        other_tab.goto(page.url)
        other_tab.get_by_role("heading", name="Tell us how the session went").wait_for()

        page.locator("input[name=confidence_after][value='4']").check()
        page.get_by_role("button", name="Send feedback").click()
        page.get_by_role("heading", name="Thank you for your feedback").wait_for()
        feedback = services.Feedback.objects.get(booking=booked[person.pk])
        assert (feedback.confidence_before, feedback.confidence_after, feedback.usefulness) == (2, 4, 5)
        assert_accessible(page)
        html.add(f"thanks-{width}", page.content())

        for name in ("confidence_before", "confidence_after", "usefulness"):
            other_tab.locator(f"input[name={name}][value='1']").check()
        other_tab.get_by_role("button", name="Send feedback").click()
        other_tab.locator(".govuk-error-summary").wait_for()
        assert services.ALREADY_GIVEN in other_tab.locator(".govuk-error-summary").inner_text()
        assert services.Feedback.objects.get(booking=booked[person.pk]).usefulness == 5
        assert_accessible(other_tab)
        html.add(f"second-answer-{width}", other_tab.content())

        lead_page = browser_page(width=width, height=900)
        lead_page.set_default_timeout(SLOW_MACHINE_MS)
        _sign_in(lead_page, live_server, lead)
        for name in ("feedback_summary", "session_feedback"):
            kwargs = {"pk": delivered.pk} if name == "session_feedback" else {}
            lead_page.goto(live_server.url + reverse(f"courses:{name}", kwargs=kwargs))
            lead_page.get_by_role(
                "heading", name="Feedback" if kwargs else "Session feedback"
            ).first.wait_for()
            assert_accessible(lead_page)
            _fits(lead_page, width)
            html.add(f"{name}-{width}", lead_page.content())
        assert f"Good session ({width})" in lead_page.content()
    assert html.errors() == {}
