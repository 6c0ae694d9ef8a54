"""django-import-export resources of the workforce catalogue (the admin's import and export buttons).

Staff lists are not imported through here: they are a kind of import of their own
(imports.kinds.staff), which checks and applies a whole file in bulk.
"""

from import_export import resources

from . import services
from .models import JobRole
from .spreadsheets import inert, uninert


class ServiceResource(resources.ModelResource):
    """A resource whose imports write through services, as every other write does: `create(fields,
    actor)` returns the saved object and `update(obj, actor)` saves one whose fields the import
    has set. A dry run (the preview) rolls back in its transaction as usual.

    Its exports are inert by the app's own rule (workforce.spreadsheets.inert: a cell starting with
    =, +, -, @, a tab or a carriage return gets a leading apostrophe, in CSV and XLSX alike), and
    its imports strip that apostrophe again, so an exported file uploads again unchanged.
    django-import-export's own IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT only drops a leading "=",
    which changes the data and leaves +, - and @ live."""

    service_fields = ()

    def export_field(self, field, instance, **kwargs):
        return inert(super().export_field(field, instance, **kwargs))

    def get_export_headers(self, selected_fields=None):
        return [inert(header) for header in super().get_export_headers(selected_fields)]

    def before_import_row(self, row, **kwargs):
        super().before_import_row(row, **kwargs)
        for key, value in row.items():
            if isinstance(value, str):
                row[key] = uninert(value)

    def create(self, fields, actor):
        raise NotImplementedError

    def update(self, obj, actor):
        raise NotImplementedError

    def save_instance(self, instance, is_create, row, **kwargs):
        self.before_save_instance(instance, row, **kwargs)
        actor = kwargs.get("user")
        if is_create:
            saved = self.create({name: getattr(instance, name) for name in self.service_fields}, actor)
            instance.pk, instance._state.adding = saved.pk, False
        else:
            self.update(instance, actor)
        self.after_save_instance(instance, row, **kwargs)


class JobRoleResource(ServiceResource):
    """Job roles matched by name, never by database id, so the catalogue moves between installations."""

    service_fields = services.JOB_ROLE_FIELDS

    class Meta:
        model = JobRole
        fields = ("name", "tier", "aliases", "description")
        import_id_fields = ("name",)
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True

    def create(self, fields, actor):
        return services.job_role_create(actor=actor, **fields)

    def update(self, obj, actor):
        return services.job_role_update(job_role=obj, actor=actor)
