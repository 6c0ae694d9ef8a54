"""reminders_outbox [--since YYYY-MM-DD] [--json]

Every outbox item planned on or after --since (default: all), oldest first. With --json, exactly
one JSON object on standard output (PRODUCT.md section 8): {"items": [{"kind", "to", "agency",
"staff_number", "module", "cycle_date", "stage", "planned_for", "status"}]}; `agency` and
`staff_number` are those of the person the item is about (empty for digests and reviews).
Exit 0 done, 2 bad arguments.
"""

import json

from notifications.selectors.outbox import outbox_items
from workforce.commands import TrackerCommand

from .send_reminders import parse_iso_date


def item_row(item) -> dict:
    staff = item.staff
    return {
        "kind": item.kind,
        "to": item.recipient,
        "agency": staff.agency.slug if staff is not None else "",
        "staff_number": staff.staff_number if staff is not None else "",
        "module": item.module.code if item.module_id else "",
        "cycle_date": item.cycle_date.isoformat(),
        "stage": item.stage,
        "planned_for": item.planned_for.isoformat(),
        "status": item.status,
    }


class Command(TrackerCommand):
    help = "List the reminder outbox: what was planned, for whom, and whether it was sent."

    def add_arguments(self, parser):
        parser.add_argument("--since", metavar="YYYY-MM-DD", help="Only items planned on or after this date.")
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args, **options):
        since = parse_iso_date(options["since"], option="--since") if options["since"] else None
        items = outbox_items(since=since).order_by("planned_for", "recipient", "kind", "id")
        rows = [item_row(item) for item in items.iterator(chunk_size=2000)]
        if options["json"]:
            self.stdout.write(json.dumps({"items": rows}))
            return
        if not rows:
            self.stdout.write("The outbox is empty" + (f" since {since:%d/%m/%Y}." if since else "."))
            return
        columns = [
            "planned_for",
            "status",
            "kind",
            "to",
            "agency",
            "staff_number",
            "module",
            "cycle_date",
            "stage",
        ]
        widths = {c: max(len(c), *(len(str(row[c])) for row in rows)) for c in columns}
        self.stdout.write("  ".join(c.ljust(widths[c]) for c in columns).rstrip())
        for row in rows:
            self.stdout.write("  ".join(str(row[c]).ljust(widths[c]) for c in columns).rstrip())
