"""The Celery application and every periodic schedule, declared here and nowhere else."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

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
}
# Crontab entries are read in Europe/London (CELERY_TIMEZONE), so "06:30" means 06:30 local time.
_ = crontab
