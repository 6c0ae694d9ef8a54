"""subject_access --agency SLUG --staff-number N --output PATH

Write everything the tracker holds about one person as a zip (PRODUCT.md sections 8 and 13):
data.json, a readable index.html and their certificates (privacy.subject_access). Exit 0 done,
2 when the agency or person is unknown or the file cannot be written (nothing is written then).
"""

import pathlib

from django.core.management.base import CommandError

from audit import actions
from audit.services import audit_record
from privacy.subject_access import subject_access_archive
from workforce.commands import TrackerCommand
from workforce.models import Agency, StaffMember

BAD_ARGUMENTS = 2


class Command(TrackerCommand):
    help = "Write everything held about one person (a subject access request) to a zip file."

    def add_arguments(self, parser):
        parser.add_argument("--agency", required=True, metavar="SLUG", help="The person's agency.")
        parser.add_argument("--staff-number", required=True, metavar="N", help="Their staff number there.")
        parser.add_argument("--output", required=True, metavar="PATH", help="The zip file to write.")

    def handle(self, *args, **options):
        agency = Agency.objects.filter(slug=options["agency"]).first()
        if agency is None:
            raise CommandError(f"No agency has the slug {options['agency']!r}.", returncode=BAD_ARGUMENTS)
        staff = (
            StaffMember.objects.select_related("agency", "job_role", "team", "user")
            .filter(agency=agency, staff_number=options["staff_number"].strip())
            .first()
        )
        if staff is None:
            raise CommandError(
                f"{agency.name} has nobody with staff number {options['staff_number']!r}.",
                returncode=BAD_ARGUMENTS,
            )
        output = pathlib.Path(options["output"])
        if not output.parent.is_dir():
            raise CommandError(f"The folder {output.parent} does not exist.", returncode=BAD_ARGUMENTS)
        archive = subject_access_archive(staff)
        try:
            output.write_bytes(archive)
        except OSError as exc:
            raise CommandError(f"Could not write {output}: {exc}", returncode=BAD_ARGUMENTS) from None
        audit_record(
            action=actions.SUBJECT_ACCESS,
            actor="manage.py subject_access",
            target=staff,
            detail=f"Wrote everything held about {staff.full_name} ({staff.agency.name}) to {output}",
            extra={"staff_id": staff.pk, "bytes": len(archive)},
        )
        self.stderr.write(
            f"Wrote everything held about {staff.full_name} to {output} ({len(archive):,} bytes)."
        )
