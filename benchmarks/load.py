"""A bounded load test: concurrent clients on the dashboard and the people lists, through gunicorn.

    .venv/bin/python benchmarks/load.py --database-url postgres://postgres@127.0.0.1:5432/tracker_scale_bench
    .venv/bin/python benchmarks/load.py --database-url URL --requests 400 --clients 20 --workers 4

Against an existing, seeded database (seed it with `benchmarks/scale.py` or `seed_demo --staff N`;
nothing is written to it but a session and the page views' audit-free reads). The script:

1. starts gunicorn with --workers worker processes (default 4, sync workers, `--timeout 60` as
   docker-compose.yml runs it) on a free port of 127.0.0.1, with DEBUG off;
2. signs in as the partnership lead by creating a session (marked as past the second factor, as
   allauth marks it) and sends its cookie with every request;
3. sends --requests requests (default 400) from --clients threads at once (default 20), each
   over its own HTTP connection to 127.0.0.1 only, taking the next URL in turn from: the
   dashboard, the people behind a count (overdue), the largest agency's staff list and a search;
4. prints p50, p95 and the longest response time per page and overall, and every error (a status
   other than 200, or no answer), then stops gunicorn.

The target at 250,000 staff with 4 workers and 20 clients: p95 under 2 s, no errors. It exits
with status 1 when a request fails. On a 2-core machine the clients, gunicorn and PostgreSQL share
the cores, so the figures are a floor for a real server, not a forecast.
"""

import argparse
import http.client
import os
import queue
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# DEBUG off selects the hashed-manifest static storage, which needs collectstatic; the pages'
# static URLs are not what is measured, so plain storage stands in (a settings module in a
# temporary folder, so nothing is written into the project).
SETTINGS = """
import warnings

from config.settings.local import *  # noqa: F403

warnings.filterwarnings("ignore", message="No directory at")  # STATIC_ROOT: nothing is collected

DEBUG = False
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"), help="A seeded database.")
    parser.add_argument("--requests", type=int, default=400, help="Requests in all (default 400).")
    parser.add_argument("--clients", type=int, default=20, help="Concurrent clients (default 20).")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes (default 4).")
    options = parser.parse_args()
    if not options.database_url:
        sys.exit("Give --database-url (or DATABASE_URL): a database seeded with seed_demo.")

    with tempfile.TemporaryDirectory(prefix="tracker-load-") as scratch:
        Path(scratch, "load_settings.py").write_text(SETTINGS)
        env = {
            **os.environ,
            "DATABASE_URL": options.database_url,
            "DJANGO_SETTINGS_MODULE": "load_settings",
            "PYTHONPATH": os.pathsep.join([scratch, str(ROOT)]),
            "DJANGO_DEBUG": "false",
        }
        os.environ.update(env)
        sys.path.insert(0, scratch)
        cookie, urls, about = _prepare()
        port = _free_port()
        server = _start_gunicorn(env, port, options.workers)
        try:
            _wait_until_up(port, server)
            results, wall = _run(port, cookie, urls, options.requests, options.clients)
        finally:
            _stop(server)
    errors = _report(results, wall, options, about)
    sys.exit(1 if errors else 0)


def _prepare():
    """A session for the lead (its cookie), and the URLs to ask for."""
    import django

    django.setup()
    from allauth.account.internal.flows import login as allauth_login
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import reverse

    setup_test_environment()  # the test Client may make the session (ALLOWED_HOSTS: testserver)
    from benchmarks.scale import page_urls

    lead = get_user_model().objects.filter(groups__name="Partnership lead").order_by("pk").first()
    if lead is None:
        sys.exit("No partnership lead in this database: seed it with seed_demo first.")
    client = Client()
    client.force_login(lead)
    session = client.session
    session[allauth_login.AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "mfa", "type": "totp", "at": time.time()}
    ]
    session[allauth_login._AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(lead.pk)
    session.save()
    pages, largest = page_urls()
    urls = {
        "dashboard": pages["dashboard"],
        "people behind a count, overdue": pages["people behind a count, overdue"],
        "largest agency's staff list": pages["agency page"],
        "search 'smith'": reverse("search") + "?q=smith",
    }
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}", urls, largest


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_gunicorn(env, port, workers):
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "config.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--timeout",
        "60",
        "--log-level",
        "warning",
    ]
    return subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)  # noqa: S603


def _wait_until_up(port, server, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn stopped with status {server.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/accounts/login/")
            connection.getresponse().read()
            return
        except OSError:
            time.sleep(0.3)
    sys.exit("gunicorn did not answer within a minute")


def _stop(server):
    """Stop gunicorn (its own process group, started above) and wait for it."""
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def _run(port, cookie, urls, total, clients):
    work = queue.Queue()
    names = list(urls)
    for index in range(total):
        name = names[index % len(names)]
        work.put((name, urls[name]))
    results, lock = [], threading.Lock()

    def client():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        while True:
            try:
                name, url = work.get_nowait()
            except queue.Empty:
                break
            started = time.perf_counter()
            try:
                connection.request("GET", url, headers={"Cookie": cookie, "Host": "127.0.0.1"})
                response = connection.getresponse()
                response.read()
                outcome = response.status
            except (OSError, http.client.HTTPException) as exc:
                outcome = f"{type(exc).__name__}: {exc}"
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            with lock:
                results.append((name, time.perf_counter() - started, outcome))
        connection.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, time.perf_counter() - started


def _percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def _report(results, wall, options, about):
    print(
        f"Load: {len(results)} requests, {options.clients} clients, {options.workers} gunicorn workers, "
        f"{wall:.1f} s ({len(results) / wall:.1f} requests a second); largest agency: {about}"
    )
    groups = {}
    for name, seconds, outcome in results:
        groups.setdefault(name, []).append((seconds, outcome))
    groups["every request"] = [(seconds, outcome) for _, seconds, outcome in results]
    width = max(len(name) for name in groups)
    errors = []
    for name, rows in groups.items():
        times = [seconds for seconds, _ in rows]
        failed = [outcome for _, outcome in rows if outcome != 200]
        print(
            f"  {name.ljust(width)}  p50 {statistics.median(times):.2f} s"
            f"  p95 {_percentile(times, 0.95):.2f} s"
            f"  max {max(times):.2f} s  errors {len(failed)} of {len(rows)}"
        )
        if name != "every request":
            errors += [f"{name}: {outcome}" for outcome in failed]
    for error in sorted(set(errors)):
        print(f"  error: {error} (x{errors.count(error)})")
    return errors


if __name__ == "__main__":
    main()
