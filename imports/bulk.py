"""Writing many rows with their history, as imports and the demo data need.

simple_history writes a history row for every change of a model it tracks; saving 50,000 staff one
by one would take minutes. These helpers insert or change rows in bulk and write exactly the
history rows that saving one by one would have written, with the acting user and a reason: COPY on
PostgreSQL (with the history rows copied from the new rows on the server), simple_history's own
bulk helpers elsewhere.
"""

import operator

from django.db import connection
from simple_history.utils import (
    bulk_create_with_history,
    bulk_update_with_history,
    get_history_model_for_model,
)

from workforce.database import analyze

BATCH_SIZE = 2_000
# Field types whose Python values the PostgreSQL driver writes as they are.
_PLAIN_TYPES = {
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "DateField",
    "DateTimeField",
    "EmailField",
    "ForeignKey",
    "IntegerField",
    "OneToOneField",
    "PositiveBigIntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SlugField",
    "SmallIntegerField",
    "TextField",
}


def bulk_insert_with_history(model, rows, *, user, reason, when):
    """Insert new rows and their "+" history rows (history_user `user`, change reason `reason`).

    `rows` are dicts of field attname -> value as the database stores it (a foreign key as its id,
    a file field as its name); missing fields are null, and each dict gets its new id. On
    PostgreSQL the rows go through COPY with ids taken from the table's sequence, with no model
    instances at all (Django's bulk_create spends most of a large import preparing values field by
    field), and their history rows are copied from them on the server. Elsewhere this is
    simple_history's bulk_create_with_history. Either way every row gets its history row.
    """
    if not rows:
        return rows
    fields = model._meta.concrete_fields
    for field in fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            for row in rows:
                row[field.attname] = when
    pk = model._meta.pk
    if connection.vendor != "postgresql":
        objs = [model(**row) for row in rows]
        bulk_create_with_history(
            objs,
            model,
            batch_size=BATCH_SIZE,
            default_user=user,
            default_change_reason=reason,
            default_date=when,
        )
        for row, obj in zip(rows, objs, strict=True):
            row[pk.attname] = obj.pk
        return rows
    table = model._meta.db_table
    for row, pk_value in zip(rows, reserve_ids(model, len(rows)), strict=True):
        row[pk.attname] = pk_value
    with connection.cursor() as cursor:
        _copy_dicts(cursor, table, fields, rows)
        _history_from_table(
            cursor,
            model,
            [row[pk.attname] for row in rows],
            history_type="+",
            user=user,
            reason=reason,
            when=when,
        )
    analyze(model, rows=len(rows))
    return rows


def reserve_ids(model, count):
    """Primary keys for `count` new rows, taken from the table's sequence so later inserts carry on."""
    if count == 0:
        return []
    table, pk = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The sequence's name once: pg_get_serial_sequence on every row costs more than the ids.
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, pk])
            sequence = cursor.fetchone()[0]
            cursor.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [sequence, count])
            return [row[0] for row in cursor.fetchall()]
        # SQLite (AUTOINCREMENT): past both the highest id and the highest ever handed out. The
        # write lock taken when the transaction began keeps anyone else from inserting meanwhile.
        quote = connection.ops.quote_name
        cursor.execute(f"SELECT COALESCE(MAX({quote(pk)}), 0) FROM {quote(table)}")  # noqa: S608
        highest = cursor.fetchone()[0]
        if connection.vendor == "sqlite":
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            found = cursor.fetchone()
            highest = max(highest, found[0] if found else 0)
    return list(range(highest + 1, highest + 1 + count))


def _copy_dicts(cursor, table, fields, rows):
    quote = connection.ops.quote_name
    names = [field.attname for field in fields]
    # Dates and times as ISO text, each distinct value formatted once (see _as_text).
    dated = [
        (index, {})
        for index, field in enumerate(fields)
        if field.get_internal_type() in ("DateField", "DateTimeField")
    ]
    columns = ", ".join(quote(field.column) for field in fields)
    with cursor.cursor.copy(f"COPY {quote(table)} ({columns}) FROM STDIN") as copy:
        write = copy.write_row
        for row in rows:
            values = list(map(row.get, names))
            for index, texts in dated:
                value = values[index]
                if value is not None:
                    text = texts.get(value)
                    if text is None:
                        text = texts[value] = value.isoformat()
                    values[index] = text
            write(values)


def _history_from_table(cursor, model, ids, *, history_type, user, reason, when):
    """Write the history rows of the rows `ids` (in id order) from their state in the table, inside
    this transaction: the rows are already on the server, so they are not sent a second time.

    The rows are those simple_history's bulk helpers would write: every column of the history
    table is a column of the model's table or one of the four history fields set here.
    """
    history = get_history_model_for_model(model)
    fixed = {
        "history_date": when,
        "history_change_reason": reason,
        "history_type": history_type,
        "history_user_id": user.pk if user is not None else None,
    }
    source = {field.attname: field for field in model._meta.concrete_fields}
    fields = [field for field in history._meta.concrete_fields if not field.primary_key]
    extra = [field.attname for field in fields if field.attname not in source and field.attname not in fixed]
    if extra:
        raise TypeError(f"{history.__name__} has fields the bulk history writer does not fill: {extra}")
    quote = connection.ops.quote_name
    selected, params = [], []
    for field in fields:
        if field.attname in fixed:
            selected.append("%s")
            params.append(fixed[field.attname])
        else:
            selected.append(f"t.{quote(source[field.attname].column)}")
    pk = model._meta.pk
    columns = ", ".join(quote(field.column) for field in fields)
    # Names are the models' own tables and columns, quoted; values are parameters.
    cursor.execute(
        f"INSERT INTO {quote(history._meta.db_table)} ({columns}) "  # noqa: S608
        f"SELECT {', '.join(selected)} FROM {quote(model._meta.db_table)} AS t "
        f"WHERE t.{quote(pk.column)} = ANY(%s::{pk.rel_db_type(connection)}[]) ORDER BY t.{quote(pk.column)}",
        [*params, list(ids)],
    )


def _as_text(field):
    """For date and time columns, a function writing each distinct value's ISO text once.

    The driver formats a timezone-aware datetime in about 9 microseconds and a date in 2.5; an
    import writes the same timestamp on every row and the same few thousand dates again and again,
    and the server reads ISO text as quickly as its own format.
    """
    if field.get_internal_type() not in ("DateField", "DateTimeField"):
        return None
    texts = {}

    def text(value):
        if value is None:
            return None
        known = texts.get(value)
        if known is None:
            known = texts[value] = value.isoformat()
        return known

    return text


def bulk_change_with_history(model, objs, fields, *, user, reason, when):
    """Save `fields` of existing rows and write their "~" history rows with the full new state.

    On PostgreSQL: COPY into a temporary table and one UPDATE ... FROM it (Django's bulk_update
    builds a CASE per field and row, which grows slow past a few thousand rows). Elsewhere this is
    simple_history's bulk_update_with_history.
    """
    if not objs:
        return
    if connection.vendor != "postgresql":
        bulk_update_with_history(
            objs,
            model,
            fields,
            batch_size=BATCH_SIZE,
            default_user=user,
            default_change_reason=reason,
            default_date=when,
        )
        return
    # Every name in the SQL below is a model's own table or column, quoted; values go through COPY.
    quote = connection.ops.quote_name
    table, pk = model._meta.db_table, model._meta.pk
    changed = [model._meta.get_field(name) for name in fields]
    scratch = "import_bulk_change"
    columns = ", ".join(quote(field.column) for field in [pk, *changed])
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {scratch}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {scratch} AS SELECT {columns} FROM {quote(table)} WITH NO DATA"  # noqa: S608
        )
        _copy(cursor, scratch, [pk, *changed], objs)
        assignments = ", ".join(f"{quote(field.column)} = s.{quote(field.column)}" for field in changed)
        cursor.execute(
            f"UPDATE {quote(table)} AS t SET {assignments} FROM {scratch} AS s "  # noqa: S608
            f"WHERE t.{quote(pk.column)} = s.{quote(pk.column)}"
        )
        cursor.execute(f"DROP TABLE {scratch}")
        _history_from_table(
            cursor, model, [obj.pk for obj in objs], history_type="~", user=user, reason=reason, when=when
        )
    analyze(model, rows=len(objs))


def _getters(fields):
    """For each field a function obj -> the value to write: the attribute as it is where the
    driver can write it, else through the field's own conversion (a file field's name)."""
    getters = []
    for field in fields:
        as_text = _as_text(field)
        if as_text is not None:
            getters.append(lambda obj, name=field.attname, as_text=as_text: as_text(getattr(obj, name)))
        elif field.get_internal_type() in _PLAIN_TYPES:
            getters.append(operator.attrgetter(field.attname))
        else:
            getters.append(lambda obj, f=field: f.get_db_prep_save(getattr(obj, f.attname), connection))
    return getters


def _copy_rows(cursor, table, fields, getters, objs):
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    with cursor.cursor.copy(f"COPY {quote(table)} ({columns}) FROM STDIN") as copy:
        for obj in objs:
            copy.write_row([get(obj) for get in getters])


def _copy(cursor, table, fields, objs):
    _copy_rows(cursor, table, fields, _getters(fields), objs)
