"""send_reminders [--today YYYY-MM-DD] [--dry-run] [--json]

Plan the reminders due on a date, then send every pending message in this process, over one SMTP
connection: for sites that run it from cron without a Celery worker. Safe beside a worker and safe
to run twice: planning adds nothing the second time and messages are claimed before sending.

With --json, exactly one JSON object on standard output (PRODUCT.md section 8):
{"today", "planned": {kind: n}, "skipped", "sent", "messages", "failed", "cancelled"}. `planned`
and `skipped` count the items this run planned; `sent`, `failed` and `cancelled` count items and
`messages` the emails sent. A failure that will be retried counts as failed for this run; the item
stays pending for the next run. With --dry-run nothing is written or sent: the figures say what
would be planned, and `messages` how many emails would go before the re-check.
Exit 0 done, 2 bad arguments.
"""

import datetime
import json
import re

from django.core.management.base import CommandError
from django.utils import timezone

from notifications import services
from notifications.models import MessageStatus, ReminderItem, ReminderMessage
from notifications.selectors import planning
from workforce.commands import TrackerCommand

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
BAD_ARGUMENTS = 2


def parse_iso_date(value, *, option):
    if not ISO_DATE.fullmatch(value.strip()):
        raise CommandError(
            f"{option} must be a date written YYYY-MM-DD, for example 2026-03-04 (got {value!r}).",
            returncode=BAD_ARGUMENTS,
        )
    try:
        return datetime.date.fromisoformat(value.strip())
    except ValueError:
        raise CommandError(f"{option} {value} is not a real date.", returncode=BAD_ARGUMENTS) from None


class Command(TrackerCommand):
    help = (
        "Plan today's reminders (or those of --today) and send every pending reminder email now, "
        "without a Celery worker."
    )

    def add_arguments(self, parser):
        parser.add_argument("--today", metavar="YYYY-MM-DD", help="Plan as if today were this date.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Show what would be planned; write and send nothing."
        )
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args, **options):
        today = (
            parse_iso_date(options["today"], option="--today") if options["today"] else timezone.localdate()
        )
        report = self._dry_run(today) if options["dry_run"] else self._run(today)
        if options["json"]:
            self.stdout.write(json.dumps(report))
        else:
            self.stdout.write(render_text(report, dry_run=options["dry_run"]))

    def _run(self, today):
        planned = services.reminders_plan(day=today, queue=False)
        sent = services.pending_messages_send(today=today)
        if sent.failed:
            self.stderr.write(
                f"{sent.failed} reminder(s) could not be sent; see reminders_outbox or the outbox page. "
                "Temporary failures are tried again on the next run."
            )
        return {
            "today": today.isoformat(),
            "planned": planned.planned,
            "skipped": planned.skipped,
            "sent": sent.sent,
            "messages": sent.messages,
            "failed": sent.failed,
            "cancelled": sent.cancelled,
        }

    def _dry_run(self, today):
        plan = planning.reminder_plan(day=today)
        waiting = set(
            ReminderItem.objects.filter(status="pending", stage_date__lte=today)
            .exclude(message__status=MessageStatus.SENDING)
            .values_list("recipient", flat=True)
        )
        already_sent_today = set(
            ReminderMessage.objects.filter(day=today, status=MessageStatus.SENT).values_list(
                "recipient", flat=True
            )
        )
        recipients = (waiting | {item.recipient for item in plan.pending}) - already_sent_today
        return {
            "today": today.isoformat(),
            "planned": plan.planned_by_kind(),
            "skipped": len(plan.skipped),
            "sent": 0,
            "messages": len(recipients),
            "failed": 0,
            "cancelled": 0,
        }


def render_text(report, *, dry_run):
    today = datetime.date.fromisoformat(report["today"])
    heading = f"Reminders for {today.day} {today:%B %Y}" + (
        " (dry run: nothing written or sent)" if dry_run else ""
    )
    lines = [heading, ""]
    planned = {kind: n for kind, n in report["planned"].items() if n}
    lines.append(
        f"Planned: {sum(planned.values())}"
        + (f" ({', '.join(f'{k} {n}' for k, n in planned.items())})" if planned else "")
    )
    lines.append(f"Skipped (caught up): {report['skipped']}")
    if dry_run:
        lines.append(f"Emails that would be sent: {report['messages']}")
    else:
        lines.append(f"Sent: {report['sent']} item(s) in {report['messages']} email(s)")
        lines.append(f"Failed: {report['failed']}")
        lines.append(f"Cancelled (no longer due): {report['cancelled']}")
    return "\n".join(lines)
