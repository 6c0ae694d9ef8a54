"""The one place that decides who may see what. Every view, export and download goes through here.

Partnership leads (superusers or members of the "Partnership lead" group) see everything. Agency HR
users see the agencies they hold a membership of. Anyone else sees nothing. An object outside a
user's scope is answered with 404, never 403, so that its existence is not revealed.
"""

from django.shortcuts import get_object_or_404

from .models import Agency, StaffMember

LEAD_GROUP = "Partnership lead"
AGENCY_HR_GROUP = "Agency HR"


def is_lead(user):
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or _in_group(user, LEAD_GROUP)


def is_agency_hr(user):
    if not user.is_authenticated or not user.is_active:
        return False
    return _in_group(user, AGENCY_HR_GROUP) and user.agency_memberships.exists()


def _in_group(user, name):
    # Cached on the user object: navigation and scoping ask several times per request.
    cache = getattr(user, "_group_names", None)
    if cache is None:
        cache = set(user.groups.values_list("name", flat=True))
        user._group_names = cache
    return name in cache


def visible_agencies(user):
    if is_lead(user):
        return Agency.objects.all()
    if is_agency_hr(user):
        return Agency.objects.filter(memberships__user=user)
    return Agency.objects.none()


def visible_staff(user):
    if is_lead(user):
        return StaffMember.objects.all()
    if is_agency_hr(user):
        return StaffMember.objects.filter(agency__memberships__user=user)
    return StaffMember.objects.none()


def get_visible_agency_or_404(user, **lookup):
    return get_object_or_404(visible_agencies(user), **lookup)


def get_visible_staff_or_404(user, **lookup):
    return get_object_or_404(visible_staff(user).select_related("agency", "job_role", "team"), **lookup)
