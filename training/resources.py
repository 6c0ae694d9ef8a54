"""django-import-export resources for the training catalogue (admin import and export buttons).

Modules are matched by code and requirements by (job role name, module code), never by database
id, so the catalogue moves between installations as a readable spreadsheet.
"""

from import_export import fields, resources
from import_export.widgets import ForeignKeyWidget

from workforce.models import JobRole

from .models import Module, Requirement


class ModuleResource(resources.ModelResource):
    class Meta:
        model = Module
        fields = (
            "code",
            "title",
            "description",
            "tier",
            "domain",
            "delivery_mode",
            "duration",
            "validity_months",
            "renewal_window_days",
            "active",
        )
        import_id_fields = ("code",)
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True


class RequirementResource(resources.ModelResource):
    job_role = fields.Field(
        attribute="job_role", column_name="job_role", widget=ForeignKeyWidget(JobRole, field="name")
    )
    module = fields.Field(
        attribute="module", column_name="module", widget=ForeignKeyWidget(Module, field="code")
    )

    class Meta:
        model = Requirement
        fields = ("job_role", "module", "due_within_days", "starts_on")
        import_id_fields = ("job_role", "module")
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True

    def get_queryset(self):
        # Exports name each row's role and module: join them rather than query once per row.
        return super().get_queryset().select_related("job_role", "module")
