"""The scale suite: the tracker at 50,000 or 250,000 staff, each figure with its queries and peak memory.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tracker_scale_bench \\
        .venv/bin/python benchmarks/scale.py [--staff 50000]
    .venv/bin/python benchmarks/scale.py 250000                 (the staff count may come first)
    .venv/bin/python benchmarks/scale.py --database-url URL     (an existing, seeded database)

By default a fresh database (benchmarks/_harness.py: the database DATABASE_URL names is dropped
and created again, so its name must contain "bench") is seeded with `seed_demo --staff N`; the
seed's own time and peak memory are the first figures. With --database-url nothing is dropped
or seeded (and the planner's "first run" is only first if nothing was planned there before).

Each measurement runs in a process of its own, so its peak memory (the process's maximum
resident set, Django's start-up included: the "start-up" line gives that baseline) is its own:

- the pages, as a signed-in lead gets them (Django's test Client: middleware, access, queries,
  the template; the median of --repeat renders after a warm-up): the dashboard, the largest
  agency's page, a person's page, the people behind a count (overdue);
- `compliance_report --json` (the command's own work, in-process);
- the same figures from the maintained state and from the engine on the same data: every pair's
  status (the state's table against the engine's set-based query) and the dashboard's counts
  (the state's counts against the engine's), with the time the engine takes;
- the whole partnership's compliance matrix and list as CSV and XLSX, written as the worker
  writes a large export (workforce.services.export_job_build: rows read in chunks, the file
  written row by row to a temporary file, then into storage) (targets at 250,000 staff: CSV
  under 20 s, XLSX under 90 s, each under 300 MB);
- reminder planning for today (the first run after go-live) and for tomorrow (the next day, with
  the maintained state rolled to tomorrow first, untimed, as beat rolls it before the planner;
  it is rolled back to today afterwards).

Wall seconds and the process's CPU seconds are both shown; the database server's work is in the
wall time only. On a shared machine, wall time says more about the machine, CPU time about the code.
"""

import argparse
import datetime
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _harness import PYTHON, database_label, fresh_database, report  # noqa: E402

EXPORT_TARGETS = {"csv": 20.0, "xlsx": 90.0}  # seconds, at 250,000 staff
MEMORY_TARGET_MB = 300
MEASUREMENTS = (
    "start-up",
    "dashboard",
    "agency page",
    "person page",
    "people behind a count, overdue",
    "compliance_report",
    "same figures",
    "matrix CSV",
    "matrix XLSX",
    "list CSV",
    "list XLSX",
    "planning, first run",
    "planning, next day",
)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("staff_count", nargs="?", type=int, help="Demo staff to seed (same as --staff).")
    parser.add_argument("--staff", type=int, default=50_000, help="Demo staff to seed (default 50,000).")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="Renders of each page; the median is shown.")
    parser.add_argument("--database-url", help="Use this existing, seeded database instead of a fresh one.")
    parser.add_argument(
        "--only", action="append", choices=MEASUREMENTS, help="Measure just this (repeatable)."
    )
    parser.add_argument("--one", choices=MEASUREMENTS, help=argparse.SUPPRESS)  # a child's measurement
    options = parser.parse_args()
    if options.one:
        print(json.dumps(measure_one(options.one, options.repeat)))
        return
    staff = options.staff_count or options.staff

    if options.database_url:
        env = {**os.environ, "DATABASE_URL": options.database_url}
        figures = {"database": database_label(env), "staff": "(existing database)"}
        figures.update(measure_all(env, options))
    else:
        with fresh_database() as env:
            figures = {"database": database_label(env), "staff": staff}
            figures.update(seed(env, staff, options.seed))
            print(f"seed_demo: {figures['seed_demo']}", file=sys.stderr, flush=True)
            figures.update(measure_all(env, options))
    report(f"The tracker at scale ({figures['staff']} staff)", figures)


def seed(env, staff, seed_number):
    command = [PYTHON, "manage.py", "seed_demo", "--staff", str(staff), "--seed", str(seed_number), "--json"]
    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    root = Path(__file__).resolve().parent.parent
    result = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True)  # noqa: S603
    seconds = time.perf_counter() - started
    if result.returncode:
        sys.exit(result.stdout + result.stderr)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    totals = json.loads(result.stdout)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return {
        "seed_demo": f"{seconds:.1f} s wall, {cpu:.1f} s CPU, peak {after.ru_maxrss // 1024} MB",
        "seed_demo: staff / completions": f"{totals['staff']:,} / {totals['completions']:,}",
    }


def measure_all(env, options):
    figures = {}
    child_env = {**env, "DJANGO_DEBUG": "false", "REDIS_URL": env.get("REDIS_URL", "")}
    for name in options.only or MEASUREMENTS:
        command = [PYTHON, __file__, "--one", name, "--repeat", str(options.repeat)]
        result = subprocess.run(command, env=child_env, capture_output=True, text=True)  # noqa: S603
        if result.returncode:
            figures[name] = "failed: " + (result.stderr.strip().splitlines() or ["?"])[-1]
            print(f"{name}: {figures[name]}", file=sys.stderr, flush=True)
            continue
        figures[name] = describe(name, json.loads(result.stdout.strip().splitlines()[-1]))
        print(f"{name}: {figures[name]}", file=sys.stderr, flush=True)  # as it goes, for a long run
        if name == "planning, next day":  # it rolled the state to tomorrow: back to today (a rebuild)
            roll = [PYTHON, "manage.py", "compliance_state", "--roll"]
            subprocess.run(roll, cwd=Path(__file__).resolve().parent.parent, env=child_env, check=True)  # noqa: S603
    return figures


def describe(name, data):
    text = (
        f"{data['seconds']:.2f} s wall, {data['cpu']:.2f} s CPU, {data['queries']} queries, "
        f"peak {data['peak_mb']} MB"
    )
    if data.get("note"):
        text += f"; {data['note']}"
    kind = name.split()[-1].lower()
    if name.startswith(("matrix", "list")):
        verdicts = []
        verdicts.append("time " + ("meets" if data["seconds"] < EXPORT_TARGETS[kind] else "misses"))
        verdicts.append("memory " + ("meets" if data["peak_mb"] < MEMORY_TARGET_MB else "misses"))
        targets = f"{EXPORT_TARGETS[kind]:g} s, {MEMORY_TARGET_MB} MB"
        text += f" ({', '.join(verdicts)} the 250,000-staff targets {targets})"
    return text


# ---------------------------------------------------------------------------------------------
# In the child process
# ---------------------------------------------------------------------------------------------


def measure_one(name, repeat):
    _setup_django()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    work = _work(name, repeat)
    with CaptureQueriesContext(connection) as queries:
        started, cpu = time.perf_counter(), time.process_time()
        note = work()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    query_count = len(queries)
    if isinstance(note, tuple):  # the pages: median seconds and queries of one render
        seconds, cpu, query_count, note = note
    return {
        "seconds": seconds,
        "cpu": cpu,
        "queries": query_count,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "note": note,
    }


def _setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()
    from django.test.utils import setup_test_environment

    setup_test_environment()  # lets the test Client in (ALLOWED_HOSTS)


def _work(name, repeat):
    from django.utils import timezone

    today = timezone.localdate()
    if name == "start-up":
        return lambda: None
    if name in ("dashboard", "agency page", "person page", "people behind a count, overdue"):
        return lambda: _page(name, repeat)
    if name == "compliance_report":
        return _compliance_report
    if name == "same figures":
        return lambda: _same_figures(today)
    if name.startswith(("matrix", "list")):
        kind, file_format = name.split()
        return lambda: _export(kind, file_format.lower())
    if name == "planning, first run":
        return lambda: _plan(today, first=True)
    # As beat runs it: the roll (00:05) moves the state to the new day before the planner, which
    # then reads it. Not timed; measure_all rolls the state back to today afterwards.
    from training.state import pair_states_roll

    pair_states_roll(today=today + datetime.timedelta(days=1))
    return lambda: _plan(today + datetime.timedelta(days=1), first=False)


def lead_user():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(groups__name="Partnership lead").order_by("pk").first()


def signed_in_client(user):
    """A test Client signed in as `user`, its session marked as past the second factor (as
    allauth marks it when the code from the app is entered)."""
    from allauth.account.internal.flows import login as allauth_login
    from django.test import Client

    client = Client()
    client.force_login(user)
    session = client.session
    session[allauth_login.AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "mfa", "type": "totp", "at": time.time()}
    ]
    session[allauth_login._AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(user.pk)
    session.save()
    return client


def page_urls():
    from django.db.models import Count, Q
    from django.urls import reverse
    from django.utils import timezone

    from workforce.models import Agency, StaffMember

    today = timezone.localdate()
    current = Q(staff__left_on__isnull=True) | Q(staff__left_on__gt=today)
    agency = Agency.objects.annotate(current=Count("staff", filter=current)).order_by("-current").first()
    person = StaffMember.objects.filter(agency=agency, left_on__isnull=True).order_by("pk").first()
    return {
        "dashboard": reverse("compliance:dashboard"),
        "agency page": reverse("agency_staff", kwargs={"slug": agency.slug}),
        "person page": reverse("staff_detail", kwargs={"pk": person.pk}),
        "people behind a count, overdue": reverse("compliance:people") + "?status=overdue",
    }, f"{agency.slug}, {agency.current:,} current staff"


def _page(name, repeat):
    import statistics

    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, override_settings

    # DJANGO_DEBUG=false selects the hashed-manifest static storage, which needs collectstatic;
    # the pages' static URLs are not what is measured, so plain storage stands in.
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages):
        urls, largest = page_urls()
        client = signed_in_client(lead_user())
        url = urls[name]
        client.get(url)  # warm-up: templates, connection
        runs = []
        for _ in range(max(repeat, 1)):
            with CaptureQueriesContext(connection) as queries:
                started, cpu = time.perf_counter(), time.process_time()
                response = client.get(url)
                runs.append((time.perf_counter() - started, time.process_time() - cpu, len(queries)))
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}")
    note = f"median of {len(runs)}" + (f"; {largest}" if name == "agency page" else "")
    return (
        statistics.median(run[0] for run in runs),
        statistics.median(run[1] for run in runs),
        runs[-1][2],
        note,
    )


def _compliance_report():
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("compliance_report", "--json", stdout=out)
    data = json.loads(out.getvalue())
    return f"{data['people']['total']:,} people, {sum(data['pairs'].values()):,} pairs"


def _same_figures(today):
    """The state against the engine on this database, today: raises if they differ."""
    from training.models import PairState
    from training.selectors.engine import compliance_counts, compliance_statuses
    from training.selectors.state import maintained

    if not maintained(today):
        raise SystemExit("The compliance state is not on today: run compliance_state --roll first.")
    found = set(PairState.objects.values_list("staff_id", "module_id", "status").iterator(20_000))
    engine = {
        (row.staff_id, row.module_id, row.status.value)
        for row in compliance_statuses(on=today, include_inactive_agencies=True)
    }
    counts = compliance_counts(on=today, from_state=True) == compliance_counts(on=today)
    if found != engine or not counts:
        raise SystemExit(
            f"The state differs from the engine: {len(found ^ engine):,} pairs, counts equal: {counts}"
        )
    return f"equal: {len(found):,} pairs and the dashboard's counts, state and engine"


def _export(kind, file_format):
    """The whole partnership's file, as the worker writes a large export."""
    from django.core.files.storage import default_storage

    from training import exports
    from workforce import exports as engine
    from workforce import tasks
    from workforce.models import ExportJob
    from workforce.services import export_job_build, export_job_request

    tasks.export_job_build_task.delay = lambda **kwargs: None  # this process builds it, below
    key = exports.ENGINE_KEYS[exports.MATRIX if kind == "matrix" else exports.LIST]
    job = export_job_request(
        user=lead_user(), kind=engine.get(key), file_format=file_format, params={}, rows_total=0
    )
    export_job_build(job_id=job.pk)
    job.refresh_from_db()
    size = default_storage.size(job.file.name) if job.file else 0
    if job.file:
        default_storage.delete(job.file.name)
    ExportJob.objects.filter(pk=job.pk).delete()
    if job.status != "ready":
        raise SystemExit(f"The export failed: {job.error}")
    return f"{job.rows_done:,} people, {size / 1e6:.1f} MB file"


def _plan(day, *, first):
    from notifications import services
    from notifications.models import ReminderItem

    planned_before = first and ReminderItem.objects.exists()
    result = services.reminders_plan(day=day, queue=False)
    note = f"{sum(result.planned.values()):,} reminders, {result.skipped:,} skipped stages"
    return note + ("; not the first run: this database had been planned before" if planned_before else "")


if __name__ == "__main__":
    main()
