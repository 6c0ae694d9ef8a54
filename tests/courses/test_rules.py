"""The pure rules of sessions: overlaps, free places with held places, booking close."""

import datetime

import pytest

from courses import rules

T = datetime.datetime(2026, 5, 4, 9, 0, tzinfo=datetime.UTC)
H = datetime.timedelta(hours=1)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ((T, T + 2 * H), (T + H, T + 3 * H), True),
        ((T, T + 2 * H), (T + 2 * H, T + 3 * H), False),  # touching ends do not overlap
        ((T, T + 4 * H), (T + H, T + 2 * H), True),
        ((T + 3 * H, T + 4 * H), (T, T + H), False),
    ],
)
def test_overlaps(a, b, expected):
    assert rules.overlaps(*a, *b) is expected
    assert rules.overlaps(*b, *a) is expected


def test_default_booking_close_is_two_days_before_the_first_part():
    assert rules.default_booking_close(T) == T - datetime.timedelta(days=2)


D = datetime.date(2026, 5, 1)


@pytest.mark.parametrize(
    ("agency", "holds", "booked_by_agency", "expected"),
    [
        (1, [], {}, 8),
        (1, [(2, 3, D)], {}, 5),  # 3 kept for agency 2 until today
        (2, [(2, 3, D)], {}, 8),  # agency 2 may use its own places
        (1, [(2, 3, D)], {2: 2}, 7),  # agency 2 took 2 of its 3
        (1, [(2, 3, D)], {2: 5}, 8),  # more than held: nothing kept
        (1, [(2, 3, D - datetime.timedelta(days=1))], {}, 8),  # the hold has run out
        (None, [(2, 3, D), (3, 1, D)], {}, 4),  # an overview counts every hold still running
    ],
)
def test_free_places_keep_held_places_for_their_agency_until_the_date(
    agency, holds, booked_by_agency, expected
):
    assert (
        rules.free_places(
            capacity=10, booked=2, holds=holds, booked_by_agency=booked_by_agency, agency_id=agency, today=D
        )
        == expected
    )


def test_late_cancellation_is_after_booking_closed():
    assert rules.is_late_cancellation(booking_closes_at=T, now=T + H)
    assert not rules.is_late_cancellation(booking_closes_at=T, now=T - H)
