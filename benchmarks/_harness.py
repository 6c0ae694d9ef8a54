"""What every benchmark needs: a fresh, migrated database, a timed management command, a report.

The database is PostgreSQL when DATABASE_URL is set (the database it names is dropped and created
again, so its name must contain "bench"), otherwise a SQLite file in a temporary directory.
Commands run in a child process with that environment, exactly as a user would run them.
"""

import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


@contextlib.contextmanager
def fresh_database():
    """Yield the environment (a dict) for commands that should use a new, migrated database (with
    its cache table)."""
    with tempfile.TemporaryDirectory(prefix="tracker-bench-") as scratch:
        env = dict(os.environ)
        env["DEMO_LOGINS_FILE"] = str(Path(scratch) / "demo-logins.txt")
        env["MEDIA_ROOT"] = str(Path(scratch) / "media")
        url = env.get("DATABASE_URL", "")
        if url.startswith(("postgres://", "postgresql://")):
            _recreate_postgres_database(url)
        else:
            env["DATABASE_URL"] = f"sqlite:///{Path(scratch) / 'bench.sqlite3'}"
        manage(env, "migrate", "--no-input", "-v", "0")
        # As `make run` does. With REDIS_URL empty, as a benchmark may start its worker, the cache is
        # this table; createcachetable only creates the tables of the caches configured.
        manage({**env, "REDIS_URL": ""}, "createcachetable")
        yield env


def _recreate_postgres_database(url):
    import psycopg

    parts = urlsplit(url)
    name = unquote(parts.path.lstrip("/"))
    if "bench" not in name:
        sys.exit(
            f"Refusing to drop the database {name!r}: point DATABASE_URL at a database whose name "
            "contains 'bench', for example postgres://postgres@127.0.0.1:5432/tracker_bench"
        )
    admin = psycopg.connect(
        host=parts.hostname or "",
        port=parts.port or 5432,
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        dbname="postgres",
        autocommit=True,
    )
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


def manage(env, *args):
    """Run `manage.py *args`; stop the benchmark with the command's own output if it fails."""
    result = subprocess.run(  # noqa: S603 (our own interpreter and manage.py)
        [PYTHON, str(ROOT / "manage.py"), *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        sys.exit(f"manage.py {' '.join(args)} failed with exit status {result.returncode}")
    return result


def timed_json(env, *args):
    """Run a command that takes --json; return (wall seconds, CPU seconds, parsed JSON).

    CPU seconds (the command's own, user and system) vary far less than wall time on a busy
    machine, so both are reported. Neither counts the database server's work.
    """
    cpu_before = _children_cpu()
    started = time.perf_counter()
    result = manage(env, *args, "--json")
    wall = time.perf_counter() - started
    return wall, _children_cpu() - cpu_before, json.loads(result.stdout)


def _children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def database_label(env):
    url = env["DATABASE_URL"]
    return "PostgreSQL" if url.startswith("postgres") else "SQLite"


def report(title, figures):
    """Print figures as aligned "name: value" lines (and nothing else, so output is easy to diff)."""
    width = max(len(name) for name in figures)
    print(title)
    for name, value in figures.items():
        shown = (
            f"{value:,.1f}"
            if isinstance(value, float)
            else (f"{value:,}" if isinstance(value, int) else value)
        )
        print(f"  {name.ljust(width)}  {shown}")
