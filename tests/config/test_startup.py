"""What keeps start-up cheap (issue 18: every command and worker under 1 s of CPU,
benchmarks/startup.py): the tracker's commands and the worker skip Django's system checks, and
the admin's modules load with the URLs."""

import importlib
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parents[2]
OURS = {app.split(".")[0] for app in settings.INSTALLED_APPS if (ROOT / app.split(".")[0]).is_dir()}


def test_every_tracker_command_skips_the_system_checks():
    commands = {name: app for name, app in get_commands().items() if app in OURS}
    assert {"import_staff", "send_reminders", "compliance_report", "audit_purge"} <= set(commands)
    for name, app in commands.items():
        command = importlib.import_module(f"{app}.management.commands.{name}").Command
        assert command.requires_system_checks == [], name


def test_the_worker_skips_the_checks_and_start_up_loads_no_admin_view_or_notify_client():
    env = {key: value for key, value in os.environ.items() if key != "CELERY_SKIP_CHECKS"}
    heavy = ("import_export.admin", "api.urls", "notifications_python_client")
    code = (
        "import os, sys, django, config.celery_app; django.setup(); "
        f"print(os.environ['CELERY_SKIP_CHECKS'], *(name in sys.modules for name in {heavy!r}))"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["1", "False", "False", "False"]
