from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(SimpleHistoryAdmin):
    """Leads can see who holds tokens and when they were used; the hash is never shown."""

    list_display = ["name", "user", "prefix", "created_at", "expires_on", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "user__username", "prefix"]
    fields = ["user", "name", "prefix", "created_at", "expires_on", "last_used_at", "revoked_at"]
    readonly_fields = ["user", "prefix", "created_at", "last_used_at"]

    def has_add_permission(self, request):
        return False  # tokens are made on the token page or with api_token, so they are shown once
