"""Template helpers of the reminder pages (the outbox and the person page's reminders panel):
stages, cycles and addresses in words. The words of each stage come from the reminder source that
plans it (notifications.sources)."""

import re

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

from .. import sources

register = template.Library()


@register.filter
def stage_text(label: str) -> str:
    """ "U+14" -> "2 weeks after the due date" (notifications.sources.stage_text)."""
    return sources.stage_text(label)


@register.filter
def breakable(address: str) -> str:
    """An email address that may wrap before its @ and dots (<wbr>), not in the middle of a name:
    long addresses are the widest thing in the outbox tables and would widen them on phones."""
    parts = re.split(r"(?=[@.])", str(address or ""))
    return mark_safe("<wbr>".join(escape(part) for part in parts))  # noqa: S308 - each part is escaped


@register.filter
def cycle_name(label: str) -> str:
    """What the cycle date of an item at this stage is: "X+14" -> "expiry"."""
    return sources.cycle_name(label)
