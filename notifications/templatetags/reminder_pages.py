"""Template helpers of the reminder pages (the outbox and the person page's reminders panel):
stages, cycles and addresses in words. The words of each stage come from the reminder source that
plans it (notifications.sources)."""

import re

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

from .. import sources

register = template.Library()

STAGE = re.compile(r"^([A-Z])([+-])(\d+)$")


@register.filter
def stage_text(label: str) -> str:
    """ "U-30" -> "30 days before the due date"; "X+0" -> "on the expiry date"."""
    named = sources.named_stage(label)
    if named is not None:
        return named.text
    match = STAGE.match(label or "")
    cycle = sources.cycle(match.group(1)) if match else None
    if cycle is None:
        return label
    sign, number = match.group(2), int(match.group(3))
    if number == 0:
        return cycle.on_the_day
    days = "1 day" if number == 1 else f"{number} days"
    return f"{days} {'before' if sign == '-' else 'after'} {cycle.counted_from}"


@register.filter
def breakable(address: str) -> str:
    """An email address that may wrap before its @ and dots (<wbr>), not in the middle of a name:
    long addresses are the widest thing in the outbox tables and would widen them on phones."""
    parts = re.split(r"(?=[@.])", str(address or ""))
    return mark_safe("<wbr>".join(escape(part) for part in parts))  # noqa: S308 - each part is escaped


@register.filter
def cycle_name(label: str) -> str:
    """What the cycle date of an item at this stage is: "X+14" -> "expiry"."""
    named = sources.named_stage(label)
    if named is not None:
        return named.cycle_name
    cycle = sources.cycle((label or "")[:1])
    return cycle.name if cycle is not None else ""
