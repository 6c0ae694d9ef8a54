"""Signed links that let an action's owner update it without an account.

A link carries the action id and the owner's email address, signed with the site's secret key
(django.core.signing.TimestampSigner, salted for this purpose only). It opens that one action and
nothing else; it stops working when it is older than LINK_MAX_AGE, or when the action changes
owner (the old owner's links then name the wrong address).
"""

import datetime

from django.conf import settings
from django.core import signing
from django.urls import reverse

from .models import Action

SALT = "strategy.action-owner-link"
LINK_MAX_AGE = datetime.timedelta(days=45)

EXPIRED = "expired"
INVALID = "invalid"
OTHER_ACTION = "other_action"
OWNER_CHANGED = "owner_changed"


class LinkRefused(Exception):
    def __init__(self, reason, action=None):
        super().__init__(reason)
        self.reason = reason
        self.action = action


def _signer():
    return signing.TimestampSigner(salt=SALT)


def owner_token(action) -> str:
    return _signer().sign_object({"a": action.pk, "e": action.owner_email})


def owner_path(action) -> str:
    return reverse("strategy:owner_update", kwargs={"pk": action.pk, "token": owner_token(action)})


def owner_url(action) -> str:
    return f"{settings.SITE_URL}{owner_path(action)}"


def action_for_token(*, pk, token) -> Action:
    """The action the link opens, or LinkRefused saying why (with the action when it is known)."""
    try:
        payload = _signer().unsign_object(token, max_age=LINK_MAX_AGE)
    except signing.SignatureExpired:
        raise LinkRefused(EXPIRED, Action.objects.filter(pk=pk).first()) from None
    except signing.BadSignature:
        raise LinkRefused(INVALID) from None
    if not isinstance(payload, dict) or payload.get("a") != pk:
        raise LinkRefused(OTHER_ACTION)
    action = Action.objects.select_related("owner_agency").filter(pk=pk).first()
    if action is None:
        raise LinkRefused(INVALID)
    if payload.get("e") != action.owner_email:
        raise LinkRefused(OWNER_CHANGED, action)
    return action
