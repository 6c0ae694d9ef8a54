"""Only staff lists must name an agency: a kind added later (an attendance register) need not."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("imports", "0001_initial"),
        ("workforce", "0007_delete_importrecord"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="importrecord",
            name="import_staff_list_has_agency",
        ),
        migrations.AddConstraint(
            model_name="importrecord",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("kind", "staff"), _negated=True), ("agency__isnull", False), _connector="OR"
                ),
                name="import_staff_list_has_agency",
            ),
        ),
    ]
