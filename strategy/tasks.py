"""Celery tasks of the strategy app. Tasks take ids, load, and call one service."""

from celery import shared_task

from . import owner_links


@shared_task(ignore_result=True)
def owner_links_purge_task():
    """Delete action-owner links that expired more than a day ago (beat, daily)."""
    owner_links.owner_links_purge()
