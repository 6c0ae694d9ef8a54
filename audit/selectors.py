"""Reads of the audit log: the events a search and its filters match, newest first."""

import datetime
import re

from django.db.models import Q
from django.utils import timezone

from .models import AuditEvent

ADDRESS_START = re.compile(r"[0-9a-fA-F.:]+")


def audit_events(*, search="", actor="", action=None, since=None, until=None):
    """Events matching every given filter, newest first, with their user (one query a page).

    `search` matches the description, the target, the actor and the client address; `actor` the
    actor's name (part of it); `since` and `until` are dates, both included, in local time.
    """
    events = AuditEvent.objects.select_related("user")
    if search:
        matches = (
            Q(description__icontains=search) | Q(target_label__icontains=search) | Q(actor__icontains=search)
        )
        if ADDRESS_START.fullmatch(search):
            # Only a search that could be the start of an address reads the address column (its
            # text form is computed per row on PostgreSQL).
            matches |= Q(client_ip__startswith=search)
        events = events.filter(matches)
    if actor:
        events = events.filter(actor__icontains=actor)
    if action:
        events = events.filter(action=action)
    if since:
        events = events.filter(at__gte=_start_of(since))
    if until:
        events = events.filter(at__lt=_start_of(until + datetime.timedelta(days=1)))
    return events.order_by("-at", "-pk")


def _start_of(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
