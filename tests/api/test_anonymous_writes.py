"""A write without credentials is a 401 before its body is read: told to sign in, not
what is wrong with a body it could not send anyway (the API review found a 422)."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/api/v1/partnerships", "{}"),
        ("post", "/api/v1/partnerships", '{"title": "Fine"}'),
        ("post", "/api/v1/organisations", "not json"),
        ("patch", "/api/v1/partnerships/anything", '{"title": null}'),
        ("delete", "/api/v1/tokens/1", ""),
    ],
)
def test_a_write_without_credentials_is_401_whatever_its_body(method, path, body):
    response = getattr(Client(), method)(path, body, "application/json")

    assert response.status_code == 401, response.content[:300]
    assert response.json()["error"]["code"] == "unauthenticated"


def test_a_witness_cosignature_needs_no_account_and_its_body_is_checked():
    response = Client().post("/api/v1/ledger/cosignatures", "{}", "application/json")

    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) >= {"checkpoint"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "The request body is empty: send a JSON object."),
        ("  ", "The request body is empty: send a JSON object."),
        ("[]", "The request body must be a JSON object, in braces."),
        ("null", "The request body must be a JSON object, in braces."),
        ('"title"', "The request body must be a JSON object, in braces."),
        ('{"title": ', "The request body is not valid JSON."),
    ],
)
def test_a_body_that_is_not_a_json_object_is_400_saying_how(body, message):
    """As the error table documents: 400 `malformed` (an empty body was a 422 on `body`,
    and `[]` was called "not valid JSON")."""
    from tests.conftest import client_for
    from tests.factories import OrganisationFactory, PersonFactory

    person = PersonFactory(organisation=OrganisationFactory())

    response = client_for(person).post("/api/v1/partnerships", body, "application/json")

    assert response.status_code == 400, response.content[:300]
    assert response.json()["error"]["code"] == "malformed"
    assert response.json()["error"]["message"] == message
