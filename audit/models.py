from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """One thing that happened which an information governance review may ask about: a sign-in,
    a download of personal data, an API token made, used or revoked, a change in the admin.

    Written only by `audit.services.audit_record`, never changed, deleted after
    AUDIT_RETENTION_DAYS. The actor's name is kept as text as well as the user, so the row still
    says who it was after the account is deleted.
    """

    at = models.DateTimeField(db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=40)
    description = models.CharField(max_length=500)
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=300, blank=True)
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    extra = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["action", "at"], name="audit_action_at"),
            models.Index(fields=["user", "at"], name="audit_user_at"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor or 'someone'}: {self.description}"
