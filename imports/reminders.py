"""The staff-list review (PRODUCT.md section 4): an agency's HR contact is reminded when the
agency's last applied staff-list upload is over 90 days old, then every 30 days, until a new list
is uploaded. A reminder source of the engine (notifications.sources), registered by
ImportsConfig.ready(): the engine knows nothing of uploads.

The cycle is the day of the last upload (L); a stage is "L+91", 91 days after it. An agency that
has never uploaded counts from the day it was created.
"""

import datetime

from django.conf import settings
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from notifications import rules
from notifications.sources import Check, Cycle, ReminderKind, ReminderSource, series
from workforce.models import Agency

from .models import ImportRecord

KIND = "staff_list_review"
UPLOAD_CYCLE = "L"
STALE_AFTER_DAYS = 90  # an upload "over 90 days old"
REPEAT_DAYS = 30


def review_stages(
    *,
    last_upload: datetime.date,
    today: datetime.date,
    stale_after_days: int = STALE_AFTER_DAYS,
    repeat_days: int = REPEAT_DAYS,
) -> list[rules.Stage]:
    """Reviews once the last staff-list upload is over 90 days old, then every 30 days, up to the
    first one after `today` (so a caller can also show the next one). A pure rule."""
    stages = []
    offset = stale_after_days + 1
    while True:
        trigger = last_upload + offset * rules.DAY
        stages.append(rules.Stage(trigger, offset, KIND, rules.stage_label(UPLOAD_CYCLE, offset)))
        if trigger > today:
            return stages
        offset += repeat_days


def last_staff_list_uploads() -> dict[int, datetime.date]:
    """The day of each agency's last applied staff-list upload, by agency id (one query)."""
    rows = (
        ImportRecord.objects.filter(kind=ImportRecord.Kind.STAFF, status=ImportRecord.Status.COMMITTED)
        .order_by()
        .values("agency_id")
        .annotate(last=Max("created_at"))
    )
    return {row["agency_id"]: timezone.localdate(row["last"]) for row in rows if row["last"] is not None}


class StaffListReviews(ReminderSource):
    kinds = (
        ReminderKind(
            KIND,
            "Staff-list review",
            footer=(
                "You get this as your agency's HR contact in the tracker, every 30 days while the staff "
                "list is out of date. A partnership lead can change the contact."
            ),
        ),
    )
    cycles = {
        UPLOAD_CYCLE: Cycle(
            "the last staff-list upload", "on the day of the last staff-list upload", "last staff-list upload"
        )
    }

    def series(self, planning):
        uploads = last_staff_list_uploads()
        agencies = Agency.objects.filter(active=True).exclude(hr_contact_email="")
        for agency_id, email, created_at in agencies.values_list("id", "hr_contact_email", "created_at"):
            last_upload = uploads.get(agency_id) or timezone.localdate(created_at)
            yield series(
                kind=KIND,
                recipient=email.lower(),
                stages=review_stages(last_upload=last_upload, today=planning.day),
                today=planning.day,
                agency_id=agency_id,
                cycle_date=last_upload,
            )

    def check(self, items, *, today):
        uploads = last_staff_list_uploads()
        return {item.id: self._check(item, today, uploads) for item in items}

    def _check(self, item, today, uploads):
        agency = item.agency
        if not agency.active:
            return Check("the agency is inactive")
        if agency.hr_contact_email.lower() != item.recipient:
            return Check("the agency's HR contact changed")
        last = uploads.get(agency.id)
        if last is not None and last > item.cycle_date:
            return Check(f"a staff list was uploaded on {rules.long_date(last)}")
        return Check(
            content={"last_upload": item.cycle_date, "days": (today - item.cycle_date).days, "uploaded": last}
        )

    def email_context(self, item, facts):
        content = facts.contents[item.id]
        return {
            "agency": item.agency,
            "last_upload": rules.long_date(content["last_upload"]),
            "never_uploaded": content["uploaded"] is None,
            "days": content["days"],
            "upload_url": settings.SITE_URL + reverse("imports:upload", args=["staff"]),
        }
