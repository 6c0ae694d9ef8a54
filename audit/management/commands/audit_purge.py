from django.conf import settings
from django.core.management.base import BaseCommand

from audit.services import audit_events_purge


class Command(BaseCommand):
    # As workforce.commands.TrackerCommand (audit stands below workforce): no system checks first.
    requires_system_checks = []

    help = "Delete audit-log events older than AUDIT_RETENTION_DAYS (the nightly task does the same)."

    def handle(self, *args, **options):
        deleted = audit_events_purge()
        self.stdout.write(
            f"Deleted {deleted} audit event{'s' if deleted != 1 else ''} older than "
            f"{settings.AUDIT_RETENTION_DAYS} days."
        )
