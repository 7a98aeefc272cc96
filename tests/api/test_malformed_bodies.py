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


@pytest.mark.parametrize(
    ("body", "name"),
    [
        ('{"title": "Mangroves", "title": "Mangrove"}', "title"),
        ('{"title": "Mangroves", "summary": {"text": "a", "text": "b"}}', "text"),
    ],
)
def test_a_body_that_names_a_member_twice_is_400_naming_it_and_makes_nothing(body, name):
    """RFC 8259 leaves an object with a repeated name to each parser (Python keeps the
    last, others the first), so the sender and Sinergi could read different requests:
    refused as malformed, at any depth, in the reader's language."""
    from sinergi.partnerships.models import Partnership
    from tests.conftest import client_for
    from tests.factories import OrganisationFactory, PersonFactory

    person = PersonFactory(organisation=OrganisationFactory())
    client = client_for(person)

    response = client.post("/api/v1/partnerships", body, "application/json")
    indonesian = client.post(
        "/api/v1/partnerships", body, "application/json", HTTP_ACCEPT_LANGUAGE="id"
    )

    assert response.status_code == 400, response.content[:300]
    error = response.json()["error"]
    assert error["code"] == "malformed"
    assert error["message"] == f"The request body names “{name}” twice: send each field once."
    assert indonesian.status_code == 400
    assert f"“{name}”" in indonesian.json()["error"]["message"]
    assert indonesian.json()["error"]["message"] != error["message"]
    assert not Partnership.objects.exists()


def test_a_body_of_many_unknown_fields_gets_a_short_422_and_makes_nothing():
    """A 1 MiB body of unknown fields answered a 422 listing 78,000 of them (2.3 MB) after
    seconds of work; an answer lists at most MAX_FIELDS_LISTED fields."""
    from sinergi.api import MAX_FIELDS_LISTED
    from sinergi.partnerships.models import Partnership
    from tests.conftest import client_for
    from tests.factories import OrganisationFactory, PersonFactory

    client = client_for(PersonFactory(organisation=OrganisationFactory()))
    members = ", ".join(f'"k{i}": 0' for i in range(5000))

    response = client.post("/api/v1/partnerships", "{" + members + "}", "application/json")

    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert len(fields) == MAX_FIELDS_LISTED
    assert fields["title"] == ["This field is required."]
    assert fields["k0"] == fields["k98"] == ["Unknown field."] and "k99" not in fields
    assert not Partnership.objects.exists()


@pytest.mark.parametrize("opening", ["[", '{"a": ', '{"title": ['])
def test_a_body_nested_too_deep_to_read_is_400_not_500(opening):
    """Nesting deeper than Python's parser can follow (RecursionError) was a 500."""
    from tests.conftest import client_for
    from tests.factories import OrganisationFactory, PersonFactory

    client = client_for(PersonFactory(organisation=OrganisationFactory()))

    response = client.post("/api/v1/partnerships", opening * 50_000, "application/json")

    assert response.status_code == 400, response.content[:300]
    assert response.json()["error"]["message"] == "The request body is not valid JSON."
