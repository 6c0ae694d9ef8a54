"""export_staff --agency SLUG --format csv|xlsx --output PATH

Write an agency's current staff (and future starters) in the staff-list template's columns.
Uploading the file again changes nothing; cells a spreadsheet would run as formulas are written
as plain text. Exit 0 done, 2 the command could not run (bad arguments, unknown agency, the output
cannot be written).
"""

import pathlib

from django.core.management.base import CommandError

from imports.kinds.staff import staff_list_export
from imports.management.cli import COULD_NOT_RUN, agency_from_slug
from workforce.commands import TrackerCommand


class Command(TrackerCommand):
    help = "Write an agency's staff list in the upload template's columns (CSV or XLSX)."

    def add_arguments(self, parser):
        parser.add_argument("--agency", required=True, metavar="SLUG", help="The agency, by its slug.")
        parser.add_argument("--format", required=True, choices=["csv", "xlsx"], dest="file_format")
        parser.add_argument("--output", required=True, metavar="PATH", help="The file to write.")

    def handle(self, *args, **options):
        agency = agency_from_slug(options["agency"])
        data = staff_list_export(agency=agency, file_format=options["file_format"])
        target = pathlib.Path(options["output"])
        try:
            target.write_bytes(data)
        except OSError as exc:
            raise CommandError(
                f"Cannot write {target}: {exc.strerror or exc}.", returncode=COULD_NOT_RUN
            ) from None
        self.stderr.write(f"Wrote the staff list of {agency.name} to {target}.")
