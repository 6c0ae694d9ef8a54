"""The reminder emails: the one email a recipient gets, with a part for each of its items.

Each kind has three templates under notifications/email/ (in the app of the source that plans it):
`<kind>-subject.txt` (the subject when the email carries that one item), `<kind>-body.txt` and
`<kind>-body.html` (the item's part of the email), rendered with its source's `email_context`.
`message-body.txt` / `message-body.html` put the parts together with a greeting and a footer, so
a recipient with three items gets one email listing the three.
"""

import contextlib
import smtplib
import sys
import threading
from dataclasses import dataclass, field
from email.utils import formataddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.urls import reverse

from workforce.emails import privacy_notice_url, subject_render

from . import sources


def person_signin_link(staff, facts) -> str | None:
    """The one sign-in link (workforce.signin: single use, valid for a week) that every link of a
    person's email carries, made on first use and kept with the message's `facts`; None when the
    person cannot be reached. Once it is used, its other links open while that browser's staff
    session lasts (workforce.views.signin_open)."""
    from workforce.signin import signin_url_for_staff  # workforce owns sign-in

    links = facts.__dict__.setdefault("signin_links", {})
    if staff.pk not in links:
        links[staff.pk] = signin_url_for_staff(staff, today=facts.today)
    return links[staff.pk]


def person_record_url(staff, facts) -> str:
    """Where a person opens their own record: their sign-in link, or the site's address when none
    can be made. Every reminder gets the link from here."""
    return person_signin_link(staff, facts) or f"{settings.SITE_URL}/"


def preferences_url(*, email: str, kind: str) -> str:
    from .services import digest_link_create

    token = digest_link_create(email=email, kind=kind)
    return settings.SITE_URL + reverse("notifications:digest-preferences", args=[token])


@dataclass
class Section:
    kind: str
    subject: str
    text: str
    html: str
    about_recipient: bool  # the item is about the recipient's own training
    unsubscribe_url: str = ""


@dataclass
class RenderedEmail:
    to: str
    from_email: str
    reply_to: str
    subject: str
    text: str
    html: str
    headers: dict = field(default_factory=dict)
    attachments: list = field(default_factory=list)  # (filename, content, MIME type)

    def stored_fields(self) -> dict:
        return {
            "from_email": self.from_email,
            "reply_to": self.reply_to,
            "subject": self.subject,
            "text_body": self.text,
            "html_body": self.html,
            "headers": self.headers,
        }


def _template(kind, part):
    return f"notifications/email/{kind}-{part}"


def section_render(item, facts, *, with_subject: bool = True) -> Section:
    """One item's part of the email (and its subject, used when the email carries that item alone)."""
    context = {"item": item, "today": facts.today, **sources.source_for(item.kind).email_context(item, facts)}
    if sources.is_digest(item.kind):
        context["unsubscribe_url"] = preferences_url(email=item.recipient, kind=item.kind)
    subject = ""
    if with_subject:
        subject = subject_render(_template(item.kind, "subject.txt"), context)
    return Section(
        kind=item.kind,
        subject=subject,
        text=render_to_string(_template(item.kind, "body.txt"), context).strip(),
        html=render_to_string(_template(item.kind, "body.html"), context).strip(),
        about_recipient=sources.is_own_training(item.kind),
        unsubscribe_url=context.get("unsubscribe_url", ""),
    )


def _order(item):
    # The recipient's own training first (most urgent first), then what they oversee.
    return (not sources.is_own_training(item.kind), sources.urgency(item.kind), item.cycle_date, item.id)


def message_render(*, recipient: str, items: list, facts, today) -> RenderedEmail:
    """The one email for a recipient: each item's part, a greeting, a footer, the headers."""
    items = sorted(items, key=_order)
    sections = [section_render(item, facts, with_subject=len(items) == 1) for item in items]
    own = [item for item in items if sources.is_own_training(item.kind)]
    person = own[0].staff if own and len({item.staff_id for item in own}) == 1 else None
    if len(sections) == 1:
        subject = sections[0].subject
    else:
        context = {"count": len(sections), "all_own": all(section.about_recipient for section in sections)}
        subject = subject_render(_template("several", "subject.txt"), context)
    digest_only = all(sources.is_digest(section.kind) for section in sections)
    context = {
        "sections": sections,
        "person": person,
        "record_url": person_record_url(person, facts) if person is not None else settings.SITE_URL,
        # Each kind's own line, once: why the recipient gets this email (sources.ReminderKind.footer).
        "footers": list(dict.fromkeys(filter(None, (sources.kind_footer(s.kind) for s in sections)))),
        "subject": subject,
        "privacy_url": privacy_notice_url(),
    }
    from_email, reply_to = _sender(items)
    headers = {"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"}
    if digest_only:
        # RFC 2369 and RFC 8058: one-click unsubscribe, for digests only.
        headers["List-Unsubscribe"] = f"<{sections[0].unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return RenderedEmail(
        to=recipient,
        from_email=from_email,
        reply_to=reply_to,
        subject=subject[:300],
        text=render_to_string(_template("message", "body.txt"), context).strip() + "\n",
        html=render_to_string(_template("message", "body.html"), context),
        headers=headers,
        attachments=[
            file for item in items for file in sources.source_for(item.kind).attachments(item, facts)
        ],
    )


def _sender(items) -> tuple[str, str]:
    """From and Reply-To: the agency's own when every item is about one agency that set them,
    the site's otherwise (DEFAULT_FROM_EMAIL, REMINDER_REPLY_TO)."""
    agencies = {(item.staff.agency if item.staff_id else item.agency) for item in items} - {None}
    from_email, reply_to = settings.DEFAULT_FROM_EMAIL, settings.REMINDER_REPLY_TO
    if len(agencies) == 1:
        agency = agencies.pop()
        if agency.reminder_from_email:
            from_email = formataddr((f"{agency.name} HSB training", agency.reminder_from_email))
        if agency.reminder_reply_to:
            reply_to = agency.reminder_reply_to
    return from_email, reply_to


# ---------------------------------------------------------------------------------------------
# Delivery over a reused SMTP connection
# ---------------------------------------------------------------------------------------------

# One connection per worker thread (a prefork worker process has one thread; the threads pool
# that `make run` uses has several, which must not share an SMTP session).
_shared = threading.local()


def _connection_settings():
    return (
        settings.EMAIL_BACKEND,
        getattr(settings, "EMAIL_HOST", ""),
        getattr(settings, "EMAIL_PORT", 0),
        getattr(settings, "EMAIL_HOST_USER", ""),
        settings.NOTIFY_BASE_URL,
        settings.NOTIFY_API_KEY,
    )


def shared_connection():
    """One email connection per worker process (or thread), opened on first use and kept open, so
    a worker sending many messages does one SMTP handshake, not one per email."""
    current = _connection_settings()
    connection = getattr(_shared, "connection", None)
    if connection is None or _shared.settings != current:
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.close()
        _shared.settings, _shared.connection = current, get_connection(fail_silently=False)
    return _shared.connection


@contextlib.contextmanager
def smtp_connection():
    """A connection for a batch of messages (the send_reminders command), closed at the end.

    With the console backend (the embedded default) the emails are printed to standard error:
    standard output carries only the command's report (one JSON object with --json)."""
    connection = get_connection(fail_silently=False, stream=sys.stderr)
    try:
        yield connection
    finally:
        with contextlib.suppress(Exception):
            connection.close()


def _is_open(connection) -> bool:
    return getattr(connection, "connection", None) is not None


def deliver(email: RenderedEmail, *, connection=None, reference=None) -> None:
    """Send one rendered email, keeping the connection open for the next one. `reference` names
    the outbox message to an email service that reports delivery later (GOV.UK Notify).

    Raises the backend's exception on failure (the caller classifies it). A server that closed
    an idle kept-open connection is reconnected once before that counts as a failure.
    """
    connection = connection or shared_connection()
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.text,
        from_email=email.from_email,
        to=[email.to],
        reply_to=[email.reply_to] if email.reply_to else None,
        headers=email.headers,
        connection=connection,
    )
    message.attach_alternative(email.html, "text/html")
    message.notify_reference = reference
    for filename, content, mimetype in email.attachments:
        message.attach(filename, content, mimetype)
    reused = _is_open(connection)
    if not reused:
        connection.open()
    try:
        try:
            connection.send_messages([message])
        except smtplib.SMTPServerDisconnected:
            if not reused:
                raise
            with contextlib.suppress(Exception):
                connection.close()
            connection.open()
            connection.send_messages([message])
    except Exception:
        # After a failure the session may be in any state: the next message starts afresh.
        with contextlib.suppress(Exception):
            connection.close()
        raise
