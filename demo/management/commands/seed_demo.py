"""seed_demo: the default catalogue, the eight demo agencies, demo users and fictional staff.

Safe to run again: what exists is left as it is, and staff are only made while the demo agencies
have none. The JSON gives the totals in the database after the run, so a second run reports the
same figures as the first.
"""

import datetime
import json
import re

from django.core.management.base import CommandError
from django.utils import timezone

from demo.sessions import seed_sessions_demo
from demo.staff import (
    DEFAULT_SEED,
    DEFAULT_STAFF,
    database_totals,
    default_in_force_from,
    demo_logins_file,
    demo_seed,
)
from demo.strategy import seed_strategy_demo
from training.snapshots import compliance_snapshot_backfill
from training.state import pair_states_rebuild
from workforce.commands import TrackerCommand
from workforce.database import analyze_all

BAD_ARGUMENTS = 2


class Command(TrackerCommand):
    help = (
        "Create the default catalogue, the eight Northshire demo agencies, demo logins and N fictional "
        "staff with training histories. Running it again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--staff",
            default=str(DEFAULT_STAFF),
            help=f"How many fictional staff to create (default {DEFAULT_STAFF}; 0 for none).",
        )
        parser.add_argument(
            "--seed",
            default=str(DEFAULT_SEED),
            help="Random seed: the same seed on the same day gives the same people.",
        )
        parser.add_argument(
            "--in-force-from",
            dest="in_force_from",
            metavar="YYYY-MM-DD",
            help="Date new requirements come into force (default: today with --staff 0, otherwise "
            "three years ago).",
        )
        parser.add_argument("--json", action="store_true", help="Print one JSON object with the totals.")

    def handle(self, *args, **options):
        as_json = options["json"]
        staff = _whole_number(options["staff"], "--staff")
        seed = _whole_number(options["seed"], "--seed")
        today = timezone.localdate()
        if options["in_force_from"]:
            in_force_from = _iso_date(options["in_force_from"])
        else:
            in_force_from = default_in_force_from(staff=staff, today=today)

        out = self.stderr if as_json else self.stdout

        def say(message):
            # Plain text even on standard error, where Django would colour it as an error.
            out.write(message, style_func=str)

        started = timezone.now()
        result = demo_seed(staff=staff, seed=seed, in_force_from=in_force_from, today=today)
        # Every table was just filled: the reads below (and the first home page) need fresh
        # planner statistics where autovacuum has not run yet (workforce.database).
        analyze_all()
        elapsed = (timezone.now() - started).total_seconds()

        self._report(say, result, in_force_from, elapsed)
        say(result.logins.rstrip("\n"))
        if demo_logins_file().exists():
            say(f"(Saved in {demo_logins_file()}, readable only by you.)")
        if staff:
            # The workforce strategy demo: the default checklist, a lead and sponsor,
            # a completed baseline and second round, an action plan. Once only: a second run finds
            # the rounds and actions there and changes nothing. (--staff 0 makes only the catalogue.)
            made = seed_strategy_demo(today=today)
            say(
                f"Workforce strategy: added {made['rounds']} assessment rounds and {made['actions']} actions."
                if made["rounds"] or made["actions"]
                else "Workforce strategy: already in place."
            )
            # Training sessions: past ones with registers, upcoming ones with bookings and a
            # waiting list, one cancelled. Once only, like the strategy.
            sessions = seed_sessions_demo(today=today)
            say(
                f"Training sessions: added {sessions['sessions']} sessions, {sessions['bookings']} bookings, "
                f"{sessions['feedback']} evaluations."
                if sessions["sessions"]
                else "Training sessions: already in place."
            )
        if staff:
            # A year of compliance snapshots for the dashboard's trend (taken dates are skipped),
            # once the sessions' registers have recorded their completions: today's bar is then
            # the dashboard's own figure.
            compliance_snapshot_backfill(months=12, today=today)
            # The demo's people were written in bulk, beside the services: the maintained
            # compliance state is built from them once, so the first dashboard reads it.
            pair_states_rebuild(today=today)
        if as_json:
            self.stdout.write(json.dumps(database_totals()))

    def _report(self, say, result, in_force_from, elapsed):
        catalogue = result.catalogue_created
        if catalogue.job_roles or catalogue.modules or catalogue.requirements:
            say(
                f"Catalogue: added {catalogue.job_roles} job roles, {catalogue.modules} modules and "
                f"{catalogue.requirements} requirements in force from {_uk_date(in_force_from)}."
            )
        else:
            say("Catalogue: already in place, left as it is.")
        say(
            f"Agencies: added {result.agencies_created}."
            if result.agencies_created
            else "Agencies: already in place."
        )
        if result.staff_skipped_reason:
            say(result.staff_skipped_reason)
        elif result.staff_created:
            say(
                f"Staff: added {result.staff_created:,} people and {result.completions_created:,} "
                f"completions in {elapsed:.1f} seconds."
            )


def _whole_number(value, option):
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = -1
    if number < 0:
        raise CommandError(
            f"{option} must be a whole number of 0 or more, not {value!r}.", returncode=BAD_ARGUMENTS
        )
    return number


def _uk_date(day):
    return f"{day.day} {day:%B %Y}"


def _iso_date(value):
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
            raise ValueError(value)
        return datetime.date.fromisoformat(value.strip())
    except ValueError:
        raise CommandError(
            f"--in-force-from must be a real date written YYYY-MM-DD, for example 2026-03-04, not {value!r}.",
            returncode=BAD_ARGUMENTS,
        ) from None
