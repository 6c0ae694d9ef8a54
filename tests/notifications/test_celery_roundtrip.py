"""A real Celery round trip: a task published to the configured broker (the file-system broker
locally, Redis in CI) is run by a real worker and writes to the database."""

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache

from config.celery_app import app as celery_app
from notifications.tasks import HEARTBEAT_KEY, heartbeat
from tests.celery_fixtures import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@celery_app.task(name="tests.notifications.create_user")
def create_user(username):
    """Test-only task: one row written by the worker, seen by the test."""
    get_user_model().objects.create(username=username)


def test_a_task_sent_through_the_broker_writes_a_row_the_test_can_read(celery_worker):
    create_user.delay("written-by-the-worker")

    def row_exists():
        return get_user_model().objects.filter(username="written-by-the-worker").exists()

    wait_for(row_exists, timeout=15)


def test_the_worker_runs_the_heartbeat_task_that_healthz_reads(celery_worker):
    cache.delete(HEARTBEAT_KEY)

    heartbeat.delay()

    def heartbeat_recorded():
        return cache.get(HEARTBEAT_KEY)

    assert wait_for(heartbeat_recorded, timeout=15)
