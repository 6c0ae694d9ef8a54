"""Celery tasks of the notifications app. Tasks take ids, load, and call one service."""

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

HEARTBEAT_KEY = "health:worker-heartbeat"


@shared_task(ignore_result=True)
def heartbeat():
    """Beat queues this every minute; /healthz reads the time it last ran."""
    cache.set(HEARTBEAT_KEY, timezone.now().isoformat(), timeout=None)
