"""In real headless Chromium: a staff member asks for a sign-in link on a phone, opens it from the
email, continues by POST (the link's GET signs no one in), and self-declares a completion with a
PDF certificate; the lead verifies it, and the person's status changes on their record."""

import datetime
import re

import pytest
from django.core import mail

from tests.browser_conftest import fill_date, sign_in_with_password
from tests.factories import LeadFactory
from tests.training.records_fixtures import PDF_BYTES
from training.models import Completion, Verification

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct-horse-battery"
# Generous: a loaded CI machine can take seconds to render a page in Chromium.
SLOW_MACHINE_MS = 30_000


def test_a_staff_member_declares_a_completion_and_the_lead_verifies_it(
    live_server, browser_page, settings, staff_a, required, media, eager_tasks, isolated_cache
):
    settings.SITE_URL = live_server.url
    LeadFactory(username="lead", first_name="Priya", last_name="Sharma")
    base = live_server.url

    # The staff member, on a phone, with no account.
    phone = browser_page(width=390, height=844)
    phone.set_default_timeout(SLOW_MACHINE_MS)
    phone.goto(f"{base}/my/sign-in/")
    phone.get_by_label("Work email address").fill(staff_a.email)
    phone.get_by_role("button", name="Email me a sign-in link").click()
    phone.get_by_role("heading", name="Check your email").wait_for()
    [email] = mail.outbox
    link = re.search(r"http\S+/my/sign-in/\S+/", email.body).group(0)

    phone.goto(link)
    # Opening the link signs no one in (mail scanners fetch links): the person continues by POST.
    phone.get_by_role("heading", name="Continue to your record").wait_for()
    assert not phone.get_by_role("heading", name="Your training record").count()
    phone.get_by_role("button", name="Continue to your record").click()
    phone.get_by_role("heading", name="Your training record").wait_for()
    card = phone.locator(".govuk-summary-card", has_text="HSB-101")
    assert card.get_by_text("Overdue").is_visible()
    card.get_by_role("link", name=re.compile("I have done this")).click()

    phone.get_by_role("heading", name="Tell us about training you have done").wait_for()
    assert phone.get_by_label("Training module").input_value() == str(required.pk)
    fill_date(phone, "Date you completed it", datetime.date(2026, 3, 2))
    phone.get_by_label("Certificate").set_input_files(
        {"name": "HSB-101 certificate.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}
    )
    phone.get_by_role("button", name="Send for checking").click()
    phone.get_by_text("has been sent for checking").wait_for()
    assert phone.get_by_role("heading", name="Waiting for verification").is_visible()
    card = phone.locator(".govuk-summary-card", has_text="HSB-101")
    assert card.get_by_text("Overdue").is_visible(), "it does not count until verified"
    assert card.get_by_text("waiting for verification").is_visible()
    assert card.get_by_role("link", name=re.compile("I have done this")).count() == 0
    declared = Completion.objects.get()
    assert declared.verification == Verification.PENDING

    # The lead, at a desk.
    desk = browser_page()
    desk.set_default_timeout(SLOW_MACHINE_MS)
    sign_in_with_password(desk, base, "lead", PASSWORD)
    desk.goto(f"{base}/training/verification/")
    desk.get_by_role("link", name=re.compile(f"Review.*{staff_a.full_name}")).click()
    href = desk.get_by_role("link", name=re.compile("View the certificate")).get_attribute("href")
    certificate = desk.request.get(base + href)
    assert certificate.ok and certificate.body() == PDF_BYTES
    desk.get_by_role("button", name="Verify").click()
    desk.get_by_text(f"Verified HSB-101 for {staff_a.full_name}").wait_for()
    declared.refresh_from_db()
    assert declared.verification == Verification.VERIFIED
    assert len(mail.outbox) == 2 and "has been verified" in mail.outbox[1].subject

    # The person's record now shows the module as done.
    phone.reload()
    phone.locator(".govuk-summary-card", has_text="HSB-101").get_by_text("Compliant").wait_for()
    assert phone.get_by_role("heading", name="Waiting for verification").count() == 0
    desk.goto(f"{base}/staff/{staff_a.pk}/")
    desk.get_by_role("heading", name=staff_a.full_name).wait_for()
    assert desk.get_by_text("Waiting for verification").count() == 0
