"""django-import-export resources of the workforce catalogue (the admin's import and export buttons).

Staff lists are not imported through here: they are a kind of import of their own
(imports.kinds.staff), which checks and applies a whole file in bulk.
"""

from import_export import resources

from .models import JobRole


class JobRoleResource(resources.ModelResource):
    """Job roles matched by name, never by database id, so the catalogue moves between installations."""

    class Meta:
        model = JobRole
        fields = ("name", "tier", "aliases", "description")
        import_id_fields = ("name",)
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
