"""Every write to the workforce: one function per change of state."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from .models import Agency, AgencyMembership, StaffMember, Team

STAFF_FIELDS = (
    "staff_number",
    "first_name",
    "last_name",
    "email",
    "job_role",
    "job_title",
    "team",
    "line_manager_email",
    "start_date",
    "role_since",
    "left_on",
)


def normalise_email(value):
    return (value or "").strip().lower()


def _validate_email_free(*, agency, email, exclude_pk, left_on, today):
    """An email is unique among an agency's current staff (people who have not yet left)."""
    if not email:
        return
    if left_on is not None and left_on <= today:
        return
    clash = StaffMember.objects.filter(agency=agency, email=email).filter(
        Q(left_on__isnull=True) | Q(left_on__gt=today)
    )
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({"email": f"{email} already belongs to a current member of staff at {agency}."})


def _clean(staff, *, today):
    staff.email = normalise_email(staff.email)
    staff.line_manager_email = normalise_email(staff.line_manager_email)
    staff.staff_number = (staff.staff_number or "").strip()
    staff.full_clean(validate_unique=True, validate_constraints=True)
    _validate_email_free(
        agency=staff.agency, email=staff.email, exclude_pk=staff.pk, left_on=staff.left_on, today=today
    )


def staff_create(*, agency, actor=None, today=None, **fields):
    today = today or datetime.date.today()
    staff = StaffMember(agency=agency, **fields)
    if staff.role_since is None:
        staff.role_since = staff.start_date
    _clean(staff, today=today)
    staff._history_user = actor
    staff.save()
    return staff


def staff_update(*, staff, actor=None, today=None, **changes):
    """Change a staff member. A change of job role moves `role_since` to today unless given."""
    today = today or datetime.date.today()
    unknown = set(changes) - set(STAFF_FIELDS)
    if unknown:
        raise TypeError(f"Unknown staff fields: {', '.join(sorted(unknown))}")
    if "job_role" in changes and changes["job_role"] != staff.job_role and "role_since" not in changes:
        changes["role_since"] = today
    for name, value in changes.items():
        setattr(staff, name, value)
    _clean(staff, today=today)
    staff._history_user = actor
    with transaction.atomic():
        staff.save()
    return staff


def staff_mark_left(*, staff, left_on, actor=None):
    return staff_update(staff=staff, left_on=left_on, actor=actor, today=left_on)


def team_get_or_create(*, agency, name):
    name = (name or "").strip()
    if not name:
        return None
    team, _ = Team.objects.get_or_create(agency=agency, name=name)
    return team


def agency_membership_grant(*, user, agency):
    membership, _ = AgencyMembership.objects.get_or_create(user=user, agency=agency)
    return membership


def agency_create(*, actor=None, **fields):
    agency = Agency(**fields)
    agency.full_clean()
    agency._history_user = actor
    agency.save()
    return agency
