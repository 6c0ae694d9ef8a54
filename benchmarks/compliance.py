"""Time the compliance engine at partnership scale (issue 3, point 5).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tracker_compliance_bench \\
        .venv/bin/python benchmarks/compliance.py [--staff 50000] [--repeat 3]

    .venv/bin/python benchmarks/compliance.py --database-url URL    (an existing, seeded database)
    .venv/bin/python benchmarks/compliance.py --database-url URL --pages-only    (the pages alone)

By default a fresh database (benchmarks/_harness.py: the database named by DATABASE_URL is dropped
and created again, so its name must contain "bench"; SQLite in a temporary directory without it)
is seeded with `seed_demo --staff N`, and PostgreSQL's planner statistics are refreshed (ANALYZE,
as autovacuum would shortly after a bulk load). With --database-url nothing is dropped or seeded.

Then, best of --repeat runs each:
- `compliance_report --json` for the whole partnership, run as a user runs it (a child process,
  so Django's start-up is included);
- the selector `compliance_pairs(on=today)` in this process: every (current staff member,
  required module) pair, with its query count and pairs per second;
- the figures over those pairs (summary, by agency, by module);
- `compliance_statuses(on=today)`: the same statuses classified by the database in one query (what
  compliance_report uses), with pairs per second.

Times are wall-clock seconds with the process's CPU seconds beside them; wall time on a busy
machine says more about the machine, CPU time about the code. Neither counts the database
server's own work. Then the pages, as a signed-in lead gets them through Django's test Client
(median of at least 3 renders each): the partnership dashboard (target under 1 s), the largest
agency's page and one person's page (targets under 300 ms), and the people behind a count for the
whole partnership, overdue and every status (target under 0.5 s, read from the maintained state;
the engine's list is for other days). --pages-only measures just the pages.
"""

import argparse
import os
import sys
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _harness import database_label, fresh_database, manage, report, timed_json  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--staff", type=int, default=50_000, help="Demo staff to seed (default 50,000).")
    parser.add_argument("--repeat", type=int, default=3, help="Runs of each measurement; the best is shown.")
    parser.add_argument("--database-url", help="Use this existing, seeded database instead of a fresh one.")
    parser.add_argument(
        "--pages-only",
        action="store_true",
        help="Measure only the pages (dashboard, agency page, person page), not the command and selectors.",
    )
    options = parser.parse_args()

    if options.database_url:
        env = {**os.environ, "DATABASE_URL": options.database_url}
        figures = measure(env, options, seed_seconds=None)
    else:
        with fresh_database() as env:
            started = time.perf_counter()
            manage(env, "seed_demo", "--staff", str(options.staff), "--json")
            seed_seconds = time.perf_counter() - started
            figures = measure(env, options, seed_seconds=seed_seconds)
    report("Compliance engine", figures)


def measure(env, options, *, seed_seconds):
    _setup_django(env)
    _analyze()
    _state_forget()  # first every figure from the engine, as before the maintained state
    figures = {"database": database_label(env)}
    if seed_seconds is not None:
        figures["seed_demo: seconds"] = _seconds(seed_seconds)
    if options.pages_only:
        figures.update(_pages(options.repeat))
        figures.update(_state(env, options, report_too=False))
        return figures
    report_runs = [timed_json(env, "compliance_report") for _ in range(options.repeat)]
    wall, cpu, data = min(report_runs, key=lambda run: run[0])
    _ENGINE_REPORT.update(data)
    figures.update(
        {
            "compliance_report: seconds": _seconds(wall),
            "compliance_report: CPU seconds": _seconds(cpu),
            "people (current, required to train)": data["people"]["total"],
            "pairs": sum(data["pairs"].values()),
            "rate": f"{data['rate']:.4f}" if data["rate"] is not None else "none",
        }
    )
    figures.update(_selector(options.repeat))
    figures.update(_statuses(options.repeat))
    figures.update(_pages(options.repeat))
    figures.update(_state(env, options, report_too=True))
    return figures


def _state_forget():
    from training.models import ComplianceState, PairState

    ComplianceState.objects.all().delete()
    PairState.objects.all().delete()


def _state(env, options, *, report_too):
    """The maintained state (training.state): built for yesterday, rolled to today (what the
    nightly task does), checked against the pure rules; then the report and the pages again, now
    reading the table. The figures must be the same as the engine's."""
    import datetime

    from django.utils import timezone

    from training.selectors.state import state_differences
    from training.state import pair_states_rebuild, pair_states_roll

    today = timezone.localdate()
    figures = {}
    wall, cpu, written = _timed(lambda: pair_states_rebuild(today=today - datetime.timedelta(days=1)))
    figures["state: rebuild seconds"] = _seconds(wall)
    figures["state: pairs"] = written
    _analyze()
    wall, cpu, rolled = _timed(lambda: pair_states_roll(today=today))
    figures["state: nightly roll seconds"] = f"{wall:.3f} ({rolled:,} pairs refreshed)"
    wall, cpu, differences = _timed(lambda: state_differences(on=today))
    figures["state: check seconds"] = f"{wall:.3f} ({len(differences)} pairs differ)"
    if report_too:
        runs = [timed_json(env, "compliance_report") for _ in range(options.repeat)]
        wall, cpu, data = min(runs, key=lambda run: run[0])
        figures["state: compliance_report: seconds"] = _seconds(wall)
        figures["state: compliance_report: same figures"] = str(
            data["pairs"] == _ENGINE_REPORT.get("pairs") and data["rate"] == _ENGINE_REPORT.get("rate")
        )
    figures.update({f"state: {name}": value for name, value in _pages(options.repeat).items()})
    return figures


_ENGINE_REPORT = {}


def _setup_django(env):
    os.environ.update(env)
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()


def _analyze():
    """Refresh PostgreSQL's statistics after a bulk load, as autovacuum would within a minute."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _selector(repeat):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from training.selectors.engine import by_agency, by_module, compliance_pairs, compliance_summary

    today = timezone.localdate()
    selector_runs, figure_runs = [], []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as queries:
            wall, cpu, pairs = _timed(lambda: compliance_pairs(on=today))
        selector_runs.append((wall, cpu, len(pairs), len(queries)))
        figure_runs.append(_timed(partial(_figures, pairs, compliance_summary, by_agency, by_module)))
        del pairs  # one run's 150,000 pairs at a time
    wall, cpu, count, query_count = min(selector_runs)
    figure_wall, figure_cpu, _ = min(figure_runs, key=lambda run: run[0])
    return {
        "selector: seconds": _seconds(wall),
        "selector: CPU seconds": _seconds(cpu),
        "selector: queries": query_count,
        "selector: pairs per second": int(count / wall),
        "figures over the pairs: seconds": _seconds(figure_wall),
        "figures over the pairs: CPU seconds": _seconds(figure_cpu),
    }


def _statuses(repeat):
    """compliance_statuses: the same pairs classified by the database (what compliance_report uses)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from training.selectors.engine import compliance_statuses

    today = timezone.localdate()
    runs = []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as queries:
            wall, cpu, rows = _timed(lambda: compliance_statuses(on=today))
        runs.append((wall, cpu, len(rows), len(queries)))
        del rows
    wall, cpu, count, query_count = min(runs)
    return {
        "statuses in SQL: seconds": _seconds(wall),
        "statuses in SQL: CPU seconds": _seconds(cpu),
        "statuses in SQL: queries": query_count,
        "statuses in SQL: pairs per second": int(count / wall),
    }


def _figures(pairs, *functions):
    return [function(pairs) for function in functions]


def _seconds(value):
    return f"{value:.3f}"


def _timed(function):
    cpu_started, started = time.process_time(), time.perf_counter()
    result = function()
    return time.perf_counter() - started, time.process_time() - cpu_started, result


# ---------------------------------------------------------------------------------------------
# Pages: the dashboard, the largest agency's page, a person's page and the people behind a count,
# as a signed-in lead sees them
# ---------------------------------------------------------------------------------------------

PAGE_TARGETS = {
    "dashboard": 1.0,
    "agency page": 0.3,
    "person page": 0.1,
    "people behind a count, overdue": 0.5,
    "people behind a count, every status": 0.5,
}


def _pages(repeat):
    """Median seconds of `repeat` renders of each page through Django's test Client (the whole
    request: middleware, access checks, queries, the engine, the template), after one warm-up."""
    from django.test import utils as test_utils
    from django.test.utils import setup_test_environment

    if not hasattr(test_utils._TestState, "saved_data"):  # once per process (the state's pages too)
        setup_test_environment()  # lets the test Client in (ALLOWED_HOSTS)
    # DJANGO_DEBUG=false selects the hashed-manifest static storage, which needs collectstatic;
    # the pages' static URLs are not what is measured, so plain storage stands in.
    from django.conf import settings
    from django.test.utils import override_settings

    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages):
        return _measure_pages(repeat)


def _sign_in(client, user):
    """Sign in as if the second factor had been passed at the sign-in page (the session record
    allauth writes then): a lead must have one, and the benchmark measures pages, not sign-in."""
    from allauth.account.internal.flows import login as allauth_login

    client.force_login(user)
    session = client.session
    session[allauth_login.AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "mfa", "type": "totp", "at": time.time()}
    ]
    session[allauth_login._AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(user.pk)
    session.save()


def _measure_pages(repeat):
    import statistics

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.db.models import Count, Q
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from django.utils import timezone

    from workforce.models import Agency, StaffMember

    today = timezone.localdate()
    current = Q(staff__left_on__isnull=True) | Q(staff__left_on__gt=today)
    agency = Agency.objects.annotate(current=Count("staff", filter=current)).order_by("-current").first()
    person = StaffMember.objects.filter(agency=agency, left_on__isnull=True).order_by("pk").first()
    lead = get_user_model().objects.filter(groups__name="Partnership lead").order_by("pk").first()
    client = Client()
    _sign_in(client, lead)
    urls = {
        "dashboard": reverse("compliance:dashboard"),
        "agency page": reverse("agency_staff", kwargs={"slug": agency.slug}),
        "person page": reverse("staff_detail", kwargs={"pk": person.pk}),
        # No target: for information, the largest list a lead can ask for.
        "people behind a count, overdue": reverse("compliance:people") + "?status=overdue",
        "people behind a count, every status": reverse("compliance:people"),
    }
    figures = {}
    for name, url in urls.items():
        client.get(url)  # warm-up: template compilation, connection set-up
        walls, cpus = [], []
        for _ in range(max(repeat, 3)):
            with CaptureQueriesContext(connection) as queries:
                wall, cpu, response = _timed(lambda url=url: client.get(url))
            assert response.status_code == 200, (url, response.status_code)
            walls.append(wall)
            cpus.append(cpu)
        median = statistics.median(walls)
        target = PAGE_TARGETS.get(name)
        if target is None:
            figures[f"{name}: median seconds"] = f"{median:.3f} (no target)"
        else:
            verdict = "meets" if median < target else "misses"
            figures[f"{name}: median seconds"] = f"{median:.3f} ({verdict} the {target:g} s target)"
        figures[f"{name}: median CPU seconds"] = _seconds(statistics.median(cpus))
        figures[f"{name}: queries"] = len(queries)
    figures["agency page: agency"] = f"{agency.slug} ({agency.current:,} current staff)"
    return figures


if __name__ == "__main__":
    main()
