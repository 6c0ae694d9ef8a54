"""Subject access (UK GDPR article 15): everything the tracker holds about one person, as a zip.

The zip holds `data.json` (every field of the staff record and every row about them: history,
completions, exemptions, assignments, reminders, the emails sent to them, imports that changed
them, sign-in links, bookings on training sessions and their feedback), `index.html` (the same,
readable) and `certificates/` (their files). Rows that are about several people (an email to a line manager
listing a team, an import's preview, a session's register) are given as far as they concern this
person only: the zip must hold nobody else's data.
"""

import io
import json
import re
import zipfile

from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify

from courses.models import Booking, Feedback
from imports.models import ImportRecord
from notifications.models import DigestOptOut, ReminderItem, ReminderMessage
from training.models import Assignment, Completion, Exemption
from workforce.models import SigninLink, StaffMember

IMPORT_REASON = re.compile(r"import #(\d+)")
HISTORY_FIELDS = ("history_id", "history_date", "history_type", "history_change_reason")


def _value(obj, field):
    if field.is_relation and (field.many_to_one or field.one_to_one):
        related = getattr(obj, field.name, None)
        return str(related) if related is not None else None
    value = getattr(obj, field.attname)
    if hasattr(value, "name") and hasattr(value, "storage"):  # a file field
        return value.name or ""
    return value


def _row(obj, *, exclude=()):
    """Every concrete field of a row, related rows by their name."""
    row = {}
    for field in obj._meta.concrete_fields:
        if field.name in exclude:
            continue
        row[field.name] = _value(obj, field)
    return row


def _history(queryset, *, exclude=()):
    rows = []
    for record in queryset.select_related("history_user").order_by("history_date", "history_id"):
        row = _row(record, exclude=("history_user", *exclude))
        row["history_user"] = record.history_user.get_username() if record.history_user else None
        rows.append(row)
    return rows


def _emails(staff):
    addresses = {staff.email} | set(staff.history.values_list("email", flat=True))
    return sorted(addresses - {""})


def subject_access_data(staff) -> dict:
    """Everything held about `staff`, as plain values for JSON."""
    emails = _emails(staff)
    completions = list(
        Completion.objects.filter(staff=staff).select_related("module", "recorded_by", "verified_by")
    )
    items = list(
        ReminderItem.objects.filter(staff=staff).select_related("module").order_by("planned_for", "id")
    )
    # Emails to the person themselves, whole; emails to someone else (their line manager) carried
    # other people's items too, so only the items about this person are given.
    messages = ReminderMessage.objects.filter(recipient__in=emails).order_by("day", "id")
    imports = _imports_that_touched(staff, completions)
    return {
        "generated_at": timezone.now().isoformat(),
        "person": {
            **_row(staff, exclude=("user",)),
            "agency": staff.agency.name,
            "user": staff.user.get_username() if staff.user_id else None,
        },
        "history": _history(staff.history.all()),
        "completions": [
            {
                **_row(c),
                "module": f"{c.module.code} {c.module.title}",
                "certificate_in_zip": _certificate_path(c),
            }
            for c in completions
        ],
        "completion_history": _history(Completion.history.filter(staff_id=staff.pk)),
        "exemptions": [_row(e) for e in Exemption.objects.filter(staff=staff).select_related("module")],
        "exemption_history": _history(Exemption.history.filter(staff_id=staff.pk)),
        "assignments": [_row(a) for a in Assignment.objects.filter(staff=staff).select_related("module")],
        "assignment_history": _history(Assignment.history.filter(staff_id=staff.pk)),
        "bookings": [_booking(booking) for booking in _bookings(staff)],
        "booking_history": _history(Booking.history.filter(staff_id=staff.pk)),
        "feedback": [_feedback(feedback) for feedback in _feedback_of(staff)],
        "reminders": [_row(item, exclude=("key", "series", "message", "agency", "staff")) for item in items],
        "emails_to_them": [_message(message, staff) for message in messages],
        "imports": [
            _row(record, exclude=("preview", "errors", "file", "sha256", "claimed_at", "message"))
            for record in imports
        ],
        "signin_links": [
            {"email": link.email, "created_at": link.created_at, "used_at": link.used_at}
            for link in SigninLink.objects.filter(Q(email__in=emails)).order_by("created_at")
        ],
        "digest_opt_outs": [
            {"email": row.email, "kind": row.kind, "created_at": row.created_at}
            for row in DigestOptOut.objects.filter(email__in=emails).order_by("created_at")
        ],
        "anonymisation": _anonymisation(staff),
    }


def _bookings(staff):
    return (
        Booking.objects.filter(staff=staff)
        .select_related("session__module", "booked_by", "cancelled_by")
        .order_by("created_at", "id")
    )


def _booking(booking):
    """A booking with the session it is on, by its module, dates and place (not who else is on it)."""
    session = booking.session
    return {
        **_row(booking, exclude=("session", "module", "staff")),
        "session": {
            "module": f"{session.module.code} {session.module.title}",
            "starts_at": session.starts_at,
            "status": session.get_status_display(),
            "venue": session.venue,
        },
    }


def _feedback_of(staff):
    return (
        Feedback.objects.filter(booking__staff=staff)
        .select_related("booking__session__module")
        .order_by("submitted_at", "id")
    )


def _feedback(feedback):
    """The person's evaluation of a session: their scores and their words."""
    return {
        **_row(feedback, exclude=("booking",)),
        "booking_id": feedback.booking_id,
        "session": f"{feedback.booking.session.module.code}, {feedback.booking.session.starts_at:%Y-%m-%d}",
    }


def _message(message, staff):
    """An email sent to the person's address, whole when every reminder in it was about them;
    otherwise (they are also someone's line manager) without its text, which names others."""
    row = _row(message, exclude=("claimed_by", "headers"))
    if any(staff_id != staff.pk for staff_id in message.items.values_list("staff_id", flat=True)):
        for field in ("subject", "text_body", "html_body", "last_error", "reason"):
            row[field] = "(not included: this email was also about other people)"
    return row


def _anonymisation(staff):
    from .models import Anonymisation

    record = Anonymisation.objects.filter(staff=staff).first()
    return _row(record, exclude=("staff",)) if record else None


def _imports_that_touched(staff, completions):
    """Imports named in the history of the person's record or completions (each import writes
    "<kind> import #<id>" as the reason of the history rows it makes)."""
    reasons = list(
        staff.history.exclude(history_change_reason=None).values_list("history_change_reason", flat=True)
    )
    reasons += list(
        Completion.history.filter(staff_id=staff.pk)
        .exclude(history_change_reason=None)
        .values_list("history_change_reason", flat=True)
    )
    ids = {int(match) for reason in reasons for match in IMPORT_REASON.findall(reason or "")}
    return list(
        ImportRecord.objects.filter(pk__in=ids).select_related("agency", "uploaded_by", "confirmed_by")
    )


def _certificate_path(completion):
    if not completion.certificate:
        return None
    suffix = completion.certificate.name.rsplit(".", 1)[-1].lower()
    stem = f"{completion.completed_on:%Y-%m-%d}-{slugify(completion.module.code)}-{completion.pk}"
    return f"certificates/{stem}.{suffix}"


def subject_access_filename(staff) -> str:
    person = f"{slugify(staff.agency.slug)}-{slugify(staff.staff_number)}"
    return f"subject-access-{person}-{timezone.localdate():%Y-%m-%d}.zip"


def subject_access_archive(staff: StaffMember) -> bytes:
    """The zip of subject_access_data, its readable page and the certificate files."""
    data = subject_access_data(staff)
    text = json.dumps(data, indent=2, default=str, ensure_ascii=False)
    html = render_to_string("privacy/subject_access.html", {"data": json.loads(text), "staff": staff})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", text)
        archive.writestr("index.html", html)
        for completion in (
            Completion.objects.filter(staff=staff).exclude(certificate="").select_related("module")
        ):
            try:
                with completion.certificate.open("rb") as handle:
                    archive.writestr(_certificate_path(completion), handle.read())
            except FileNotFoundError:
                continue
    return buffer.getvalue()
