"""The reminder outbox: items planned one by one, grouped into one message per recipient and day.

A ReminderItem is written before anything is queued (healthchecks' pattern: the notification row
exists before the send), under a unique deterministic key, so planning twice, two workers, a retried
task or a restarted broker can never make a second item for the same reminder. A ReminderMessage is
the one email that carries every item due for a recipient: the sender claims it with a conditional
UPDATE, so only one worker ever sends it.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from simple_history.models import HistoricalRecords

from training.models import Module
from workforce.models import Agency, StaffMember

from .rules import DEFAULT_POLICY, format_days


def kind_choices():
    """Every registered source's kinds (notifications.sources): a callable, so that a new source
    needs no migration, and read when the choices are, after every app has registered."""
    from . import sources

    return sources.kind_choices()


def digest_kind_choices():
    """The kinds a recipient may switch off (the digests of the registered sources)."""
    from . import sources

    return [(value, label) for value, label in sources.kind_choices() if sources.is_digest(value)]


class ItemStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"
    SKIPPED = "skipped", "Skipped"


class MessageStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class ReminderPolicy(models.Model):
    """A module's own reminder timings. An empty field uses the partnership default (PRODUCT.md
    section 4); the renewal window is the module's own, so renewal opens when the status says so."""

    module = models.OneToOneField(Module, on_delete=models.CASCADE, related_name="reminder_policy")
    due_soon_days = models.CharField(
        "“due soon” reminders (days before the due date)",
        max_length=60,
        blank=True,
        help_text="Days before the due date, separated by commas. "
        f"Empty: {format_days(DEFAULT_POLICY.due_soon_days)}.",
    )
    overdue_every_days = models.PositiveSmallIntegerField(
        "repeat “overdue” every (days)",
        null=True,
        blank=True,
        help_text=f"Empty: every {DEFAULT_POLICY.overdue_every_days} days.",
    )
    overdue_max = models.PositiveSmallIntegerField(
        "most “overdue” reminders",
        null=True,
        blank=True,
        help_text=f"Including the first, on the due date. Empty: {DEFAULT_POLICY.overdue_max}.",
    )
    renewal_soon_days = models.CharField(
        "“renew soon” reminders (days before expiry)",
        max_length=60,
        blank=True,
        help_text="Days before expiry, separated by commas, inside the module's renewal window. "
        f"Empty: {format_days(DEFAULT_POLICY.renewal_soon_days)}.",
    )
    expired_every_days = models.PositiveSmallIntegerField(
        "repeat “expired” every (days)",
        null=True,
        blank=True,
        help_text=f"Empty: every {DEFAULT_POLICY.expired_every_days} days.",
    )
    expired_max = models.PositiveSmallIntegerField(
        "most “expired” reminders",
        null=True,
        blank=True,
        help_text=f"Including the first, on the expiry date. Empty: {DEFAULT_POLICY.expired_max}.",
    )
    escalation_after_days = models.PositiveSmallIntegerField(
        "escalate to the line manager after (days)",
        null=True,
        blank=True,
        help_text="Days after the due date or expiry, once per cycle. "
        f"Empty: {DEFAULT_POLICY.escalation_after_days}.",
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["module__code"]
        verbose_name = "module reminder policy"
        verbose_name_plural = "module reminder policies"

    def __str__(self):
        return f"Reminder policy for {self.module.code}"


class ReminderMessage(models.Model):
    """One email to one recipient: everything due for them that day, listed together.

    Unique per (recipient, day): a second email the same day cannot exist. Items planned after the
    day's message was sent wait for the next day's message. `queued_at` is when the message was last
    handed to the broker (or when its retry is due); the sweeper re-queues a pending message 15
    minutes after that. `claimed_at`/`claimed_by` mark the worker sending it; a claim older than the
    lease is released by the sweeper (the worker died).
    """

    recipient = models.EmailField(max_length=254)
    day = models.DateField(help_text="The day of the planner run that opened this message.")
    status = models.CharField(max_length=10, choices=MessageStatus.choices, default=MessageStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    reason = models.CharField(max_length=300, blank=True)
    send_after = models.DateTimeField(null=True, blank=True, help_text="Not sent before this time.")
    queued_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=64, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # The email exactly as it was (or would have been) sent, for the outbox page.
    from_email = models.CharField(max_length=320, blank=True)
    reply_to = models.CharField(max_length=320, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    text_body = models.TextField(blank=True)
    html_body = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-day", "recipient"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "day"], name="message_one_per_recipient_per_day"),
            models.CheckConstraint(
                condition=Q(recipient=Lower("recipient")), name="message_recipient_lower_case"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "queued_at"], name="message_sweep_idx"),
        ]

    def __str__(self):
        return f"To {self.recipient} on {self.day:%d/%m/%Y} ({self.get_status_display().lower()})"


class ReminderItem(models.Model):
    """One reminder: a kind, a recipient, the person and module it is about, a cycle and a stage.

    `key` is built from those by rules.item_key and is unique, so the same reminder is planned
    at most once; `series` names every stage of one cycle for one recipient (the key's parts
    without the stage), which catch-up and supersession work on. Digests and reviews have no
    person or module; their cycle is the period (the Monday, the 1st of the month, the last
    upload, the day).
    """

    key = models.UUIDField(
        help_text="A name-based UUID of the kind, recipient, person, module, cycle and stage."
    )
    series = models.CharField(max_length=400)
    kind = models.CharField(max_length=30, choices=kind_choices)
    recipient = models.EmailField(max_length=254)
    # The first run after go-live writes hundreds of thousands of rows, most of them skipped
    # stages, so the table carries only the indexes its queries need (see Meta), and no database
    # foreign-key constraints: checking four of them per row took longer than writing the rows.
    # Nothing they point at is ever deleted (PROTECT, and people, modules, agencies and messages
    # are kept for their history), which the ORM enforces.
    staff = models.ForeignKey(
        StaffMember,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reminder_items",
        db_constraint=False,
    )
    module = models.ForeignKey(
        Module,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    cycle_date = models.DateField(help_text="The due date (U) or expiry (X), or the digest's period.")
    stage = models.CharField(max_length=20, help_text="For example U-30: 30 days before the due date.")
    stage_date = models.DateField(help_text="The day this stage fell due.")
    planned_for = models.DateField(help_text="The day of the planner run that created the item.")
    status = models.CharField(max_length=10, choices=ItemStatus.choices, default=ItemStatus.PENDING)
    reason = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    message = models.ForeignKey(
        ReminderMessage,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="items",
        db_index=False,
        db_constraint=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Who asked for a reminder sent now (a lead or HR from a list or the person page); empty for
    # everything the planner makes.
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )

    class Meta:
        ordering = ["-planned_for", "recipient", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["key"], name="item_unique_key"),
            models.CheckConstraint(
                condition=Q(recipient=Lower("recipient")), name="item_recipient_lower_case"
            ),
        ]
        indexes = [
            # The outbox page and reminders_outbox, newest first or since a date.
            models.Index(fields=["planned_for"], name="item_planned_for_idx"),
            # Skipped items are the bulk and nobody filters for them by status: leave them out.
            models.Index(
                fields=["status", "planned_for"], condition=~Q(status="skipped"), name="item_status_idx"
            ),
            # Waiting items by recipient (the planner groups them), and a message's items.
            models.Index(fields=["recipient"], condition=Q(status="pending"), name="item_pending_idx"),
            models.Index(fields=["message"], condition=Q(message__isnull=False), name="item_message_idx"),
        ]

    def __str__(self):
        status = self.get_status_display().lower()
        return f"{self.get_kind_display()} to {self.recipient} ({self.stage}, {status})"


class DigestLink(models.Model):
    """The link to the preference page (and one-click unsubscribe) in one digest email. The link
    carries only a random token; this row keeps its SHA-256, the address and the digest it is for
    (notifications.services.digest_link_create), so the link gives away no address."""

    token_hash = models.CharField(max_length=64, unique=True)
    email = models.EmailField(max_length=254)
    kind = models.CharField(max_length=30)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Digest link of {self.created_at:%Y-%m-%d %H:%M}"


class DigestOptOut(models.Model):
    """A recipient switched off one kind of digest from the link in it. Mandatory reminders cannot
    be switched off."""

    email = models.EmailField(max_length=254)
    kind = models.CharField(max_length=30, choices=digest_kind_choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["email", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["email", "kind"], name="optout_unique_email_kind"),
            models.CheckConstraint(condition=Q(email=Lower("email")), name="optout_email_lower_case"),
        ]

    def __str__(self):
        return f"{self.email} does not receive the {self.get_kind_display().lower()}"


class PlannerRun(models.Model):
    """One planner run per day: when it started and finished and what it planned. The sweeper
    starts the day's run if 06:30 passed without one; the outbox page shows the last run."""

    day = models.DateField(unique=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    planned = models.JSONField(default=dict, blank=True, help_text="Pending items planned, by kind.")
    skipped = models.PositiveIntegerField(default=0)
    messages = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-day"]

    def __str__(self):
        return f"Planner run for {self.day:%d/%m/%Y}"


class ReminderPause(models.Model):
    """The partnership's one switch that holds every reminder: while `paused`, the planner still
    plans and the outbox fills, but no message is claimed for sending (the claim itself checks
    the switch, so a message is either sent before the pause or held by it, never half-sent).
    Resuming queues every held message; the send-time re-check cancels whatever stopped applying
    meanwhile. One row (id 1), with its history."""

    paused = models.BooleanField(default=False)
    changed_at = models.DateTimeField(null=True, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = "reminders pause"
        verbose_name_plural = "reminders pause"

    def __str__(self):
        return "Reminders paused" if self.paused else "Reminders running"
