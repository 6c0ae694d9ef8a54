"""django-import-export's own row-by-row import of a staff list, for the comparison in
benchmarks/import_staff.py only: the tracker itself imports staff lists in bulk (imports.kinds.staff).

The staff-list resource with the hooks that django-import-export's import_data needs to save one
row at a time: the same columns, aliases and widgets as the bulk path.
"""

from imports.columns import match_headers
from imports.kinds.staff import StaffResource
from workforce.models import StaffMember
from workforce.services import team_get_or_create


class RowByRowStaffResource(StaffResource):
    def get_queryset(self):
        return StaffMember.objects.filter(agency=self.agency).select_related("job_role", "team", "agency")

    def before_import(self, dataset, **kwargs):
        """Rename the file's headers to field names, so aliases work on the row-by-row path too."""
        match = match_headers(dataset.headers, self.columns)
        renamed = list(dataset.headers)
        for field, index in match.indexes.items():
            renamed[index] = field
        dataset.headers = renamed

    def init_instance(self, row=None):
        return StaffMember(agency=self.agency)

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        if field.attribute == "team" and field.column_name in row:
            instance.team = team_get_or_create(agency=self.agency, name=field.clean(row))
            return
        super().import_field(field, instance, row, is_m2m=is_m2m, **kwargs)

    def before_save_instance(self, instance, row, **kwargs):
        if instance.pk is None and instance.role_since is None:
            instance.role_since = instance.start_date
