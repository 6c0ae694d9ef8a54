"""Who must have a second factor, who has one, and whether this session has passed it.

A session has passed when allauth recorded, for this user, a second-factor step (the code at
sign-in, at a re-check, or when setting the app up) or a single sign-on through the identity
provider, which asks for its own second factor. A user who signs in with only a password has
neither, and the middleware (accounts.middleware) sends them to the step they still owe.
"""

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth import get_user_model

from workforce import access

PASSED_METHODS = {"mfa", "socialaccount"}


def second_factor_required(user) -> bool:
    """Leads and superusers always; members of MFA_REQUIRED_GROUPS too. One query for the group
    names at most, shared with the access checks of the same request (workforce.access)."""
    if not user.is_authenticated:
        return False
    if access.is_lead(user):
        return True
    return access.in_any_group(user, settings.MFA_REQUIRED_GROUPS)


def has_second_factor(user) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def session_passed_second_factor(request, user) -> bool:
    return any(record.get("method") in PASSED_METHODS for record in get_authentication_records(request, user))


def signed_in_by_sso(request, user) -> bool:
    return any(
        record.get("method") == "socialaccount" for record in get_authentication_records(request, user)
    )


def accounts_with_second_factors():
    """Every active account with a role (leads, HR, superusers), each annotated with when its
    authenticator app was set up (None: not yet), for the lead's page. Two queries."""
    users = list(
        get_user_model()
        .objects.filter(is_active=True)
        .prefetch_related("groups")
        .order_by("last_name", "first_name", "username")
    )
    set_up = dict(
        Authenticator.objects.filter(type=Authenticator.Type.TOTP).values_list("user_id", "created_at")
    )
    for user in users:
        user._group_names = {group.name for group in user.groups.all()}
        user.second_factor_set_up_at = set_up.get(user.pk)
        user.second_factor_required = second_factor_required(user)
    return users
