"""Who may see and change the workforce strategy, built on workforce.access (the one mechanism).

- Partnership leads read and change everything here.
- Agency HR users read the actions owned within their own agencies, and nothing else of the
  strategy: no rounds, frameworks or settings, and no editing.
- Anyone else sees nothing. Out-of-scope objects answer 404, as everywhere in the tracker.
"""

from django.http import Http404
from django.shortcuts import get_object_or_404

from workforce.access import is_agency_hr, is_lead, visible_agencies

from .models import Action, AssessmentRound, Framework


def can_edit_strategy(user):
    return is_lead(user)


def can_read_actions(user):
    return is_lead(user) or is_agency_hr(user)


def require_lead(user):
    """Raise 404 (never 403) for anyone who is not a lead: the page's existence is not revealed."""
    if not is_lead(user):
        raise Http404("Not found")


def visible_actions(user):
    if is_lead(user):
        return Action.objects.all()
    if is_agency_hr(user):
        return Action.objects.filter(owner_agency__in=visible_agencies(user))
    return Action.objects.none()


def get_visible_action_or_404(user, **lookup):
    return get_object_or_404(visible_actions(user).select_related("owner_agency"), **lookup)


def get_editable_action_or_404(user, **lookup):
    require_lead(user)
    return get_visible_action_or_404(user, **lookup)


def visible_rounds(user):
    return AssessmentRound.objects.all() if is_lead(user) else AssessmentRound.objects.none()


def get_visible_round_or_404(user, **lookup):
    return get_object_or_404(visible_rounds(user).select_related("framework", "agency"), **lookup)


def visible_frameworks(user):
    return Framework.objects.all() if is_lead(user) else Framework.objects.none()


def get_visible_framework_or_404(user, **lookup):
    return get_object_or_404(visible_frameworks(user), **lookup)
