from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from simple_history.models import HistoricalRecords

from . import rules


class Sector(models.TextChoices):
    CHILDRENS_SOCIAL_CARE = "childrens_social_care", "Children's social care"
    EARLY_HELP = "early_help", "Early help"
    POLICE = "police", "Police"
    COMMUNITY_HEALTH = "community_health", "Community health"
    MENTAL_HEALTH = "mental_health", "Mental health (CAMHS)"
    PRIMARY_CARE = "primary_care", "Primary care"
    ACUTE_HEALTH = "acute_health", "Acute health"
    EDUCATION = "education", "Education"
    YOUTH_JUSTICE = "youth_justice", "Youth justice"
    VOLUNTARY = "voluntary", "Voluntary and community sector"
    PARTNERSHIP = "partnership", "Partnership business unit"


class Tier(models.IntegerChoices):
    AWARENESS = 1, "1 Awareness"
    PRACTITIONER = 2, "2 Practitioner"
    SPECIALIST = 3, "3 Specialist"
    STRATEGIC = 4, "4 Strategic/supervisory"


class Agency(models.Model):
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    sector = models.CharField(max_length=40, choices=Sector.choices)
    hr_contact_email = models.EmailField(
        "HR contact email", blank=True, help_text="Receives staff-list review reminders."
    )
    training_lead_email = models.EmailField(blank=True, help_text="Receives the monthly agency digest.")
    reminder_from_email = models.EmailField(
        blank=True, help_text="Optional sender for this agency's reminders; the site default if empty."
    )
    reminder_reply_to = models.EmailField(
        blank=True, help_text="Optional Reply-To for this agency's reminders."
    )
    active = models.BooleanField(default=True, help_text="An inactive agency's staff receive no reminders.")
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "agencies"

    def __str__(self):
        return self.name


class Team(models.Model):
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="teams")
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["agency__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "name"], name="team_unique_name_per_agency"),
        ]

    def __str__(self):
        return self.name


class JobRole(models.Model):
    name = models.CharField(max_length=200, unique=True)
    tier = models.PositiveSmallIntegerField(choices=Tier.choices)
    aliases = models.TextField(
        blank=True,
        help_text="Other names for this role in agencies' spreadsheets, one per line. Matching ignores case.",
    )
    description = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(tier__gte=1, tier__lte=4), name="jobrole_tier_1_to_4"),
        ]

    def __str__(self):
        return self.name

    def alias_list(self):
        return [line.strip() for line in self.aliases.splitlines() if line.strip()]


class StaffMember(models.Model):
    """A person on an agency's staff list. Never deleted: a leaver keeps a leaving date."""

    # No index of its own: staff_agency_current_idx and the unique staff number both begin with it.
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="staff", db_index=False)
    staff_number = models.CharField(max_length=50)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = models.EmailField(
        blank=True, help_text="Work email, stored in lower case. Empty means the person cannot be reached."
    )
    job_role = models.ForeignKey(JobRole, on_delete=models.PROTECT, related_name="staff")
    job_title = models.CharField(max_length=200, blank=True)
    team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="staff")
    line_manager_email = models.EmailField(blank=True)
    start_date = models.DateField(null=True, blank=True)
    role_since = models.DateField(
        null=True, blank=True, help_text="The date the person took their current job role."
    )
    left_on = models.DateField("leaving date", null=True, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="staff_record",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # History is read by person (its `id` index), never by agency, role, team or user: those
    # indexes would only slow down every import. Like those columns, the history's user is not a
    # foreign-key constraint: the database would check it once per history row at commit (0.2 s
    # of a 50,000-row staff list), and Django still clears it when a user is deleted.
    history = HistoricalRecords(
        excluded_fields=["updated_at"],
        no_db_index=["agency", "job_role", "team", "user"],
        user_db_constraint=False,
    )

    class Meta:
        ordering = ["last_name", "first_name", "staff_number"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "staff_number"], name="staff_unique_number_per_agency"),
            # "Current" depends on the date, which a constraint cannot see; people without a
            # leaving date are the ones who can never be leavers, so their addresses are unique.
            # The service also checks staff whose leaving date is still ahead.
            models.UniqueConstraint(
                "agency",
                "email",
                condition=Q(left_on__isnull=True) & ~Q(email=""),
                name="staff_unique_email_per_agency_while_employed",
            ),
            models.CheckConstraint(condition=Q(email=Lower("email")), name="staff_email_lower_case"),
            models.CheckConstraint(
                condition=Q(line_manager_email=Lower("line_manager_email")),
                name="staff_line_manager_email_lower_case",
            ),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True)
                | Q(start_date__isnull=True)
                | Q(left_on__gte=F("start_date")),
                name="staff_left_on_not_before_start",
            ),
            models.CheckConstraint(condition=~Q(staff_number=""), name="staff_number_not_empty"),
        ]
        # Every index is written for every row an import adds, so none repeats another: the
        # job_role foreign key already has its own index, agency is the first column of these.
        indexes = [
            models.Index(fields=["agency", "left_on"], name="staff_agency_current_idx"),
            models.Index(fields=["email"], name="staff_email_idx"),
            models.Index(fields=["line_manager_email"], name="staff_line_manager_idx"),
        ]

    def __str__(self):
        return f"{self.full_name} ({self.staff_number})"

    @property
    def full_name(self):
        return f"{self.first_name} {self.last_name}"

    def is_current_on(self, day):
        return rules.is_current(start_date=self.start_date, left_on=self.left_on, on=day)


class AgencyMembership(models.Model):
    """A user account that acts as HR (or training contact) for an agency."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agency_memberships"
    )
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="memberships")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["agency__name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "agency"], name="membership_unique_user_agency"),
        ]

    def __str__(self):
        return f"{self.user} for {self.agency}"


class SigninLink(models.Model):
    """One emailed staff sign-in link. The link carries only a random token; this row keeps its
    SHA-256 (a copy of the database opens nothing), the address it was sent to and the records it
    opens. It works once, by POST, for seven days (workforce.signin)."""

    token_hash = models.CharField(max_length=64, unique=True)
    email = models.EmailField()
    staff_ids = models.JSONField()
    created_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Sign-in link of {self.created_at:%Y-%m-%d %H:%M}"


class ExportJob(models.Model):
    """A large export, built in the background (workforce.exports): who asked, what (the kind and
    the query string of the page that asked), how far it has got, and the file when it is ready.
    Only the person who asked may download it, and only while they may still see what it holds;
    the file and the row go after EXPORT_KEEP_HOURS (workforce.services.export_jobs_purge)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Being written"
        READY = "ready", "Ready to download"
        FAILED = "failed", "Could not be written"

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=60)
    file_format = models.CharField(max_length=4, choices=[("csv", "CSV"), ("xlsx", "XLSX")])
    params = models.JSONField(default=dict, blank=True)
    description = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to="exports/", blank=True)
    filename = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.description} ({self.file_format.upper()}, {self.get_status_display().lower()})"

    @property
    def finished(self):
        return self.status in (self.Status.READY, self.Status.FAILED)

    @property
    def percent(self):
        """Whole percent written (rows, or people: the kind's unit); 100 only once the file is ready."""
        if self.status == self.Status.READY:
            return 100
        if not self.rows_total:
            return 0
        return min(99, self.rows_done * 100 // self.rows_total)
