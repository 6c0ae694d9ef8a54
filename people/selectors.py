"""Reads of the people pages that compose more than the workforce: each touches the database a
fixed number of times whatever the partnership's size."""

from dataclasses import dataclass

from training.models import Completion, Module, Verification
from workforce import access
from workforce.selectors import agencies_with_staff_counts


@dataclass(frozen=True)
class Overview:
    agencies: list
    agency_count: int
    current_staff: int
    active_modules: int
    awaiting_verification: int


def agency_overview(*, user, today):
    """Partnership figures for a lead's home page: three queries whatever the partnership's size."""
    agencies = list(agencies_with_staff_counts(user=user, today=today))
    awaiting = Completion.objects.filter(
        verification=Verification.PENDING, staff__in=access.visible_staff(user)
    ).count()
    return Overview(
        agencies=agencies,
        agency_count=len(agencies),
        current_staff=sum(agency.current_staff for agency in agencies),
        active_modules=Module.objects.filter(active=True).count(),
        awaiting_verification=awaiting,
    )
