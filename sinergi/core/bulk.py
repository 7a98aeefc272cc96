"""Updating many rows by primary key at once, for bulk writes (imports)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import islice
from typing import Any

from django.db import connection
from django.db.models import Model

CHUNK = 2000


def update_by_pk(model: type[Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Set `columns` (field names) of `model`'s rows: each of `rows` is (pk, value, …).

    Django's `bulk_update` builds a CASE expression per row. Here PostgreSQL gets one
    `UPDATE … FROM (VALUES …)` per 2,000 rows (a statement per row would be a round trip
    each); SQLite, in-process, one plain UPDATE per row sent with `executemany`. Values
    are prepared by their fields as `save()` would. Call inside the caller's transaction.
    """
    meta = model._meta
    quote = connection.ops.quote_name
    fields = [meta.get_field(name) for name in columns]
    table, pk = quote(meta.db_table), quote(meta.pk.column)
    names = [quote(f.column) for f in fields]

    def prepared(row: Sequence[Any]) -> list[Any]:
        return [
            row[0],
            *(f.get_db_prep_save(v, connection) for f, v in zip(fields, row[1:], strict=True)),
        ]

    items = iter(rows)
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            sets = ", ".join(f"{name} = %s" for name in names)
            cursor.executemany(
                f"UPDATE {table} SET {sets} WHERE {pk} = %s",  # noqa: S608 names from the model
                [[*p[1:], p[0]] for p in map(prepared, items)],
            )
            return
        types = [meta.pk.db_type(connection), *(f.db_type(connection) for f in fields)]
        row_marks = "(" + ", ".join(f"%s::{t}" for t in types) + ")"
        sets = ", ".join(f"{name} = v.{name}" for name in names)
        while chunk := [prepared(row) for row in islice(items, CHUNK)]:
            cursor.execute(
                f"UPDATE {table} SET {sets} FROM (VALUES {', '.join([row_marks] * len(chunk))})"  # noqa: S608
                f" AS v({pk}, {', '.join(names)}) WHERE {table}.{pk} = v.{pk}",
                [value for row in chunk for value in row],
            )
