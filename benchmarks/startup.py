"""CPU seconds each command and a worker spend starting up (Django set-up and imports), against the
target of under 1 s of CPU each (issue 18).

    .venv/bin/python benchmarks/startup.py [--runs 5]

Each command runs --runs times in a fresh process on the embedded default database (a scratch
SQLite file, migrated); the figure is the median CPU time (user + system) of the child process,
which does not depend on how busy the machine is the way wall-clock time does. The worker's figure
is the Celery app loading every task module, as a worker does before it takes its first task.
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import report  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
TARGET_CPU_SECONDS = 1.0
COMMANDS = {
    "manage.py compliance_report --json": ["manage.py", "compliance_report", "--json"],
    "manage.py import_staff --help": ["manage.py", "import_staff", "--help"],
    "manage.py send_reminders --help": ["manage.py", "send_reminders", "--help"],
    "Celery worker: app and every task module": [
        "-c",
        "from config.celery_app import app; app.loader.import_default_modules(); app.finalize()",
    ],
}
# Printed, not held to the target: the system checks import every view, URL and the API schema on
# purpose (the tracker's commands and the worker skip them: workforce.commands, config.celery_app).
FOR_INFORMATION = {
    "manage.py check (every view and URL, by design)": ["manage.py", "check"],
}


def child_cpu(command, env):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([PYTHON, *command], cwd=ROOT, env=env, check=True, capture_output=True)  # noqa: S603
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), wall


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tracker-startup-") as scratch:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{Path(scratch) / 'startup.sqlite3'}",
            "CELERY_BROKER_URL": "filesystem://",
            "REDIS_URL": "",
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "PYTHONPATH": str(ROOT),
        }
        subprocess.run([PYTHON, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)  # noqa: S603
        figures, slow = {}, []
        for name, command in {**COMMANDS, **FOR_INFORMATION}.items():
            child_cpu(command, env)  # warm the file cache and the .pyc files
            runs = [child_cpu(command, env) for _ in range(options.runs)]
            cpu = statistics.median(run[0] for run in runs)
            figures[f"{name}: CPU seconds (median)"] = cpu
            figures[f"{name}: wall seconds (median)"] = statistics.median(run[1] for run in runs)
            if cpu > TARGET_CPU_SECONDS and name in COMMANDS:
                slow.append(name)
    report(f"Start-up, {options.runs} runs each", figures)
    if slow:
        sys.exit(f"Over {TARGET_CPU_SECONDS} s of CPU: {', '.join(slow)}")


if __name__ == "__main__":
    main()
