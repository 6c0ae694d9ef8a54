"""django-allauth adapters: nobody signs up, single sign-on matches a verified email to an account a
lead made, and allauth's limits key on the real client address (workforce.clients)."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.contrib.auth import get_user_model
from django.shortcuts import render

from workforce.clients import client_ip

from . import selectors

# Messages of allauth's that the tracker does not show (it never said "signed in as" before).
QUIET_MESSAGES = {"account/messages/logged_in.txt", "account/messages/logged_out.txt"}


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "too_many_login_attempts": "Too many wrong codes. Wait 5 minutes, then try again",
        "rate_limited": "Too many wrong codes. Wait 5 minutes, then try again",
    }

    def is_open_for_signup(self, request):
        return False

    def get_client_ip(self, request):
        return client_ip(request)

    def add_message(
        self, request, level, message_template=None, message_context=None, extra_tags="", message=None
    ):
        if message_template in QUIET_MESSAGES:
            return
        super().add_message(request, level, message_template, message_context, extra_tags, message)

    def get_login_stages(self):
        return [
            "accounts.stages.AuthenticateStage" if path == "allauth.mfa.stages.AuthenticateStage" else path
            for path in super().get_login_stages()
        ]

    def is_reauthentication_required(self, *, app, **kwargs):
        # Setting up a first authenticator app right after signing in asks for no password again:
        # the app's own code is the proof, and a lead who must have one is sent there at once.
        request = context.request
        if app == "allauth.mfa" and request is not None and request.user.is_authenticated:
            if not selectors.has_second_factor(request.user):
                return False
        return super().is_reauthentication_required(app=app, **kwargs)


def claimed_email(sociallogin):
    """(email, vouched): the `email` claim, and whether one of OIDC_EMAIL_VERIFIED_CLAIMS is true,
    from the ID token and the userinfo answer together."""
    extra = sociallogin.account.extra_data or {}
    claims = {**(extra.get("id_token") or {}), **(extra.get("userinfo") or {})}
    email = (claims.get("email") or "").strip()
    vouched = any(
        claims.get(name) in (True, "true", "True", 1) for name in settings.OIDC_EMAIL_VERIFIED_CLAIMS
    )
    return email, vouched


def refuse(request, reason, *, email=""):
    """The page for an identity that may not sign in: what happened, and whom to ask."""
    response = render(
        request,
        "accounts/sso_refused.html",
        {
            "reason": reason,
            "email": email,
            "provider_name": settings.OIDC_PROVIDER_NAME,
            "help_contact": settings.SIGNIN_HELP_CONTACT,
        },
        status=403,
    )
    raise ImmediateHttpResponse(response)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin):
        return False

    def is_auto_signup_allowed(self, request, sociallogin):
        return False

    def pre_social_login(self, request, sociallogin):
        """Connect a first sign-in to the one active account with the verified email; refuse any
        other (no account, an unverified email, or two accounts sharing the address)."""
        if sociallogin.is_existing:
            return  # connected at an earlier sign-in, by verified email
        email, vouched = claimed_email(sociallogin)
        if not email or not vouched:
            refuse(request, "unverified", email=email)
        users = list(get_user_model().objects.filter(email__iexact=email, is_active=True)[:2])
        if len(users) != 1:
            refuse(request, "unknown" if not users else "shared", email=email)
        sociallogin.connect(request, users[0])


class MFAAdapter(DefaultMFAAdapter):
    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "incorrect_code": (
            "Enter the 6-digit code your authenticator app shows now, or one of your unused recovery codes"
        ),
        "cannot_delete_authenticator": "You cannot turn off your second factor",
    }

    def get_totp_label(self, user):
        return user.get_username()
