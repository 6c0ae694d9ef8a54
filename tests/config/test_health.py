"""/healthz: 200 when the database, the broker and the worker are healthy; 503 naming what is not."""

import datetime
import os
import time

import pytest
from django.core.cache import cache
from django.db import OperationalError
from django.utils import timezone

from config import health
from config.celery_app import app as celery_app
from notifications.tasks import HEARTBEAT_KEY, heartbeat
from tests.celery_fixtures import wait_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def own_cache(settings):
    """Parallel test processes share one Redis cache in CI: give each its own key prefix, and start
    every test with no heartbeat recorded."""
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"health-test-{os.getpid()}"}}
    cache.delete(HEARTBEAT_KEY)
    yield
    cache.delete(HEARTBEAT_KEY)


def record_heartbeat(age_seconds):
    seen = timezone.now() - datetime.timedelta(seconds=age_seconds)
    cache.set(HEARTBEAT_KEY, seen.isoformat(), timeout=None)


def point_broker_at(monkeypatch, url, **transport_options):
    # Celery reads CELERY_BROKER_URL from the environment before its own configuration (CI sets it).
    monkeypatch.setenv("CELERY_BROKER_URL", url)
    monkeypatch.setitem(celery_app.conf, "broker_url", url)
    # The settings name a transport class for the file-system broker; the URL's scheme decides here.
    monkeypatch.setitem(celery_app.conf, "broker_transport", None)
    if transport_options:
        monkeypatch.setitem(celery_app.conf, "broker_transport_options", transport_options)


def get_health(client):
    response = client.get("/healthz")
    return response, response.json()


def test_healthy_when_database_broker_and_worker_are_all_up(client):
    heartbeat()

    response, body = get_health(client)

    assert response.status_code == 200
    assert body["status"] == "ok"
    assert body["failing"] == []
    assert body["database"] == {"ok": True}
    assert body["broker"] == {"ok": True}
    assert body["worker"]["ok"] is True
    assert body["worker"]["age_seconds"] <= 1
    assert "no-cache" in response["Cache-Control"]


def test_a_heartbeat_just_inside_the_maximum_age_is_healthy(client, settings):
    settings.HEALTH_WORKER_MAX_AGE = 180
    record_heartbeat(170)

    response, body = get_health(client)

    assert response.status_code == 200
    assert body["worker"]["ok"] is True


def test_unreachable_broker_answers_503_naming_the_broker_quickly(client, monkeypatch):
    heartbeat()
    # Nothing listens on port 1: the connection is refused at once.
    point_broker_at(monkeypatch, "redis://127.0.0.1:1/0")

    started = time.monotonic()
    response, body = get_health(client)
    elapsed = time.monotonic() - started

    assert response.status_code == 503
    assert body["status"] == "unhealthy"
    assert body["failing"] == ["broker"]
    assert body["broker"]["ok"] is False
    assert "127.0.0.1:1" in body["broker"]["error"]
    assert body["database"]["ok"] is True
    assert body["worker"]["ok"] is True
    assert elapsed < 3, f"/healthz took {elapsed:.1f} s with the broker down"


def test_file_system_broker_without_its_folders_answers_503(client, monkeypatch, tmp_path):
    heartbeat()
    missing = tmp_path / "no-such-broker"
    point_broker_at(
        monkeypatch,
        "filesystem://",
        data_folder_in=str(missing / "queue"),
        data_folder_out=str(missing / "queue"),
        control_folder=str(missing / "control"),
    )

    response, body = get_health(client)

    assert response.status_code == 503
    assert body["failing"] == ["broker"]
    assert "does not exist" in body["broker"]["error"]


def test_no_heartbeat_yet_answers_503_naming_the_worker(client):
    response, body = get_health(client)

    assert response.status_code == 503
    assert body["failing"] == ["worker"]
    assert body["worker"]["ok"] is False
    assert "no heartbeat recorded yet" in body["worker"]["error"]
    assert body["broker"]["ok"] is True


def test_stale_heartbeat_answers_503_with_its_age(client, settings):
    settings.HEALTH_WORKER_MAX_AGE = 180
    record_heartbeat(600)

    response, body = get_health(client)

    assert response.status_code == 503
    assert body["failing"] == ["worker"]
    assert body["worker"]["ok"] is False
    assert body["worker"]["age_seconds"] == 600
    assert body["worker"]["error"] == "last heartbeat 600 s ago"


def test_database_failure_answers_503_naming_the_database(client, monkeypatch):
    heartbeat()

    class BrokenConnection:
        def cursor(self):
            raise OperationalError("could not connect to server")

    monkeypatch.setattr(health, "connection", BrokenConnection())

    response, body = get_health(client)

    assert response.status_code == 503
    assert body["failing"] == ["database"]
    assert body["database"] == {"ok": False, "error": "OperationalError: could not connect to server"}


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_healthy_once_a_real_worker_has_run_the_heartbeat_from_the_broker(client, celery_worker):
    response, body = get_health(client)
    assert response.status_code == 503, "no heartbeat should be recorded before the worker runs one"

    heartbeat.delay()
    wait_for(lambda: cache.get(HEARTBEAT_KEY), timeout=15)

    response, body = get_health(client)
    assert response.status_code == 200, body
    assert body["failing"] == []


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_worker_busy_with_other_tasks_is_healthy_before_its_heartbeat_task_comes_up(client, celery_worker):
    from notifications import tasks

    tasks._last_recorded["at"] = float("-inf")  # nothing recorded by this worker yet
    cache.delete(HEARTBEAT_KEY)

    tasks.sweep_outbox.delay()  # any task at all, no heartbeat task in the queue
    wait_for(lambda: cache.get(HEARTBEAT_KEY), timeout=15)

    response, body = get_health(client)
    assert response.status_code == 200, body


def test_a_failing_cache_is_tried_once_a_period_not_after_every_task(monkeypatch):
    from notifications import tasks

    attempts = []

    class UnreachableCache:
        def set(self, *args, **kwargs):
            attempts.append(args)
            raise ConnectionError("cache unreachable")

    monkeypatch.setattr(tasks, "cache", UnreachableCache())
    monkeypatch.setitem(tasks._last_recorded, "at", float("-inf"))
    with pytest.raises(ConnectionError):
        tasks.heartbeat_after_any_task()
    for _ in range(5):
        tasks.heartbeat_after_any_task()  # the next tasks, within the same 30 s
    assert len(attempts) == 1

    monkeypatch.setitem(tasks._last_recorded, "at", time.monotonic() - tasks.HEARTBEAT_EVERY_SECONDS)
    with pytest.raises(ConnectionError):
        tasks.heartbeat_after_any_task()
    assert len(attempts) == 2
