"""Small builders for reminder tests: a module, a role requiring it, people in that role."""

import datetime

from tests import factories
from workforce.models import Agency

D = datetime.date


def quiet_agency(**fields):
    """An agency without HR or training-lead addresses, so no digest or review muddles a test
    about one person's reminders."""
    defaults = {
        "name": "Northshire Police",
        "slug": "northshire-police",
        "hr_contact_email": "",
        "training_lead_email": "",
    }
    return factories.AgencyFactory(**{**defaults, **fields})


def hsb101():
    return factories.ModuleFactory(
        code="HSB-101",
        title="Understanding harmful sexual behaviour",
        validity_months=36,
        renewal_window_days=60,
        delivery_mode="e_learning",
        duration="2 hours",
    )


LONG_AGO = D(2020, 1, 1)
STARTED = D(2020, 1, 6)


def role_requiring(*modules, name="Police officer", starts_on=LONG_AGO, due_within_days=90):
    role = factories.JobRoleFactory(name=name)
    for module in modules:
        factories.RequirementFactory(
            job_role=role, module=module, starts_on=starts_on, due_within_days=due_within_days
        )
    return role


def person(
    agency,
    role,
    *,
    first_name="Asha",
    last_name="Patel",
    email=None,
    manager="",
    start=STARTED,
    **extra,
):
    number = extra.pop("staff_number", None) or f"E{abs(hash((first_name, last_name))) % 10**6:06d}"
    return factories.StaffMemberFactory(
        agency=agency,
        job_role=role,
        first_name=first_name,
        last_name=last_name,
        staff_number=number,
        email=email if email is not None else f"{first_name}.{last_name}@example.org".lower(),
        line_manager_email=manager,
        start_date=start,
        role_since=extra.pop("role_since", start),
        **extra,
    )


def complete(staff, module, on, *, today=None):
    from training.models import CompletionSource
    from training.services import completion_record

    return completion_record(
        staff=staff, module=module, completed_on=on, source=CompletionSource.MANUAL, today=today or on
    )


def set_created(agency: Agency, day: datetime.date):
    """Backdate an agency's creation (the start of its staff-list review clock)."""
    import datetime as dt

    from django.utils import timezone

    Agency.objects.filter(pk=agency.pk).update(
        created_at=timezone.make_aware(dt.datetime.combine(day, dt.time(12)))
    )
    agency.refresh_from_db()
