"""Reads behind the compliance pages: the partnership dashboard, an agency's page, the people
behind a count, and one person's requirements.

Every figure comes from the one engine in training.selectors. Pages of figures (the dashboard, an
agency's page) count the pairs in the database (`compliance_counts`: a few hundred rows whatever the
number of people) and build the engine's summaries from those counts; pages that show dates (the
people behind a count, a person's page) use `compliance_pairs`. Scope always starts from
workforce.access.visible_staff(user), so nothing here can reach outside what the user may see.
"""

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, fields
from itertools import groupby
from operator import attrgetter, itemgetter
from typing import NamedTuple

from django.db import connection
from django.db.models import F, Min, Value, Window
from django.db.models.functions import Coalesce, Collate, Lower

from workforce import access
from workforce.models import StaffMember, Tier

from ..compliance import SEVERITY_ORDER, Status
from ..models import Completion
from .engine import (
    CHUNK_SIZE,
    ComplianceCounts,
    CompliancePair,
    ComplianceSummary,
    ModuleRef,
    compliance_counts,
    compliance_pairs,
    compliance_statuses,
    compliance_summary,
    count_pairs,
    state_pairs,
    worst_status_by_person,
)
from .state import maintained


@dataclass(frozen=True)
class ComplianceFilters:
    """What the figures are narrowed to. `status` does not narrow the pairs counted: it chooses
    which status the heat map and breakdowns measure (the share of pairs in that status)."""

    agency: object = None
    team: object = None
    job_role: object = None
    tier: int | None = None
    module: object = None
    status: Status | None = None

    @property
    def tier_label(self) -> str | None:
        return Tier(self.tier).label if self.tier is not None else None

    def scope(self) -> dict:
        """The filters that narrow the pairs, as the engine's keyword arguments (all but status)."""
        return {
            "agency": self.agency,
            "team": self.team,
            "job_role": self.job_role,
            "tier": self.tier,
            "module": self.module,
        }

    @property
    def any(self) -> bool:
        return any(getattr(self, each.name) is not None for each in fields(self))

    def narrow(self, queryset, *, staff="staff", module="module", agency=None):
        """`queryset` (of rows about a person and a module, such as completions or outbox items)
        narrowed by the person's agency, team, job role and job-role tier and by the module, the
        way the engine narrows pairs. `staff` and `module` name the rows' fields; `agency` the
        field the agency filter reads when it is not the person's (an outbox digest has an agency
        and no person). Status is not applied: each list has its own."""
        lookups = {
            agency or f"{staff}__agency": self.agency,
            f"{staff}__team": self.team,
            f"{staff}__job_role": self.job_role,
            f"{staff}__job_role__tier": self.tier,
            module: self.module,
        }
        return queryset.filter(**{name: value for name, value in lookups.items() if value is not None})

    def query(self, **overrides) -> dict[str, str]:
        """The filters as GET parameters (slugs, codes and ids); `overrides` replace some, and a
        value of None removes one."""
        values = {
            "agency": self.agency.slug if self.agency is not None else None,
            "team": self.team.pk if self.team is not None else None,
            "job_role": self.job_role.pk if self.job_role is not None else None,
            "tier": self.tier,
            "module": self.module.code if self.module is not None else None,
            "status": self.status.value if self.status is not None else None,
        }
        values.update(overrides)
        return {name: str(value) for name, value in values.items() if value not in (None, "")}


def scoped_pairs(*, staff, on: datetime.date, filters: ComplianceFilters) -> list[CompliancePair]:
    """Every pair in scope on `on`: `staff` is a queryset such as access.visible_staff(user) (None:
    everyone, for the command line), narrowed by every filter except status."""
    return compliance_pairs(on=on, staff=staff, **filters.scope())


def scoped_counts(*, agencies, on: datetime.date, filters: ComplianceFilters) -> ComplianceCounts:
    """The pairs and people of `scoped_pairs` for the people of `agencies` (an Agency queryset such
    as access.visible_agencies(user): the staff access.visible_staff gives), counted by the
    database: from the maintained state's counts when it is on `on`, else by the engine."""
    return compliance_counts(on=on, agencies=agencies, from_state=maintained(on), **filters.scope())


def worst_statuses(*, staff, on: datetime.date, filters: ComplianceFilters, people) -> dict[int, Status]:
    """The worst status of each of `people` (staff ids, e.g. one page of a list) within the scope of
    `scoped_pairs`, by staff id; people with no pair in scope are left out."""
    if not people:
        return {}
    rows = compliance_statuses(
        on=on, staff=staff.filter(pk__in=list(people)), from_state=maintained(on), **filters.scope()
    )
    return worst_status_by_person(rows)


def with_status(pairs, status: Status | None) -> list[CompliancePair]:
    if status is None:
        return list(pairs)
    return [pair for pair in pairs if pair.status is status]


# ---------------------------------------------------------------------------------------------
# Cells: one figure of a heat map or breakdown, with its colour band
# ---------------------------------------------------------------------------------------------

RATE_BANDS = ((90, 4, "90% or more"), (75, 3, "75% to 89%"), (50, 2, "50% to 74%"), (0, 1, "Under 50%"))
SHARE_BANDS = ((50, 4, "50% or more"), (25, 3, "25% to 49%"), (10, 2, "10% to 24%"), (1, 1, "1% to 9%"))
SHARE_NONE = (0, "None")
# A group with fewer required modules than this gives a figure too jumpy to compare ("0%, 0 of 1"):
# its cells are shown muted and marked as a small group, in words for screen readers too.
SMALL_GROUP_BELOW = 5
SMALL_GROUP_TEXT = f"Fewer than {SMALL_GROUP_BELOW} required: too few to compare"


def floor_percent(numerator: int, denominator: int) -> int | None:
    """A whole percentage rounded down, from integers (no float error): 299 of 300 is 99%, never
    a misleading 100%. None when there is nothing to measure."""
    return numerator * 100 // denominator if denominator else None


@dataclass(frozen=True)
class Cell:
    """One figure: the compliance rate of a group, or (with a status) the share of its pairs in
    that status. Exempt pairs are left out of the denominator, as they are of the rate."""

    summary: ComplianceSummary
    status: Status | None = None

    @property
    def numerator(self) -> int:
        return self.summary.valid if self.status is None else self.summary.count(self.status)

    @property
    def denominator(self) -> int:
        if self.status is Status.EXEMPT:
            return self.summary.required
        return self.summary.required - self.summary.exempt

    @property
    def percent(self) -> int | None:
        return floor_percent(self.numerator, self.denominator)

    @property
    def band(self) -> str:
        """A CSS modifier: decoration only, the figure itself is always written out."""
        percent = self.percent
        if percent is None:
            return "none"
        if self.status is None:
            return f"rate-{next(band for floor, band, _ in RATE_BANDS if percent >= floor)}"
        return f"share-{next((band for floor, band, _ in SHARE_BANDS if percent >= floor), 0)}"

    @property
    def small(self) -> bool:
        """A figure of fewer than SMALL_GROUP_BELOW modules (0 of 1 is 0%, and says little)."""
        return 0 < self.denominator < SMALL_GROUP_BELOW

    @property
    def what(self) -> str:
        return "valid" if self.status is None else self.status.label.lower()


def legend(status: Status | None) -> list[tuple[str, str]]:
    """(CSS modifier, meaning) for the colour bands in use."""
    if status is None:
        return [(f"rate-{band}", label) for _, band, label in RATE_BANDS] + [
            ("none", "No one required"),
            ("small", SMALL_GROUP_TEXT),
        ]
    return [(f"share-{band}", label) for _, band, label in SHARE_BANDS] + [
        (f"share-{SHARE_NONE[0]}", SHARE_NONE[1]),
        ("none", "No one required"),
        ("small", SMALL_GROUP_TEXT),
    ]


@dataclass(frozen=True)
class Row:
    """A labelled group of a breakdown: `key` is what links use (an id, slug, code or tier)."""

    label: str
    key: object
    cell: Cell


@dataclass(frozen=True)
class StatusCount:
    status: Status
    pairs: int
    people: int


@dataclass(frozen=True)
class HeatMap:
    modules: list  # ModuleRef, by code
    rows: list  # (AgencyRef, [(ModuleRef, Cell or None when nobody is required)], Cell of all modules)
    totals: list  # (ModuleRef, Cell of every agency)
    total: Cell


@dataclass(frozen=True)
class Figures:
    """Everything the dashboard and an agency page show, from one count of the pairs."""

    on: datetime.date
    filters: ComplianceFilters
    summary: ComplianceSummary
    overall: Cell
    status_counts: list[StatusCount]
    heat_map: HeatMap
    by_module: list[Row]
    by_tier: list[Row]
    by_job_role: list[Row]

    @property
    def legend(self):
        return legend(self.filters.status)


def compliance_figures(*, user, on: datetime.date, filters: ComplianceFilters) -> Figures:
    """The figures of the pairs the user may see, narrowed by `filters`, counted by the database."""
    counts = scoped_counts(agencies=access.visible_agencies(user), on=on, filters=filters)
    return figures_from_counts(counts, on, filters)


def figures_from_pairs(pairs, on, filters) -> Figures:
    """The same figures from the engine's pairs (counted in Python)."""
    return figures_from_counts(count_pairs(pairs), on, filters)


def figures_from_counts(counts: ComplianceCounts, on, filters) -> Figures:
    """Build the engine's ComplianceSummary for each group from the counts, so every rate and count
    follows the one definition in training.selectors."""
    tally = Tally(counts)
    status = filters.status
    summary = tally.people_summary(lambda agency, job_role: True)
    return Figures(
        on=on,
        filters=filters,
        summary=summary,
        overall=Cell(summary, status),
        status_counts=[StatusCount(each, summary.count(each), tally.people_with(each)) for each in Status],
        heat_map=_heat_map(tally, status),
        by_module=[
            Row(module.code, module.code, Cell(tally.module_summary(module), status))
            for module in tally.modules
        ],
        by_tier=[
            Row(
                Tier(tier).label,
                tier,
                Cell(tally.people_summary(lambda _, role, t=tier: role.tier == t), status),
            )
            for tier in sorted({role.tier for role in tally.job_roles})
        ],
        by_job_role=[
            Row(role.name, role.id, Cell(tally.people_summary(lambda _, each, r=role: each == r), status))
            for role in sorted(tally.job_roles, key=lambda ref: ref.name.casefold())
        ],
    )


class Tally:
    """The counts summed into the small tables every figure is read from: pairs by (agency,
    module) and by (agency, job role), people by (agency, job role) and by status.

    Every pair of one person shares their agency and job role, so people-level figures of agencies,
    job roles and tiers are exact; a person has one pair per module, so a module's (or an agency
    and module's) people are its pairs. A person is compliant when every status they have is valid
    or exempt.
    """

    def __init__(self, counts: ComplianceCounts):
        self.by_agency_module = defaultdict(Counter)
        self.by_agency_role = defaultdict(Counter)
        for (agency, job_role, module, status), count in counts.pairs.items():
            self.by_agency_module[agency, module][status] += count
            self.by_agency_role[agency, job_role][status] += count
        self.people_by_agency_role = defaultdict(lambda: [0, 0])
        self.people_by_status = Counter()
        for (agency, job_role, statuses), count in counts.people.items():
            group = self.people_by_agency_role[agency, job_role]
            group[0] += count
            group[1] += count if statuses <= _OK else 0
            for status in statuses:
                self.people_by_status[status] += count
        self.agencies = sorted({key[0] for key in counts.pairs}, key=lambda ref: ref.name.casefold())
        self.modules = sorted({key[2] for key in counts.pairs}, key=attrgetter("code"))
        self.job_roles = {key[1] for key in counts.pairs}

    def people_summary(self, include) -> ComplianceSummary:
        """The pairs and people of the (agency, job role) groups for which include(agency, role)."""
        by_status = Counter()
        for (agency, job_role), statuses in self.by_agency_role.items():
            if include(agency, job_role):
                by_status.update(statuses)
        people_total = people_compliant = 0
        for (agency, job_role), (total, compliant) in self.people_by_agency_role.items():
            if include(agency, job_role):
                people_total += total
                people_compliant += compliant
        return _summary(by_status, people_total, people_compliant)

    def module_summary(self, module, agency=None) -> ComplianceSummary:
        """One module's pairs, of every agency or of one; each pair is one person."""
        by_status = Counter()
        for (each_agency, each_module), statuses in self.by_agency_module.items():
            if each_module == module and (agency is None or each_agency == agency):
                by_status.update(statuses)
        total = sum(by_status.values())
        valid_or_exempt = sum(count for status, count in by_status.items() if _ok(status))
        return _summary(by_status, total, valid_or_exempt)

    def has(self, agency, module) -> bool:
        return (agency, module) in self.by_agency_module

    def people_with(self, status: Status) -> int:
        return self.people_by_status[status]


_OK = frozenset(status for status in Status if status.is_valid or status is Status.EXEMPT)


def _ok(status):
    """Valid or exempt: nothing is asked of the person for this pair."""
    return status in _OK


def _summary(by_status, people_total, people_compliant):
    return ComplianceSummary(
        counts={status: by_status.get(status, 0) for status in Status},
        people_total=people_total,
        people_compliant=people_compliant,
    )


def _heat_map(tally, status) -> HeatMap:
    rows = []
    for agency in tally.agencies:
        cells = [
            (
                module,
                Cell(tally.module_summary(module, agency), status) if tally.has(agency, module) else None,
            )
            for module in tally.modules
        ]
        agency_summary = tally.people_summary(lambda each, _, a=agency: each == a)
        rows.append((agency, cells, Cell(agency_summary, status)))
    return HeatMap(
        modules=tally.modules,
        rows=rows,
        totals=[(module, Cell(tally.module_summary(module), status)) for module in tally.modules],
        total=Cell(tally.people_summary(lambda agency, job_role: True), status),
    )


# ---------------------------------------------------------------------------------------------
# The people behind a count
# ---------------------------------------------------------------------------------------------


def _urgency(pair):
    # Most urgent first: the earliest due, expiry or exemption end date; never-expiring last.
    day = pair.key_date
    return (day is None, day or datetime.date.max)


def people_behind(pairs, status: Status | None) -> list[tuple[int, list[CompliancePair]]]:
    """(staff id, that person's pairs in `status`, or all of them) for each person with at least
    one, most urgent first; each person's pairs worst status first, then most urgent.

    Each pair's urgency is worked out once: at partnership scale the sorts would otherwise
    recompute half a million key dates."""
    severity = {status: rank for rank, status in enumerate(SEVERITY_ORDER)}
    by_person = {}
    for pair in with_status(pairs, status):
        by_person.setdefault(pair.staff_id, []).append(
            (-severity[pair.status], _urgency(pair), pair.module.code, pair)
        )
    in_order = itemgetter(0, 1, 2)
    groups = []
    for staff_id, entries in by_person.items():
        entries.sort(key=in_order)
        most_urgent = min(urgency for _severity, urgency, _code, _pair in entries)
        groups.append((most_urgent, staff_id, [pair for *_key, pair in entries]))
    groups.sort(key=itemgetter(0, 1))
    return [(staff_id, person_pairs) for _urgency_key, staff_id, person_pairs in groups]


class StatePair(NamedTuple):
    """A pair of the people behind a count as the maintained state holds it: what the list shows
    of it (its module, status and key date, training.compliance.key_date)."""

    staff_id: int
    module: ModuleRef
    status: Status
    key_date: datetime.date | None


# The staff fields a list of people sorts by, by the names of PersonDetails (the engine's list
# sorts the same names in Python).
_DETAIL_FIELDS = {
    "last_name": "staff__last_name",
    "first_name": "staff__first_name",
    "staff_number": "staff__staff_number",
    "email": "staff__email",
    "agency": "staff__agency__name",
    "team": "staff__team__name",
    "job_role": "staff__job_role__name",
}


def _sort_text(name):
    """A person's field as the engine's list compares it: in lower case, empty when missing, by
    code point (PostgreSQL's default collation would order by language rules; SQLite compares
    bytes already). Python's casefold also folds a few letters lower() keeps (ß)."""
    expression = Lower(Coalesce(_DETAIL_FIELDS[name], Value("")))
    return Collate(expression, "C") if connection.vendor == "postgresql" else expression


class PeopleList:
    """The people behind a count from the maintained state: `people_behind` of the same scope, in
    the same order, with the filtering, sorting and paging done by the database. A sequence as
    Django's Paginator takes one: `count()` is one query, a slice two (the window's people, then
    their pairs), whatever the number of people.

    `order`: PersonDetails field names to sort people by (each then most urgent first, as the
    engine's stable sort leaves ties), or none for most urgent first; `descending` reverses the
    fields (or, by urgency, the whole order)."""

    def __init__(self, *, pairs, modules, order=(), descending=False, total=None):
        self.pairs = pairs
        self.modules = modules
        self.order = tuple(order)
        self.descending = descending
        self._total = total  # a callable giving count() from the state's counts, when it can

    def _ordering(self):
        soonest, staff_id = F("soonest"), F("staff_id")
        if not self.order and self.descending:
            return [soonest.desc(nulls_first=True), staff_id.desc()]
        texts = [_sort_text(name) for name in self.order]
        texts = [text.desc() if self.descending else text.asc() for text in texts]
        return [*texts, soonest.asc(nulls_last=True), staff_id.asc()]

    def _people(self):
        """One row per person, in order: a person is as urgent as their most urgent pair listed."""
        return (
            self.pairs.values("staff_id")
            .annotate(soonest=Min("key_date"))
            .order_by(*self._ordering())
            .values_list("staff_id", "soonest")
        )

    def count(self) -> int:
        if self._total is not None:
            return self._total()
        return self.pairs.values("staff_id").distinct().count()

    def __len__(self):
        return self.count()

    def __getitem__(self, window):
        if not isinstance(window, slice):
            raise TypeError("A list of people is read in slices.")
        people = [staff_id for staff_id, _soonest in self._people()[window]]
        if not people:
            return []
        pairs = defaultdict(list)
        rows = self.pairs.filter(staff_id__in=people).values_list(
            "staff_id", "module_id", "status", "key_date"
        )
        for staff_id, module_id, status, day in rows:
            pairs[staff_id].append(StatePair(staff_id, self.modules[module_id], Status(status), day))
        return [(staff_id, _in_order(pairs[staff_id])) for staff_id in people]

    def staff_ids(self) -> list[int]:
        """Everyone listed, in order (a bulk action on the whole list). One query."""
        return [staff_id for staff_id, _soonest in self._people()]

    def with_details(self):
        """(PersonDetails, pairs) of everyone listed, in order, streamed from one query: the pairs
        with each person's details and their most urgent day beside them, a person's rows together."""
        fields = [_DETAIL_FIELDS[name] for name in PersonDetails._fields[1:]]
        rows = (
            self.pairs.annotate(soonest=Window(Min("key_date"), partition_by=[F("staff_id")]))
            .order_by(*self._ordering())
            .values_list("staff_id", "module_id", "status", "key_date", *fields)
        )
        for staff_id, group in groupby(rows.iterator(CHUNK_SIZE), key=itemgetter(0)):
            group = list(group)
            details = PersonDetails(staff_id, *group[0][4:])
            pairs = [StatePair(staff_id, self.modules[row[1]], Status(row[2]), row[3]) for row in group]
            yield details, _in_order(pairs)


_SEVERITY = {status: rank for rank, status in enumerate(SEVERITY_ORDER)}


def _in_order(pairs):
    """One person's pairs as `people_behind` lists them: worst status first, then most urgent."""
    return sorted(pairs, key=lambda pair: (-_SEVERITY[pair.status], _urgency(pair), pair.module.code))


def people_list(
    *, staff, on: datetime.date, filters: ComplianceFilters, order=(), descending=False, agencies=None
):
    """The people behind a count of `staff` (a queryset: the user's scope, searched) on `on`, from
    the maintained state, which the caller may ask only when it is on `on` (`maintained(on)`).

    `agencies`, for a list that is not searched: the user's visible agencies (access.
    visible_agencies, whose people `staff` is). The pairs are then narrowed by the groups they keep
    and the total read from the state's counts, so neither reads the staff table (at 250,000 staff,
    each of those two reads hashed 230,000 people)."""
    if agencies is None:
        pairs, modules = state_pairs(on=on, staff=staff, status=filters.status, **filters.scope())
        return PeopleList(pairs=pairs, modules=modules, order=order, descending=descending)
    pairs, modules = state_pairs(on=on, agencies=agencies, status=filters.status, **filters.scope())

    def total():
        counts = compliance_counts(on=on, agencies=agencies, from_state=True, **filters.scope())
        wanted = filters.status
        return sum(n for (_, _, found), n in counts.people.items() if wanted is None or wanted in found)

    return PeopleList(pairs=pairs, modules=modules, order=order, descending=descending, total=total)


@dataclass(frozen=True)
class PersonRow:
    staff: StaffMember
    pairs: list


def people_rows(groups) -> list[PersonRow]:
    """The staff records of one page of `people_behind`, in one query."""
    staff = StaffMember.objects.select_related("agency", "job_role", "team").in_bulk([pk for pk, _ in groups])
    return [PersonRow(staff[pk], pairs) for pk, pairs in groups if pk in staff]


class PersonDetails(NamedTuple):
    """What a list of people sorts by and downloads of each person, read in one query."""

    pk: int
    last_name: str
    first_name: str
    staff_number: str
    email: str
    agency: str
    team: str | None
    job_role: str


def people_details(staff) -> dict[int, PersonDetails]:
    """{staff id: PersonDetails} of everyone in `staff` (a queryset), in one query: a whole list can
    be sorted by name or downloaded without a query per person."""
    rows = staff.values_list(
        "pk",
        "last_name",
        "first_name",
        "staff_number",
        "email",
        "agency__name",
        "team__name",
        "job_role__name",
    )
    return {row[0]: PersonDetails(*row) for row in rows}


# ---------------------------------------------------------------------------------------------
# One person
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Requirement:
    pair: CompliancePair
    completion: Completion | None  # the completion that meets it (the best counted one)


@dataclass(frozen=True)
class PersonCompliance:
    on: datetime.date
    current: bool
    requirements: list[Requirement]
    completions: list[Completion]
    summary: ComplianceSummary

    @property
    def worst_status(self) -> Status | None:
        return max((row.pair.status for row in self.requirements), key=SEVERITY_ORDER.index, default=None)


def person_pairs(*, staff: StaffMember, on: datetime.date) -> list[CompliancePair]:
    """One person's pairs on `on`, whatever their agency's state (their own page shows them even in
    an inactive agency), by module code. The person page reads them once and hands them to every
    panel that needs them."""
    pairs = compliance_pairs(
        on=on, staff=StaffMember.objects.filter(pk=staff.pk), include_inactive_agencies=True
    )
    return sorted(pairs, key=lambda pair: pair.module.code)


def person_compliance(*, staff: StaffMember, on: datetime.date, pairs=None) -> PersonCompliance:
    """One person's requirements with their status on `on` (from the engine; `pairs` from
    person_pairs when the caller has them already), and every completion they have whatever its
    route or verification, newest first. A fixed number of queries."""
    if pairs is None:
        pairs = person_pairs(staff=staff, on=on)
    completions = list(
        Completion.objects.filter(staff=staff)
        .select_related("module", "recorded_by", "verified_by")
        .order_by("-completed_on", "-id")
    )
    by_id = {completion.pk: completion for completion in completions}
    pairs = sorted(pairs, key=lambda pair: pair.module.code)
    requirements = [Requirement(pair, by_id.get(pair.completion_id)) for pair in pairs]
    return PersonCompliance(
        on=on,
        current=staff.is_current_on(on),
        requirements=requirements,
        completions=completions,
        summary=compliance_summary(pairs),
    )
