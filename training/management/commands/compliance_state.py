"""compliance_state --check [--repair] | --roll | --rebuild

The maintained compliance state (training.state): the status of every pair kept in the database.

--check compares the table and its counts with a full run of the pure rules for the state's day and
prints each pair and each count that differs (at most --show of each) and how many; exit 1 when any
differ, 0 when none. With --repair the people of those pairs are refreshed (and, when counts differ,
the people counted under a group no longer theirs, then every pair counted afresh), checked again,
and the exit is 0 when the state then agrees. --roll moves the state to today (what the nightly task
does; the first roll builds it); --rebuild recomputes every pair for today. Exit 2 for bad arguments.
"""

from django.core.management.base import CommandError
from django.utils import timezone

from training.selectors.state import all_differences, state_day
from training.state import pair_states_rebuild, pair_states_repair, pair_states_roll
from workforce.commands import TrackerCommand

DIFFERENT = 1


class Command(TrackerCommand):
    help = "Check, repair, roll or rebuild the maintained compliance state."

    def add_arguments(self, parser):
        actions = parser.add_mutually_exclusive_group(required=True)
        actions.add_argument("--check", action="store_true", help="Compare the state with the rules.")
        actions.add_argument("--roll", action="store_true", help="Move the state to today.")
        actions.add_argument("--rebuild", action="store_true", help="Recompute every pair for today.")
        parser.add_argument("--repair", action="store_true", help="With --check: fix what differs.")
        parser.add_argument("--show", type=int, default=20, help="Differences to print (default 20).")

    def handle(self, *args, **options):
        if options["repair"] and not options["check"]:
            raise CommandError("--repair goes with --check.", returncode=2)
        today = timezone.localdate()
        if options["roll"]:
            written = pair_states_roll(today=today)
            self.stdout.write(f"Rolled the compliance state to {today:%d/%m/%Y}: {written} pairs refreshed.")
            return
        if options["rebuild"]:
            written = pair_states_rebuild(today=today)
            self.stdout.write(f"Rebuilt the compliance state for {today:%d/%m/%Y}: {written} pairs.")
            return
        self._check(repair=options["repair"], show=options["show"])

    def _check(self, *, repair, show):
        day = state_day()
        if day is None:
            raise CommandError(
                "There is no compliance state yet: run compliance_state --roll to build it.",
                returncode=DIFFERENT,
            )
        # Not from the read replica: a replica a little behind would show differences that are not.
        differences, counts = all_differences(on=day)
        self._print(differences, counts, day=day, show=show)
        if not differences and not counts:
            return
        if not repair:
            raise CommandError(
                f"{_what(differences, counts)} differ: run with --repair to fix them.", returncode=DIFFERENT
            )
        pair_states_repair(differences=differences, counts=bool(counts))
        left, left_counts = all_differences(on=day)
        if left or left_counts:
            self._print(left, left_counts, day=day, show=show)
            raise CommandError(
                f"{_what(left, left_counts)} still differ after the repair.", returncode=DIFFERENT
            )
        self.stdout.write(f"Repaired {_what(differences, counts)}: the state now agrees with the rules.")

    def _print(self, differences, counts, *, day, show):
        if not differences and not counts:
            self.stdout.write(f"The compliance state for {day:%d/%m/%Y} agrees with the rules.")
            return
        if differences:
            self.stdout.write(f"{len(differences)} pairs differ from the rules on {day:%d/%m/%Y}:")
            for difference in differences[:show]:
                self.stdout.write(
                    f"  staff {difference.staff_id}, module {difference.module_id}: "
                    f"rules {_describe(difference.expected)}, state {_describe(difference.found)}"
                )
            if len(differences) > show:
                self.stdout.write(f"  ... and {len(differences) - show} more.")
        if counts:
            self.stdout.write(f"{len(counts)} counts differ from the rules' pairs on {day:%d/%m/%Y}:")
            for count in counts[:show]:
                agency, team, job_role, module, bits = count.key
                group = f"agency {agency}, team {team or 'none'}, job role {job_role}"
                what = f"module {module}, status bits {bits}" if module else f"people with status bits {bits}"
                self.stdout.write(f"  {group}, {what}: rules {count.expected}, state {count.found}")
            if len(counts) > show:
                self.stdout.write(f"  ... and {len(counts) - show} more.")


def _what(differences, counts):
    parts = [f"{len(differences)} pairs" if differences else "", f"{len(counts)} counts" if counts else ""]
    return " and ".join(part for part in parts if part)


def _describe(row):
    if row is None:
        return "no pair"
    key = row.key_date.isoformat() if row.key_date else "none"
    changes = row.changes_on.isoformat() if row.changes_on else "never"
    anchor = f", anchor {row.anchor_on.isoformat()}" if row.anchor_on else ""
    return f"{row.status.value} (key date {key}, changes {changes}{anchor})"
