"""The few raw queries every request runs: prepared on PostgreSQL, rows made cheaply.

A signed-in page reads its session, the person, the partnership with the reader's role
and, on the kept pages, a version; each is one short SELECT. Django sends them as text
with the values in (psycopg's client-side binding), so PostgreSQL parses and plans each
one afresh, and `Model.objects.raw()` works out its columns again for every query. Here:

- `cursor(connection)` is Django's cursor (same connection, transaction, error mapping,
  query logging) whose statements psycopg binds on the server and prepares on their
  first run, so PostgreSQL plans each of these queries once per connection (and again
  after a rollback) rather than once per request. `SINERGI_PREPARED_STATEMENTS=0` turns
  that off (for a transaction-mode pooler that cannot follow prepared statements, such
  as PgBouncer before 1.22). SQLite keeps its own statement cache; there it is Django's cursor
  unchanged.
- `rows(model, sql, params)` turns rows whose first columns are the model's concrete
  fields, in order, into instances with `Model.from_db`, as the ORM does; columns after
  those come back beside each instance.

Only for queries written here with `%s` placeholders; the ORM's own queries keep Django's
binding (some of them rely on values written into the SQL).
"""

from __future__ import annotations

import decimal
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from typing import Any, TypeVar

from django.conf import settings
from django.db import connection as default_connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper
from django.db.models import Field, Model

M = TypeVar("M", bound=Model)


def cursor(connection: BaseDatabaseWrapper) -> CursorWrapper:
    """Django's cursor on `connection`; on PostgreSQL, one that prepares its statements."""
    wrapper = connection.cursor()
    if connection.vendor == "postgresql" and settings.SINERGI_PREPARED_STATEMENTS:
        psycopg_connection = connection.connection
        if psycopg_connection.prepare_threshold is None:
            # Django's default: nothing is ever prepared. A threshold no statement
            # reaches keeps psycopg from preparing on its own; these ask for it.
            psycopg_connection.prepare_threshold = NEVER_BY_COUNT
        client_side = wrapper.cursor
        wrapper.cursor = _preparing_cursor()(psycopg_connection)
        client_side.close()
    return wrapper


NEVER_BY_COUNT = 2**62


@cache
def _preparing_cursor() -> type:
    import psycopg
    from psycopg.pq import TransactionStatus

    class PreparingCursor(psycopg.Cursor):
        """psycopg's server-binding cursor, preparing every statement on its first run.

        Django turns psycopg's preparing off for the whole connection
        (`prepare_threshold` None: transaction-mode poolers older than PgBouncer 1.21
        cannot follow prepared statements), and Django's own cursors bind on the client,
        which never prepares; these statements ask for it themselves. psycopg keeps the
        connection's latest 100, forgets them all on a rollback (`DEALLOCATE ALL`) and
        prepares again on the next run.
        """

        def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
            kwargs.setdefault("prepare", True)
            try:
                return super().execute(query, params, **kwargs)
            except psycopg.errors.FeatureNotSupported:
                # "cached plan must not change result type": a migration changed a
                # column under a prepared statement. Outside a transaction nothing is
                # lost by forgetting the connection's statements and running it again
                # (psycopg does the same after a rollback); inside one, the caller's
                # rollback does it.
                if self.connection.info.transaction_status != TransactionStatus.IDLE:
                    raise
                prepared = getattr(self.connection, "_prepared", None)
                if prepared is None or not prepared.clear():
                    raise
                self.connection.execute("DEALLOCATE ALL")
                return super().execute(query, params, **kwargs)

    return PreparingCursor


def rows(
    model: type[M], connection: BaseDatabaseWrapper, sql: str, params: Sequence[Any]
) -> Iterator[tuple[M, tuple[Any, ...]]]:
    """(instance, the columns after the model's) for each row of `sql`."""
    names, converters = _columns(model, connection)
    width = len(names)
    with cursor(connection) as found:
        found.execute(sql, params)
        result = found.fetchall()
    for row in result:
        values = list(row[:width])
        for index, convert, column in converters:
            values[index] = convert(values[index], column, connection)
        yield model.from_db(connection.alias, names, values), tuple(row[width:])


_COLUMNS: dict[tuple[type[Model], str], tuple[list[str], list[tuple[int, Any, Any]]]] = {}


def _columns(
    model: type[Model], connection: BaseDatabaseWrapper
) -> tuple[list[str], list[tuple[int, Any, Any]]]:
    """The model's field names and the value converters the ORM would apply to them.

    Made once per model and database: the converters depend on the field and the
    database's kind only."""
    key = (model, connection.alias)
    found = _COLUMNS.get(key)
    if found is None:
        fields = model._meta.concrete_fields
        converters = [
            (index, convert, column)
            for index, field in enumerate(fields)
            for convert, column in _converters(field, connection)
        ]
        found = _COLUMNS[key] = ([field.attname for field in fields], converters)
    return found


_CONVERTERS: dict[tuple[Field, str], list[tuple[Any, Any]]] = {}


def _converters(field: Field, connection: BaseDatabaseWrapper) -> list[tuple[Any, Any]]:
    """(converter, column) pairs the ORM applies to `field`'s values read from
    `connection`, made once per field and database (they depend on nothing else)."""
    key = (field, connection.alias)
    found = _CONVERTERS.get(key)
    if found is None:
        column = field.get_col(field.model._meta.db_table)
        found = _CONVERTERS[key] = [
            (convert, column)
            for convert in connection.ops.get_db_converters(column)
            + column.get_db_converters(connection)
        ]
    return found


def converted(
    connection: BaseDatabaseWrapper, fields: Sequence[Field | None], found: list[tuple[Any, ...]]
) -> list[tuple[Any, ...]]:
    """`found` (rows of a query written here) with each column converted as the ORM
    converts its field's values; a column whose field is None is left as read.

    Column by column rather than value by value: for a few hundred rows Django's
    per-value converter calls cost more than the query. On SQLite a decimal column is
    read as a float and made a Decimal exactly as Django does (15 significant digits,
    then the field's decimal places)."""
    if not found:
        return found
    columns: list[Any] = list(zip(*found, strict=True))
    for index, field in enumerate(fields):
        if field is not None:
            columns[index] = _convert_column(connection, field, columns[index])
    return list(zip(*columns, strict=True))


_SQLITE_DECIMAL = decimal.Context(prec=15).create_decimal_from_float


def _convert_column(
    connection: BaseDatabaseWrapper, field: Field, values: Sequence[Any]
) -> Sequence[Any]:
    if connection.vendor == "sqlite" and field.get_internal_type() == "DecimalField":
        quantum = decimal.Decimal(1).scaleb(-field.decimal_places)
        context, make = field.context, _SQLITE_DECIMAL
        return [
            None if value is None else make(value).quantize(quantum, context=context)
            for value in values
        ]
    for convert, column in _converters(field, connection):
        values = [convert(value, column, connection) for value in values]
    return values


@contextmanager
def waiting_briefly(milliseconds: int) -> Iterator[None]:
    """On SQLite, wait at most `milliseconds` for the write lock (its `busy_timeout`)
    instead of the usual 20 seconds, for work that had better be skipped than wait: the
    lock's holder may be an import of many rows. Elsewhere nothing changes (PostgreSQL
    callers say `NOWAIT` or `SKIP LOCKED` in their own statements)."""
    if default_connection.vendor != "sqlite":
        yield
        return
    with default_connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        (usual,) = cursor.fetchone()
        cursor.execute(f"PRAGMA busy_timeout = {int(milliseconds)}")
    try:
        yield
    finally:
        with default_connection.cursor() as cursor:
            cursor.execute(f"PRAGMA busy_timeout = {int(usual)}")
