"""Reads of the maintained compliance state (training.state): its day, and how it differs from a
full run of the pure rules.

A reader may use the state only for the day it describes (`maintained(on)`); for any other day (a
report for a past or future date, what-if, a test's own date) it uses the engine.
"""

import datetime
from typing import NamedTuple

from ..compliance import Status, status_changes_on
from ..models import ComplianceState, PairState
from .engine import compliance_pairs


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


class Difference(NamedTuple):
    """A pair where the state and the rules disagree: `expected` is what the rules say (None: no
    such pair), `found` what the table holds (None: missing)."""

    staff_id: int
    module_id: int
    expected: StateRow | None
    found: StateRow | None


def expected_state(*, on: datetime.date) -> dict[tuple[int, int], StateRow]:
    """Every pair of every agency on `on` as the pure rules decide it (training.compliance, through
    compliance_pairs), with its key date and change day: what the state should hold."""
    return {
        (pair.staff_id, pair.module.id): StateRow(
            pair.status,
            pair.key_date,
            status_changes_on(
                pair.status, key_date=pair.key_date, renewal_window_days=pair.module.renewal_window_days
            ),
        )
        for pair in compliance_pairs(on=on, include_inactive_agencies=True)
    }


def found_state() -> dict[tuple[int, int], StateRow]:
    rows = PairState.objects.values_list("staff_id", "module_id", "status", "key_date", "changes_on")
    return {
        (staff_id, module_id): StateRow(Status(status), key_date, changes_on)
        for staff_id, module_id, status, key_date, changes_on in rows.iterator(5000)
    }


def state_differences(*, on: datetime.date) -> list[Difference]:
    """Every pair where the table differs from the pure rules on `on`, by staff and module."""
    expected, found = expected_state(on=on), found_state()
    return [
        Difference(staff_id, module_id, expected.get(key), found.get(key))
        for key in sorted(expected.keys() | found.keys())
        for staff_id, module_id in [key]
        if expected.get(key) != found.get(key)
    ]
