"""A row's id (or a version number) in an API path is written one way only: ASCII digits
without leading zeros. Any other spelling of a number is a 422 on that parameter, for
every operation the OpenAPI document lists, before anything is looked up."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.openapi import SCHEMA, Operation, operations

MESSAGE = "Enter a whole number in plain digits, without leading zeros."


def _integer_path_parameters() -> list[tuple[Operation, str]]:
    found = []
    for operation in operations():
        spec = SCHEMA["paths"][operation.path][operation.method.lower()]
        for parameter in spec.get("parameters", []):
            if parameter["in"] == "path" and parameter["schema"].get("type") == "integer":
                found.append((operation, parameter["name"]))
    return found


INTEGER_PATH_PARAMETERS = _integer_path_parameters()


def _send(operation: Operation, name: str, value: str):
    path = operation.path
    for other in operation.path_params:
        path = path.replace(f"{{{other}}}", value if other == name else "1")
    path = path.replace("{slug}", "no-such-partnership")
    return Client().generic(operation.method, path, "{}", content_type="application/json")


def test_the_document_has_integer_path_parameters():
    """The sweep below reaches the operations it is about (ids of partners, members,
    goals, transactions, values, agreement versions …)."""
    names = {(op.id, name) for op, name in INTEGER_PATH_PARAMETERS}
    assert len(names) >= 40
    assert ("PATCH /partnerships/{slug}/participations/{pk}", "pk") in names
    assert ("GET /partnerships/{slug}/agreement/versions/{number}", "number") in names


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["01", "007", "1.0", "+1", "1_0", "1e0", " 1", "\u0661"])
@pytest.mark.parametrize(
    ("operation", "name"),
    INTEGER_PATH_PARAMETERS,
    ids=[f"{op.id} {name}" for op, name in INTEGER_PATH_PARAMETERS],
)
def test_a_path_id_written_otherwise_than_plain_digits_is_a_422(operation, name, value):
    """Given an operation with a row's id in its path, when the id is sent as "01", "1.0"
    or any other spelling of 1, then the answer is a 422 on that parameter (it named row
    1, which had as many addresses as spellings)."""
    response = _send(operation, name, value)

    assert response.status_code == 422, response.content[:300]
    assert response.json()["error"]["fields"][name] == [MESSAGE]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("operation", "name"),
    INTEGER_PATH_PARAMETERS,
    ids=[f"{op.id} {name}" for op, name in INTEGER_PATH_PARAMETERS],
)
def test_a_plain_path_id_is_read(operation, name):
    """Given the same operations, plain digits are taken: whatever the answer (no such
    partnership, no permission), it is not about the id's spelling."""
    response = _send(operation, name, "1")

    fields = response.json()["error"].get("fields", {}) if response.status_code >= 400 else {}
    assert MESSAGE not in fields.get(name, [])


def test_row_1_is_read_at_1_only(private_cast):
    """Given a partner listed with id n, its address is …/participations/n; with a leading
    zero or a decimal point it is refused, in the reader's language."""
    from tests.api.test_crud import ApiClient

    partnership = private_cast.partnership
    listed = partnership.participations.get()
    api = ApiClient(private_cast.people["coordinator"])
    base = f"/partnerships/{partnership.slug}/participations"

    assert api.patch(f"{base}/{listed.pk}", {}).status_code == 200
    assert api.patch(f"{base}/0{listed.pk}", {}).status_code == 422
    assert api.patch(f"{base}/{listed.pk}.0", {}).status_code == 422
    assert api.patch(f"{base}/-{listed.pk}", {}).status_code == 404
    api.headers["HTTP_ACCEPT_LANGUAGE"] = "id"
    refused = api.patch(f"{base}/0{listed.pk}", {}).json()["error"]["fields"]["pk"]
    assert refused != [MESSAGE]
