"""Links that open an attendee's feedback form without signing in (PRODUCT.md section 9).

A link carries nothing but a random token (32 bytes from `secrets`): no booking id, no address,
nothing that decodes to either. The database keeps only the token's SHA-256 with the booking
(courses.models.FeedbackLink), as strategy.owner_links and workforce.signin do. It opens that
booking's feedback form and nothing else for LINK_MAX_AGE; once the feedback is given the form
says so and takes no second answer (courses.services.feedback_record).
"""

import datetime
import hashlib
import secrets

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from .models import FeedbackLink

LINK_MAX_AGE = datetime.timedelta(days=60)

EXPIRED = "expired"
INVALID = "invalid"


class LinkRefused(Exception):
    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def _hash(token) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feedback_token(booking, *, now=None) -> str:
    """A new link's token for the booking; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    FeedbackLink.objects.create(token_hash=_hash(token), booking=booking, created_at=now or timezone.now())
    return token


def feedback_url(booking, *, now=None) -> str:
    path = reverse("courses:feedback", kwargs={"token": feedback_token(booking, now=now)})
    return f"{settings.SITE_URL}{path}"


def booking_for_token(token, *, now=None):
    """The booking the link opens, or LinkRefused saying why."""
    now = now or timezone.now()
    link = None
    if isinstance(token, str) and 20 <= len(token) <= 100:
        link = (
            FeedbackLink.objects.select_related("booking__session__module", "booking__staff")
            .filter(token_hash=_hash(token))
            .first()
        )
    if link is None:
        raise LinkRefused(INVALID)
    if now - link.created_at > LINK_MAX_AGE:
        raise LinkRefused(EXPIRED)
    return link.booking


def feedback_links_purge(*, now=None) -> int:
    """Delete links that expired more than a day ago; returns how many."""
    now = now or timezone.now()
    deleted, _ = FeedbackLink.objects.filter(
        created_at__lt=now - LINK_MAX_AGE - datetime.timedelta(days=1)
    ).delete()
    return deleted
