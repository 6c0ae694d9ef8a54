"""Planner statistics after bulk writes, Python's collector paused for bulk work, and which
database answers the heavy reads.

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

import contextvars
import functools
import gc
from contextlib import contextmanager

from django.conf import settings
from django.db import connection, connections

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


@contextmanager
def gc_paused():
    """Pause Python's cycle collector for a block of bulk work (a file read and checked, the
    reminder planner): it makes hundreds of thousands of small objects that hold no cycles and
    live to the end, and the collector would walk them again and again and free nothing (half the
    planner's time at 250,000 staff: 9.5 s against 4.9 s for a next day's plan). Restored after,
    as it was; what the block left is then collected as usual."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# ---------------------------------------------------------------------------------------------
# Heavy reads on the read replica
# ---------------------------------------------------------------------------------------------
#
# With DATABASE_REPLICA_URL set, the reads that cost the most (dashboards, lists of people,
# exports, reports, the planner's reads) go to a PostgreSQL streaming replica, through
# config.db_router. Everything else reads the primary, and so does a heavy read that must see the
# latest write: one inside a transaction on the primary, or in a request from someone who wrote
# something a moment ago (config.middleware.PrimaryAfterWriteMiddleware pins them for
# REPLICA_STICKY_SECONDS, longer than the replica's usual lag).


REPLICA_ALIAS = "replica"
_heavy = contextvars.ContextVar("heavy_reads", default=False)
_pinned = contextvars.ContextVar("primary_pinned", default=False)


@contextmanager
def heavy_reads():
    """Reads in this block may go to the read replica (when one is configured)."""
    token = _heavy.set(True)
    try:
        yield
    finally:
        _heavy.reset(token)


def heavy_reads_view(view):
    """A view whose reads may go to the read replica."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        with heavy_reads():
            return view(*args, **kwargs)

    return wrapped


@contextmanager
def primary_pinned():
    """Every read in this block reads the primary, heavy or not."""
    token = _pinned.set(True)
    try:
        yield
    finally:
        _pinned.reset(token)


def read_alias() -> str | None:
    """The database alias for a read now: the replica for a heavy read that may lag, else None
    (the router's "no opinion", which is the primary)."""
    if not settings.DATABASE_REPLICA_ENABLED or not _heavy.get() or _pinned.get():
        return None
    if REPLICA_ALIAS not in settings.DATABASES or connections["default"].in_atomic_block:
        return None
    return REPLICA_ALIAS
