"""Celery tasks of the audit app. Tasks take ids, load, and call one service."""

from celery import shared_task

from . import services


@shared_task(ignore_result=True)
def audit_events_purge_task():
    """Delete audit events older than AUDIT_RETENTION_DAYS (beat, nightly)."""
    services.audit_events_purge()
