"""What every app's emails share. On the lowest floor so that each app's emails can use it."""

from django.conf import settings
from django.template import Context
from django.template.loader import get_template
from django.urls import reverse


def privacy_notice_url() -> str:
    """The privacy notice (the privacy app's page), linked from the footer of every email."""
    return settings.SITE_URL + reverse("privacy:notice")


def subject_render(template_name: str, context: dict) -> str:
    """An email subject is plain text: rendered with autoescape off (so "O'Brien" stays "O'Brien",
    never "O&#x27;Brien") and folded onto one line."""
    text = get_template(template_name).template.render(Context(context, autoescape=False))
    return " ".join(text.split())


class LogEmailBackend:
    """`make run`'s email backend: one INFO log line per email (to whom, its subject), not the whole
    message printed to the console. Chosen in config/settings/local.py when EMAIL_URL is the
    default consolemail://; a real EMAIL_URL (smtp://...) sends as usual."""

    def __init__(self, fail_silently=False, **kwargs):
        self.fail_silently = fail_silently

    def open(self):
        return False

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send_messages(self, email_messages):
        import logging

        logger = logging.getLogger("workforce.emails")
        for message in email_messages:
            logger.info(
                "Email to %s: %s (not sent: EMAIL_URL is consolemail://)",
                ", ".join(message.recipients()),
                message.subject,
            )
        return len(email_messages)
