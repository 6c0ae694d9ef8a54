"""Emails of the training app: one function per kind of message.

Each kind has `<kind>-subject.txt`, `<kind>-body.txt` and `<kind>-body.html` under
training/templates/training/email/. They go out through Django's email backend from
DEFAULT_FROM_EMAIL, and every link in them is built from SITE_URL.
"""

import logging
from email.utils import formataddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from workforce.emails import privacy_notice_url, subject_render
from workforce.signin import signin_url_for_staff

from .models import Verification

logger = logging.getLogger(__name__)


def _send(*, kind, to, context):
    message = EmailMultiAlternatives(
        subject=subject_render(f"training/email/{kind}-subject.txt", context),
        body=render_to_string(f"training/email/{kind}-body.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={"Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(render_to_string(f"training/email/{kind}-body.html", context), "text/html")
    message.send()


def completion_outcome_send(*, completion) -> bool:
    """Tell the person whether their self-declared completion was verified or rejected (and why).
    Returns False, sending nothing, when the person has no email address or nothing was decided."""
    staff = completion.staff
    kinds = {Verification.VERIFIED: "completion_verified", Verification.REJECTED: "completion_rejected"}
    kind = kinds.get(completion.verification)
    if kind is None or completion.source != "self_declared":
        return False
    if not staff.email:
        logger.info("Completion %s decided; %s has no email address to tell.", completion.pk, staff.pk)
        return False
    context = {
        "staff": staff,
        "completion": completion,
        "module": completion.module,
        "record_url": signin_url_for_staff(staff),
        "signin_url": settings.SITE_URL + reverse("staff_signin"),
        "privacy_url": privacy_notice_url(),
    }
    _send(kind=kind, to=formataddr((staff.full_name, staff.email)), context=context)
    logger.info("Sent %s for completion %s.", kind, completion.pk)
    return True
