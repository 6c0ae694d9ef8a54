"""The import record moves from the workforce app to this one: its table, indexes and data stay
exactly where they are (the state alone moves, and workforce's 0007 drops it there), and its
content type follows it so that admin history and permissions still point at it."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import imports.kinds
import imports.models


def move_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="imports", model="importrecord").exists():
        ContentType.objects.filter(app_label="workforce", model="importrecord").update(app_label="imports")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("workforce", "0006_history_user_no_constraint"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ImportRecord",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("kind", models.CharField(choices=imports.kinds.kind_choices, max_length=20)),
                        (
                            "file",
                            models.FileField(
                                blank=True, max_length=300, upload_to=imports.models._import_upload_to
                            ),
                        ),
                        ("original_name", models.CharField(max_length=255, verbose_name="file name")),
                        (
                            "file_format",
                            models.CharField(blank=True, help_text="csv, xlsx or ods.", max_length=10),
                        ),
                        ("size_bytes", models.PositiveBigIntegerField(default=0)),
                        ("sha256", models.CharField(help_text="Hash of the uploaded bytes.", max_length=64)),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("uploaded", "Uploaded, waiting to be checked"),
                                    ("validating", "Checking the file"),
                                    ("validated", "Checked, waiting for confirmation"),
                                    ("invalid", "Refused: the file has errors"),
                                    ("committing", "Applying the changes"),
                                    ("committed", "Applied"),
                                    ("failed", "Failed: nothing was changed"),
                                ],
                                default="uploaded",
                                max_length=20,
                            ),
                        ),
                        (
                            "complete_list",
                            models.BooleanField(
                                default=False,
                                help_text="The file is the agency's complete staff list: people missing from it become leavers.",
                            ),
                        ),
                        (
                            "confirm_mass_leavers",
                            models.BooleanField(
                                default=False,
                                help_text="Confirmed that more than 10% of the agency's staff may become leavers.",
                            ),
                        ),
                        ("progress_done", models.PositiveIntegerField(default=0)),
                        ("progress_total", models.PositiveIntegerField(default=0)),
                        ("rows_count", models.PositiveIntegerField(default=0)),
                        ("new_count", models.PositiveIntegerField(default=0)),
                        ("updated_count", models.PositiveIntegerField(default=0)),
                        ("unchanged_count", models.PositiveIntegerField(default=0)),
                        ("leavers_count", models.PositiveIntegerField(default=0)),
                        ("duplicates_count", models.PositiveIntegerField(default=0)),
                        ("errors_count", models.PositiveIntegerField(default=0)),
                        ("preview", models.JSONField(blank=True, default=dict)),
                        ("errors", models.JSONField(blank=True, default=list)),
                        (
                            "message",
                            models.TextField(
                                blank=True, help_text="The outcome in a sentence, for the import history."
                            ),
                        ),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("claimed_at", models.DateTimeField(blank=True, null=True)),
                        ("finished_at", models.DateTimeField(blank=True, null=True)),
                        ("file_deleted_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "agency",
                            models.ForeignKey(
                                blank=True,
                                help_text="The agency whose staff list this is. Empty for kinds without an agency.",
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="imports",
                                to="workforce.agency",
                            ),
                        ),
                        (
                            "confirmed_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "uploaded_by",
                            models.ForeignKey(
                                blank=True,
                                help_text="Empty when the file came through the command line.",
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "workforce_importrecord",
                        "ordering": ["-created_at", "-id"],
                        "indexes": [
                            models.Index(
                                fields=["agency", "kind", "-created_at"], name="import_agency_history_idx"
                            ),
                            models.Index(fields=["finished_at"], name="import_finished_idx"),
                        ],
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(
                                    ("kind", "completions"), ("agency__isnull", False), _connector="OR"
                                ),
                                name="import_staff_list_has_agency",
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_type, reverse_code=migrations.RunPython.noop),
    ]
