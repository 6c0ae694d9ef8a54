"""Every write of the audit log: one function records an event, one purges old ones.

Any app may record an event (audit stands below every other app): pass the request when there is
one, so the row gets the signed-in user and the real client address (read by the callable named
in AUDIT_CLIENT_IP_CALLABLE, workforce.clients.client_ip, the same one the lock-out and every rate
limit use). Call it in the same transaction as the change it records, so that the two stand or
fall together.
"""

import datetime
import functools
import ipaddress

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from . import actions
from .models import AuditEvent


@functools.cache
def _client_ip_reader():
    return import_string(settings.AUDIT_CLIENT_IP_CALLABLE)


def _client_ip(request):
    if request is None:
        return None
    address = _client_ip_reader()(request)
    try:
        return str(ipaddress.ip_address(address)) if address else None
    except ValueError:
        return None


def _target(target):
    """(type, id, label) of a model instance, or of a (type, id, label) tuple as given."""
    if target is None:
        return "", "", ""
    if isinstance(target, tuple):
        kind, pk, text = (tuple(target) + ("", "", ""))[:3]
        return str(kind)[:100], str(pk)[:64], str(text)[:300]
    meta = target._meta
    return f"{meta.app_label}.{meta.model_name}", str(target.pk)[:64], str(target)[:300]


def _actor(user, actor):
    if actor:
        return actor
    if user is not None:
        return user.get_username()
    return ""


def audit_record(
    *, action, request=None, user=None, target=None, detail="", extra=None, actor="", at=None
) -> AuditEvent:
    """Write one audit event and return it.

    `action` is one of the codes in audit.actions; `user` defaults to the request's signed-in
    user; `actor` is a label for someone without an account (a staff member signed in by link, a
    failed sign-in's username); `target` a model instance or a (type, id, label) tuple; `detail`
    the readable description (the action's own words when empty); `extra` a small JSON object.
    """
    if user is None and request is not None:
        request_user = getattr(request, "user", None)
        if request_user is not None and request_user.is_authenticated:
            user = request_user
    target_type, target_id, target_label = _target(target)
    return AuditEvent.objects.create(
        at=at or timezone.now(),
        user=user if user is not None and user.pk else None,
        actor=_actor(user, actor)[:200],
        action=action,
        description=(detail or actions.label(action))[:500],
        target_type=target_type,
        target_id=target_id,
        target_label=target_label,
        client_ip=_client_ip(request),
        extra=extra or {},
    )


def audit_events_purge(*, now=None) -> int:
    """Delete events older than AUDIT_RETENTION_DAYS; returns how many."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.AUDIT_RETENTION_DAYS)
    deleted, _ = AuditEvent.objects.filter(at__lt=cutoff).delete()
    return deleted
