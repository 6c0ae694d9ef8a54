"""Development and the embedded default that `make run` uses."""

from .base import *  # noqa: F403
from .base import env, env_or_fail

DEBUG = env_or_fail("DJANGO_DEBUG", env.bool, default=True)
# With the default EMAIL_URL (consolemail://) each email is one INFO log line, not printed whole.
if EMAIL_BACKEND == "django.core.mail.backends.console.EmailBackend":  # noqa: F405
    EMAIL_BACKEND = "workforce.emails.LogEmailBackend"
