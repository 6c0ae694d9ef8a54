"""Review reminders of the workforce strategy, planned through the reminder engine's outbox.

All of kind `action_plan_review` (PRODUCT.md section 4), in three series, each exactly once per
stage (the engine's unique key) and re-checked by the engine's sender before it goes:

| series    | to                       | stages                                                        |
| --------- | ------------------------ | ------------------------------------------------------------- |
| `owner`   | the action's owner       | R-14 (14 days before the review date R) and R+0 (on it)       |
| `overdue` | the partnership HSB lead | R+1: the review date passed without a review, once per cycle  |
| `round`   | the partnership HSB lead | A+0: the next assessment round is due (last completed         |
|           |                          | partnership round + 12 months, or 6: strategy settings)      |

The cycle is the review date R (or the round's due date A). A review moves R on six months, which
starts a new cycle; items of the old cycle still waiting are cancelled when the sender re-checks
them ("the review date changed"). Done actions get nothing, and a waiting item of an action that
is done by the time it would be sent is cancelled with that reason. The lead's reminders go to
the HSB lead's email in the strategy settings; without one they are not planned.

ActionPlanReviews is a reminder source of the engine (notifications.sources), registered by
StrategyConfig.ready(): the engine plans its series, re-checks its items before sending and
renders its emails through that interface, and knows nothing of the strategy.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse

from notifications import rules, sources
from notifications.rules import Stage, stage_label
from notifications.sources import Check, Cycle, ReminderKind, ReminderSource

from . import owner_links, selectors
from .models import Action, ActionStatus

KIND = "action_plan_review"
DAY = datetime.timedelta(days=1)
NOTICE_DAYS = selectors.REVIEW_NOTICE_DAYS

OWNER = "owner"
OVERDUE = "overdue"
ROUND = "round"
TRACKS = (OWNER, OVERDUE, ROUND)
REVIEW_CYCLE = "R"
ROUND_CYCLE = "A"


# ---------------------------------------------------------------------------------------------
# Pure rules: stages and series names from plain values
# ---------------------------------------------------------------------------------------------


def owner_stages(review_on: datetime.date) -> list[Stage]:
    return [
        Stage(review_on - NOTICE_DAYS * DAY, 0, KIND, stage_label(REVIEW_CYCLE, -NOTICE_DAYS)),
        Stage(review_on, 1, KIND, stage_label(REVIEW_CYCLE, 0)),
    ]


def overdue_stages(review_on: datetime.date) -> list[Stage]:
    return [Stage(review_on + DAY, 0, KIND, stage_label(REVIEW_CYCLE, 1))]


def round_stages(due_on: datetime.date) -> list[Stage]:
    return [Stage(due_on, 0, KIND, stage_label(ROUND_CYCLE, 0))]


def series_name(*, track: str, recipient: str, subject: str, cycle_date: datetime.date) -> str:
    """Every stage of one cycle for one recipient, shaped like the engine's series keys
    (track, recipient, what it is about, cycle date). `subject` is "action-<id>" or "partnership"."""
    return "|".join((f"{KIND}:{track}", recipient, subject, cycle_date.isoformat()))


@dataclass(frozen=True)
class SeriesName:
    track: str
    recipient: str
    action_id: int | None
    cycle_date: datetime.date


def parse_series(series: str) -> SeriesName | None:
    """The parts of a series this module named, or None for anything else."""
    parts = series.split("|")
    if len(parts) != 4 or not parts[0].startswith(f"{KIND}:"):
        return None
    track = parts[0].split(":", 1)[1]
    subject = parts[2]
    action_id = int(subject.removeprefix("action-")) if subject.startswith("action-") else None
    try:
        cycle_date = datetime.date.fromisoformat(parts[3])
    except ValueError:
        return None
    if track not in TRACKS:
        return None
    return SeriesName(track, parts[1], action_id, cycle_date)


# ---------------------------------------------------------------------------------------------
# The planner's read: series in the engine's format
# ---------------------------------------------------------------------------------------------


def _found(*, track, recipient, subject, agency_id, cycle_date, stages, day):
    name = series_name(track=track, recipient=recipient, subject=subject, cycle_date=cycle_date)
    return sources.series(
        kind=KIND,
        recipient=recipient,
        stages=stages,
        today=day,
        agency_id=agency_id,
        cycle_date=cycle_date,
        name=name,
    )


def review_series(*, day: datetime.date) -> list[sources.Series]:
    """Every strategy series with a stage due on `day` (three queries, whatever the number of
    actions), as the engine's Series. The engine drops stages already in the outbox and records
    catch-up skips."""
    strategy = selectors.strategy_settings()
    lead_email = strategy.lead_email.strip().lower()
    found = []
    # Only reviews whose first stage has come: R - 14 on or before the day.
    actions = (
        Action.objects.exclude(status=ActionStatus.DONE)
        .filter(review_on__lte=day + NOTICE_DAYS * DAY)
        .values_list("id", "owner_email", "owner_agency_id", "review_on")
    )
    for action_id, owner_email, agency_id, review_on in actions:
        subject = f"action-{action_id}"
        found.append(
            _found(
                track=OWNER,
                recipient=owner_email.lower(),
                subject=subject,
                agency_id=agency_id,
                cycle_date=review_on,
                stages=owner_stages(review_on),
                day=day,
            )
        )
        if lead_email:
            found.append(
                _found(
                    track=OVERDUE,
                    recipient=lead_email,
                    subject=subject,
                    agency_id=agency_id,
                    cycle_date=review_on,
                    stages=overdue_stages(review_on),
                    day=day,
                )
            )
    due = selectors.next_round_due(settings=strategy)
    if lead_email and due.due_on is not None:
        found.append(
            _found(
                track=ROUND,
                recipient=lead_email,
                subject="partnership",
                agency_id=None,
                cycle_date=due.due_on,
                stages=round_stages(due.due_on),
                day=day,
            )
        )
    return [series for series in found if series is not None]


# ---------------------------------------------------------------------------------------------
# The sender's re-check and the email's content
# ---------------------------------------------------------------------------------------------


def item_check(item, today: datetime.date):
    """(reason the item no longer holds, None) or (None, what its email says), for the engine's
    sender. Reasons read after "cancelled: " on the outbox page."""
    name = parse_series(item.series)
    if name is None:
        return "not a reminder the workforce strategy knows", None
    if name.track == ROUND:
        return _round_check(item, name)
    action = Action.objects.select_related("owner_agency").filter(pk=name.action_id).first()
    if action is None:
        return "the action was deleted", None
    if action.status == ActionStatus.DONE:
        return "the action is done", None
    if action.review_on != item.cycle_date:
        return f"the review date changed to {rules.long_date(action.review_on)}", None
    if name.track == OWNER:
        if action.owner_email != item.recipient:
            return "the action's owner changed", None
        return None, {"track": OWNER, "action": action, "update_url": owner_links.owner_url(action)}
    if selectors.strategy_settings().lead_email.lower() != item.recipient:
        return "the HSB lead's email changed", None
    detail = settings.SITE_URL + reverse("strategy:action_detail", args=[action.pk])
    return None, {"track": OVERDUE, "action": action, "detail_url": detail}


def _round_check(item, name):
    strategy = selectors.strategy_settings()
    if strategy.lead_email.lower() != item.recipient:
        return "the HSB lead's email changed", None
    due = selectors.next_round_due(settings=strategy)
    if due.due_on != item.cycle_date:
        if due.due_on is None:
            return "no completed assessment round to count from", None
        return f"the next round is now due on {rules.long_date(due.due_on)}", None
    return None, {
        "track": ROUND,
        "due_on": due.due_on,
        "last_round": due.last_round,
        "interval_months": due.interval_months,
        "start_url": settings.SITE_URL + reverse("strategy:round_create"),
    }


def email_context(item, facts) -> dict:
    """The template context of one action_plan_review item (notifications.emails.CONTEXT)."""
    content = dict(facts.contents[item.id])
    content["stage"] = item.stage
    content["on_the_day"] = item.stage == stage_label(REVIEW_CYCLE, 0)
    if "action" in content:
        action = content["action"]
        content["review_on"] = rules.long_date(action.review_on)
        content["due_on"] = rules.long_date(action.due_on)
        content["days"] = (action.review_on - facts.today).days
        content["overdue_days"] = (facts.today - action.review_on).days
    if "due_on" in content and content["track"] == ROUND:
        # "was due on" once the date has passed (a late send after downtime), "is due on" before.
        content["round_past"] = content["due_on"] < facts.today
        content["due_on"] = rules.long_date(content["due_on"])
    content["site_url"] = settings.SITE_URL
    return content


class ActionPlanReviews(ReminderSource):
    kinds = (
        ReminderKind(
            KIND,
            "Action plan review",
            footer=(
                "You get this as the owner of an action in the partnership's HSB action plan, or as "
                "its HSB lead."
            ),
        ),
    )
    cycles = {
        REVIEW_CYCLE: Cycle("the review date", "on the review date", "review date"),
        ROUND_CYCLE: Cycle(
            "the assessment round's due date", "on the assessment round's due date", "assessment round due"
        ),
    }

    def series(self, planning):
        return review_series(day=planning.day)

    def check(self, items, *, today):
        return {item.id: self._check(item, today) for item in items}

    def _check(self, item, today):
        # An action owned within an agency that has left the partnership reminds nobody.
        if item.agency is not None and not item.agency.active:
            return Check("the agency is inactive")
        return Check(*item_check(item, today))

    def email_context(self, item, facts):
        return email_context(item, facts)
