"""Django's PostgreSQL backend, skipping the health check of a connection in steady use.

With `CONN_HEALTH_CHECKS` on (connections are kept for ten minutes, and PostgreSQL may
restart or drop one meanwhile), Django sends `SELECT 1` before the first query of every
request: under load, one round trip in five on a kept page. Here a request skips that
check when its connection opened a cursor less than `RECENT_SECONDS` ago with no error
since and psycopg still holds it open. A server that went away within that second fails
the request as it would have failed a query of the one before; Django then finds the
error, checks the connection at the end of the request and closes it, and the next
request connects afresh. A connection idle for longer is checked as Django checks it.
"""

from __future__ import annotations

import time
from typing import Any

from django.db.backends.postgresql import base

RECENT_SECONDS = 1.0


class DatabaseWrapper(base.DatabaseWrapper):
    _used_at = float("-inf")

    def _cursor(self, name: str | None = None) -> Any:
        self._used_at = time.monotonic()
        return super()._cursor(name)

    def close_if_unusable_or_obsolete(self) -> None:
        """At the start and the end of each request (Django's `close_old_connections`)."""
        super().close_if_unusable_or_obsolete()
        connection = self.connection
        if (
            connection is not None
            and self.health_check_enabled
            and not self.errors_occurred
            and not connection.closed
            and time.monotonic() - self._used_at < RECENT_SECONDS
        ):
            self.health_check_done = True
