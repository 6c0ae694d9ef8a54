"""Read-only records for leads: who was anonymised and why, and what each retention run removed.
Both are written only by privacy.services; the privacy notice is edited on its own page."""

from django.contrib import admin

from workforce.admin import LeadOnlyAdmin

from .models import Anonymisation, RetentionRun


class ReadOnlyAdmin(LeadOnlyAdmin, admin.ModelAdmin):
    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Anonymisation)
class AnonymisationAdmin(ReadOnlyAdmin):
    list_display = ["staff", "kind", "anonymised_at", "actor"]
    list_filter = ["kind"]


@admin.register(RetentionRun)
class RetentionRunAdmin(ReadOnlyAdmin):
    list_display = [
        "ran_on",
        "started_at",
        "finished_at",
        "anonymised_staff",
        "files_deleted",
        "messages_purged",
    ]
