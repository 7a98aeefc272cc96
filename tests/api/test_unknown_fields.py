"""A JSON body with a field the operation does not take is refused, naming the field.

Dropping it silently turned a typo ("titel") into a 200 that changed nothing; now it is a
422 `invalid` with "Unknown field." on that field (in the reader's language), and nothing
is written. Every body schema of the API derives from `InputSchema`, checked here by
walking the registered operations, so a new endpoint cannot forget it.
"""

from __future__ import annotations

import typing

import pytest
from ninja import Schema

from sinergi.core.bodies import InputSchema
from sinergi.ledger.models import Entry
from sinergi.partnerships.models import Partnership, WorkPackage
from tests.api.test_crud import ApiClient
from tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    ParticipationFactory,
    PartnershipFactory,
    PersonFactory,
)

pytestmark = pytest.mark.django_db


def _schemas_in(annotation: typing.Any, found: set[type]) -> None:
    for argument in typing.get_args(annotation):
        _schemas_in(argument, found)
    if isinstance(annotation, type) and issubclass(annotation, Schema) and annotation not in found:
        found.add(annotation)
        for field in annotation.model_fields.values():
            _schemas_in(field.annotation, found)


def body_schemas() -> set[type]:
    """Every schema a JSON request body of the API is read with, nested ones included."""
    from sinergi.api import api

    found: set[type] = set()
    for _prefix, router in api._routers:
        for view in router.path_operations.values():
            for operation in view.operations:
                for model in operation.models:
                    if model.__ninja_param_source__ == "body":
                        for field in model.model_fields.values():
                            _schemas_in(field.annotation, found)
    return found


def test_every_body_schema_refuses_unknown_fields():
    schemas = body_schemas()

    assert len(schemas) >= 40  # the walk finds the API's bodies (49 when written)
    lenient = sorted(s.__qualname__ for s in schemas if not issubclass(s, InputSchema))
    assert lenient == []
    assert all(s.model_config.get("extra") == "forbid" for s in schemas)


@pytest.fixture
def coordinator(db):
    person = PersonFactory(organisation=OrganisationFactory())
    partnership = PartnershipFactory(title="Clean Water for Kupang")
    ParticipationFactory(partnership=partnership, organisation=person.organisation, role="1")
    MembershipFactory(partnership=partnership, person=person, role="coordinator")
    return person, partnership


def test_a_misspelt_field_on_create_is_a_422_naming_it_and_nothing_is_made():
    person = PersonFactory(organisation=OrganisationFactory())
    before = Partnership.objects.count(), Entry.objects.count()

    response = ApiClient(person).post(
        "/partnerships", {"title": "Mangroves for the Coast", "visibilty": "private"}
    )

    assert response.status_code == 422, response.content[:500]
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["fields"] == {"visibilty": ["Unknown field."]}
    assert (Partnership.objects.count(), Entry.objects.count()) == before


def test_an_unknown_field_with_a_very_long_name_is_named_by_its_start_only():
    person = PersonFactory(organisation=OrganisationFactory())
    name = "v" + "x" * 200_000

    response = ApiClient(person).post("/partnerships", {"title": "Mangroves", name: 1})

    assert response.status_code == 422, response.content[:500]
    assert response.json()["error"]["fields"] == {"v" + "x" * 98 + "…": ["Unknown field."]}
    assert len(response.content) < 1000
    assert not Partnership.objects.exists()


def test_a_misspelt_field_on_patch_changes_nothing_and_says_so_in_indonesian(coordinator):
    person, partnership = coordinator
    before = Entry.objects.count()
    api = ApiClient(person)

    response = api.client.patch(
        f"/api/v1/partnerships/{partnership.slug}",
        {"titel": "Air Bersih untuk Kupang"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="id",
        **api.headers,
    )

    assert response.status_code == 422, response.content[:500]
    fields = response.json()["error"]["fields"]
    assert list(fields) == ["titel"] and fields["titel"] != ["Unknown field."]
    assert Partnership.objects.get(pk=partnership.pk).title == "Clean Water for Kupang"
    assert Entry.objects.count() == before


def test_an_unknown_field_inside_a_list_names_its_place(coordinator):
    person, partnership = coordinator
    package = WorkPackage.objects.create(partnership=partnership, code="WP1", title="Wells")
    cell = {
        "work_package": package.pk,
        "organisation": person.organisation.pk,
        "letter": "R",
    }
    before = Entry.objects.count()
    api = ApiClient(person)

    response = api.client.put(
        f"/api/v1/partnerships/{partnership.slug}/raci",
        {"cells": [cell, {**cell, "leter": "A"}]},
        content_type="application/json",
        **api.headers,
    )

    assert response.status_code == 422, response.content[:500]
    assert response.json()["error"]["fields"] == {"cells.1.leter": ["Unknown field."]}
    assert Entry.objects.count() == before


def test_a_body_with_only_known_fields_still_works(coordinator):
    person, partnership = coordinator

    response = ApiClient(person).patch(
        f"/partnerships/{partnership.slug}", {"title": "Air Bersih untuk Kupang"}
    )

    assert response.status_code == 200, response.content[:500]
    assert Partnership.objects.get(pk=partnership.pk).title == "Air Bersih untuk Kupang"
