"""The reminder rules of PRODUCT.md section 4, from tables of cases. No database."""

import datetime

import pytest

from notifications import rules
from notifications.rules import DEFAULT_POLICY, Kind, Policy

D = datetime.date
U = D(2026, 6, 1)  # a due date
X = D(2026, 6, 1)  # an expiry date


def labels(stages):
    return [(stage.trigger, stage.kind, stage.label) for stage in stages]


def test_due_stages_default_policy():
    anchor = D(2026, 3, 3)  # U - 90
    assert labels(rules.due_stages(anchor=anchor, due_on=U)) == [
        (D(2026, 3, 3), Kind.ASSIGNED, "start"),
        (D(2026, 5, 2), Kind.DUE_SOON, "U-30"),
        (D(2026, 5, 25), Kind.DUE_SOON, "U-7"),
        (D(2026, 6, 1), Kind.OVERDUE, "U+0"),
        (D(2026, 6, 15), Kind.OVERDUE, "U+14"),
        (D(2026, 6, 29), Kind.OVERDUE, "U+28"),
        (D(2026, 7, 13), Kind.OVERDUE, "U+42"),
        (D(2026, 7, 27), Kind.OVERDUE, "U+56"),
        (D(2026, 8, 10), Kind.OVERDUE, "U+70"),
    ]


def test_due_soon_stages_before_the_anchor_are_left_out():
    # Due within 14 days: U-30 would fall before the requirement applied.
    anchor = U - datetime.timedelta(days=14)
    kinds = [(stage.kind, stage.label) for stage in rules.due_stages(anchor=anchor, due_on=U)]
    assert kinds[:3] == [(Kind.ASSIGNED, "start"), (Kind.DUE_SOON, "U-7"), (Kind.OVERDUE, "U+0")]


def test_due_soon_on_the_anchor_day_is_left_out_in_favour_of_assigned():
    anchor = U - datetime.timedelta(days=7)
    kinds = [stage.label for stage in rules.due_stages(anchor=anchor, due_on=U)]
    assert kinds[:2] == ["start", "U+0"]


def test_no_assigned_stage_when_due_on_the_anchor_day():
    stages = rules.due_stages(anchor=U, due_on=U)
    assert stages[0].label == "U+0"
    assert Kind.ASSIGNED not in {stage.kind for stage in stages}


def test_expiry_stages_default_policy():
    assert labels(rules.expiry_stages(expires_on=X)) == [
        (D(2026, 4, 2), Kind.RENEWAL_OPEN, "X-60"),
        (D(2026, 5, 2), Kind.RENEWAL_SOON, "X-30"),
        (D(2026, 5, 25), Kind.RENEWAL_SOON, "X-7"),
        (D(2026, 6, 1), Kind.EXPIRED, "X+0"),
        (D(2026, 6, 15), Kind.EXPIRED, "X+14"),
        (D(2026, 6, 29), Kind.EXPIRED, "X+28"),
        (D(2026, 7, 13), Kind.EXPIRED, "X+42"),
        (D(2026, 7, 27), Kind.EXPIRED, "X+56"),
        (D(2026, 8, 10), Kind.EXPIRED, "X+70"),
    ]


def test_renew_soon_outside_a_short_window_is_left_out():
    policy = Policy(renewal_window_days=20)
    assert [stage.label for stage in rules.expiry_stages(expires_on=X, policy=policy)][:3] == [
        "X-20",
        "X-7",
        "X+0",
    ]


def test_policy_overrides_change_the_stages():
    policy = Policy(due_soon_days=(14,), overdue_every_days=7, overdue_max=2, escalation_after_days=21)
    anchor = D(2026, 3, 3)
    assert [stage.label for stage in rules.due_stages(anchor=anchor, due_on=U, policy=policy)] == [
        "start",
        "U-14",
        "U+0",
        "U+7",
    ]
    assert labels(rules.escalation_stages(letter="U", cycle_date=U, policy=policy)) == [
        (D(2026, 6, 22), Kind.ESCALATION, "U+21")
    ]


@pytest.mark.parametrize(
    ("today", "latest", "earlier"),
    [
        (D(2026, 3, 2), None, []),  # before the anchor: nothing
        (D(2026, 3, 3), "start", []),
        (D(2026, 5, 24), "U-30", ["start"]),  # first run after go-live: only the latest
        (D(2026, 6, 20), "U+14", ["start", "U-30", "U-7", "U+0"]),
        (D(2027, 1, 1), "U+70", ["start", "U-30", "U-7", "U+0", "U+14", "U+28", "U+42", "U+56"]),
    ],
)
def test_catch_up_sends_only_the_latest_due_stage(today, latest, earlier):
    stages = rules.due_stages(anchor=D(2026, 3, 3), due_on=U)
    caught = rules.catch_up(stages, today)
    assert (caught.latest.label if caught.latest else None) == latest
    assert [stage.label for stage in caught.earlier] == earlier


def test_next_stage():
    stages = rules.due_stages(anchor=D(2026, 3, 3), due_on=U)
    assert rules.next_stage(stages, D(2026, 6, 1)).label == "U+14"
    assert rules.next_stage(stages, D(2026, 8, 10)) is None


@pytest.mark.parametrize(
    ("today", "last_run", "due"),
    [
        (D(2026, 3, 2), D(2026, 3, 1), True),  # Monday
        (D(2026, 3, 3), D(2026, 3, 2), False),  # Tuesday after Monday's run: already done
        (D(2026, 3, 3), D(2026, 2, 27), True),  # the planner was down on Monday: caught up
        (D(2026, 3, 4), D(2026, 2, 27), True),  # Wednesday: still caught up
        (D(2026, 3, 5), D(2026, 2, 27), False),  # Thursday: too late, wait for next Monday
        (D(2026, 3, 1), D(2026, 2, 28), False),  # Sunday
        (D(2026, 3, 3), None, True),  # first run ever, early in the week
    ],
)
def test_weekly_digest_goes_on_monday_or_catches_up_a_missed_run(today, last_run, due):
    assert rules.digest_due(period_start=rules.week_start(today), today=today, last_run=last_run) is due


def test_monthly_period_starts_on_the_first():
    assert rules.month_start(D(2026, 3, 17)) == D(2026, 3, 1)
    assert rules.digest_due(period_start=D(2026, 3, 1), today=D(2026, 3, 1), last_run=D(2026, 2, 28))
    assert not rules.digest_due(period_start=D(2026, 3, 1), today=D(2026, 3, 17), last_run=None)


@pytest.mark.parametrize(
    ("oldest", "due"),
    [(None, False), (D(2026, 3, 1), False), (D(2026, 2, 28), True), (D(2026, 1, 1), True)],
)
def test_verification_review_when_a_declaration_waited_over_three_days(oldest, due):
    assert rules.verification_review_due(oldest_waiting_since=oldest, today=D(2026, 3, 4)) is due


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ({"cycle": "U", "status": "overdue", "completed_on": None, "due_on": U}, None),
        ({"cycle": "U", "status": "compliant", "completed_on": D(2026, 3, 4), "due_on": U},
         "completed on 4 March 2026"),
        ({"cycle": "U", "status": "due", "completed_on": None, "due_on": D(2026, 9, 1)},
         "the due date changed to 1 September 2026"),
        ({"cycle": "X", "status": "renewal_due", "completed_on": D(2023, 6, 1), "expires_on": X}, None),
        ({"cycle": "X", "status": "compliant", "completed_on": D(2026, 5, 10), "expires_on": D(2029, 6, 1)},
         "completed on 10 May 2026"),
        ({"cycle": "X", "status": "exempt", "completed_on": None, "exemption_ends_on": D(2026, 12, 31)},
         "exempt until 31 December 2026"),
        ({"cycle": "U", "status": "exempt", "completed_on": None}, "exempt"),
    ],
)  # fmt: skip
def test_recheck_reason(case, expected):
    values = {"cycle_date": U, "due_on": U, "expires_on": None, **case}
    assert rules.recheck_reason(**values) == expected


def test_suppression_reasons_are_plain_english():
    common = {"today": D(2026, 3, 4), "module_code": "HSB-101"}
    assert (
        rules.suppression_reason(
            staff_start_date=None,
            staff_left_on=D(2026, 3, 1),
            agency_active=True,
            module_active=True,
            **common,
        )
        == "left on 1 March 2026"
    )
    assert (
        rules.suppression_reason(
            staff_start_date=None, staff_left_on=None, agency_active=True, module_active=False, **common
        )
        == "HSB-101 has been retired"
    )
    assert (
        rules.suppression_reason(
            staff_start_date=None, staff_left_on=None, agency_active=False, module_active=True, **common
        )
        == "the agency is inactive"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [("30, 7", (30, 7)), ("7,30", (30, 7)), (" 14 ", (14,)), ("", ()), ("45;10", (45, 10))],
)
def test_parse_days(text, expected):
    assert rules.parse_days(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [("30, a week", "“a week” is not a whole number of days"), ("7, 7", "only once"), ("-3", "“-3”")],
)
def test_parse_days_refuses_with_a_message(text, message):
    with pytest.raises(ValueError, match=message):
        rules.parse_days(text)


def test_default_policy_is_sound_for_a_three_year_module():
    assert rules.policy_errors(DEFAULT_POLICY, validity_months=36) == {}


def test_renewal_window_cannot_be_as_long_as_the_validity():
    errors = rules.policy_errors(Policy(renewal_window_days=60), validity_months=2)
    assert errors["renewal_window_days"] == (
        "The renewal window (60 days) cannot be as long as the validity (2 months, which can be as "
        "short as 59 days)."
    )


def test_renew_soon_must_fall_inside_the_window():
    errors = rules.policy_errors(Policy(renewal_soon_days=(90, 7)), validity_months=36)
    assert "between 1 and 59 days before expiry" in errors["renewal_soon_days"]


def test_repeats_and_intervals_are_bounded():
    errors = rules.policy_errors(
        Policy(overdue_max=0, expired_every_days=0, due_soon_days=(400,)), validity_months=36
    )
    assert errors == {
        "overdue_max": "Send between 1 and 12 reminders.",
        "expired_every_days": "Repeat every 1 to 365 days.",
        "due_soon_days": "Each reminder must be between 1 and 365 days before the due date.",
    }


@pytest.mark.parametrize(
    ("attempt", "jitter", "expected"),
    [(1, 0.0, 30.0), (1, 0.999, 59.97), (2, 0.0, 60.0), (3, 1.0, 240.0), (10, 0.0, 450.0), (10, 1.0, 900.0)],
)
def test_retry_delay_backs_off_exponentially_with_jitter_up_to_a_cap(attempt, jitter, expected):
    delay = rules.retry_delay(attempt=attempt, base_seconds=60, max_seconds=900, jitter=jitter)
    assert delay == pytest.approx(expected)


def test_long_date_is_uk_style():
    assert rules.long_date(D(2026, 3, 4)) == "4 March 2026"
