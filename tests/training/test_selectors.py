"""The set-based compliance selector: which pairs exist, their statuses, the figures over them, the
number of queries, and agreement with the pure function on random histories (hypothesis)."""

import datetime
from operator import attrgetter

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import factories
from training.compliance import (
    ASSIGNMENT,
    REQUIREMENT,
    CompletionFact,
    ExemptionFact,
    Status,
    assignment_obligation,
    combined_obligation,
    pair_status,
    requirement_obligation,
)
from training.models import (
    Assignment,
    Completion,
    CompletionSource,
    Exemption,
    ExemptionReason,
    Module,
    Requirement,
    Verification,
)
from training.selectors.engine import (
    by_agency,
    by_job_role,
    by_module,
    by_tier,
    compliance_counts,
    compliance_pairs,
    compliance_statuses,
    compliance_summary,
    count_pairs,
    current_staff,
    summaries_by,
    worst_status_by_person,
)
from workforce.models import Agency, JobRole, Sector, StaffMember

D = datetime.date
ON = D(2026, 3, 4)
PAIR_QUERIES = 9
STATUS_QUERIES = 3


def statuses(pairs):
    return {(pair.staff_id, pair.module.code): pair.status for pair in pairs}


@pytest.fixture
def world(db):
    """Two active agencies and an inactive one; a role requiring HSB-101 (36 months), HSB-102
    (never expires) and a retired module; people who are current, left, not yet started."""
    active_a = factories.AgencyFactory(slug="agency-a", name="Agency A")
    active_b = factories.AgencyFactory(slug="agency-b", name="Agency B")
    inactive = factories.AgencyFactory(slug="agency-gone", name="Gone agency", active=False)
    team = factories.TeamFactory(agency=active_a, name="North")
    role = factories.JobRoleFactory(name="Social worker", tier=2)
    other_role = factories.JobRoleFactory(name="Teacher", tier=1)
    m101 = factories.ModuleFactory(code="HSB-101", validity_months=36)
    m102 = factories.ModuleFactory(code="HSB-102", validity_months=None)
    retired = factories.ModuleFactory(code="HSB-999", active=False)
    extra = factories.ModuleFactory(code="HSB-401")
    for module in (m101, m102, retired):
        factories.RequirementFactory(job_role=role, module=module, starts_on=D(2020, 1, 1))
    factories.RequirementFactory(job_role=other_role, module=m101, starts_on=D(2020, 1, 1))

    def person(name, agency, **fields):
        fields.setdefault("job_role", role)
        return factories.StaffMemberFactory(agency=agency, first_name=name, last_name="Test", **fields)

    people = {
        "alice": person("Alice", active_a, team=team),
        "leaver": person("Leo", active_a, left_on=D(2026, 1, 31)),
        "starter": person("Sam", active_a, start_date=D(2026, 4, 1), role_since=D(2026, 4, 1)),
        "dan": person("Dan", active_b),
        "newrole": person("Nia", active_b, role_since=D(2026, 1, 10)),
        "teacher": person("Tom", active_b, job_role=other_role),
        "gone": person("Gus", inactive),
    }
    verified = {"source": CompletionSource.MANUAL, "verification": Verification.VERIFIED}
    factories.CompletionFactory(
        staff=people["alice"], module=m101, completed_on=D(2023, 1, 10), expires_on=D(2026, 1, 10), **verified
    )
    factories.CompletionFactory(
        staff=people["alice"], module=m101, completed_on=D(2022, 5, 1), expires_on=D(2026, 4, 20), **verified
    )
    factories.CompletionFactory(
        staff=people["alice"], module=m102, completed_on=D(2026, 3, 5), expires_on=None, **verified
    )
    factories.CompletionFactory(
        staff=people["dan"],
        module=m101,
        completed_on=D(2026, 2, 1),
        expires_on=D(2029, 2, 1),
        source=CompletionSource.SELF_DECLARED,
        verification=Verification.PENDING,
    )
    factories.ExemptionFactory(
        staff=people["dan"], module=None, starts_on=D(2026, 3, 1), ends_on=D(2026, 3, 4)
    )
    factories.CompletionFactory(
        staff=people["teacher"], module=m101, completed_on=D(2025, 1, 1), expires_on=D(2028, 1, 1), **verified
    )
    factories.CompletionFactory(
        staff=people["gone"], module=m101, completed_on=D(2025, 1, 1), expires_on=D(2028, 1, 1), **verified
    )
    factories.AssignmentFactory(
        staff=people["teacher"], module=extra, assigned_on=D(2026, 2, 1), due_on=D(2026, 5, 1)
    )
    factories.AssignmentFactory(
        staff=people["teacher"], module=retired, assigned_on=D(2026, 2, 1), due_on=D(2026, 3, 1)
    )
    factories.AssignmentFactory(
        staff=people["dan"], module=extra, assigned_on=D(2026, 3, 5), due_on=D(2026, 4, 1)
    )
    ids = {name: staff.pk for name, staff in people.items()}
    return {
        "ids": ids,
        "agencies": (active_a, active_b, inactive),
        "team": team,
        "role": role,
        "extra": extra,
    }


def test_statuses_of_every_pair_in_the_partnership(world):
    ids = world["ids"]
    assert statuses(compliance_pairs(on=ON)) == {
        # The older completion expires later (20 April 2026), so it is the best: renewal due.
        (ids["alice"], "HSB-101"): Status.RENEWAL_DUE,
        # Completed the day after the report date: not yet on 4 March 2026.
        (ids["alice"], "HSB-102"): Status.OVERDUE,
        # Exempt from every module until (and including) 4 March.
        (ids["dan"], "HSB-101"): Status.EXEMPT,
        (ids["dan"], "HSB-102"): Status.EXEMPT,
        # Took the role on 10 January 2026: due by 10 April 2026.
        (ids["newrole"], "HSB-101"): Status.DUE,
        (ids["newrole"], "HSB-102"): Status.DUE,
        (ids["teacher"], "HSB-101"): Status.COMPLIANT,
        # Assigned: due 1 May 2026. The assignment of a retired module requires nothing.
        (ids["teacher"], "HSB-401"): Status.DUE,
    }


def test_leavers_future_starters_retired_modules_and_inactive_agencies_have_no_pairs(world):
    ids = world["ids"]
    pairs = compliance_pairs(on=ON)
    people = {pair.staff_id for pair in pairs}
    assert ids["leaver"] not in people
    assert ids["starter"] not in people
    assert ids["gone"] not in people
    assert "HSB-999" not in {pair.module.code for pair in pairs}


def test_a_leaver_counts_before_leaving_and_a_starter_from_the_start_date(world):
    ids = world["ids"]
    assert ids["leaver"] in {pair.staff_id for pair in compliance_pairs(on=D(2026, 1, 30))}
    assert ids["leaver"] not in {pair.staff_id for pair in compliance_pairs(on=D(2026, 1, 31))}
    assert ids["starter"] not in {pair.staff_id for pair in compliance_pairs(on=D(2026, 3, 31))}
    assert statuses(compliance_pairs(on=D(2026, 4, 1)))[ids["starter"], "HSB-101"] is Status.DUE


def test_naming_an_inactive_agency_includes_it(world):
    inactive = world["agencies"][2]
    pairs = compliance_pairs(on=ON, agency=inactive)
    assert statuses(pairs) == {
        (world["ids"]["gone"], "HSB-101"): Status.COMPLIANT,
        (world["ids"]["gone"], "HSB-102"): Status.OVERDUE,
    }
    assert world["ids"]["gone"] in {
        p.staff_id for p in compliance_pairs(on=ON, include_inactive_agencies=True)
    }


def test_historical_report_sees_only_what_had_happened(world):
    ids = world["ids"]
    later = statuses(compliance_pairs(on=D(2026, 3, 5)))
    assert later[ids["alice"], "HSB-102"] is Status.COMPLIANT
    # The exemption ended on 4 March; the pending self-declaration still does not count.
    assert later[ids["dan"], "HSB-101"] is Status.OVERDUE
    # Dan's assignment began on 5 March.
    assert later[ids["dan"], "HSB-401"] is Status.DUE
    earlier = statuses(compliance_pairs(on=D(2025, 12, 1)))
    assert earlier[ids["alice"], "HSB-101"] is Status.COMPLIANT
    assert (ids["teacher"], "HSB-401") not in earlier


def test_requirement_not_yet_in_force_is_not_required(world):
    Requirement.objects.filter(module__code="HSB-102").update(starts_on=D(2026, 6, 1))
    assert "HSB-102" not in {pair.module.code for pair in compliance_pairs(on=ON)}
    due = statuses(compliance_pairs(on=D(2026, 6, 1)))
    # A new requirement moves the anchor: due within 90 days of 1 June 2026, whoever the person.
    assert due[world["ids"]["dan"], "HSB-102"] is Status.DUE


def test_assignment_and_requirement_for_one_module_take_the_earlier_due_date(world):
    role_module = Module.objects.get(code="HSB-101")
    factories.AssignmentFactory(
        staff_id=world["ids"]["newrole"], module=role_module, assigned_on=D(2026, 1, 1), due_on=D(2026, 2, 1)
    )
    pairs = {(p.staff_id, p.module.id): p for p in compliance_pairs(on=ON)}
    pair = pairs[world["ids"]["newrole"], role_module.pk]
    assert (pair.status, pair.due_on, pair.anchor_on, pair.via) == (
        Status.OVERDUE,
        D(2026, 2, 1),
        D(2026, 1, 1),
        ASSIGNMENT,
    )


def test_pair_carries_how_it_was_met(world):
    pairs = {(p.staff_id, p.module.code): p for p in compliance_pairs(on=ON)}
    alice = pairs[world["ids"]["alice"], "HSB-101"]
    best = Completion.objects.get(staff_id=world["ids"]["alice"], completed_on=D(2022, 5, 1))
    assert alice.completion_id == best.pk
    assert (alice.completed_on, alice.expires_on, alice.key_date) == (
        D(2022, 5, 1),
        D(2026, 4, 20),
        D(2026, 4, 20),
    )
    assert alice.via == REQUIREMENT
    assert alice.agency.slug == "agency-a" and alice.team.name == "North" and alice.job_role.tier == 2
    dan = pairs[world["ids"]["dan"], "HSB-102"]
    assert dan.exemption_id == Exemption.objects.get().pk
    assert dan.key_date == D(2026, 3, 4)
    new = pairs[world["ids"]["newrole"], "HSB-101"]
    assert (new.anchor_on, new.due_on, new.key_date, new.completion) == (
        D(2026, 1, 10),
        D(2026, 4, 10),
        D(2026, 4, 10),
        None,
    )


def test_scope_filters(world):
    ids = world["ids"]
    agency_a, agency_b, _ = world["agencies"]
    assert {p.staff_id for p in compliance_pairs(on=ON, agency=agency_a)} == {ids["alice"]}
    assert {p.staff_id for p in compliance_pairs(on=ON, agency=[agency_a.pk, agency_b.pk])} == {
        ids["alice"],
        ids["dan"],
        ids["newrole"],
        ids["teacher"],
    }
    assert {p.staff_id for p in compliance_pairs(on=ON, team=world["team"])} == {ids["alice"]}
    assert {p.staff_id for p in compliance_pairs(on=ON, tier=1)} == {ids["teacher"]}
    assert {p.staff_id for p in compliance_pairs(on=ON, job_role=world["role"])} == {
        ids["alice"],
        ids["dan"],
        ids["newrole"],
    }
    only_401 = compliance_pairs(on=ON, module=world["extra"])
    assert statuses(only_401) == {(ids["teacher"], "HSB-401"): Status.DUE}
    visible = StaffMember.objects.filter(pk__in=[ids["dan"], ids["leaver"]])
    assert {p.staff_id for p in compliance_pairs(on=ON, staff=visible)} == {ids["dan"]}


def test_current_staff(world):
    ids = world["ids"]
    assert set(current_staff(on=ON).values_list("pk", flat=True)) == {
        ids["alice"],
        ids["dan"],
        ids["newrole"],
        ids["teacher"],
    }


def test_statuses_classified_in_sql_match_the_pairs(world):
    for on in (ON, D(2026, 3, 5), D(2025, 12, 1), D(2026, 4, 1), D(2026, 6, 1)):
        rows = compliance_statuses(on=on)
        assert {(row.staff_id, row.module_id): row.status for row in rows} == {
            (pair.staff_id, pair.module.id): pair.status for pair in compliance_pairs(on=on)
        }


def test_statuses_classified_in_sql_respect_the_scope(world):
    agency_a, agency_b, inactive = world["agencies"]
    for scope in (
        {"agency": agency_b},
        {"agency": inactive},
        {"tier": 1},
        {"module": world["extra"]},
        {"staff": StaffMember.objects.filter(pk=world["ids"]["dan"])},
    ):
        assert sorted(compliance_statuses(on=ON, **scope)) == sorted(
            (p.staff_id, p.agency.id, p.team.id if p.team else None, p.job_role.id, p.module.id, p.status)
            for p in compliance_pairs(on=ON, **scope)
        ), scope


def test_figures_from_sql_statuses_equal_figures_from_pairs(world):
    rows, pairs = compliance_statuses(on=ON), compliance_pairs(on=ON)
    assert compliance_summary(rows) == compliance_summary(pairs)
    assert worst_status_by_person(rows) == worst_status_by_person(pairs)
    per_agency = summaries_by(rows, lambda row: row.agency_id)
    assert per_agency == {ref.id: summary for ref, summary in by_agency(pairs).items()}


def test_no_active_module_means_no_statuses(world):
    Module.objects.update(active=False)
    assert compliance_statuses(on=ON) == []


# --- figures over pairs ----------------------------------------------------------------------


def test_summary_counts_rate_and_people(world):
    summary = compliance_summary(compliance_pairs(on=ON))
    assert summary.status_counts() == {
        "compliant": 1,
        "renewal_due": 1,
        "expired": 0,
        "due": 3,
        "overdue": 1,
        "exempt": 2,
    }
    assert (summary.required, summary.exempt, summary.valid, summary.not_valid) == (8, 2, 2, 4)
    assert summary.rate == pytest.approx(2 / 6)
    # Dan is exempt from everything: compliant. Alice is overdue, Nia and Tom have something due.
    assert (summary.people_total, summary.people_compliant) == (4, 1)


def test_rate_is_none_when_nothing_is_left_to_measure(world):
    assert compliance_summary([]).rate is None
    dan_only = compliance_pairs(on=ON, staff=StaffMember.objects.filter(pk=world["ids"]["dan"]))
    summary = compliance_summary(dan_only)
    assert (summary.required, summary.exempt, summary.rate) == (2, 2, None)
    assert (summary.people_total, summary.people_compliant) == (1, 1)


def test_breakdowns(world):
    pairs = compliance_pairs(on=ON)
    agencies = {ref.slug: summary for ref, summary in by_agency(pairs).items()}
    assert set(agencies) == {"agency-a", "agency-b"}
    assert agencies["agency-a"].status_counts()["renewal_due"] == 1
    assert agencies["agency-b"].people_total == 3
    modules = {ref.code: summary.required for ref, summary in by_module(pairs).items()}
    assert modules == {"HSB-101": 4, "HSB-102": 3, "HSB-401": 1}
    assert {tier: s.required for tier, s in by_tier(pairs).items()} == {2: 6, 1: 2}
    assert {ref.name: s.people_total for ref, s in by_job_role(pairs).items()} == {
        "Social worker": 3,
        "Teacher": 1,
    }
    assert {
        ref.name if ref else None: s.required for ref, s in summaries_by(pairs, attrgetter("team")).items()
    } == {
        "North": 2,
        None: 6,
    }
    heat = summaries_by(pairs, lambda p: (p.agency.slug, p.module.code))
    assert heat["agency-b", "HSB-101"].status_counts() == {
        "compliant": 1,
        "renewal_due": 0,
        "expired": 0,
        "due": 1,
        "overdue": 0,
        "exempt": 1,
    }


def test_worst_status_by_person(world):
    ids = world["ids"]
    worst = worst_status_by_person(compliance_pairs(on=ON))
    assert worst == {
        ids["alice"]: Status.OVERDUE,
        ids["dan"]: Status.EXEMPT,
        ids["newrole"]: Status.DUE,
        ids["teacher"]: Status.DUE,
    }


# --- a fixed number of queries -----------------------------------------------------------------


def _populate(count, *, agency, role, modules):
    for number in range(count):
        staff = factories.StaffMemberFactory(agency=agency, job_role=role)
        factories.CompletionFactory(
            staff=staff, module=modules[0], completed_on=D(2025, 1, 1), expires_on=D(2028, 1, 1)
        )
        if number % 2:
            factories.ExemptionFactory(staff=staff, module=modules[1], starts_on=D(2026, 1, 1))
        if number % 3:
            factories.AssignmentFactory(
                staff=staff, module=modules[2], assigned_on=D(2026, 1, 1), due_on=D(2026, 2, 1)
            )


def _count_queries(**kwargs):
    with CaptureQueriesContext(connection) as captured:
        pairs = compliance_pairs(on=ON, **kwargs)
    return len(captured), pairs


def test_query_count_does_not_grow_with_people(db, django_assert_max_num_queries):
    agency = factories.AgencyFactory()
    role = factories.JobRoleFactory()
    modules = [factories.ModuleFactory() for _ in range(3)]
    for module in modules[:2]:
        factories.RequirementFactory(job_role=role, module=module)
    _populate(5, agency=agency, role=role, modules=modules)
    few, few_pairs = _count_queries()
    _populate(45, agency=agency, role=role, modules=modules)
    many, many_pairs = _count_queries()
    # Two modules each, plus an assignment for two people in three.
    assert len(few_pairs) == 5 * 2 + 3
    assert len(many_pairs) == 50 * 2 + 33
    assert few == many == PAIR_QUERIES
    with django_assert_max_num_queries(PAIR_QUERIES):
        scoped = compliance_pairs(on=ON, agency=agency, tier=role.tier, module=[modules[0], modules[2]])
    assert len(scoped) == 50 + 33
    with django_assert_max_num_queries(STATUS_QUERIES):
        rows = compliance_statuses(on=ON)
    assert sorted((row.staff_id, row.module_id, row.status) for row in rows) == sorted(
        (pair.staff_id, pair.module.id, pair.status) for pair in many_pairs
    )


# --- pure function and set-based selector agree on random histories ------------------------------

BASE = D(2025, 1, 1)
# Dates are a few weeks apart at most, so that report dates often land exactly on an edge.
day_offsets = st.integers(min_value=0, max_value=40)
spans = st.integers(min_value=0, max_value=20)


def _day(offset):
    return BASE + datetime.timedelta(days=offset)


@st.composite
def histories(draw):
    """A small random partnership history. Report dates are drawn mostly from the history's own
    edges (completion and expiry days, renewal window openings, due dates, exemption ends, start
    and leaving days) and the day either side, where an off-by-one would show."""
    modules = [
        {
            "never_expires": draw(st.booleans()),
            "window": draw(st.integers(0, 15)),
            "active": draw(st.sampled_from([True, True, True, False])),
        }
        for _ in range(draw(st.integers(1, 3)))
    ]
    roles = [
        [
            {"module": index, "starts_on": draw(day_offsets), "within": draw(spans)}
            for index in draw(st.sets(st.integers(0, len(modules) - 1), min_size=1))
        ]
        for _ in range(draw(st.integers(1, 2)))
    ]
    people = [draw(_people(modules, roles)) for _ in range(draw(st.integers(1, 8)))]
    edges = sorted(_edges(modules, roles, people))
    # Every pair is decided on a few dates by both selectors, and on up to 20 edge dates by the SQL
    # one (a single query per date).
    on = [draw(st.integers(0, 80)), *draw(st.lists(st.sampled_from(edges), min_size=4, max_size=10))]
    more_on = draw(st.permutations(edges))[:20]
    return {
        "modules": modules,
        "roles": roles,
        "agencies_active": [True, draw(st.booleans())],
        "people": people,
        "on": on,
        "more_on": more_on,
        "scope": draw(st.sampled_from([None, None, 0, 1])),
    }


@st.composite
def _people(draw, modules, roles):
    module_index = st.integers(0, len(modules) - 1)
    start = draw(st.none() | day_offsets)
    # One in four has a leaving date, never before the start date.
    left = draw(day_offsets) if draw(st.integers(0, 3)) == 0 else None
    if start is not None and left is not None:
        left = max(left, start)
    completions, taken = [], set()
    for _ in range(draw(st.integers(0, 4))):
        module = draw(module_index)
        completed = draw(day_offsets)
        verification = draw(st.sampled_from(["verified", "verified", "pending", "rejected"]))
        if verification != "rejected":
            if (module, completed) in taken:
                continue  # one live completion per person, module and date (a database constraint)
            taken.add((module, completed))
        life = None if modules[module]["never_expires"] else draw(st.integers(1, 40))
        completions.append({"module": module, "on": completed, "life": life, "verification": verification})
    exemptions = [
        {
            "module": draw(st.none() | module_index),
            "starts_on": draw(day_offsets),
            "length": draw(st.none() | spans),
        }
        for _ in range(draw(st.integers(0, 2)))
    ]
    assignments = [
        {"module": module, "assigned_on": draw(day_offsets), "within": draw(spans)}
        for module in draw(st.sets(module_index, max_size=2))
    ]
    return {
        "agency": draw(st.integers(0, 1)),
        "role": draw(st.integers(0, len(roles) - 1)),
        "start": start,
        "role_since": draw(st.none() | day_offsets),
        "left": left,
        "completions": completions,
        "exemptions": exemptions,
        "assignments": assignments,
    }


def _edges(modules, roles, people):
    edges = set()
    for person in people:
        edges.update(
            day for day in (person["start"], person["role_since"], person["left"]) if day is not None
        )
        for spec in person["completions"]:
            edges.add(spec["on"])
            if spec["life"] is not None:
                expiry = spec["on"] + spec["life"]
                edges.update({expiry, expiry - modules[spec["module"]]["window"]})
        for spec in person["exemptions"]:
            edges.add(spec["starts_on"])
            if spec["length"] is not None:
                edges.add(spec["starts_on"] + spec["length"])
        for spec in person["assignments"]:
            edges.update({spec["assigned_on"], spec["assigned_on"] + spec["within"]})
        for req in roles[person["role"]]:
            anchor = max(
                day for day in (person["start"], person["role_since"], req["starts_on"]) if day is not None
            )
            edges.update({req["starts_on"], anchor + req["within"]})
    return {day + shift for day in edges for shift in (-1, 0, 1) if day + shift >= 0}


def _maybe_day(offset):
    return None if offset is None else _day(offset)


def _build(history):
    """Write a history with bulk inserts; returns the rows in the order of the history."""
    agencies = Agency.objects.bulk_create(
        Agency(name=f"Agency {i}", slug=f"agency-{i}", sector=Sector.POLICE, active=active)
        for i, active in enumerate(history["agencies_active"])
    )
    modules = Module.objects.bulk_create(
        factories.ModuleFactory.build(
            code=f"P-{i}",
            validity_months=None if spec["never_expires"] else 12,
            renewal_window_days=spec["window"],
            active=spec["active"],
        )
        for i, spec in enumerate(history["modules"])
    )
    roles = JobRole.objects.bulk_create(
        JobRole(name=f"Role {i}", tier=1) for i in range(len(history["roles"]))
    )
    Requirement.objects.bulk_create(
        Requirement(
            job_role=roles[i],
            module=modules[req["module"]],
            starts_on=_day(req["starts_on"]),
            due_within_days=req["within"],
        )
        for i, requirements in enumerate(history["roles"])
        for req in requirements
    )
    staff = StaffMember.objects.bulk_create(
        StaffMember(
            agency=agencies[person["agency"]],
            staff_number=f"S{i}",
            first_name="P",
            last_name=str(i),
            email=f"p{i}@example.org",
            job_role=roles[person["role"]],
            start_date=_maybe_day(person["start"]),
            role_since=_maybe_day(person["role_since"]),
            left_on=_maybe_day(person["left"]),
        )
        for i, person in enumerate(history["people"])
    )
    completions = []
    for staff_member, person in zip(staff, history["people"], strict=True):
        for spec in person["completions"]:
            completed_on = _day(spec["on"])
            completions.append(
                Completion(
                    staff=staff_member,
                    module=modules[spec["module"]],
                    completed_on=completed_on,
                    expires_on=None
                    if spec["life"] is None
                    else completed_on + datetime.timedelta(days=spec["life"]),
                    source=CompletionSource.MANUAL
                    if spec["verification"] == "verified"
                    else CompletionSource.SELF_DECLARED,
                    verification=spec["verification"],
                )
            )
        Exemption.objects.bulk_create(
            Exemption(
                staff=staff_member,
                module=None if spec["module"] is None else modules[spec["module"]],
                reason=ExemptionReason.OTHER,
                starts_on=_day(spec["starts_on"]),
                ends_on=None if spec["length"] is None else _day(spec["starts_on"] + spec["length"]),
            )
            for spec in person["exemptions"]
        )
        Assignment.objects.bulk_create(
            Assignment(
                staff=staff_member,
                module=modules[spec["module"]],
                assigned_on=_day(spec["assigned_on"]),
                due_on=_day(spec["assigned_on"] + spec["within"]),
            )
            for spec in person["assignments"]
        )
    completions = Completion.objects.bulk_create(completions)
    return agencies, modules, roles, staff, completions


def _reference(history, on, *, agencies, modules, staff, completions):
    """Each pair's status from plain Python data and the pure function, one pair at a time."""
    expected = {}
    facts = iter(completions)
    completions_of = {}
    for staff_member, person in zip(staff, history["people"], strict=True):
        for spec in person["completions"]:
            row = next(facts)
            completions_of.setdefault((staff_member.pk, spec["module"]), []).append(
                CompletionFact(row.completed_on, row.expires_on, spec["verification"] == "verified", row.pk)
            )
    scope = history["scope"]
    for staff_member, person in zip(staff, history["people"], strict=True):
        start, left = _maybe_day(person["start"]), _maybe_day(person["left"])
        if not ((start is None or start <= on) and (left is None or left > on)):
            continue
        if scope is None and not history["agencies_active"][person["agency"]]:
            continue
        if scope is not None and person["agency"] != scope:
            continue
        obligations = {}
        for req in history["roles"][person["role"]]:
            if history["modules"][req["module"]]["active"] and _day(req["starts_on"]) <= on:
                obligations[req["module"]] = requirement_obligation(
                    start_date=start,
                    role_since=_maybe_day(person["role_since"]),
                    requirement_starts_on=_day(req["starts_on"]),
                    due_within_days=req["within"],
                )
        for spec in person["assignments"]:
            if history["modules"][spec["module"]]["active"] and _day(spec["assigned_on"]) <= on:
                assigned = assignment_obligation(
                    assigned_on=_day(spec["assigned_on"]), due_on=_day(spec["assigned_on"] + spec["within"])
                )
                obligations[spec["module"]] = combined_obligation(obligations.get(spec["module"]), assigned)
        for module_index, obligation in obligations.items():
            exemptions = [
                ExemptionFact(
                    _day(spec["starts_on"]),
                    None if spec["length"] is None else _day(spec["starts_on"] + spec["length"]),
                )
                for spec in person["exemptions"]
                if spec["module"] in (None, module_index)
            ]
            result = pair_status(
                today=on,
                completions=completions_of.get((staff_member.pk, module_index), []),
                renewal_window_days=history["modules"][module_index]["window"],
                due_on=obligation.due_on,
                exemptions=exemptions,
            )
            key = (staff_member.pk, modules[module_index].pk)
            expected[key] = (
                result.status,
                obligation,
                result.completion.id if result.completion else None,
                result.key_date,
            )
    return expected


def _observed(pairs):
    return {
        (p.staff_id, p.module.id): (p.status, (p.anchor_on, p.due_on, p.via), p.completion_id, p.key_date)
        for p in pairs
    }


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=histories())
def test_set_based_selectors_agree_with_the_pure_function(history):
    """compliance_pairs (pure function per pair) and compliance_statuses (the rules as SQL) against
    the pure function applied to plain Python data, on the history's edge dates; and the figures
    compliance_counts counts in SQL against the same counts of the checked pairs."""
    # Each example runs in a savepoint that is rolled back, so examples never see each other's rows.
    with transaction.atomic():
        agencies, modules, _, staff, completions = _build(history)
        for offset in history["on"]:
            on = _day(offset)
            scope = None if history["scope"] is None else agencies[history["scope"]]
            pairs = compliance_pairs(on=on, agency=scope)
            expected = _reference(
                history, on, agencies=agencies, modules=modules, staff=staff, completions=completions
            )
            assert _observed(pairs) == expected
            _assert_sql_statuses_agree(on, scope, expected)
            assert compliance_counts(on=on, agency=scope) == count_pairs(pairs), on
        for offset in history["more_on"]:
            on = _day(offset)
            scope = None if history["scope"] is None else agencies[history["scope"]]
            expected = _reference(
                history, on, agencies=agencies, modules=modules, staff=staff, completions=completions
            )
            _assert_sql_statuses_agree(on, scope, expected)
        transaction.set_rollback(True)


def _assert_sql_statuses_agree(on, scope, expected):
    classified = compliance_statuses(on=on, agency=scope)
    assert {(row.staff_id, row.module_id): row.status for row in classified} == {
        key: value[0] for key, value in expected.items()
    }, on
