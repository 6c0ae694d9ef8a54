"""The rules of sessions and bookings as pure functions of plain values: no clock, no database."""

import datetime
from collections.abc import Iterable

BOOKING_CLOSES_BEFORE = datetime.timedelta(days=2)


def default_booking_close(first_start: datetime.datetime) -> datetime.datetime:
    """Booking closes 2 days before the first part starts, unless the lead says otherwise."""
    return first_start - BOOKING_CLOSES_BEFORE


def overlaps(a_start, a_end, b_start, b_end) -> bool:
    """Two time ranges overlap when each starts before the other ends (touching ends do not)."""
    return a_start < b_end and b_start < a_end


def parts_overlap(parts: Iterable[tuple], others: Iterable[tuple]) -> bool:
    others = list(others)
    return any(overlaps(s, e, os, oe) for s, e in parts for os, oe in others)


def held_for_others(*, holds: Iterable[tuple], booked_by_agency: dict, agency_id, today) -> int:
    """Places still kept for agencies other than `agency_id` on `today`: for each hold (agency id,
    places, until) not yet over, the places its agency has not taken yet."""
    kept = 0
    for held_agency, places, until in holds:
        if held_agency == agency_id or until < today:
            continue
        kept += max(places - booked_by_agency.get(held_agency, 0), 0)
    return kept


def free_places(*, capacity, booked, holds=(), booked_by_agency=None, agency_id=None, today=None) -> int:
    """Places a person of `agency_id` may take now. With no agency (an overview), every hold
    still running counts as taken, so the figure is what anyone at all could book."""
    kept = 0
    if today is not None:
        kept = held_for_others(
            holds=holds, booked_by_agency=booked_by_agency or {}, agency_id=agency_id, today=today
        )
    return max(capacity - booked - kept, 0)


def is_late_cancellation(*, booking_closes_at, now) -> bool:
    return now > booking_closes_at
