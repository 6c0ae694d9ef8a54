"""Second-factor changes a user makes on their own pages (allauth's signals), into the audit log.
A lead's reset of someone else's is recorded by accounts.services.mfa_reset."""

from allauth.mfa import signals
from django.dispatch import receiver

from audit import actions
from audit.services import audit_record

WORDS = {
    "totp": (
        "Set up an authenticator app",
        "Removed their authenticator app",
        "Changed their authenticator app",
    ),
    "recovery_codes": ("Made recovery codes", "Removed their recovery codes", "Made new recovery codes"),
}


def _record(request, user, authenticator, which):
    words = WORDS.get(authenticator.type, (f"Added a {authenticator.type}", "Removed", "Reset"))[which]
    audit_record(
        action=actions.SECOND_FACTOR_CHANGED,
        request=request,
        user=user,
        target=user,
        detail=words,
        extra={"authenticator": authenticator.type},
    )


@receiver(signals.authenticator_added)
def second_factor_added(sender, request, user, authenticator, **kwargs):
    _record(request, user, authenticator, 0)


@receiver(signals.authenticator_removed)
def second_factor_removed(sender, request, user, authenticator, **kwargs):
    _record(request, user, authenticator, 1)


@receiver(signals.authenticator_reset)
def second_factor_reset_by_its_owner(sender, request, user, authenticator, **kwargs):
    _record(request, user, authenticator, 2)
