"""Celery tasks of the notifications app. Tasks take ids, load, and call one service.

Schedules live in config/celery_app.py: the planner daily at 06:30 Europe/London, the sweeper
every 10 minutes. Nothing is ever scheduled with a far-future ETA: future reminders are outbox
rows that those scans pick up; the only countdowns are SMTP retries, capped well below the
broker's visibility timeout.
"""

import datetime
import time

from celery import shared_task
from celery.signals import task_postrun
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from . import emails, services

HEARTBEAT_KEY = "health:worker-heartbeat"
# A busy worker proves it is alive by finishing tasks: it records that at most this often.
HEARTBEAT_EVERY_SECONDS = 30
_last_recorded = {"at": float("-inf")}


@shared_task(ignore_result=True)
def heartbeat():
    """Beat queues this every minute; /healthz reads the time it last ran."""
    cache.set(HEARTBEAT_KEY, timezone.now().isoformat(), timeout=None)
    _last_recorded["at"] = time.monotonic()


@task_postrun.connect
def heartbeat_after_any_task(**_):
    """The heartbeat task waits in the queue behind whatever is there before it (a morning's
    reminders, say), so /healthz would call a worker that is busy sending them unhealthy: any task
    the worker finishes counts as a heartbeat too (recorded at most every 30 s, and tried at most
    that often when the cache fails: the error is logged once a period, not after every task)."""
    now = time.monotonic()
    if now - _last_recorded["at"] >= HEARTBEAT_EVERY_SECONDS:
        _last_recorded["at"] = now
        heartbeat()


@shared_task(ignore_result=True)
def plan_reminders(day=None):
    """Plan every reminder due on `day` (YYYY-MM-DD; default today in Europe/London) and queue the
    messages once the plan is committed. Running it again for the same day adds nothing."""
    planned_for = datetime.date.fromisoformat(day) if day else timezone.localdate()
    result = services.reminders_plan(day=planned_for)
    return {"day": planned_for.isoformat(), "messages": len(result.message_ids)}


@shared_task(
    bind=True,
    ignore_result=True,
    # Acknowledged after it ran, and given back to the broker if its worker process dies, so a
    # killed worker delays a message rather than dropping it. The claim in message_send makes a
    # second delivery harmless.
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,  # the service counts attempts (REMINDER_MAX_ATTEMPTS) and fails the message
    soft_time_limit=settings.REMINDER_SEND_SOFT_TIME_LIMIT,
    time_limit=settings.REMINDER_SEND_TIME_LIMIT,
)
def send_message(self, message_id):
    """Send one message: claim, re-check, render, send over this process's SMTP connection."""
    outcome = services.message_send(
        message_id=message_id, claim_token=self.request.id or "", connection=emails.shared_connection()
    )
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


@shared_task(ignore_result=True)
def sweep_outbox():
    """Every 10 minutes: re-queue messages whose broker message was lost or whose worker died, and
    start today's planning if the 06:30 run did not happen (beat was down, or the site started
    later in the day)."""
    result = services.outbox_sweep()
    if services.planner_run_missing(now=timezone.now()):
        plan_reminders.delay()
    return {"released": result.released, "queued": len(result.queued)}


@shared_task(ignore_result=True)
def digest_links_purge_task():
    """Delete digest preference links older than a year (beat, daily)."""
    services.digest_links_purge()
