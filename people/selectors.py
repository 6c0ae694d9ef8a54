"""Reads of the people pages that compose more than the workforce: each touches the database a
fixed number of times whatever the partnership's size."""

from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from imports.reminders import STALE_AFTER_DAYS, last_staff_list_uploads
from notifications.selectors import outbox as outbox_selectors
from training.models import Requirement
from workforce import access
from workforce.models import JobRole
from workforce.rules import current_on_q

# How many people of each problem the data-quality page lists; the download has them all.
SHOWN = 25


@dataclass
class Problem:
    """One kind of gap in the data: what it is, why it matters, and who or what has it."""

    key: str
    title: str
    why: str
    count: int = 0
    people: list = field(default_factory=list)  # StaffMember, the first SHOWN
    items: list = field(default_factory=list)  # other rows: (text, detail)


PEOPLE_PROBLEMS = (
    ("no_email", "No email address", "They get no reminders and cannot open their own record.", Q(email="")),
    (
        "no_manager",
        "No line manager",
        "Nobody is told when their training is overdue, and no manager's digest lists them.",
        Q(line_manager_email=""),
    ),
    (
        "no_start",
        "No start date",
        "Their due dates run from when the requirement came in, not from when they joined.",
        Q(start_date__isnull=True),
    ),
)


PEOPLE_PROBLEM_KEYS = tuple(key for key, _title, _why, _condition in PEOPLE_PROBLEMS)


def people_with(problem_key, *, user, today):
    """Current staff the user may see who have one of PEOPLE_PROBLEMS, by name."""
    condition = next(condition for key, _t, _w, condition in PEOPLE_PROBLEMS if key == problem_key)
    return (
        access.visible_staff(user)
        .filter(current_on_q(today))
        .filter(condition)
        .select_related("agency", "job_role")
        .order_by("agency__name", "last_name", "first_name", "staff_number")
    )


def data_quality(*, user, today=None):
    """Every gap in the data the user may see, for the data-quality page (a query a problem)."""
    today = today or timezone.localdate()
    problems = []
    for key, title, why, _condition in PEOPLE_PROBLEMS:
        people = people_with(key, user=user, today=today)
        problems.append(Problem(key, title, why, count=people.count(), people=list(people[:SHOWN])))
    problems.append(_roles_without_training(user=user, today=today))
    problems.append(_stale_staff_lists(user=user, today=today))
    problems.append(_emails_not_working(user=user, today=today))
    return problems


def _roles_without_training(*, user, today):
    """Job roles that current staff hold and that require no module: nobody in them is asked to train."""
    required = Requirement.objects.values("job_role_id")
    roles = (
        JobRole.objects.exclude(pk__in=required)
        .annotate(
            people=Count("staff", filter=Q(staff__in=access.visible_staff(user).filter(current_on_q(today))))
        )
        .filter(people__gt=0)
        .order_by("name")
    )
    items = [(role.name, f"{role.people:,} current staff") for role in roles]
    return Problem(
        "roles",
        "Job roles with no required training",
        "People in these roles are asked to do nothing: check the role's requirements.",
        count=len(items),
        items=items,
    )


def _stale_staff_lists(*, user, today):
    uploads = last_staff_list_uploads()
    items = []
    for agency in access.visible_agencies(user).filter(active=True).order_by("name"):
        last = uploads.get(agency.id)
        if last is None:
            items.append((agency.name, "No staff list uploaded yet"))
        elif (today - last).days > STALE_AFTER_DAYS:
            items.append(
                (agency.name, f"Last uploaded on {last:%-d %B %Y}, {(today - last).days:,} days ago")
            )
    return Problem(
        "staff_lists",
        f"Staff lists older than {STALE_AFTER_DAYS} days",
        "Leavers and new starters may be missing: ask the agency's HR contact for a new upload.",
        count=len(items),
        items=items,
    )


def _emails_not_working(*, user, today):
    """Current staff whose reminders to their current address could not be delivered (the mail
    server or GOV.UK Notify refused them for good): until their address changes, they get nothing."""
    failed = outbox_selectors.undeliverable_items().filter(
        staff_id=OuterRef("pk"), recipient=OuterRef("email")
    )
    people = (
        access.visible_staff(user)
        .filter(current_on_q(today), Exists(failed))
        .select_related("agency", "job_role")
        .order_by("agency__name", "last_name", "first_name")
    )
    return Problem(
        "emails_failing",
        "Email address not working",
        "Reminders to these people could not be delivered: check the address with their agency's HR contact.",
        count=people.count(),
        people=list(people[:SHOWN]),
    )
