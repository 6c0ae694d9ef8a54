"""Review reminders through the reminder engine's outbox: each stage planned exactly once, catch-up
without floods, nothing for done actions, re-checked before sending, and an owner's email that
carries a working link to their own action."""

import datetime
import re

import pytest
from django.core import mail
from django.utils import timezone

from notifications import services as engine
from notifications.models import ItemStatus, ReminderItem
from strategy import reminders, services
from strategy.models import ActionStatus, ProgressVia, Rating
from workforce.models import Agency

D = datetime.date
pytestmark = pytest.mark.django_db
REVIEW = D(2027, 3, 1)
LEAD_EMAIL = "priya.sharma@example.org"


# ---------------------------------------------------------------------------------------------
# Pure rules
# ---------------------------------------------------------------------------------------------


def test_owner_stages_are_fourteen_days_before_and_on_the_review_date():
    stages = reminders.owner_stages(REVIEW)
    assert [(stage.trigger, stage.label, stage.kind) for stage in stages] == [
        (D(2027, 2, 15), "R-14", reminders.KIND),
        (D(2027, 3, 1), "R+0", reminders.KIND),
    ]


def test_lead_stages():
    assert [(s.trigger, s.label) for s in reminders.overdue_stages(REVIEW)] == [(D(2027, 3, 2), "R+1")]
    assert [(s.trigger, s.label) for s in reminders.round_stages(REVIEW)] == [(REVIEW, "A+0")]


def test_series_names_round_trip():
    name = reminders.series_name(
        track="owner", recipient="a@example.org", subject="action-12", cycle_date=REVIEW
    )
    assert name == "action_plan_review:owner|a@example.org|action-12|2027-03-01"
    parsed = reminders.parse_series(name)
    assert (parsed.track, parsed.recipient, parsed.action_id, parsed.cycle_date) == (
        "owner",
        "a@example.org",
        12,
        REVIEW,
    )
    assert reminders.parse_series("due|a@example.org|1|2|3|2027-03-01") is None
    assert reminders.parse_series("action_plan_review:other|a|action-1|2027-03-01") is None


# ---------------------------------------------------------------------------------------------
# Through the engine: plan, send, re-check
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def lead_named(lead):
    services.strategy_settings_update(actor=lead, lead_name="Priya Sharma", lead_email=LEAD_EMAIL)


def plan(day):
    engine.reminders_plan(
        day=day, queue=False, now=timezone.make_aware(datetime.datetime.combine(day, datetime.time(7)))
    )


def send(day):
    return engine.pending_messages_send(
        today=day, now=timezone.make_aware(datetime.datetime.combine(day, datetime.time(7, 5)))
    )


def strategy_rows():
    return sorted(
        ReminderItem.objects.filter(kind=reminders.KIND).values_list("recipient", "stage", "status"),
        key=lambda row: (row[0], row[1]),
    )


def test_each_stage_is_planned_exactly_once(make_action, lead_named):
    make_action(review_on=REVIEW, owner_email="owner@example.org")
    plan(D(2027, 2, 14))
    assert strategy_rows() == []
    for day in (D(2027, 2, 15), D(2027, 2, 15), D(2027, 2, 20)):
        plan(day)
    assert strategy_rows() == [("owner@example.org", "R-14", "pending")]
    send(D(2027, 2, 20))
    for day in (REVIEW, REVIEW):
        plan(day)
    assert strategy_rows() == [("owner@example.org", "R+0", "pending"), ("owner@example.org", "R-14", "sent")]
    for day in (D(2027, 3, 2), D(2027, 3, 2), D(2027, 3, 20)):
        plan(day)
    assert strategy_rows() == [
        ("owner@example.org", "R+0", "pending"),
        ("owner@example.org", "R-14", "sent"),
        (LEAD_EMAIL, "R+1", "pending"),
    ]


def test_first_run_after_the_review_date_sends_only_the_latest_stage(make_action, lead_named):
    make_action(review_on=REVIEW, owner_email="owner@example.org")
    plan(D(2027, 3, 5))
    assert strategy_rows() == [
        ("owner@example.org", "R+0", "pending"),
        ("owner@example.org", "R-14", "skipped"),
        (LEAD_EMAIL, "R+1", "pending"),
    ]


def test_done_actions_are_suppressed(make_action, lead_named):
    make_action(review_on=REVIEW, status=ActionStatus.DONE)
    for day in (D(2027, 2, 15), REVIEW, D(2027, 3, 2)):
        plan(day)
    assert strategy_rows() == []


def test_an_action_done_before_sending_cancels_its_reminder(make_action, lead_named):
    action = make_action(review_on=REVIEW, owner_email="owner@example.org")
    plan(D(2027, 2, 15))
    services.action_progress_add(
        action=action,
        actor=None,
        today=D(2027, 2, 15),
        note="Finished",
        status=ActionStatus.DONE,
        author_name="Owner",
        via=ProgressVia.OWNER_LINK,
    )
    send(D(2027, 2, 15))
    item = ReminderItem.objects.get(kind=reminders.KIND)
    assert (item.status, item.reason) == (ItemStatus.CANCELLED, "the action is done")
    assert mail.outbox == []


def test_a_review_moves_the_cycle_on(make_action, lead_named):
    action = make_action(review_on=REVIEW, owner_email="owner@example.org")
    plan(D(2027, 2, 15))
    services.action_progress_add(
        action=action,
        actor=None,
        today=D(2027, 2, 16),
        note="Reviewed",
        status=ActionStatus.ON_TRACK,
        author_name="Owner",
        via=ProgressVia.OWNER_LINK,
    )
    send(D(2027, 2, 16))
    item = ReminderItem.objects.get(kind=reminders.KIND)
    assert (item.status, item.reason) == (ItemStatus.CANCELLED, "the review date changed to 1 September 2027")
    for day in (REVIEW, D(2027, 3, 2)):
        plan(day)
    assert ReminderItem.objects.filter(kind=reminders.KIND).count() == 1


def test_lead_reminders_need_a_lead_email(make_action):
    make_action(review_on=REVIEW, owner_email="owner@example.org")
    plan(D(2027, 3, 5))
    assert {row[0] for row in strategy_rows()} == {"owner@example.org"}


def test_owner_email_carries_a_working_link_to_their_action(client, make_action, lead_named, time_machine):
    action = make_action(review_on=REVIEW, owner_email="owner@example.org", title="Train every DSL")
    time_machine.move_to(datetime.datetime(2027, 2, 15, 7, 0), tick=False)  # the link is made when sent
    plan(D(2027, 2, 15))
    run = send(D(2027, 2, 15))
    assert run.sent == 1
    email = mail.outbox[-1]
    assert email.to == ["owner@example.org"]
    assert email.subject == "Your HSB action plan review is due on 1 March 2027: Train every DSL"
    link = re.search(r"https?://\S+/strategy/actions/update/\S+/", email.body).group(0)
    assert link in email.alternatives[0][0]
    time_machine.move_to(datetime.datetime(2027, 2, 16, 9, 0), tick=False)
    path = link.split("://", 1)[1].split("/", 1)[1]
    response = client.post("/" + path, {"status": "on_track", "note": "Half done", "author_name": "Owner"})
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.status == ActionStatus.ON_TRACK


def test_lead_is_reminded_when_the_next_round_is_due(make_round, lead, lead_named):
    make_round(assessed_on=D(2025, 11, 1), value=Rating.PARTLY, complete=True)
    plan(D(2026, 10, 31))
    assert strategy_rows() == []
    plan(D(2026, 11, 1))
    plan(D(2026, 11, 2))
    assert strategy_rows() == [(LEAD_EMAIL, "A+0", "pending")]
    send(D(2026, 11, 2))
    # The lead's user account also gets November's board report (reports.reminders), separately.
    [email] = [message for message in mail.outbox if message.to == [LEAD_EMAIL]]
    assert email.subject == "The next HSB self-assessment round is due"
    assert "1 November 2026, 12 months after Round" in email.body


def test_six_monthly_rounds_are_due_sooner(make_round, lead, lead_named):
    services.strategy_settings_update(actor=lead, round_interval_months=6)
    make_round(assessed_on=D(2025, 11, 1), value=Rating.PARTLY, complete=True)
    plan(D(2026, 5, 1))
    assert strategy_rows() == [(LEAD_EMAIL, "A+0", "pending")]
    assert ReminderItem.objects.get(kind=reminders.KIND).cycle_date == D(2026, 5, 1)


def test_a_round_completed_before_sending_cancels_the_round_reminder(make_round, lead, lead_named):
    make_round(assessed_on=D(2025, 11, 1), value=Rating.PARTLY, complete=True)
    plan(D(2026, 11, 1))
    make_round(title="New", assessed_on=D(2026, 11, 1), value=Rating.PARTLY, complete=True)
    send(D(2026, 11, 1))
    item = ReminderItem.objects.get(kind=reminders.KIND)
    assert (item.status, item.reason) == (
        ItemStatus.CANCELLED,
        "the next round is now due on 1 November 2027",
    )


def test_review_series_reads_a_fixed_number_of_queries(make_action, lead_named, django_assert_num_queries):
    for number in range(10):
        make_action(title=f"A{number}", review_on=REVIEW, owner_email=f"o{number}@example.org")
    with django_assert_num_queries(3):
        found = reminders.review_series(day=REVIEW + datetime.timedelta(days=1))
    assert len(found) == 20


def test_an_action_of_an_agency_that_left_the_partnership_reminds_nobody(make_action, agency_a):
    make_action(review_on=REVIEW, owner_email="owner@example.org", owner_agency=agency_a)
    plan(D(2027, 2, 15))
    Agency.objects.filter(pk=agency_a.pk).update(active=False)
    send(D(2027, 2, 15))
    item = ReminderItem.objects.get(kind=reminders.KIND)
    assert (item.status, item.reason) == (ItemStatus.CANCELLED, "the agency is inactive")
    assert mail.outbox == []
