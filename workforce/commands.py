"""The base of the tracker's management commands.

Django runs every system check before a command, and the URL checks import every view and the API
schema: about half a second of CPU on each run of `import_staff`, `send_reminders` or
`compliance_report`, which scripts and cron jobs call often (issue 18's start-up target: under 1 s
of CPU, `benchmarks/startup.py`). The checks belong to deployment (`make check-deploy`, and
`manage.py check` whenever wanted), not to each command: so the tracker's commands skip them, as
`--skip-checks` would.
"""

from django.core.management.base import BaseCommand


class TrackerCommand(BaseCommand):
    requires_system_checks = []
