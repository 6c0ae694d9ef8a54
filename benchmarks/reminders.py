"""Time the reminder engine on demo data: planning, then sending through real workers.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tracker_reminders_bench \\
        .venv/bin/python benchmarks/reminders.py [--staff 50000] [--emails 2000]

1. Planning: `seed_demo --staff N` on a fresh database, then the planner for today (the first run
   after go-live: every series is new, earlier stages are recorded as skipped), again for today
   (adds nothing), and for tomorrow (a normal day). Each run is timed inside its process and its
   database queries are counted; the same runs on a small demo (--compare-staff) show the count
   does not grow with the number of people. Target: under 30 seconds for 50,000 staff.
2. Sending: a redis-server of the benchmark's own on a spare port, a local SMTP server (aiosmtpd,
   in this process) and one Celery worker with --workers worker processes (default 4; prefork, as
   in production).
   `--emails` planned messages (and 25 more per worker process, that warm them up) are queued,
   then the worker starts; the clock runs from the last warm-up email the SMTP server accepts to
   the last email. The CPU time over that window of the workers, of this machine's PostgreSQL and
   of the SMTP server is reported too: on 2 cores the three share the CPU, so the rate is about
   2,000 ms divided by their sum, and on a machine busy with other work wall time mostly measures
   waiting for the CPU. Target: at least 50 emails a second, over a handful of SMTP
   connections (reused, not one per email); at 250,000 staff's scale, 100 a second with four
   worker processes.
"""

import argparse
import datetime
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import PYTHON, ROOT, database_label, fresh_database, manage, report  # noqa: E402

PLAN_TARGET_SECONDS = 30
WARMUP_PER_WORKER = 25
SEND_TARGET_PER_SECOND = 50
# Every statement the planner can make; some are skipped when there is nothing to do (nothing to
# supersede, no message to open...), so a run makes at most this many, whatever the number of
# people. (The COPY of new items on PostgreSQL is one more statement, not seen by Django.)
PLAN_MAX_QUERIES = 40

PLAN_CODE = """
import datetime, json, time
from django.db import connection
from notifications import services

day = datetime.date.fromisoformat({day!r})
queries = []
def count(execute, sql, params, many, context):
    queries.append(sql.split(" ", 1)[0])
    return execute(sql, params, many, context)
with connection.execute_wrapper(count):
    started, cpu = time.perf_counter(), time.process_time()
    result = services.reminders_plan(day=day, queue=False)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
print(json.dumps({{
    "seconds": seconds,
    "cpu_seconds": cpu,
    "queries": len(queries),
    "pending": sum(result.planned.values()),
    "skipped": result.skipped,
    "messages": len(result.message_ids),
}}))
"""

PENDING_CODE = """
import json
from notifications.models import ReminderMessage
ids = list(ReminderMessage.objects.filter(status="pending").order_by("id").values_list("id", flat=True))
print(json.dumps(ids))
"""

SENT_CODE = """
import json
from notifications.models import ReminderMessage
ids = json.loads({ids!r})
rows = ReminderMessage.objects.filter(id__in=ids).values_list("status", "attempts")
print(json.dumps(sorted(set(rows))))
"""


def django(env, code):
    # DEBUG off: with it on, Django keeps every query in memory, which is not how a site runs.
    result = manage({**env, "DJANGO_DEBUG": "false"}, "shell", "--no-imports", "-c", code)
    return json.loads(result.stdout.strip().splitlines()[-1])


def plan_runs(env):
    today = datetime.date.today()
    runs = {}
    for label, day in (
        ("go-live", today),
        ("same day again", today),
        ("next day", today + datetime.timedelta(days=1)),
    ):
        runs[label] = django(env, PLAN_CODE.format(day=day.isoformat()))
    return runs


# --- sending -------------------------------------------------------------------------------------


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Counter:
    """aiosmtpd handler: counts accepted messages and SMTP sessions (EHLO), nothing else."""

    def __init__(self):
        self.lock = threading.Lock()
        self.accepted = 0
        self.sessions = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        with self.lock:
            self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.accepted += 1
        return "250 OK"

    def wait_for(self, count, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if self.accepted >= count:
                    return True
            time.sleep(0.01)
        return False


def start_redis(folder):
    port = free_port()
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    process = subprocess.Popen([*command, "--dir", folder], stdout=subprocess.DEVNULL)  # noqa: S603
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process, f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.05)
    sys.exit("redis-server did not start")


def _cpu_seconds(wanted):
    """CPU seconds (user and system) used so far by every live process for which
    `wanted(name, process group)` holds (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            raw = stat.read_text()
        except OSError:
            continue
        name, fields = raw[raw.find("(") + 1 : raw.rfind(")")], raw.rsplit(")", 1)[1].split()
        if wanted(name, int(fields[2])):  # fields after "(comm)": state, ppid, pgrp, ...
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def group_cpu_seconds(group_id):
    """The worker's and its pool processes' CPU seconds so far."""
    return _cpu_seconds(lambda name, group: group == group_id)


def postgres_cpu_seconds():
    """The CPU seconds of this machine's PostgreSQL processes so far (0 when it runs elsewhere)."""
    return _cpu_seconds(lambda name, group: name.startswith("postgres"))


def publish(broker_url, message_ids):
    from kombu import Connection

    from notifications.tasks import send_message

    with Connection(broker_url) as connection:
        for message_id in message_ids:
            send_message.apply_async((message_id,), connection=connection, queue="reminders")


def send_run(env, emails, workers=4):
    from aiosmtpd.controller import Controller

    if shutil.which("redis-server") is None:
        sys.exit("The sending benchmark needs redis-server on the PATH.")
    pending = django(env, PENDING_CODE)
    # Each worker process pays for its first emails once (templates compiled, modules imported,
    # connections opened): that start-up is kept out of the timed window.
    warm = WARMUP_PER_WORKER * workers
    warmup, measured = pending[:warm], pending[warm : warm + emails]
    if len(measured) < emails:
        sys.exit(f"Only {len(pending)} messages were planned; ask for fewer --emails.")

    counter = Counter()
    # aiosmtpd logs every SMTP command at INFO: on a 2-core machine that steals the workers' CPU.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    smtp = Controller(counter, hostname="127.0.0.1", port=free_port())
    smtp.start()
    scratch = tempfile.mkdtemp(prefix="reminders-bench-")
    redis, broker_url = start_redis(scratch)
    worker_env = {
        **env,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DJANGO_DEBUG": "false",
        "CELERY_BROKER_URL": broker_url,
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}",
        "REDIS_URL": "",
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update({key: worker_env[key] for key in ("DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_DEBUG")})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    sys.path.insert(0, str(ROOT))
    import django as django_module

    django_module.setup()
    command = [
        PYTHON,
        "-m",
        "celery",
        "-A",
        "config.celery_app",
        "worker",
        "--pool=prefork",
        f"--concurrency={workers}",
        "--queues=reminders",
    ]
    command += [
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--loglevel=WARNING",
    ]
    worker = None
    try:
        # Everything is queued before the clock starts, so publishing does not compete with the
        # workers; the first emails (the workers starting, connecting to the database and to the
        # SMTP server) are not timed.
        started = time.perf_counter()
        publish(broker_url, warmup + measured)
        queued = time.perf_counter() - started
        worker = subprocess.Popen(command, cwd=ROOT, env=worker_env, start_new_session=True)  # noqa: S603
        if not counter.wait_for(len(warmup), timeout=120):
            sys.exit("The workers did not send the first emails.")
        sessions_before = counter.sessions
        cpu_before, database_before = group_cpu_seconds(worker.pid), postgres_cpu_seconds()
        own_before = time.process_time()  # the SMTP server's, mostly
        started = time.perf_counter()
        if not counter.wait_for(len(warmup) + len(measured), timeout=900):
            sys.exit(f"Only {counter.accepted - len(warmup)} of {len(measured)} emails arrived.")
        seconds = time.perf_counter() - started
        cpu = group_cpu_seconds(worker.pid) - cpu_before
        database_cpu = postgres_cpu_seconds() - database_before
        smtp_cpu = time.process_time() - own_before
        states = django(env, SENT_CODE.format(ids=json.dumps(measured)))
    finally:
        if worker is not None:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=60)
        redis.terminate()
        redis.wait(timeout=10)
        smtp.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    return {
        "emails": len(measured),
        "seconds": seconds,
        "per_second": len(measured) / seconds,
        "cpu_ms_per_email": 1000 * cpu / len(measured),
        "database_cpu_ms_per_email": 1000 * database_cpu / len(measured),
        "smtp_cpu_ms_per_email": 1000 * smtp_cpu / len(measured),
        "queue_seconds": queued,
        "smtp_sessions": counter.sessions - sessions_before,
        "smtp_sessions_total": counter.sessions,
        "states": states,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--staff", type=int, default=50_000)
    parser.add_argument("--compare-staff", type=int, default=2_000, help="A small demo for the query count.")
    parser.add_argument(
        "--emails", type=int, default=2_000, help="How many emails to send through the workers."
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--workers", type=int, default=4, help="Worker processes sending (default 4, the scale target's)."
    )
    options = parser.parse_args()

    with fresh_database() as env:
        manage(env, "seed_demo", "--staff", str(options.compare_staff), "--seed", str(options.seed), "--json")
        small = plan_runs(env)
    with fresh_database() as env:
        manage(env, "seed_demo", "--staff", str(options.staff), "--seed", str(options.seed), "--json")
        label = database_label(env)
        big = plan_runs(env)
        sending = send_run(env, options.emails, options.workers)

    figures = {"database": label}
    for name, run in big.items():
        figures[f"plan, {name}: seconds"] = run["seconds"]
        figures[f"plan, {name}: CPU seconds (the planner's process)"] = run["cpu_seconds"]
        figures[f"plan, {name}: queries (at {options.compare_staff:,} staff)"] = (
            f"{run['queries']} ({small[name]['queries']})"
        )
        figures[f"plan, {name}: pending / skipped / messages"] = (
            f"{run['pending']:,} / {run['skipped']:,} / {run['messages']:,}"
        )
    figures["send: emails"] = sending["emails"]
    figures["send: seconds"] = sending["seconds"]
    figures[f"send: emails per second ({options.workers} worker processes)"] = sending["per_second"]
    figures["send: worker CPU milliseconds per email"] = sending["cpu_ms_per_email"]
    figures["send: PostgreSQL CPU milliseconds per email (on this machine)"] = sending[
        "database_cpu_ms_per_email"
    ]
    figures["send: SMTP server CPU milliseconds per email"] = sending["smtp_cpu_ms_per_email"]
    figures["send: SMTP connections opened (while timed / in all)"] = (
        f"{sending['smtp_sessions']} / {sending['smtp_sessions_total']}"
    )
    figures["send: seconds to queue the tasks"] = sending["queue_seconds"]
    figures["send: message states (status, attempts)"] = json.dumps(sending["states"])
    report(f"Reminders for seed_demo --staff {options.staff:,}", figures)

    failures = []
    if big["go-live"]["seconds"] > PLAN_TARGET_SECONDS:
        failures.append(f"planning took {big['go-live']['seconds']:.1f} s (target {PLAN_TARGET_SECONDS} s)")
    # (On SQLite the key look-ups go in chunks of its parameter limit; the bound is PostgreSQL's.)
    if any(run["queries"] > PLAN_MAX_QUERIES for run in [*big.values(), *small.values()]):
        failures.append(f"a planner run made more than {PLAN_MAX_QUERIES} queries")
    if sending["per_second"] < SEND_TARGET_PER_SECOND:
        failures.append(f"sent {sending['per_second']:.0f} emails/s (target {SEND_TARGET_PER_SECOND})")
    # The targets are PostgreSQL's (the production database); on SQLite the figures are shown only.
    if failures and label == "PostgreSQL":
        sys.exit("Below target: " + "; ".join(failures))


if __name__ == "__main__":
    main()
