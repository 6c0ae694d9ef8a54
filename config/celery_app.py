"""The Celery application and every periodic schedule, declared here and nowhere else."""

import logging
import os

from celery import Celery
from celery.schedules import crontab
from celery.signals import beat_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
# Celery's Django fixup runs every system check when a worker or beat starts, and the URL checks
# import every view and the API schema: half a second of CPU each time, for checks the web
# process and `make check-deploy` already run. An empty CELERY_SKIP_CHECKS runs them again.
os.environ.setdefault("CELERY_SKIP_CHECKS", "1")

app = Celery("tracker")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    # Every minute: the worker records that it is alive, which /healthz reads.
    "worker-heartbeat": {
        "task": "notifications.tasks.heartbeat",
        "schedule": 60.0,
        "options": {"expires": 50},
    },
    # Daily at 06:30 Europe/London: plan every reminder due today and queue the day's messages
    # (the weekly line-manager digest is held in its message until 08:00 on Monday).
    "reminders-plan": {
        "task": "notifications.tasks.plan_reminders",
        "schedule": crontab(hour=6, minute=30),
        "options": {"expires": 6 * 60 * 60},
    },
    # Every 10 minutes (on the hour, 10 past...): re-queue messages still pending 15 minutes after
    # they were queued, release claims of workers that died, and queue messages whose hour came.
    "reminders-sweep": {
        "task": "notifications.tasks.sweep_outbox",
        "schedule": crontab(minute="*/10"),
        "options": {"expires": 9 * 60},
    },
    # Daily at 03:15 Europe/London: the retention run (PRODUCT.md section 13): anonymise leavers
    # past RETENTION_LEAVER_YEARS, delete uploaded spreadsheets 90 days after their import (refused
    # ones after 30; the records stay) and empty reminder email bodies older than 2 years.
    "retention-run": {
        "task": "privacy.tasks.retention_run_task",
        "schedule": crontab(hour=3, minute=15),
        "options": {"expires": 6 * 60 * 60},
    },
    # Daily at 00:05 Europe/London: move the maintained compliance state to the new day (the
    # statuses that change today: due dates passed, renewal windows opened, expiries, exemptions
    # ended, starters and leavers), before anything reads it.
    "compliance-state-roll": {
        "task": "training.tasks.compliance_state_roll_task",
        "schedule": crontab(hour=0, minute=5),
        "options": {"expires": 6 * 60 * 60},
    },
    # Daily at 01:30 Europe/London: compare the maintained compliance state with the pure rules
    # and repair any pair that differs (logged as an error: a writer missed a refresh).
    "compliance-state-check": {
        "task": "training.tasks.compliance_state_check_task",
        "schedule": crontab(hour=1, minute=30),
        "options": {"expires": 6 * 60 * 60},
    },
    # Daily at 02:15 Europe/London: record the day's compliance figures (partnership, each agency,
    # each module, each tier of job role) for the 12-month trends; a second run the same day
    # updates the rows.
    "compliance-snapshot": {
        "task": "training.tasks.compliance_snapshot_task",
        "schedule": crontab(hour=2, minute=15),
        "options": {"expires": 6 * 60 * 60},
    },
    # Daily at 03:45 Europe/London: delete staff sign-in links that expired more than a day ago.
    "signin-links-purge": {
        "task": "workforce.tasks.signin_links_purge_task",
        "schedule": crontab(hour=3, minute=45),
        "options": {"expires": 6 * 60 * 60},
    },
    # Hourly, at 25 past: delete large exports older than EXPORT_KEEP_HOURS, and their files.
    "export-jobs-purge": {
        "task": "workforce.tasks.export_jobs_purge_task",
        "schedule": crontab(minute=25),
        "options": {"expires": 50 * 60},
    },
    # Daily at 03:48 Europe/London: delete action-owner links that expired more than a day ago.
    "owner-links-purge": {
        "task": "strategy.tasks.owner_links_purge_task",
        "schedule": crontab(hour=3, minute=48),
        "options": {"expires": 6 * 60 * 60},
    },
    # Daily at 03:49 Europe/London: delete session feedback links that expired more than a day ago.
    "feedback-links-purge": {
        "task": "courses.tasks.feedback_links_purge_task",
        "schedule": crontab(hour=3, minute=49),
        "options": {"expires": 6 * 60 * 60},
    },
    # Daily at 03:50 Europe/London: delete digest preference links more than a year old.
    "digest-links-purge": {
        "task": "notifications.tasks.digest_links_purge_task",
        "schedule": crontab(hour=3, minute=50),
        "options": {"expires": 6 * 60 * 60},
    },
    # Daily at 04:00 Europe/London: delete audit-log events older than AUDIT_RETENTION_DAYS.
    "audit-events-purge": {
        "task": "audit.tasks.audit_events_purge_task",
        "schedule": crontab(hour=4, minute=0),
        "options": {"expires": 6 * 60 * 60},
    },
    # Daily at 00:20 Europe/London: places held for agencies whose date has passed go to the
    # sessions' waiting lists (the first people waiting are offered them and told).
    "held-places-release": {
        "task": "courses.tasks.held_places_release_task",
        "schedule": crontab(hour=0, minute=20),
        "options": {"expires": 6 * 60 * 60},
    },
}
# Crontab entries are read in Europe/London (CELERY_TIMEZONE), so "06:30" means 06:30 local time.
_ = crontab


@beat_init.connect
def sweep_when_beat_starts(sender, **kwargs):
    """When beat starts (a deploy, `make run`): sweep the reminder outbox at once rather than at the
    next ten-minute mark. The sweeper also starts today's planning if 06:30 passed without it."""
    try:
        sender.app.send_task("notifications.tasks.sweep_outbox")
    except Exception:  # noqa: BLE001 - beat must start anyway; the ten-minute schedule follows
        logging.getLogger(__name__).exception("Could not queue the start-up sweep of the reminder outbox")
