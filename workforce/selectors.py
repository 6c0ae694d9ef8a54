"""Reads of the workforce that are more than a `.get`. Every read starts from workforce.access, so
nothing here can reach outside the user's scope, and each touches the database a fixed number of
times whatever the number of rows."""

import datetime

from django.db.models import Count, Q
from django.utils.formats import date_format

from . import access, rules
from .models import StaffMember
from .rules import current_on_q, leavers_on_q


class StaffStatus:
    CURRENT = "current"
    LEAVERS = "leavers"
    ALL = "all"

    choices = [(CURRENT, "Current staff"), (LEAVERS, "Leavers"), (ALL, "Everyone")]


def _search_q(q):
    """Every word must match a name, staff number or email, so "asha patel" finds Asha Patel."""
    condition = Q()
    for word in q.split():
        condition &= (
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(staff_number__icontains=word)
            | Q(email__icontains=word)
        )
    return condition


def staff_matching(staff, q):
    """`staff` narrowed to those whose name, staff number or email matches every word of `q`
    (all of them for an empty search)."""
    return staff.filter(_search_q(q)) if q.strip() else staff


def staff_search(*, user, agency, q="", status=StaffStatus.CURRENT, today):
    """One agency's staff as the user may see them, filtered by a search and current/leavers/all."""
    staff = access.visible_staff(user).filter(agency=agency).select_related("job_role", "team")
    if status == StaffStatus.CURRENT:
        staff = staff.filter(current_on_q(today))
    elif status == StaffStatus.LEAVERS:
        staff = staff.filter(leavers_on_q(today))
    if q.strip():
        staff = staff.filter(_search_q(q))
    return staff.order_by("last_name", "first_name", "staff_number")


def staff_find(*, user, q):
    """Everyone the user may see (every agency of theirs, leavers too) whose name, staff number
    or email matches every word of `q`; nobody for an empty search."""
    if not q.strip():
        return StaffMember.objects.none()
    return access.visible_staff(user).filter(_search_q(q)).select_related("agency", "job_role")


def staff_state(staff, *, today):
    """ "current", "leaver" or "starting" (a new starter not yet started), for lists."""
    if rules.has_left(left_on=staff.left_on, on=today):
        return "leaver"
    return "current" if staff.is_current_on(today) else "starting"


def staff_status_counts(*, user, agency, today):
    """How many of an agency's staff each status filter shows, in one query."""
    return (
        access.visible_staff(user)
        .filter(agency=agency)
        .aggregate(
            current=Count("pk", filter=current_on_q(today)),
            leavers=Count("pk", filter=leavers_on_q(today)),
            all=Count("pk"),
        )
    )


def agencies_with_staff_counts(*, user, today):
    """The agencies the user may see, each with `current_staff` annotated, in one query."""
    return (
        access.visible_agencies(user)
        .annotate(current_staff=Count("staff", filter=current_on_q(today, prefix="staff__")))
        .order_by("name")
    )


def staff_history(*, staff, limit=100):
    """Changes to one staff member, newest first: who, when, and each field's old and new value.

    simple_history keeps a full snapshot per change; the differences come from comparing each
    snapshot with the one before it (one query for the snapshots, users joined in).
    """
    records = list(
        staff.history.select_related("history_user", "job_role", "team").order_by(
            "-history_date", "-history_id"
        )[: limit + 1]
    )
    changes = []
    for newer, older in zip(records, records[1:] + [None], strict=False):
        if len(changes) == limit:
            break
        changes.append(
            {
                "when": newer.history_date,
                "who": newer.history_user,
                "kind": newer.get_history_type_display(),
                "fields": _field_changes(newer, older),
            }
        )
    return changes


HISTORY_FIELD_LABELS = {
    "staff_number": "Staff number",
    "first_name": "First name",
    "last_name": "Last name",
    "email": "Email",
    "job_role": "Job role",
    "job_title": "Job title",
    "team": "Team",
    "line_manager_email": "Line manager email",
    "start_date": "Start date",
    "role_since": "In role since",
    "left_on": "Leaving date",
}


def _field_changes(newer, older):
    if older is None:
        return []
    changes = []
    for field, label in HISTORY_FIELD_LABELS.items():
        attname = StaffMember._meta.get_field(field).attname
        if getattr(newer, attname) != getattr(older, attname):
            changes.append({"field": label, "old": _display(older, field), "new": _display(newer, field)})
    return changes


def _display(record, field):
    """A readable value. A team deleted since keeps its id in old snapshots: show the id then."""
    if field in {"job_role", "team"}:
        related_id = getattr(record, f"{field}_id")
        if related_id is None:
            return None
        related = getattr(record, field, None)
        return str(related) if related is not None else f"#{related_id}"
    value = getattr(record, field)
    if isinstance(value, datetime.date):
        return date_format(value)
    return value
