"""Every write of the reminder engine: planning, sending, sweeping, resending, preferences.

Exactly once, never lost (PRODUCT.md section 4):
- planning writes outbox rows under a unique key with conflict-ignoring inserts, then queues the
  messages after the transaction commits;
- a sender claims a message with a conditional UPDATE (pending -> sending), so a second worker,
  a retried task or a re-queued copy finds nothing to do;
- a message whose queueing was lost, or whose worker died, is found again by the sweeper.
"""

import datetime
import hashlib
import json
import logging
import random
import secrets
import smtplib
import uuid
from dataclasses import dataclass, field
from typing import NamedTuple

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone

from workforce.database import analyze, gc_paused, heavy_reads
from workforce.services import acting_user

from . import emails, notify, rules, sources
from .models import (
    DigestLink,
    DigestOptOut,
    ItemStatus,
    MessageStatus,
    PlannerRun,
    ReminderItem,
    ReminderMessage,
    ReminderPause,
    ReminderPolicy,
)
from .rules import Kind
from .selectors import planning, recheck

logger = logging.getLogger(__name__)


def _local_time(day: datetime.date, at: datetime.time) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, at), timezone.get_default_timezone())


# ---------------------------------------------------------------------------------------------
# Planning
# ---------------------------------------------------------------------------------------------


@dataclass
class PlanResult:
    day: datetime.date
    planned: dict[str, int]
    skipped: int
    superseded: int
    message_ids: list[int] = field(default_factory=list)


def reminders_plan(
    *, day: datetime.date, queue: bool = True, now: datetime.datetime | None = None, only=None
) -> PlanResult:
    """Plan every reminder due on `day` across the partnership and group them into messages.

    Running it twice for the same day adds nothing: the second run finds every latest stage's key
    already in the outbox. Messages due now are queued after the transaction commits (`queue`);
    the send_reminders command sends them itself instead. `only` (a list of sources) plans just
    theirs, at once, outside the day's run (a booking's confirmation): the day's run is left as
    it was, and plans the same keys again harmlessly.
    """
    now = now or timezone.now()
    if only is None:
        PlannerRun.objects.bulk_create(
            [PlannerRun(day=day, started_at=now)],
            update_conflicts=True,
            unique_fields=["day"],
            update_fields=["started_at", "finished_at"],
        )
    with heavy_reads():  # the read replica, when there is one: sending rechecks each item anyway
        plan = planning.reminder_plan(day=day, only=only)
    with transaction.atomic(), gc_paused():  # the first run writes a million rows
        if plan.superseded_ids:
            ReminderItem.objects.filter(id__in=plan.superseded_ids, status=ItemStatus.PENDING).update(
                status=ItemStatus.SKIPPED, reason=planning.SUPERSEDED
            )
        # Messages first, so that new items are written straight into them.
        open_messages = messages_open(day=day, recipients={item.recipient for item in plan.pending})
        if plan.items:
            items_insert(plan.items, day=day, now=now, open_messages=open_messages)
        messages_attach(
            day=day,
            open_messages=open_messages,
            digests=any(item.kind == Kind.MANAGER_DIGEST for item in plan.pending),
        )
        message_ids = _due_unqueued(now)
        if queue and message_ids:
            transaction.on_commit(lambda: messages_queue(message_ids))
        if only is None:
            PlannerRun.objects.filter(day=day).update(
                finished_at=timezone.now(),
                planned=plan.planned_by_kind(),
                skipped=len(plan.skipped),
                messages=len(message_ids),
            )
    skipped = len(plan.skipped)
    logger.info(
        "Planned reminders for %s: %s pending, %s skipped, %s messages to send",
        day,
        len(plan.pending),
        skipped,
        len(message_ids),
    )
    return PlanResult(day, plan.planned_by_kind(), skipped, len(plan.superseded_ids), message_ids)


def items_insert(
    items: list[sources.PlannedItem],
    *,
    day: datetime.date,
    now: datetime.datetime,
    open_messages: dict[str, int],
) -> None:
    """Insert planned items, ignoring any whose key is already in the outbox (the unique key is
    what makes planning twice harmless).

    On PostgreSQL one INSERT ... SELECT FROM unnest(...) ON CONFLICT DO NOTHING: the first run after
    go-live writes hundreds of thousands of rows (every earlier stage is recorded as skipped),
    which this does without a model instance or a query parameter per row. Elsewhere, Django's
    bulk_create with ignore_conflicts.
    """

    def message_of(item):
        return open_messages.get(item.recipient) if item.status == ItemStatus.PENDING else None

    if connection.vendor != "postgresql":
        ReminderItem.objects.bulk_create(
            [_item_row(item, day, message_of(item)) for item in items], ignore_conflicts=True
        )
        return
    # One text parameter per column, split and zipped back into rows by the server: no per-row
    # parameters to adapt and no temporary table. No value contains a newline (keys, addresses,
    # labels, dates, numbers and the engine's own reasons); an empty number is NULL.
    columns = {
        "key": ("uuid", [str(item.key) for item in items]),
        "series": ("text", [item.series for item in items]),
        "kind": ("text", [item.kind for item in items]),
        "recipient": ("text", [item.recipient for item in items]),
        "staff_id": ("bigint", [_number(item.staff_id) for item in items]),
        "module_id": ("bigint", [_number(item.module_id) for item in items]),
        "agency_id": ("bigint", [_number(item.agency_id) for item in items]),
        "cycle_date": ("date", [item.cycle_date.isoformat() for item in items]),
        "stage": ("text", [item.stage for item in items]),
        "stage_date": ("date", [item.stage_date.isoformat() for item in items]),
        "status": ("text", [item.status for item in items]),
        "reason": ("text", [item.reason for item in items]),
        "message_id": ("bigint", [_number(message_of(item)) for item in items]),
    }
    quote = connection.ops.quote_name
    null_if_empty = {"bigint": ", ''"}
    arrays = ", ".join(
        f"string_to_array(%s, E'\\n'{null_if_empty.get(kind, '')})::{kind}[]" for kind, _ in columns.values()
    )
    names = ", ".join(
        quote(name) for name in [*columns, "planned_for", "attempts", "last_error", "created_at"]
    )
    # string_to_array('') is an empty array, not one empty string: a lone empty text reads as NULL.
    values = ", ".join(
        f"COALESCE(u.{name}, '')" if kind == "text" else f"u.{name}" for name, (kind, _) in columns.items()
    )
    sql = (
        f"INSERT INTO {quote(ReminderItem._meta.db_table)} ({names}) "  # noqa: S608 - our own names
        f"SELECT {values}, %s, 0, '', %s FROM unnest({arrays}) AS u({', '.join(columns)}) "
        "ON CONFLICT (key) DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [day, now, *("\n".join(values) for _, values in columns.values())])
    # The next statements (messages_attach's UPDATE, the outbox pages) must be planned on the table
    # as it now is: see workforce.database.
    analyze(ReminderItem, rows=len(items))


def _number(value) -> str:
    return "" if value is None else str(value)


def _item_row(item: sources.PlannedItem, day: datetime.date, message_id: int | None) -> ReminderItem:
    return ReminderItem(
        key=item.key,
        series=item.series,
        kind=item.kind,
        recipient=item.recipient,
        staff_id=item.staff_id,
        module_id=item.module_id,
        agency_id=item.agency_id,
        cycle_date=item.cycle_date,
        stage=item.stage,
        stage_date=item.stage_date,
        status=item.status,
        reason=item.reason,
        planned_for=day,
        message_id=message_id,
    )


def messages_open(*, day: datetime.date, recipients: set[str]) -> dict[str, int]:
    """Each recipient's open message (by address), opening messages where needed: for the
    recipients of today's new items and of any items still waiting for a message.

    A recipient's open message is their pending message, whatever its day (one waiting for a
    retry takes today's items too, so they still get one email). Without one, a message for
    (recipient, day) is opened, unless that day's message has already gone: one email per
    recipient per day, so those items wait for the next day's run. A message cancelled because
    everything in it stopped applying sent nothing, so it is reopened. A handful of queries
    however many recipients.
    """
    # Items left pending on a message that went without them (attached while it was being sent).
    ReminderItem.objects.filter(status=ItemStatus.PENDING, message__status=MessageStatus.SENT).update(
        message=None
    )
    recipients = set(recipients) | set(
        _waiting(day).order_by().values_list("recipient", flat=True).distinct()
    )
    if not recipients:
        return {}
    open_ = _open_messages()
    todays = dict(ReminderMessage.objects.filter(day=day).values_list("recipient", "status"))
    missing = recipients - set(open_)
    to_open = sorted(recipient for recipient in missing if recipient not in todays)
    to_reopen = [recipient for recipient in missing if todays.get(recipient) == MessageStatus.CANCELLED]
    if to_open:
        _messages_insert(to_open, day=day)
    if to_reopen:
        ReminderMessage.objects.filter(
            day=day, status=MessageStatus.CANCELLED, recipient__in=to_reopen
        ).update(status=MessageStatus.PENDING, reason="", queued_at=None)
    if to_open or to_reopen:
        open_ = _open_messages()
    return {recipient: open_[recipient] for recipient in recipients if recipient in open_}


def _messages_insert(recipients: list[str], *, day: datetime.date) -> None:
    """New pending messages for (recipient, day), ignoring any that exist. On PostgreSQL one
    INSERT ... SELECT over the recipients (no model instance per row: the first run after go-live
    opens tens of thousands); the other columns take the model's defaults."""
    if connection.vendor != "postgresql":
        ReminderMessage.objects.bulk_create(
            [ReminderMessage(recipient=recipient, day=day) for recipient in recipients], ignore_conflicts=True
        )
        return
    template = ReminderMessage(recipient="", day=day)
    columns, values = [], []
    for model_field in ReminderMessage._meta.concrete_fields:
        if model_field.primary_key or model_field.name == "recipient":
            continue
        columns.append(connection.ops.quote_name(model_field.column))
        values.append(model_field.get_db_prep_save(model_field.pre_save(template, add=True), connection))
    table = connection.ops.quote_name(ReminderMessage._meta.db_table)
    placeholders = ", ".join(["%s"] * len(values))
    sql = (
        f"INSERT INTO {table} (recipient, {', '.join(columns)}) "  # noqa: S608 - our own names
        f"SELECT recipient, {placeholders} FROM unnest(string_to_array(%s, E'\\n')) AS recipient "
        "ON CONFLICT DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, "\n".join(recipients)])
    analyze(ReminderMessage, rows=len(recipients))


def _open_messages() -> dict[str, int]:
    # Normally at most one pending message per recipient; should there be two, the latest day's.
    rows = ReminderMessage.objects.filter(status=MessageStatus.PENDING).order_by("day", "id")
    return dict(rows.values_list("recipient", "id"))


def _waiting(day):
    """Pending items due by `day` that are in no message yet."""
    return ReminderItem.objects.filter(status=ItemStatus.PENDING, message__isnull=True, stage_date__lte=day)


def messages_attach(*, day: datetime.date, open_messages: dict[str, int], digests: bool) -> None:
    """Put items still waiting from earlier runs into their recipient's open message, and hold a
    message with a weekly digest until 08:00."""
    waiting = _waiting(day)
    if open_messages and waiting.exists():
        open_message = ReminderMessage.objects.filter(
            recipient=OuterRef("recipient"), status=MessageStatus.PENDING
        ).order_by("-day", "-id")
        waiting.update(message=Subquery(open_message.values("id")[:1]))
    if digests:
        # The weekly digest goes at 08:00; everything else in the same message waits with it.
        ReminderMessage.objects.filter(
            status=MessageStatus.PENDING,
            send_after__isnull=True,
            items__kind=Kind.MANAGER_DIGEST,
            items__status=ItemStatus.PENDING,
        ).update(send_after=_local_time(day, rules.MANAGER_DIGEST_SEND_TIME))


def _take_for_queue(messages, now) -> list[int]:
    """Ids of `messages`, marked as queued now (two queries however many). Another process taking
    the same message at the same moment only makes a second task, which finds it claimed."""
    ids = list(messages.order_by("id").values_list("id", flat=True))
    if ids:
        messages.update(queued_at=now)
    return ids


def _due_unqueued(now) -> list[int]:
    """Pending messages due now and not yet queued, marked queued. None while reminders are paused:
    they stay unqueued, and resuming queues them."""
    if reminders_paused():
        return []
    due = ReminderMessage.objects.filter(status=MessageStatus.PENDING, queued_at__isnull=True).filter(
        Q(send_after__isnull=True) | Q(send_after__lte=now)
    )
    return _take_for_queue(due, now)


def messages_queue(message_ids: list[int]) -> int:
    """Hand messages to the broker, one task per message, over one broker connection.

    A failure here loses nothing: the messages are rows marked as queued, and the sweeper queues
    them again 15 minutes later.
    """
    from .tasks import send_message  # the task module imports this one

    queued = 0
    try:
        with send_message.app.producer_or_acquire() as producer:
            for message_id in message_ids:
                send_message.apply_async((message_id,), producer=producer)
                queued += 1
    except Exception:
        logger.exception(
            "Could not queue %s of %s messages; the sweeper will retry",
            len(message_ids) - queued,
            len(message_ids),
        )
    return queued


# ---------------------------------------------------------------------------------------------
# Sending
# ---------------------------------------------------------------------------------------------


@dataclass
class SendOutcome:
    status: str  # "sent", "cancelled", "failed", "retry" or "not_claimed"
    sent: int = 0
    cancelled: int = 0
    failed: int = 0
    retry_in: float | None = None
    error: str = ""


class Claimed(NamedTuple):
    """A message this caller holds: what the sender needs of it (returned by the claim itself)."""

    id: int
    recipient: str
    attempts: int  # including this one


def message_claim(*, message_id: int, claim_token: str, now: datetime.datetime) -> Claimed | None:
    """Take a message for sending with one conditional UPDATE; the message when this caller has
    it, None when someone else does, it is not due, or reminders are paused (the switch is read
    in the same statement, so a message is either claimed before the pause or held by it).

    Claimable: a pending message whose time has come; or one marked sending by this same claim
    token (a Celery task redelivered after its worker died keeps its task id); or one whose claim
    is older than the lease (its worker is gone: the lease is longer than the send task's hard time
    limit).
    """
    lease = datetime.timedelta(seconds=settings.REMINDER_CLAIM_LEASE_SECONDS)
    # Plain SQL: every message goes through here, and building this through the ORM cost more
    # than running it. Portable: the same statement on PostgreSQL and SQLite.
    at = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(
            CLAIM_SQL,
            [MessageStatus.SENDING, at(now), claim_token, message_id, MessageStatus.PENDING, at(now)]
            + [MessageStatus.SENDING, claim_token, at(now - lease)],
        )
        row = cursor.fetchone()
    return Claimed(*row) if row else None


CLAIM_SQL = f"""
    UPDATE {ReminderMessage._meta.db_table}
       SET status = %s, claimed_at = %s, claimed_by = %s, attempts = attempts + 1
     WHERE id = %s
       AND ((status = %s AND (send_after IS NULL OR send_after <= %s))
            OR (status = %s AND (claimed_by = %s OR claimed_at < %s)))
       AND NOT EXISTS (SELECT 1 FROM {ReminderPause._meta.db_table} WHERE paused)
    RETURNING id, recipient, attempts
"""  # noqa: S608 - the table name is ours; every value is a parameter


def message_send(
    *,
    message_id: int,
    claim_token: str | None = None,
    connection=None,
    today: datetime.date | None = None,
    now: datetime.datetime | None = None,
) -> SendOutcome:
    """Send one message if this caller can claim it: re-check its items, render, send, record.

    A completion recorded since planning cancels its item with the reason; a message left with
    nothing to say is cancelled, not sent. Transient SMTP failures (disconnects, timeouts, 4xx) put
    the message back to pending with a retry delay; permanent ones (5xx) fail it with the error.
    """
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    claim_token = claim_token or uuid.uuid4().hex
    message = message_claim(message_id=message_id, claim_token=claim_token, now=now)
    if message is None:
        return SendOutcome("not_claimed")
    items = list(
        ReminderItem.objects.filter(message_id=message_id, status=ItemStatus.PENDING)
        .select_related("staff", "staff__agency", "staff__job_role", "module", "agency")
        .order_by()  # the email orders its parts itself; no ORDER BY to build or run
    )
    try:
        live, cancelled, facts = _recheck(items, today=today)
        if live:
            email = emails.message_render(recipient=message.recipient, items=live, facts=facts, today=today)
    except DatabaseError:
        raise  # the database is unreachable: the claim runs out and the sweeper tries again
    except Exception as exc:  # noqa: BLE001 - a bug must fail the message visibly, not loop for ever
        logger.exception("Could not build message %s", message_id)
        error = f"Could not build the email: {type(exc).__name__}: {exc}"
        unsent = [item for item in items if item.status == ItemStatus.PENDING]
        return _fail(message, claim_token, unsent, error, [], {})
    if not live:
        _finish(
            message,
            claim_token,
            status=MessageStatus.CANCELLED,
            reason="nothing left to send: " + _reasons(cancelled),
        )
        return SendOutcome("cancelled", cancelled=len(cancelled))
    # The email is stored with the outcome, so the outbox shows exactly what was (or would have
    # been) sent.
    stored = email.stored_fields()
    try:
        emails.deliver(email, connection=connection, reference=notify.message_reference(message_id))
    except Exception as exc:  # noqa: BLE001 - classified below; anything unknown is retried
        error = describe_smtp_error(exc)
        attempts = message.attempts  # loaded after the claim, which counted this attempt
        if is_transient(exc) and attempts < settings.REMINDER_MAX_ATTEMPTS:
            return _retry(message, claim_token, live, error, attempts, now, cancelled, stored)
        if is_transient(exc):
            error = f"Gave up after {attempts} attempts. Last error: {error}"
        return _fail(message, claim_token, live, error, cancelled, stored)
    _sent(message, claim_token, live, now, stored)
    return SendOutcome("sent", sent=len(live), cancelled=len(cancelled))


def _reasons(cancelled):
    return "; ".join(sorted({item.reason for item in cancelled})) or "no items"


def _recheck(items, *, today):
    """Split a message's items into those still due and those cancelled (written here)."""
    facts = recheck.message_facts(items, today=today)
    live, cancelled = [], []
    for item in items:
        reason = facts.reasons.get(item.id)
        if reason is None:
            live.append(item)
        else:
            superseded = reason.startswith(planning.SUPERSEDED)
            item.status = ItemStatus.SKIPPED if superseded else ItemStatus.CANCELLED
            item.reason = reason[:300]
            cancelled.append(item)
    if cancelled:
        ReminderItem.objects.bulk_update(cancelled, ["status", "reason"])
    return live, cancelled, facts


def _finish(message, claim_token, *, status, reason="", **fields):
    ReminderMessage.objects.filter(id=message.id, claimed_by=claim_token).update(
        status=status, reason=reason[:300], claimed_by="", **fields
    )


def _sent(message, claim_token, live, now, stored):
    """Record a sent message and its items. Items attached while it was on its way stay pending on
    it; the next planner run moves them to the next message."""
    if connection.vendor == "postgresql" and _sent_in_one_statement(message, claim_token, live, now, stored):
        return
    with transaction.atomic():
        updated = ReminderMessage.objects.filter(id=message.id, claimed_by=claim_token).update(
            status=MessageStatus.SENT, sent_at=now, last_error="", claimed_by="", reason="", **stored
        )
        if not updated:
            logger.warning("Message %s was sent but its claim had been released meanwhile", message.id)
            ReminderMessage.objects.filter(id=message.id).update(
                status=MessageStatus.SENT, sent_at=now, **stored
            )
        ReminderItem.objects.filter(id__in=[item.id for item in live]).update(
            status=ItemStatus.SENT, sent_at=now, attempts=F("attempts") + 1, last_error=""
        )


SENT_SQL = f"""
    WITH sent AS (
        UPDATE {ReminderMessage._meta.db_table}
           SET status = %s, sent_at = %s, last_error = '', claimed_by = '', reason = '',
               from_email = %s, reply_to = %s, subject = %s, text_body = %s, html_body = %s,
               headers = %s::jsonb
         WHERE id = %s AND claimed_by = %s
     RETURNING id
    )
    UPDATE {ReminderItem._meta.db_table}
       SET status = %s, sent_at = %s, attempts = attempts + 1, last_error = ''
     WHERE id = ANY(%s) AND EXISTS (SELECT 1 FROM sent)
"""  # noqa: S608 - table names are ours; every value is a parameter


def _sent_in_one_statement(message, claim_token, live, now, stored) -> bool:
    """The message and its items marked sent in one statement (one round trip, no transaction to
    open and commit: every message goes through here). False when the claim had been released
    meanwhile, which the general path records with a warning."""
    params = [MessageStatus.SENT, now, stored["from_email"], stored["reply_to"], stored["subject"]]
    params += [
        stored["text_body"],
        stored["html_body"],
        json.dumps(stored["headers"]),
        message.id,
        claim_token,
    ]
    params += [ItemStatus.SENT, now, [item.id for item in live]]
    with connection.cursor() as cursor:
        cursor.execute(SENT_SQL, params)
        return cursor.rowcount > 0


def _retry(message, claim_token, live, error, attempts, now, cancelled, stored):
    delay = rules.retry_delay(
        attempt=attempts,
        base_seconds=settings.REMINDER_RETRY_BACKOFF_SECONDS,
        max_seconds=settings.REMINDER_RETRY_BACKOFF_MAX_SECONDS,
        jitter=random.random(),
    )
    with transaction.atomic():
        # queued_at is when the retry is due: the sweeper steps in only 15 minutes after that.
        _finish(
            message,
            claim_token,
            status=MessageStatus.PENDING,
            last_error=error,
            queued_at=now + datetime.timedelta(seconds=delay),
            **stored,
        )
        ReminderItem.objects.filter(id__in=[item.id for item in live]).update(
            attempts=F("attempts") + 1, last_error=error
        )
    logger.warning(
        "Message %s failed (attempt %s), retrying in %.0f s: %s", message.id, attempts, delay, error
    )
    return SendOutcome("retry", failed=len(live), cancelled=len(cancelled), retry_in=delay, error=error)


def _fail(message, claim_token, live, error, cancelled, stored):
    with transaction.atomic():
        _finish(message, claim_token, status=MessageStatus.FAILED, last_error=error, **stored)
        ReminderItem.objects.filter(id__in=[item.id for item in live]).update(
            status=ItemStatus.FAILED, attempts=F("attempts") + 1, last_error=error
        )
    logger.error("Message %s failed for good: %s", message.id, error)
    return SendOutcome("failed", failed=len(live), cancelled=len(cancelled), error=error)


def is_transient(exc: BaseException) -> bool:
    """Worth trying again later: 4xx replies, and anything that is not an answer from the server
    (disconnects, timeouts, refused connections, a send cut short by the task's soft time limit).
    Only a 5xx reply is final, and GOV.UK Notify's 4xx refusals (notifications.notify). Retries are
    bounded by REMINDER_MAX_ATTEMPTS."""
    if isinstance(exc, notify.NotifyRejected):
        return False
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(400 <= code < 500 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    return True


def describe_smtp_error(exc: BaseException) -> str:
    if isinstance(exc, notify.NotifyRejected):
        return f"GOV.UK Notify refused the email: {exc.status_code} {exc.message}"
    if isinstance(exc, notify.NotifyUnavailable):
        return str(exc)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{recipient}: {code} {_text(reply)}" for recipient, (code, reply) in exc.recipients.items()
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {_text(exc.smtp_error)}"
    return f"{type(exc).__name__}: {exc}"


def _text(reply):
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


@dataclass
class SendRun:
    sent: int = 0
    messages: int = 0
    failed: int = 0
    cancelled: int = 0


def pending_messages_send(*, today: datetime.date | None = None, now=None) -> SendRun:
    """Send every pending message now, in this process, over one SMTP connection (the
    send_reminders command, for sites that run it from cron without a worker). Claims still apply,
    so a worker running at the same time never sends the same message twice. The hour is the cron
    job's: a digest's 08:00 does not hold it back."""
    run = SendRun()
    if reminders_paused():
        # Nothing would be claimed; and the loop below would lift the digests' 08:00 hold.
        logger.warning("Reminders are paused: nothing was sent.")
        return run
    claim_token = f"cli-{uuid.uuid4().hex}"
    ids = list(
        ReminderMessage.objects.filter(status=MessageStatus.PENDING)
        .order_by("id")
        .values_list("id", flat=True)
    )
    if not ids:
        return run
    with emails.smtp_connection() as connection:
        for message_id in ids:
            ReminderMessage.objects.filter(id=message_id, status=MessageStatus.PENDING).update(
                send_after=None
            )
            outcome = message_send(
                message_id=message_id, claim_token=claim_token, connection=connection, today=today, now=now
            )
            run.sent += outcome.sent
            run.messages += outcome.status == "sent"
            run.cancelled += outcome.cancelled
            run.failed += outcome.failed
    return run


# ---------------------------------------------------------------------------------------------
# Sweeping, resending
# ---------------------------------------------------------------------------------------------


@dataclass
class SweepResult:
    released: int
    queued: list[int]


def outbox_sweep(*, now: datetime.datetime | None = None, queue: bool = True) -> SweepResult:
    """Find messages that should be on their way and are not, and queue them again.

    - a claim older than the lease: the worker died mid-send; the message goes back to pending;
    - a pending message queued more than 15 minutes ago: its broker message was lost (a restarted
      broker, a crashed worker before acknowledging) or its retry never arrived;
    - a pending message never queued whose time has come (the weekly digest at 08:00).
    Re-queuing is harmless: a copy that finds the message already claimed or sent does nothing.
    """
    now = now or timezone.now()
    lease = datetime.timedelta(seconds=settings.REMINDER_CLAIM_LEASE_SECONDS)
    sweep_after = datetime.timedelta(seconds=settings.REMINDER_SWEEP_AFTER_SECONDS)
    with transaction.atomic():
        released = ReminderMessage.objects.filter(
            status=MessageStatus.SENDING, claimed_at__lt=now - lease
        ).update(
            status=MessageStatus.PENDING,
            claimed_by="",
            queued_at=None,
            last_error="The worker stopped while sending.",
        )
        due = ReminderMessage.objects.filter(status=MessageStatus.PENDING).filter(
            Q(send_after__isnull=True) | Q(send_after__lte=now)
        )
        stale = due.filter(Q(queued_at__isnull=True) | Q(queued_at__lt=now - sweep_after))
        # While reminders are paused, nothing is queued: resuming queues every held message.
        ids = [] if reminders_paused() else _take_for_queue(stale, now)
        if queue and ids:
            transaction.on_commit(lambda: messages_queue(ids))
    if released or ids:
        logger.warning("Sweeper released %s stale claims and re-queued %s messages", released, len(ids))
    return SweepResult(released, ids)


def planner_run_missing(*, now: datetime.datetime) -> bool:
    """Whether today's planning should start now: it is past 06:30 in Europe/London and no run for
    today has finished or is under way (a run that started longer ago than the task time limit died)."""
    local = timezone.localtime(now)
    if local.time() < rules.PLANNER_TIME:
        return False
    run = PlannerRun.objects.filter(day=local.date()).first()
    if run is None:
        return True
    stalled = now - datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    return run.finished_at is None and run.started_at < stalled


def message_delivery_failed(*, message_id: int, recipient: str, reason: str) -> bool:
    """The email service reported after sending that a message never reached its recipient for
    good (GOV.UK Notify's "permanent-failure" receipt): the message and the items it carried
    become failed with the reason, which the person page and the data-quality page show as an
    address that is not working. Only a sent message to that same address changes, once: a
    repeated or stray receipt changes nothing. Returns whether it changed."""
    reason = reason[:300]
    with transaction.atomic():
        updated = ReminderMessage.objects.filter(
            id=message_id, recipient=recipient.strip().lower(), status=MessageStatus.SENT
        ).update(status=MessageStatus.FAILED, last_error=reason, reason=reason)
        if updated:
            ReminderItem.objects.filter(message_id=message_id, status=ItemStatus.SENT).update(
                status=ItemStatus.FAILED, last_error=reason
            )
    if updated:
        logger.warning("Message %s could not be delivered: %s", message_id, reason)
    return bool(updated)


def message_resend(
    *, message: ReminderMessage, actor, now: datetime.datetime | None = None
) -> ReminderMessage:
    """A lead sends a failed message again: it and its failed items go back to pending and are
    queued. Items that stopped applying meanwhile are cancelled by the usual re-check."""
    now = now or timezone.now()
    if message.status != MessageStatus.FAILED:
        raise ValidationError("Only a message that failed can be sent again.")
    with transaction.atomic():
        updated = ReminderMessage.objects.filter(id=message.id, status=MessageStatus.FAILED).update(
            status=MessageStatus.PENDING,
            attempts=0,
            queued_at=now,
            claimed_by="",
            send_after=None,
            reason=f"sent again by {actor}"[:300],
        )
        if not updated:
            raise ValidationError("Only a message that failed can be sent again.")
        ReminderItem.objects.filter(message=message, status=ItemStatus.FAILED).update(
            status=ItemStatus.PENDING
        )
        transaction.on_commit(lambda: messages_queue([message.id]))
    message.refresh_from_db()
    return message


# ---------------------------------------------------------------------------------------------
# Reminders sent now, and the switch that holds every reminder
# ---------------------------------------------------------------------------------------------


@dataclass
class NowResult:
    """What a request to remind people now did: queued (new items), already reminded today, not
    reachable (no email address), nothing outstanding, and of the queued, how many wait for
    tomorrow's email because today's has already gone to them (one email per person per day)."""

    queued: int = 0
    already: int = 0
    unreachable: int = 0
    nothing_outstanding: int = 0
    tomorrow: int = 0


def reminders_now_preview(*, staff, day: datetime.date) -> NowResult:
    """What reminders_now_request would do for `staff` (a list of StaffMember) on `day`, writing
    nothing: the confirmation page's counts."""
    return _now_plan(staff, day)[0]


def _now_plan(staff, day):
    from .sources import now as remind_now  # the source module imports the engine's

    result = NowResult()
    reachable = [person for person in staff if person.email]
    result.unreachable = len(staff) - len(reachable)
    outstanding = remind_now.outstanding_pairs([person.pk for person in reachable], today=day)
    due = [person for person in reachable if outstanding.get(person.pk)]
    result.nothing_outstanding = len(reachable) - len(due)
    keyed = {
        remind_now.now_key(email=person.email.lower(), staff_id=person.pk, day=day): person for person in due
    }
    existing = set(ReminderItem.objects.filter(key__in=list(keyed)).values_list("key", flat=True))
    existing = {key.hex if isinstance(key, uuid.UUID) else str(key).replace("-", "") for key in existing}
    items = [
        sources.PlannedItem(
            key=key,
            series=remind_now.now_series(email=person.email.lower(), staff_id=person.pk, day=day),
            kind=remind_now.KIND,
            recipient=person.email.lower(),
            staff_id=person.pk,
            module_id=None,
            agency_id=person.agency_id,
            cycle_date=day,
            stage=remind_now.STAGE,
            stage_date=day,
        )
        for key, person in keyed.items()
        if key not in existing
    ]
    result.already = len(keyed) - len(items)
    result.queued = len(items)
    return result, items


def reminders_now_request(
    *, staff, actor, day: datetime.date | None = None, now: datetime.datetime | None = None
) -> NowResult:
    """Remind each of `staff` (StaffMember rows the caller may act on) today of everything they
    have outstanding, through the outbox: one item per person per day under the usual unique key
    (kind, recipient, person, day), so a second request the same day queues nothing more. The
    items carry who asked; they join the person's open message for today, and wait for tomorrow's
    when today's email has already gone. People with no email address or nothing outstanding get
    nothing. Queued after the transaction commits (held while reminders are paused)."""
    now = now or timezone.now()
    day = day or timezone.localdate(now)
    result, items = _now_plan(list(staff), day)
    if not items:
        return result
    with transaction.atomic():
        open_messages = messages_open(day=day, recipients={item.recipient for item in items})
        items_insert(items, day=day, now=now, open_messages=open_messages)
        ReminderItem.objects.filter(key__in=[item.key for item in items], requested_by__isnull=True).update(
            requested_by=acting_user(actor)
        )
        messages_attach(day=day, open_messages=open_messages, digests=False)
        result.tomorrow = sum(1 for item in items if item.recipient not in open_messages)
        message_ids = _due_unqueued(now)
        if message_ids:
            transaction.on_commit(lambda: messages_queue(message_ids))
    logger.info("Reminders sent now for %s people, asked by %s", result.queued, actor)
    return result


def reminders_paused() -> bool:
    return ReminderPause.objects.filter(pk=1, paused=True).exists()


def reminders_pause_set(*, paused: bool, actor, now: datetime.datetime | None = None) -> ReminderPause:
    """Hold every reminder (`paused`) or let them go again, recording who and when (with history).

    Pausing stops the claim (message_claim), so nothing is sent from that moment, by a worker or by
    send_reminders; the planner keeps planning, so the outbox shows what would have gone out.
    Resuming queues every held message at once; the send-time re-check cancels items that stopped
    applying meanwhile (a completion recorded, a leaver), so nothing out of date is sent.
    """
    now = now or timezone.now()
    user = acting_user(actor)
    with transaction.atomic():
        switch = ReminderPause.objects.select_for_update().filter(pk=1).first() or ReminderPause(pk=1)
        if switch.paused == paused:
            return switch
        switch.paused = paused
        switch.changed_at = now
        switch.changed_by = user
        switch._history_user = user
        switch.save()
        if not paused:
            held = ReminderMessage.objects.filter(status=MessageStatus.PENDING).filter(
                Q(send_after__isnull=True) | Q(send_after__lte=now)
            )
            ids = _take_for_queue(held, now)
            if ids:
                transaction.on_commit(lambda: messages_queue(ids))
    logger.info("Reminders %s by %s", "paused" if paused else "resumed", actor)
    return switch


# ---------------------------------------------------------------------------------------------
# Policies and digest preferences
# ---------------------------------------------------------------------------------------------


def reminder_policy_save(*, policy: ReminderPolicy, actor) -> ReminderPolicy:
    """Save a module's reminder policy after checking it (the admin calls this)."""
    reminder_policy_validate(policy)
    policy.updated_by = acting_user(actor)
    policy._history_user = policy.updated_by
    policy.save()
    return policy


def reminder_policy_validate(policy: ReminderPolicy) -> None:
    errors = {}
    for name in ("due_soon_days", "renewal_soon_days"):
        try:
            rules.parse_days(getattr(policy, name))
        except ValueError as exc:
            errors[name] = str(exc)
    if errors:
        raise ValidationError(errors)
    module = policy.module
    effective = rules.policy_for(policy, renewal_window_days=module.renewal_window_days)
    problems = rules.policy_errors(effective, validity_months=module.validity_months)
    window_problem = problems.pop("renewal_window_days", None)
    if window_problem:
        problems["__all__"] = f"{window_problem} Shorten the renewal window on {module.code} first."
    if problems:
        raise ValidationError(problems)


# Links in digests: an opaque random token, stored as its SHA-256 (DigestLink), valid a year.
# Each digest email gets a fresh one, so the newest email always has a working link.
DIGEST_LINK_MAX_AGE = datetime.timedelta(days=365)
LINK_NOT_VALID = (
    "This link has expired or is not valid. Use the link at the foot of your most recent digest "
    "email: each digest carries a fresh one."
)
# Links in digests sent before the tokens became opaque were signed payloads (django.core.signing)
# that never expired. They are still accepted, so that one-click unsubscribe keeps working from
# emails already in people's mailboxes; no new email carries one.
UNSUBSCRIBE_SALT = "notifications.digest-preferences"


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def digest_link_create(*, email: str, kind: str, now=None) -> str:
    """A new link token for `email`'s digest of `kind`: 32 random bytes, nothing else. Only its
    hash is kept."""
    token = secrets.token_urlsafe(32)
    DigestLink.objects.create(
        token_hash=_token_hash(token), email=email.lower(), kind=kind, created_at=now or timezone.now()
    )
    return token


def unsubscribe_token_read(token: str, *, now=None) -> tuple[str, str]:
    """(email, kind) from the link in a digest; ValidationError when it is unknown, expired or
    altered (an old signed link is read as it always was)."""
    now = now or timezone.now()
    if ":" in token:  # a signed link from before (base64 and a ":"-separated signature)
        return _legacy_token_read(token)
    link = None
    if 20 <= len(token) <= 100:
        link = DigestLink.objects.filter(token_hash=_token_hash(token)).first()
    if link is None or now - link.created_at > DIGEST_LINK_MAX_AGE or link.kind not in sources.digest_kinds():
        raise ValidationError(LINK_NOT_VALID)
    return link.email, link.kind


def _legacy_token_read(token: str) -> tuple[str, str]:
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        raise ValidationError(LINK_NOT_VALID) from None
    if not isinstance(data, dict) or data.get("k") not in sources.digest_kinds() or not data.get("e"):
        raise ValidationError(LINK_NOT_VALID)
    return str(data["e"]).lower(), data["k"]


def digest_links_purge(*, now=None) -> int:
    """Delete links older than DIGEST_LINK_MAX_AGE; returns how many."""
    now = now or timezone.now()
    deleted, _ = DigestLink.objects.filter(created_at__lt=now - DIGEST_LINK_MAX_AGE).delete()
    return deleted


def digest_preferences_set(*, email: str, receive: dict[str, bool]) -> None:
    """Switch digests on or off for one address. Only digests can be switched off."""
    email = email.lower()
    unknown = set(receive) - sources.digest_kinds()
    if unknown:
        raise ValidationError("Only digests can be switched off; reminders about training cannot.")
    with transaction.atomic():
        for kind, wanted in receive.items():
            if wanted:
                DigestOptOut.objects.filter(email=email, kind=kind).delete()
            else:
                DigestOptOut.objects.get_or_create(email=email, kind=kind)
