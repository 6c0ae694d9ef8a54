"""The order of the people behind a count (training.selectors.compliance.people_behind): people
most urgent first (earliest due, expiry or exemption end; never-expiring last; then by staff id),
and each person's pairs worst status first, then most urgent, then by module code."""

import datetime
from types import SimpleNamespace

from hypothesis import given
from hypothesis import strategies as st

from training.compliance import SEVERITY_ORDER, Status
from training.selectors.compliance import people_behind


def pair(staff_id, status, key_date, code):
    return SimpleNamespace(
        staff_id=staff_id, status=status, key_date=key_date, module=SimpleNamespace(code=code)
    )


def urgency(item):
    return (item.key_date is None, item.key_date or datetime.date.max)


def expected(pairs, status):
    """The rule, spelt out the slow way."""
    chosen = [item for item in pairs if status is None or item.status is status]
    people = sorted({item.staff_id for item in chosen})
    groups = []
    for staff_id in people:
        own = [item for item in chosen if item.staff_id == staff_id]
        own.sort(key=lambda item: (-SEVERITY_ORDER.index(item.status), urgency(item), item.module.code))
        groups.append((staff_id, own))
    groups.sort(key=lambda group: (min(urgency(item) for item in group[1]), group[0]))
    return groups


def test_most_urgent_person_first_and_their_worst_status_first():
    june, july = datetime.date(2026, 6, 1), datetime.date(2026, 7, 1)
    pairs = [
        pair(1, Status.COMPLIANT, None, "HSB-101"),
        pair(2, Status.RENEWAL_DUE, july, "HSB-201"),
        pair(2, Status.OVERDUE, july, "HSB-101"),
        pair(3, Status.EXPIRED, june, "HSB-101"),
        pair(4, Status.EXPIRED, june, "HSB-101"),
    ]
    order = [
        (staff_id, [(item.status, item.module.code) for item in own])
        for staff_id, own in people_behind(pairs, None)
    ]
    assert order == [
        (3, [(Status.EXPIRED, "HSB-101")]),
        (4, [(Status.EXPIRED, "HSB-101")]),
        (2, [(Status.OVERDUE, "HSB-101"), (Status.RENEWAL_DUE, "HSB-201")]),
        (1, [(Status.COMPLIANT, "HSB-101")]),
    ]
    assert [staff_id for staff_id, _own in people_behind(pairs, Status.EXPIRED)] == [3, 4]


@given(
    st.lists(
        st.builds(
            pair,
            st.integers(min_value=1, max_value=6),
            st.sampled_from(list(Status)),
            st.one_of(
                st.none(), st.dates(min_value=datetime.date(2025, 1, 1), max_value=datetime.date(2027, 1, 1))
            ),
            st.sampled_from(["HSB-101", "HSB-201", "HSB-301", "HSB-401"]),
        ),
        max_size=30,
    ),
    st.one_of(st.none(), st.sampled_from(list(Status))),
)
def test_the_order_follows_the_rule_for_any_pairs(pairs, status):
    # One pair per person and module, as the compliance engine gives them.
    unique = list({(item.staff_id, item.module.code): item for item in pairs}.values())
    assert people_behind(unique, status) == expected(unique, status)
