"""Fixtures for tests that need a real Celery worker on the configured broker.

Import them into a package's conftest.py (`from tests.celery_fixtures import celery_worker`): the
worker runs in a thread of the test process, so tasks see the test database, and it consumes a
queue of its own, so parallel test processes (pytest-xdist) sharing one Redis broker, or a
`make run` worker sharing the file-system broker under var/, never take each other's tasks.

Tests that use the worker must be transactional (`@pytest.mark.django_db(transaction=True)`): the
worker thread has its own database connection and only sees committed rows.
"""

import os
import time

import pytest
from celery.contrib.testing.worker import TestWorkController, start_worker
from celery.worker import state as worker_state
from pytest_django.fixtures import validate_django_db

from config.celery_app import app as celery_app


def wait_for(predicate, *, timeout=10.0, interval=0.05):
    """Poll until predicate() is true, or fail after timeout seconds; returns the last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"Gave up waiting after {timeout} s for {getattr(predicate, '__name__', predicate)}")
        time.sleep(interval)


class BoundedWorkController(TestWorkController):
    """Celery's test worker waits for ever for a worker that failed to start (a broken import, an
    unreachable broker): fail the test instead of hanging the suite."""

    START_TIMEOUT = 60

    def ensure_started(self):
        if not self._on_started.wait(timeout=self.START_TIMEOUT):
            raise RuntimeError(
                f"The Celery test worker did not start within {self.START_TIMEOUT} s; see the log above."
            )


@pytest.fixture(scope="session")
def celery_test_queue():
    return f"tests-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-{os.getpid()}"


def _forget_routing():
    """Make the app route by its configuration as it now is. Celery caches the router (with the
    routes it was built from) and the queue declarations on first use: a test that published a
    task before this session's worker started would otherwise keep them, and publish to queues
    no worker of this session consumes."""
    celery_app.amqp.flush_routes()
    for cached in ("router", "queues", "default_queue"):
        celery_app.amqp.__dict__.pop(cached, None)


_running = {}  # the session worker's queues, once it has started


@pytest.fixture(scope="session")
def celery_session_worker(django_db_setup, django_db_blocker, celery_test_queue):
    """One real worker (solo pool, in a thread) for the whole test session: starting and stopping
    one takes seconds. It consumes this process's own queues: the default queue and each routed
    queue (CELERY_TASK_ROUTES) renamed after this process, so every task published during the
    session (`.delay()` included) reaches it, through the route it takes in production."""
    previous = (
        celery_app.conf.task_default_queue,
        celery_app.conf.broker_transport_options,
        celery_app.conf.task_routes,
    )
    celery_app.conf.task_default_queue = celery_test_queue
    celery_app.conf.task_routes = {
        pattern: {**route, "queue": f"{celery_test_queue}-{route['queue']}"}
        for pattern, route in (previous[2] or {}).items()
    }
    _forget_routing()
    queues = [celery_test_queue, *sorted({route["queue"] for route in celery_app.conf.task_routes.values()})]
    if celery_app.conf.broker_url.startswith("filesystem://"):
        # The file-system transport polls its folder once a second by default: too slow for tests.
        celery_app.conf.broker_transport_options = {**previous[1], "polling_interval": 0.05}
    try:
        with start_worker(
            celery_app,
            pool="solo",
            concurrency=1,
            queues=queues,
            # The ping goes through the broadcast machinery, which the file-system transport
            # only half supports; the tests' own round trips prove the worker works.
            perform_ping_check=False,
            shutdown_timeout=15,
            WorkController=BoundedWorkController,
        ) as worker:
            _running["queues"] = queues
            yield worker
    finally:
        _running.clear()
        (
            celery_app.conf.task_default_queue,
            celery_app.conf.broker_transport_options,
            celery_app.conf.task_routes,
        ) = previous
        _forget_routing()


@pytest.fixture
def celery_worker(celery_session_worker, transactional_db, celery_test_queue):
    """The session's worker, with an empty queue. After the test, `tasks_end_before_the_flush`
    (as after every transactional test) waits for what the test started. Celery's Django fixup
    closes the worker thread's database connections after every task, so none outlives the test
    database."""
    purge_queue(celery_test_queue)
    return celery_session_worker


@pytest.fixture(autouse=True)
def tasks_end_before_the_flush(request):
    """Any transactional test can publish tasks (a booking's notices after its commit) without
    asking for the worker; once the session's worker has started it takes them. After such a
    test, drop what is still queued and wait for what runs, before the test's rows are flushed:
    a task running beside the flush deadlocks with it, and one running after it finds the next
    test's database. Asking for the database helper here makes the flush come after this."""
    transactional = "transactional_db" in request.fixturenames or "live_server" in request.fixturenames
    marker = request.node.get_closest_marker("django_db")
    if marker and validate_django_db(marker)[0]:
        transactional = True
    if not transactional:
        yield
        return
    request.getfixturevalue("_django_db_helper")
    yield
    if _running:
        for _ in range(2):  # a message taken off the queue just before the purge is waited for
            for queue in _running["queues"]:
                purge_queue(queue)
            wait_until_idle()
            time.sleep(0.02)


def purge_queue(queue):
    with celery_app.connection_for_write() as conn:
        conn.default_channel.queue_purge(queue)


def wait_until_idle(timeout=15.0):
    """Until the worker runs nothing and holds nothing (tasks waiting for a retry countdown
    included); gives up quietly after timeout seconds: the test has had its say."""
    deadline = time.monotonic() + timeout
    while worker_state.active_requests or worker_state.reserved_requests:
        if time.monotonic() > deadline:
            return
        time.sleep(0.05)
