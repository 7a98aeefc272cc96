"""Behaviour that depends on the database backend.

The suite runs on whatever DATABASE_URL says (SQLite by default, PostgreSQL in CI); tests
marked `postgresql` skip with a reason on any other database.
"""

from __future__ import annotations

import pytest
from django.db import connection

from sinergi.partnerships import queries
from tests.factories import PartnershipFactory, PersonFactory


def test_country_filter_matches_whole_codes_in_the_json_list(db):
    """countries is a JSON list: SQLite stores it as text, PostgreSQL as jsonb."""
    staff = PersonFactory(is_staff=True)
    both = PartnershipFactory(countries=["ID", "TL"], visibility="public")
    png = PartnershipFactory(countries=["PG"], visibility="public")
    PartnershipFactory(countries=[], visibility="public")

    def found(country: str) -> list:
        return list(queries.search_partnerships(staff, country=country))

    assert found("TL") == [both]
    assert found("tl") == [both]
    assert found("ID") == [both]
    assert found("PG") == [png]
    assert found("I") == []
    assert found('"') == []
    assert found("%") == []


@pytest.mark.postgresql
def test_postgresql_database_is_utf8(db):
    """Names such as "Yayasan Sehat Ibu dan Anak — NTT" need a UTF-8 database."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_encoding")
        assert cursor.fetchone()[0] == "UTF8"
