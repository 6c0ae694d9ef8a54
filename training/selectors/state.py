"""Reads of the maintained compliance state (training.state): its day, and how it differs from a
full run of the pure rules.

A reader may use the state only for the day it describes (`maintained(on)`); for any other day (a
report for a past or future date, what-if, a test's own date) it uses the engine.
"""

import datetime
from collections import Counter
from typing import NamedTuple

from workforce.models import StaffMember

from ..compliance import Status, status_changes_on
from ..models import ComplianceState, PairState, StateCount
from .engine import STATUS_BITS, compliance_pairs


def state_day() -> datetime.date | None:
    """The day the maintained state describes, or None before its first roll. One query."""
    return ComplianceState.objects.values_list("on", flat=True).first()


def maintained(on: datetime.date, *, day: datetime.date | None = None) -> bool:
    """Whether the state can answer for `on` (`day`: the state's day, when already read)."""
    return (day if day is not None else state_day()) == on


class StateRow(NamedTuple):
    status: Status
    key_date: datetime.date | None
    changes_on: datetime.date | None
    anchor_on: datetime.date | None = None  # a due or overdue pair's only


class Difference(NamedTuple):
    """A pair where the state and the rules disagree: `expected` is what the rules say (None: no
    such pair), `found` what the table holds (None: missing)."""

    staff_id: int
    module_id: int
    expected: StateRow | None
    found: StateRow | None


def expected_state(*, on: datetime.date, pairs=None) -> dict[tuple[int, int], StateRow]:
    """Every pair of every agency on `on` as the pure rules decide it (training.compliance, through
    compliance_pairs, or `pairs` when already read), with its key date and change day: what the
    state should hold."""
    if pairs is None:
        pairs = compliance_pairs(on=on, include_inactive_agencies=True)
    return {
        (pair.staff_id, pair.module.id): StateRow(
            pair.status,
            pair.key_date,
            status_changes_on(
                pair.status, key_date=pair.key_date, renewal_window_days=pair.module.renewal_window_days
            ),
            pair.anchor_on if pair.status.never_completed else None,
        )
        for pair in pairs
    }


def found_state() -> dict[tuple[int, int], StateRow]:
    rows = PairState.objects.values_list(
        "staff_id", "module_id", "status", "key_date", "changes_on", "anchor_on"
    )
    return {
        (staff_id, module_id): StateRow(Status(status), key_date, changes_on, anchor_on)
        for staff_id, module_id, status, key_date, changes_on, anchor_on in rows.iterator(5000)
    }


def state_differences(*, on: datetime.date, pairs=None) -> list[Difference]:
    """Every pair where the table differs from the pure rules on `on`, by staff and module."""
    expected, found = expected_state(on=on, pairs=pairs), found_state()
    return [
        Difference(staff_id, module_id, expected.get(key), found.get(key))
        for key in sorted(expected.keys() | found.keys())
        for staff_id, module_id in [key]
        if expected.get(key) != found.get(key)
    ]


# The counts (training.models.StateCount): a key is (agency, team or 0, job role, module or 0 for
# people, bits), as the table keeps it.
CountKey = tuple[int, int, int, int, int]


class CountDifference(NamedTuple):
    key: CountKey
    expected: int
    found: int


def expected_counts(*, on: datetime.date, pairs=None) -> dict[CountKey, int]:
    """The counts the state should hold on `on`: the pure rules' pairs (compliance_pairs, or
    `pairs` when already read), grouped by the people's records as they are now."""
    counts, people = Counter(), {}
    if pairs is None:
        pairs = compliance_pairs(on=on, include_inactive_agencies=True)
    for pair in pairs:
        group = (pair.agency.id, pair.team.id if pair.team is not None else 0, pair.job_role.id)
        counts[(*group, pair.module.id, STATUS_BITS[pair.status])] += 1
        person = people.setdefault(pair.staff_id, [group, 0])
        person[1] |= STATUS_BITS[pair.status]
    for group, bits in people.values():
        counts[(*group, 0, bits)] += 1
    return dict(counts)


def found_counts() -> dict[CountKey, int]:
    rows = StateCount.objects.values_list("agency_id", "team_id", "job_role_id", "module_id", "bits", "total")
    return {tuple(row[:5]): row[5] for row in rows}


def count_differences(*, on: datetime.date, pairs=None) -> list[CountDifference]:
    """Every group whose count in the table differs from the pure rules on `on`, in key order."""
    expected, found = expected_counts(on=on, pairs=pairs), found_counts()
    return [
        CountDifference(key, expected.get(key, 0), found.get(key, 0))
        for key in sorted(expected.keys() | found.keys())
        if expected.get(key, 0) != found.get(key, 0)
    ]


def misgrouped_staff() -> set[int]:
    """People whose pairs are counted under an agency, team or job role that is no longer on their
    record (a change that bypassed the services): the people a repair of the counts refreshes."""
    records = {
        pk: (agency_id, team_id, job_role_id)
        for pk, agency_id, team_id, job_role_id in StaffMember.objects.values_list(
            "pk", "agency_id", "team_id", "job_role_id"
        ).iterator(5000)
    }
    groups = PairState.objects.values_list("staff_id", "agency_id", "team_id", "job_role_id").distinct()
    return {row[0] for row in groups.iterator(5000) if records.get(row[0]) != tuple(row[1:])}


def all_differences(*, on: datetime.date) -> tuple[list[Difference], list[CountDifference]]:
    """`state_differences` and `count_differences` from one run of the rules (the check)."""
    pairs = compliance_pairs(on=on, include_inactive_agencies=True)
    return state_differences(on=on, pairs=pairs), count_differences(on=on, pairs=pairs)
