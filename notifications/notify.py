"""Email through GOV.UK Notify, as public bodies send it (PRODUCT.md section 13).

`EMAIL_URL=notify://API_KEY` selects `NotifyEmailBackend`, a Django email backend on the official
client (notifications-python-client). Every email goes through one Notify email template whose
subject is `((subject))` and whose body is `((body))` (NOTIFY_TEMPLATE_ID): the tracker renders
the text itself, as it does for SMTP, and Notify sends it from the service's own address. The
reminder outbox is unchanged: the sender claims, renders and calls the backend as for SMTP, and
classifies what the backend raises:

- `NotifyRejected` (a 4xx answer other than 429: a bad address, a bad key, a wrong template) is
  final: the message fails with Notify's reason;
- `NotifyUnavailable` (5xx, 429 rate limits, timeouts, refused connections) is retried with
  backoff, like a dropped SMTP connection.

Notify reports later what became of each email to the delivery-status callback
(`notifications.views.delivery.notify_delivery_status`), which marks a permanent failure failed.
"""

from email.utils import parseaddr

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend

REFERENCE_PREFIX = "outbox-message-"
BACKEND = "notifications.notify.NotifyEmailBackend"


def attachments_supported() -> bool:
    """Whether emails carry their attachments: not through Notify, whose one template has a
    subject and a body only (a source that attaches a file links to it instead)."""
    return settings.EMAIL_BACKEND != BACKEND


class NotifyRejected(Exception):
    """Notify refused the email for good (a 4xx answer)."""

    def __init__(self, status_code, message):
        super().__init__(f"{status_code} {message}")
        self.status_code = status_code
        self.message = message


class NotifyUnavailable(ConnectionError):
    """Notify could not take the email now (5xx, 429, a timeout): try again later. A ConnectionError,
    so every sender that retries a dropped SMTP connection retries this too."""


def message_reference(message_id: int) -> str:
    """The reference Notify keeps with an outbox email and sends back in its delivery receipt."""
    return f"{REFERENCE_PREFIX}{message_id}"


def message_id_from_reference(reference) -> int | None:
    if isinstance(reference, str) and reference.startswith(REFERENCE_PREFIX):
        number = reference[len(REFERENCE_PREFIX) :]
        if number.isdigit():
            return int(number)
    return None


def _describe(error) -> str:
    """The text of a notifications_python_client APIError."""
    message = error.message
    if isinstance(message, list):  # Notify's {"errors": [{"error": ..., "message": ...}]}
        message = "; ".join(
            f"{item.get('error', '')}: {item.get('message', '')}".strip(": ")
            if isinstance(item, dict)
            else str(item)
            for item in message
        )
    return str(message)


class NotifyEmailBackend(BaseEmailBackend):
    """Send each email's subject and plain-text body through the Notify template. The API key is
    the part of EMAIL_URL after notify://; NOTIFY_BASE_URL points elsewhere for tests. Attachments
    are not sent (see attachments_supported)."""

    def __init__(self, fail_silently=False, **kwargs):
        super().__init__(fail_silently=fail_silently)
        self.connection = None

    def open(self):
        if self.connection is not None:
            return False
        # Imported here: the client and its JWT library cost about 0.1 s of CPU, which every command
        # and worker would otherwise pay at start-up for a backend most sites do not use.
        from notifications_python_client.notifications import NotificationsAPIClient

        self.connection = NotificationsAPIClient(
            settings.NOTIFY_API_KEY, base_url=settings.NOTIFY_BASE_URL, timeout=settings.EMAIL_TIMEOUT
        )
        return True

    def close(self):
        if self.connection is not None:
            self.connection.request_session.close()
        self.connection = None

    def send_messages(self, email_messages):
        if not email_messages:
            return 0
        opened = self.open()
        sent = 0
        try:
            for message in email_messages:
                try:
                    self._send(message)
                except (NotifyRejected, NotifyUnavailable):
                    if not self.fail_silently:
                        raise
                else:
                    sent += 1
        finally:
            if opened:
                self.close()
        return sent

    def _send(self, message):
        from notifications_python_client.errors import APIError

        reference = getattr(message, "notify_reference", None)
        for recipient in message.recipients():
            address = parseaddr(recipient)[1] or recipient
            try:
                self.connection.send_email_notification(
                    email_address=address,
                    template_id=settings.NOTIFY_TEMPLATE_ID,
                    personalisation={"subject": message.subject, "body": message.body},
                    reference=reference,
                )
            except APIError as error:
                status = error.status_code
                if 400 <= status < 500 and status != 429:
                    raise NotifyRejected(status, _describe(error)) from error
                raise NotifyUnavailable(f"GOV.UK Notify: {status} {_describe(error)}") from error
