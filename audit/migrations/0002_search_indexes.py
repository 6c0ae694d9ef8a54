"""Trigram indexes for the audit log's free-text search on PostgreSQL.

The page's search is a case-insensitive "contains" on the description, the record and the actor
(Django's icontains: UPPER(column) LIKE UPPER('%term%')), which no ordinary index serves: over two
years of events every search read every row. pg_trgm's GIN indexes on exactly those expressions
answer it from the index. pg_trgm is a trusted extension (PostgreSQL 13 and later), so the
database's owner may create it; where it cannot be created the search still works, only slower,
and the migration says so rather than failing. SQLite has no such index and needs none at the
sizes it is used for.
"""

import logging

from django.db import DatabaseError, migrations, transaction

logger = logging.getLogger(__name__)

COLUMNS = ("description", "target_label", "actor")


def _create(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            for column in COLUMNS:
                cursor.execute(
                    f"CREATE INDEX IF NOT EXISTS audit_{column}_trgm ON audit_auditevent "  # noqa: S608
                    f"USING gin (UPPER({column}::text) gin_trgm_ops)"
                )
    except DatabaseError as exc:
        logger.warning(
            "Audit-log search indexes not created (pg_trgm unavailable: %s); search is slower.", exc
        )


def _drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for column in COLUMNS:
            cursor.execute(f"DROP INDEX IF EXISTS audit_{column}_trgm")


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(_create, _drop, elidable=False)]
