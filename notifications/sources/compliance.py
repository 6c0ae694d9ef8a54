"""The compliance reminders: a staff member's own series on the due date U (assigned, due soon,
overdue) or on the expiry X (renewal open, renew soon, expired), and their line manager's
escalation, for every compliance pair (PRODUCT.md section 4). The stage arithmetic is
notifications.rules; the pairs come from the compliance engine (training.selectors.engine)."""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from training import compliance
from training.models import Assignment, Completion, Exemption, Requirement, Verification
from training.selectors.engine import compliance_pairs
from workforce.models import StaffMember

from .. import rules
from ..rules import Kind
from ..selectors.planning import module_policies, policy_of
from . import Check, Cycle, NamedStage, ReminderKind, ReminderSource, extra_context, series

# How to do each kind of training, for the "how to complete / renew" lines.
HOW_TO = {
    "e_learning": "complete the e-learning course",
    "live_online": "book a place on the next live online session",
    "classroom": "book a place on the next classroom session",
    "workshop": "book a place on the next workshop",
    "blended": "start the course and book its session",
}


STAFF_FOOTER = "Reminders about required safeguarding training cannot be switched off."
MANAGER_FOOTER = (
    "You get this because your agency's staff list names you as the line manager; these reminders "
    "cannot be switched off. If that is wrong, ask your agency's HR team to correct the staff list."
)


class ComplianceReminders(ReminderSource):
    kinds = (
        ReminderKind(Kind.ASSIGNED, Kind.ASSIGNED.label, own_training=True, footer=STAFF_FOOTER),
        ReminderKind(Kind.DUE_SOON, Kind.DUE_SOON.label, own_training=True, urgency=3, footer=STAFF_FOOTER),
        ReminderKind(Kind.OVERDUE, Kind.OVERDUE.label, own_training=True, urgency=1, footer=STAFF_FOOTER),
        ReminderKind(Kind.RENEWAL_OPEN, Kind.RENEWAL_OPEN.label, own_training=True, footer=STAFF_FOOTER),
        ReminderKind(
            Kind.RENEWAL_SOON, Kind.RENEWAL_SOON.label, own_training=True, urgency=2, footer=STAFF_FOOTER
        ),
        ReminderKind(Kind.EXPIRED, Kind.EXPIRED.label, own_training=True, urgency=0, footer=STAFF_FOOTER),
        ReminderKind(Kind.ESCALATION, Kind.ESCALATION.label, footer=MANAGER_FOOTER),
    )
    cycles = {
        rules.DUE_CYCLE: Cycle("the due date", "on the due date", "due date"),
        rules.EXPIRY_CYCLE: Cycle("expiry", "on the expiry date", "expiry"),
    }
    named_stages = {"start": NamedStage("when the training became required", "due date")}

    # --- planning -----------------------------------------------------------------------------

    def series(self, planning):
        """Staff series and escalation series of every pair, as of the planner's day."""
        day, contacts, policies = planning.day, planning.contacts, planning.policies
        for pair in planning.pairs:
            policy = policy_of(policies, pair.module)
            if rules.nothing_due_yet(pair, policy, day):
                continue
            cycle = rules.pair_stages(pair, policy, until=day)  # the stages due: all a series reads
            if cycle is None:
                continue
            letter, cycle_date, stages = cycle
            contact = contacts.get(pair.staff_id)
            if contact is None:
                continue
            common = {"staff_id": pair.staff_id, "module_id": pair.module.id, "agency_id": pair.agency.id}
            if contact.email:
                kind = Kind.OVERDUE if letter == rules.DUE_CYCLE else Kind.EXPIRED
                yield series(
                    kind=kind,
                    recipient=contact.email,
                    stages=stages,
                    today=day,
                    cycle_date=cycle_date,
                    **common,
                )
            if contact.line_manager_email:
                yield series(
                    kind=Kind.ESCALATION,
                    recipient=contact.line_manager_email,
                    stages=rules.escalation_stages(letter=letter, cycle_date=cycle_date, policy=policy),
                    today=day,
                    cycle_date=cycle_date,
                    **common,
                )

    # --- the send-time re-check ---------------------------------------------------------------

    def check(self, items, *, today):
        pairs = pair_statuses(items, today=today)
        return {item.id: Check(reason=_item_reason(item, pairs, today)) for item in items}

    # --- the email ----------------------------------------------------------------------------

    def email_context(self, item, facts):
        context = {
            "staff": item.staff,
            "module": item.module,
            "how_to": HOW_TO.get(getattr(item.module, "delivery_mode", ""), "book or start the course"),
            "cycle_date": item.cycle_date,
            "cycle_date_long": rules.long_date(item.cycle_date),
            "days": abs((item.cycle_date - facts.today).days),
        }
        if item.kind == Kind.ESCALATION:
            lapsed = "overdue" if rules.cycle_of(item.kind, item.stage) == rules.DUE_CYCLE else "expired"
            context.update(lapsed=lapsed, agency=item.staff.agency)
        else:
            context.update(extra_context(item, facts))
        return context


def _item_reason(item, pairs, today):
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


def _pair_fact_rows(*, staff_ids, job_role_ids, module_ids, today):
    """Requirements in force, assignments begun, counted completions and covering exemptions of a
    few people and modules, in one round trip: (source, person or role, module, date, date, number).

    The sender runs this for every message, so it is one UNION query rather than four ORM
    queries (the same filters as training.selectors.engine.compliance_pairs uses).
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
    training.selectors.engine.compliance_pairs (current staff, active module and agency, a
    requirement of the person's role in force, or an assignment that began).
    tests/notifications/test_recheck.py checks the two agree. The sender runs this for every
    message, so it reads only the rows of these few pairs (one query), not the partnership's
    reference tables.

    Items need `staff`, `staff__agency` and `module` loaded.
    """
    people = {item.staff_id: item.staff for item in items}
    modules = {item.module_id: item.module for item in items}
    wanted = {(item.staff_id, item.module_id) for item in items}
    if not wanted:
        return {}
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


# ---------------------------------------------------------------------------------------------
# A person's next reminder, for the person page
# ---------------------------------------------------------------------------------------------


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


def next_reminder_for(staff, *, today: datetime.date | None = None, pairs=None) -> NextReminder | None:
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
        policy = policy_of(policies, pair.module)
        cycle = rules.pair_stages(pair, policy)
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
