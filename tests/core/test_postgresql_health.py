"""The PostgreSQL backend's health check (`sinergi.core.postgresql`): skipped for a
connection in steady use, done for an idle one, and a connection the server dropped is
replaced either way, at the latest after the one request that found it gone."""

from __future__ import annotations

import psycopg
import pytest
from django.db import OperationalError, connection

from sinergi.core.postgresql.base import RECENT_SECONDS

pytestmark = [
    pytest.mark.postgresql,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def drop(pid: int) -> None:
    """The server ends the connection, as a restart or an idle timeout would."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


def test_given_a_connection_in_use_when_a_request_starts_then_it_is_not_pinged() -> None:
    assert connection.settings_dict["ENGINE"] == "sinergi.core.postgresql"
    backend_pid()
    connection.close_if_unusable_or_obsolete()  # a request starts
    assert connection.health_check_done

    connection._used_at -= RECENT_SECONDS + 0.5  # idle for longer than that
    connection.close_if_unusable_or_obsolete()
    assert not connection.health_check_done


def test_given_an_idle_connection_the_server_dropped_when_a_request_starts_then_it_reconnects() -> (
    None
):
    first = backend_pid()
    drop(first)
    connection._used_at -= RECENT_SECONDS + 0.5

    connection.close_if_unusable_or_obsolete()  # the next request starts

    assert backend_pid() != first  # checked, found gone, replaced: no error


def test_given_a_busy_connection_dropped_then_one_request_fails_and_the_next_reconnects() -> None:
    first = backend_pid()
    drop(first)
    connection.close_if_unusable_or_obsolete()  # a request starts within the second

    with pytest.raises(OperationalError):
        backend_pid()
    connection.close_if_unusable_or_obsolete()  # that request ends: the error closes it
    connection.close_if_unusable_or_obsolete()  # the next one starts

    assert backend_pid() != first
