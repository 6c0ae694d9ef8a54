"""Panels that the person page (people/staff_detail.html) includes: the lead's actions for a
person, and the person's exemptions. Each reads what it shows in one query, scoped by the page's
own access check (the page only renders for someone allowed to see the person)."""

from django import template
from django.utils import timezone

from workforce import access

from ..compliance import exemption_ended
from ..models import Completion, Exemption, Verification

register = template.Library()


@register.inclusion_tag("training/includes/person_actions_panel.html", takes_context=True)
def person_actions_panel(context, staff):
    user = context["request"].user
    is_lead = access.is_lead(user)
    pending = []
    if is_lead:
        pending = list(
            Completion.objects.filter(staff=staff, verification=Verification.PENDING)
            .select_related("module")
            .order_by("recorded_at")
        )
    return {"staff": staff, "is_lead": is_lead, "pending": pending}


@register.inclusion_tag("training/includes/person_exemptions_panel.html", takes_context=True)
def person_exemptions_panel(context, staff):
    today = timezone.localdate()
    exemptions = list(
        Exemption.objects.filter(staff=staff).select_related("module").order_by("-starts_on", "-id")
    )
    return {
        "staff": staff,
        "is_lead": access.is_lead(context["request"].user),
        "exemptions": [
            {
                "exemption": exemption,
                "ended": exemption_ended(ends_on=exemption.ends_on, on=today),
            }
            for exemption in exemptions
        ],
    }
