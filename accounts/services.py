"""Changes to a user's second factor that the tracker itself makes: a lead's reset, and the demo's
set-up. Setting one up and replacing recovery codes are allauth's own pages (accounts.urls)."""

from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.core.exceptions import ValidationError
from django.db import transaction

from audit import actions
from audit.services import audit_record
from workforce import access


@transaction.atomic
def mfa_reset(*, user, by, request=None):
    """Remove `user`'s authenticator app and recovery codes, so that at their next sign-in they set
    up a new app (someone who lost their phone). A partnership lead's action; never their own
    (they change theirs on their own page), and an administrator's only by an administrator.

    Returns how many authenticators were removed. A session the user has open stays signed in.
    """
    if not access.is_lead(by):
        raise ValidationError("Only a partnership lead can reset someone's second factor.")
    if user.pk == by.pk:
        raise ValidationError("You cannot reset your own second factor here: use Your second factor instead.")
    if user.is_superuser and not by.is_superuser:
        raise ValidationError("Only an administrator can reset an administrator's second factor.")
    authenticators = Authenticator.objects.select_for_update().filter(user=user)
    if not authenticators.filter(type=Authenticator.Type.TOTP).exists():
        raise ValidationError(f"{user.get_full_name() or user.get_username()} has no second factor to reset.")
    removed, _ = authenticators.delete()
    audit_record(
        action=actions.SECOND_FACTOR_RESET,
        request=request,
        user=by,
        target=user,
        detail=f"Reset the second factor of {user.get_full_name() or user.get_username()}",
    )
    return removed


@transaction.atomic
def second_factor_set_up(*, user, secret):
    """Give `user` an authenticator app with this base32 secret and a fresh set of recovery codes
    (the demo users, whose key seed_demo prints). Replaces any they had."""
    Authenticator.objects.filter(user=user).delete()
    TOTP.activate(user, secret)
    RecoveryCodes.activate(user)
