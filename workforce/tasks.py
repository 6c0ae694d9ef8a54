"""Celery tasks of the workforce app. Tasks take ids, load, and call one service.

Staff-list imports run here so that a large file never holds up a web request. Each task is
acknowledged after it ran (a worker that dies mid-way leaves the message to be delivered again),
and the services claim their step with a conditional update of the record's status, so a
redelivered or duplicated message changes nothing. The daily purge of old uploads is scheduled in
config/celery_app.py.
"""

import logging
import smtplib

from celery import shared_task
from django.utils import timezone

from . import imports, signin, staff_import
from .imports import ImportRefused
from .models import ImportRecord

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True, acks_late=True)
def staff_import_validate_task(import_id):
    """Check an uploaded staff list and store its preview, updating the record's progress."""
    record = ImportRecord.objects.select_related("agency").filter(pk=import_id).first()
    if record is None:
        return
    staff_import.staff_import_validate(import_record=record)


@shared_task(ignore_result=True, acks_late=True)
def staff_import_commit_task(import_id):
    """Apply a confirmed staff list with the options the person confirmed."""
    record = ImportRecord.objects.select_related("agency", "confirmed_by").filter(pk=import_id).first()
    if record is None:
        return
    try:
        staff_import.staff_import_commit(
            import_record=record,
            actor=record.confirmed_by,
            confirm_mass_leavers=record.confirm_mass_leavers,
        )
    except ImportRefused as exc:
        # The refusal is on the record for the person to read; nothing to retry.
        logger.info("Staff list import #%s refused: %s", import_id, exc.message)


@shared_task(ignore_result=True)
def import_files_purge_task():
    """Delete uploaded files whose import finished more than 30 days ago (the records stay)."""
    deleted = imports.import_files_purge(today=timezone.localdate())
    logger.info("Deleted %s uploaded import files", deleted)


@shared_task(
    ignore_result=True,
    acks_late=True,
    autoretry_for=(OSError, smtplib.SMTPException),
    retry_backoff=30,
    retry_backoff_max=600,
    max_retries=5,
)
def signin_link_send_task(*, staff_ids, email):
    """Email a requested sign-in link. Queued rather than sent in the request, so that the page
    answers as fast for an unknown address as for a known one. A mail server that is down is
    retried with backoff; a link sent twice after a redelivery is harmless."""
    signin.signin_link_send(staff_ids=staff_ids, email=email)
