"""whatif --module CODE [--validity-months N|never] [--renewal-window-days N] [--require ROLE]
       [--unrequire ROLE] [--due-within-days N] [--on YYYY-MM-DD] --json

The effect of a change to a module before it is made: pairs by status before and after, how many
change, by agency, 90 days on, and the reminders the next planner run would send (PRODUCT.md
section 8). Writes nothing. Exit 0 done, 2 bad arguments.
"""

import json

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.utils import timezone

from training.management.commands.compliance_report import BAD_ARGUMENTS, parse_iso_date
from training.models import Module
from workforce.commands import TrackerCommand
from workforce.models import JobRole

from ...whatif import Change, whatif


def _whole(value, option):
    text = str(value).strip()
    if not text.isdigit():
        raise CommandError(
            f"{option} must be a whole number of 0 or more (got {value!r}).", returncode=BAD_ARGUMENTS
        )
    return int(text)


class Command(TrackerCommand):
    help = "Preview the effect of a change to a module's rules or requirements; writes nothing."

    def add_arguments(self, parser):
        parser.add_argument(
            "--module", required=True, metavar="CODE", help="The module to change, e.g. HSB-101."
        )
        parser.add_argument(
            "--validity-months", metavar="N|never", help="New validity in months, or 'never'."
        )
        parser.add_argument("--renewal-window-days", metavar="N", help="New renewal window in days.")
        parser.add_argument(
            "--due-within-days", metavar="N", help="New due-within period of its requirements."
        )
        parser.add_argument(
            "--require", action="append", default=[], metavar="ROLE", help="A job role to require it."
        )
        parser.add_argument(
            "--unrequire",
            action="append",
            default=[],
            metavar="ROLE",
            help="A job role that no longer needs it.",
        )
        parser.add_argument("--on", metavar="YYYY-MM-DD", help="The date to measure on. Default: today.")
        parser.add_argument("--json", action="store_true", help="Print one JSON object (the only output).")

    def handle(self, *args, **options):
        on = parse_iso_date(options["on"], option="--on") if options["on"] else timezone.localdate()
        module = Module.objects.filter(code__iexact=options["module"].strip()).first()
        if module is None:
            known = ", ".join(Module.objects.order_by("code").values_list("code", flat=True)) or "none yet"
            raise CommandError(
                f"There is no module with the code {options['module']!r}. Known modules: {known}.",
                returncode=BAD_ARGUMENTS,
            )
        change = Change(module=module)
        if options["validity_months"] is not None:
            raw = options["validity_months"].strip().lower()
            change.validity_months = None if raw == "never" else _whole(raw, "--validity-months")
        if options["renewal_window_days"] is not None:
            change.renewal_window_days = _whole(options["renewal_window_days"], "--renewal-window-days")
        if options["due_within_days"] is not None:
            change.due_within_days = _whole(options["due_within_days"], "--due-within-days")
        change.require = [self._role(name, "--require") for name in options["require"]]
        change.unrequire = [self._role(name, "--unrequire") for name in options["unrequire"]]
        if change.empty:
            raise CommandError(
                "Say what would change: --validity-months, --renewal-window-days, --due-within-days, "
                "--require or --unrequire.",
                returncode=BAD_ARGUMENTS,
            )
        try:
            result = whatif(change, on=on)
        except ValidationError as error:
            raise CommandError(
                f"That change cannot be made: {'; '.join(error.messages)}", returncode=BAD_ARGUMENTS
            ) from None
        self.stdout.write(json.dumps(result) if options["json"] else json.dumps(result, indent=2))

    def _role(self, name, option):
        role = JobRole.objects.filter(name__iexact=name.strip()).first()
        if role is None:
            raise CommandError(f"{option}: there is no job role called {name!r}.", returncode=BAD_ARGUMENTS)
        return role
