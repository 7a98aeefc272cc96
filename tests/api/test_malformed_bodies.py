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


def test_an_object_with_more_members_than_any_request_takes_is_400_and_quick():
    """A 1 MiB body of unknown fields answered a 422 listing 78,000 of them after seconds
    of work; an object of more than 1,000 members is now refused as malformed up front,
    and a 422 lists at most 100 fields."""
    from sinergi.api import MAX_FIELDS_LISTED, MAX_MEMBERS
    from sinergi.partnerships.models import Partnership
    from tests.conftest import client_for
    from tests.factories import OrganisationFactory, PersonFactory

    client = client_for(PersonFactory(organisation=OrganisationFactory()))
    members = ", ".join(f'"k{i}": 0' for i in range(MAX_MEMBERS))

    too_many = client.post(
        "/api/v1/partnerships", '{"title": "x", ' + members + "}", "application/json"
    )
    indonesian = client.post(
        "/api/v1/partnerships",
        '{"title": "x", ' + members + "}",
        "application/json",
        HTTP_ACCEPT_LANGUAGE="id",
    )
    at_most = client.post("/api/v1/partnerships", "{" + members + "}", "application/json")

    assert too_many.status_code == 400
    assert too_many.json()["error"] == {
        "status": 400,
        "code": "malformed",
        "message": "An object in the request body has more than 1,000 members; "
        "no request takes that many.",
    }
    assert "1.000" in indonesian.json()["error"]["message"]
    assert at_most.status_code == 422  # 1,000 members: read, each one unknown
    fields = at_most.json()["error"]["fields"]
    assert len(fields) == MAX_FIELDS_LISTED
    assert fields["title"] == ["This field is required."]
    assert fields["k0"] == fields["k98"] == ["Unknown field."] and "k99" not in fields
    assert not Partnership.objects.exists()
