"""import_staff PATH --agency SLUG [--dry-run] [--complete-list] [--confirm-mass-leavers] [--json]

Check an agency's staff list (CSV, XLSX or ODS) and apply it in one transaction, exactly as the
upload page does; the import is kept as an import record with no user. With --json, one JSON object
on standard output: {"committed", "rows", "new", "updated", "unchanged", "leavers", "errors"}.
Exit 0 done (a dry run included), 1 the file was refused (nothing written; the reasons are in
"errors"), 2 the command could not run (bad arguments, unreadable file, unknown agency).
"""

import sys

from imports.management.cli import agency_from_slug, report, run_import
from imports.models import ImportRecord
from workforce.commands import TrackerCommand


class Command(TrackerCommand):
    help = "Check and apply an agency's staff-list spreadsheet (CSV, XLSX or ODS)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="The spreadsheet to import.")
        parser.add_argument("--agency", required=True, metavar="SLUG", help="The agency, by its slug.")
        parser.add_argument("--dry-run", action="store_true", help="Check and report; change nothing.")
        parser.add_argument(
            "--complete-list",
            action="store_true",
            help="The file is the agency's complete staff list: current staff missing from it become "
            "leavers dated today.",
        )
        parser.add_argument(
            "--confirm-mass-leavers",
            action="store_true",
            help="Go ahead even if more than 10%% of the agency's current staff would become leavers.",
        )
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args, **options):
        agency = agency_from_slug(options["agency"])
        record, preview = run_import(
            kind=ImportRecord.Kind.STAFF,
            path=options["path"],
            dry_run=options["dry_run"],
            agency=agency,
            complete_list=options["complete_list"],
            confirmation={"confirm_mass_leavers": options["confirm_mass_leavers"]},
            dry_run_refusal=_mass_leavers,
        )
        status = report(
            self,
            preview,
            as_json=options["json"],
            committed_word=f"Applied to {agency.name} (import #{record.pk}).",
            dry_run=options["dry_run"],
        )
        if status:
            sys.exit(status)


def _mass_leavers(preview):
    return preview.mass_leaver_message().replace(
        "Confirm that this is right to go ahead.", "Add --confirm-mass-leavers if that is right."
    )
