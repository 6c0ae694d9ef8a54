"""Reads of the reminder engine: what the planner would plan on a date, what a message still holds,
what a digest says, and the outbox as the lead-facing pages see it.

The planner's read (`reminder_plan`) touches the database a fixed number of times whatever the
number of people: the compliance pairs come from training.selectors.compliance_pairs (nine
queries), the stage arithmetic is the pure functions of notifications.rules, and the outbox is
asked once which of the computed keys already exist.
"""

import datetime
import hashlib
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count, Max, Min, Q
from django.utils import timezone

from imports.models import ImportRecord  # noqa: I001 - the staff-list review moves to imports
from training import compliance
from training.compliance import Status
from training.models import (
    Assignment,
    Completion,
    CompletionSource,
    Exemption,
    Module,
    Requirement,
    Verification,
)
from training.selectors.engine import compliance_pairs, compliance_summary, current_staff
from workforce.access import LEAD_GROUP
from workforce.models import Agency, StaffMember

from . import rules
from .models import (
    DigestOptOut,
    ItemStatus,
    PlannerRun,
    ReminderItem,
    ReminderMessage,
    ReminderPolicy,
)
from .rules import DEFAULT_POLICY, Kind, Policy

# SQLite caps the number of parameters in one statement; PostgreSQL takes one array parameter.
SQLITE_CHUNK = 5000


# ---------------------------------------------------------------------------------------------
# Policies
# ---------------------------------------------------------------------------------------------


def policy_for(override: ReminderPolicy | None, *, renewal_window_days: int) -> Policy:
    """A module's policy: its overrides where set, the partnership defaults elsewhere."""
    values = {"renewal_window_days": renewal_window_days}
    if override is not None:
        if override.due_soon_days.strip():
            values["due_soon_days"] = rules.parse_days(override.due_soon_days)
        if override.renewal_soon_days.strip():
            values["renewal_soon_days"] = rules.parse_days(override.renewal_soon_days)
        for name in (
            "overdue_every_days",
            "overdue_max",
            "expired_every_days",
            "expired_max",
            "escalation_after_days",
        ):
            value = getattr(override, name)
            if value is not None:
                values[name] = value
    return Policy(**{**DEFAULT_POLICY.__dict__, **values})


def module_policies() -> dict[int, Policy]:
    """Every module's policy, by module id (one query)."""
    policies = {}
    for module in Module.objects.select_related("reminder_policy").order_by():
        try:
            override = module.reminder_policy
        except ReminderPolicy.DoesNotExist:
            override = None
        policies[module.id] = policy_for(override, renewal_window_days=module.renewal_window_days)
    return policies


# ---------------------------------------------------------------------------------------------
# Keys
# ---------------------------------------------------------------------------------------------


def series_key(
    *, kind: str, recipient: str, staff_id=None, module_id=None, agency_id=None, cycle_date
) -> str:
    """Every stage of one cycle for one recipient. The staff member's own series spans the kinds of
    its cycle (assigned, due soon, overdue on U; renewal open, renew soon, expired on X)."""
    if kind in rules.DUE_KINDS:
        track = "due"
    elif kind in rules.EXPIRY_KINDS:
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


def _hex(key) -> str:
    """A key read back from the database (a UUID) in item_key's form."""
    return key.hex if isinstance(key, uuid.UUID) else str(key).replace("-", "")


# ---------------------------------------------------------------------------------------------
# The planner's read
# ---------------------------------------------------------------------------------------------


class PlannedItem(NamedTuple):
    """One outbox row to write (a NamedTuple: cheap to make by the hundred thousand)."""

    key: str  # selectors.item_key
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


@dataclass
class Plan:
    """What the planner writes for `day`: new pending items (one per series at most), earlier
    stages recorded as skipped, and older pending items of those series that a later stage
    supersedes."""

    day: datetime.date
    items: list[PlannedItem] = field(default_factory=list)
    superseded_ids: list[int] = field(default_factory=list)

    @property
    def pending(self) -> list[PlannedItem]:
        return [item for item in self.items if item.status == ItemStatus.PENDING]

    @property
    def skipped(self) -> list[PlannedItem]:
        return [item for item in self.items if item.status == ItemStatus.SKIPPED]

    def planned_by_kind(self) -> dict[str, int]:
        counts = {kind.value: 0 for kind in Kind}
        for item in self.pending:
            counts[item.kind] += 1
        return counts


@dataclass(slots=True)
class _Series:
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
            key=item_key(kind=stage.kind, series=self.series, stage=stage.label),
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


def _series(*, kind, recipient, stages, today, staff_id=None, module_id=None, agency_id=None, cycle_date):
    catch = rules.catch_up(stages, today)
    if catch.latest is None:
        return None
    series = series_key(
        kind=kind,
        recipient=recipient,
        staff_id=staff_id,
        module_id=module_id,
        agency_id=agency_id,
        cycle_date=cycle_date,
    )
    return _Series(series, kind, recipient, staff_id, module_id, agency_id, cycle_date, catch)


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


def pair_stages(pair, policy: Policy) -> tuple[str, datetime.date, list[rules.Stage]] | None:
    """The cycle (letter, date) and the staff member's stages for one compliance pair, or None
    when the pair asks nothing (exempt, or a completion that never expires)."""
    if pair.status is Status.EXEMPT:
        return None
    if pair.completion is None:
        return (
            rules.DUE_CYCLE,
            pair.due_on,
            rules.due_stages(anchor=pair.anchor_on, due_on=pair.due_on, policy=policy),
        )
    if pair.expires_on is None:
        return None
    return rules.EXPIRY_CYCLE, pair.expires_on, rules.expiry_stages(expires_on=pair.expires_on, policy=policy)


def _policy_of(policies, module_ref):
    policy = policies.get(module_ref.id)
    if policy is None:
        policy = policy_for(None, renewal_window_days=module_ref.renewal_window_days)
    return policy


def _pair_series(*, pairs, contacts, policies, day):
    """Staff series and escalation series of every pair, as of `day`."""
    for pair in pairs:
        policy = _policy_of(policies, pair.module)
        if _nothing_due_yet(pair, policy, day):
            continue
        cycle = pair_stages(pair, policy)
        if cycle is None:
            continue
        letter, cycle_date, stages = cycle
        contact = contacts.get(pair.staff_id)
        if contact is None:
            continue
        common = {"staff_id": pair.staff_id, "module_id": pair.module.id, "agency_id": pair.agency.id}
        if contact.email:
            kind = Kind.OVERDUE if letter == rules.DUE_CYCLE else Kind.EXPIRED
            found = _series(
                kind=kind, recipient=contact.email, stages=stages, today=day, cycle_date=cycle_date, **common
            )
            if found:
                yield found
        if contact.line_manager_email:
            escalation = rules.escalation_stages(letter=letter, cycle_date=cycle_date, policy=policy)
            found = _series(
                kind=Kind.ESCALATION,
                recipient=contact.line_manager_email,
                stages=escalation,
                today=day,
                cycle_date=cycle_date,
                **common,
            )
            if found:
                yield found


def _nothing_due_yet(pair, policy: Policy, day: datetime.date) -> bool:
    """Most pairs are completed and far from expiry: no stage of theirs (renewal opens first) is
    due, and working out their stages would be most of the planner's work."""
    expires_on = pair.expires_on
    if pair.completion is None or expires_on is None:
        return False
    return day < expires_on - max(policy.renewal_window_days, 0) * rules.DAY


def needs_attention(pair, today: datetime.date) -> bool:
    """Whether a pair belongs in a line manager's weekly digest: lapsed, never done and late, in
    its renewal window, or due within 30 days."""
    if pair.status in (Status.OVERDUE, Status.EXPIRED, Status.RENEWAL_DUE):
        return True
    return pair.status is Status.DUE and (pair.due_on - today).days <= 30


def last_planner_run(before: datetime.date) -> datetime.date | None:
    """The day of the last finished planner run before `before` (digests catch up missed runs)."""
    return PlannerRun.objects.filter(day__lt=before, finished_at__isnull=False).aggregate(last=Max("day"))[
        "last"
    ]


def _digest_series(*, pairs, contacts, day):
    week, month = rules.week_start(day), rules.month_start(day)
    in_catch_up = day not in (week, month) and (
        rules.digest_due(period_start=week, today=day, last_run=None)
        or rules.digest_due(period_start=month, today=day, last_run=None)
    )
    # Only a day that might catch up a missed digest needs to know when the planner last ran.
    last_run = last_planner_run(day) if in_catch_up else day
    weekly = rules.digest_due(period_start=week, today=day, last_run=last_run)
    monthly = rules.digest_due(period_start=month, today=day, last_run=last_run)
    if not (weekly or monthly):
        return
    opted_out = digest_opt_outs()
    if weekly:
        managers = set()
        for pair in pairs:
            contact = contacts.get(pair.staff_id)
            if contact and contact.line_manager_email and needs_attention(pair, day):
                managers.add(contact.line_manager_email)
        for manager in sorted(managers):
            if (manager, Kind.MANAGER_DIGEST) in opted_out:
                continue
            stage = rules.Stage(week, 0, Kind.MANAGER_DIGEST, "weekly")
            yield _series(
                kind=Kind.MANAGER_DIGEST, recipient=manager, stages=[stage], today=day, cycle_date=week
            )
    if monthly:
        for agency_id, email in (
            Agency.objects.filter(active=True)
            .exclude(training_lead_email="")
            .values_list("id", "training_lead_email")
        ):
            email = email.lower()
            if (email, Kind.AGENCY_DIGEST) in opted_out:
                continue
            stage = rules.Stage(month, 0, Kind.AGENCY_DIGEST, "monthly")
            yield _series(
                kind=Kind.AGENCY_DIGEST,
                recipient=email,
                stages=[stage],
                today=day,
                agency_id=agency_id,
                cycle_date=month,
            )


def last_staff_list_uploads() -> dict[int, datetime.date]:
    """The day of each agency's last applied staff-list upload, by agency id (one query). An agency
    with none yet counts from the day it was created (see `_agency_review_dates`)."""
    rows = (
        ImportRecord.objects.filter(kind=ImportRecord.Kind.STAFF, status=ImportRecord.Status.COMMITTED)
        .order_by()
        .values("agency_id")
        .annotate(last=Max("created_at"))
    )
    return {row["agency_id"]: timezone.localdate(row["last"]) for row in rows if row["last"] is not None}


def _agency_review_dates():
    uploads = last_staff_list_uploads()
    rows = Agency.objects.filter(active=True).exclude(hr_contact_email="")
    for agency_id, email, created_at in rows.values_list("id", "hr_contact_email", "created_at"):
        yield agency_id, email.lower(), uploads.get(agency_id) or timezone.localdate(created_at)


def _review_series(*, day):
    for agency_id, email, last_upload in _agency_review_dates():
        stages = rules.staff_list_review_stages(last_upload=last_upload, today=day)
        found = _series(
            kind=Kind.STAFF_LIST_REVIEW,
            recipient=email,
            stages=stages,
            today=day,
            agency_id=agency_id,
            cycle_date=last_upload,
        )
        if found:
            yield found
    oldest = oldest_waiting_declaration()
    if rules.verification_review_due(oldest_waiting_since=oldest, today=day):
        for email in lead_emails():
            stage = rules.Stage(day, 0, Kind.VERIFICATION_REVIEW, "daily")
            yield _series(
                kind=Kind.VERIFICATION_REVIEW, recipient=email, stages=[stage], today=day, cycle_date=day
            )


def waiting_declarations():
    """Self-declared completions waiting for a lead's verification, oldest first."""
    return Completion.objects.filter(
        source=CompletionSource.SELF_DECLARED, verification=Verification.PENDING
    ).order_by("recorded_at")


def oldest_waiting_declaration() -> datetime.date | None:
    oldest = waiting_declarations().aggregate(oldest=Min("recorded_at"))["oldest"]
    return timezone.localdate(oldest) if oldest is not None else None


def lead_emails() -> list[str]:
    """Addresses of active partnership leads (superusers count as leads)."""
    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    users = users.filter(Q(is_superuser=True) | Q(groups__name=LEAD_GROUP))
    return sorted({email.lower() for email in users.values_list("email", flat=True)})


def digest_opt_outs() -> set[tuple[str, str]]:
    return set(DigestOptOut.objects.values_list("email", "kind"))


def _chunks(values, size):
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _rows_matching(column: str, values: Iterable[str], fields: tuple[str, ...]):
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


def reminder_plan(*, day: datetime.date) -> Plan:
    """What the planner run for `day` would write (a read: nothing is written here).

    Catch-up: each series contributes its latest stage due on `day`, unless that stage is already
    in the outbox. For a series with a new latest stage, its earlier due stages not yet in the
    outbox are recorded as skipped, and its older items still pending are superseded (a person
    should not get "due in 7 days" and "overdue" together).
    """
    pairs = compliance_pairs(on=day)
    contacts = staff_contacts(on=day)
    policies = module_policies()
    found = list(_pair_series(pairs=pairs, contacts=contacts, policies=policies, day=day))
    found += _digest_series(pairs=pairs, contacts=contacts, day=day)
    found += _review_series(day=day)
    found += _action_plan_series(day=day)

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


# ---------------------------------------------------------------------------------------------
# What a message still holds when it is sent
# ---------------------------------------------------------------------------------------------


def _pair_fact_rows(*, staff_ids, job_role_ids, module_ids, today):
    """Requirements in force, assignments begun, counted completions and covering exemptions of a
    few people and modules, in one round trip: (source, person or role, module, date, date, number).

    The sender runs this for every message, so it is one UNION query rather than four ORM
    queries (the same filters as training.selectors.compliance_pairs uses).
    """
    tables = {
        "requirement": Requirement._meta.db_table,
        "assignment": Assignment._meta.db_table,
        "completion": Completion._meta.db_table,
        "exemption": Exemption._meta.db_table,
    }

    def among(values):
        return "(" + ", ".join(["%s"] * len(values)) + ")", list(values)

    staff_in, staff_params = among(staff_ids)
    roles_in, role_params = among(job_role_ids)
    modules_in, module_params = among(module_ids)
    sql = f"""
        SELECT 'r', job_role_id, module_id, starts_on, CAST(NULL AS DATE), due_within_days
          FROM {tables["requirement"]}
         WHERE job_role_id IN {roles_in} AND module_id IN {modules_in} AND starts_on <= %s
        UNION ALL
        SELECT 'a', staff_id, module_id, assigned_on, due_on, id
          FROM {tables["assignment"]}
         WHERE staff_id IN {staff_in} AND module_id IN {modules_in} AND assigned_on <= %s
        UNION ALL
        SELECT 'c', staff_id, module_id, completed_on, expires_on, id
          FROM {tables["completion"]}
         WHERE staff_id IN {staff_in} AND module_id IN {modules_in} AND verification = %s
           AND completed_on <= %s
        UNION ALL
        SELECT 'e', staff_id, module_id, starts_on, ends_on, id
          FROM {tables["exemption"]}
         WHERE staff_id IN {staff_in} AND starts_on <= %s AND (ends_on IS NULL OR ends_on >= %s)
           AND (module_id IS NULL OR module_id IN {modules_in})
    """  # noqa: S608 - table names are ours; every value is a parameter
    today = connection.ops.adapt_datefield_value(today)
    params = [*role_params, *module_params, today]
    params += [*staff_params, *module_params, today]
    params += [*staff_params, *module_params, Verification.VERIFIED.value, today]
    params += [*staff_params, today, today, *module_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    # SQLite returns dates as text from raw SQL.
    return [
        (source, owner, module, _date(first), _date(second), number)
        for source, owner, module, first, second, number in rows
    ]


def _date(value):
    return datetime.date.fromisoformat(value) if isinstance(value, str) else value


def pair_statuses(items, *, today: datetime.date) -> dict[tuple[int, int], object]:
    """The status on `today` of the (person, module) pairs that a message's items are about, by
    (staff id, module id); a pair that no longer exists is missing. One query whatever
    the items: the rules are training.compliance's pure functions, and which pairs exist follows
    training.selectors.compliance_pairs (current staff, active module and agency, a requirement of
    the person's role in force, or an assignment that began). tests/notifications/
    test_recheck.py checks the two agree. The sender runs this for every message, so it reads only
    the rows of these few pairs (one query), not the partnership's reference tables.

    Items need `staff`, `staff__agency` and `module` loaded.
    """
    people = {item.staff_id: item.staff for item in items}
    modules = {item.module_id: item.module for item in items}
    wanted = {(item.staff_id, item.module_id) for item in items}
    requirements = defaultdict(list)
    assignments = {}
    completions = defaultdict(list)
    exemptions = defaultdict(list)
    rows = _pair_fact_rows(
        staff_ids=list(people),
        job_role_ids=list({staff.job_role_id for staff in people.values()}),
        module_ids=list(modules),
        today=today,
    )
    for source, owner_id, module_id, first, second, number in rows:
        if source == "r":
            requirements[owner_id, module_id].append((first, number))
        elif source == "a":
            assignments[owner_id, module_id] = compliance.assignment_obligation(
                assigned_on=first, due_on=second
            )
        elif source == "c":
            completions[owner_id, module_id].append(compliance.CompletionFact(first, second, True, number))
        else:
            exemptions[owner_id].append((module_id, compliance.ExemptionFact(first, second, number)))

    statuses = {}
    for staff_id, module_id in wanted:
        staff, module = people[staff_id], modules[module_id]
        if not (staff.is_current_on(today) and staff.agency.active and module.active):
            continue
        obligations = [
            compliance.requirement_obligation(
                start_date=staff.start_date,
                role_since=staff.role_since,
                requirement_starts_on=starts_on,
                due_within_days=due_within_days,
            )
            for starts_on, due_within_days in requirements.get((staff.job_role_id, module_id), ())
        ]
        obligation = compliance.combined_obligation(*obligations, assignments.get((staff_id, module_id)))
        if obligation is None:
            continue
        statuses[staff_id, module_id] = compliance.pair_status(
            today=today,
            completions=completions.get((staff_id, module_id), ()),
            renewal_window_days=module.renewal_window_days,
            due_on=obligation.due_on,
            exemptions=[fact for exempt, fact in exemptions.get(staff_id, ()) if exempt in (None, module_id)],
        )
    return statuses


SUPERSEDED = "superseded by a later reminder of the same series"


@dataclass
class MessageFacts:
    """What the sender learns about a message's items on the day of sending: why some no longer
    hold (`reasons`, by item id) and what each digest or review says (`contents`, by item id)."""

    today: datetime.date
    reasons: dict[int, str] = field(default_factory=dict)
    contents: dict[int, object] = field(default_factory=dict)


def message_facts(items: list[ReminderItem], *, today: datetime.date) -> MessageFacts:
    """Re-check a message's items before sending (a fixed number of queries per message).

    Items need `staff`, `staff__agency`, `module` and `agency` loaded.
    """
    facts = MessageFacts(today)
    # Two stages of one series in one message (one was waiting when the next fell due): only the
    # later one is news. The planner supersedes across messages; this covers the rest.
    latest = {}
    for item in items:
        latest[item.series] = max(latest.get(item.series, item.stage_date), item.stage_date)
    for item in items:
        if latest[item.series] > item.stage_date:
            facts.reasons[item.id] = SUPERSEDED
    about_people = [item for item in items if item.staff_id is not None]
    pairs = pair_statuses(about_people, today=today) if about_people else {}
    for item in about_people:
        reason = _person_item_reason(item, pairs, today)
        if reason:
            facts.reasons.setdefault(item.id, reason)
    others = [item for item in items if item.staff_id is None and item.id not in facts.reasons]
    opted_out = digest_opt_outs() if any(item.kind in rules.DIGEST_KINDS for item in others) else set()
    for item in others:
        reason, content = _digest_check(item, today, opted_out)
        if reason:
            facts.reasons[item.id] = reason
        else:
            facts.contents[item.id] = content
    return facts


def _person_item_reason(item, pairs, today):
    staff = item.staff
    if item.kind == Kind.ESCALATION:
        if staff.line_manager_email.lower() != item.recipient:
            return "their line manager changed"
    elif staff.email.lower() != item.recipient:
        return "their email address changed"
    pair = pairs.get((staff.id, item.module_id))
    if pair is None:
        return rules.suppression_reason(
            today=today,
            staff_start_date=staff.start_date,
            staff_left_on=staff.left_on,
            agency_active=staff.agency.active,
            module_active=item.module.active,
            module_code=item.module.code,
        )
    return rules.recheck_reason(
        cycle=rules.cycle_of(item.kind, item.stage),
        cycle_date=item.cycle_date,
        status=pair.status.value,
        due_on=pair.due_on,
        completed_on=pair.completion.completed_on if pair.completion is not None else None,
        expires_on=pair.expires_on,
        exemption_ends_on=pair.exemption.ends_on if pair.exemption is not None else None,
    )


def _digest_check(item, today, opted_out):
    """(reason it no longer holds, None) or (None, what it says)."""
    if (item.recipient, item.kind) in opted_out:
        return "unsubscribed from this digest", None
    agency = item.agency
    if agency is not None and not agency.active:
        return "the agency is inactive", None
    if item.kind == Kind.MANAGER_DIGEST:
        entries = manager_digest(email=item.recipient, today=today)
        return ("nothing needed attention", None) if not entries else (None, entries)
    if item.kind == Kind.AGENCY_DIGEST:
        if agency.training_lead_email.lower() != item.recipient:
            return "the agency's training lead changed", None
        return None, agency_digest(agency=agency, today=today)
    if item.kind == Kind.STAFF_LIST_REVIEW:
        if agency.hr_contact_email.lower() != item.recipient:
            return "the agency's HR contact changed", None
        last = last_staff_list_uploads().get(agency.id)
        if last is not None and last > item.cycle_date:
            return f"a staff list was uploaded on {rules.long_date(last)}", None
        return None, {
            "last_upload": item.cycle_date,
            "days": (today - item.cycle_date).days,
            "uploaded": last,
        }
    if item.kind == Kind.VERIFICATION_REVIEW:
        waiting = (
            waiting_declarations()
            .filter(recorded_at__lt=_start_of(rules.verification_overdue_since(today)))
            .select_related("staff", "staff__agency", "module")
        )
        total = waiting.count()
        if not total:
            return "nothing is waiting for verification", None
        return None, {"total": total, "oldest": list(waiting[:20])}
    if item.kind == Kind.ACTION_PLAN_REVIEW:
        from strategy.reminders import item_check  # the action plan owns these reminders

        return item_check(item, today)
    return f"{Kind(item.kind).label} reminders are not available yet", None


def _action_plan_series(*, day):
    """The workforce strategy's review reminders (strategy.reminders, imported here because it
    builds on this module): action owners before and on review dates, the HSB lead when actions
    are overdue for review and when the next assessment round is due."""
    from strategy.reminders import review_series

    return review_series(day=day)


def _start_of(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


@dataclass(frozen=True)
class TeamEntry:
    staff: StaffMember
    module: object
    status: Status
    key_date: datetime.date | None


def manager_digest(*, email: str, today: datetime.date) -> list[TeamEntry]:
    """What a line manager's weekly digest lists: their team's pairs that need attention."""
    team = StaffMember.objects.filter(line_manager_email=email.lower())
    pairs = [pair for pair in compliance_pairs(on=today, staff=team) if needs_attention(pair, today)]
    people = StaffMember.objects.in_bulk([pair.staff_id for pair in pairs])
    entries = [TeamEntry(people[pair.staff_id], pair.module, pair.status, pair.key_date) for pair in pairs]
    return sorted(
        entries, key=lambda e: (-e.status.severity, e.staff.last_name, e.staff.first_name, e.module.code)
    )


@dataclass(frozen=True)
class AgencyDigest:
    agency: Agency
    summary: object
    overdue: list
    unreachable: list


def agency_digest(*, agency: Agency, today: datetime.date, limit: int = 200) -> AgencyDigest:
    """The monthly digest of one agency: its compliance, who is overdue or expired, and current staff
    with no email address (who receive no reminders)."""
    pairs = compliance_pairs(on=today, agency=agency)
    lapsed = [pair for pair in pairs if pair.status in (Status.OVERDUE, Status.EXPIRED)]
    people = StaffMember.objects.in_bulk([pair.staff_id for pair in lapsed[:limit]])
    overdue = sorted(
        (
            TeamEntry(people[pair.staff_id], pair.module, pair.status, pair.key_date)
            for pair in lapsed[:limit]
        ),
        key=lambda e: (e.staff.last_name, e.staff.first_name, e.module.code),
    )
    unreachable = list(
        current_staff(on=today, agency=agency).filter(email="").order_by("last_name", "first_name")[:limit]
    )
    return AgencyDigest(agency, compliance_summary(pairs), overdue, unreachable)


# ---------------------------------------------------------------------------------------------
# The outbox, for the lead-facing pages and the reminders_outbox command
# ---------------------------------------------------------------------------------------------


def outbox_items(
    *,
    status: str | None = None,
    kind: str | None = None,
    agency=None,
    since: datetime.date | None = None,
    until: datetime.date | None = None,
    search: str = "",
):
    """Outbox items, newest planning day first, filtered as the outbox page offers: status, kind,
    agency (of the person, or of an agency digest or review), planned-for dates and a search in
    which every word must match the recipient, the person's name or staff number, or the module
    code (so "asha patel" finds Asha Patel's reminders)."""
    items = ReminderItem.objects.select_related("staff", "staff__agency", "module", "agency", "message")
    if status:
        items = items.filter(status=status)
    if kind:
        items = items.filter(kind=kind)
    if agency is not None:
        items = items.filter(agency=agency)
    if since is not None:
        items = items.filter(planned_for__gte=since)
    if until is not None:
        items = items.filter(planned_for__lte=until)
    for word in (search or "").split():
        items = items.filter(
            Q(recipient__icontains=word)
            | Q(staff__first_name__icontains=word)
            | Q(staff__last_name__icontains=word)
            | Q(staff__staff_number__iexact=word)
            | Q(module__code__iexact=word)
        )
    return items.order_by("-planned_for", "recipient", "kind", "id")


def outbox_status_counts(**filters) -> dict[str, int]:
    counts = dict(outbox_items(**filters).order_by().values_list("status").annotate(n=Count("id")))
    return {status.value: counts.get(status.value, 0) for status in ItemStatus}


def message_detail(message_id: int) -> ReminderMessage:
    """One message with its items, exactly as sent (subject, text and HTML are stored)."""
    return ReminderMessage.objects.prefetch_related("items__staff", "items__module", "items__agency").get(
        id=message_id
    )


def reminder_history_for(staff: StaffMember):
    """Every outbox item about one person (their own reminders and their manager's escalations)."""
    return (
        ReminderItem.objects.filter(staff=staff)
        .select_related("module", "message")
        .order_by("-planned_for", "-id")
    )


@dataclass(frozen=True)
class NextReminder:
    day: datetime.date
    kind: str
    stage: str
    module: object
    recipient: str

    @property
    def kind_label(self) -> str:
        return Kind(self.kind).label


def next_reminder_for(
    staff: StaffMember, *, today: datetime.date | None = None, pairs: Iterable | None = None
) -> NextReminder | None:
    """The next reminder the planner will make about a person after today (their own or their line
    manager's escalation), or None when nothing is scheduled. Reminders already pending today are in
    the outbox, not here. `pairs`: the person's compliance pairs on `today`, when the caller has read
    them already (the person page); as compliance_pairs gives them, so none in an inactive agency."""
    today = today or timezone.localdate()
    if not staff.is_current_on(today):
        return None
    if pairs is None:
        pairs = compliance_pairs(on=today, staff=StaffMember.objects.filter(id=staff.id))
    policies = module_policies()
    upcoming = []
    for pair in pairs:
        policy = _policy_of(policies, pair.module)
        cycle = pair_stages(pair, policy)
        if cycle is None:
            continue
        letter, cycle_date, stages = cycle
        if staff.email:
            stage = rules.next_stage(stages, today)
            if stage:
                upcoming.append(
                    NextReminder(stage.trigger, stage.kind, stage.label, pair.module, staff.email)
                )
        if staff.line_manager_email:
            escalation = rules.escalation_stages(letter=letter, cycle_date=cycle_date, policy=policy)
            stage = rules.next_stage(escalation, today)
            if stage:
                upcoming.append(
                    NextReminder(
                        stage.trigger, stage.kind, stage.label, pair.module, staff.line_manager_email
                    )
                )
    # The planner plans only for people who are current staff on the day (a known leaving date).
    upcoming = [reminder for reminder in upcoming if staff.is_current_on(reminder.day)]
    return min(upcoming, key=lambda reminder: (reminder.day, reminder.module.code), default=None)
