"""django-import-export resources of the workforce catalogue (the admin's import and export buttons).

Staff lists are not imported through here: they are a kind of import of their own
(imports.kinds.staff), which checks and applies a whole file in bulk.
"""

from import_export import resources

from . import services
from .models import JobRole


class ServiceResource(resources.ModelResource):
    """A resource whose imports write through services, as every other write does: `create(fields,
    actor)` returns the saved object and `update(obj, actor)` saves one whose fields the import
    has set. A dry run (the preview) rolls back in its transaction as usual."""

    service_fields = ()

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
