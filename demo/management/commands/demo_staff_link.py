"""Print a fresh sign-in link for one demo staff member, so `make run` can show the staff persona.

A link is valid for a week (workforce.signin), so it is made at each start rather than stored."""

from demo.staff import HR_DEMO_AGENCY
from workforce.commands import TrackerCommand
from workforce.models import StaffMember
from workforce.signin import signin_url_for_staff


class Command(TrackerCommand):
    help = "Print a fresh sign-in link for a demo staff member (the staff persona)."

    def handle(self, *args, **options):
        people = StaffMember.objects.filter(agency__slug=HR_DEMO_AGENCY).exclude(email="").order_by("pk")
        for person in people[:50]:
            url = signin_url_for_staff(person)
            if url:
                self.stdout.write(f"Staff member, {person.full_name} (a week's sign-in link): {url}")
                return
