from django.conf import settings
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from workforce.models import JobRole, StaffMember, Tier

from .compliance import STATUS_CHOICES, exemption_covers


class FrameworkDomain(models.TextChoices):
    RESPONSES = "responses", "Responses"
    PREVENTION = "prevention", "Prevention"
    ASSESSMENT = "assessment", "Assessment"
    INTERVENTIONS = "interventions", "Interventions"
    DEVELOPMENT = "development", "Development"


class DeliveryMode(models.TextChoices):
    E_LEARNING = "e_learning", "E-learning"
    LIVE_ONLINE = "live_online", "Live online"
    CLASSROOM = "classroom", "Classroom"
    WORKSHOP = "workshop", "Workshop"
    BLENDED = "blended", "Blended"


class Module(models.Model):
    code = models.CharField(max_length=20, unique=True, help_text="For example HSB-101.")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    tier = models.PositiveSmallIntegerField(choices=Tier.choices)
    domain = models.CharField("framework domain", max_length=20, choices=FrameworkDomain.choices)
    delivery_mode = models.CharField(max_length=20, choices=DeliveryMode.choices)
    duration = models.CharField(max_length=50, blank=True, help_text="For example '3 hours'.")
    validity_months = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Months a completion stays valid. Empty: never expires."
    )
    renewal_window_days = models.PositiveSmallIntegerField(
        default=60, help_text="Days before expiry when renewal opens."
    )
    active = models.BooleanField(
        default=True, help_text="A retired module is required of nobody and reminds nobody."
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(validity_months__isnull=True) | Q(validity_months__gt=0),
                name="module_validity_positive",
            ),
            models.CheckConstraint(condition=Q(tier__gte=1, tier__lte=4), name="module_tier_1_to_4"),
        ]

    def __str__(self):
        return f"{self.code} {self.title}"


class Requirement(models.Model):
    """Everyone in a job role must complete a module."""

    job_role = models.ForeignKey(JobRole, on_delete=models.CASCADE, related_name="requirements")
    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="requirements")
    due_within_days = models.PositiveSmallIntegerField(
        default=90, help_text="Days a person new to the requirement has to complete the module."
    )
    starts_on = models.DateField(help_text="The date the requirement came into force.")

    history = HistoricalRecords()

    class Meta:
        ordering = ["job_role__name", "module__code"]
        constraints = [
            models.UniqueConstraint(fields=["job_role", "module"], name="requirement_unique_role_module"),
        ]

    def __str__(self):
        return f"{self.job_role}: {self.module.code}"


class Assignment(models.Model):
    """A module required of one person in addition to their role's requirements."""

    staff = models.ForeignKey(StaffMember, on_delete=models.CASCADE, related_name="assignments")
    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="assignments")
    assigned_on = models.DateField(help_text="The date the assignment began.")
    due_on = models.DateField()
    reason = models.CharField(max_length=300, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["due_on"]
        constraints = [
            models.UniqueConstraint(fields=["staff", "module"], name="assignment_unique_staff_module"),
            models.CheckConstraint(
                condition=Q(due_on__gte=F("assigned_on")), name="assignment_due_after_start"
            ),
        ]

    def __str__(self):
        return f"{self.staff}: {self.module.code} by {self.due_on:%d/%m/%Y}"


class CompletionSource(models.TextChoices):
    MANUAL = "manual", "Recorded by a lead"
    REGISTER = "register", "Attendance register"
    IMPORT = "import", "Provider file"
    SELF_DECLARED = "self_declared", "Self-declared"


class Verification(models.TextChoices):
    VERIFIED = "verified", "Verified"
    PENDING = "pending", "Waiting for verification"
    REJECTED = "rejected", "Rejected"


class Completion(models.Model):
    """One person completed one module on a date. Every completion is kept, never overwritten.

    Only verified completions count; a self-declared one waits as pending until a lead verifies it.
    `expires_on` is computed by training.compliance.expiry_date when the completion is recorded
    or verified (renewal without drift needs the previous best completion, so it is stored).
    """

    staff = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="completions")
    module = models.ForeignKey(Module, on_delete=models.PROTECT, related_name="completions")
    completed_on = models.DateField()
    expires_on = models.DateField(null=True, blank=True, help_text="Empty: never expires.")
    source = models.CharField(max_length=20, choices=CompletionSource.choices)
    verification = models.CharField(
        max_length=20, choices=Verification.choices, default=Verification.VERIFIED
    )
    certificate = models.FileField(upload_to="certificates/%Y/%m/", blank=True)
    certificate_reference = models.CharField(max_length=200, blank=True)
    notes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-completed_on", "-id"]
        constraints = [
            # One person, module and date is one completion however many routes report it;
            # a rejected declaration does not block a later correct record.
            models.UniqueConstraint(
                fields=["staff", "module", "completed_on"],
                condition=~Q(verification="rejected"),
                name="completion_unique_person_module_date",
            ),
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True) | Q(expires_on__gt=F("completed_on")),
                name="completion_expires_after_completed",
            ),
            models.CheckConstraint(
                condition=Q(source="self_declared") | Q(verification="verified"),
                name="completion_only_self_declared_awaits_verification",
            ),
        ]
        indexes = [
            models.Index(fields=["staff", "module", "expires_on"], name="completion_best_idx"),
            models.Index(fields=["module", "expires_on"], name="completion_expiry_idx"),
            models.Index(fields=["verification"], name="completion_verification_idx"),
        ]

    def __str__(self):
        return f"{self.staff} completed {self.module.code} on {self.completed_on:%d/%m/%Y}"

    @property
    def counts(self):
        return self.verification == Verification.VERIFIED


class ExemptionReason(models.TextChoices):
    LONG_TERM_ABSENCE = "long_term_absence", "Long-term absence"
    EQUIVALENT_QUALIFICATION = "equivalent_qualification", "Equivalent qualification"
    NOT_APPLICABLE = "not_applicable", "Not applicable to this post"
    OTHER = "other", "Other"


class Exemption(models.Model):
    """A person is not required to do one module (or any module, when module is empty)."""

    staff = models.ForeignKey(StaffMember, on_delete=models.CASCADE, related_name="exemptions")
    module = models.ForeignKey(
        Module,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="exemptions",
        help_text="Empty: every module.",
    )
    reason = models.CharField(max_length=40, choices=ExemptionReason.choices)
    details = models.TextField(blank=True)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True, help_text="Empty: open-ended.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="exemption_ends_after_start",
            ),
        ]
        indexes = [models.Index(fields=["staff", "module"], name="exemption_staff_module_idx")]

    def __str__(self):
        scope = self.module.code if self.module_id else "all modules"
        return f"{self.staff}: exempt from {scope}"

    def covers(self, day):
        return exemption_covers(starts_on=self.starts_on, ends_on=self.ends_on, on=day)


class SnapshotScope(models.TextChoices):
    PARTNERSHIP = "partnership", "Whole partnership"
    AGENCY = "agency", "Agency"
    MODULE = "module", "Module"
    TIER = "tier", "Tier of job role"


class ComplianceSnapshot(models.Model):
    """The counts of pairs by status on one date, for the trend on the dashboard.

    Written once a day by training.services.compliance_snapshot_take (a Celery beat task): one row
    for the partnership, one per active agency, one per active module and one per tier of job role
    (workforce.models.Tier). A second run on the same date updates the rows (the partial unique
    constraints below make one row per scope and date).
    """

    taken_on = models.DateField(help_text="The date the figures describe.")
    scope = models.CharField(max_length=20, choices=SnapshotScope.choices)
    agency = models.ForeignKey(
        "workforce.Agency", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    module = models.ForeignKey(Module, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    tier = models.PositiveSmallIntegerField(
        choices=Tier.choices, null=True, blank=True, help_text="The tier of job role (scope tier only)."
    )
    compliant = models.PositiveIntegerField(default=0)
    renewal_due = models.PositiveIntegerField(default=0)
    expired = models.PositiveIntegerField(default=0)
    due = models.PositiveIntegerField(default=0)
    overdue = models.PositiveIntegerField(default=0)
    exempt = models.PositiveIntegerField(default=0)
    people_total = models.PositiveIntegerField(default=0)
    people_compliant = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["taken_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["taken_on"], condition=Q(scope="partnership"), name="snapshot_unique_partnership_day"
            ),
            models.UniqueConstraint(
                fields=["taken_on", "agency"], condition=Q(scope="agency"), name="snapshot_unique_agency_day"
            ),
            models.UniqueConstraint(
                fields=["taken_on", "module"], condition=Q(scope="module"), name="snapshot_unique_module_day"
            ),
            models.UniqueConstraint(
                fields=["taken_on", "tier"], condition=Q(scope="tier"), name="snapshot_unique_tier_day"
            ),
            models.CheckConstraint(
                condition=(
                    Q(scope="partnership", agency__isnull=True, module__isnull=True, tier__isnull=True)
                    | Q(scope="agency", agency__isnull=False, module__isnull=True, tier__isnull=True)
                    | Q(scope="module", agency__isnull=True, module__isnull=False, tier__isnull=True)
                    | Q(scope="tier", agency__isnull=True, module__isnull=True, tier__isnull=False)
                ),
                name="snapshot_scope_matches_subject",
            ),
        ]

    def __str__(self):
        subject = self.agency or self.module or (self.get_tier_display() if self.tier else "partnership")
        return f"Compliance of {subject} on {self.taken_on:%d/%m/%Y}"


DEFAULT_PARTNERSHIP_TARGET = 90


class TargetScope(models.TextChoices):
    PARTNERSHIP = "partnership", "Whole partnership"
    TIER = "tier", "Tier"
    MODULE = "module", "Module"


class ComplianceTarget(models.Model):
    """The compliance rate the partnership aims for: one partnership target (90% until the lead
    sets one) and optional targets per tier and per module, which take precedence for their rates.
    Saved by training.services.compliance_targets_save."""

    scope = models.CharField(max_length=20, choices=TargetScope.choices)
    tier = models.PositiveSmallIntegerField(choices=Tier.choices, null=True, blank=True)
    module = models.ForeignKey(Module, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    percent = models.PositiveSmallIntegerField(help_text="A whole percentage from 1 to 100.")
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["scope"], condition=Q(scope="partnership"), name="target_unique_partnership"
            ),
            models.UniqueConstraint(fields=["tier"], condition=Q(scope="tier"), name="target_unique_tier"),
            models.UniqueConstraint(
                fields=["module"], condition=Q(scope="module"), name="target_unique_module"
            ),
            models.CheckConstraint(
                condition=(
                    Q(scope="partnership", tier__isnull=True, module__isnull=True)
                    | Q(scope="tier", tier__isnull=False, module__isnull=True)
                    | Q(scope="module", tier__isnull=True, module__isnull=False)
                ),
                name="target_scope_matches_subject",
            ),
            models.CheckConstraint(
                condition=Q(percent__gte=1, percent__lte=100), name="target_percent_1_to_100"
            ),
        ]

    def __str__(self):
        subject = self.module or (Tier(self.tier).label if self.tier else "the partnership")
        return f"Target for {subject}: {self.percent}%"


class ComplianceState(models.Model):
    """The day the maintained state (PairState) is valid for: one row, id 1, or none before the
    first roll. Every write that can change a status refreshes its pairs for this day, under a lock
    of this row, and the nightly roll moves it on (training.services.pair_states_roll). A reader
    asking for any other day uses the engine."""

    on = models.DateField(help_text="The day every PairState row describes.")
    rolled_at = models.DateTimeField(help_text="When the state was last rolled or rebuilt.")

    def __str__(self):
        return f"Compliance state on {self.on:%d/%m/%Y}"


class PairState(models.Model):
    """The status of one (current staff member, required module) pair on ComplianceState.on,
    kept by training.state.pair_states_refresh from the engine's own query (never written
    any other way), with its key date (training.compliance.key_date) and the first day its status
    may change by its own dates (training.compliance.status_changes_on). Pairs of every agency are
    kept, active or not; readers narrow by agency as the engine does.

    A pair never completed (due, overdue) also keeps its anchor, the day its due date counts from
    (the planner's "assigned" stage). The person's agency, team and job role are copied as they
    were when the pair was written: the
    group the pair is counted under in StateCount, so that a refresh takes away exactly what it
    added, whatever has changed on the person's record since."""

    staff = models.ForeignKey(StaffMember, on_delete=models.CASCADE, related_name="+")
    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=20, choices=STATUS_CHOICES)
    key_date = models.DateField(null=True, blank=True)
    changes_on = models.DateField(null=True, blank=True)
    agency_id = models.BigIntegerField(help_text="The person's agency when the pair was written.")
    team_id = models.BigIntegerField(null=True, blank=True, help_text="Their team then (none: no team).")
    job_role_id = models.BigIntegerField(help_text="Their job role then.")
    anchor_on = models.DateField(
        null=True, blank=True, help_text="A due or overdue pair's anchor (training.compliance.anchor_date)."
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["staff", "module"], name="pair_state_unique_pair")]
        indexes = [
            models.Index(fields=["changes_on"], name="pair_state_changes_idx"),
            models.Index(fields=["module", "status"], name="pair_state_module_status_idx"),
        ]

    def __str__(self):
        return f"{self.staff_id}/{self.module_id}: {self.status}"


class StateCount(models.Model):
    """The maintained state (PairState) counted, so that a page of figures reads a few hundred rows
    whatever the number of people: pairs by (agency, team, job role, module, status) and people by
    (agency, team, job role, the set of their statuses), with the module 0 for a row of people.
    `bits` is one bit per status (training.selectors.engine.STATUS_BITS): one bit for a row of
    pairs, the bits of every status a person has for a row of people.

    Kept by training.state in the same statements as PairState: every refresh takes away the
    counts of the pairs it replaces and adds those of the pairs it writes, both read from PairState
    itself, so this table is always PairState grouped (`compliance_state --check` compares it with
    the rules' own pairs)."""

    agency_id = models.BigIntegerField()
    team_id = models.BigIntegerField(help_text="0: people with no team.")
    job_role_id = models.BigIntegerField()
    module_id = models.BigIntegerField(help_text="0: a row of people.")
    bits = models.PositiveSmallIntegerField()
    total = models.IntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agency_id", "team_id", "job_role_id", "module_id", "bits"], name="state_count_unique"
            )
        ]

    def __str__(self):
        group = f"{self.agency_id}/{self.team_id}/{self.job_role_id}/{self.module_id}"
        return f"{group}, bits {self.bits}: {self.total}"
