"""The verification review: every partnership lead, each day while self-declared completions have
waited over 3 days for verification (PRODUCT.md section 4)."""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Min, Q
from django.urls import reverse
from django.utils import timezone

from training.models import Completion, CompletionSource, Verification
from workforce.access import LEAD_GROUP

from .. import rules
from ..rules import Kind
from . import Check, NamedStage, ReminderKind, ReminderSource, series


def waiting_declarations():
    """Self-declared completions waiting for a lead's verification, oldest first."""
    return Completion.objects.filter(
        source=CompletionSource.SELF_DECLARED, verification=Verification.PENDING
    ).order_by("recorded_at")


def oldest_waiting_declaration() -> datetime.date | None:
    oldest = waiting_declarations().aggregate(oldest=Min("recorded_at"))["oldest"]
    return timezone.localdate(oldest) if oldest is not None else None


def lead_emails() -> list[str]:
    """Addresses of active partnership leads (superusers count as leads)."""
    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    users = users.filter(Q(is_superuser=True) | Q(groups__name=LEAD_GROUP))
    return sorted({email.lower() for email in users.values_list("email", flat=True)})


def _start_of(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class VerificationReviews(ReminderSource):
    kinds = (
        ReminderKind(
            Kind.VERIFICATION_REVIEW,
            Kind.VERIFICATION_REVIEW.label,
            footer="You get this daily, as a partnership lead, while certificates wait more than 3 days.",
        ),
    )
    named_stages = {"daily": NamedStage("each day while needed", "day")}

    def series(self, planning):
        day = planning.day
        if not rules.verification_review_due(oldest_waiting_since=oldest_waiting_declaration(), today=day):
            return
        stage = rules.Stage(day, 0, Kind.VERIFICATION_REVIEW, "daily")
        for email in lead_emails():
            yield series(
                kind=Kind.VERIFICATION_REVIEW, recipient=email, stages=[stage], today=day, cycle_date=day
            )

    def check(self, items, *, today):
        waiting = (
            waiting_declarations()
            .filter(recorded_at__lt=_start_of(rules.verification_overdue_since(today)))
            .select_related("staff", "staff__agency", "module")
        )
        total = waiting.count()
        if not total:
            found = Check("nothing is waiting for verification")
        else:
            found = Check(content={"total": total, "oldest": list(waiting[:20])})
        return {item.id: found for item in items}

    def email_context(self, item, facts):
        content = facts.contents[item.id]
        return {
            "total": content["total"],
            "oldest": content["oldest"],
            "queue_url": settings.SITE_URL + reverse("records:verification_queue"),
        }
