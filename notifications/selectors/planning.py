"""The planner's read: what the planner run for a day would write (nothing is written here).

Every registered reminder source (notifications.sources) gives its series for the day from one
shared PlanningDay, which reads the compliance engine's pairs, the staff's addresses and the
module policies at most once per run whoever asks. The outbox is then asked once which of the
computed keys already exist, so the read touches the database a fixed number of times whatever
the number of people.
"""

import datetime
import uuid
from dataclasses import dataclass, field
from functools import cached_property

from django.db import connection
from django.db.models import Max
from django.utils import timezone

from training.models import Module
from training.selectors.engine import compliance_pairs, current_staff, reminder_pairs
from training.selectors.state import maintained
from workforce.database import gc_paused

from .. import rules, sources
from ..models import ItemStatus, PlannerRun, ReminderItem, ReminderPolicy
from ..rules import Policy

# SQLite caps the number of parameters in one statement; PostgreSQL takes one array parameter.
SQLITE_CHUNK = 5000
SUPERSEDED = "superseded by a later reminder of the same series"


def module_policies() -> dict[int, Policy]:
    """Every module's reminder policy, by module id (one query)."""
    policies = {}
    for module in Module.objects.select_related("reminder_policy").order_by():
        try:
            override = module.reminder_policy
        except ReminderPolicy.DoesNotExist:
            override = None
        policies[module.id] = rules.policy_for(override, renewal_window_days=module.renewal_window_days)
    return policies


def policy_of(policies, module_ref) -> Policy:
    """A module's policy from `policies`, or the defaults for a module read since."""
    policy = policies.get(module_ref.id)
    if policy is None:
        policy = rules.policy_for(None, renewal_window_days=module_ref.renewal_window_days)
    return policy


@dataclass(frozen=True, slots=True)
class Contact:
    email: str
    line_manager_email: str


def staff_contacts(*, on: datetime.date) -> dict[int, Contact]:
    """Email and line manager of every current member of staff, by id (one query)."""
    rows = current_staff(on=on).values_list("id", "email", "line_manager_email")
    return {
        staff_id: Contact(email.lower(), manager.lower()) for staff_id, email, manager in rows.iterator(5000)
    }


def last_planner_run(before: datetime.date) -> datetime.date | None:
    """The day of the last finished planner run before `before` (digests catch up missed runs)."""
    return PlannerRun.objects.filter(day__lt=before, finished_at__isnull=False).aggregate(last=Max("day"))[
        "last"
    ]


class PlanningDay:
    """What the sources of one planner run share, each read once, when first asked for."""

    def __init__(self, day: datetime.date):
        self.day = day

    @cached_property
    def pairs(self):
        """The pairs the sources plan from. From the maintained state when it is on the planner's
        day (the nightly roll runs before the planner): only the pairs that may ask for a reminder,
        which is all the sources read (a compliant pair is "nothing due yet", an exempt one has no
        stages, and neither needs a manager's attention). Otherwise every pair from the engine."""
        if maintained(self.day):
            return reminder_pairs(on=self.day, statuses=rules.REMINDING_STATUSES)
        return compliance_pairs(on=self.day)

    @cached_property
    def contacts(self) -> dict[int, Contact]:
        return staff_contacts(on=self.day)

    @cached_property
    def policies(self) -> dict[int, Policy]:
        return module_policies()


@dataclass
class Plan:
    """What the planner writes for `day`: new pending items (one per series at most), earlier
    stages recorded as skipped, and older pending items of those series that a later stage
    supersedes."""

    day: datetime.date
    items: list[sources.PlannedItem] = field(default_factory=list)
    superseded_ids: list[int] = field(default_factory=list)

    @property
    def pending(self) -> list[sources.PlannedItem]:
        return [item for item in self.items if item.status == ItemStatus.PENDING]

    @property
    def skipped(self) -> list[sources.PlannedItem]:
        return [item for item in self.items if item.status == ItemStatus.SKIPPED]

    def planned_by_kind(self) -> dict[str, int]:
        # Every kind the planner plans (a kind written on request is never planned).
        counts = {
            kind.value: 0
            for source in sources.all_sources()
            if not source.on_request
            for kind in source.kinds
        }
        for item in self.pending:
            counts[item.kind] = counts.get(item.kind, 0) + 1
        return counts


def reminder_plan(*, day: datetime.date, only=None) -> Plan:
    """What the planner run for `day` would write (a read: nothing is written here), with Python's
    cycle collector paused (workforce.database.gc_paused)."""
    with gc_paused():
        return _reminder_plan(day=day, only=only)


def _reminder_plan(*, day: datetime.date, only=None) -> Plan:
    """What the planner run for `day` would write (a read: nothing is written here).

    Catch-up: each series contributes its latest stage due on `day`, unless that stage is already
    in the outbox. For a series with a new latest stage, its earlier due stages not yet in the
    outbox are recorded as skipped, and its older items still pending are superseded (a person
    should not get "due in 7 days" and "overdue" together).
    """
    planning = PlanningDay(day)
    chosen = sources.all_sources() if only is None else list(only)
    found = [each for source in chosen for each in source.series(planning) if each is not None]

    by_latest_key = {}
    for series in found:
        latest = series.item(series.catch.latest)
        by_latest_key[latest.key] = (series, latest)
    existing = {_hex(row[0]) for row in _rows_matching("key", list(by_latest_key), ("key",))}
    fresh = [(series, latest) for key, (series, latest) in by_latest_key.items() if key not in existing]

    # Earlier stages of the series with a new latest stage: recorded as skipped unless already in
    # the outbox; those still pending there are superseded.
    earlier = {}
    for series, latest in fresh:
        reason = f"not sent: a later reminder ({latest.stage}, {rules.long_date(latest.stage_date)}) was due"
        for stage in series.catch.earlier:
            item = series.item(stage, status=ItemStatus.SKIPPED, reason=reason)
            earlier[item.key] = item
    known = {
        _hex(key): (item_id, status)
        for item_id, key, status in _rows_matching("key", list(earlier), ("id", "key", "status"))
    }

    plan = Plan(day=day)
    plan.items = [latest for _, latest in fresh]
    plan.items += [item for key, item in earlier.items() if key not in known]
    plan.superseded_ids = [item_id for item_id, status in known.values() if status == ItemStatus.PENDING]
    return plan


def tomorrow_preview(*, today: datetime.date | None = None) -> Plan:
    """The batch the planner would make tomorrow if nothing changed before then (for the outbox
    page's preview). Items still waiting today are not included."""
    today = today or timezone.localdate()
    return reminder_plan(day=today + rules.DAY)


def _hex(key) -> str:
    """A key read back from the database (a UUID) in rules.item_key's form."""
    return key.hex if isinstance(key, uuid.UUID) else str(key).replace("-", "")


def _chunks(values, size):
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _rows_matching(column: str, values, fields: tuple[str, ...]):
    """Outbox rows whose `column` is one of `values`: one query on PostgreSQL (an array
    parameter, however many values), chunks of SQLITE_CHUNK elsewhere."""
    values = list(values)
    if not values:
        return []
    if connection.vendor == "postgresql":
        # One text parameter split by the server: adapting a Python list of 100,000 strings into
        # an array parameter costs more than the query itself. Keys never contain a newline.
        table = ReminderItem._meta.db_table
        columns = ", ".join(connection.ops.quote_name(name) for name in fields)
        cast = "::uuid[]" if column == "key" else ""
        where = f"{connection.ops.quote_name(column)} = ANY(string_to_array(%s, E'\\n'){cast})"
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {columns} FROM {table} WHERE {where}", ["\n".join(map(str, values))])  # noqa: S608
            return cursor.fetchall()
    rows = []
    for chunk in _chunks(values, SQLITE_CHUNK):
        rows += ReminderItem.objects.filter(**{f"{column}__in": chunk}).values_list(*fields)
    return rows
