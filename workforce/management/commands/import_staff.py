"""import_staff PATH --agency SLUG [--dry-run] [--complete-list] [--confirm-mass-leavers] [--json]

Check an agency's staff list (CSV, XLSX or ODS) and apply it in one transaction, exactly as the
upload page does; the import is kept as an import record with no user. With --json, one JSON object
on standard output: {"committed", "rows", "new", "updated", "unchanged", "leavers", "errors"}.
Exit 0 done (a dry run included), 1 the file was refused (nothing written; the reasons are in
"errors"), 2 the command could not run (bad arguments, unreadable file, unknown agency).
"""

import sys

from django.core.management.base import BaseCommand

from workforce.imports import ImportRefused
from workforce.management.import_cli import agency_from_slug, read_upload, report
from workforce.models import ImportRecord
from workforce.staff_import import (
    StaffImportPreview,
    staff_import_commit,
    staff_import_create,
    staff_import_validate,
)


class Command(BaseCommand):
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
        upload = read_upload(options["path"])
        record = staff_import_create(
            actor=None,
            agency=agency,
            upload=upload,
            file_name=options["path"],
            complete_list=options["complete_list"],
            run_in_background=False,
        )
        preview = self._run(record, options)
        status = report(
            self,
            preview,
            as_json=options["json"],
            committed_word=f"Applied to {agency.name} (import #{record.pk}).",
            dry_run=options["dry_run"],
        )
        if status:
            sys.exit(status)

    def _run(self, record, options):
        if record.status == ImportRecord.Status.INVALID:
            return StaffImportPreview.from_record(record)
        preview = staff_import_validate(import_record=record)
        if not preview.ok:
            return preview
        confirm = options["confirm_mass_leavers"]
        if options["dry_run"]:
            if preview.needs_mass_leaver_confirmation and not confirm:
                preview.errors = [_mass_leavers(preview)]
            return preview
        try:
            return staff_import_commit(import_record=record, actor=None, confirm_mass_leavers=confirm)
        except ImportRefused as exc:
            preview.errors = exc.errors
            return preview


def _mass_leavers(preview):
    message = preview.mass_leaver_message().replace(
        "Confirm that this is right to go ahead.", "Add --confirm-mass-leavers if that is right."
    )
    return {"row": None, "column": None, "value": None, "message": message}
