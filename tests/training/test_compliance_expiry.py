import datetime

import pytest

from training.compliance import add_months, expiry_date

D = datetime.date


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2024, 2, 29), 12, D(2025, 2, 28)),
        (D(2024, 2, 29), 48, D(2028, 2, 29)),
        (D(2025, 1, 31), 1, D(2025, 2, 28)),
        (D(2024, 1, 31), 1, D(2024, 2, 29)),
        (D(2025, 8, 31), 36, D(2028, 8, 31)),
        (D(2025, 11, 30), 3, D(2026, 2, 28)),
        (D(2025, 12, 15), 1, D(2026, 1, 15)),
        (D(2025, 3, 4), 36, D(2028, 3, 4)),
    ],
)
def test_add_months_clamps_to_month_end(day, months, expected):
    assert add_months(day, months) == expected


def expiry(completed_on, previous_expiry=None, validity=36, window=60):
    return expiry_date(
        completed_on=completed_on,
        validity_months=validity,
        renewal_window_days=window,
        previous_expiry=previous_expiry,
    )


def test_first_completion_rolls_from_completion_date():
    assert expiry(D(2025, 3, 4)) == D(2028, 3, 4)


def test_never_expiring_module_has_no_expiry():
    assert expiry(D(2025, 3, 4), validity=None) is None
    assert expiry(D(2025, 3, 4), previous_expiry=D(2025, 4, 1), validity=None) is None


def test_renewal_inside_window_extends_from_previous_expiry_without_drift():
    previous = D(2026, 3, 4)
    assert expiry(D(2026, 2, 1), previous) == D(2029, 3, 4)


def test_renewal_on_first_day_of_window_has_no_drift():
    previous = D(2026, 3, 4)
    first_day = previous - datetime.timedelta(days=60)
    assert expiry(first_day, previous) == D(2029, 3, 4)


def test_renewal_one_day_before_window_rolls_from_completion():
    previous = D(2026, 3, 4)
    too_early = previous - datetime.timedelta(days=61)
    assert expiry(too_early, previous) == add_months(too_early, 36)


def test_renewal_on_expiry_day_rolls_because_previous_has_lapsed():
    previous = D(2026, 3, 4)
    assert expiry(previous, previous) == D(2029, 3, 4)
    assert expiry(D(2026, 3, 10), previous) == D(2029, 3, 10)


def test_renewal_from_29_february_expiry():
    assert expiry(D(2028, 2, 1), D(2028, 2, 29), validity=12) == D(2029, 2, 28)
