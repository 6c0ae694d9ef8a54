"""The import app's records in the Django admin: an agency's job title mappings."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import JobTitleMapping


@admin.register(JobTitleMapping)
class JobTitleMappingAdmin(SimpleHistoryAdmin):
    list_display = ("title", "job_role", "agency", "updated_at")
    list_filter = ("agency",)
    search_fields = ("title",)
    autocomplete_fields = ()
