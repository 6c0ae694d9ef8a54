"""Celery tasks of the privacy app. Tasks take ids, load, and call one service."""

from celery import shared_task

from . import services


@shared_task(ignore_result=True)
def retention_run_task():
    """The nightly retention run (beat, 03:15 Europe/London): a second run the same day finds
    nothing left to do."""
    services.retention_run(triggered_by="schedule")
