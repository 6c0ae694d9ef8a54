"""API tokens (PRODUCT.md section 10) and the answers remembered for Idempotency-Key."""

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords


class ApiToken(models.Model):
    """A bearer token of one user. Only its SHA-256 hash is stored, and a short prefix so that a
    person can tell their tokens apart; the token itself is shown once, when it is made."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. 'Payroll sync'.")
    prefix = models.CharField(max_length=12, help_text="The token's first characters, to recognise it.")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_on = models.DateField(null=True, blank=True, help_text="Empty: never expires.")
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Creation and revocation are audited; last_used_at is not (it changes on every request).
    history = HistoricalRecords(excluded_fields=["last_used_at"])

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"


class IdempotentAnswer(models.Model):
    """The first answer to a POST sent with an Idempotency-Key, replayed for a retry."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    path = models.CharField(max_length=500)
    status_code = models.PositiveSmallIntegerField()
    body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["token", "key"], name="api_idempotency_key_once")]

    def __str__(self):
        return self.key
