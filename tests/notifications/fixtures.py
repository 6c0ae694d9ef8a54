"""Fixtures of the reminder engine's tests: a real SMTP server on localhost that can be told how to
answer, and (for the fault tests) a redis-server of the test's own on a spare port."""

import asyncio
import email as email_parser
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from email import policy as email_policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.db import connection

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpRecorder:
    """An aiosmtpd handler that records what it accepts and can be told how to answer.

    - `answer_next("451 4.3.0 Try again later", ...)`: the next DATA commands get these replies
      instead of 250, one each, then normal service resumes;
    - `always = "550 5.1.1 Mailbox unavailable"`: every DATA gets this reply;
    - `hold()` / `release()`: MAIL FROM waits (the sender is stuck mid-conversation) until released;
      `held` is set once a sender is waiting.
    Only a message answered 250 counts as delivered (`messages`).
    """

    def __init__(self):
        self.lock = threading.Lock()
        self.messages = []
        self.replies = deque()
        self.always = None
        self.sessions = 0
        self.data_commands = 0
        self.holding = False
        self.held = threading.Event()

    # aiosmtpd hooks -------------------------------------------------------------------------
    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        with self.lock:
            self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        while self.holding:
            self.held.set()
            await asyncio.sleep(0.05)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.data_commands += 1
            reply = self.replies.popleft() if self.replies else self.always
            if reply:
                return reply
            message = email_parser.message_from_bytes(envelope.content, policy=email_policy.default)
            self.messages.append(
                {"from": envelope.mail_from, "to": list(envelope.rcpt_tos), "message": message}
            )
        return "250 Message accepted for delivery"

    # test controls ----------------------------------------------------------------------------
    def answer_next(self, *replies):
        with self.lock:
            self.replies.extend(replies)

    def hold(self):
        self.held.clear()
        self.holding = True

    def release(self):
        self.holding = False

    def recipients(self):
        with self.lock:
            return [message["to"][0] for message in self.messages]

    def subjects(self):
        with self.lock:
            return [str(message["message"]["Subject"]) for message in self.messages]

    def wait_for_count(self, count, timeout=15.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return True
            time.sleep(0.05)
        return False


@pytest.fixture
def smtp_server():
    """A real SMTP server on localhost (aiosmtpd in a thread) recording what it accepts."""
    recorder = SmtpRecorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    recorder.host, recorder.port = controller.hostname, controller.port
    yield recorder
    recorder.release()
    controller.stop()


@pytest.fixture
def smtp_settings(settings, smtp_server):
    """Django sends through the local SMTP server (the test settings' default is locmem)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = smtp_server.host
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    settings.REMINDER_RETRY_BACKOFF_SECONDS = 0.2
    settings.REMINDER_RETRY_BACKOFF_MAX_SECONDS = 1.0
    return smtp_server


# --- fault tests: a broker of the test's own, and real worker processes ----------------------


class RedisServer:
    """A redis-server the test owns, on a spare port, keeping nothing on disk: restarting it loses
    every queued message, as a crashed broker without persistence would."""

    def __init__(self, port, folder):
        self.port = port
        self.folder = folder
        self.process = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        command += ["--appendonly", "no", "--dir", str(self.folder)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    def restart(self):
        self.stop()
        self.start()


def database_url():
    """The test database as a URL, for processes the test starts (PostgreSQL only)."""
    config = connection.settings_dict
    user = config.get("USER") or "postgres"
    password = f":{config['PASSWORD']}" if config.get("PASSWORD") else ""
    host = config.get("HOST") or "127.0.0.1"
    port = config.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{config['NAME']}"


class FaultLab:
    """Real processes for the fault tests: the test's own redis-server, Celery workers (prefork, as
    in production) and one-off Django processes (the planner, the sweeper), all on the test
    database and the test's SMTP server."""

    def __init__(self, redis, smtp):
        self.redis = redis
        self.smtp = smtp
        self.workers = []

    def env(self):
        env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_XDIST")}
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings.local",
            DJANGO_DEBUG="false",
            DATABASE_URL=database_url(),
            CONN_MAX_AGE="0",
            CELERY_BROKER_URL=self.redis.url,
            REDIS_URL="",
            EMAIL_URL=f"smtp://{self.smtp.host}:{self.smtp.port}",
            LOG_LEVEL="WARNING",
        )
        return env

    def publish(self, message_ids):
        """Queue send tasks on the test's own broker, as the planner and the sweeper do after they
        commit (the test process's Celery app stays on the configured broker)."""
        from kombu import Connection

        from notifications.tasks import send_message

        with Connection(self.redis.url) as broker:
            for message_id in message_ids:
                send_message.apply_async((message_id,), connection=broker, queue="reminders")

    def django(self, code, timeout=60):
        """Run Python `code` in a fresh process with Django set up; returns its standard output."""
        script = "import django; django.setup()\n" + code
        result = subprocess.run(  # noqa: S603
            [sys.executable, "-c", script],
            cwd=BASE_DIR,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise AssertionError(f"Django process failed:\n{result.stderr}")
        return result.stdout

    def start_worker(self, concurrency=1):
        command = [sys.executable, "-m", "celery", "-A", "config.celery_app", "worker", "--pool=prefork"]
        command += ["--queues=reminders"]  # where sending goes (CELERY_TASK_ROUTES)
        command += [
            f"--concurrency={concurrency}",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
        command += ["--loglevel=WARNING"]
        worker = subprocess.Popen(  # noqa: S603
            command,
            cwd=BASE_DIR,
            env=self.env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: killed with its pool children
        )
        self.workers.append(worker)
        return worker

    def kill(self, worker):
        """SIGKILL the worker and its pool processes: no clean shutdown, no acknowledgement."""
        with_group = worker.poll() is None
        if with_group:
            os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)

    def stop_all(self):
        # The test is over: no need for a warm shutdown, and its broker goes with it.
        for worker in self.workers:
            if worker.poll() is None:
                self.kill(worker)


@pytest.fixture
def fault_broker(tmp_path, smtp_server, transactional_db):
    """The test's own redis-server and helpers to run workers against it (PostgreSQL only: the
    worker processes must open the test database, which an in-memory SQLite test database cannot
    offer)."""
    if connection.vendor != "postgresql":
        pytest.skip(
            "Fault tests run worker processes that open the test database: run them on PostgreSQL "
            "(DATABASE_URL=postgres://...)."
        )
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    redis = RedisServer(free_port(), tmp_path)
    redis.start()
    lab = FaultLab(redis, smtp_server)
    try:
        yield lab
    finally:
        lab.stop_all()
        redis.stop()
        connection.close()
