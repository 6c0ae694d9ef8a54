"""What the privacy app keeps: who was anonymised and why, each retention run's counts, and the
privacy notice's text."""

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from workforce.models import StaffMember


class Anonymisation(models.Model):
    """A person whose personal data was removed: by the retention rule (years after leaving) or at
    once on request (erasure, with a reason). The staff row, their completions and their outbox
    rows stay, stripped of anything that names them, so every figure is unchanged."""

    class Kind(models.TextChoices):
        RETENTION = "retention", "Retention period ended"
        ERASURE = "erasure", "Erasure on request"

    staff = models.OneToOneField(StaffMember, on_delete=models.PROTECT, related_name="anonymisation")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    reason = models.TextField(blank=True, help_text="Why the person was erased (erasure on request).")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    anonymised_at = models.DateTimeField()

    class Meta:
        ordering = ["-anonymised_at"]

    def __str__(self):
        return f"{self.get_kind_display()}: staff #{self.staff_id} on {self.anonymised_at:%d/%m/%Y}"


class RetentionRun(models.Model):
    """One run of the retention rules (nightly, or `retention_run`) and what it removed."""

    ran_on = models.DateField(help_text="The date the run applied the retention periods to.")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    anonymised_staff = models.PositiveIntegerField(default=0)
    files_deleted = models.PositiveIntegerField(default=0)
    messages_purged = models.PositiveIntegerField(default=0)
    triggered_by = models.CharField(max_length=20, default="schedule", help_text="schedule or command.")

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self):
        return f"Retention run for {self.ran_on:%d/%m/%Y}"


class PrivacyNotice(models.Model):
    """The text of the privacy notice page, written by a lead. One row; until a lead saves one the
    page shows the default text (privacy.notice.DEFAULT_TEXT)."""

    text = models.TextField(
        help_text="Plain paragraphs separated by a blank line. A line starting with '- ' is a bullet; "
        "a line starting with '## ' is a heading. Addresses and links are shown as typed."
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])

    def __str__(self):
        return "Privacy notice"
