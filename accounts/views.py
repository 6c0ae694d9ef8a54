"""Sign-in pages: the password form (with allauth's second-factor step after it), the pages that
replace allauth's where the tracker's rules differ, and the lead's page of second factors."""

import functools

from allauth.account.internal.flows.login import perform_password_login, record_authentication
from allauth.account.models import Login
from allauth.mfa.models import Authenticator
from allauth.mfa.totp import views as totp_views
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from workforce import access

from . import selectors, services


def sso_provider():
    """The configured identity provider as the sign-in page shows it, or None."""
    if not settings.OIDC_SERVER_URL:
        return None
    return {
        "name": settings.OIDC_PROVIDER_NAME,
        "login_url": reverse("openid_connect_login", kwargs={"provider_id": settings.OIDC_PROVIDER_ID}),
    }


class SignInView(auth_views.LoginView):
    """Django's password form (django-axes counts its failures), then allauth's login flow, which
    asks for the second factor of a user who has one before anyone is signed in."""

    template_name = "registration/login.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(sso=sso_provider(), password_signin=settings.PASSWORD_SIGNIN_ENABLED)
        return context

    def post(self, request, *args, **kwargs):
        if not settings.PASSWORD_SIGNIN_ENABLED:
            messages.error(
                request, f"Passwords are turned off here: sign in with {settings.OIDC_PROVIDER_NAME}."
            )
            return redirect(request.get_full_path())
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        user = form.get_user()
        login = Login(user=user, redirect_url=self.get_success_url())
        return perform_password_login(self.request, {"username": user.get_username()}, login)


def password_signin_required(view):
    """Password pages (reset, change) answer only while passwords are on."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not settings.PASSWORD_SIGNIN_ENABLED:
            context = {"provider_name": settings.OIDC_PROVIDER_NAME}
            return render(request, "accounts/passwords_off.html", context, status=404)
        return view(request, *args, **kwargs)

    return wrapper


class ActivateTOTPView(totp_views.ActivateTOTPView):
    """allauth's set-up page; a code that sets the app up also passes this session's second factor,
    so someone sent here at sign-in goes on to their recovery codes and then the tracker."""

    def form_valid(self, form):
        response = super().form_valid(form)
        authenticator = Authenticator.objects.get(user=self.request.user, type=Authenticator.Type.TOTP)
        record_authentication(
            self.request, self.request.user, "mfa", id=authenticator.pk, type="totp", reauthenticated=True
        )
        return response


def signup_closed(request):
    """Nobody signs up: an account is made by a lead (allauth's sign-up pages all lead here)."""
    context = {
        "reason": "unknown",
        "provider_name": settings.OIDC_PROVIDER_NAME,
        "help_contact": settings.SIGNIN_HELP_CONTACT,
    }
    return render(request, "accounts/sso_refused.html", context, status=403)


def account_inactive(request):
    return render(
        request, "accounts/account_inactive.html", {"help_contact": settings.SIGNIN_HELP_CONTACT}, status=403
    )


@login_required
def second_factors(request):
    """Every account's second factor, for a lead: who has set one up, who must, and a reset."""
    access.require_lead(request.user)
    users = [
        user
        for user in selectors.accounts_with_second_factors()
        if user.second_factor_required or user.second_factor_set_up_at
    ]
    context = {"accounts": users, "required_groups": settings.MFA_REQUIRED_GROUPS}
    return render(request, "accounts/second_factors.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def second_factor_reset(request, pk):
    """Confirm, then reset one user's second factor (a lead's action; accounts.services.mfa_reset)."""
    access.require_lead(request.user)
    user = get_object_or_404(get_user_model(), pk=pk, is_active=True)
    error = None
    if request.method == "POST":
        try:
            services.mfa_reset(user=user, by=request.user, request=request)
        except ValidationError as exc:
            error = exc.messages[0]
        else:
            name = user.get_full_name() or user.get_username()
            messages.success(
                request, f"{name}'s second factor is reset: they set up a new app when they next sign in."
            )
            return redirect("second_factors")
    has_one = selectors.has_second_factor(user)
    context = {"account": user, "error": error, "has_second_factor": has_one}
    return render(request, "accounts/second_factor_reset.html", context, status=400 if error else 200)
