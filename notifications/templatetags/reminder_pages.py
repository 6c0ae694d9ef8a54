"""Template helpers of the reminder pages (the outbox and the person page's reminders panel):
stages, cycles and addresses in words."""

import re

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

register = template.Library()

# What the letter of a stage label (rules.stage_label, strategy.reminders) counts from.
CYCLE_WORDS = {
    "U": ("the due date", "on the due date"),
    "X": ("expiry", "on the expiry date"),
    "L": ("the last staff-list upload", "on the day of the last staff-list upload"),
    "R": ("the review date", "on the review date"),
    "A": ("the assessment round's due date", "on the assessment round's due date"),
}
NAMED_STAGES = {
    "start": "when the training became required",
    "weekly": "each Monday",
    "monthly": "on the 1st of each month",
    "daily": "each day while needed",
}
STAGE = re.compile(r"^([A-Z])([+-])(\d+)$")
# What an item's cycle date is, by the first letter of its stage or the stage's name.
CYCLE_NAMES = {
    "U": "due date",
    "start": "due date",
    "X": "expiry",
    "L": "last staff-list upload",
    "R": "review date",
    "A": "assessment round due",
    "weekly": "week starting",
    "monthly": "month starting",
    "daily": "day",
}


@register.filter
def stage_text(label: str) -> str:
    """ "U-30" -> "30 days before the due date"; "X+0" -> "on the expiry date"."""
    if label in NAMED_STAGES:
        return NAMED_STAGES[label]
    match = STAGE.match(label or "")
    if not match or match.group(1) not in CYCLE_WORDS:
        return label
    letter, sign, number = match.group(1), match.group(2), int(match.group(3))
    counted_from, on_the_day = CYCLE_WORDS[letter]
    if number == 0:
        return on_the_day
    days = "1 day" if number == 1 else f"{number} days"
    return f"{days} {'before' if sign == '-' else 'after'} {counted_from}"


@register.filter
def breakable(address: str) -> str:
    """An email address that may wrap before its @ and dots (<wbr>), not in the middle of a name:
    long addresses are the widest thing in the outbox tables and would widen them on phones."""
    parts = re.split(r"(?=[@.])", str(address or ""))
    return mark_safe("<wbr>".join(escape(part) for part in parts))  # noqa: S308 - each part is escaped


@register.filter
def cycle_name(label: str) -> str:
    """What the cycle date of an item at this stage is: "X+14" -> "expiry"."""
    return CYCLE_NAMES.get(label) or CYCLE_NAMES.get((label or "")[:1], "")
