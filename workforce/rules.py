"""Who is current staff on a date (PRODUCT.md section 2): the one rule, as a pure function and as
its query twin side by side, like the compliance rules (training.compliance and the engine's SQL).

Current staff on a date D: no start date or a start date on or before D, and no leaving date or a
leaving date after D. A leaver on D has a leaving date on or before D. Someone who has not left by
D is current or has not started yet (a new starter): sign-in links, exports and the email
uniqueness rule cover them too. tests/workforce/test_rules.py checks each function against its
twin on a table of cases.
"""

import datetime

from django.db.models import Q


def is_current(*, start_date: datetime.date | None, left_on: datetime.date | None, on: datetime.date) -> bool:
    return (start_date is None or start_date <= on) and (left_on is None or left_on > on)


def has_left(*, left_on: datetime.date | None, on: datetime.date) -> bool:
    return left_on is not None and left_on <= on


def current_on_q(day, prefix="") -> Q:
    """Current staff on `day`, as a filter (`prefix` reaches staff through a relation: "staff__")."""
    return (Q(**{f"{prefix}start_date__isnull": True}) | Q(**{f"{prefix}start_date__lte": day})) & not_left_q(
        day, prefix
    )


def not_left_q(day, prefix="") -> Q:
    """Staff who have not left by `day`: current staff and new starters not yet started."""
    return Q(**{f"{prefix}left_on__isnull": True}) | Q(**{f"{prefix}left_on__gt": day})


def leavers_on_q(day, prefix="") -> Q:
    return Q(**{f"{prefix}left_on__lte": day})
