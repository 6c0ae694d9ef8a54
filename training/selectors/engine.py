"""Reads of training records that are more than a `.get`.

Compliance of many (person, module) pairs is computed here in a fixed number of queries, whatever
the number of people: a handful of set-based reads (small catalogue tables, current staff, role
requirements, assignments, counted completions, exemptions covering the day) fetched as plain
tuples, then combined in Python by the same pure function that decides one pair
(training.compliance.pair_status): `compliance_pairs`, for pages that show each pair's dates and
how it was met. For figures over a whole partnership, `compliance_statuses` states the same rules
as one SQL query (a CASE over the same rows), a few times faster, and `compliance_counts` has the
database count its statuses by agency, job role, module and status (and its people by the
statuses they have), so that a page of figures fetches a few hundred rows, not a row per pair. A
property test (tests/training/test_selectors.py) checks all three against the pure function on
random histories.

What a pair is, on a date D:
- the person is current staff on D (no start date or started on or before D; no leaving date or
  leaving after D) in an active agency (see `compliance_pairs` for inactive agencies);
- the module is active (a retired module is required of nobody);
- the module is required of the person's current job role by a requirement in force on D
  (starts_on on or before D), or assigned to the person by an assignment that began on or before
  D. When both apply, the earlier due date wins (training.compliance.combined_obligation).

Historical reports (D in the past) use people's current job role, team and the current catalogue,
because those are not versioned here; completions dated after D, and exemptions not covering D,
do not count on D. A completion counts once verified, whenever the verification happened.
"""

import datetime
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from operator import attrgetter
from typing import NamedTuple

from django.db import connection
from django.db.models import Q, QuerySet, Sum

from workforce import rules
from workforce.models import Agency, JobRole, StaffMember, Team

from ..compliance import (
    CompletionFact,
    ExemptionFact,
    Obligation,
    Status,
    assignment_obligation,
    combined_obligation,
    key_date,
    pair_status,
    requirement_obligation,
    worst_status,
)
from ..models import (
    Assignment,
    Completion,
    Exemption,
    Module,
    PairState,
    Requirement,
    StateCount,
    Verification,
)

# Reference tables are read unordered (their default orderings would join and sort for nothing).
# Rows are streamed in chunks so that a partnership-wide read never holds every raw row at once.
CHUNK_SIZE = 5000


class _Ref:
    """Equal and hashed by id alone (one row, one reference): grouping 150,000 pairs by a reference
    should not hash every field."""

    __slots__ = ()

    def __eq__(self, other):
        return type(self) is type(other) and self.id == other.id

    def __hash__(self):
        return hash((type(self).__name__, self.id))


@dataclass(frozen=True, slots=True, eq=False)
class AgencyRef(_Ref):
    id: int
    slug: str
    name: str
    active: bool


@dataclass(frozen=True, slots=True, eq=False)
class ModuleRef(_Ref):
    id: int
    code: str
    title: str
    tier: int
    validity_months: int | None
    renewal_window_days: int


@dataclass(frozen=True, slots=True, eq=False)
class JobRoleRef(_Ref):
    id: int
    name: str
    tier: int


@dataclass(frozen=True, slots=True, eq=False)
class TeamRef(_Ref):
    id: int
    name: str


class CompliancePair(NamedTuple):
    """The status of one (current staff member, required module) pair on one date.

    The references are shared objects (one per agency, module, role, team), so 150,000 pairs cost
    little memory. `completion` is the best counted completion on the date (also for an expired or
    exempt pair); `exemption` the exemption covering the date.
    """

    staff_id: int
    agency: AgencyRef
    job_role: JobRoleRef
    team: TeamRef | None
    module: ModuleRef
    status: Status
    anchor_on: datetime.date
    due_on: datetime.date
    via: str
    completion: CompletionFact | None
    exemption: ExemptionFact | None

    @property
    def is_valid(self) -> bool:
        return self.status.is_valid

    @property
    def completed_on(self) -> datetime.date | None:
        return self.completion.completed_on if self.completion is not None else None

    @property
    def expires_on(self) -> datetime.date | None:
        return self.completion.expires_on if self.completion is not None else None

    @property
    def completion_id(self) -> int | None:
        return self.completion.id if self.completion is not None else None

    @property
    def exemption_id(self) -> int | None:
        return self.exemption.id if self.exemption is not None else None

    @property
    def key_date(self) -> datetime.date | None:
        """See training.compliance.key_date: due date, expiry, or the end of the exemption."""
        return key_date(self.status, due_on=self.due_on, completion=self.completion, exemption=self.exemption)


def _filter(queryset, field, value):
    """Filter on one value (a model instance or id) or on several (a list, tuple, set or queryset)."""
    if value is None:
        return queryset
    if isinstance(value, QuerySet):
        return queryset.filter(**{f"{field}__in": value.values("pk")})
    if isinstance(value, list | tuple | set | frozenset):
        return queryset.filter(**{f"{field}__in": [getattr(each, "pk", each) for each in value]})
    return queryset.filter(**{field: getattr(value, "pk", value)})


def current_staff(
    *,
    on: datetime.date,
    staff: QuerySet | None = None,
    agency=None,
    team=None,
    job_role=None,
    tier=None,
    include_inactive_agencies: bool | None = None,
) -> QuerySet:
    """Staff who are current on `on` within a scope (a queryset, e.g. workforce.access.visible_staff,
    narrowed by agency, team, job role and job-role tier).

    Inactive agencies are left out of partnership-wide figures: an agency that has left the
    partnership should not drag its rate down. When the caller names an agency, that agency's
    people are included even if it is inactive, so its own page still shows them. Pass
    `include_inactive_agencies` to decide explicitly.
    """
    queryset = (staff if staff is not None else StaffMember.objects.all()).order_by()
    queryset = queryset.filter(rules.current_on_q(on))
    queryset = _filter(queryset, "agency", agency)
    queryset = _filter(queryset, "team", team)
    queryset = _filter(queryset, "job_role", job_role)
    queryset = _filter(queryset, "job_role__tier", tier)
    if include_inactive_agencies is None:
        include_inactive_agencies = agency is not None
    if not include_inactive_agencies:
        queryset = queryset.filter(agency__active=True)
    return queryset


def compliance_pairs(
    *,
    on: datetime.date,
    staff: QuerySet | None = None,
    agency=None,
    team=None,
    job_role=None,
    tier=None,
    module=None,
    include_inactive_agencies: bool | None = None,
) -> list[CompliancePair]:
    """The status on `on` of every (current staff member, required module) pair in a scope.

    Scope: `staff` (an unsliced StaffMember queryset, e.g. workforce.access.visible_staff(user)),
    `agency`, `team`, `job_role`, `tier` (of the job role) and `module`; each a model instance or
    id, or a list of them. `staff` must not repeat a person (workforce.access's querysets do not).
    Nine queries whatever the number of people; see the module docstring for what counts as a pair.
    """
    scope = current_staff(
        on=on,
        staff=staff,
        agency=agency,
        team=team,
        job_role=job_role,
        tier=tier,
        include_inactive_agencies=include_inactive_agencies,
    )
    modules = _module_refs(module)
    staff_ids = scope.values("id")
    module_ids = list(modules)
    return _combine(
        on=on,
        staff_rows=scope.values_list("id", "agency_id", "team_id", "job_role_id", "start_date", "role_since"),
        modules=modules,
        agencies=_agency_refs(),
        job_roles=_job_role_refs(),
        teams={row[0]: TeamRef(*row) for row in Team.objects.order_by().values_list("id", "name")},
        requirements=_requirements_by_role(on=on, module_ids=module_ids),
        assignments=_assignments_by_staff(on=on, staff_ids=staff_ids, module_ids=module_ids),
        completions=_completions_by_pair(on=on, staff_ids=staff_ids, module_ids=module_ids),
        exemptions=_exemptions_by_staff(on=on, staff_ids=staff_ids, module_ids=module_ids),
    )


def _combine(
    *, on, staff_rows, modules, agencies, job_roles, teams, requirements, assignments, completions, exemptions
):
    """Every pair of every person in `staff_rows`, decided by the pure rules. Plain data in,
    pairs out: the staff rows are read last, streamed, after every lookup table is built."""
    pairs = []
    no_assignments = {}
    for staff_id, agency_id, team_id, job_role_id, start_date, role_since in _stream(staff_rows):
        obligations = _obligations(
            start_date=start_date,
            role_since=role_since,
            requirements=requirements.get(job_role_id, ()),
            assignments=assignments.get(staff_id, no_assignments),
        )
        person_exemptions = exemptions.get(staff_id)
        agency_ref, job_role_ref = agencies[agency_id], job_roles[job_role_id]
        team_ref = teams[team_id] if team_id is not None else None
        for module_id, obligation in obligations.items():
            module_ref = modules[module_id]
            result = pair_status(
                today=on,
                completions=completions.get((staff_id, module_id), ()),
                renewal_window_days=module_ref.renewal_window_days,
                due_on=obligation.due_on,
                exemptions=_for_module(person_exemptions, module_id),
            )
            pairs.append(
                CompliancePair(
                    staff_id,
                    agency_ref,
                    job_role_ref,
                    team_ref,
                    module_ref,
                    result.status,
                    obligation.anchor_on,
                    obligation.due_on,
                    obligation.via,
                    result.completion,
                    result.exemption,
                )
            )
    return pairs


def _stream(rows):
    return rows.iterator(CHUNK_SIZE) if isinstance(rows, QuerySet) else rows


def _agency_refs() -> dict[int, AgencyRef]:
    rows = Agency.objects.order_by().values_list("id", "slug", "name", "active")
    return {row[0]: AgencyRef(*row) for row in rows}


def _job_role_refs() -> dict[int, JobRoleRef]:
    return {row[0]: JobRoleRef(*row) for row in JobRole.objects.order_by().values_list("id", "name", "tier")}


def _module_refs(module) -> dict[int, ModuleRef]:
    queryset = _filter(Module.objects.filter(active=True).order_by(), "pk", module)
    fields = ("id", "code", "title", "tier", "validity_months", "renewal_window_days")
    return {row[0]: ModuleRef(*row) for row in queryset.values_list(*fields)}


def _requirements_by_role(*, on, module_ids):
    """Requirements in force on `on`, by job role: [(module id, starts_on, due_within_days)]."""
    by_role = defaultdict(list)
    rows = (
        Requirement.objects.filter(module_id__in=module_ids, starts_on__lte=on)
        .order_by()
        .values_list("job_role_id", "module_id", "starts_on", "due_within_days")
    )
    for job_role_id, module_id, starts_on, due_within_days in rows:
        by_role[job_role_id].append((module_id, starts_on, due_within_days))
    return by_role


def _assignments_by_staff(*, on, staff_ids, module_ids):
    """Assignments begun by `on`, by person: {module id: obligation}."""
    by_staff = defaultdict(dict)
    rows = (
        Assignment.objects.filter(staff_id__in=staff_ids, module_id__in=module_ids, assigned_on__lte=on)
        .order_by()
        .values_list("staff_id", "module_id", "assigned_on", "due_on")
    )
    for staff_id, module_id, assigned_on, due_on in _stream(rows):
        by_staff[staff_id][module_id] = assignment_obligation(assigned_on=assigned_on, due_on=due_on)
    return by_staff


def _completions_by_pair(*, on, staff_ids, module_ids):
    """Counted completions made by `on`, by (person, module). The pure function picks the best."""
    by_pair = defaultdict(list)
    rows = (
        Completion.objects.filter(
            staff_id__in=staff_ids,
            module_id__in=module_ids,
            verification=Verification.VERIFIED,
            completed_on__lte=on,
        )
        .order_by()
        .values_list("staff_id", "module_id", "completed_on", "expires_on", "id")
    )
    for staff_id, module_id, completed_on, expires_on, completion_id in _stream(rows):
        by_pair[staff_id, module_id].append(CompletionFact(completed_on, expires_on, True, completion_id))
    return by_pair


def _exemptions_by_staff(*, on, staff_ids, module_ids):
    """Exemptions covering `on`, by person: [(module id or None for every module, exemption)]."""
    by_staff = defaultdict(list)
    rows = (
        Exemption.objects.filter(staff_id__in=staff_ids, starts_on__lte=on)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on))
        .filter(Q(module_id__isnull=True) | Q(module_id__in=module_ids))
        .order_by()
        .values_list("staff_id", "module_id", "starts_on", "ends_on", "id")
    )
    for staff_id, module_id, starts_on, ends_on, exemption_id in _stream(rows):
        by_staff[staff_id].append((module_id, ExemptionFact(starts_on, ends_on, exemption_id)))
    return by_staff


def _for_module(person_exemptions, module_id):
    if not person_exemptions:
        return ()
    return [fact for exempt_module, fact in person_exemptions if exempt_module in (None, module_id)]


def _obligations(*, start_date, role_since, requirements, assignments) -> dict[int, Obligation]:
    obligations = {}
    for module_id, starts_on, due_within_days in requirements:
        obligations[module_id] = requirement_obligation(
            start_date=start_date,
            role_since=role_since,
            requirement_starts_on=starts_on,
            due_within_days=due_within_days,
        )
    for module_id, assigned in assignments.items():
        obligations[module_id] = combined_obligation(obligations.get(module_id), assigned)
    return obligations


# ---------------------------------------------------------------------------------------------
# Statuses classified in SQL: the same rules as a CASE, for figures over a whole partnership
# ---------------------------------------------------------------------------------------------


class StatusRow(NamedTuple):
    """One pair's status without its dates: enough for counts, rates and worst statuses."""

    staff_id: int
    agency_id: int
    team_id: int | None
    job_role_id: int
    module_id: int
    status: Status


NEVER = datetime.date(9999, 12, 31)  # stands for "never expires" where SQL needs a date to compare

# The scope is inlined where it is used (NOT MATERIALIZED: PostgreSQL 12+, SQLite 3.35+) so that
# the planner sees the staff table's own statistics: on an agency's page it then hashes the agency's
# staff and streams the completions past them, rather than hashing every completion.
_STATUS_SQL = """
WITH staff AS NOT MATERIALIZED ({scope}),
cutoffs (requirement_id, cutoff, within_days) AS (VALUES {cutoffs}),
windows (module_id, renewal_from, window_days) AS (VALUES {windows}),
assigned AS (
    SELECT a.staff_id, a.module_id, a.due_on, a.assigned_on AS anchor_on FROM training_assignment a
    JOIN windows w ON w.module_id = a.module_id
    WHERE a.assigned_on <= %s
),
pairs AS (
    SELECT s.id AS staff_id, s.agency_id, s.team_id, s.job_role_id, r.module_id,
        CASE WHEN r.starts_on <= c.cutoff
                AND (s.start_date IS NULL OR s.start_date <= c.cutoff)
                AND (s.role_since IS NULL OR s.role_since <= c.cutoff) THEN 1 ELSE 0 END AS past_due,
        {due_on} AS due_on, {anchor} AS anchor_on
    FROM staff s
    JOIN training_requirement r ON r.job_role_id = s.job_role_id
    JOIN cutoffs c ON c.requirement_id = r.id
    UNION ALL
    SELECT s.id, s.agency_id, s.team_id, s.job_role_id, a.module_id,
        CASE WHEN a.due_on <= %s THEN 1 ELSE 0 END, a.due_on, a.anchor_on
    FROM assigned a
    JOIN staff s ON s.id = a.staff_id
    WHERE NOT EXISTS (
        SELECT 1 FROM training_requirement r JOIN cutoffs c ON c.requirement_id = r.id
        WHERE r.job_role_id = s.job_role_id AND r.module_id = a.module_id
    )
),
best AS (
    SELECT c.staff_id, c.module_id, MAX(COALESCE(c.expires_on, %s)) AS expires_on
    FROM training_completion c
    JOIN staff s ON s.id = c.staff_id
    WHERE c.verification = %s AND c.completed_on <= %s
    GROUP BY c.staff_id, c.module_id
),
covering AS (
    SELECT staff_id, module_id, COALESCE(ends_on, %s) AS ends_on FROM training_exemption
    WHERE starts_on <= %s AND (ends_on IS NULL OR ends_on >= %s)
),
exempt_from_all AS (
    SELECT staff_id, MAX(ends_on) AS ends_on FROM covering WHERE module_id IS NULL GROUP BY staff_id
),
exempt_from_one AS (
    SELECT staff_id, module_id, MAX(ends_on) AS ends_on FROM covering WHERE module_id IS NOT NULL
    GROUP BY staff_id, module_id
),
statuses AS (
    SELECT p.staff_id, p.agency_id, p.team_id, p.job_role_id, p.module_id,
        CASE
            WHEN ea.staff_id IS NOT NULL OR eo.staff_id IS NOT NULL THEN 'exempt'
            WHEN b.expires_on IS NULL THEN
            CASE WHEN p.past_due = 1 OR ad.due_on <= %s THEN 'overdue' ELSE 'due' END
            WHEN b.expires_on <= %s THEN 'expired'
            WHEN b.expires_on <= w.renewal_from THEN 'renewal_due'
            ELSE 'compliant'
        END AS status,
        CASE WHEN ad.due_on < p.due_on THEN ad.due_on ELSE p.due_on END AS due_on,
        CASE WHEN ad.due_on < p.due_on THEN ad.anchor_on ELSE p.anchor_on END AS anchor_on,
        b.expires_on,
        CASE WHEN eo.ends_on IS NULL OR ea.ends_on > eo.ends_on THEN ea.ends_on ELSE eo.ends_on END
            AS exempt_until,
        w.window_days
    FROM pairs p
    JOIN windows w ON w.module_id = p.module_id
    LEFT JOIN best b ON b.staff_id = p.staff_id AND b.module_id = p.module_id
    LEFT JOIN exempt_from_all ea ON ea.staff_id = p.staff_id
    LEFT JOIN exempt_from_one eo ON eo.staff_id = p.staff_id AND eo.module_id = p.module_id
    LEFT JOIN assigned ad ON ad.staff_id = p.staff_id AND ad.module_id = p.module_id
)
"""

_STATUS_ROWS_SQL = "SELECT staff_id, agency_id, team_id, job_role_id, module_id, status FROM statuses"

# Pairs by (agency, job role, module, status), then people by (agency, job role, the set of their
# statuses), in one statement so that the statuses are classified once. Each status is one bit and
# a person's bits are the sum of one MAX per status (a hash aggregate, where SUM(DISTINCT) would
# sort); a people row has no module.
_COUNTS_SQL = """
, coded AS (SELECT staff_id, agency_id, job_role_id, module_id, CASE status {bits} END AS bit FROM statuses)
SELECT agency_id, job_role_id, module_id, bit, COUNT(*) FROM coded
GROUP BY agency_id, job_role_id, module_id, bit
UNION ALL
SELECT agency_id, job_role_id, NULL, bits, COUNT(*) FROM (
    SELECT agency_id, job_role_id, {people_bits} AS bits FROM coded
    GROUP BY staff_id, agency_id, job_role_id
) people
GROUP BY agency_id, job_role_id, bits
"""


def compliance_statuses(
    *,
    on: datetime.date,
    staff: QuerySet | None = None,
    agency=None,
    team=None,
    job_role=None,
    tier=None,
    module=None,
    include_inactive_agencies: bool | None = None,
    from_state: bool = False,
) -> list[StatusRow]:
    """The status of every pair in a scope (the scope and pairs of `compliance_pairs`), classified
    by the database: three queries, and a few times faster than `compliance_pairs` at partnership
    scale because no pair passes through Python's rules one by one.

    For figures only (counts, rates, worst statuses: compliance_summary, summaries_by and
    worst_status_by_person accept these rows); a page that shows dates or how a pair was met uses
    `compliance_pairs`. The SQL restates training.compliance.pair_status without date arithmetic:
    with D the report date, a requirement is past due when every one of start date, role date
    and requirement start is on or before D - due_within_days (the anchor is their latest), and
    renewal is due when the best expiry is on or before D + renewal window. A property test checks
    the two agree on random histories. The due date (for the maintained state, `pair_state_query`)
    is the one sum of a date and days, written for each database by `plus_days`.

    `from_state`: read the statuses from the maintained state (training.models.PairState) instead,
    which the caller may ask only when the state is on `on` (training.selectors.state.maintained).
    """
    query = (_state_query if from_state else _status_query)(
        on=on,
        staff=staff,
        agency=agency,
        team=team,
        job_role=job_role,
        tier=tier,
        module=module,
        include_inactive_agencies=include_inactive_agencies,
    )
    if query is None:
        return []
    sql, params, _ = query
    statuses = {status.value: status for status in Status}
    with connection.cursor() as cursor:
        cursor.execute(sql + _STATUS_ROWS_SQL, params)
        return [
            StatusRow(staff_id, agency_id, team_id, job_role_id, module_id, statuses[status])
            for staff_id, agency_id, team_id, job_role_id, module_id, status in cursor.fetchall()
        ]


@dataclass(frozen=True)
class ComplianceCounts:
    """The pairs of a scope counted by (agency, job role, module, status), and its people by
    (agency, job role, the set of statuses they have): everything a page of figures needs, without
    a row per pair. Every pair of one person shares their agency and job role."""

    pairs: Mapping[tuple[AgencyRef, JobRoleRef, ModuleRef, Status], int]
    people: Mapping[tuple[AgencyRef, JobRoleRef, frozenset[Status]], int]


STATUS_BITS = {status: 1 << index for index, status in enumerate(Status)}


def statuses_of(bits: int) -> frozenset[Status]:
    """The statuses whose STATUS_BITS are set in `bits` (a person's row of counts)."""
    return frozenset(status for status, bit in STATUS_BITS.items() if bits & bit)


def compliance_counts(
    *,
    on: datetime.date,
    staff: QuerySet | None = None,
    agencies: QuerySet | None = None,
    agency=None,
    team=None,
    job_role=None,
    tier=None,
    module=None,
    include_inactive_agencies: bool | None = None,
    from_state: bool = False,
) -> ComplianceCounts:
    """The statuses of `compliance_statuses` (same scope, same pairs), counted by the database:
    five queries that return a few hundred rows whatever the number of people, for pages that show
    only figures (the dashboard, an agency's page). tests/training/test_figures_counted_in_sql.py checks
    the figures against those of `compliance_pairs`. `from_state` as for `compliance_statuses`.

    `agencies` (an Agency queryset, such as workforce.access.visible_agencies(user)) narrows to the
    people of those agencies. From the state, with no `staff` queryset and at most one module, the
    figures are read from its counts (training.models.StateCount): one query of a few hundred rows
    whatever the number of people, where counting the pairs reads every one of them."""
    if from_state and staff is None and not isinstance(module, QuerySet | list | tuple | set | frozenset):
        return _state_counts(
            agencies=agencies,
            agency=agency,
            team=team,
            job_role=job_role,
            tier=tier,
            module=module,
            include_inactive_agencies=include_inactive_agencies,
        )
    if agencies is not None:
        staff = (staff if staff is not None else StaffMember.objects.all()).filter(agency__in=agencies)
    query = (_state_query if from_state else _status_query)(
        on=on,
        staff=staff,
        agency=agency,
        team=team,
        job_role=job_role,
        tier=tier,
        module=module,
        include_inactive_agencies=include_inactive_agencies,
    )
    if query is None:
        return ComplianceCounts(pairs={}, people={})
    sql, params, modules = query
    # The bits are small integers of this module's own, formatted in; the statuses are parameters.
    bits = STATUS_BITS.values()
    whens = " ".join(f"WHEN %s THEN {bit}" for bit in bits)
    people_bits = " + ".join(f"MAX(CASE WHEN bit = {bit} THEN {bit} ELSE 0 END)" for bit in bits)
    params = [*params, *(status.value for status in STATUS_BITS)]
    with connection.cursor() as cursor:
        cursor.execute(sql + _COUNTS_SQL.format(bits=whens, people_bits=people_bits), params)
        rows = cursor.fetchall()
    agencies, job_roles = _agency_refs(), _job_role_refs()
    pairs, people = {}, {}
    for agency_id, job_role_id, module_id, bits, count in rows:
        statuses = statuses_of(bits)
        if module_id is None:
            people[agencies[agency_id], job_roles[job_role_id], statuses] = count
        else:
            [status] = statuses
            pairs[agencies[agency_id], job_roles[job_role_id], modules[module_id], status] = count
    return ComplianceCounts(pairs=pairs, people=people)


def _state_counts(*, agencies, agency, team, job_role, tier, module, include_inactive_agencies):
    """`compliance_counts` read from the maintained state's counts, narrowed as `current_staff`
    narrows people (the state holds only people current on its day). With one module, its people
    are its pairs (one each). Three queries: modules, the counts, the agencies and job roles."""
    modules = _module_refs(module)
    if not modules:
        return ComplianceCounts(pairs={}, people={})
    rows = _pairs_narrowed(
        StateCount.objects.order_by(),
        agencies=agencies,
        agency=agency,
        team=team,
        job_role=job_role,
        tier=tier,
        include_inactive_agencies=include_inactive_agencies,
    )
    one_module = module is not None
    rows = rows.filter(module_id__in=[*modules] if one_module else [0, *modules])
    counted = rows.values_list("agency_id", "job_role_id", "module_id", "bits").annotate(Sum("total"))
    agencies_by_id, job_roles = _agency_refs(), _job_role_refs()
    by_bit = {bit: status for status, bit in STATUS_BITS.items()}
    pairs, people = {}, defaultdict(int)
    for agency_id, job_role_id, module_id, bits, total in counted:
        agency_ref, job_role_ref = agencies_by_id[agency_id], job_roles[job_role_id]
        if module_id:
            pairs[agency_ref, job_role_ref, modules[module_id], by_bit[bits]] = total
            if one_module:
                people[agency_ref, job_role_ref, frozenset([by_bit[bits]])] += total
        else:
            people[agency_ref, job_role_ref, statuses_of(bits)] = total
    return ComplianceCounts(pairs=pairs, people=dict(people))


def _pairs_narrowed(rows, *, agencies, agency, team, job_role, tier, include_inactive_agencies):
    """Rows of the maintained state (PairState, StateCount) narrowed by the groups they keep, as
    `current_staff` narrows people: the agencies, agency, team, job role and job-role tier, and
    inactive agencies left out unless an agency is named (or `include_inactive_agencies`)."""
    if agencies is not None:
        rows = rows.filter(agency_id__in=agencies.values("pk"))
    rows = _filter(rows, "agency_id", agency)
    rows = _filter(rows, "team_id", team)
    rows = _filter(rows, "job_role_id", job_role)
    if tier is not None:
        rows = rows.filter(job_role_id__in=_filter(JobRole.objects.all(), "tier", tier).values("pk"))
    if include_inactive_agencies is None:
        include_inactive_agencies = agency is not None
    if not include_inactive_agencies:
        rows = rows.filter(agency_id__in=Agency.objects.filter(active=True).values("pk"))
    return rows


def _status_query(
    *, on, staff, agency, team, job_role, tier, module, include_inactive_agencies
) -> tuple[str, list, dict[int, ModuleRef]] | None:
    """The SQL (ending with the `statuses` CTE) and parameters that classify every pair in a scope,
    and the modules in scope; None when no module is active. Two queries: modules, requirements."""
    scope = current_staff(
        on=on,
        staff=staff,
        agency=agency,
        team=team,
        job_role=job_role,
        tier=tier,
        include_inactive_agencies=include_inactive_agencies,
    )
    modules = _module_refs(module)
    if not modules:
        return None
    requirements = (
        Requirement.objects.filter(module_id__in=list(modules), starts_on__lte=on)
        .order_by()
        .values_list("id", "due_within_days")
    )
    # (-1, D, 0) stands in for "no requirements": VALUES needs at least one row; it matches nothing.
    cutoffs = [(pk, on - datetime.timedelta(days=days), days) for pk, days in requirements] or [(-1, on, 0)]
    windows = [
        (pk, on + datetime.timedelta(days=ref.renewal_window_days), ref.renewal_window_days)
        for pk, ref in modules.items()
    ]
    scope_sql, scope_params = scope.values_list(
        "id", "agency_id", "team_id", "job_role_id", "start_date", "role_since"
    ).query.sql_with_params()
    # Only placeholders and Django's own SQL for the scope are formatted in; every value is a parameter.
    anchor = _greatest(
        "r.starts_on", "COALESCE(s.start_date, r.starts_on)", "COALESCE(s.role_since, r.starts_on)"
    )
    sql = _STATUS_SQL.format(
        scope=scope_sql,
        cutoffs=", ".join(["(%s, %s, %s)"] * len(cutoffs)),
        windows=", ".join(["(%s, %s, %s)"] * len(windows)),
        due_on=plus_days(anchor, "c.within_days"),
        anchor=anchor,
    )
    params = [
        *scope_params,
        *(value for row in cutoffs for value in row),
        *(value for row in windows for value in row),
        on,  # assignment begun
        on,  # past due by an assignment alone
        NEVER,
        Verification.VERIFIED.value,
        on,  # completed by
        NEVER,  # an open-ended exemption
        on,  # exemption started
        on,  # exemption not yet ended
        on,  # past due by an assignment
        on,  # expired
    ]
    return sql, params, modules


# The statuses of the maintained state, in the shape of the engine's `statuses`, so that the same
# counting and listing SQL reads either. The state keeps only active modules' pairs of current staff.
_STATE_STATUS_SQL = """
WITH staff AS NOT MATERIALIZED ({scope}),
statuses AS (
    SELECT p.staff_id, s.agency_id, s.team_id, s.job_role_id, p.module_id, p.status
    FROM training_pairstate p
    JOIN staff s ON s.id = p.staff_id
    WHERE p.module_id IN ({modules})
)
"""


def _state_query(
    *, on, staff, agency, team, job_role, tier, module, include_inactive_agencies
) -> tuple[str, list, dict[int, ModuleRef]] | None:
    """As `_status_query`, over the maintained state: the same scope of people (current on `on`,
    the same filters and agencies), their pairs read from training.models.PairState. One query
    (modules) before the statement itself."""
    scope = current_staff(
        on=on,
        staff=staff,
        agency=agency,
        team=team,
        job_role=job_role,
        tier=tier,
        include_inactive_agencies=include_inactive_agencies,
    )
    modules = _module_refs(module)
    if not modules:
        return None
    scope_sql, scope_params = scope.values_list(
        "id", "agency_id", "team_id", "job_role_id", "start_date", "role_since"
    ).query.sql_with_params()
    sql = _STATE_STATUS_SQL.format(scope=scope_sql, modules=", ".join(["%s"] * len(modules)))
    return sql, [*scope_params, *modules], modules


def state_pairs(
    *,
    on: datetime.date,
    staff: QuerySet | None = None,
    agencies: QuerySet | None = None,
    agency=None,
    team=None,
    job_role=None,
    tier=None,
    module=None,
    status: Status | None = None,
    include_inactive_agencies: bool | None = None,
):
    """The maintained state's pairs (training.models.PairState) of the scope of `compliance_pairs`,
    in `status` when one is given, as an unordered queryset for the database to filter, sort and
    page, and the modules in scope ({id: ModuleRef}). One query (modules); the caller may ask only
    when the state is on `on` (training.selectors.state.maintained).

    Without a `staff` queryset the pairs are narrowed by their own columns (the agency, team and
    job role each pair keeps; `agencies`: an Agency queryset such as the user's visible agencies),
    as `_state_counts` narrows the counts: the state holds only people current on its day, so the
    staff table is not read at all. A `staff` queryset (a search) is read as the engine reads it."""
    modules = _module_refs(module)
    if staff is None:
        pairs = _pairs_narrowed(
            PairState.objects.order_by(),
            agencies=agencies,
            agency=agency,
            team=team,
            job_role=job_role,
            tier=tier,
            include_inactive_agencies=include_inactive_agencies,
        ).filter(module_id__in=list(modules))
    else:
        scope = current_staff(
            on=on,
            staff=staff if agencies is None else staff.filter(agency__in=agencies),
            agency=agency,
            team=team,
            job_role=job_role,
            tier=tier,
            include_inactive_agencies=include_inactive_agencies,
        )
        pairs = PairState.objects.order_by().filter(staff__in=scope.values("id"), module_id__in=list(modules))
    if status is not None:
        pairs = pairs.filter(status=status.value)
    return pairs, modules


class ReminderPair(NamedTuple):
    """A pair as the reminder planner reads it from the maintained state: what notifications.rules
    asks of the engine's pairs (status, due, anchor and expiry dates, whether it was ever
    completed), without how it was met. `completion` is None for a pair never completed (due,
    overdue) and True otherwise: the planner asks only whether there is one."""

    staff_id: int
    agency: AgencyRef
    module: ModuleRef
    status: Status
    due_on: datetime.date | None
    anchor_on: datetime.date | None
    expires_on: datetime.date | None
    completion: bool | None


def reminder_pairs(*, on: datetime.date, statuses) -> list[ReminderPair]:
    """The pairs of `compliance_pairs(on=on)` (current staff of active agencies, active modules)
    in `statuses` (those the planner says may ask for a reminder, notifications.rules), read from
    the maintained state: two queries and about 40% of the pairs, where the engine works out every
    pair. The caller may ask only when the state is on `on` (training.selectors.state.maintained);
    tests/notifications checks the plan equals the engine's."""
    pairs, modules = state_pairs(on=on)
    agencies = _agency_refs()
    rows = pairs.filter(status__in=[str(status) for status in statuses]).values_list(
        "staff_id", "agency_id", "module_id", "status", "key_date", "anchor_on"
    )
    by_value = {status.value: status for status in Status}
    found = []
    for staff_id, agency_id, module_id, status, day, anchor_on in rows.iterator(CHUNK_SIZE):
        status = by_value[status]
        if status.never_completed:
            found.append(
                ReminderPair(
                    staff_id, agencies[agency_id], modules[module_id], status, day, anchor_on, None, None
                )
            )
        else:
            found.append(
                ReminderPair(staff_id, agencies[agency_id], modules[module_id], status, None, None, day, True)
            )
    return found


def plus_days(date_sql: str, days_sql: str) -> str:
    """SQL for a date `days_sql` days after `date_sql` (negative: before), on either database.
    Both arguments are SQL expressions of this module's own, never values."""
    if connection.vendor == "postgresql":
        return f"({date_sql} + CAST({days_sql} AS integer))"
    return f"date({date_sql}, ({days_sql}) || ' days')"


def _greatest(*expressions: str) -> str:
    """The latest of non-null date expressions (GREATEST on PostgreSQL, SQLite's scalar MAX)."""
    function = "GREATEST" if connection.vendor == "postgresql" else "MAX"
    return f"{function}({', '.join(expressions)})"


# What the maintained state keeps of each pair (training.models.PairState), from the statuses
# above: the key date (training.compliance.key_date) and the first day the status may change by
# its own dates (training.compliance.status_changes_on), both restated here for the database.
_STATE_ROWS_SQL = """
, dated AS (
    SELECT staff_id, module_id, status, window_days, agency_id, team_id, job_role_id,
        CASE WHEN status IN ('due', 'overdue') THEN anchor_on END AS anchor_on,
        CASE WHEN status = 'exempt' THEN NULLIF(exempt_until, %s)
            WHEN status IN ('due', 'overdue') THEN due_on
            ELSE NULLIF(expires_on, %s) END AS key_date
    FROM statuses
)
SELECT staff_id, module_id, status, key_date,
    CASE WHEN key_date IS NULL THEN NULL
        WHEN status = 'exempt' THEN {day_after}
        WHEN status IN ('due', 'renewal_due') THEN key_date
        WHEN status = 'compliant' THEN {window_opens}
    END AS changes_on,
    agency_id, team_id, job_role_id, anchor_on
FROM dated
"""


def pair_state_query(*, on: datetime.date, staff: QuerySet | None = None, module=None):
    """The SQL and parameters selecting (staff_id, module_id, status, key_date, changes_on, agency_id,
    team_id, job_role_id, anchor_on) of every pair of `staff` (every agency, active or not) on `on`: what
    training.state.pair_states_refresh writes into the maintained state. None when no module is
    active."""
    query = _status_query(
        on=on,
        staff=staff,
        agency=None,
        team=None,
        job_role=None,
        tier=None,
        module=module,
        include_inactive_agencies=True,
    )
    if query is None:
        return None
    sql, params, _ = query
    rows = _STATE_ROWS_SQL.format(
        day_after=plus_days("key_date", "1"), window_opens=plus_days("key_date", "-window_days")
    )
    return sql + rows, [*params, NEVER, NEVER]


# ---------------------------------------------------------------------------------------------
# Figures over pairs: plain functions that every page, export, digest and command shares
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ComplianceSummary:
    """Counts of pairs by status and of people, with the compliance rate.

    rate = valid pairs / (required pairs - exempt pairs), None when nothing is left to measure
    (no pairs, or every pair exempt): "no figure" is honest where 0% or 100% would mislead.
    A person is compliant when every one of their pairs is valid or exempt; people are those with
    at least one pair in the group.
    """

    counts: Mapping[Status, int]
    people_total: int
    people_compliant: int

    def count(self, status: Status) -> int:
        return self.counts.get(status, 0)

    @property
    def required(self) -> int:
        return sum(self.counts.values())

    @property
    def exempt(self) -> int:
        return self.count(Status.EXEMPT)

    @property
    def valid(self) -> int:
        return self.count(Status.COMPLIANT) + self.count(Status.RENEWAL_DUE)

    @property
    def not_valid(self) -> int:
        return self.required - self.exempt - self.valid

    @property
    def rate(self) -> float | None:
        denominator = self.required - self.exempt
        return self.valid / denominator if denominator else None

    def status_counts(self) -> dict[str, int]:
        """Every status, in report order, as plain strings: {"compliant": n, ..., "exempt": n}."""
        return {status.value: self.count(status) for status in Status}


def compliance_summary(pairs: Iterable[CompliancePair]) -> ComplianceSummary:
    pairs = pairs if isinstance(pairs, list | tuple) else list(pairs)
    counts = Counter(pair.status for pair in pairs)
    people = {pair.staff_id for pair in pairs}
    not_compliant = {pair.staff_id for pair in pairs if pair.status in _NOT_OK}
    return ComplianceSummary(
        counts={status: counts[status] for status in Status},
        people_total=len(people),
        people_compliant=len(people) - len(not_compliant),
    )


# A person with any pair in one of these statuses is not compliant.
_NOT_OK = frozenset(status for status in Status if not status.is_valid and status is not Status.EXEMPT)


def summaries_by(
    pairs: Iterable[CompliancePair], key: Callable[[CompliancePair], Hashable]
) -> dict[Hashable, ComplianceSummary]:
    """One summary per value of `key`, e.g. key=lambda p: (p.agency, p.module) for a heat map.
    Groups appear in the order first met; sort them for display."""
    groups = defaultdict(list)
    for pair in pairs:
        groups[key(pair)].append(pair)
    return {group: compliance_summary(members) for group, members in groups.items()}


def by_agency(pairs) -> dict[AgencyRef, ComplianceSummary]:
    return summaries_by(pairs, attrgetter("agency"))


def by_module(pairs) -> dict[ModuleRef, ComplianceSummary]:
    return summaries_by(pairs, attrgetter("module"))


def by_job_role(pairs) -> dict[JobRoleRef, ComplianceSummary]:
    return summaries_by(pairs, attrgetter("job_role"))


def by_tier(pairs) -> dict[int, ComplianceSummary]:
    """By the tier of the person's job role (the workforce tier, 1 Awareness to 4 Strategic)."""
    return summaries_by(pairs, attrgetter("job_role.tier"))


def count_pairs(pairs: Iterable[CompliancePair]) -> ComplianceCounts:
    """What `compliance_counts` counts in the database, counted from pairs in Python."""
    pair_counts = Counter()
    people = {}
    for pair in pairs:
        pair_counts[pair.agency, pair.job_role, pair.module, pair.status] += 1
        person = people.setdefault(pair.staff_id, (pair.agency, pair.job_role, set()))
        person[2].add(pair.status)
    people_counts = Counter(
        (agency, job_role, frozenset(statuses)) for agency, job_role, statuses in people.values()
    )
    return ComplianceCounts(pairs=dict(pair_counts), people=dict(people_counts))


def worst_status_by_person(pairs: Iterable[CompliancePair]) -> dict[int, Status]:
    """Each person's most severe status (training.compliance.SEVERITY_ORDER), by staff id."""
    statuses = defaultdict(list)
    for pair in pairs:
        statuses[pair.staff_id].append(pair.status)
    return {staff_id: worst_status(person) for staff_id, person in statuses.items()}
