"""Outbox keys become name-based UUIDs of the same parts, and the series index goes.

The first planner run after go-live writes hundreds of thousands of items (every earlier stage of
a series is recorded as skipped): a 16-byte key indexes far faster than a 90-character one, and
catch-up now looks items up by key, so the series index only slowed those inserts down. Existing
keys are converted, not dropped: the new key is uuid5 of the old readable one, exactly what
notifications.selectors.item_key now returns for the same reminder.
"""

import uuid

from django.db import migrations, models

KEY_NAMESPACE = uuid.UUID("6f1d3c52-52a5-4f0c-9a57-2d8f1e0c4b7e")  # as notifications.selectors


def keys_to_uuids(apps, schema_editor):
    item_model = apps.get_model("notifications", "ReminderItem")
    batch = []
    for item in item_model.objects.only("id", "key").iterator(chunk_size=5000):
        item.key_uuid = uuid.uuid5(KEY_NAMESPACE, item.key)
        batch.append(item)
        if len(batch) == 5000:
            item_model.objects.bulk_update(batch, ["key_uuid"])
            batch = []
    if batch:
        item_model.objects.bulk_update(batch, ["key_uuid"])


def uuids_to_keys(apps, schema_editor):
    """Going back: the readable key is the kind, the series and the stage, as it was built."""
    item_model = apps.get_model("notifications", "ReminderItem")
    batch = []
    for item in item_model.objects.only("id", "kind", "series", "stage").iterator(chunk_size=5000):
        item.key = f"{item.kind}|{item.series}|{item.stage}"
        batch.append(item)
        if len(batch) == 5000:
            item_model.objects.bulk_update(batch, ["key"])
            batch = []
    if batch:
        item_model.objects.bulk_update(batch, ["key"])


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_initial")]

    operations = [
        migrations.RemoveIndex(model_name="reminderitem", name="item_series_idx"),
        migrations.RemoveConstraint(model_name="reminderitem", name="item_unique_key"),
        # A default only so that migrating back can add the old column to existing rows.
        migrations.AlterField(
            model_name="reminderitem", name="key", field=models.CharField(max_length=400, default="")
        ),
        migrations.AddField(model_name="reminderitem", name="key_uuid", field=models.UUIDField(null=True)),
        migrations.RunPython(keys_to_uuids, uuids_to_keys, elidable=True),
        migrations.RemoveField(model_name="reminderitem", name="key"),
        migrations.RenameField(model_name="reminderitem", old_name="key_uuid", new_name="key"),
        migrations.AlterField(
            model_name="reminderitem",
            name="key",
            field=models.UUIDField(
                help_text="A name-based UUID of the kind, recipient, person, module, cycle and stage."
            ),
        ),
        migrations.AddConstraint(
            model_name="reminderitem",
            constraint=models.UniqueConstraint(fields=("key",), name="item_unique_key"),
        ),
    ]
