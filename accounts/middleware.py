"""No page before the second factor.

A signed-in user who must have a second factor (accounts.selectors.second_factor_required) and
whose session has not passed one is sent, from any page, to the one step they owe: setting up an
authenticator app when they have none, or its code when they have one (a session that reached
sign-in some other way than the tracker's own sign-in page, which asks for the code itself). Only
that step's pages and signing out stay reachable. The JSON API (bearer tokens, no session) and
the health check are not pages of a user's session and pass through.
"""

from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import reverse

from . import selectors

# Pages a user who owes a second factor may still open: signing out, and the step itself.
SET_UP_NAMES = (
    "mfa_index",
    "mfa_activate_totp",
    "mfa_view_recovery_codes",
    "mfa_generate_recovery_codes",
    "mfa_download_recovery_codes",
    "mfa_reauthenticate",
    "account_reauthenticate",
)
PASS_THROUGH_PREFIXES = ("/api/", "/healthz", "/static/")


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self._owed_step(request)
        return response or self.get_response(request)

    def _owed_step(self, request):
        path = request.path_info
        if path.startswith(PASS_THROUGH_PREFIXES):
            return None
        user = request.user
        if not user.is_authenticated or not selectors.second_factor_required(user):
            return None
        if selectors.session_passed_second_factor(request, user):
            return None
        if path == reverse("logout"):
            return None
        if selectors.has_second_factor(user):
            step = reverse("mfa_reauthenticate")
            if path == step:
                return None
        else:
            if path in {reverse(name) for name in SET_UP_NAMES}:
                return None
            step = reverse("mfa_activate_totp")
        return redirect(f"{step}?{urlencode({'next': request.get_full_path()})}")
