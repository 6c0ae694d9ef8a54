"""Print the demo users' current second-factor codes, for trying the demo without an authenticator
app. Only the demo users whose key seed_demo wrote to DEMO_LOGINS_FILE: nobody else's."""

import time

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core.management.base import CommandError

from demo.staff import demo_authenticator_keys
from workforce.commands import TrackerCommand

PERIOD = 30


class Command(TrackerCommand):
    help = "Print the current authenticator-app code of each demo user (from the demo logins file)."

    def handle(self, *args, **options):
        keys = demo_authenticator_keys()
        if not keys:
            raise CommandError("No demo authenticator keys: run `manage.py seed_demo` first.")
        now = time.time()
        left = PERIOD - int(now) % PERIOD
        for username, key in keys.items():
            code = format_hotp_value(hotp_value(key, int(now) // PERIOD))
            self.stdout.write(f"{username}: {code}")
        self.stdout.write(f"(These codes change in {left} seconds.)")
