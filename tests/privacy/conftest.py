"""A partnership with a history: current staff, a long-gone leaver, a recent leaver, their training,
reminder emails, uploads and snapshots, for the retention, erasure and subject access tests."""

import datetime
import uuid

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from imports.models import ImportRecord
from notifications.models import ItemStatus, MessageStatus, ReminderItem, ReminderMessage
from tests import factories
from tests.training.records_fixtures import media  # noqa: F401
from training.models import CompletionSource
from training.services import completion_record
from training.snapshots import compliance_snapshot_take
from workforce.services import staff_update

TODAY = datetime.date(2026, 6, 1)
# Six years before TODAY: someone who left on this date is anonymised on TODAY, not the day before.
CUTOFF = datetime.date(2020, 6, 1)


def at(day, hour=12):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def message_with_item(*, staff, module, day, recipient=None, status=ItemStatus.SENT):
    recipient = recipient or staff.email
    message = ReminderMessage.objects.create(
        recipient=recipient,
        day=day,
        status=MessageStatus.SENT,
        subject=f"{staff.first_name}, {module.code} is overdue",
        text_body=f"Dear {staff.first_name} {staff.last_name}, please complete {module.code}.",
        html_body=f"<p>Dear {staff.first_name} {staff.last_name}</p>",
        headers={"X-Test": recipient},
    )
    ReminderItem.objects.create(
        key=uuid.uuid4(),
        series=f"overdue|{recipient}|{staff.pk}|{module.pk}|{day}",
        kind="overdue",
        recipient=recipient,
        staff=staff,
        module=module,
        agency=staff.agency,
        cycle_date=day,
        stage="U",
        stage_date=day,
        planned_for=day,
        status=status,
        message=message,
        last_error=f"{recipient}: 550 no such user" if status == ItemStatus.FAILED else "",
    )
    return message


def upload_record(agency, *, status, finished_on, content=b"staff_number,first_name\nE1,Asha\n"):
    record = ImportRecord.objects.create(
        kind="staff",
        agency=agency,
        original_name="Our staff.csv",
        sha256="0" * 64,
        status=status,
        created_at=at(finished_on),
        finished_at=at(finished_on),
        rows_count=1,
        new_count=1,
        preview={
            "new": 1,
            "new_rows": [{"first_name": "Gwendolyn", "email": "gwen.previous@example.org"}],
            "ignored_columns": ["Notes"],
        },
        errors=[{"row": 2, "column": "Email", "value": "gwen.previous@", "message": "Not an email"}],
    )
    record.file.save("upload.csv", ContentFile(content), save=True)
    return record


@pytest.fixture
def scene(db, media, agency_a, agency_b):  # noqa: F811
    """Built on the days things happened: the history rows carry those dates."""
    role = factories.JobRoleFactory(name="Social worker")
    module = factories.ModuleFactory(code="HSB-101", validity_months=36)
    factories.RequirementFactory(job_role=role, module=module, starts_on=datetime.date(2015, 1, 1))

    def person(agency, first, last, number, start, left_on=None):
        return factories.StaffMemberFactory(
            agency=agency,
            first_name=first,
            last_name=last,
            staff_number=number,
            email=f"{first}.{last}@example.org".lower(),
            line_manager_email=f"team.manager@{agency.slug}.example.org",
            job_title=f"{first}'s own title",
            job_role=role,
            start_date=start,
            left_on=left_on,
        )

    gone = person(
        agency_a,
        "Gwendolyn",
        "Oldfield",
        "G-100",
        datetime.date(2012, 1, 1),
        CUTOFF - datetime.timedelta(days=400),
    )
    on_cutoff = person(agency_a, "Cuthbert", "Edgeworth", "C-200", datetime.date(2013, 1, 1), CUTOFF)
    day_after = person(
        agency_b,
        "Dorothea",
        "Lateleaver",
        "D-300",
        datetime.date(2013, 1, 1),
        CUTOFF + datetime.timedelta(days=1),
    )
    current = person(agency_a, "Priya", "Stillhere", "P-400", datetime.date(2014, 1, 1))
    # An old address in the history: anonymising removes it there too.
    staff_update(staff=gone, email="gwen.previous@example.org", today=datetime.date(2016, 1, 1))
    staff_update(staff=gone, email="gwendolyn.oldfield@example.org", today=datetime.date(2016, 1, 1))

    records = {}
    for who, done in (
        (gone, datetime.date(2015, 3, 1)),
        (on_cutoff, datetime.date(2016, 3, 1)),
        (current, datetime.date(2025, 3, 1)),
    ):
        records[who.pk] = completion_record(
            staff=who,
            module=module,
            completed_on=done,
            source=CompletionSource.MANUAL,
            today=done,
            certificate_reference=f"CERT-{who.last_name}",
            notes=f"{who.first_name} brought the certificate",
            certificate=ContentFile(b"%PDF-1.4\n%%EOF\n", name="cert.pdf"),
        )
    factories.ExemptionFactory(
        staff=gone,
        module=module,
        starts_on=datetime.date(2014, 1, 1),
        ends_on=datetime.date(2014, 6, 1),
        details="Gwendolyn was on leave",
    )
    factories.AssignmentFactory(
        staff=current, module=factories.ModuleFactory(code="HSB-201"), reason="Priya asked for it"
    )

    messages = {
        "gone_old": message_with_item(staff=gone, module=module, day=datetime.date(2018, 3, 1)),
        "gone_manager": message_with_item(
            staff=gone, module=module, day=datetime.date(2018, 3, 2), recipient=gone.line_manager_email
        ),
        "current_old": message_with_item(staff=current, module=module, day=datetime.date(2023, 1, 5)),
        "current_recent": message_with_item(staff=current, module=module, day=datetime.date(2025, 1, 5)),
    }
    for day in (datetime.date(2015, 6, 1), datetime.date(2019, 6, 1), datetime.date(2026, 5, 1)):
        compliance_snapshot_take(on=day)
    uploads = {
        "applied_old": upload_record(
            agency_a, status=ImportRecord.Status.COMMITTED, finished_on=TODAY - datetime.timedelta(days=91)
        ),
        "applied_recent": upload_record(
            agency_a, status=ImportRecord.Status.COMMITTED, finished_on=TODAY - datetime.timedelta(days=89)
        ),
        "refused_old": upload_record(
            agency_b, status=ImportRecord.Status.INVALID, finished_on=TODAY - datetime.timedelta(days=31)
        ),
        "refused_recent": upload_record(
            agency_b, status=ImportRecord.Status.INVALID, finished_on=TODAY - datetime.timedelta(days=29)
        ),
    }
    return {
        "module": module,
        "gone": gone,
        "on_cutoff": on_cutoff,
        "day_after": day_after,
        "current": current,
        "completions": records,
        "messages": messages,
        "uploads": uploads,
    }


def upcoming_session(module, *, days=20):
    """A classroom session of `module` in `days` days, with places (courses.services)."""
    from courses.services import Part, session_create

    starts = timezone.now().replace(microsecond=0) + datetime.timedelta(days=days)
    return session_create(
        module=module,
        parts=[Part(starts, starts + datetime.timedelta(hours=6))],
        capacity=12,
        delivery_mode="classroom",
        venue="Northshire House, 1 High Street",
        trainers=[("Tara Trainer", "tara@example.org")],
    )
