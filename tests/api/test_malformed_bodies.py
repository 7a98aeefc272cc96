"""A body that is not a JSON object is a 400 saying which way it is not."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


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
