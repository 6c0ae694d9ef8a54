"""Every write to the workforce: one function per change of state."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from . import rules
from .models import Agency, AgencyMembership, JobRole, StaffMember, Team

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
    if rules.has_left(left_on=left_on, on=today):
        return
    clash = StaffMember.objects.filter(agency=agency, email=email).filter(rules.not_left_q(today))
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


# Apps above that keep figures following a person's record (training's maintained compliance
# state) register a listener from their AppConfig.ready(); it is called with the ids of the people
# a write changed, inside the write's transaction. Workforce never names them.
_staff_listeners = []


def staff_listener_register(listener):
    """Call `listener(staff_ids)` after every write of staff through these services and the imports."""
    if listener not in _staff_listeners:
        _staff_listeners.append(listener)


def staff_changed(staff_ids):
    """Tell the registered listeners that the records of `staff_ids` changed (bulk writers call
    this too, inside their transaction)."""
    for listener in _staff_listeners:
        listener(staff_ids)


def staff_create(*, agency, actor=None, today=None, **fields):
    today = today or timezone.localdate()
    staff = StaffMember(agency=agency, **fields)
    if staff.role_since is None:
        staff.role_since = staff.start_date
    _clean(staff, today=today)
    staff._history_user = actor
    with transaction.atomic():
        staff.save()
        staff_changed([staff.pk])
    return staff


def staff_update(*, staff, actor=None, today=None, **changes):
    """Change a staff member. A change of job role moves `role_since` to today unless given."""
    today = today or timezone.localdate()
    unknown = set(changes) - {*STAFF_FIELDS, "user"}
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
        staff_changed([staff.pk])
    return staff


# ---------------------------------------------------------------------------------------------
# What every app's services share: the acting user, validation, the history row
# ---------------------------------------------------------------------------------------------


def acting_user(actor):
    """The user a write is recorded against: None for the command line and signed-out visitors."""
    return actor if actor is not None and actor.is_authenticated else None


def save_validated(obj, *, actor):
    """Validate `obj` with the model's own checks and save it, with `actor` on any history row."""
    obj.full_clean()
    obj._history_user = acting_user(actor)
    with transaction.atomic():
        obj.save()
    return obj


def delete_recorded(obj, *, actor):
    """Delete `obj`; its history keeps a "deleted" row naming `actor`."""
    obj._history_user = acting_user(actor)
    obj.delete()


def set_fields(obj, changes, allowed):
    """Set `changes` on `obj`, refusing a field a service does not let change."""
    unknown = set(changes) - set(allowed)
    if unknown:
        raise TypeError(f"Unknown {type(obj).__name__} fields: {', '.join(sorted(unknown))}")
    for name, value in changes.items():
        setattr(obj, name, value)
    return obj


JOB_ROLE_FIELDS = ("name", "tier", "aliases", "description")
AGENCY_FIELDS = (
    "name",
    "slug",
    "sector",
    "hr_contact_email",
    "training_lead_email",
    "reminder_from_email",
    "reminder_reply_to",
    "active",
)


def job_role_create(*, actor=None, **fields):
    return save_validated(set_fields(JobRole(), fields, JOB_ROLE_FIELDS), actor=actor)


def job_role_update(*, job_role, actor=None, **changes):
    """Change a catalogue job role. A change of tier moves its people's figures to the new tier."""
    return save_validated(set_fields(job_role, changes, JOB_ROLE_FIELDS), actor=actor)


def agency_update(*, agency, actor=None, **changes):
    """Change an agency. An inactive agency's staff get no reminders and leave the partnership's
    figures (its own page still shows them)."""
    return save_validated(set_fields(agency, changes, AGENCY_FIELDS), actor=actor)


def team_create(*, agency, name, actor=None):
    return save_validated(Team(agency=agency, name=(name or "").strip()), actor=actor)


def team_rename(*, team, name, actor=None):
    team.name = (name or "").strip()
    return save_validated(team, actor=actor)


def team_delete(*, team, actor=None):
    """Delete a team: its people stay, without a team."""
    team.delete()


def agency_membership_revoke(*, membership, actor=None):
    membership.delete()


def team_get_or_create(*, agency, name):
    name = (name or "").strip()
    if not name:
        return None
    team, _ = Team.objects.get_or_create(agency=agency, name=name)
    return team


def agency_membership_grant(*, user, agency, actor=None):
    membership, _ = AgencyMembership.objects.get_or_create(user=user, agency=agency)
    return membership


def agency_create(*, actor=None, **fields):
    return save_validated(set_fields(Agency(), fields, AGENCY_FIELDS), actor=actor)
