"""django-import-export resources for the training catalogue (admin import and export buttons).

Modules are matched by code and requirements by (job role name, module code), never by database
id, so the catalogue moves between installations as a readable spreadsheet.

CompletionResource, at the end, defines the columns of training providers' completion files,
which training.completion_import reads in bulk.
"""

from import_export import fields, resources, widgets
from import_export.widgets import ForeignKeyWidget

from workforce.models import JobRole
from workforce.resources import (
    STAFF_COLUMNS,
    Column,
    ColumnsResource,
    EmailWidget,
    TextWidget,
    UKDateWidget,
    cell_text,
)

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


# ---------------------------------------------------------------------------------------------
# Completion files from training providers (read by training.completion_import)
# ---------------------------------------------------------------------------------------------

COMPLETION_COLUMNS = (
    Column(
        "email",
        "Email",
        aliases=("email", "learner email", "user email", "email address", "work email"),
        help_text="The learner's work email. Or give Agency and Staff number instead.",
        example="asha.patel@example.org",
    ),
    Column(
        "agency",
        "Agency",
        aliases=("agency", "organisation", "agency slug"),
        help_text="The agency's name or short name; needed with Staff number when there is no email.",
        example="",
    ),
    Column(
        "staff_number",
        "Staff number",
        aliases=next(column.aliases for column in STAFF_COLUMNS if column.field == "staff_number"),
        example="",
    ),
    Column(
        "module",
        "Module",
        required=True,
        aliases=("module", "course", "course code", "module code"),
        help_text="The module's code (HSB-101) or its exact title.",
        example="HSB-101",
    ),
    Column(
        "completed_on",
        "Completed on",
        required=True,
        aliases=("completion date", "date completed", "completed", "completed on"),
        help_text="The date the learner completed the module. Not in the future.",
        example="2026-03-04",
    ),
    Column(
        "certificate_reference",
        "Certificate reference",
        aliases=("certificate reference", "certificate number", "certificate"),
        example="CERT-0042",
    ),
)


def _module_key(text):
    return " ".join(text.split()).casefold()


class ModuleWidget(widgets.Widget):
    """A module by its code or its exact title, ignoring case and repeated spaces."""

    def __init__(self, modules):
        super().__init__()
        self.lookup = {}
        for module in modules:
            self.lookup[_module_key(module.title)] = module
        for module in modules:
            self.lookup[_module_key(module.code)] = module

    def clean(self, value, row=None, **kwargs):
        text = cell_text(value)
        if not text:
            return None
        module = self.lookup.get(_module_key(text))
        if module is None:
            raise ValueError("No module has this code or title. Use the module code, for example HSB-101.")
        return module

    def render(self, value, obj=None, **kwargs):
        return value.code if value else ""


class CompletionDateWidget(UKDateWidget):
    def latest_date(self, today):
        return today

    def too_late(self, day):
        return f"{day.day} {day:%B %Y} is in the future. A completion date cannot be in the future."


class CompletionResource(ColumnsResource, resources.Resource):
    """A provider's completion file: who (email, or agency and staff number), which module, when."""

    email = fields.Field(column_name="email", widget=EmailWidget())
    agency = fields.Field(column_name="agency", widget=TextWidget(max_length=200))
    staff_number = fields.Field(column_name="staff_number", widget=TextWidget(max_length=50))
    module = fields.Field("module", "module", widget=ModuleWidget(()))
    completed_on = fields.Field("completed_on", "completed_on", widget=CompletionDateWidget(today=None))
    certificate_reference = fields.Field(
        "certificate_reference", "certificate_reference", widget=TextWidget(max_length=200)
    )

    columns = COMPLETION_COLUMNS

    def __init__(self, *, today, modules=None, **kwargs):
        super().__init__(**kwargs)
        self.today = today
        modules = list(modules if modules is not None else Module.objects.all())
        self.fields["module"].widget = ModuleWidget(modules)
        self.fields["completed_on"].widget = CompletionDateWidget(today=today)
