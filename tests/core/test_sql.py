"""`sinergi.core.sql`: the hot raw queries, prepared on PostgreSQL, rows as the ORM makes them."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from sinergi.access import policy
from sinergi.core import sql
from sinergi.partners.models import Person
from sinergi.partnerships.models import Partnership
from tests.factories import MembershipFactory, PartnershipFactory, PersonFactory

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's"
)


def _columns(model: type) -> str:
    q = connection.ops.quote_name
    return ", ".join(q(f.column) for f in model._meta.concrete_fields)


def _select(model: type, extra: str = "") -> str:
    q = connection.ops.quote_name
    # Names from the model and literals from the tests, never from input.
    return f"SELECT {_columns(model)}{extra} FROM {q(model._meta.db_table)} WHERE {q('id')} = %s"  # noqa: S608


def test_rows_are_the_instances_the_orm_makes() -> None:
    partnership = PartnershipFactory(
        start_date=date(2024, 1, 1), end_date=date(2026, 12, 31), countries=["ID", "TL"]
    )
    orm = Partnership.objects.get(pk=partnership.pk)
    (found, rest), *more = list(sql.rows(Partnership, connection, _select(Partnership), [orm.pk]))
    assert more == [] and rest == ()
    for field in Partnership._meta.concrete_fields:
        mine, theirs = getattr(found, field.attname), getattr(orm, field.attname)
        assert mine == theirs and type(mine) is type(theirs), field.name
    assert found._state.adding is False and found._state.db == connection.alias
    # The instance is a real row: it saves back.
    found.title = "Renamed"
    found.save(update_fields=["title"])
    assert Partnership.objects.get(pk=orm.pk).title == "Renamed"


def test_columns_after_the_models_come_back_beside_it() -> None:
    person = PersonFactory(is_staff=True)
    rows = list(sql.rows(Person, connection, _select(Person, ", 40 + 2"), [person.pk]))
    assert [(p.pk, p.is_staff, extra) for p, extra in rows] == [(person.pk, True, (42,))]
    assert list(sql.rows(Person, connection, _select(Person), [-1])) == []


def test_the_partnership_and_role_come_from_one_query() -> None:
    partnership = PartnershipFactory()
    person = PersonFactory()
    MembershipFactory(partnership=partnership, person=person, role="observer")
    with CaptureQueriesContext(connection) as captured:
        found = policy.get_partnership_for(person, partnership.slug)
    assert found == partnership and len(captured) == 1  # logged like any query
    assert policy.role_in(person, found) == "observer"


def test_a_bad_statement_raises_djangos_error_and_the_transaction_goes_on() -> None:
    with pytest.raises(DatabaseError), transaction.atomic(), sql.cursor(connection) as cursor:
        cursor.execute("SELECT no_such_column FROM no_such_table WHERE 1 = %s", [1])
    person = PersonFactory()
    assert next(sql.rows(Person, connection, _select(Person), [person.pk]))[0] == person


def _prepared() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return {row[0] for row in cursor.fetchall()}


@postgres_only
def test_on_postgresql_the_statements_are_prepared_once_and_reused() -> None:
    person = PersonFactory()
    query = _select(Person, ", 7")
    for _round in range(3):
        assert next(sql.rows(Person, connection, query, [person.pk]))[1] == (7,)
    # Bound on the server ($1), prepared once for the three runs.
    assert sum(", 7 FROM" in s and "$1" in s for s in _prepared()) == 1
    # Django's own queries are not prepared: its cursors bind on the client.
    Partnership.objects.filter(title="x' OR 1=1 --").exists()
    assert not any("x' OR 1=1" in s for s in _prepared())


@postgres_only
@override_settings(SINERGI_PREPARED_STATEMENTS=False)
def test_prepared_statements_can_be_turned_off_for_a_pooler() -> None:
    person = PersonFactory()
    query = _select(Person, ", 8")
    for _round in range(3):
        assert next(sql.rows(Person, connection, query, [person.pk]))[1] == (8,)
    assert not any(", 8 FROM" in s for s in _prepared())


@postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_column_changed_under_a_prepared_statement_costs_one_retry_not_an_error() -> None:
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE sinergi_scratch (id integer, name varchar(10))")
        cursor.execute("INSERT INTO sinergi_scratch VALUES (1, 'a')")
    try:
        query = "SELECT name FROM sinergi_scratch WHERE id = %s"
        for _round in range(2):
            with sql.cursor(connection) as cursor:
                cursor.execute(query, [1])
                assert cursor.fetchall() == [("a",)]
        # A migration elsewhere changes the column's type.
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE sinergi_scratch ALTER COLUMN name TYPE varchar(20)")
        with sql.cursor(connection) as cursor:
            cursor.execute(query, [1])
            assert cursor.fetchall() == [("a",)]
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE sinergi_scratch")
