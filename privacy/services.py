"""Every write of the privacy app: anonymising people (the retention rule and erasure on request),
the nightly retention run, and the privacy notice's text.

Anonymising keeps every row that a figure counts (the staff row with its agency, job role, team and
dates; completions with their dates and verification; exemptions; reminder items with their
status; bookings with their session and attendance) and removes what names the person: name,
email, staff number, line manager, job title, notes, certificate references and files, booking
cancellation reasons, feedback answers and feedback links, the bodies of emails about them,
sign-in links, and the same fields in every history row. So compliance figures, trends and
snapshots are the same before and after, and nothing left names them.
"""

import logging
from dataclasses import asdict, dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import CharField, Exists, OuterRef, Q, Value
from django.db.models.functions import Cast, Concat, Replace
from django.utils import timezone
from simple_history.utils import bulk_update_with_history, get_history_model_for_model

from audit import actions
from audit.services import audit_record
from courses.models import Booking
from imports import services as import_services
from notifications.models import DigestOptOut, ItemStatus, MessageStatus, ReminderItem, ReminderMessage
from training.compliance import add_months
from training.models import Assignment, Completion, Exemption
from workforce.models import SigninLink, StaffMember
from workforce.services import acting_user

from .models import Anonymisation, PrivacyNotice, RetentionRun

logger = logging.getLogger(__name__)

ANONYMISED_FIRST_NAME = "Anonymised"
BATCH = 500  # people anonymised in one transaction by the retention run
REASON_MAX = 2000
ERASED = "the person's personal data was anonymised"


def anonymised_last_name(pk):
    return f"person {pk}"


def anonymised_staff_number(pk):
    return f"ANON-{pk}"


def placeholder_address(kind, pk):
    """An address that names nobody and reaches nobody (.invalid is reserved, RFC 2606)."""
    return f"anonymised-{kind}-{pk}@example.invalid"


# ---------------------------------------------------------------------------------------------
# Anonymising
# ---------------------------------------------------------------------------------------------


def staff_anonymise(*, staff, reason, actor, now=None, request=None) -> Anonymisation:
    """Erasure on request: a lead anonymises one person at once, with the reason.

    Refused, with nothing written, without a reason or for someone already anonymised.
    """
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError("Enter the reason for erasing this person's personal data.")
    if len(reason) > REASON_MAX:
        raise ValidationError(f"The reason must be {REASON_MAX:,} characters or fewer.")
    with transaction.atomic():
        done = staff_anonymise_many(
            staff_ids=[staff.pk], kind=Anonymisation.Kind.ERASURE, reason=reason, actor=actor, now=now
        )
        if not done:
            raise ValidationError("This person's personal data has already been anonymised.")
        audit_record(
            action=actions.ERASURE,
            request=request,
            user=acting_user(actor),
            target=("staff member", str(staff.pk), f"staff #{staff.pk}"),
            detail=f"Erased the personal data of staff #{staff.pk}: {reason}"[:500],
            extra={"staff_id": staff.pk, "reason": reason},
        )
    return Anonymisation.objects.get(staff_id=staff.pk)


def staff_anonymise_many(*, staff_ids, kind, reason="", actor=None, now=None) -> int:
    """Anonymise these people (those not anonymised already) in the caller's transaction, or in one
    of its own. Returns how many were anonymised. The rows are locked first, so two runs at the
    same time (the nightly task and the command, or a lead's erasure) never do one person twice."""
    now = now or timezone.now()
    user = acting_user(actor)
    with transaction.atomic():
        people = list(
            StaffMember.objects.select_for_update()
            .filter(pk__in=staff_ids)
            .filter(~Exists(Anonymisation.objects.filter(staff_id=OuterRef("pk"))))
            .order_by("pk")
        )
        if not people:
            return 0
        ids = [person.pk for person in people]
        emails = _addresses_of(ids)
        _staff_rows(people, kind=kind, user=user, now=now)
        files = _training_rows(ids)
        _outbox_rows(ids, emails)
        _feedback_rows(ids)
        SigninLink.objects.filter(Q(email__in=emails)).delete()
        DigestOptOut.objects.filter(email__in=emails).delete()
        Anonymisation.objects.bulk_create(
            Anonymisation(staff_id=pk, kind=kind, reason=reason, actor=user, anonymised_at=now) for pk in ids
        )
        # Files go only once the rows no longer point at them; a rollback keeps both.
        transaction.on_commit(lambda: _delete_files(files))
    return len(ids)


def _addresses_of(ids):
    """Every address these people had: today's and any in their history."""
    history = get_history_model_for_model(StaffMember)
    emails = set(StaffMember.objects.filter(pk__in=ids).values_list("email", flat=True))
    emails |= set(history.objects.filter(id__in=ids).values_list("email", flat=True))
    return sorted(emails - {""})


STAFF_SCRUBBED = {"email": "", "line_manager_email": "", "job_title": ""}


def _staff_rows(people, *, kind, user, now):
    """The staff rows (with one history row saying they were anonymised), then every earlier
    history row of theirs, so the history of changes shows nothing that names them."""
    for person in people:
        person.first_name = ANONYMISED_FIRST_NAME
        person.last_name = anonymised_last_name(person.pk)
        person.staff_number = anonymised_staff_number(person.pk)
        person.user = None
        person.updated_at = now
        for field, value in STAFF_SCRUBBED.items():
            setattr(person, field, value)
    fields = ["first_name", "last_name", "staff_number", "user", "updated_at", *STAFF_SCRUBBED]
    why = (
        "Anonymised on request"
        if kind == Anonymisation.Kind.ERASURE
        else "Anonymised: retention period ended"
    )
    bulk_update_with_history(
        people,
        StaffMember,
        fields,
        batch_size=BATCH,
        default_user=user,
        default_change_reason=why,
        default_date=now,
    )
    history = get_history_model_for_model(StaffMember)
    history.objects.filter(id__in=[person.pk for person in people]).update(
        first_name=ANONYMISED_FIRST_NAME,
        last_name=Concat(Value("person "), Cast("id", CharField())),
        staff_number=Concat(Value("ANON-"), Cast("id", CharField())),
        user=None,
        **STAFF_SCRUBBED,
    )


COMPLETION_SCRUBBED = {"certificate": "", "certificate_reference": "", "notes": "", "rejection_reason": ""}


def _training_rows(ids):
    """Completions keep their dates, source and verification (the figures), bookings their session
    and attendance; their free text and certificates go, in the rows and their history. Returns
    the certificate files to delete."""
    completion_history = get_history_model_for_model(Completion)
    files = set(
        Completion.objects.filter(staff_id__in=ids)
        .exclude(certificate="")
        .values_list("certificate", flat=True)
    )
    files |= set(
        completion_history.objects.filter(staff_id__in=ids)
        .exclude(certificate="")
        .values_list("certificate", flat=True)
    )
    Completion.objects.filter(staff_id__in=ids).update(**COMPLETION_SCRUBBED)
    completion_history.objects.filter(staff_id__in=ids).update(**COMPLETION_SCRUBBED)
    for model, field in ((Exemption, "details"), (Assignment, "reason"), (Booking, "cancel_reason")):
        model.objects.filter(staff_id__in=ids).update(**{field: ""})
        get_history_model_for_model(model).objects.filter(staff_id__in=ids).update(**{field: ""})
    return sorted(files)


def _feedback_rows(ids):
    """Evaluations keep their scores (the summaries unchanged); what the person wrote goes, from
    the history too, and so do the links to their feedback forms."""
    from courses.models import Feedback, FeedbackLink

    bookings = Booking.objects.filter(staff_id__in=ids)
    FeedbackLink.objects.filter(booking__in=bookings).delete()
    Feedback.objects.filter(booking__in=bookings).update(comments="")
    Feedback.history.filter(booking_id__in=bookings.values("id")).update(comments="")


def _outbox_rows(ids, emails):
    """Reminder items about these people keep their kind, dates, stage and status; the address
    they went to becomes a placeholder when it was the person's own. The emails that carried them,
    or went to the person, lose their subject and bodies."""
    items = ReminderItem.objects.filter(staff_id__in=ids)
    # Nothing waiting about them, or to their address, is sent any more.
    items.filter(status=ItemStatus.PENDING).update(status=ItemStatus.CANCELLED, reason=ERASED)
    ReminderMessage.objects.filter(recipient__in=emails, status=MessageStatus.PENDING).update(
        status=MessageStatus.CANCELLED, reason=ERASED
    )
    ReminderItem.objects.filter(recipient__in=emails, status=ItemStatus.PENDING).update(
        status=ItemStatus.CANCELLED, reason=ERASED
    )
    message_ids = set(items.exclude(message_id=None).values_list("message_id", flat=True))
    message_ids |= set(ReminderMessage.objects.filter(recipient__in=emails).values_list("id", flat=True))
    for email in emails:
        own = items.filter(recipient=email)
        placeholder = Concat(
            Value("anonymised-staff-"), Cast("staff_id", CharField()), Value("@example.invalid")
        )
        own.update(
            recipient=placeholder,
            series=Replace("series", Value(email), placeholder),
            last_error=Replace("last_error", Value(email), Value("(address removed)")),
        )
    messages = ReminderMessage.objects.filter(id__in=message_ids)
    messages.update(subject="", text_body="", html_body="", headers={}, last_error="", reason="")
    messages.filter(recipient__in=emails).update(
        recipient=Concat(Value("anonymised-message-"), Cast("id", CharField()), Value("@example.invalid"))
    )


def _delete_files(names):
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            logger.exception("Could not delete certificate file %s", name)


# ---------------------------------------------------------------------------------------------
# The retention run
# ---------------------------------------------------------------------------------------------


@dataclass
class RetentionResult:
    anonymised_staff: int = 0
    files_deleted: int = 0
    messages_purged: int = 0

    def as_dict(self):
        return asdict(self)


def leaver_cutoff(today):
    """People who left on or before this date are past the retention period on `today`."""
    return add_months(today, -12 * settings.RETENTION_LEAVER_YEARS)


def body_cutoff(today):
    """Emails of a planner day on or before this date lose their bodies on `today`."""
    return add_months(today, -12 * settings.RETENTION_OUTBOX_BODY_YEARS)


def leavers_due(*, today):
    cutoff = leaver_cutoff(today)
    return StaffMember.objects.filter(left_on__lte=cutoff, anonymisation__isnull=True)


def messages_due(*, today):
    return ReminderMessage.objects.filter(day__lte=body_cutoff(today)).exclude(text_body="", html_body="")


def retention_run(*, today=None, dry_run=False, triggered_by="schedule") -> RetentionResult:
    """Apply every retention period on `today` (PRODUCT.md section 13):

    - leavers RETENTION_LEAVER_YEARS after their leaving date are anonymised (staff_anonymise_many);
    - uploaded spreadsheets go RETENTION_UPLOAD_DAYS after their import finished, refused ones
      after RETENTION_REFUSED_UPLOAD_DAYS (imports.services.import_files_purge), records kept;
    - reminder emails lose their bodies after RETENTION_OUTBOX_BODY_YEARS; the rows and their
      items' statuses stay.

    With `dry_run` nothing is written: the counts say what a run would do. A real run is recorded
    (RetentionRun) with its counts, for the lead's page. A second run the same day finds nothing.
    """
    today = today or timezone.localdate()
    if dry_run:
        return RetentionResult(
            anonymised_staff=leavers_due(today=today).count(),
            files_deleted=import_services.import_files_due(today=today).count(),
            messages_purged=messages_due(today=today).count(),
        )
    run = RetentionRun.objects.create(ran_on=today, started_at=timezone.now(), triggered_by=triggered_by)
    result = RetentionResult()
    # Old email texts first, so the count is the dry run's: anonymising empties some of them too.
    result.messages_purged = messages_due(today=today).update(text_body="", html_body="", headers={})
    result.files_deleted = import_services.import_files_purge(today=today)
    ids = list(leavers_due(today=today).order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        result.anonymised_staff += staff_anonymise_many(
            staff_ids=ids[start : start + BATCH], kind=Anonymisation.Kind.RETENTION
        )
    RetentionRun.objects.filter(pk=run.pk).update(finished_at=timezone.now(), **result.as_dict())
    logger.info("Retention run for %s: %s", today, result.as_dict())
    return result


# ---------------------------------------------------------------------------------------------
# The privacy notice
# ---------------------------------------------------------------------------------------------


def privacy_notice_save(*, text, actor) -> PrivacyNotice:
    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        raise ValidationError("Enter the text of the privacy notice.")
    notice = PrivacyNotice.objects.order_by("pk").first() or PrivacyNotice()
    notice.text = text
    notice.updated_by = acting_user(actor)
    notice._history_user = notice.updated_by
    notice.save()
    return notice
