"""Celery tasks of the workforce app. Tasks take ids, load, and call one service."""

import smtplib

from celery import shared_task

from . import services, signin


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


@shared_task(ignore_result=True)
def signin_links_purge_task():
    """Delete sign-in links that can no longer be used (beat, daily)."""
    signin.signin_links_purge()


@shared_task(ignore_result=True, acks_late=True)
def export_job_build_task(*, job_id):
    """Write a large export's file (the reports queue). Redelivered after a lost worker, it does
    nothing unless the job was left running (workforce.services.export_job_build)."""
    services.export_job_build(job_id=job_id)


@shared_task(ignore_result=True)
def export_jobs_purge_task():
    """Delete large exports past their time, and their files (beat, hourly)."""
    services.export_jobs_purge()
