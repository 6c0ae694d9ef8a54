"""Time what the audit log costs (issue 15): API requests, downloads, the audit-log page, the purge.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tracker_audit_bench \\
        .venv/bin/python benchmarks/audit.py [--staff 2000] [--events 200000] [--requests 200]

A fresh database (benchmarks/_harness.py) is seeded with `seed_demo --staff N`, then, in this
process through Django's test client:

- `GET /api/v1/modules/` with a bearer token, --requests times: the median milliseconds and the
  queries of the day's first request (which writes the token's audit event) and of the others
  (which write nothing: the API is not slowed by the log);
- an agency's staff list as CSV with and without the download middleware: median milliseconds
  (the difference is the one audit insert per download);
- with --events audit events in the table: the audit-log page, a text search and a filter by
  actor and dates, median milliseconds and the page's query count;
- the nightly purge of half of those events (older than AUDIT_RETENTION_DAYS): seconds.

Targets: the pages' (PRODUCT.md): a list page under 300 ms; an API request no slower than before.
"""

import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _harness import database_label, fresh_database, manage, report  # noqa: E402

PAGE_TARGET_MS = 300


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--staff", type=int, default=2_000, help="Demo staff to seed (default 2,000).")
    parser.add_argument("--events", type=int, default=200_000, help="Audit events in the table (200,000).")
    parser.add_argument("--requests", type=int, default=200, help="Requests per measurement (default 200).")
    options = parser.parse_args()
    with fresh_database() as env:
        manage(env, "seed_demo", "--staff", str(options.staff), "--seed", "11")
        measure(env, options)


def _timed(call):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = call()
        seconds = time.perf_counter() - started
    assert response.status_code == 200, response.status_code
    if response.streaming:
        b"".join(response.streaming_content)
    return seconds * 1000, len(queries)


def _median(call, repeat):
    call()  # warm-up
    runs = [_timed(call) for _ in range(repeat)]
    return statistics.median(ms for ms, _q in runs), runs[-1][1]


def measure(env, options):
    os.environ.update(env)
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ["API_THROTTLE_RATE"] = "1000000/minute"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()
    from django.test.utils import override_settings, setup_test_environment

    setup_test_environment()
    from django.conf import settings

    # DJANGO_DEBUG=false selects the hashed-manifest static storage, which needs collectstatic;
    # the pages' static URLs are not what is measured, so plain storage stands in.
    override_settings(
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
    ).enable()
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils import timezone
    from rest_framework.test import APIClient

    from api.models import ApiToken
    from api.services import api_token_create
    from audit import actions
    from audit.models import AuditEvent
    from audit.services import audit_events_purge
    from workforce.models import Agency

    lead = get_user_model().objects.get(username="lead")
    _warm, warm_key = api_token_create(user=lead, name="warm-up", actor=lead)
    warm = APIClient()
    warm.credentials(HTTP_AUTHORIZATION=f"Bearer {warm_key}")
    for _ in range(5):  # the process's first requests (imports, URL resolving) are not measured
        warm.get("/api/v1/modules/")
    token, key = api_token_create(user=lead, name="benchmark", actor=lead)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    figures = {"database": database_label(env)}

    first_ms, first_queries = _timed(lambda: api.get("/api/v1/modules/"))
    later = []
    for _ in range(options.requests):
        # Past the once-a-minute last-use update, as a busy integration is most of the time.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        later.append(_timed(lambda: api.get("/api/v1/modules/")))
    figures["API, the day's first request: ms / queries"] = f"{first_ms:.1f} / {first_queries}"
    figures["API, later requests: median ms / queries"] = (
        f"{statistics.median(ms for ms, _q in later):.1f} / {later[-1][1]}"
    )
    past_minute = []
    for _ in range(max(5, options.requests // 10)):
        # A request more than a minute after the last: the last-use update, as before the log.
        ApiToken.objects.filter(pk=token.pk).update(
            last_used_at=timezone.now() - datetime.timedelta(minutes=2)
        )
        past_minute.append(_timed(lambda: api.get("/api/v1/modules/")))
    figures["API, a request after a minute's pause: median ms / queries"] = (
        f"{statistics.median(ms for ms, _q in past_minute):.1f} / {past_minute[-1][1]}"
    )
    figures["API token-use events written (one token, one day)"] = AuditEvent.objects.filter(
        action=actions.API_TOKEN_USED, target_id=str(token.pk)
    ).count()

    browser = Client()
    browser.force_login(lead)
    agency = Agency.objects.order_by("name").first()
    url = f"/agencies/{agency.slug}/staff/?download=csv"
    repeat = max(5, options.requests // 20)
    with_log, _q = _median(lambda: browser.get(url), repeat)
    without = [name for name in settings.MIDDLEWARE if name != "workforce.downloads.DownloadAuditMiddleware"]
    with override_settings(MIDDLEWARE=without):
        without_log, _q = _median(lambda: browser.get(url), repeat)
    figures[f"staff list CSV of {agency.staff.count():,}: ms with / without the log"] = (
        f"{with_log:.1f} / {without_log:.1f}"
    )

    now = timezone.now()
    retention = datetime.timedelta(days=settings.AUDIT_RETENTION_DAYS)
    span = retention * 2 / options.events
    started = time.perf_counter()
    AuditEvent.objects.bulk_create(
        (
            AuditEvent(
                at=now - span * index,
                user=lead if index % 3 else None,
                actor="lead" if index % 3 else f"visitor-{index % 97}",
                action=actions.DOWNLOAD if index % 2 else actions.SIGNIN,
                description=f"Downloaded file-{index}.csv" if index % 2 else "Signed in",
                target_label=f"file-{index}.csv" if index % 2 else "lead",
                client_ip=f"192.0.2.{index % 250}",
            )
            for index in range(options.events)
        ),
        batch_size=5000,
    )
    figures[f"{options.events:,} events written: s"] = f"{time.perf_counter() - started:.1f}"
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # As autovacuum leaves a table that grew over two years (and the search indexes with
            # their pending entries merged), not as a bulk insert leaves it the moment after.
            cursor.execute("VACUUM ANALYZE audit_auditevent")
    for name, params in (
        ("audit-log page", ""),
        ("audit-log, text search", "?q=file-12345"),
        ("audit-log, address search", "?q=192.0.2.17"),
        ("audit-log, actor and dates", "?actor=visitor-5&since=1/1/2026&until=31/12/2026"),
    ):
        ms, queries = _median(lambda params=params: browser.get("/audit-log/" + params), repeat)
        figures[f"{name}: ms (target < {PAGE_TARGET_MS}) / queries"] = f"{ms:.0f} / {queries}"

    started = time.perf_counter()
    deleted = audit_events_purge()
    figures[f"purge of {deleted:,} old events: s"] = f"{time.perf_counter() - started:.2f}"
    report(f"Audit log, {options.staff:,} staff, {options.events:,} events", figures)


if __name__ == "__main__":
    main()
