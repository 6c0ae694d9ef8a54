"""Celery tasks of the training app. Tasks take ids, load, and call one service."""

from celery import shared_task

from . import emails
from .models import Completion


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
