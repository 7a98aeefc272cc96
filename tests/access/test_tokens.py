"""Personal API tokens: stored as a hash only, shown once, revocable, tied to an active person."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from sinergi.access import services
from sinergi.access.models import ApiToken
from sinergi.partners.models import Person
from tests.factories import MembershipFactory, OrganisationFactory, PersonFactory

SECRET_IN_PAGE = re.compile(r'<code id="new-token">(sng_[A-Za-z0-9_-]+)</code>')


def bearer(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def raw_row(token: ApiToken) -> tuple:
    """The token's row exactly as the database holds it."""
    table = connection.ops.quote_name(ApiToken._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} WHERE id = %s", [token.pk])  # noqa: S608
        return cursor.fetchone()


def assert_stored_as_hash_only(token: ApiToken, secret: str) -> None:
    token.refresh_from_db()
    assert token.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    row = raw_row(token)
    assert row is not None
    for value in row:
        assert secret not in str(value)
    # The hint is a short prefix for recognising the token, far too short to use it.
    assert secret.startswith(token.hint)
    assert len(token.hint) <= 8 < len(secret)


@pytest.fixture
def person(db) -> Person:
    return PersonFactory(username="ana", email="ana@example.org")


def test_service_stores_only_the_sha256_of_the_secret(person):
    """Given a token created by the service, the DB row holds the secret's SHA-256 and no
    column contains the secret itself."""
    token, secret = services.create_api_token(actor=person, name="report script")

    assert secret.startswith("sng_")
    assert len(secret) >= 40
    assert_stored_as_hash_only(token, secret)


def test_api_created_token_is_stored_as_hash_and_listed_without_secret(person):
    """Given a session that creates a token through the API, the secret comes back once
    (201) and works; the token list and the DB hold only the hash and hint."""
    client = Client()
    client.force_login(person)

    response = client.post("/api/v1/tokens", {"name": "sync"}, content_type="application/json")

    assert response.status_code == 201, response.content
    body = response.json()
    secret = body["secret"]
    token = ApiToken.objects.get(pk=body["id"])
    assert_stored_as_hash_only(token, secret)
    assert Client().get("/api/v1/me", **bearer(secret)).json()["username"] == "ana"

    listed = client.get("/api/v1/tokens")
    assert listed.status_code == 200
    assert secret not in listed.content.decode()
    assert [t["name"] for t in listed.json()] == ["sync"]


def test_two_tokens_have_different_secrets(person):
    """Given two tokens of the same person, their secrets and hashes differ."""
    first, first_secret = services.create_api_token(actor=person, name="one")
    second, second_secret = services.create_api_token(actor=person, name="two")

    assert first_secret != second_secret
    assert first.key_hash != second.key_hash


def test_me_returns_the_token_owner(person):
    """Given a token, /api/v1/me answers with its owner, their organisation and roles."""
    person.organisation = OrganisationFactory(slug="walhi")
    person.first_name, person.last_name = "Ana", "Putri"
    person.save()
    membership = MembershipFactory(person=person, role="partner_admin")
    PersonFactory()  # somebody else, who must not be returned
    _token, secret = services.create_api_token(actor=person, name="me")

    response = Client().get("/api/v1/me", **bearer(secret))

    assert response.status_code == 200
    assert response.json() == {
        "id": person.pk,
        "username": "ana",
        "name": "Ana Putri",
        "email": "ana@example.org",
        "organisation": "walhi",
        "is_staff": False,
        "roles": {membership.partnership.slug: "partner_admin"},
    }


def test_me_with_a_session(person):
    """Given a signed-in session and no token, /api/v1/me answers with the session user."""
    client = Client()
    client.force_login(person)

    body = client.get("/api/v1/me").json()

    assert (body["id"], body["username"], body["organisation"]) == (
        person.pk,
        "ana",
        person.organisation.slug,
    )


def test_token_wins_over_session(person):
    """Given a session of one person and a token of another, the token decides who calls."""
    other = PersonFactory(username="budi")
    _token, secret = services.create_api_token(actor=other, name="budi's")
    client = Client()
    client.force_login(person)

    assert client.get("/api/v1/me", **bearer(secret)).json()["username"] == "budi"


def test_revoked_token_stops_working(person):
    """Given a working token, once it is revoked it is refused with 401."""
    token, secret = services.create_api_token(actor=person, name="ci")
    assert Client().get("/api/v1/me", **bearer(secret)).status_code == 200

    services.revoke_api_token(actor=person, token=token)

    response = Client().get("/api/v1/me", **bearer(secret))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert services.person_for_token(secret) is None


def test_revoking_through_the_api(person):
    """Given a token, DELETE /api/v1/tokens/{id} with that very token revokes it (204);
    the next call with it is 401."""
    token, secret = services.create_api_token(actor=person, name="ci")

    response = Client().delete(f"/api/v1/tokens/{token.pk}", **bearer(secret))

    assert response.status_code == 204
    assert Client().get("/api/v1/me", **bearer(secret)).status_code == 401


def test_nobody_else_may_revoke_a_token(person):
    """Given someone else's token id, DELETE is 404 and the token keeps working."""
    token, secret = services.create_api_token(actor=person, name="mine")
    _other_token, other_secret = services.create_api_token(actor=PersonFactory(), name="theirs")

    response = Client().delete(f"/api/v1/tokens/{token.pk}", **bearer(other_secret))

    assert response.status_code == 404
    assert Client().get("/api/v1/me", **bearer(secret)).status_code == 200


def test_token_of_deactivated_person_stops_working(person):
    """Given a working token, when its owner is deactivated the token is refused with
    401, and it works again when they are reactivated."""
    _token, secret = services.create_api_token(actor=person, name="ci")
    assert Client().get("/api/v1/me", **bearer(secret)).status_code == 200

    Person.objects.filter(pk=person.pk).update(is_active=False)

    response = Client().get("/api/v1/me", **bearer(secret))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"

    Person.objects.filter(pk=person.pk).update(is_active=True)
    assert Client().get("/api/v1/me", **bearer(secret)).status_code == 200


def test_last_used_is_recorded_at_most_every_few_minutes(person, monkeypatch):
    """Given a token used now, a use one minute later does not write again, a use ten
    minutes later does (time moved with the `now` seam)."""
    token, secret = services.create_api_token(actor=person, name="ci")
    start = timezone.now()
    monkeypatch.setattr(services, "now", lambda: start)
    Client().get("/api/v1/me", **bearer(secret))
    token.refresh_from_db()
    assert token.last_used_at == start

    monkeypatch.setattr(services, "now", lambda: start + timedelta(minutes=1))
    Client().get("/api/v1/me", **bearer(secret))
    token.refresh_from_db()
    assert token.last_used_at == start

    later = start + timedelta(minutes=10)
    monkeypatch.setattr(services, "now", lambda: later)
    Client().get("/api/v1/me", **bearer(secret))
    token.refresh_from_db()
    assert token.last_used_at == later


# The token page -------------------------------------------------------------------------


def test_token_page_shows_the_secret_once_and_lets_you_revoke(person):
    """Given the token page, creating a token shows its secret once; the secret works on
    the API; reloading the page no longer shows it; Revoke stops it."""
    client = Client()
    client.force_login(person)
    assert client.get("/en/accounts/tokens/").status_code == 200

    created = client.post("/en/accounts/tokens/", {"name": "monthly report"})

    assert created.status_code == 200
    page = created.content.decode()
    found = SECRET_IN_PAGE.search(page)
    assert found, page
    secret = found.group(1)
    token = ApiToken.objects.get(person=person, name="monthly report")
    assert_stored_as_hash_only(token, secret)
    assert Client().get("/api/v1/me", **bearer(secret)).status_code == 200

    again = client.get("/en/accounts/tokens/").content.decode()
    assert secret not in again
    assert "monthly report" in again
    assert token.hint in again
    assert f"/en/accounts/tokens/{token.pk}/revoke/" in again

    revoked = client.post(f"/en/accounts/tokens/{token.pk}/revoke/", follow=True)

    assert revoked.redirect_chain == [("/en/accounts/tokens/", 302)]
    assert "was revoked" in revoked.content.decode()
    assert "Revoked" in revoked.content.decode()
    assert f"/en/accounts/tokens/{token.pk}/revoke/" not in revoked.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert Client().get("/api/v1/me", **bearer(secret)).status_code == 401


def test_token_page_needs_a_name(person):
    """Given an empty name, the page answers 422 and creates no token."""
    client = Client()
    client.force_login(person)

    response = client.post("/en/accounts/tokens/", {"name": ""})

    assert response.status_code == 422
    assert not SECRET_IN_PAGE.search(response.content.decode())
    assert not ApiToken.objects.exists()


def test_token_page_lists_only_own_tokens_and_cannot_revoke_others(person):
    """Given another person's token, it is not on my page and my revoke of it is 404."""
    theirs, _secret = services.create_api_token(actor=PersonFactory(), name="their script")
    client = Client()
    client.force_login(person)

    page = client.get("/en/accounts/tokens/").content.decode()
    response = client.post(f"/en/accounts/tokens/{theirs.pk}/revoke/")

    assert "their script" not in page
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_token_page_needs_sign_in(db):
    """Given an anonymous visitor, the token page sends them to sign in."""
    response = Client().get("/en/accounts/tokens/")

    assert response.status_code == 302
    assert response["Location"].startswith("/en/accounts/login/")


@pytest.mark.django_db(transaction=True)
def test_a_token_read_while_another_write_holds_the_database_is_answered(person, monkeypatch):
    """Given another connection holding SQLite's write lock (as a long import does), a GET
    with a token due to have its last use written is answered 200 at once, the write
    skipped; once the lock is gone, the next use writes it."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's single write lock; PostgreSQL writers do not block this row")
    import sqlite3

    token, secret = services.create_api_token(actor=person, name="ci")
    start = timezone.now()
    monkeypatch.setattr(services, "now", lambda: start)
    other = sqlite3.connect(connection.settings_dict["NAME"], uri=True, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        response = Client().get("/api/v1/me", **bearer(secret))
        assert response.status_code == 200, response.content
        assert response.json()["username"] == "ana"
        token.refresh_from_db()
        assert token.last_used_at is None
    finally:
        other.execute("ROLLBACK")
        other.close()

    assert Client().get("/api/v1/me", **bearer(secret)).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at == start
