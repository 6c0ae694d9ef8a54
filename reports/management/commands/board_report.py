"""board_report [--on YYYY-MM-DD] [--agency SLUG] --output PATH

Writes the board report (PRODUCT.md section 12) for the whole partnership or one agency: a PDF, or
standalone HTML (its stylesheet inside) when PATH ends in .html. Exit 0 written, 2 bad arguments.
The figures are compliance_report's for the same date and scope.
"""

from pathlib import Path

from django.core.management.base import CommandError
from django.utils import timezone

from training.management.commands.compliance_report import BAD_ARGUMENTS, parse_iso_date
from workforce.commands import TrackerCommand
from workforce.database import heavy_reads
from workforce.models import Agency

from ...documents import board_report_html, board_report_pdf
from ...selectors import board_report


class Command(TrackerCommand):
    help = "Write the board report (PDF, or HTML when the output ends in .html) for a date and scope."

    def add_arguments(self, parser):
        parser.add_argument("--on", metavar="YYYY-MM-DD", help="The date to report on. Default: today.")
        parser.add_argument("--agency", metavar="SLUG", help="Report one agency only, by its slug.")
        parser.add_argument("--output", metavar="PATH", required=True, help="Where to write: .pdf or .html.")

    def handle(self, *args, **options):
        on = parse_iso_date(options["on"], option="--on") if options["on"] else timezone.localdate()
        agency = None
        if options["agency"]:
            agency = Agency.objects.filter(slug=options["agency"].strip()).first()
            if agency is None:
                known = (
                    ", ".join(Agency.objects.order_by("slug").values_list("slug", flat=True)) or "none yet"
                )
                raise CommandError(
                    f"There is no agency with the slug {options['agency']!r}. Known agencies: {known}.",
                    returncode=BAD_ARGUMENTS,
                )
        output = Path(options["output"])
        if output.suffix.lower() not in (".pdf", ".html"):
            raise CommandError(
                f"--output must end in .pdf or .html (got {output.name!r}).", returncode=BAD_ARGUMENTS
            )
        if not output.parent.is_dir():
            raise CommandError(f"The folder {output.parent} does not exist.", returncode=BAD_ARGUMENTS)
        with heavy_reads():
            report = board_report(on=on, agency=agency)
        if output.suffix.lower() == ".html":
            output.write_text(board_report_html(report), encoding="utf-8")
        else:
            output.write_bytes(board_report_pdf(report))
        self.stderr.write(f"Wrote the board report of {report.subject} on {on:%d/%m/%Y} to {output}.")
