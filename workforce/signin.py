"""Emailed sign-in links: how a staff member opens their own record without an account.

A staff member enters their work email address. Whatever the address, the page answers the same
(it never reveals whether someone is on a staff list), and the email itself is queued for the
worker, so that the answer takes as long whether or not an email goes out. An address belonging to
current staff (not leavers) gets one email with one link; when the address is on two agencies'
staff lists, the one link opens both records and the person picks.

The link carries nothing but a random token (32 bytes from `secrets`): no id, no address, nothing
that decodes to either. The database keeps only the token's SHA-256, with the address and the
records it opens (workforce.models.SigninLink). Opening the link (GET) shows a page with a
"Continue to your record" button and signs no one in, so a mail scanner that fetches every link
opens no session; the button's POST uses the link up. It works once, for seven days, and stops
working sooner when the person leaves or their work address changes. A used or expired link offers
a fresh one.

Requests are limited through Django's cache, which every process shares (the database cache by
default, Redis where it runs): a few links per address per hour, so the form cannot be used to
flood anyone's inbox, and a ceiling per client address, so it cannot be used to mail many inboxes.
"""

import datetime
import functools
import hashlib
import logging
import secrets
import time
from email.utils import formataddr

from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from . import rules
from .emails import privacy_notice_url, subject_render
from .models import SigninLink, StaffMember

logger = logging.getLogger(__name__)

LINK_MAX_AGE = datetime.timedelta(days=7)
RATE_WINDOW_SECONDS = 60 * 60

EXPIRED = "expired"
INVALID = "invalid"
NO_LONGER_VALID = "no_longer_valid"
USED = "used"


class LinkRefused(Exception):
    """A sign-in link that cannot be used; `reason` says why, `email` is the address a used, expired
    or out-of-date link was sent to (to offer a fresh link; unknown for an unknown token)."""

    def __init__(self, reason, email=""):
        super().__init__(reason)
        self.reason = reason
        self.email = email


def normalise_email(email) -> str:
    return (email or "").strip().lower()


def staff_for_email(email, *, today):
    """The staff records a sign-in link for `email` opens: everyone with that work address who has
    not left (a new starter too, before their start date: they can see what will be asked)."""
    email = normalise_email(email)
    if not email:
        return StaffMember.objects.none()
    return (
        StaffMember.objects.filter(email=email)
        .filter(rules.not_left_q(today))
        .select_related("agency")
        .order_by("agency__name", "staff_number")
    )


# ---------------------------------------------------------------------------------------------
# Tokens and links: random, stored hashed, once, by POST, for seven days
# ---------------------------------------------------------------------------------------------


def _hash(token) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def signin_token(*, staff_ids, email) -> str:
    """A new link's token: 32 random bytes, nothing else (no id, no address, nothing to decode).
    Only its hash is stored."""
    token = secrets.token_urlsafe(32)
    SigninLink.objects.create(
        token_hash=_hash(token),
        email=normalise_email(email),
        staff_ids=sorted(staff_ids),
        created_at=timezone.now(),
    )
    return token


def signin_url(*, staff_ids, email) -> str:
    token = signin_token(staff_ids=staff_ids, email=email)
    return settings.SITE_URL + reverse("staff_signin_open", kwargs={"token": token})


def signin_url_for_staff(staff, *, today=None):
    """A fresh sign-in link for one person (for example in a reminder), or None when they cannot be
    reached or have left. It opens every current record with the same address, like a requested link."""
    today = today or timezone.localdate()
    if not staff.email:
        return None
    ids = list(staff_for_email(staff.email, today=today).values_list("pk", flat=True))
    if not ids:
        return None
    return signin_url(staff_ids=ids, email=staff.email)


def link_expires_on(*, today) -> datetime.date:
    return today + LINK_MAX_AGE


def _link_for(token):
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        raise LinkRefused(INVALID)
    link = SigninLink.objects.filter(token_hash=_hash(token)).first()
    if link is None:
        raise LinkRefused(INVALID)
    return link


def _check(link, *, today):
    if link.used_at is not None:
        raise LinkRefused(USED, link.email)
    if timezone.now() - link.created_at > LINK_MAX_AGE:
        raise LinkRefused(EXPIRED, link.email)
    ids = [pk for pk in link.staff_ids if isinstance(pk, int)] if isinstance(link.staff_ids, list) else []
    current = StaffMember.objects.filter(pk__in=ids, email=link.email).filter(rules.not_left_q(today))
    staff = list(current.select_related("agency"))
    if not staff:
        raise LinkRefused(NO_LONGER_VALID, link.email)
    return staff


def staff_for_token(token, *, today=None) -> list:
    """The staff records a link would open, or LinkRefused saying why; uses nothing up (the GET
    page that shows the "Continue" button asks this).

    An unknown token is INVALID; one used before is USED; one older than seven days is EXPIRED; a
    fresh one whose people have all left, or whose address is no longer theirs, is NO_LONGER_VALID.
    """
    return _check(_link_for(token), today=today or timezone.localdate())


def signin_link_use(token, *, today=None) -> list:
    """Use a link (the POST of "Continue to your record"): the records it opens, or LinkRefused.
    The link is marked used in one conditional UPDATE, so two requests at once cannot both use it."""
    today = today or timezone.localdate()
    link = _link_for(token)
    staff = _check(link, today=today)
    used = SigninLink.objects.filter(pk=link.pk, used_at__isnull=True).update(used_at=timezone.now())
    if not used:
        raise LinkRefused(USED, link.email)
    return staff


def signin_links_purge(*, now=None) -> int:
    """Delete links that can no longer be used (expired a day ago); returns how many."""
    now = now or timezone.now()
    deleted, _ = SigninLink.objects.filter(
        created_at__lt=now - LINK_MAX_AGE - datetime.timedelta(days=1)
    ).delete()
    return deleted


# ---------------------------------------------------------------------------------------------
# Requests: the same answer for every address, at most a few emails per address per hour
# ---------------------------------------------------------------------------------------------


def _address_key(email) -> str:
    # Hashed: the cache holds no addresses, and keys stay short and safe for every backend.
    return "staff-signin:address:" + hashlib.sha256(email.encode()).hexdigest()


def _take_address_slot(email) -> bool:
    """Each link sent takes one of the address's slots for an hour; with every slot taken, no more.

    cache.add is atomic on every backend (Redis SET NX, an insert in the database cache), so two
    requests at once cannot take the same slot: the limit holds however many processes serve.
    """
    base = _address_key(email)
    now = int(time.time())
    for slot in range(settings.STAFF_SIGNIN_LINKS_PER_ADDRESS_PER_HOUR):
        if cache.add(f"{base}:{slot}", now, timeout=RATE_WINDOW_SECONDS):
            return True
    return False


def _within_client_limit(client_ip) -> bool:
    """A fixed hourly count of requests per client address (any email address)."""
    if not client_ip:
        return True
    key = f"staff-signin:client:{hashlib.sha256(client_ip.encode()).hexdigest()}:{int(time.time()) // 3600}"
    cache.add(key, 0, timeout=2 * RATE_WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=2 * RATE_WINDOW_SECONDS)
        count = 1
    # The database cache's incr rewrites the row with the default timeout; keep the full hour.
    cache.touch(key, 2 * RATE_WINDOW_SECONDS)
    return count <= settings.STAFF_SIGNIN_REQUESTS_PER_CLIENT_PER_HOUR


def signin_link_request(*, email, client_ip="", today=None) -> bool:
    """Someone asked for a sign-in link for `email`. Queues the email when the address belongs to
    current staff and the limits allow; returns whether an email was due (for logs and tests
    only: the person asking is told the same thing either way).

    Queued once the transaction commits, as every task is; `robust` logs a broker outage rather
    than raising it, so that an outage does not change the answer the person sees either."""
    today = today or timezone.localdate()
    email = normalise_email(email)
    if not _within_client_limit(client_ip):
        logger.warning("Sign-in link refused: too many requests from one client this hour.")
        return False
    if not _take_address_slot(email):
        logger.info("Sign-in link refused: the hourly limit for one address was reached.")
        return False
    staff_ids = list(staff_for_email(email, today=today).values_list("pk", flat=True))
    if not staff_ids:
        return False
    from .tasks import signin_link_send_task

    transaction.on_commit(
        functools.partial(signin_link_send_task.delay, staff_ids=staff_ids, email=email), robust=True
    )
    return True


def signin_link_send_for(*, staff, actor, today=None) -> str:
    """A lead or the person's HR sends them a fresh sign-in link from their page: the same email,
    through the same task, as a link the person asks for, and within the same hourly limit per
    address (so a page reloaded in a loop cannot flood anyone). Returns "queued", "no_email",
    "left" or "limit"."""
    today = today or timezone.localdate()
    email = normalise_email(staff.email)
    if not email:
        return "no_email"
    staff_ids = list(staff_for_email(email, today=today).values_list("pk", flat=True))
    if staff.pk not in staff_ids:
        return "left"
    if not _take_address_slot(email):
        return "limit"
    from .tasks import signin_link_send_task

    transaction.on_commit(
        functools.partial(signin_link_send_task.delay, staff_ids=staff_ids, email=email), robust=True
    )
    logger.info("Sign-in link for staff %s queued, asked by %s.", staff.pk, actor)
    return "queued"


def signin_link_send(*, staff_ids, email, today=None) -> bool:
    """Send the sign-in email for these staff records to `email` (the worker calls this). Checks
    again that the people have not left and still use this address; returns whether it sent."""
    today = today or timezone.localdate()
    staff = list(staff_for_email(email, today=today).filter(pk__in=staff_ids).select_related("job_role"))
    if not staff:
        return False
    context = {
        "staff": staff,
        "first_name": staff[0].first_name,
        "url": signin_url(staff_ids=[person.pk for person in staff], email=email),
        "expires_on": link_expires_on(today=today),
        "days": LINK_MAX_AGE.days,
        "site_url": settings.SITE_URL,
        "request_url": settings.SITE_URL + reverse("staff_signin"),
        "privacy_url": privacy_notice_url(),
    }
    message = EmailMultiAlternatives(
        subject=subject_render("workforce/email/signin_link-subject.txt", context),
        body=render_to_string("workforce/email/signin_link-body.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[formataddr((staff[0].full_name, email))],
        headers={"Auto-Submitted": "auto-generated"},
    )
    html = render_to_string("workforce/email/signin_link-body.html", context)
    message.attach_alternative(html, "text/html")
    message.send()
    logger.info("Sent a sign-in link for staff %s.", [person.pk for person in staff])
    return True
