"""Booking throughput under concurrent clients (issue 12): bookings a second.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tracker_bookings_bench \\
        .venv/bin/python benchmarks/bookings.py [--clients 20] [--people 600]

A fresh database (benchmarks/_harness.py) gets the catalogue (`seed_demo --staff 0`) and
--people staff in a role that requires HSB-202. Then --clients threads, each with its own
database connection, book them through courses.services.booking_create (every rule of PRODUCT.md
section 9 checked, the session's row locked, the history row written, the emails queued):

- all on ONE session (the worst case: every request waits for the same row lock), with a third
  fewer places than people, so the later ones join the waiting list;
- spread over 20 sessions (requests for different sessions do not wait for each other).

It prints bookings a second for each, and checks that no session holds more than its capacity.
First it profiles one booking alone: its queries, how many of them run while the session's row
is locked (from the SELECT ... FOR UPDATE of the session to the last statement before the
commit), and that stretch's time, the median of 50 bookings.
On SQLite (no DATABASE_URL) the clients queue for the one writer, so the figure is a floor.
"""

import argparse
import datetime
import os
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _harness import database_label, fresh_database, manage, report  # noqa: E402

TARGET = 20  # bookings a second: a busy morning's bookings never queue behind each other


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20, help="Concurrent clients (default 20).")
    parser.add_argument("--people", type=int, default=600, help="People booking in each run (default 600).")
    options = parser.parse_args()
    with fresh_database() as env:
        manage(env, "seed_demo", "--staff", "0")
        measure(env, options)


def _people(count, role, agency, label):
    from workforce.models import StaffMember

    StaffMember.objects.bulk_create(
        [
            StaffMember(
                agency=agency,
                job_role=role,
                staff_number=f"{label}{n:06d}",
                first_name=f"Person{n}",
                last_name=label,
                email=f"person{n}.{label.lower()}@example.org",
                start_date=datetime.date(2020, 1, 6),
                role_since=datetime.date(2020, 1, 6),
            )
            for n in range(count)
        ]
    )
    return list(StaffMember.objects.filter(last_name=label).order_by("pk"))


def _sessions(module, count, capacity):
    from django.utils import timezone

    from courses import services

    sessions = []
    for n in range(count):
        day = timezone.localdate() + datetime.timedelta(days=20 + n)
        start = timezone.make_aware(datetime.datetime.combine(day, datetime.time(9, 30)))
        sessions.append(
            services.session_create(
                module=module,
                parts=[services.Part(start, start + datetime.timedelta(hours=7))],
                capacity=capacity,
                venue="Benchmark hall",
                delivery_mode="classroom",
            )
        )
    return sessions


def _run(pairs, clients):
    """Book each (session, person) with `clients` threads; return (seconds, errors)."""
    from django.db import connections

    from courses import services

    queue = list(pairs)
    lock = threading.Lock()
    errors = []
    barrier = threading.Barrier(clients + 1)

    def client():
        barrier.wait()
        try:
            while True:
                with lock:
                    if not queue:
                        return
                    session, person = queue.pop()
                try:
                    services.booking_create(session=session, staff=person)
                except Exception as error:  # noqa: BLE001 - counted and shown
                    errors.append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, errors


def _profile(module, role, agency, runs=50):
    """One booking at a time: (queries, queries under the session's lock, ms under the lock)."""
    import statistics

    from django.db import connection

    from courses import services

    session = _sessions(module, 1, capacity=runs + 1)[0]
    people = _people(runs, role, agency, "Profile")
    counts, locked_counts, locked_ms = [], [], []
    for person in people:
        seen = {"n": 0, "locked": 0, "lock_at": None, "last_end": None}

        def watch(execute, sql, params, many, context, seen=seen):
            start = time.perf_counter()
            if "FOR UPDATE" in sql and 'FROM "courses_trainingsession"' in sql and seen["lock_at"] is None:
                seen["lock_at"] = start
            try:
                return execute(sql, params, many, context)
            finally:
                seen["n"] += 1
                if seen["lock_at"] is not None:
                    seen["locked"] += 1
                    seen["last_end"] = time.perf_counter()

        with connection.execute_wrapper(watch):
            services.booking_create(session=session, staff=person)
        counts.append(seen["n"])
        locked_counts.append(seen["locked"])
        locked_ms.append((seen["last_end"] - seen["lock_at"]) * 1000)
    return statistics.median(counts), statistics.median(locked_counts), round(statistics.median(locked_ms), 2)


def measure(env, options):
    os.environ.update(env)
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()
    from courses.models import Booking, TrainingSession
    from training.models import Module, Requirement
    from workforce.models import Agency

    module = Module.objects.get(code="HSB-202")
    role = Requirement.objects.filter(module=module).select_related("job_role").first().job_role
    agency = Agency.objects.order_by("slug").first()
    figures = {"database": database_label(env), "clients": options.clients}
    profiled = Module.objects.get(code="HSB-203")
    Requirement.objects.get_or_create(
        job_role=role, module=profiled, defaults={"starts_on": datetime.date(2020, 1, 1)}
    )
    queries, locked, locked_ms = _profile(profiled, role, agency)
    figures["one booking: queries"] = queries
    figures["one booking: queries under the session lock"] = locked
    figures["one booking: ms under the session lock (median)"] = locked_ms

    one = _sessions(module, 1, capacity=options.people * 2 // 3)[0]
    people = _people(options.people, role, agency, "One")
    seconds, errors = _run([(one, person) for person in people], options.clients)
    one.refresh_from_db()
    figures["one session: bookings a second"] = round(options.people / seconds, 1)
    figures["one session: booked / waiting"] = f"{one.booked_count} / {one.waitlist_count}"
    figures["one session: refused"] = len(errors)

    # A new module for the spread run, so that "one live booking per module" lets everyone book.
    spread_module = Module.objects.get(code="HSB-201")
    sessions = _sessions(spread_module, 20, capacity=options.people // 20 + 1)
    people = _people(options.people, role, agency, "Spread")
    Requirement.objects.get_or_create(
        job_role=role, module=spread_module, defaults={"starts_on": datetime.date(2020, 1, 1)}
    )
    seconds, errors = _run([(sessions[n % 20], person) for n, person in enumerate(people)], options.clients)
    figures["20 sessions: bookings a second"] = round(options.people / seconds, 1)
    figures["20 sessions: refused"] = len(errors)

    over = [
        s.pk for s in TrainingSession.objects.all() if s.bookings.filter(status="booked").count() > s.capacity
    ]
    figures["sessions over capacity"] = len(over)
    figures["bookings"] = Booking.objects.count()
    figures["target (bookings a second)"] = TARGET
    report(f"Bookings, {options.clients} concurrent clients", figures)


if __name__ == "__main__":
    main()
