"""Time the JSON API at partnership scale (issue 11): lists, compliance and completion POSTs.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tracker_api_bench \\
        .venv/bin/python benchmarks/api.py [--staff 50000] [--requests 50]

    .venv/bin/python benchmarks/api.py --database-url URL    (an existing, seeded database)

A fresh database (benchmarks/_harness.py) is seeded with `seed_demo --staff N`; then, in this
process through DRF's test client with a lead's bearer token (the whole request: authentication,
throttling, scoping, the selectors, JSON), with throttling raised out of the way:

- `GET /api/v1/staff/` (100 people a page, each with every requirement's status), a page deep in
  the list, and `GET /api/v1/completions/` (100 a page): median milliseconds, requests a second,
  and the query count, for a page of 10 and of 100 (they must be equal);
- `GET /api/v1/compliance/` for the whole partnership and for one agency: median seconds;
- `POST /api/v1/completions/`: --requests new completions one after another, then the same again
  (every one a duplicate), then retries with a used Idempotency-Key: completions a second.

The issue sets no speed target of its own; the targets printed are the pages' (PRODUCT.md and
benchmarks/compliance.py): a list page under 300 ms, the partnership figures under 1 s, and a POST
fast enough for a provider pushing a course's completions as they finish (20 a second).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _harness import database_label, fresh_database, manage, report  # noqa: E402

TARGETS = {"list page": 0.3, "compliance": 1.0, "posts per second": 20}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--staff", type=int, default=50_000, help="Demo staff to seed (default 50,000).")
    parser.add_argument("--requests", type=int, default=50, help="Requests per measurement (default 50).")
    parser.add_argument("--database-url", help="Use this existing, seeded database instead of a fresh one.")
    options = parser.parse_args()
    if options.database_url:
        measure({**os.environ, "DATABASE_URL": options.database_url}, options)
        return
    with fresh_database() as env:
        started = time.perf_counter()
        manage(env, "seed_demo", "--staff", str(options.staff), "--seed", "11")
        print(f"seeded {options.staff:,} staff in {time.perf_counter() - started:.1f} s")
        measure(env, options)


def measure(env, options):
    os.environ.update(env)
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ["API_THROTTLE_RATE"] = "1000000/minute"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()
    from django.test.utils import setup_test_environment

    setup_test_environment()  # lets the test client in (ALLOWED_HOSTS)
    from django.contrib.auth import get_user_model
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    from rest_framework.test import APIClient

    from api.services import api_token_create
    from workforce.access import LEAD_GROUP

    lead = get_user_model().objects.filter(groups__name=LEAD_GROUP).first() or get_user_model().objects.get(
        username="lead"
    )
    _token, key = api_token_create(user=lead, name="benchmark", actor=lead)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    figures = {"database": database_label(env)}
    figures.update(_lists(client, options.requests))
    figures.update(_compliance(client))
    figures.update(_posts(client, options.requests))
    report(f"API, {options.staff:,} staff", figures)


def _get(client, url, params=None):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.get(url, params or {})
        seconds = time.perf_counter() - started
    assert response.status_code == 200, (url, response.status_code, response.content[:300])
    return seconds, len(queries)


def _median(client, url, params, repeat):
    _get(client, url, params)  # warm-up
    runs = [_get(client, url, params) for _ in range(repeat)]
    return statistics.median(seconds for seconds, _q in runs), runs[-1][1]


def _lists(client, repeat):
    figures = {}
    for name, url, params in (
        ("staff, first page of 100", "/api/v1/staff/", {"page_size": 100}),
        ("staff, page 200 of 100", "/api/v1/staff/", {"page_size": 100, "page": 200}),
        ("completions, first page of 100", "/api/v1/completions/", {"page_size": 100}),
    ):
        seconds, queries = _median(client, url, params, repeat)
        _small, small_queries = _median(client, url, {**params, "page_size": 10}, 3)
        figures[f"{name}: ms (target < {TARGETS['list page'] * 1000:.0f})"] = f"{seconds * 1000:.0f}"
        figures[f"{name}: requests per second"] = f"{1 / seconds:.1f}"
        figures[f"{name}: queries (page of 10 / 100)"] = f"{small_queries} / {queries}"
    return figures


def _compliance(client):
    from django.db.models import Count

    from workforce.models import Agency

    largest = Agency.objects.annotate(people=Count("staff")).order_by("-people").first()
    whole, queries = _median(client, "/api/v1/compliance/", {}, 3)
    one, _ = _median(client, "/api/v1/compliance/", {"agency": largest.slug}, 3)
    return {
        f"compliance, whole partnership: s (target < {TARGETS['compliance']})": f"{whole:.3f}",
        "compliance, whole partnership: queries": queries,
        f"compliance, {largest.slug}: s": f"{one:.3f}",
    }


def _posts(client, count):
    from training.models import Module
    from workforce.models import StaffMember

    module = Module.objects.filter(active=True).order_by("code").first()
    day = "2026-01-05"
    # People without this completion yet, so a second run against the same database posts new ones.
    people = list(
        StaffMember.objects.filter(left_on__isnull=True)
        .exclude(completions__module=module, completions__completed_on=day)
        .select_related("agency")
        .order_by("id")[:count]
    )
    bodies = [
        {
            "agency": person.agency.slug,
            "staff_number": person.staff_number,
            "module": module.code,
            "completed_on": day,
        }
        for person in people
    ]
    figures = {}
    for label, expected, headers in (
        ("new", 201, lambda n: {}),
        ("duplicates", 200, lambda n: {}),
    ):
        started = time.perf_counter()
        for number, body in enumerate(bodies):
            response = client.post("/api/v1/completions/", body, format="json", headers=headers(number))
            assert response.status_code == expected, (label, response.status_code, response.content[:300])
        rate = len(bodies) / (time.perf_counter() - started)
        figures[f"POST completions, {label}: per second (target > {TARGETS['posts per second']})"] = (
            f"{rate:.1f}"
        )
    # An Idempotency-Key: the first POST answers and is stored; retries replay it.
    body = {**bodies[0], "completed_on": "2026-01-06"}
    key = {"Idempotency-Key": f"bench-{time.time()}"}
    client.post("/api/v1/completions/", body, format="json", headers=key)
    started = time.perf_counter()
    for _ in range(len(bodies)):
        client.post("/api/v1/completions/", body, format="json", headers=key)
    figures["POST completions, replayed Idempotency-Key: per second"] = (
        f"{len(bodies) / (time.perf_counter() - started):.1f}"
    )
    return figures


if __name__ == "__main__":
    main()
