"""The kinds of reminder come from the registered sources (notifications.sources), not a list here."""

from django.db import migrations, models

import notifications.models


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0003_item_without_foreign_key_constraints"),
    ]

    operations = [
        migrations.AlterField(
            model_name="digestoptout",
            name="kind",
            field=models.CharField(choices=notifications.models.digest_kind_choices, max_length=30),
        ),
        migrations.AlterField(
            model_name="reminderitem",
            name="kind",
            field=models.CharField(choices=notifications.models.kind_choices, max_length=30),
        ),
    ]
