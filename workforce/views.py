"""Staff sign-in by emailed link: ask for a link, open it, choose a record, sign out.

No account is involved: opening a good link puts the staff ids in the session (workforce.access,
the one scoping mechanism), and the staff member's pages (training.views.records) read them
from there.
"""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from audit import actions
from audit.services import audit_record

from . import access, clients, signin
from .forms import SigninLinkRequestForm

REFUSED_STATUS = {signin.INVALID: 400, signin.EXPIRED: 403, signin.NO_LONGER_VALID: 403, signin.USED: 403}


@require_http_methods(["GET", "POST"])
def signin_request(request):
    """The same page follows every valid request, known address or not: it reveals nothing."""
    if request.method == "POST":
        form = SigninLinkRequestForm(request.POST)
        if form.is_valid():
            email = form.cleaned_data["email"]
            signin.signin_link_request(email=email, client_ip=clients.client_ip(request))
            context = {
                "email": signin.normalise_email(email),
                "days": signin.LINK_MAX_AGE.days,
                "limit": settings.STAFF_SIGNIN_LINKS_PER_ADDRESS_PER_HOUR,
            }
            return render(request, "workforce/signin/sent.html", context)
    else:
        form = SigninLinkRequestForm(initial={"email": request.GET.get("email", "")[:254]})
    return render(request, "workforce/signin/request.html", {"form": form})


@never_cache
@require_http_methods(["GET", "POST"])
def signin_open(request, token):
    """GET shows a "Continue to your record" button and signs no one in (mail scanners fetch
    links); its POST uses the link up and starts the staff session. A used link opened again in
    the browser that used it (every link of one reminder shares one sign-in link) goes on to its
    page while that browser's staff session lasts."""
    try:
        if request.method == "POST":
            staff = signin.signin_link_use(token)
        else:
            staff = signin.staff_for_token(token)
    except signin.LinkRefused as refused:
        if refused.reason == signin.USED and _signed_in_as(request, refused.email):
            return redirect(_own_page(request) or "staff_home")
        context = {
            "reason": refused.reason,
            "form": SigninLinkRequestForm(initial={"email": refused.email}),
            "days": signin.LINK_MAX_AGE.days,
        }
        status = REFUSED_STATUS[refused.reason]
        response = render(request, "workforce/signin/refused.html", context, status=status)
        response["Referrer-Policy"] = "same-origin"
        return response
    if request.method == "GET":
        response = render(request, "workforce/signin/continue.html", {"count": len(staff)})
        # The page's address holds the token: no browser sends it to another site as a referrer
        # ("no-referrer" would also make Chromium send "Origin: null", which CSRF refuses).
        response["Referrer-Policy"] = "same-origin"
        return response
    access.staff_session_start(request, [person.pk for person in staff])
    audit_record(
        action=actions.STAFF_SIGNIN,
        request=request,
        actor=f"staff sign-in: {staff[0].email}",
        target=staff[0] if len(staff) == 1 else ("workforce.staffmember", "", f"{len(staff)} staff records"),
        extra={"staff_ids": [person.pk for person in staff]},
    )
    # Straight on to a page without the token in its address (history, referrers): the record, or
    # the page of it the link named (a reminder's "Book a place" on a session).
    return redirect(_own_page(request) or "staff_home")


def _signed_in_as(request, email):
    """Whether this browser's staff session already opens a record with this address."""
    return bool(email) and access.signed_in_staff(request).filter(email__iexact=email).exists()


def _own_page(request):
    """`?next=` when it is a page of a staff member's own record on this site, else None."""
    target = request.GET.get("next", "")
    if target.startswith("/my/") and url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        return target
    return None


@never_cache
@access.staff_session_required
def staff_home(request):
    """One record opens at once; someone on two agencies' staff lists chooses."""
    records = list(
        access.signed_in_staff(request).select_related("agency", "job_role").order_by("agency__name")
    )
    if not records:
        # Everyone the link opened has left since: the session opens nothing any more.
        access.staff_session_end(request)
        return redirect("staff_signin")
    if len(records) == 1:
        return redirect("records:my_record", pk=records[0].pk)
    return render(request, "workforce/signin/choose.html", {"records": records})


@require_POST
def signout(request):
    access.staff_session_end(request)
    messages.success(request, "You have signed out. To open your record again, ask for a new sign-in link.")
    return redirect("staff_signin")
