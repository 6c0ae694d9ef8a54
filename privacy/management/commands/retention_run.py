"""retention_run [--today YYYY-MM-DD] [--dry-run] [--json]

Apply the retention periods (PRODUCT.md section 13): anonymise leavers RETENTION_LEAVER_YEARS
after they left, delete uploaded spreadsheets after RETENTION_UPLOAD_DAYS (refused ones after
RETENTION_REFUSED_UPLOAD_DAYS) and empty reminder email bodies older than
RETENTION_OUTBOX_BODY_YEARS. The same run happens nightly (beat); running it twice changes
nothing the second time.

With --json, exactly one JSON object on standard output (PRODUCT.md section 8):
{"anonymised_staff": n, "files_deleted": n, "messages_purged": n}. With --dry-run nothing is
written: the figures say what a run would do. Exit 0 done, 2 bad arguments.
"""

import json

from django.utils import timezone

from notifications.management.commands.send_reminders import parse_iso_date
from privacy import services
from workforce.commands import TrackerCommand


class Command(TrackerCommand):
    help = "Anonymise leavers, delete old uploads and empty old email bodies, as the retention periods say."

    def add_arguments(self, parser):
        parser.add_argument(
            "--today", metavar="YYYY-MM-DD", help="Apply the periods as if today were this date."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be removed; write nothing."
        )
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args, **options):
        today = (
            parse_iso_date(options["today"], option="--today") if options["today"] else timezone.localdate()
        )
        result = services.retention_run(today=today, dry_run=options["dry_run"], triggered_by="command")
        report = result.as_dict()
        if options["json"]:
            self.stdout.write(json.dumps(report))
            return
        heading = f"Retention run for {today.day} {today:%B %Y}"
        if options["dry_run"]:
            heading += " (dry run: nothing written; the figures say what a run would do)"
        lines = [
            heading,
            "",
            f"Leavers anonymised: {report['anonymised_staff']}",
            f"Uploaded files deleted: {report['files_deleted']}",
            f"Email bodies emptied: {report['messages_purged']}",
        ]
        self.stdout.write("\n".join(lines))
