"""Planner statistics after bulk writes.

PostgreSQL plans a query from each table's statistics, which autovacuum refreshes some time after a
table has changed a lot, and never where it is switched off (as on the development machine). A
query that runs straight after a bulk write, in the same transaction or the next request, would
otherwise be planned for the table as it was: the go-live reminder planning's UPDATE, planned on
an empty-looking item table just filled with 1.6 million rows, chose a plan that costs messages
times items. Every bulk write (imports, the planner's inserts, the demo seeder, retention) calls
`analyze` for the tables it filled. ANALYZE samples a fixed number of rows, so it costs a fraction
of a second however large the table, and it may run inside the writing transaction, whose rows it
sees.
"""

from django.db import connection

# Below this many rows written, the statistics do not move enough to change a plan.
ANALYZE_AFTER_ROWS = 5_000


def analyze(*models, rows: int | None = None) -> bool:
    """Refresh the planner statistics of the models' tables (with their history tables, when the
    model keeps one) on PostgreSQL, when `rows` (if given) is large enough to matter. Returns
    whether it ran."""
    if connection.vendor != "postgresql" or (rows is not None and rows < ANALYZE_AFTER_ROWS):
        return False
    tables = []
    for model in models:
        tables.append(model._meta.db_table)
        history = getattr(model, "history", None)
        if history is not None and hasattr(history, "model"):
            tables.append(history.model._meta.db_table)
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {', '.join(quote(table) for table in dict.fromkeys(tables))}")  # noqa: S608
    return True


def analyze_all() -> bool:
    """Refresh every table's statistics (the demo seeder fills most tables at once)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return True
