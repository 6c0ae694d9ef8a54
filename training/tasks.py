"""Celery tasks of the training app. Tasks take ids, load, and call one service.

Providers' completion files are checked and recorded here, acknowledged after they ran; the
services claim each step with a conditional update, so a redelivered message changes nothing.
"""

import logging

from celery import shared_task

from workforce.imports import ImportRefused
from workforce.models import ImportRecord

from . import completion_import, emails
from .models import Completion

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True, acks_late=True)
def completion_import_validate_task(import_id):
    """Check an uploaded completion file and store its preview, updating the record's progress."""
    record = ImportRecord.objects.filter(pk=import_id, kind=ImportRecord.Kind.COMPLETIONS).first()
    if record is None:
        return
    completion_import.completion_import_validate(import_record=record)


@shared_task(ignore_result=True, acks_late=True)
def completion_import_commit_task(import_id):
    """Record a confirmed completion file as the person who confirmed it."""
    record = (
        ImportRecord.objects.select_related("confirmed_by")
        .filter(pk=import_id, kind=ImportRecord.Kind.COMPLETIONS)
        .first()
    )
    if record is None:
        return
    try:
        completion_import.completion_import_commit(import_record=record, actor=record.confirmed_by)
    except ImportRefused as exc:
        logger.info("Completion file import #%s refused: %s", import_id, exc.message)


@shared_task(
    ignore_result=True,
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=30,
    retry_backoff_max=600,
    max_retries=5,
)
def completion_outcome_email_task(*, completion_id):
    """Tell a staff member that a lead verified or rejected their self-declared completion
    (queued by training.services after the decision is committed). A mail server that is down is
    retried with backoff (smtplib's errors are OSErrors)."""
    completion = (
        Completion.objects.select_related("staff", "module", "staff__agency").filter(pk=completion_id).first()
    )
    if completion is None:
        return
    emails.completion_outcome_send(completion=completion)


@shared_task(ignore_result=True)
def compliance_snapshot_task():
    """Record today's compliance figures for the dashboard's trend (beat: daily at 02:15).

    Takes no ids: the date is today in Europe/London when it runs, and a re-run on the same day
    updates the same rows (training.snapshots.compliance_snapshot_take).
    """
    from django.utils import timezone

    from .snapshots import compliance_snapshot_take

    compliance_snapshot_take(on=timezone.localdate())
