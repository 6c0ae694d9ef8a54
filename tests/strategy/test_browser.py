"""In real headless Chromium: a lead rates a round, adds an action, and the owner updates it from
the link in their review reminder (taken from the outbox's email)."""

import datetime
import re

import pytest
from django.core import mail
from django.utils import timezone

from notifications import services as engine
from strategy import services
from strategy.models import Action, ActionStatus, AssessmentRound, ProgressNote, Rating
from tests.browser_conftest import fill_date, sign_in_with_password
from tests.factories import LeadFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct-horse-battery"


def sign_in(page, base, username):
    sign_in_with_password(page, base, username, PASSWORD)


def test_lead_rates_a_round_adds_an_action_and_the_owner_updates_it(
    live_server, browser_page, framework, settings
):
    settings.SITE_URL = live_server.url
    lead = LeadFactory(username="lead")
    services.strategy_settings_update(actor=lead, lead_name="Priya Sharma", lead_email="priya@example.org")
    today = timezone.localdate()
    assessment_round = services.round_create(
        framework=framework, title="Baseline assessment", assessed_on=today, actor=lead
    )
    base = live_server.url
    page = browser_page()
    sign_in(page, base, "lead")

    # Rate every domain through the pages, "Save and rate <next domain>" each time.
    page.goto(f"{base}/strategy/rounds/{assessment_round.pk}/")
    page.get_by_role("link", name=re.compile(r"^Rate\s+Responses")).click()
    for domain in ("Responses", "Prevention", "Assessment", "Interventions", "Development"):
        page.get_by_role("heading", level=1, name=domain).wait_for()
        for group in page.locator(".app-rating").all():
            group.get_by_label("Partly in place").check()
        page.locator(".app-rating").first.get_by_label("Evidence").fill(f"Checked the {domain} evidence")
        next_button = page.get_by_role("button", name=re.compile(r"^Save and rate"))
        if next_button.count():
            next_button.click()
        else:
            page.get_by_role("button", name="Save and return to the round").click()
    page.get_by_role("button", name="Complete the round").click()
    page.get_by_text("is completed. Its evidence figures are now fixed.").wait_for()
    assessment_round.refresh_from_db()
    assert assessment_round.status == "completed"
    assert set(assessment_round.ratings.values_list("rating", flat=True)) == {Rating.PARTLY}

    page.get_by_role("link", name="One-page summary").click()
    assert page.locator(".app-summary-table").get_by_text("67%").count() == 6  # five domains and overall

    # Add an action whose review is 14 days away: its owner's first reminder is due today.
    page.goto(f"{base}/strategy/actions/new/")
    page.get_by_label("Title").fill("Train every designated safeguarding lead")
    page.get_by_label(re.compile("^Designated safeguarding leads are trained")).check()
    page.get_by_label("Owner name").fill("Hannah Price")
    page.get_by_label("Owner email").fill("hannah.price@example.org")
    fill_date(page, "Due date", today + datetime.timedelta(days=90))
    fill_date(page, "Review date", today + datetime.timedelta(days=14))
    page.get_by_role("button", name="Add action").click()
    page.get_by_text("Action added.").wait_for()
    action = Action.objects.get()

    engine.reminders_plan(day=today, queue=False)
    engine.pending_messages_send(today=today)
    email = next(message for message in mail.outbox if message.to == ["hannah.price@example.org"])
    link = re.search(r"http\S+/strategy/actions/update/\S+/", email.body).group(0)

    owner = browser_page(width=390)  # the owner, on a phone, with no account
    owner.goto(link)
    owner.get_by_role("heading", name="Train every designated safeguarding lead").wait_for()
    owner.get_by_label("At risk").check()
    owner.get_by_label("Progress note").fill("Two of four sessions were cancelled; new dates in March.")
    owner.get_by_role("button", name="Send update").click()
    owner.get_by_text("Thank you. Your update has been saved").wait_for()

    action.refresh_from_db()
    assert action.status == ActionStatus.AT_RISK
    note = ProgressNote.objects.get(action=action)
    assert (note.via, note.author_name) == ("owner_link", "Hannah Price")
    # The owner's update counted as the review (inside 14 days): the review moved on.
    assert action.review_on > today + datetime.timedelta(days=14)

    # The link names no action; its token put in an address of another action opens nothing.
    other = services.action_create(
        actor=lead,
        today=today,
        title="Other",
        items=[action.items.first()],
        owner_name="X",
        owner_email="x@example.org",
        due_on=today,
    )
    owner.goto(link.replace("/actions/update/", f"/actions/{other.pk}/update/"))
    owner.get_by_role("heading", name="This link does not work").wait_for()
    assert AssessmentRound.objects.count() == 1
