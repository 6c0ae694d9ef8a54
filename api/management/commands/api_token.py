"""api_token --user USERNAME [--name TEXT] [--expires-in-days N] [--json]

A new API token for a user (PRODUCT.md section 8), shown once: only its hash is stored. With
--json, one object on standard output: {"token", "name", "expires_on"}. Exit 0 done, 1 refused
(the user may not hold a token; the reason is in the JSON), 2 bad arguments (no such user).
"""

import json

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from api.services import TokenRefused, api_token_create
from workforce.commands import TrackerCommand

REFUSED, BAD_ARGUMENTS = 1, 2


class Command(TrackerCommand):
    help = "Make a new API token for a user; it is printed once and stored only as a hash."

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, metavar="USERNAME", help="Whose token it is.")
        parser.add_argument("--name", default="API token", help="What the token is for.")
        parser.add_argument("--expires-in-days", type=int, metavar="N", help="Default: never expires.")
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args, **options):
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"There is no user called {options['user']!r}.", returncode=BAD_ARGUMENTS)
        try:
            token, key = api_token_create(
                user=user, name=options["name"], expires_in_days=options["expires_in_days"], actor=None
            )
        except TokenRefused as exc:
            if options["json"]:
                self.stdout.write(json.dumps({"error": exc.message}))
            self.stderr.write(exc.message)
            raise SystemExit(REFUSED) from None
        expires_on = token.expires_on.isoformat() if token.expires_on else None
        if options["json"]:
            self.stdout.write(json.dumps({"token": key, "name": token.name, "expires_on": expires_on}))
        else:
            self.stdout.write(key)
            self.stderr.write(
                f"Token “{token.name}” for {user.get_username()}, expires: {expires_on or 'never'}. "
                "It is shown only this once."
            )
