"""The partnership's HSB workforce strategy: who leads it, how it assesses itself, what it will do.

NICE NG55 asks a partnership to name a lead, carry out a baseline assessment, agree an action plan
and review it. Frameworks are data (framework -> domains -> items) so a partnership can adapt the
checklist; rounds rate every item of one framework on a date; actions answer the gaps.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from training.models import Module
from workforce.models import Agency, JobRole, Tier


class StrategySettings(models.Model):
    """One row (pk 1): the named HSB lead, the senior sponsor and the rhythm of assessment."""

    SINGLETON_PK = 1

    lead_name = models.CharField("HSB lead's name", max_length=200, blank=True)
    lead_role = models.CharField("HSB lead's role", max_length=200, blank=True)
    lead_email = models.EmailField(
        "HSB lead's email",
        blank=True,
        help_text="Receives the reminders that a new assessment round is due and that actions are "
        "overdue for review.",
    )
    sponsor_name = models.CharField("senior sponsor's name", max_length=200, blank=True)
    sponsor_role = models.CharField("senior sponsor's role", max_length=200, blank=True)
    sponsor_email = models.EmailField("senior sponsor's email", blank=True)
    round_interval_months = models.PositiveSmallIntegerField(
        "months between assessment rounds",
        choices=[(12, "Every 12 months"), (6, "Every 6 months")],
        default=12,
        help_text="The next round is due this long after the last completed partnership round.",
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "strategy settings"
        verbose_name_plural = "strategy settings"
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="strategysettings_singleton"),
            models.CheckConstraint(
                condition=Q(round_interval_months__in=[6, 12]), name="strategysettings_interval_6_or_12"
            ),
        ]

    def __str__(self):
        return "Strategy settings"


class Framework(models.Model):
    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    is_default = models.BooleanField(
        default=False, help_text="New assessment rounds use this framework unless you choose another."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=Q(is_default=True),
                name="framework_one_default",
                violation_error_message="Another framework is already the default. Untick it there first.",
            ),
        ]

    def __str__(self):
        return self.name


class Domain(models.Model):
    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="domains")
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0, help_text="Domains are listed in this order.")

    class Meta:
        ordering = ["framework", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "name"], name="domain_unique_name_per_framework"),
        ]

    def __str__(self):
        return self.name


class Item(models.Model):
    """One statement a partnership rates itself against.

    An item may carry an evidence spec: the compliance rate of one module among one tier or one
    job role, computed by the tracker's compliance engine and shown beside the rating.
    """

    domain = models.ForeignKey(Domain, on_delete=models.CASCADE, related_name="items")
    statement = models.CharField(max_length=300)
    guidance = models.TextField(blank=True, help_text="What good looks like, and what evidence to look for.")
    position = models.PositiveSmallIntegerField(default=0, help_text="Items are listed in this order.")
    active = models.BooleanField(
        default=True,
        help_text="A retired item is left out of new rounds; earlier rounds keep their ratings.",
    )
    evidence_module = models.ForeignKey(
        Module,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Optional: show this module's compliance rate beside the item.",
    )
    evidence_tier = models.PositiveSmallIntegerField(
        choices=Tier.choices,
        null=True,
        blank=True,
        help_text="Count only staff whose job role has this tier.",
    )
    evidence_job_role = models.ForeignKey(
        JobRole,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Count only staff in this job role.",
    )

    class Meta:
        ordering = ["domain__position", "domain_id", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(evidence_tier__isnull=True) | Q(evidence_job_role__isnull=True),
                name="item_evidence_tier_or_role_not_both",
                violation_error_message="Choose a tier or a job role for the evidence, not both.",
            ),
            models.CheckConstraint(
                condition=Q(evidence_module__isnull=False)
                | (Q(evidence_tier__isnull=True) & Q(evidence_job_role__isnull=True)),
                name="item_evidence_filter_needs_module",
                violation_error_message="Choose the module whose compliance rate is the evidence.",
            ),
        ]

    def __str__(self):
        return self.statement

    @property
    def has_evidence_spec(self):
        return self.evidence_module_id is not None


class RoundStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"


class AssessmentRound(models.Model):
    """A dated self-assessment against one framework, for the partnership or for one agency."""

    framework = models.ForeignKey(Framework, on_delete=models.PROTECT, related_name="rounds")
    title = models.CharField(max_length=200)
    agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assessment_rounds",
        help_text="Empty: the whole partnership.",
    )
    assessed_on = models.DateField(help_text="The date the assessment describes.")
    status = models.CharField(max_length=20, choices=RoundStatus.choices, default=RoundStatus.IN_PROGRESS)
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-assessed_on", "-id"]
        indexes = [models.Index(fields=["framework", "agency", "assessed_on"], name="round_scope_idx")]

    def __str__(self):
        return self.title

    @property
    def is_completed(self):
        return self.status == RoundStatus.COMPLETED

    @property
    def scope_label(self):
        return self.agency.name if self.agency_id else "Whole partnership"


class Rating(models.TextChoices):
    """The five answers; scoring.RATING_POINTS gives the points of the four that score."""

    NOT_IN_PLACE = "not_in_place", "Not in place"
    EMERGING = "emerging", "Emerging"
    PARTLY = "partly", "Partly in place"
    FULLY = "fully", "Fully in place"
    NOT_APPLICABLE = "not_applicable", "Not applicable"


class ItemRating(models.Model):
    """The rating of one item in one round. Live evidence is frozen here when the round completes."""

    round = models.ForeignKey(AssessmentRound, on_delete=models.CASCADE, related_name="ratings")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="ratings")
    rating = models.CharField(max_length=20, choices=Rating.choices, blank=True)
    evidence_note = models.TextField(blank=True)
    evidence_valid = models.PositiveIntegerField(null=True, blank=True)
    evidence_required = models.PositiveIntegerField(
        null=True, blank=True, help_text="Required pairs less exempt pairs: the denominator."
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["item__domain__position", "item__position", "item_id"]
        constraints = [
            models.UniqueConstraint(fields=["round", "item"], name="rating_unique_round_item"),
        ]

    def __str__(self):
        return f"{self.round}: {self.item}"


class Attachment(models.Model):
    rating = models.ForeignKey(ItemRating, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="strategy/evidence/%Y/%m/")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return self.original_name


class ActionStatus(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    ON_TRACK = "on_track", "On track"
    AT_RISK = "at_risk", "At risk"
    DONE = "done", "Done"


class Action(models.Model):
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    items = models.ManyToManyField(Item, related_name="actions", help_text="The checklist items it answers.")
    assessment_round = models.ForeignKey(
        AssessmentRound,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="actions",
        help_text="Optional: the round that found the gap.",
    )
    owner_name = models.CharField(max_length=200)
    owner_email = models.EmailField(help_text="Receives review reminders with a link to update the action.")
    owner_agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="strategy_actions",
        help_text="Optional. That agency's HR users can read the action.",
    )
    due_on = models.DateField("due date")
    status = models.CharField(max_length=20, choices=ActionStatus.choices, default=ActionStatus.NOT_STARTED)
    review_on = models.DateField("review date")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["review_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(owner_email=Lower("owner_email")), name="action_owner_email_lower"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "review_on"], name="action_status_review_idx"),
            models.Index(fields=["owner_agency"], name="action_owner_agency_idx"),
        ]

    def __str__(self):
        return self.title

    @property
    def is_done(self):
        return self.status == ActionStatus.DONE


class ProgressVia(models.TextChoices):
    LEAD = "lead", "Partnership lead"
    OWNER_LINK = "owner_link", "Owner's emailed link"


class ProgressNote(models.Model):
    """One entry in an action's history; never edited or deleted."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="notes")
    note = models.TextField()
    status_before = models.CharField(max_length=20, choices=ActionStatus.choices)
    status_after = models.CharField(max_length=20, choices=ActionStatus.choices)
    review_on_before = models.DateField(null=True, blank=True)
    review_on_after = models.DateField(null=True, blank=True)
    author_name = models.CharField(max_length=200)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    via = models.CharField(max_length=20, choices=ProgressVia.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(note=""), name="progressnote_not_empty"),
        ]

    def __str__(self):
        return f"{self.action}: {self.created_at:%d/%m/%Y}"

    @property
    def status_changed(self):
        return self.status_before != self.status_after


class OwnerLink(models.Model):
    """The link in one review reminder that lets an action's owner update it without an account.
    The link carries only a random token; this row keeps its SHA-256, the action and the address
    it was sent to (strategy.owner_links). It opens that action for 45 days, while the address is
    still the action's owner's."""

    token_hash = models.CharField(max_length=64, unique=True)
    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="+")
    email = models.EmailField(max_length=254)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Owner link of {self.created_at:%Y-%m-%d %H:%M}"
