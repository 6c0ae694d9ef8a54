"""The one place that decides who may see what. Every view, export and download goes through here.

Partnership leads (superusers or members of the "Partnership lead" group) see everything. Agency HR
users see the agencies they hold a membership of. Anyone else sees nothing. An object outside a
user's scope is answered with 404, never 403, so that its existence is not revealed. Staff
members have no account: they sign in by an emailed link, and see only their own record (the
staff-session functions at the end of this module).
"""

import functools

from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone

from . import rules
from .models import Agency, ExportJob, StaffMember

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


def in_any_group(user, names):
    """Whether an active user belongs to any of the groups `names` (the groups that must have a
    second factor, for instance), from the same cached group names as the role checks."""
    if not user.is_authenticated or not user.is_active:
        return False
    return any(_in_group(user, name) for name in names)


def require_lead(user):
    """Pages for partnership leads only: anyone else gets 404, never 403, so that the page's
    existence is not revealed."""
    if not is_lead(user):
        raise Http404("Not found")


def is_lead_or_hr(user):
    return is_lead(user) or is_agency_hr(user)


def require_lead_or_hr(user):
    """Pages for leads and Agency HR (each then sees their own scope); anyone else gets 404."""
    if not is_lead_or_hr(user):
        raise Http404("Not found")


def scope(user, queryset, *, agency):
    """`queryset` narrowed to what `user` may see: leads everything; Agency HR the rows whose
    agency (reached through the lookup path `agency`, "" for agencies themselves) is one they
    hold a membership of, so a row without an agency is a lead's alone, and with `agency` None
    nothing at all (a lead's pages); anyone else nothing.

    Every scoped read of the tracker (pages, exports, downloads, the admin) goes through here.
    """
    if is_lead(user):
        return queryset
    if is_agency_hr(user) and agency is not None:
        membership = f"{agency}__memberships__user" if agency else "memberships__user"
        return queryset.filter(**{membership: user})
    return queryset.none()


def get_scoped_or_404(user, queryset, *, agency, **lookup):
    """One row of `queryset` within the user's scope (see `scope`), or 404."""
    return get_object_or_404(scope(user, queryset, agency=agency), **lookup)


def visible_agencies(user):
    return scope(user, Agency.objects.all(), agency="")


def visible_staff(user):
    return scope(user, StaffMember.objects.all(), agency="agency")


def get_visible_agency_or_404(user, **lookup):
    return get_object_or_404(visible_agencies(user), **lookup)


def get_visible_staff_or_404(user, **lookup):
    return get_object_or_404(visible_staff(user).select_related("agency", "job_role", "team"), **lookup)


def get_export_job_or_404(user, *, pk, today):
    """A background export (workforce.exports) of the user who asked for it, while they may still
    see what it holds (its kind's own scope check, asked again now); anyone else gets 404."""
    from . import exports

    require_lead_or_hr(user)
    job = get_object_or_404(ExportJob, pk=pk, requested_by=user)
    kind = exports.get(job.kind)
    if kind is None:
        raise Http404("No such export.")
    try:
        kind.size(user, exports.query_of(job.params), today)
    except exports.ExportRefused:
        pass  # a filter no longer valid (a module deleted) hides nothing: the job says why it failed
    return job


# ---------------------------------------------------------------------------------------------
# Staff members signed in through an emailed link (workforce.signin). They have no account: the
# session holds the ids of the staff records the link opened, under one dedicated key, and every
# staff-facing view reads them through the functions below and nowhere else.
# ---------------------------------------------------------------------------------------------

STAFF_SESSION_KEY = "staff_signin"


def staff_session_start(request, staff_ids):
    """Remember in this browser's session that it opened these staff records.

    The session key changes at sign-in (no session fixation); a signed-in Django user, if any,
    stays signed in.
    """
    request.session.cycle_key()
    request.session[STAFF_SESSION_KEY] = sorted({int(pk) for pk in staff_ids})


def staff_session_end(request):
    """Forget the staff records. A browser with no account signed in loses its whole session."""
    request.session.pop(STAFF_SESSION_KEY, None)
    if not request.user.is_authenticated:
        request.session.flush()


def signed_in_staff_ids(request):
    ids = request.session.get(STAFF_SESSION_KEY) or []
    return [pk for pk in ids if isinstance(pk, int)]


def signed_in_staff(request, *, today=None):
    """The staff records this browser signed in to: never anyone else's, and never a leaver's
    (someone who leaves while signed in loses access at once)."""
    ids = signed_in_staff_ids(request)
    if not ids:
        return StaffMember.objects.none()
    today = today or timezone.localdate()
    return StaffMember.objects.filter(pk__in=ids).filter(rules.not_left_q(today))


def get_signed_in_staff_or_404(request, **lookup):
    return get_object_or_404(signed_in_staff(request).select_related("agency", "job_role"), **lookup)


def visible_staff_for_request(request):
    """Everyone whose records this request may read: the user's scope (lead, Agency HR) and the
    staff records signed in to by link. Downloads that several personas share (certificates)
    are scoped by this."""
    return visible_staff(request.user) | signed_in_staff(request)


def staff_session_required(view):
    """Like login_required, for pages of a staff member's own record: without a staff session the
    visitor is sent to the page that emails a sign-in link."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not signed_in_staff_ids(request):
            return redirect("staff_signin")
        return view(request, *args, **kwargs)

    return wrapper
