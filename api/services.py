"""Every write of the api app: tokens made and revoked, answers remembered."""

import datetime
import hashlib
import secrets

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from audit import actions
from audit.services import audit_record
from workforce import access

from .models import ApiToken, IdempotentAnswer

PREFIX_LENGTH = 8


class TokenRefused(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


def token_hash(key):
    return hashlib.sha256(key.encode()).hexdigest()


def api_token_create(*, user, name, expires_in_days=None, actor, today=None, request=None):
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
    with transaction.atomic():
        token._history_user = actor
        token.save()
        audit_record(
            action=actions.API_TOKEN_CREATED,
            request=request,
            user=actor,
            actor="" if actor else "manage.py api_token",
            target=token,
            detail=f"API token “{token.name}” ({token.prefix}…) made for {user.get_username()}",
            extra={"owner": user.get_username(), "expires_on": str(token.expires_on or "")},
        )
    return token, key


def api_token_revoke(*, token, actor, request=None):
    if token.revoked_at is None:
        with transaction.atomic():
            token.revoked_at = timezone.now()
            token._history_user = actor
            token.save(update_fields=["revoked_at"])
            audit_record(
                action=actions.API_TOKEN_REVOKED,
                request=request,
                user=actor,
                target=token,
                detail=f"API token “{token.name}” ({token.prefix}…) of {token.user.get_username()} revoked",
            )
    return token


def api_token_touch(*, token, now, request=None):
    """Record use, at most once a minute (not a write per request), without a history row.

    The audit log gets the token's first use of each (local) day, not every request: a
    conditional UPDATE on the day of `last_used_at` lets exactly one request of the day write the
    event, and the other requests of the day cost no query at all beyond the minute's update.
    """
    if token.last_used_at is not None and now - token.last_used_at <= datetime.timedelta(minutes=1):
        return
    day_start = timezone.make_aware(datetime.datetime.combine(timezone.localdate(now), datetime.time.min))
    first_of_day = token.last_used_at is None or token.last_used_at < day_start
    claimed = 0
    if first_of_day:
        with transaction.atomic():
            claimed = (
                ApiToken.objects.filter(pk=token.pk)
                .filter(Q(last_used_at__isnull=True) | Q(last_used_at__lt=day_start))
                .update(last_used_at=now)
            )
            if claimed:
                audit_record(
                    action=actions.API_TOKEN_USED,
                    request=request,
                    user=token.user,
                    target=token,
                    detail=f"API token “{token.name}” ({token.prefix}…) used, first time on "
                    f"{timezone.localdate(now):%d/%m/%Y}",
                    extra={"path": request.path if request is not None else ""},
                )
    if not claimed:
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
