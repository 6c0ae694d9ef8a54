"""In real headless Chromium at desktop and phone widths: a lead ticks people on a list, acts on
them after the confirmation page, exempts a whole agency list, pauses reminders; every page on
the way (the POST-only confirmation pages that the crawl cannot reach included) passes axe-core
and the Nu HTML Checker, and fits a 390 px screen."""

import pytest

from notifications.models import ReminderItem, ReminderPause
from tests.accessibility import HtmlChecker, assert_accessible
from tests.training.test_compliance_browser import make_lead, sign_in
from training.models import Exemption

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("on_day"),
]


def check(page, html, width):
    assert_accessible(page)
    html.add(page.url + f"#{len(html.pages)}", page.content())
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("width", [1280, 390])
def test_lead_acts_on_a_list_after_confirming_and_pauses_reminders(live_server, browser_page, scene, width):
    make_lead()
    base = live_server.url
    page = browser_page(width=width)
    html = HtmlChecker()
    sign_in(page, base, "lead")

    # Tick one person on the people list and remind them now.
    page.goto(f"{base}/compliance/people/?status=overdue")
    page.get_by_label("Choose Asha Patel").check()
    page.get_by_role("button", name="Send a reminder now").click()
    page.get_by_role("heading", level=1, name="Send a reminder now for 1 person?").wait_for()
    check(page, html, width)
    page.get_by_role("button", name="Send 1 reminder").click()
    page.get_by_text("1 reminder queued.").wait_for()
    assert ReminderItem.objects.get().staff == scene.people["asha"]

    # Exempt everyone on an agency's list: the form's errors, then done.
    page.goto(f"{base}/agencies/{scene.agency_b.slug}/staff/")
    check(page, html, width)
    page.get_by_label("Everyone in this list").check()
    page.get_by_role("button", name="Record an exemption").click()
    page.get_by_role("heading", level=1, name="Record an exemption for 2 people?").wait_for()
    check(page, html, width)
    page.get_by_role("button", name="Exempt 2 people").click()
    page.get_by_text("Select the reason for the exemption.").first.wait_for()
    check(page, html, width)
    page.get_by_label("Equivalent qualification").check()
    page.get_by_label("Details").fill("Level 3 certificate")
    page.get_by_role("button", name="Exempt 2 people").click()
    page.get_by_text("2 people are now exempt from all modules.").wait_for()
    assert Exemption.objects.filter(staff__agency=scene.agency_b).count() == 2

    # The person page's actions.
    page.goto(f"{base}/staff/{scene.people['dan'].pk}/")
    check(page, html, width)

    # Pause every reminder: the banner, and what is held.
    page.goto(f"{base}/reminders/pause/")
    check(page, html, width)
    page.get_by_role("button", name="Pause all reminders").click()
    page.get_by_text("No reminder emails are being sent.").wait_for()
    check(page, html, width)
    assert ReminderPause.objects.get().paused

    if width == 1280:
        assert html.errors() == {}
