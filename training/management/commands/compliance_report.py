"""compliance_report [--on YYYY-MM-DD] [--agency SLUG] [--json]

Compliance of every (current staff member, required module) pair on a date, as counts by status,
the rate, people, and breakdowns by agency and by module. With --json, exactly one JSON object on
standard output (PRODUCT.md section 8); messages go to standard error. Exit 0 done, 2 bad arguments.

The rate is valid pairs / (required pairs - exempt pairs), rounded to 4 places, and null when
nothing is left to measure. Inactive agencies are left out unless named with --agency. See
training.selectors.engine for what counts as a pair on a date in the past.
"""

import datetime
import json
import re

from django.core.management.base import CommandError
from django.utils import timezone

from training.compliance import Status
from training.selectors.compliance import floor_percent
from training.selectors.report import build_report
from workforce.commands import TrackerCommand
from workforce.database import heavy_reads
from workforce.models import Agency

__all__ = ["build_report", "parse_iso_date", "render_table"]

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
BAD_ARGUMENTS = 2


def parse_iso_date(value, *, option):
    """A YYYY-MM-DD date, or a CommandError (exit 2) that says what was wrong."""
    if not ISO_DATE.fullmatch(value.strip()):
        raise CommandError(
            f"{option} must be a date written YYYY-MM-DD, for example 2026-03-04 (got {value!r}).",
            returncode=BAD_ARGUMENTS,
        )
    try:
        return datetime.date.fromisoformat(value.strip())
    except ValueError:
        raise CommandError(f"{option} {value} is not a real date.", returncode=BAD_ARGUMENTS) from None


def long_date(day):
    return f"{day.day} {day:%B %Y}"


class Command(TrackerCommand):
    help = (
        "Report compliance on a date (default: today in Europe/London) for the whole partnership "
        "or one agency."
    )

    def add_arguments(self, parser):
        parser.add_argument("--on", metavar="YYYY-MM-DD", help="The date to report on. Default: today.")
        parser.add_argument("--agency", metavar="SLUG", help="Report one agency only, by its slug.")
        parser.add_argument("--json", action="store_true", help="Print one JSON object instead of tables.")

    def handle(self, *args, **options):
        on = parse_iso_date(options["on"], option="--on") if options["on"] else timezone.localdate()
        agency = self._agency(options["agency"])
        with heavy_reads():
            report = build_report(on=on, agency=agency)
        if options["json"]:
            self.stdout.write(json.dumps(report))
        else:
            self.stdout.write(render_table(report, agency=agency))

    def _agency(self, slug):
        if slug is None:
            return None
        agency = Agency.objects.filter(slug=slug.strip()).first()
        if agency is None:
            known = ", ".join(Agency.objects.order_by("slug").values_list("slug", flat=True)) or "none yet"
            raise CommandError(
                f"There is no agency with the slug {slug!r}. Known agencies: {known}.",
                returncode=BAD_ARGUMENTS,
            )
        return agency


def _rate(counts):
    valid = counts[Status.COMPLIANT.value] + counts[Status.RENEWAL_DUE.value]
    denominator = sum(counts.values()) - counts[Status.EXEMPT.value]
    return f"{floor_percent(valid, denominator)}%" if denominator else "-"


def _table(title, first_column, rows):
    headings = [first_column, *(status.label for status in Status), "Rate"]
    body = [
        [name, *(f"{counts[status.value]:,}" for status in Status), _rate(counts)] for name, counts in rows
    ]
    widths = [max(len(row[i]) for row in [headings, *body]) for i in range(len(headings))]
    lines = [title, ""]
    for row in [headings, *body]:
        numbers = zip(row[1:], widths[1:], strict=True)
        cells = [row[0].ljust(widths[0]), *(cell.rjust(width) for cell, width in numbers)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def render_table(report, *, agency=None):
    on = datetime.date.fromisoformat(report["on"])
    scope = agency.name if agency is not None else "the whole partnership"
    pairs = report["pairs"]
    valid = pairs[Status.COMPLIANT.value] + pairs[Status.RENEWAL_DUE.value]
    denominator = sum(pairs.values()) - pairs[Status.EXEMPT.value]
    rate = f"{floor_percent(valid, denominator)}%" if denominator else "no one is required to train"
    people = report["people"]
    lines = [
        f"Compliance on {long_date(on)}, {scope}",
        "",
        f"Rate: {rate} (valid pairs / required pairs not exempt)",
        f"People compliant: {people['compliant']:,} of {people['total']:,}",
        "",
        _table("Pairs by status", "", [("All pairs", report["pairs"])]),
        "",
        _table("By agency", "Agency", report["by_agency"].items()),
        "",
        _table("By module", "Module", report["by_module"].items()),
    ]
    return "\n".join(lines)
