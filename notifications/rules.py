"""The reminder rules of PRODUCT.md section 4 as pure functions of plain values.

Nothing here reads the clock or the database. The planner loads the facts (cycle dates from
the compliance engine's pairs, the module's policy...) and asks these functions which stages are
due on a date; the sender asks them whether an item still holds. The keys that make every item
unique are here too: pure functions of its parts.

Words used here:
- a **cycle** is the date a series of reminders hangs on: U, the due date of a never-completed
  requirement, or X, the expiry of the best current completion;
- a **stage** is one reminder of a cycle with its trigger date (for example "U-30", 30 days before U);
- a **series** is every stage of one cycle for one recipient: the staff member's own series on U
  (assigned, due soon, overdue) or on X (renewal open, renew soon, expired), the line manager's
  escalation, or one period of a digest or review;
- **catch-up**: when several stages of a series are due on a date and none has been planned yet
  (first run after go-live, after downtime, or when a suppression lifts), only the latest is sent;
  the earlier ones are recorded as skipped.
"""

import calendar
import datetime
import functools
import hashlib
import uuid
from dataclasses import dataclass
from typing import NamedTuple

from django.db import models

DAY = datetime.timedelta(days=1)


class Kind(models.TextChoices):
    """The kinds of the engine's own sources (notifications.sources): a consumer's source, such as
    the staff-list review of the imports or the action plan's reviews, declares its own."""

    ASSIGNED = "assigned", "New requirement"
    DUE_SOON = "due_soon", "Due soon"
    OVERDUE = "overdue", "Overdue"
    RENEWAL_OPEN = "renewal_open", "Renewal open"
    RENEWAL_SOON = "renewal_soon", "Renew soon"
    EXPIRED = "expired", "Expired"
    ESCALATION = "escalation", "Escalation to line manager"
    MANAGER_DIGEST = "manager_digest", "Weekly line-manager digest"
    AGENCY_DIGEST = "agency_digest", "Monthly agency digest"
    VERIFICATION_REVIEW = "verification_review", "Verification review"


# Kinds sent to the staff member about their own training, by the cycle they hang on.
DUE_KINDS = frozenset({Kind.ASSIGNED, Kind.DUE_SOON, Kind.OVERDUE})
EXPIRY_KINDS = frozenset({Kind.RENEWAL_OPEN, Kind.RENEWAL_SOON, Kind.EXPIRED})
STAFF_KINDS = DUE_KINDS | EXPIRY_KINDS

# The letter of a cycle in stage labels: "U-30" is 30 days before the due date.
DUE_CYCLE = "U"
EXPIRY_CYCLE = "X"

# Review reminders (PRODUCT.md section 4).
VERIFICATION_WAIT_DAYS = 3  # self-declared completions waiting "over 3 days"
# A digest missed because the planner did not run on its day (downtime) still goes on the next run
# within this many days of the period's start; a site that goes live later waits for the next period.
DIGEST_CATCH_UP_DAYS = 2
# The planner runs daily at 06:30 Europe/London (config/celery_app.py); the sweeper starts a run
# that did not happen by then.
PLANNER_TIME = datetime.time(6, 30)
# The weekly digest goes at 08:00 Europe/London; anything else goes as soon as it is planned.
MANAGER_DIGEST_SEND_TIME = datetime.time(8, 0)


# ---------------------------------------------------------------------------------------------
# Policy: the defaults of section 4, overridable per module
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    """When the reminders of one module go. The defaults are PRODUCT.md section 4.

    `renewal_window_days` is the module's own renewal window (it also decides the `renewal_due`
    status), so renewal opens on the same day the status changes.
    """

    due_soon_days: tuple[int, ...] = (30, 7)
    overdue_every_days: int = 14
    overdue_max: int = 6
    renewal_window_days: int = 60
    renewal_soon_days: tuple[int, ...] = (30, 7)
    expired_every_days: int = 14
    expired_max: int = 6
    escalation_after_days: int = 14


DEFAULT_POLICY = Policy()
MAX_REPEATS = 12
MAX_OFFSET_DAYS = 365


def parse_days(text: str) -> tuple[int, ...]:
    """'30, 7' -> (30, 7): whole numbers of days, largest first, no repeats.

    Raises ValueError with a message fit to show a lead.
    """
    parts = [part.strip() for part in (text or "").replace(";", ",").split(",") if part.strip()]
    days = []
    for part in parts:
        if not part.isdigit():
            raise ValueError(
                f"“{part}” is not a whole number of days. Write days separated by commas, e.g. 30, 7."
            )
        days.append(int(part))
    if len(set(days)) != len(days):
        raise ValueError("Each number of days may appear only once.")
    return tuple(sorted(days, reverse=True))


def format_days(days: tuple[int, ...]) -> str:
    return ", ".join(str(day) for day in days)


def shortest_validity_days(validity_months: int) -> int:
    """The fewest days `validity_months` calendar months can last (February makes it vary)."""
    from training.compliance import add_months  # pure, shared with the compliance rules

    starts = [datetime.date(2023, month, 1) for month in range(1, 13)]
    starts += [datetime.date(2024, month, 28) for month in range(1, 13)]
    return min((add_months(start, validity_months) - start).days for start in starts)


def policy_errors(policy: Policy, *, validity_months: int | None) -> dict[str, str]:
    """Problems with a policy for a module, by field name (empty: the policy is sound)."""
    errors = {}
    if any(day < 1 or day > MAX_OFFSET_DAYS for day in policy.due_soon_days):
        errors["due_soon_days"] = (
            f"Each reminder must be between 1 and {MAX_OFFSET_DAYS} days before the due date."
        )
    for name in ("overdue", "expired"):
        every = getattr(policy, f"{name}_every_days")
        most = getattr(policy, f"{name}_max")
        if not 1 <= every <= MAX_OFFSET_DAYS:
            errors[f"{name}_every_days"] = f"Repeat every 1 to {MAX_OFFSET_DAYS} days."
        if not 1 <= most <= MAX_REPEATS:
            errors[f"{name}_max"] = f"Send between 1 and {MAX_REPEATS} reminders."
    if not 0 <= policy.escalation_after_days <= MAX_OFFSET_DAYS:
        errors["escalation_after_days"] = f"Escalate between 0 and {MAX_OFFSET_DAYS} days after the date."
    window = policy.renewal_window_days
    if validity_months is not None:
        shortest = shortest_validity_days(validity_months)
        if window >= shortest:
            errors["renewal_window_days"] = (
                f"The renewal window ({window} days) cannot be as long as the validity "
                f"({validity_months} months, which can be as short as {shortest} days)."
            )
    late = [day for day in policy.renewal_soon_days if day < 1 or day >= window]
    if late and validity_months is not None:
        errors["renewal_soon_days"] = (
            f"“Renew soon” reminders must fall inside the renewal window: between 1 and "
            f"{max(window - 1, 1)} days before expiry (the window opens {window} days before)."
        )
    return errors


# ---------------------------------------------------------------------------------------------
# Stages of the staff member's own series and of the escalation
# ---------------------------------------------------------------------------------------------


class Stage(NamedTuple):
    """One reminder of a series. Sorted by trigger date, then by its place in the sequence (a
    NamedTuple: the planner makes hundreds of thousands on the first run after go-live)."""

    trigger: datetime.date
    order: int
    kind: str
    label: str


@functools.cache
def stage_label(letter: str, offset_days: int) -> str:
    return f"{letter}{offset_days:+d}"


# A policy's stages are the same offsets for every pair: worked out once per policy (the planner's
# first run after go-live makes two million stages), then moved to each pair's dates.


@functools.lru_cache(maxsize=1024)
def _due_offsets(policy: Policy):
    soon = tuple(
        (place, days * DAY, stage_label(DUE_CYCLE, -days))
        for place, days in enumerate(sorted(policy.due_soon_days, reverse=True), start=1)
    )
    overdue = tuple(
        (
            100 + repeat,
            repeat * policy.overdue_every_days * DAY,
            stage_label(DUE_CYCLE, repeat * policy.overdue_every_days),
        )
        for repeat in range(policy.overdue_max)
    )
    return soon, overdue


@functools.lru_cache(maxsize=1024)
def _expiry_offsets(policy: Policy):
    window = policy.renewal_window_days
    stages = []
    if window > 0:
        stages.append((-window * DAY, 0, Kind.RENEWAL_OPEN, stage_label(EXPIRY_CYCLE, -window)))
    for place, days in enumerate(sorted(policy.renewal_soon_days, reverse=True), start=1):
        if 0 < days < window:
            stages.append((-days * DAY, place, Kind.RENEWAL_SOON, stage_label(EXPIRY_CYCLE, -days)))
    for repeat in range(policy.expired_max):
        offset = repeat * policy.expired_every_days
        stages.append((offset * DAY, 100 + repeat, Kind.EXPIRED, stage_label(EXPIRY_CYCLE, offset)))
    return tuple(stages)


def due_stages(
    *,
    anchor: datetime.date,
    due_on: datetime.date,
    policy: Policy = DEFAULT_POLICY,
    until: datetime.date = datetime.date.max,
) -> list[Stage]:
    """The staff member's series on U (never completed): assigned, due soon, overdue.

    `assigned` fires on the anchor date when U is still ahead. "Due soon" stages that would fall on
    or before the anchor are left out (the person was not yet required to do the module, and the
    assignment email already gives the due date). `until`: only the stages triggering on or
    before it (the planner needs no later ones).
    """
    soon, overdue = _due_offsets(policy)
    stages = [Stage(anchor, 0, Kind.ASSIGNED, "start")] if anchor < due_on and anchor <= until else []
    for place, before, label in soon:
        trigger = due_on - before
        if anchor < trigger <= until:
            stages.append(Stage(trigger, place, Kind.DUE_SOON, label))
    for order, after, label in overdue:
        trigger = due_on + after
        if trigger <= until:
            stages.append(Stage(trigger, order, Kind.OVERDUE, label))
    return sorted(stages)


def expiry_stages(
    *, expires_on: datetime.date, policy: Policy = DEFAULT_POLICY, until: datetime.date = datetime.date.max
) -> list[Stage]:
    """The staff member's series on X (the best completion's expiry): renewal open, renew soon,
    expired. `until` as for `due_stages`."""
    stages = []
    for offset, order, kind, label in _expiry_offsets(policy):
        trigger = expires_on + offset
        if trigger <= until:
            stages.append(Stage(trigger, order, kind, label))
    return sorted(stages)


def escalation_stages(
    *, letter: str, cycle_date: datetime.date, policy: Policy = DEFAULT_POLICY
) -> list[Stage]:
    """The line manager's series: one escalation per cycle, U + 14 or X + 14 by default."""
    delay = policy.escalation_after_days
    return [Stage(cycle_date + delay * DAY, 0, Kind.ESCALATION, stage_label(letter, delay))]


@dataclass(frozen=True)
class CatchUp:
    """The stages of a series due on a date: `latest` is the one to send, `earlier` are recorded
    as skipped when the series has not been planned yet."""

    latest: Stage | None
    earlier: tuple[Stage, ...] = ()


def catch_up(stages: list[Stage], today: datetime.date) -> CatchUp:
    """Stages are sorted; those triggering on or before `today` are due, and only the latest is sent."""
    due = [stage for stage in stages if stage.trigger <= today]
    if not due:
        return CatchUp(None)
    return CatchUp(due[-1], tuple(due[:-1]))


def next_stage(stages: list[Stage], today: datetime.date) -> Stage | None:
    """The first stage still to come after `today`."""
    return next((stage for stage in stages if stage.trigger > today), None)


# ---------------------------------------------------------------------------------------------
# Digests and review reminders
# ---------------------------------------------------------------------------------------------


def week_start(day: datetime.date) -> datetime.date:
    return day - day.weekday() * DAY


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def digest_due(
    *, period_start: datetime.date, today: datetime.date, last_run: datetime.date | None = None
) -> bool:
    """A digest goes on the first day of its period (Monday, the 1st). When the planner did not run
    on that day (`last_run`, its last run before today, is before the period), the first run within
    DIGEST_CATCH_UP_DAYS catches it up."""
    if today == period_start:
        return True
    missed = last_run is None or last_run < period_start
    return missed and period_start < today <= period_start + DIGEST_CATCH_UP_DAYS * DAY


def verification_review_due(
    *,
    oldest_waiting_since: datetime.date | None,
    today: datetime.date,
    wait_days: int = VERIFICATION_WAIT_DAYS,
) -> bool:
    """Leads are reminded every day while a self-declared completion has waited over 3 days."""
    return oldest_waiting_since is not None and (today - oldest_waiting_since).days > wait_days


def verification_overdue_since(
    today: datetime.date, wait_days: int = VERIFICATION_WAIT_DAYS
) -> datetime.date:
    """Declarations made before this date have waited over `wait_days` days on `today`."""
    return today - wait_days * DAY


# ---------------------------------------------------------------------------------------------
# Re-check before sending
# ---------------------------------------------------------------------------------------------


def long_date(day: datetime.date) -> str:
    """UK long date: 4 March 2026."""
    return f"{day.day} {calendar.month_name[day.month]} {day.year}"


def cycle_of(kind: str, stage: str) -> str | None:
    """The cycle letter an item hangs on: U for the due date, X for the expiry (None: a digest)."""
    if kind in DUE_KINDS:
        return DUE_CYCLE
    if kind in EXPIRY_KINDS:
        return EXPIRY_CYCLE
    if kind == Kind.ESCALATION:
        return stage[:1]
    return None


def recheck_reason(
    *,
    cycle: str,
    cycle_date: datetime.date,
    status: str,
    due_on: datetime.date,
    completed_on: datetime.date | None,
    expires_on: datetime.date | None,
    exemption_ends_on: datetime.date | None = None,
) -> str | None:
    """Why a staff or escalation item no longer holds, or None when it still does.

    The caller has found the pair (current staff, active module, still required, active agency)
    and passes its status and dates as the compliance rules give them on the day of sending.
    """
    if status == "exempt":
        return f"exempt until {long_date(exemption_ends_on)}" if exemption_ends_on else "exempt"
    if cycle == DUE_CYCLE:
        if completed_on is not None:
            return f"completed on {long_date(completed_on)}"
        if due_on != cycle_date:
            return f"the due date changed to {long_date(due_on)}"
        return None
    # On the expiry cycle a newer completion moves the expiry, which ends the old series.
    if completed_on is None:
        return "the completion no longer counts"
    if expires_on != cycle_date:
        return f"completed on {long_date(completed_on)}"
    return None


def suppression_reason(
    *,
    today: datetime.date,
    staff_start_date: datetime.date | None,
    staff_left_on: datetime.date | None,
    agency_active: bool,
    module_active: bool,
    module_code: str,
) -> str:
    """Why a person and module no longer have a pair on `today` (the caller found none)."""
    if staff_left_on is not None and staff_left_on <= today:
        return f"left on {long_date(staff_left_on)}"
    if staff_start_date is not None and staff_start_date > today:
        return f"starts on {long_date(staff_start_date)}"
    if not agency_active:
        return "the agency is inactive"
    if not module_active:
        return f"{module_code} has been retired"
    return f"{module_code} is no longer required of them"


def retry_delay(*, attempt: int, base_seconds: float, max_seconds: float, jitter: float) -> float:
    """Exponential backoff with "equal jitter": half the delay is fixed, half random.

    attempt 1 waits base..base/2, attempt 2 twice that, capped at max_seconds. `jitter` is a random
    number in [0, 1) supplied by the caller (so this stays pure and testable).
    """
    delay = min(max_seconds, base_seconds * 2 ** max(attempt - 1, 0))
    return delay / 2 + delay / 2 * jitter


# ---------------------------------------------------------------------------------------------
# Keys: what makes a reminder item unique
# ---------------------------------------------------------------------------------------------


def series_key(
    *, kind: str, recipient: str, staff_id=None, module_id=None, agency_id=None, cycle_date
) -> str:
    """Every stage of one cycle for one recipient. The staff member's own series spans the kinds of
    its cycle (assigned, due soon, overdue on U; renewal open, renew soon, expired on X)."""
    if kind in DUE_KINDS:
        track = "due"
    elif kind in EXPIRY_KINDS:
        track = "expiry"
    else:
        track = kind
    cycle = cycle_date.isoformat()
    return f"{track}|{recipient}|{staff_id or '-'}|{module_id or '-'}|{agency_id or '-'}|{cycle}"


KEY_NAMESPACE = uuid.UUID("6f1d3c52-52a5-4f0c-9a57-2d8f1e0c4b7e")
_KEY_NAMESPACE_BYTES = KEY_NAMESPACE.bytes


def item_key(*, kind: str, series: str, stage: str) -> str:
    """The deterministic key of section 4: kind, recipient, person, module, cycle date and stage
    (the recipient, person, module, agency and cycle date are in the series), as the hex of a
    name-based UUID (uuid5) of those parts. The parts themselves are columns of the row; the key
    is compact because the first run after go-live makes, writes and indexes hundreds of
    thousands of them (hence uuid5 by hand: the uuid module's objects cost more than the hash)."""
    name = f"{kind}|{series}|{stage}".encode()
    digest = bytearray(hashlib.sha1(_KEY_NAMESPACE_BYTES + name).digest()[:16])  # noqa: S324 - uuid5 is SHA-1
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    return digest.hex()


# ---------------------------------------------------------------------------------------------
# A compliance pair's reminders
# ---------------------------------------------------------------------------------------------

POLICY_NUMBERS = (
    "overdue_every_days",
    "overdue_max",
    "expired_every_days",
    "expired_max",
    "escalation_after_days",
)


def policy_for(override, *, renewal_window_days: int) -> Policy:
    """A module's policy: the values of its override (a ReminderPolicy, or anything with the same
    attributes; None: none) where set, the partnership defaults elsewhere."""
    values = {"renewal_window_days": renewal_window_days}
    if override is not None:
        if override.due_soon_days.strip():
            values["due_soon_days"] = parse_days(override.due_soon_days)
        if override.renewal_soon_days.strip():
            values["renewal_soon_days"] = parse_days(override.renewal_soon_days)
        for name in POLICY_NUMBERS:
            value = getattr(override, name)
            if value is not None:
                values[name] = value
    return Policy(**{**DEFAULT_POLICY.__dict__, **values})


def pair_stages(
    pair, policy: Policy, *, until: datetime.date = datetime.date.max
) -> tuple[str, datetime.date, list[Stage]] | None:
    """The cycle (letter, date) and the staff member's stages for one compliance pair (anything
    with the status, completion, due and anchor dates of the engine's pairs), or None when the
    pair asks nothing (exempt, or a completion that never expires). `until`: only the stages
    triggering on or before it."""
    if pair.status == "exempt":
        return None
    if pair.completion is None:
        stages = due_stages(anchor=pair.anchor_on, due_on=pair.due_on, policy=policy, until=until)
        return DUE_CYCLE, pair.due_on, stages
    if pair.expires_on is None:
        return None
    return (
        EXPIRY_CYCLE,
        pair.expires_on,
        expiry_stages(expires_on=pair.expires_on, policy=policy, until=until),
    )


# The statuses whose pairs may ask for a reminder or a manager's attention: a compliant pair is
# "nothing due yet" (its renewal window, the policy's, has not opened: it would be renewal due),
# an exempt pair has no stages. The planner reads only these from the maintained state.
REMINDING_STATUSES = ("due", "overdue", "expired", "renewal_due")


def nothing_due_yet(pair, policy: Policy, day: datetime.date) -> bool:
    """Most pairs are completed and far from expiry: no stage of theirs (renewal opens first) is
    due, and working out their stages would be most of the planner's work."""
    expires_on = pair.expires_on
    if pair.completion is None or expires_on is None:
        return False
    return day < expires_on - max(policy.renewal_window_days, 0) * DAY


ATTENTION_DAYS = 30


def needs_attention(pair, today: datetime.date) -> bool:
    """Whether a pair belongs in a line manager's weekly digest: lapsed, never done and late, in
    its renewal window, or due within 30 days."""
    if pair.status in ("overdue", "expired", "renewal_due"):
        return True
    return pair.status == "due" and (pair.due_on - today).days <= ATTENTION_DAYS
