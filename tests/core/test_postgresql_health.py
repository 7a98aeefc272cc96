"""The PostgreSQL backend's health check (`sinergi.core.postgresql`): skipped for a
connection in steady use, done for an idle one, and a connection the server dropped is
replaced either way, at the latest after the one request that found it gone.

Each test drives a connection of its own (the test's own connection stays inside its
transaction), and ends it as PostgreSQL would on a restart or an idle timeout."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from django.db import OperationalError, connection, connections

from sinergi.core.postgresql.base import RECENT_SECONDS, DatabaseWrapper

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db]


@pytest.fixture
def kept() -> Iterator[DatabaseWrapper]:
    """A connection as a server process keeps one between requests."""
    assert connection.settings_dict["ENGINE"] == "sinergi.core.postgresql"
    assert isinstance(connections["default"], DatabaseWrapper)
    wrapper = DatabaseWrapper(dict(connection.settings_dict), alias="health-check-test")
    yield wrapper
    wrapper.close()


def backend_pid(wrapper: DatabaseWrapper) -> int:
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def drop(wrapper: DatabaseWrapper, pid: int) -> None:
    """The server ends the connection, as a restart or an idle timeout would."""
    params = wrapper.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


def test_given_a_connection_in_use_when_a_request_starts_then_it_is_not_pinged(kept) -> None:
    backend_pid(kept)
    kept.close_if_unusable_or_obsolete()  # a request starts
    assert kept.health_check_done

    kept._used_at -= RECENT_SECONDS + 0.5  # idle for longer than that
    kept.close_if_unusable_or_obsolete()
    assert not kept.health_check_done


def test_given_an_idle_connection_the_server_dropped_when_a_request_starts_then_it_reconnects(
    kept,
) -> None:
    first = backend_pid(kept)
    drop(kept, first)
    kept._used_at -= RECENT_SECONDS + 0.5

    kept.close_if_unusable_or_obsolete()  # the next request starts

    assert backend_pid(kept) != first  # checked, found gone, replaced: no error


def test_given_a_busy_connection_dropped_then_one_request_fails_and_the_next_reconnects(
    kept,
) -> None:
    first = backend_pid(kept)
    drop(kept, first)
    kept.close_if_unusable_or_obsolete()  # a request starts within the second

    with pytest.raises(OperationalError):
        backend_pid(kept)
    kept.close_if_unusable_or_obsolete()  # that request ends: the error closes it
    kept.close_if_unusable_or_obsolete()  # the next one starts

    assert backend_pid(kept) != first
