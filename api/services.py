"""Every write of the api app: tokens made and revoked, answers remembered."""

import datetime
import hashlib
import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone

from workforce import access

from .models import ApiToken, IdempotentAnswer

PREFIX_LENGTH = 8


class TokenRefused(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


def token_hash(key):
    return hashlib.sha256(key.encode()).hexdigest()


def api_token_create(*, user, name, expires_in_days=None, actor, today=None):
    """A new token for `user`: returns (token row, the token text, shown once). Leads and Agency
    HR may hold tokens; staff have no account, and anyone else none."""
    if not access.is_lead_or_hr(user):
        raise TokenRefused(
            f"{user.get_username()} is neither a partnership lead nor Agency HR with an agency, so "
            "cannot have an API token."
        )
    name = " ".join((name or "").split()) or "API token"
    if expires_in_days is not None and expires_in_days < 1:
        raise TokenRefused("A token must last at least 1 day; leave the expiry empty for no expiry.")
    today = today or timezone.localdate()
    key = "hsb_" + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name[:100],
        prefix=key[:PREFIX_LENGTH],
        key_hash=token_hash(key),
        expires_on=today + datetime.timedelta(days=expires_in_days) if expires_in_days else None,
    )
    token._history_user = actor
    token.save()
    return token, key


def api_token_revoke(*, token, actor):
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token._history_user = actor
        token.save(update_fields=["revoked_at"])
    return token


def api_token_touch(*, token, now):
    """Record use, at most once a minute (not a write per request), without a history row."""
    if token.last_used_at is None or now - token.last_used_at > datetime.timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


def idempotent_answer_remember(*, token, key, path, status_code, body):
    try:
        with transaction.atomic():
            IdempotentAnswer.objects.create(
                token=token, key=key, path=path, status_code=status_code, body=body
            )
    except IntegrityError:
        pass
