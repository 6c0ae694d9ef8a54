"""export_compliance [--agency SLUG] [--list] [--on YYYY-MM-DD] --format csv|xlsx --output PATH

Write the compliance matrix (a row per current staff member, a status and a date per active module:
the due date while never completed, the expiry once completed, the end of an exemption) for the
whole partnership or one agency. With --list, the person-level list instead (a row per person and
required module). Cells a spreadsheet would run as formulas are written as plain text.
Exit 0 done, 2 the command could not run (bad arguments, unknown agency, the output cannot be
written); messages go to standard error.
"""

import pathlib

from django.core.management.base import CommandError
from django.utils import timezone

from training import exports
from training.management.commands.compliance_report import BAD_ARGUMENTS, parse_iso_date
from training.selectors.compliance import ComplianceFilters
from workforce.commands import TrackerCommand
from workforce.models import Agency


class Command(TrackerCommand):
    help = "Write the compliance matrix (or, with --list, the person-level list) as CSV or XLSX."

    def add_arguments(self, parser):
        parser.add_argument("--agency", metavar="SLUG", help="One agency only, by its slug. Default: all.")
        parser.add_argument("--format", required=True, choices=exports.FORMATS, dest="file_format")
        parser.add_argument("--output", required=True, metavar="PATH", help="The file to write.")
        parser.add_argument(
            "--list",
            action="store_true",
            help="Write the person-level list (a row per person and module) instead of the matrix.",
        )
        parser.add_argument("--on", metavar="YYYY-MM-DD", help="The date to report on. Default: today.")

    def handle(self, *args, **options):
        on = parse_iso_date(options["on"], option="--on") if options["on"] else timezone.localdate()
        agency = _agency(options["agency"])
        target = pathlib.Path(options["output"])
        _check_writable(target)
        kind = exports.LIST if options["list"] else exports.MATRIX
        table = exports.compliance_table(
            kind=kind, staff=None, on=on, filters=ComplianceFilters(agency=agency)
        )
        try:
            if options["file_format"] == "csv":
                with target.open("wb") as output:
                    for chunk in exports.export_csv(table):
                        output.write(chunk)
            else:
                exports.export_xlsx(table, kind=kind, target=target)
        except OSError as exc:
            raise CommandError(
                f"Cannot write {target}: {exc.strerror or exc}.", returncode=BAD_ARGUMENTS
            ) from None
        scope = agency.name if agency is not None else "the whole partnership"
        self.stderr.write(f"Wrote the {exports.KINDS[kind]} of {scope} on {on:%d/%m/%Y} to {target}.")


def _agency(slug):
    if slug is None:
        return None
    agency = Agency.objects.filter(slug=slug.strip()).first()
    if agency is None:
        known = ", ".join(Agency.objects.order_by("slug").values_list("slug", flat=True)) or "none yet"
        raise CommandError(
            f"There is no agency with the slug {slug!r}. Known agencies: {known}.", returncode=BAD_ARGUMENTS
        )
    return agency


def _check_writable(target):
    """Refuse before any work: a missing folder or a folder given as the file is a bad argument."""
    if target.is_dir():
        raise CommandError(f"{target} is a folder: give a file name to write.", returncode=BAD_ARGUMENTS)
    if not target.parent.is_dir():
        raise CommandError(
            f"Cannot write {target}: the folder {target.parent} does not exist.", returncode=BAD_ARGUMENTS
        )
