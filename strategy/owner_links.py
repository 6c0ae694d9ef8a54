"""Links that let an action's owner update it without an account.

A link carries nothing but a random token (32 bytes from `secrets`): no action id, no address,
nothing that decodes to either. The database keeps only the token's SHA-256 with the action and
the address it was sent to (strategy.models.OwnerLink). It opens that one action and nothing else,
as often as the owner needs, for LINK_MAX_AGE; it stops working sooner when the action changes
owner (the link names the old owner's address). Each review reminder carries a fresh link.

Links sent before the tokens became opaque carried a signed payload (the action id and the
owner's address, django.core.signing) under /strategy/actions/<id>/update/<payload>/. They are
still read (`action_for_legacy_token`) until they expire, at most 45 days after they were sent;
after that the old address pattern can go.
"""

import datetime
import hashlib
import secrets

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from .models import Action, OwnerLink

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


def _hash(token) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def owner_token(action, *, now=None) -> str:
    """A new link's token for the action's current owner; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    OwnerLink.objects.create(
        token_hash=_hash(token), action=action, email=action.owner_email, created_at=now or timezone.now()
    )
    return token


def owner_path(action) -> str:
    return reverse("strategy:owner_update", kwargs={"token": owner_token(action)})


def owner_url(action) -> str:
    return f"{settings.SITE_URL}{owner_path(action)}"


def action_for_token(token, *, now=None) -> Action:
    """The action the link opens, or LinkRefused saying why (with the action when it is known)."""
    now = now or timezone.now()
    link = None
    if isinstance(token, str) and 20 <= len(token) <= 100:
        link = (
            OwnerLink.objects.select_related("action__owner_agency").filter(token_hash=_hash(token)).first()
        )
    if link is None:
        raise LinkRefused(INVALID)
    if now - link.created_at > LINK_MAX_AGE:
        raise LinkRefused(EXPIRED, link.action)
    if link.email != link.action.owner_email:
        raise LinkRefused(OWNER_CHANGED, link.action)
    return link.action


def action_for_legacy_token(*, pk, token) -> Action:
    """The action an old signed link opens (see the module's docstring), or LinkRefused."""
    try:
        payload = signing.TimestampSigner(salt=SALT).unsign_object(token, max_age=LINK_MAX_AGE)
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


def owner_links_purge(*, now=None) -> int:
    """Delete links that expired more than a day ago; returns how many."""
    now = now or timezone.now()
    deleted, _ = OwnerLink.objects.filter(
        created_at__lt=now - LINK_MAX_AGE - datetime.timedelta(days=1)
    ).delete()
    return deleted
