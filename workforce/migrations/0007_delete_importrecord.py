"""The import record's model now belongs to the imports app (imports/0001): only the state moves;
the table stays, under its name, for the imports app to use."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("workforce", "0006_history_user_no_constraint"),
        ("imports", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ImportRecord")],
            database_operations=[],
        ),
    ]
