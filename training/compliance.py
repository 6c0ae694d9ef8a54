"""The rules of compliance (PRODUCT.md section 3) as pure functions of plain values.

Nothing here reads the clock or the database: callers pass `today` and the values they loaded.
"""

import calendar
import datetime


def add_months(day: datetime.date, months: int) -> datetime.date:
    """Calendar-month arithmetic: the same day of the month, clamped to the month's last day.

    29 February + 12 months is 28 February; 31 January + 1 month is the end of February.
    """
    month_index = day.month - 1 + months
    year = day.year + month_index // 12
    month = month_index % 12 + 1
    last_day = calendar.monthrange(year, month)[1]
    return day.replace(year=year, month=month, day=min(day.day, last_day))


def expiry_date(
    *,
    completed_on: datetime.date,
    validity_months: int | None,
    renewal_window_days: int,
    previous_expiry: datetime.date | None,
) -> datetime.date | None:
    """The expiry of a completion, or None for a module that never expires.

    Renewal without drift: a completion made while the previous best completion is still valid and
    inside its renewal window extends from the previous expiry, so renewing early in the window
    does not lose the remaining days. Outside the window (too early, or after expiry) the new
    expiry rolls from the completion date.
    """
    if validity_months is None:
        return None
    if previous_expiry is not None:
        window_opens = previous_expiry - datetime.timedelta(days=renewal_window_days)
        if window_opens <= completed_on < previous_expiry:
            return add_months(previous_expiry, validity_months)
    return add_months(completed_on, validity_months)
