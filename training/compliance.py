"""The rules of compliance (PRODUCT.md section 3) as pure functions of plain values.

Nothing here reads the clock or the database: callers pass `today` and the values they loaded.
"""

import calendar
import datetime
import enum
import functools
from collections.abc import Iterable
from typing import Any, NamedTuple


def add_months(day: datetime.date, months: int) -> datetime.date:
    """Calendar-month arithmetic: the same day of the month, clamped to the month's last day.

    29 February + 12 months is 28 February; 31 January + 1 month is the end of February.
    """
    month_index = day.month - 1 + months
    year = day.year + month_index // 12
    month = month_index % 12 + 1
    last_day = calendar.monthrange(year, month)[1]
    return day.replace(year=year, month=month, day=min(day.day, last_day))


def expiry_date(
    *,
    completed_on: datetime.date,
    validity_months: int | None,
    renewal_window_days: int,
    previous_expiry: datetime.date | None,
) -> datetime.date | None:
    """The expiry of a completion, or None for a module that never expires.

    Renewal without drift: a completion made while the previous best completion is still valid and
    inside its renewal window extends from the previous expiry, so renewing early in the window
    does not lose the remaining days. Outside the window (too early, or after expiry) the new
    expiry rolls from the completion date.
    """
    if validity_months is None:
        return None
    if previous_expiry is not None:
        window_opens = previous_expiry - datetime.timedelta(days=renewal_window_days)
        if window_opens <= completed_on < previous_expiry:
            return add_months(previous_expiry, validity_months)
    return add_months(completed_on, validity_months)


def best_expiry_before(history: Iterable[tuple], *, before: datetime.date) -> datetime.date | None:
    """The expiry that a completion made on `before` renews from: the latest expiry among the
    counted completions `history` ((completed_on, expires_on) pairs) made on or before that day.
    None when there are none, or when one of them never expires (nothing to renew)."""
    expiries = [expires_on for completed_on, expires_on in history if completed_on <= before]
    if not expiries or None in expiries:
        return None
    return max(expiries)


# ---------------------------------------------------------------------------------------------
# Compliance status of one (person, module) pair on one date
# ---------------------------------------------------------------------------------------------


class Status(enum.StrEnum):
    """The six statuses of PRODUCT.md section 3, in the order reports list them."""

    COMPLIANT = "compliant"
    RENEWAL_DUE = "renewal_due"
    EXPIRED = "expired"
    DUE = "due"
    OVERDUE = "overdue"
    EXEMPT = "exempt"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def never_completed(self) -> bool:
        """Due or overdue: the pair has no counted completion (its key date is the due date)."""
        return self in (Status.DUE, Status.OVERDUE)

    @property
    def is_valid(self) -> bool:
        """Counts as valid in the compliance rate (the numerator)."""
        return self in (Status.COMPLIANT, Status.RENEWAL_DUE)

    @property
    def severity(self) -> int:
        """Higher is worse; see SEVERITY_ORDER."""
        return _SEVERITY[self]


_LABELS = {
    Status.COMPLIANT: "Compliant",
    Status.RENEWAL_DUE: "Renewal due",
    Status.EXPIRED: "Expired",
    Status.DUE: "Due",
    Status.OVERDUE: "Overdue",
    Status.EXEMPT: "Exempt",
}

# Least to most severe, for a person's "worst status". Exempt asks nothing of anyone; renewal due
# is still valid; due is not yet valid but inside the grace period; expired has lapsed; overdue is
# worst: the person has never done the training and the grace period is over.
SEVERITY_ORDER = (
    Status.EXEMPT,
    Status.COMPLIANT,
    Status.RENEWAL_DUE,
    Status.DUE,
    Status.EXPIRED,
    Status.OVERDUE,
)
_SEVERITY = {status: rank for rank, status in enumerate(SEVERITY_ORDER)}

STATUS_CHOICES = [(status.value, status.label) for status in Status]


def worst_status(statuses: Iterable[Status]) -> Status | None:
    """The most severe of `statuses`, or None when there are none."""
    return max(statuses, key=_SEVERITY.__getitem__, default=None)


class CompletionFact(NamedTuple):
    """The values of one completion that the rules need.

    A training.models.Completion instance has the same attributes, so either can be passed.
    """

    completed_on: datetime.date
    expires_on: datetime.date | None
    counts: bool = True
    id: int | None = None


class ExemptionFact(NamedTuple):
    """The dates of one exemption (a training.models.Exemption instance works the same way)."""

    starts_on: datetime.date
    ends_on: datetime.date | None = None
    id: int | None = None


class Obligation(NamedTuple):
    """Why and from when a person must do a module: the anchor date and the due date."""

    anchor_on: datetime.date
    due_on: datetime.date
    via: str  # "requirement" (of the person's job role) or "assignment" (to that person)


REQUIREMENT = "requirement"
ASSIGNMENT = "assignment"


class PairStatus(NamedTuple):
    """The status of one pair on one date and what it rests on.

    `completion` is the best counted completion on the date (whatever the status, so an expired
    pair shows what lapsed), `exemption` the exemption that covers the date.
    """

    status: Status
    due_on: datetime.date
    completion: Any = None
    exemption: Any = None

    @property
    def expires_on(self) -> datetime.date | None:
        return self.completion.expires_on if self.completion is not None else None

    @property
    def key_date(self) -> datetime.date | None:
        return key_date(self.status, due_on=self.due_on, completion=self.completion, exemption=self.exemption)


def key_date(status: Status, *, due_on, completion, exemption) -> datetime.date | None:
    """The date that matters for a pair: the due date while never completed, otherwise the expiry
    of the best completion (None: never expires), or for an exemption the day it ends (None:
    open-ended)."""
    if status is Status.EXEMPT:
        return exemption.ends_on
    if status.never_completed:
        return due_on
    return completion.expires_on


def anchor_date(
    *,
    start_date: datetime.date | None,
    role_since: datetime.date | None,
    requirement_starts_on: datetime.date | None,
) -> datetime.date | None:
    """The latest of the dates that make a requirement new to a person (None when all are empty).

    A late start, a change of role or a requirement that came into force later each moves the
    anchor forward, giving the person the full grace period from that day.
    """
    # Written out rather than max() over a list: this runs once per pair, 150,000 times a report.
    anchor = requirement_starts_on
    for day in (start_date, role_since):
        if day is not None and (anchor is None or day > anchor):
            anchor = day
    return anchor


def due_date(*, anchor: datetime.date, due_within_days: int) -> datetime.date:
    """The date by which a person new to a requirement must first complete it."""
    return anchor + _days(due_within_days)


@functools.cache
def _days(count: int) -> datetime.timedelta:
    # Building a timedelta costs more than the addition itself; a report makes 150,000 of them
    # from a handful of distinct values.
    return datetime.timedelta(days=count)


def requirement_obligation(
    *,
    start_date: datetime.date | None,
    role_since: datetime.date | None,
    requirement_starts_on: datetime.date,
    due_within_days: int,
) -> Obligation:
    anchor = anchor_date(
        start_date=start_date, role_since=role_since, requirement_starts_on=requirement_starts_on
    )
    return Obligation(anchor, due_date(anchor=anchor, due_within_days=due_within_days), REQUIREMENT)


def assignment_obligation(*, assigned_on: datetime.date, due_on: datetime.date) -> Obligation:
    """An assignment carries its own due date, set by whoever made it; its anchor is the day it began."""
    return Obligation(assigned_on, due_on, ASSIGNMENT)


def combined_obligation(*obligations: Obligation | None) -> Obligation | None:
    """When a module is both required of a person's role and assigned to them, the earlier due
    date applies (the stricter deadline wins; on a tie, the first given, the requirement)."""
    present = [obligation for obligation in obligations if obligation is not None]
    return min(present, key=lambda obligation: obligation.due_on, default=None)


def _best_key(completion):
    # Never-expiring beats any date; then the later expiry; on a tie the later completion (the
    # freshest evidence of how the pair was met), then the later record.
    expires_on = completion.expires_on
    return (
        expires_on is None,
        expires_on or datetime.date.min,
        completion.completed_on,
        completion.id or 0,
    )


def best_completion(completions: Iterable[Any], *, on: datetime.date | None = None) -> Any | None:
    """The counted completion with the latest expiry (never-expiring beats any date), or None.

    Only counted (verified) completions take part. With `on`, completions dated after `on` do not
    exist yet on that day, so a report for a past date sees only what was known then.
    """
    best = None
    for completion in completions:
        if not completion.counts or (on is not None and completion.completed_on > on):
            continue
        if best is None or _best_key(completion) > _best_key(best):
            best = completion
    return best


def exemption_covers(*, starts_on: datetime.date, ends_on: datetime.date | None, on: datetime.date) -> bool:
    """An exemption covers the days from its start to its end, both included (open-ended: for good)."""
    return starts_on <= on and (ends_on is None or on <= ends_on)


def exemption_ended(*, ends_on: datetime.date | None, on: datetime.date) -> bool:
    """An exemption has ended on `on` once its last day is behind (an open-ended one never ends)."""
    return ends_on is not None and ends_on < on


def exemption_covering(exemptions: Iterable[Any], on: datetime.date) -> Any | None:
    """An exemption that covers `on` (starts on or before it and has not ended before it), or None.

    Of several, the one that lasts longest (open-ended first), so a page can say "exempt until".
    """
    covering = [
        exemption
        for exemption in exemptions
        if exemption_covers(starts_on=exemption.starts_on, ends_on=exemption.ends_on, on=on)
    ]
    return max(
        covering,
        key=lambda exemption: (exemption.ends_on is None, exemption.ends_on or datetime.date.min),
        default=None,
    )


def pair_status(
    *,
    today: datetime.date,
    completions: Iterable[Any],
    renewal_window_days: int,
    due_on: datetime.date,
    exemptions: Iterable[Any] = (),
) -> PairStatus:
    """The status of one (person, module) pair on `today` (PRODUCT.md section 3).

    `completions` are every completion of the person for the module, counted or not and of any
    date; `due_on` is the due date of the person's obligation (see requirement_obligation and
    combined_obligation); `exemptions` are the person's exemptions for this module or for all
    modules. The caller decides that the pair is required at all (current staff, active module).
    """
    # The emptiness checks only skip work (most pairs have no exemption and one completion).
    exemption = exemption_covering(exemptions, today) if exemptions else None
    best = best_completion(completions, on=today) if completions else None
    if exemption is not None:
        return PairStatus(Status.EXEMPT, due_on, best, exemption)
    if best is None:
        status = Status.OVERDUE if today >= due_on else Status.DUE
        return PairStatus(status, due_on, None, None)
    return PairStatus(_completed_status(today, best.expires_on, renewal_window_days), due_on, best, None)


def _completed_status(today, expires_on, renewal_window_days):
    if expires_on is None:
        return Status.COMPLIANT
    if today >= expires_on:
        return Status.EXPIRED
    # Inside the window: expires_on - window <= today, i.e. at most `window` days to go.
    if (expires_on - today).days <= renewal_window_days:
        return Status.RENEWAL_DUE
    return Status.COMPLIANT


def status_changes_on(status: Status, *, key_date: datetime.date | None, renewal_window_days: int):
    """The first day on which a pair's status may differ by its own dates alone, or None when it
    stays as it is until something is written (overdue and expired wait for a completion; a
    never-expiring completion and an open-ended exemption last).

    Due turns overdue on the due date; compliant turns renewal due when the window opens (the
    expiry less the window) and renewal due turns expired on the expiry; an exemption stops
    covering the day after it ends. The maintained state (training.models.PairState) is rolled
    forward on these days; what starts later (a starter, a requirement, an assignment, an
    exemption) is found by its own date.
    """
    if key_date is None:
        return None
    if status is Status.EXEMPT:
        return key_date + _days(1)
    if status in (Status.DUE, Status.RENEWAL_DUE):
        return key_date
    if status is Status.COMPLIANT:
        return key_date - _days(renewal_window_days)
    return None
