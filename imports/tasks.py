"""Celery tasks of the import engine. Tasks take ids, load, and call one service.

Imports run here so that a large file never holds up a web request. Each task is acknowledged
after it ran (a worker that dies mid-way leaves the message to be delivered again), and the
services claim their step with a conditional update of the record's status, so a redelivered or
duplicated message changes nothing. Old uploads are deleted by the nightly
retention run (privacy.tasks.retention_run_task).
"""

import logging

from celery import shared_task

from . import kinds, services
from .models import ImportRecord

logger = logging.getLogger(__name__)


def _record(import_id):
    return ImportRecord.objects.select_related("agency", "confirmed_by").filter(pk=import_id).first()


@shared_task(ignore_result=True, acks_late=True)
def import_validate_task(import_id):
    """Check an uploaded file and store its preview, updating the record's progress."""
    record = _record(import_id)
    if record is None:
        return
    services.import_validate(import_record=record)


@shared_task(ignore_result=True, acks_late=True)
def import_commit_task(import_id):
    """Apply a confirmed import as the person who confirmed it, with what they confirmed."""
    record = _record(import_id)
    if record is None:
        return
    confirmation = {name: getattr(record, name) for name in kinds.get(record.kind).confirmation_fields}
    try:
        services.import_commit(import_record=record, actor=record.confirmed_by, **confirmation)
    except services.ImportRefused as exc:
        # The refusal is on the record for the person to read; nothing to retry.
        logger.info("Import #%s refused: %s", import_id, exc.message)
