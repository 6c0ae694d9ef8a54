"""What a message still holds when it is sent: each item re-checked by its source on the day of
sending (notifications.sources), a fixed number of queries per message."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from .. import sources
from .planning import SUPERSEDED


@dataclass
class MessageFacts:
    """What the sender learns about a message's items on the day of sending: why some no longer
    hold (`reasons`, by item id), what each item's email needs (`contents`, by item id) and the
    modules its items are about (`module_ids`: a context extension reads what concerns them once
    per message)."""

    today: datetime.date
    reasons: dict[int, str] = field(default_factory=dict)
    contents: dict[int, object] = field(default_factory=dict)
    module_ids: frozenset = frozenset()


def message_facts(items, *, today: datetime.date) -> MessageFacts:
    """Re-check a message's items before sending. Items need `staff`, `staff__agency`, `module`
    and `agency` loaded."""
    facts = MessageFacts(today, module_ids=frozenset(item.module_id for item in items if item.module_id))
    # Two stages of one series in one message (one was waiting when the next fell due): only the
    # later one is news. The planner supersedes across messages; this covers the rest.
    latest = {}
    for item in items:
        latest[item.series] = max(latest.get(item.series, item.stage_date), item.stage_date)
    by_source = defaultdict(list)
    for item in items:
        if latest[item.series] > item.stage_date:
            facts.reasons[item.id] = SUPERSEDED
            continue
        source = sources.source_for(item.kind)
        if source is None:
            facts.reasons[item.id] = (
                f"no part of the tracker sends {sources.kind_label(item.kind).lower()} reminders now"
            )
            continue
        by_source[source].append(item)
    for source, own in by_source.items():
        for item_id, check in source.check(own, today=today).items():
            if check.reason:
                facts.reasons[item_id] = check.reason
            else:
                facts.contents[item_id] = check.content
    return facts
