"""Tasks go to their queue (CELERY_TASK_ROUTES), so that an upload never delays the reminders, and
every worker started by `make run` and compose consumes a queue that exists."""

import re
from pathlib import Path

import pytest
import yaml
from celery.app.routes import MapRoute
from django.conf import settings

from config.celery_app import app

ROOT = Path(__file__).resolve().parents[2]


def queue_of(task_name):
    """The queue the settings route a task to, matched by Celery's own route map (the test worker
    renames the queues of the app it runs, so the app's router is not the production one)."""
    route = MapRoute(settings.CELERY_TASK_ROUTES)(task_name)
    return route["queue"] if route else settings.CELERY_TASK_DEFAULT_QUEUE


@pytest.mark.parametrize(
    ("task", "queue"),
    [
        ("notifications.tasks.plan_reminders", "reminders"),
        ("notifications.tasks.send_message", "reminders"),
        ("notifications.tasks.heartbeat", "reminders"),
        ("imports.tasks.import_validate_task", "imports"),
        ("imports.tasks.import_commit_task", "imports"),
        ("training.tasks.compliance_snapshot_task", "reports"),
        ("training.tasks.compliance_state_roll_task", "reports"),
        ("training.tasks.compliance_state_check_task", "reports"),
        ("workforce.tasks.signin_links_purge_task", "default"),
    ],
)
def test_each_task_goes_to_its_queue(task, queue):
    assert queue_of(task) == queue


def test_every_task_in_the_code_goes_to_a_known_queue():
    app.loader.import_default_modules()
    names = [name for name in app.tasks if not name.startswith("celery.")]
    assert names
    for name in names:
        assert queue_of(name) in settings.CELERY_QUEUE_NAMES, name


def consumed(command):
    words = command if isinstance(command, list) else command.split()
    for index, word in enumerate(words):
        if word in ("-Q", "--queues"):
            return set(words[index + 1].split(","))
        if word.startswith("--queues="):
            return set(word.split("=", 1)[1].split(","))
    return {settings.CELERY_TASK_DEFAULT_QUEUE}  # a worker without -Q consumes only the default queue


def test_make_run_consumes_every_queue():
    procfile = (ROOT / "scripts" / "Procfile").read_text()
    worker = re.search(r"^worker: (.+)$", procfile, re.MULTILINE).group(1)
    assert consumed(worker) == set(settings.CELERY_QUEUE_NAMES)


def test_compose_workers_together_consume_every_queue():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    workers = [service for service in services.values() if "worker" in (service.get("command") or [])]
    assert len(workers) >= 3
    queues = [consumed(service["command"]) for service in workers]
    assert set().union(*queues) == set(settings.CELERY_QUEUE_NAMES)
    assert all(service.get("healthcheck") for service in workers)
