"""import_completions PATH [--dry-run] [--json]

Check a training provider's completion file (CSV, XLSX or ODS) and record its completions in one
transaction, exactly as the upload page does; kept as an import record with no user. With --json,
one JSON object on standard output: {"committed", "rows", "new", "duplicates", "errors"}. Exit 0
done (a dry run included), 1 the file was refused (nothing written; the reasons are in "errors"),
2 the command could not run (bad arguments, unreadable file).
"""

import sys

from imports.management.cli import report, run_import
from imports.models import ImportRecord
from workforce.commands import TrackerCommand


class Command(TrackerCommand):
    help = "Check and record a training provider's completion file (CSV, XLSX or ODS)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="The spreadsheet to import.")
        parser.add_argument("--dry-run", action="store_true", help="Check and report; change nothing.")
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args, **options):
        record, preview = run_import(
            kind=ImportRecord.Kind.COMPLETIONS, path=options["path"], dry_run=options["dry_run"]
        )
        status = report(
            self,
            preview,
            as_json=options["json"],
            committed_word=f"Recorded (import #{record.pk}).",
            dry_run=options["dry_run"],
        )
        if status:
            sys.exit(status)
