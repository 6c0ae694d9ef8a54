"""The import record: one uploaded spreadsheet of any kind, and what became of it."""

import pathlib
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from . import kinds


def _import_upload_to(record, filename):
    # A random name on disk: the file name someone chose is kept in `original_name` for display,
    # never used as a path.
    suffix = pathlib.Path(filename).suffix.lower()[:10]
    return f"imports/{record.created_at:%Y/%m}/{uuid.uuid4().hex}{suffix}"


class ImportRecord(models.Model):
    """One uploaded spreadsheet (a staff list or a provider's completion file) and what became of it.

    The record is kept for good; the uploaded file itself is deleted 90 days after the import
    finished, 30 for a refused one (imports.services.import_files_purge). Work on a record is
    claimed by a conditional update of `status`, so a retried task or a second worker never runs a
    step twice. `kind` is one of the registered kinds (imports.kinds); the table keeps its first
    name, from when staff lists were the workforce app's.
    """

    class Kind(models.TextChoices):
        # The kinds this app registers itself, for code that names one; others register theirs.
        STAFF = "staff", "Staff list"
        COMPLETIONS = "completions", "Completion file"

    class Status(models.TextChoices):
        UPLOADED = "uploaded", "Uploaded, waiting to be checked"
        VALIDATING = "validating", "Checking the file"
        VALIDATED = "validated", "Checked, waiting for confirmation"
        INVALID = "invalid", "Refused: the file has errors"
        COMMITTING = "committing", "Applying the changes"
        COMMITTED = "committed", "Applied"
        FAILED = "failed", "Failed: nothing was changed"

    kind = models.CharField(max_length=20, choices=kinds.kind_choices)
    agency = models.ForeignKey(
        "workforce.Agency",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="imports",
        help_text="The agency whose staff list this is. Empty for kinds without an agency.",
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty when the file came through the command line.",
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    file = models.FileField(upload_to=_import_upload_to, blank=True, max_length=300)
    original_name = models.CharField("file name", max_length=255)
    file_format = models.CharField(max_length=10, blank=True, help_text="csv, xlsx or ods.")
    size_bytes = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, help_text="Hash of the uploaded bytes.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.UPLOADED)
    complete_list = models.BooleanField(
        default=False,
        help_text="The file is the agency's complete staff list: people missing from it become leavers.",
    )
    confirm_mass_leavers = models.BooleanField(
        default=False, help_text="Confirmed that more than 10% of the agency's staff may become leavers."
    )
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    rows_count = models.PositiveIntegerField(default=0)
    new_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    leavers_count = models.PositiveIntegerField(default=0)
    duplicates_count = models.PositiveIntegerField(default=0)
    errors_count = models.PositiveIntegerField(default=0)
    preview = models.JSONField(default=dict, blank=True)
    errors = models.JSONField(default=list, blank=True)
    options = models.JSONField(
        default=dict,
        blank=True,
        help_text="The kind's own choices made at upload, as plain values (a register's session id).",
    )
    message = models.TextField(blank=True, help_text="The outcome in a sentence, for the import history.")
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    file_deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "workforce_importrecord"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["agency", "kind", "-created_at"], name="import_agency_history_idx"),
            models.Index(fields=["finished_at"], name="import_finished_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="staff") | Q(agency__isnull=False),
                name="import_staff_list_has_agency",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}: {self.original_name}"

    @property
    def progress_percent(self):
        if not self.progress_total:
            return 0
        return min(100, round(100 * self.progress_done / self.progress_total))

    @property
    def is_finished(self):
        return self.status in {self.Status.INVALID, self.Status.COMMITTED, self.Status.FAILED}


class JobTitleMapping(models.Model):
    """An agency's own job title (as its HR system writes it) and the catalogue job role it means.

    HR maps a title once, in the preview of a staff list whose titles are not catalogue job roles;
    later uploads of that agency read the title as that job role, so a file may give job titles
    and no job role column at all (PRODUCT.md section 5). `title_key` is the title compared as
    every text is (case and runs of spaces ignored).
    """

    agency = models.ForeignKey(
        "workforce.Agency", on_delete=models.CASCADE, related_name="job_title_mappings"
    )
    title = models.CharField(max_length=200, help_text="The job title as the agency's HR system writes it.")
    title_key = models.CharField(max_length=200, editable=False)
    job_role = models.ForeignKey(
        "workforce.JobRole",
        on_delete=models.CASCADE,
        related_name="job_title_mappings",
        help_text="The catalogue job role this title means.",
    )
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["agency", "title_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "title_key"], name="job_title_mapping_unique_per_agency"
            )
        ]

    def __str__(self):
        return f"{self.title} → {self.job_role}"

    def save(self, *args, **kwargs):
        self.title = " ".join(self.title.split())
        self.title_key = self.title.casefold()
        super().save(*args, **kwargs)
