"""Time the bulk actions on a list of people (issue 13): the confirmation page and the action
itself on the whole partnership's list.

    .venv/bin/python benchmarks/bulk_actions.py [--staff 10000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tracker_bulk_bench \\
        .venv/bin/python benchmarks/bulk_actions.py

A fresh database (benchmarks/_harness.py) is seeded with `seed_demo --staff N`; then, in this
process through Django's test client as the demo lead (the whole request: scoping, the list's
filters, the compliance engine, the writes):

- the confirmation page of "Send a reminder now" for everyone in the people list (every person
  with a requirement): seconds and queries;
- the reminders sent now for all of them (one outbox item each, their messages opened): seconds
  and queries; then the same request again (nothing more queued): seconds;
- "Record an exemption" and "Add an assignment" for one agency's whole staff list (each row
  through its service, with history): seconds and rows a second.

The issue sets no speed target of its own; the figure to watch is that the confirmation page and
the reminder request read a fixed number of times whatever the people (tests pin it too).
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _harness import database_label, fresh_database, manage, report  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--staff", type=int, default=10_000, help="Demo staff to seed (default 10,000).")
    options = parser.parse_args()
    with fresh_database() as env:
        started = time.perf_counter()
        manage(env, "seed_demo", "--staff", str(options.staff), "--seed", "13")
        print(f"seeded {options.staff:,} staff in {time.perf_counter() - started:.1f} s")
        measure(env, options)


def _post(client, data):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.post("/people/act/", data)
        seconds = time.perf_counter() - started
    assert response.status_code in (200, 302), (response.status_code, response.content[:300])
    return response, seconds, len(queries)


def measure(env, options):
    os.environ.update(env)
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()
    from django.test.utils import setup_test_environment

    setup_test_environment()  # lets the test client in (ALLOWED_HOSTS)
    from django.conf import settings
    from django.test.utils import override_settings

    # DJANGO_DEBUG=false selects the hashed-manifest static storage, which needs collectstatic;
    # the pages' static URLs are not what is measured, so plain storage stands in.
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages):
        _measure(env, options)


def _measure(env, options):
    from django.contrib.auth import get_user_model
    from django.db.models import Count
    from django.test import Client

    from notifications.models import ReminderItem
    from training.models import Assignment, Exemption, Module
    from workforce.models import Agency

    client = Client()
    client.force_login(get_user_model().objects.get(username="lead"))
    figures = {"database": database_label(env)}

    everyone = {"action": "remind", "list": "people", "filters": "", "scope": "all"}
    response, seconds, queries = _post(client, everyone)
    people = len(response.context["people"])
    figures[f"remind now, confirmation page for {people:,} people: s"] = f"{seconds:.2f}"
    figures["remind now, confirmation page: queries"] = queries
    ids = response.context["ids"]
    _response, seconds, queries = _post(client, {**everyone, "confirm": "yes", "people": ids})
    figures[f"remind now, {ReminderItem.objects.filter(kind='reminder_now').count():,} queued: s"] = (
        f"{seconds:.2f}"
    )
    figures["remind now, request: queries"] = queries
    _response, seconds, _queries = _post(client, {**everyone, "confirm": "yes", "people": ids})
    figures["remind now, the same request again (nothing queued): s"] = f"{seconds:.2f}"

    agency = Agency.objects.annotate(people=Count("staff")).order_by("-people").first()
    listed = {"list": "agency", "agency": agency.slug, "filters": "", "scope": "all"}
    module = Module.objects.filter(active=True).order_by("-code").first()
    for action, extra, model in (
        (
            "exempt",
            {"reason": "not_applicable", "details": "", "starts_on": "1/1/2026", "ends_on": ""},
            Exemption,
        ),
        ("assign", {"due_on": "31/12/2027", "reason": "benchmark"}, Assignment),
    ):
        response, _seconds, _queries = _post(client, {**listed, "action": action})
        before = model.objects.count()
        data = {**listed, "action": action, "confirm": "yes", "people": response.context["ids"]}
        _response, seconds, _queries = _post(client, {**data, "module": module.pk, **extra})
        written = model.objects.count() - before
        figures[f"{action}, {written:,} people of {agency.slug}: s"] = f"{seconds:.2f}"
        figures[f"{action}: rows a second"] = f"{written / seconds:.0f}"
    report(f"Bulk actions, {options.staff:,} staff", figures)


if __name__ == "__main__":
    main()
