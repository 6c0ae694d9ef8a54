from django.db import migrations, models


def forget_the_state(apps, schema_editor):
    """The state kept before this migration has no groups to count its pairs under: drop it, so that
    every reader uses the engine until the next roll (nightly, or `compliance_state --roll`)
    rebuilds it with its counts."""
    apps.get_model("training", "PairState").objects.all().delete()
    apps.get_model("training", "ComplianceState").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("training", "0005_pair_state"),
    ]

    operations = [
        migrations.RunPython(forget_the_state, migrations.RunPython.noop),
        migrations.AddField(
            model_name="pairstate",
            name="agency_id",
            field=models.BigIntegerField(
                default=0, help_text="The person's agency when the pair was written."
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="pairstate",
            name="team_id",
            field=models.BigIntegerField(blank=True, help_text="Their team then (none: no team).", null=True),
        ),
        migrations.AddField(
            model_name="pairstate",
            name="job_role_id",
            field=models.BigIntegerField(default=0, help_text="Their job role then."),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="pairstate",
            name="anchor_on",
            field=models.DateField(
                blank=True,
                help_text="A due or overdue pair's anchor (training.compliance.anchor_date).",
                null=True,
            ),
        ),
        migrations.CreateModel(
            name="StateCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("agency_id", models.BigIntegerField()),
                ("team_id", models.BigIntegerField(help_text="0: people with no team.")),
                ("job_role_id", models.BigIntegerField()),
                ("module_id", models.BigIntegerField(help_text="0: a row of people.")),
                ("bits", models.PositiveSmallIntegerField()),
                ("total", models.IntegerField()),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("agency_id", "team_id", "job_role_id", "module_id", "bits"),
                        name="state_count_unique",
                    )
                ],
            },
        ),
    ]
