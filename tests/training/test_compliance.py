"""The rules of PRODUCT.md section 3 for one pair, from a table of cases. No database.

Leavers, future starters and retired modules are decided by which pairs exist at all, so they are
tested at the selector level (tests/training/test_selectors.py).
"""

import datetime

import pytest

from training.compliance import (
    ASSIGNMENT,
    REQUIREMENT,
    SEVERITY_ORDER,
    STATUS_CHOICES,
    CompletionFact,
    ExemptionFact,
    Status,
    anchor_date,
    assignment_obligation,
    best_completion,
    combined_obligation,
    due_date,
    exemption_covering,
    pair_status,
    requirement_obligation,
    worst_status,
)

D = datetime.date
DUE = D(2026, 4, 1)
EXPIRES = D(2026, 6, 1)  # with a 60-day window, renewal opens on 2 April 2026
WINDOW_OPENS = D(2026, 4, 2)


def done(completed_on, expires_on, *, counts=True, id=None):
    return CompletionFact(completed_on, expires_on, counts, id)


CURRENT = done(D(2023, 6, 1), EXPIRES, id=1)

# (id, today, completions, exemptions, expected status, expected key date)
CASES = [
    # Never completed: due before the due date, overdue on it and after.
    ("never-completed-before-due-date", D(2026, 3, 31), [], [], Status.DUE, DUE),
    ("never-completed-on-due-date-is-overdue", DUE, [], [], Status.OVERDUE, DUE),
    ("never-completed-after-due-date", D(2026, 9, 1), [], [], Status.OVERDUE, DUE),
    # Completed: compliant until the renewal window, renewal due inside it, expired on the expiry day.
    ("compliant-long-before-expiry", D(2025, 1, 1), [CURRENT], [], Status.COMPLIANT, EXPIRES),
    ("compliant-day-before-window-opens", D(2026, 4, 1), [CURRENT], [], Status.COMPLIANT, EXPIRES),
    ("renewal-due-on-first-day-of-window", WINDOW_OPENS, [CURRENT], [], Status.RENEWAL_DUE, EXPIRES),
    ("renewal-due-on-day-before-expiry", D(2026, 5, 31), [CURRENT], [], Status.RENEWAL_DUE, EXPIRES),
    ("expired-on-expiry-day", EXPIRES, [CURRENT], [], Status.EXPIRED, EXPIRES),
    ("expired-after-expiry", D(2027, 1, 1), [CURRENT], [], Status.EXPIRED, EXPIRES),
    # A completion made after the due date still makes the pair compliant.
    ("completed-late-is-compliant", D(2026, 5, 1), [done(D(2026, 4, 20), D(2029, 4, 20))], [],
     Status.COMPLIANT, D(2029, 4, 20)),
    # Never-expiring modules.
    ("never-expiring-is-compliant-forever", D(2075, 1, 1), [done(D(2020, 1, 1), None)], [],
     Status.COMPLIANT, None),
    ("never-expiring-beats-any-date", D(2026, 5, 1),
     [done(D(2020, 1, 1), None, id=1), done(D(2026, 1, 1), D(2026, 5, 10), id=2)], [],
     Status.COMPLIANT, None),
    # The best completion is the latest expiry, not the latest completion.
    ("older-completion-expiring-later-wins", D(2026, 5, 1),
     [done(D(2024, 1, 10), D(2027, 1, 10), id=1), done(D(2025, 6, 1), D(2026, 3, 1), id=2)], [],
     Status.COMPLIANT, D(2027, 1, 10)),
    ("newer-completion-renewing-wins", D(2026, 5, 1),
     [CURRENT, done(D(2026, 4, 10), D(2029, 6, 1), id=2)], [], Status.COMPLIANT, D(2029, 6, 1)),
    # Only counted (verified) completions count.
    ("self-declared-unverified-not-counted", D(2026, 5, 1),
     [done(D(2026, 3, 1), D(2029, 3, 1), counts=False)], [], Status.OVERDUE, DUE),
    ("unverified-renewal-does-not-rescue-expired", D(2026, 7, 1),
     [CURRENT, done(D(2026, 6, 20), D(2029, 6, 20), counts=False)], [], Status.EXPIRED, EXPIRES),
    # A completion dated after the day does not exist yet on that day (historical reports).
    ("completion-after-the-day-not-counted", D(2026, 4, 15), [done(D(2026, 5, 1), D(2029, 5, 1))], [],
     Status.OVERDUE, DUE),
    ("completion-on-the-day-counts", D(2026, 5, 1), [done(D(2026, 5, 1), D(2029, 5, 1))], [],
     Status.COMPLIANT, D(2029, 5, 1)),
    ("renewal-after-the-day-not-counted", D(2026, 5, 1),
     [CURRENT, done(D(2026, 5, 2), D(2029, 6, 1))], [], Status.RENEWAL_DUE, EXPIRES),
    # Exemptions: cover from their start to their end date inclusive; open-ended ones never end.
    ("exemption-open-ended", D(2030, 1, 1), [], [ExemptionFact(D(2026, 1, 1), None)], Status.EXEMPT, None),
    ("exemption-on-its-first-day", D(2026, 1, 1), [], [ExemptionFact(D(2026, 1, 1), D(2026, 6, 30))],
     Status.EXEMPT, D(2026, 6, 30)),
    ("exemption-on-its-last-day", D(2026, 6, 30), [], [ExemptionFact(D(2026, 1, 1), D(2026, 6, 30))],
     Status.EXEMPT, D(2026, 6, 30)),
    ("exemption-day-after-it-ends", D(2026, 7, 1), [], [ExemptionFact(D(2026, 1, 1), D(2026, 6, 30))],
     Status.OVERDUE, DUE),
    ("exemption-not-yet-started", D(2026, 5, 1), [], [ExemptionFact(D(2026, 5, 2), None)],
     Status.OVERDUE, DUE),
    ("exemption-beats-expired", D(2026, 7, 1), [CURRENT], [ExemptionFact(D(2026, 6, 1), None)],
     Status.EXEMPT, None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("today", "completions", "exemptions", "expected", "key_date"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_pair_status_table(today, completions, exemptions, expected, key_date):
    result = pair_status(
        today=today, completions=completions, renewal_window_days=60, due_on=DUE, exemptions=exemptions
    )
    assert result.status is expected
    assert result.key_date == key_date
    assert result.due_on == DUE


def test_pair_status_reports_which_completion_met_it():
    older = done(D(2024, 1, 10), D(2027, 1, 10), id=7)
    newer = done(D(2025, 6, 1), D(2026, 3, 1), id=8)
    result = pair_status(today=D(2026, 5, 1), completions=[newer, older], renewal_window_days=60, due_on=DUE)
    assert result.completion is older
    assert result.expires_on == D(2027, 1, 10)
    assert result.exemption is None


def test_exempt_pair_still_shows_its_best_completion_and_exemption():
    exemption = ExemptionFact(D(2026, 6, 1), D(2026, 12, 31), id=3)
    result = pair_status(
        today=D(2026, 7, 1), completions=[CURRENT], renewal_window_days=60, due_on=DUE, exemptions=[exemption]
    )
    assert result.status is Status.EXEMPT
    assert result.completion is CURRENT
    assert result.exemption is exemption


def test_zero_renewal_window_goes_straight_from_compliant_to_expired():
    kwargs = {"completions": [CURRENT], "renewal_window_days": 0, "due_on": DUE}
    assert pair_status(today=D(2026, 5, 31), **kwargs).status is Status.COMPLIANT
    assert pair_status(today=EXPIRES, **kwargs).status is Status.EXPIRED


def test_model_instances_work_like_facts():
    """Pages pass Completion and Exemption instances; the rules read the same attributes."""

    class FakeCompletion:
        id = 5
        completed_on = D(2026, 1, 1)
        expires_on = D(2029, 1, 1)
        counts = True

    result = pair_status(
        today=D(2026, 5, 1), completions=[FakeCompletion()], renewal_window_days=60, due_on=DUE
    )
    assert result.status is Status.COMPLIANT


# --- due dates and anchors -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start_date", "role_since", "requirement_starts_on", "anchor"),
    [
        pytest.param(D(2020, 1, 6), D(2020, 1, 6), D(2020, 1, 1), D(2020, 1, 6), id="start-date"),
        pytest.param(
            D(2020, 1, 6), D(2026, 1, 10), D(2020, 1, 1), D(2026, 1, 10), id="role-change-moves-anchor"
        ),
        pytest.param(D(2026, 2, 1), None, D(2020, 1, 1), D(2026, 2, 1), id="late-start-moves-anchor"),
        pytest.param(
            D(2020, 1, 6), D(2021, 5, 1), D(2026, 3, 1), D(2026, 3, 1), id="new-requirement-moves-anchor"
        ),
        pytest.param(None, None, D(2024, 9, 1), D(2024, 9, 1), id="no-start-or-role-dates"),
    ],
)
def test_anchor_is_latest_of_start_role_and_requirement(
    start_date, role_since, requirement_starts_on, anchor
):
    result = anchor_date(
        start_date=start_date, role_since=role_since, requirement_starts_on=requirement_starts_on
    )
    assert result == anchor


def test_anchor_of_nothing_is_none():
    assert anchor_date(start_date=None, role_since=None, requirement_starts_on=None) is None


def test_due_date_adds_calendar_days():
    assert due_date(anchor=D(2026, 1, 10), due_within_days=90) == D(2026, 4, 10)
    assert due_date(anchor=D(2024, 1, 1), due_within_days=60) == D(2024, 3, 1)  # leap year
    assert due_date(anchor=D(2026, 1, 10), due_within_days=0) == D(2026, 1, 10)


def test_role_change_gives_a_new_grace_period():
    """Someone who took a new role on 10 January 2026 is due, not overdue, on 1 March 2026."""
    moved = requirement_obligation(
        start_date=D(2020, 1, 6),
        role_since=D(2026, 1, 10),
        requirement_starts_on=D(2020, 1, 1),
        due_within_days=90,
    )
    stayed = requirement_obligation(
        start_date=D(2020, 1, 6),
        role_since=D(2020, 1, 6),
        requirement_starts_on=D(2020, 1, 1),
        due_within_days=90,
    )
    on = D(2026, 3, 1)
    assert moved.due_on == D(2026, 4, 10)
    assert (
        pair_status(today=on, completions=[], renewal_window_days=60, due_on=moved.due_on).status
        is Status.DUE
    )
    assert pair_status(today=on, completions=[], renewal_window_days=60, due_on=stayed.due_on).status is (
        Status.OVERDUE
    )


def test_assignment_carries_its_own_due_date():
    obligation = assignment_obligation(assigned_on=D(2026, 1, 5), due_on=D(2026, 2, 1))
    assert obligation == (D(2026, 1, 5), D(2026, 2, 1), ASSIGNMENT)


def test_requirement_and_assignment_for_one_module_take_the_earlier_due_date():
    requirement = requirement_obligation(
        start_date=D(2026, 1, 1), role_since=None, requirement_starts_on=D(2020, 1, 1), due_within_days=90
    )
    earlier = assignment_obligation(assigned_on=D(2026, 1, 5), due_on=D(2026, 2, 1))
    later = assignment_obligation(assigned_on=D(2026, 1, 5), due_on=D(2026, 6, 1))
    assert combined_obligation(requirement, earlier) == earlier
    assert combined_obligation(requirement, later) == requirement
    assert combined_obligation(None, later) == later
    assert combined_obligation() is None
    tie = assignment_obligation(assigned_on=D(2026, 2, 1), due_on=requirement.due_on)
    assert combined_obligation(requirement, tie).via == REQUIREMENT


# --- best completion, exemptions, severity ------------------------------------------------------


def test_best_completion_ignores_uncounted_and_later_completions():
    counted = done(D(2025, 1, 1), D(2028, 1, 1), id=1)
    pending = done(D(2025, 6, 1), D(2028, 6, 1), counts=False, id=2)
    later = done(D(2026, 6, 1), D(2029, 6, 1), id=3)
    assert best_completion([counted, pending, later]) is later
    assert best_completion([counted, pending, later], on=D(2026, 5, 31)) is counted
    assert best_completion([pending]) is None
    assert best_completion([]) is None


def test_best_completion_tie_on_expiry_takes_the_later_completion():
    first = done(D(2023, 1, 1), None, id=1)
    second = done(D(2024, 1, 1), None, id=2)
    assert best_completion([second, first]) is second


def test_exemption_covering_prefers_the_longest():
    short = ExemptionFact(D(2026, 1, 1), D(2026, 2, 1), id=1)
    open_ended = ExemptionFact(D(2026, 1, 15), None, id=2)
    assert exemption_covering([short, open_ended], D(2026, 1, 20)) is open_ended
    assert exemption_covering([short, open_ended], D(2026, 1, 10)) is short
    assert exemption_covering([short], D(2026, 2, 2)) is None


def test_statuses_in_report_order_with_labels():
    assert [status.value for status in Status] == [
        "compliant",
        "renewal_due",
        "expired",
        "due",
        "overdue",
        "exempt",
    ]
    assert STATUS_CHOICES[1] == ("renewal_due", "Renewal due")


def test_only_compliant_and_renewal_due_are_valid():
    assert {status for status in Status if status.is_valid} == {Status.COMPLIANT, Status.RENEWAL_DUE}


def test_worst_status_by_severity():
    assert SEVERITY_ORDER[0] is Status.EXEMPT and SEVERITY_ORDER[-1] is Status.OVERDUE
    assert worst_status([Status.COMPLIANT, Status.EXPIRED, Status.DUE]) is Status.EXPIRED
    assert worst_status([Status.EXPIRED, Status.OVERDUE]) is Status.OVERDUE
    assert worst_status([Status.EXEMPT, Status.RENEWAL_DUE]) is Status.RENEWAL_DUE
    assert worst_status([Status.EXEMPT]) is Status.EXEMPT
    assert worst_status([]) is None
    assert Status.DUE.severity < Status.EXPIRED.severity
