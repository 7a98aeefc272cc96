"""A database that cannot store anything (a full disk, a read-only file) is a 503 saying
that nothing was saved, on pages and in the API alike, as a busy database is; not a
generic 500. Made for real on SQLite: `PRAGMA query_only` refuses every write as a
read-only file does ("attempt to write a readonly database"), and `PRAGMA
max_page_count` at the database's current size makes it full ("database or disk is
full")."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection
from django.test import Client

from sinergi.partners.models import Organisation
from tests.factories import PASSWORD, PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _sqlite_only() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("made with SQLite pragmas; PostgreSQL is answered alike (sqlstate 53100/25006)")


@contextmanager
def read_only() -> Iterator[None]:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA query_only = 1")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA query_only = 0")


@contextmanager
def full() -> Iterator[None]:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA max_page_count")
        (usual,) = cursor.fetchone()
        cursor.execute("PRAGMA page_count")
        (pages,) = cursor.fetchone()
        cursor.execute(f"PRAGMA max_page_count = {int(pages)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA max_page_count = {int(usual)}")


STORAGE = {"read-only": read_only, "full": full}
BIG = "x" * 10_000  # two of them need new pages, however much room is left
ORGANISATION = {
    "name": "Yayasan Penuh",
    "org_type": "22",
    "country": "ID",
    "description_en": BIG,
    "description_id": BIG,
}


@pytest.mark.parametrize("storage", STORAGE)
def test_an_api_write_is_a_503_saying_nothing_was_saved(storage) -> None:
    person = PersonFactory()
    client = Client(raise_request_exception=False)
    client.force_login(person)
    with STORAGE[storage]():
        response = client.post(
            "/api/v1/organisations", ORGANISATION, content_type="application/json"
        )
    assert response.status_code == 503, response.content[:500]
    error = response.json()["error"]
    assert error["code"] == "storage"
    assert "Nothing was saved" in error["message"]
    assert "Retry-After" not in response
    assert not Organisation.objects.filter(name="Yayasan Penuh").exists()


@pytest.mark.parametrize("language", ["en", "id"])
def test_signing_in_on_a_read_only_database_is_a_503_page(language) -> None:
    person = PersonFactory(username="rudi")
    client = Client(raise_request_exception=False)
    with read_only():
        response = client.post(
            f"/{language}/accounts/login/", {"username": "rudi", "password": PASSWORD}
        )
    assert response.status_code == 503, response.content[:500]
    text = response.content.decode()
    words = {"en": "Nothing was saved", "id": "Tidak ada yang disimpan"}[language]
    assert words in text
    person.refresh_from_db()
    assert person.last_login is None


def test_a_page_form_on_a_full_database_is_a_503_page() -> None:
    client = Client(raise_request_exception=False)
    client.force_login(PersonFactory())
    with full():
        response = client.post("/en/organisations/new/", ORGANISATION)
    assert response.status_code == 503, response.content[:500]
    assert "Cannot save now" in response.content.decode()
