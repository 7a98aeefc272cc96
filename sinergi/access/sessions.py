"""Database sessions, read with one raw query.

Every signed-in page reads its session first. Django's database store finds it through
the ORM (`Session.objects.get(...)`), whose query compiling costs more than the query
itself; this store runs the same SELECT as plain SQL (prepared on PostgreSQL:
`sinergi.core.sql`) and is otherwise Django's own
(`SESSION_ENGINE = "sinergi.access.sessions"`): same table, same expiry, same writes.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone

from sinergi.core import sql


@cache
def _select_sql(alias: str) -> str:
    from django.contrib.sessions.models import Session

    q = connections[alias].ops.quote_name
    # Table and column names come from the model, never from input.
    return (
        f"SELECT {q('session_data')} FROM {q(Session._meta.db_table)}"  # noqa: S608
        f" WHERE {q('session_key')} = %s AND {q('expire_date')} > %s"
    )


class _Found:
    """What `load()` reads of the row: its data."""

    __slots__ = ("session_data",)

    def __init__(self, session_data: str):
        self.session_data = session_data


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> Any:
        alias = router.db_for_read(self.model)
        connection = connections[alias]
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with sql.cursor(connection) as cursor:
            cursor.execute(_select_sql(alias), [self.session_key, now])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        return _Found(row[0])
