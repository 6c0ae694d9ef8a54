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


@shared_task(ignore_result=True)
def compliance_state_roll_task():
    """Move the maintained compliance state to today (beat: daily at 00:05), refreshing the pairs
    whose status changes today. Takes no ids: a re-run the same day finds nothing to do."""
    from django.utils import timezone

    from .state import pair_states_roll

    pair_states_roll(today=timezone.localdate())


@shared_task(ignore_result=True)
def compliance_state_check_task():
    """Compare the maintained state with the pure rules and repair what differs (beat: daily at
    01:30); a difference is logged as an error, because a writer missed a refresh."""
    import logging

    from .state import pair_states_check

    differed = pair_states_check(repair=True)
    if differed:
        logging.getLogger(__name__).error(
            "The compliance state differed from the rules in %s pairs or counts; repaired.", differed
        )
