"""Reminder sources: the small interface through which anything plugs reminders into the engine,
and the registry of sources. The engine (planning, the send-time re-check, the emails, the
outbox pages) asks the registry and never names a source.

A source is one class in a module of its own. The engine's own sources live beside this module
(compliance reminders, digests, the verification review) and are registered by
NotificationsConfig.ready(); an app higher up registers its own from its AppConfig.ready()
(the imports' staff-list review, the action plan's reviews). What a source provides:

- `kinds`: the kinds of reminder it plans (ReminderKind: value, label, digest or not, about the
  recipient's own training or not);
- `series(planning)`: for the planner run of `planning.day`, every series with a stage due, as
  the engine's Series (built by `series()` below); the engine keeps only stages not yet in the
  outbox and records catch-up skips;
- `check(items, today)`: on the day of sending, for each of the source's items in a message,
  a Check: the reason it no longer holds, or the content its email needs;
- `email_context(item, facts)`: the template context of one item's part of the email
  (templates notifications/email/<kind>-subject.txt, -body.txt and -body.html);
- `cycles` and `named_stages`: the words for its stage labels on the outbox pages;
- `on_request`: True for a source whose items a service writes when someone asks, rather than
  the planner (its `series` yields nothing).
"""

import datetime
import re
from dataclasses import dataclass
from typing import NamedTuple

from .. import rules
from ..models import ItemStatus

_SOURCES = []


@dataclass(frozen=True)
class ReminderKind:
    value: str
    label: str
    # A digest may be switched off by its recipient (one-click unsubscribe); every other kind is a
    # mandatory reminder.
    digest: bool = False
    # About the recipient's own training: listed first in their email, which greets them by name.
    own_training: bool = False
    # Among the recipient's own items, the more urgent first (lower first).
    urgency: int = 5
    # What a digest's recipient reads beside its checkbox on their preferences page.
    description: str = ""
    # Why the recipient gets this kind of email, said once in the footer of every email that lists
    # it: a staff member's reminders cannot be switched off, a line manager is told why they hear
    # about their team, HR and leads why they hear about their work. Empty: no such line.
    footer: str = ""


@dataclass(frozen=True)
class Cycle:
    """What a stage label's letter counts from ("U-30": 30 days before the due date)."""

    counted_from: str  # "the due date"
    on_the_day: str  # "on the due date"
    name: str  # what an item's cycle date is: "due date"


@dataclass(frozen=True)
class NamedStage:
    """A stage with a name of its own rather than an offset ("weekly")."""

    text: str  # "each Monday"
    cycle_name: str  # "week starting"


class Check(NamedTuple):
    """What the send-time re-check found of one item: why it no longer holds, or what its email says."""

    reason: str | None = None
    content: object = None


class PlannedItem(NamedTuple):
    """One outbox row to write (a NamedTuple: cheap to make by the hundred thousand)."""

    key: str  # rules.item_key
    series: str
    kind: str
    recipient: str
    staff_id: int | None
    module_id: int | None
    agency_id: int | None
    cycle_date: datetime.date
    stage: str
    stage_date: datetime.date
    status: str = ItemStatus.PENDING
    reason: str = ""


@dataclass(slots=True)
class Series:
    """Every stage of one cycle for one recipient, with the stages due on the planner's day
    (`catch`: the latest to send, earlier ones to record as skipped). Every source's series are
    this type, made by `series()`."""

    series: str
    kind: str
    recipient: str
    staff_id: int | None
    module_id: int | None
    agency_id: int | None
    cycle_date: datetime.date
    catch: rules.CatchUp

    def item(self, stage, *, status=ItemStatus.PENDING, reason="") -> PlannedItem:
        return PlannedItem(
            key=rules.item_key(kind=stage.kind, series=self.series, stage=stage.label),
            series=self.series,
            kind=stage.kind,
            recipient=self.recipient,
            staff_id=self.staff_id,
            module_id=self.module_id,
            agency_id=self.agency_id,
            cycle_date=self.cycle_date,
            stage=stage.label,
            stage_date=stage.trigger,
            status=status,
            reason=reason,
        )


def series(
    *, kind, recipient, stages, today, cycle_date, staff_id=None, module_id=None, agency_id=None, name=None
) -> Series | None:
    """The series of `stages` for one recipient and cycle as of `today`, or None when none of its
    stages is due yet. `name` is the series' name in the outbox (rules.series_key by default: a
    source that named its series otherwise before keeps its names, so its keys never change)."""
    catch = rules.catch_up(stages, today)
    if catch.latest is None:
        return None
    name = name or rules.series_key(
        kind=kind,
        recipient=recipient,
        staff_id=staff_id,
        module_id=module_id,
        agency_id=agency_id,
        cycle_date=cycle_date,
    )
    return Series(name, kind, recipient, staff_id, module_id, agency_id, cycle_date, catch)


class ReminderSource:
    """What a source of reminders tells the engine (see the module docstring)."""

    kinds: tuple = ()
    cycles: dict = {}
    named_stages: dict = {}
    # Items written when someone asks (a service of the source's own), never planned: `series`
    # yields nothing (the reminder sent now).
    on_request: bool = False

    def series(self, planning):
        raise NotImplementedError

    def check(self, items, *, today) -> dict:
        """{item id: Check} for every one of `items` (this source's items of one message)."""
        raise NotImplementedError

    def email_context(self, item, facts) -> dict:
        raise NotImplementedError

    def attachments(self, item, facts) -> list:
        """Files the item's email carries: (filename, content, MIME type), e.g. a calendar
        invitation. None by default."""
        return []


# ---------------------------------------------------------------------------------------------
# The registry
# ---------------------------------------------------------------------------------------------

_CONTEXT_EXTENSIONS = []


def register_context_extension(extension):
    """Add a callable (item, facts) -> dict whose keys join every reminder email's context (an
    app higher up adds what it knows: courses lists a module's next sessions with free places as
    `next_sessions`, which the due, overdue and expired templates show)."""
    if extension not in _CONTEXT_EXTENSIONS:
        _CONTEXT_EXTENSIONS.append(extension)
    return extension


def extra_context(item, facts) -> dict:
    context = {}
    for extension in _CONTEXT_EXTENSIONS:
        context.update(extension(item, facts) or {})
    return context


def register(source):
    """Add a source; a kind may belong to one source only."""
    taken = {kind.value for other in _SOURCES if other is not source for kind in other.kinds}
    clash = taken & {kind.value for kind in source.kinds}
    if clash:
        raise ValueError(f"Another reminder source plans {', '.join(sorted(clash))} already.")
    if source not in _SOURCES:
        _SOURCES.append(source)
    return source


def all_sources():
    return list(_SOURCES)


def source_for(kind):
    """The source of a kind, or None when no registered source plans it."""
    return next((source for source in _SOURCES if any(each.value == kind for each in source.kinds)), None)


def reminder_kind(kind) -> ReminderKind | None:
    return next((each for source in _SOURCES for each in source.kinds if each.value == kind), None)


def kind_footer(kind) -> str:
    found = reminder_kind(kind)
    return found.footer if found is not None else ""


def kind_label(kind) -> str:
    found = reminder_kind(kind)
    return found.label if found is not None else str(kind).replace("_", " ").capitalize()


def kind_choices():
    """Choices of ReminderItem.kind and DigestOptOut.kind (a callable: a new source needs no migration)."""
    return [(kind.value, kind.label) for source in _SOURCES for kind in source.kinds]


def is_digest(kind) -> bool:
    found = reminder_kind(kind)
    return found is not None and found.digest


def digest_kinds() -> frozenset:
    return frozenset(kind.value for source in _SOURCES for kind in source.kinds if kind.digest)


def is_own_training(kind) -> bool:
    found = reminder_kind(kind)
    return found is not None and found.own_training


def urgency(kind) -> int:
    found = reminder_kind(kind)
    return found.urgency if found is not None else ReminderKind("", "").urgency


def cycle(letter) -> Cycle | None:
    return next((source.cycles[letter] for source in _SOURCES if letter in source.cycles), None)


def named_stage(label) -> NamedStage | None:
    return next((source.named_stages[label] for source in _SOURCES if label in source.named_stages), None)


STAGE_LABEL = re.compile(r"^([A-Z])([+-])(\d+)$")


def _span(days: int) -> str:
    """14 -> "2 weeks", 30 -> "30 days", 1 -> "1 day": whole weeks read as weeks."""
    if days >= 7 and days % 7 == 0:
        weeks = days // 7
        return "1 week" if weeks == 1 else f"{weeks} weeks"
    return "1 day" if days == 1 else f"{days} days"


def stage_text(label) -> str:
    """A stage label in words, from the source that plans it: "U+14" -> "2 weeks after the due
    date", "X-60" -> "60 days before expiry", "X+0" -> "on the expiry date", "start" -> "when the
    training became required". An unknown label is returned as it is."""
    named = named_stage(label)
    if named is not None:
        return named.text
    match = STAGE_LABEL.match(label or "")
    found = cycle(match.group(1)) if match else None
    if found is None:
        return str(label or "")
    sign, days = match.group(2), int(match.group(3))
    if days == 0:
        return found.on_the_day
    return f"{_span(days)} {'before' if sign == '-' else 'after'} {found.counted_from}"


def cycle_name(label) -> str:
    """What the cycle date of an item at this stage is: "X+14" -> "expiry"."""
    named = named_stage(label)
    if named is not None:
        return named.cycle_name
    found = cycle((label or "")[:1])
    return found.name if found is not None else ""
