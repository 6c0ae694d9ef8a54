"""django-import-export resources for the training catalogue (admin import and export buttons).

Modules are matched by code and requirements by (job role name, module code), never by database
id, so the catalogue moves between installations as a readable spreadsheet.
"""

from import_export import fields
from import_export.widgets import ForeignKeyWidget

from workforce.models import JobRole
from workforce.resources import ServiceResource

from . import services
from .models import Module, Requirement


class ModuleResource(ServiceResource):
    service_fields = services.MODULE_FIELDS

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

    def create(self, fields, actor):
        return services.module_create(actor=actor, **fields)

    def update(self, obj, actor):
        return services.module_update(module=obj, actor=actor)


class RequirementResource(ServiceResource):
    service_fields = services.REQUIREMENT_FIELDS

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

    def create(self, fields, actor):
        return services.requirement_create(actor=actor, **fields)

    def update(self, obj, actor):
        return services.requirement_update(requirement=obj, actor=actor)
