"""What the API is sent is tidied as a form tidies it: texts trimmed (so a title or a name
of spaces is refused as blank), ISO codes in upper case and each once, and a null clears
a text or a list rather than failing as a taken short name."""

from __future__ import annotations

import json

import pytest

from sinergi.partners.models import Organisation
from sinergi.partnerships.models import Participation, Partnership
from tests.conftest import client_for
from tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    ParticipationFactory,
    PartnershipFactory,
    PersonFactory,
)

pytestmark = pytest.mark.django_db


def send(person, method: str, path: str, body: dict):
    client = client_for(person)
    return getattr(client, method)(f"/api/v1{path}", json.dumps(body), "application/json")


def coordinated():
    partnership = PartnershipFactory(countries=["ID"], summary="Old summary")
    organisation = OrganisationFactory()
    ParticipationFactory(partnership=partnership, organisation=organisation)
    coordinator = PersonFactory(organisation=organisation)
    MembershipFactory(partnership=partnership, person=coordinator, role="coordinator")
    return partnership, coordinator


@pytest.mark.parametrize(("field", "empty"), [("summary", ""), ("vision", ""), ("countries", [])])
def test_given_null_for_a_text_or_a_list_then_it_is_cleared(field, empty):
    partnership, coordinator = coordinated()

    response = send(coordinator, "patch", f"/partnerships/{partnership.slug}", {field: None})

    assert response.status_code == 200, response.content[:300]
    assert getattr(Partnership.objects.get(pk=partnership.pk), field) == empty


def test_given_a_title_of_spaces_then_refused_on_title_and_nothing_made():
    person = PersonFactory(organisation=OrganisationFactory())
    before = Partnership.objects.count()

    response = send(person, "post", "/partnerships", {"title": "   "})

    assert response.status_code == 422
    assert "title" in response.json()["error"]["fields"]
    assert Partnership.objects.count() == before


def test_given_padded_texts_and_repeated_codes_then_stored_tidy():
    partnership, coordinator = coordinated()

    response = send(
        coordinator,
        "patch",
        f"/partnerships/{partnership.slug}",
        {
            "title": "  Clean water  ",
            "countries": ["id", " ID "],
            "regions": ["id-jb", "ID-JB"],
            "base_currency": "usd",
        },
    )

    assert response.status_code == 200, response.content[:300]
    stored = Partnership.objects.get(pk=partnership.pk)
    assert stored.title == "Clean water"
    assert stored.countries == ["ID"] and stored.regions == ["ID-JB"]
    assert stored.base_currency == "USD"


def test_given_a_contribution_of_spaces_then_stored_empty():
    partnership, coordinator = coordinated()
    other = OrganisationFactory()

    response = send(
        coordinator,
        "post",
        f"/partnerships/{partnership.slug}/participations",
        {"organisation": other.slug, "role": "2", "contribution": "   "},
    )

    assert response.status_code == 201, response.content[:300]
    assert Participation.objects.get(organisation=other).contribution == ""


def register(person, **fields):
    body = {"name": "Yayasan Air", "org_type": "21", "country": "ID", "confirm_duplicate": True}
    return send(person, "post", "/organisations", {**body, **fields})


def test_given_an_organisation_name_of_spaces_then_refused_on_name():
    person = PersonFactory(organisation=OrganisationFactory())
    before = Organisation.objects.count()

    response = register(person, name="   ")

    assert response.status_code == 422
    assert "name" in response.json()["error"]["fields"]
    assert Organisation.objects.count() == before


@pytest.mark.parametrize(
    "identifier",
    ["bad id with spaces", "xm-dac-47122", "<script>alert(1)</script>", "NaN", "0", "-1"],
)
def test_given_an_iati_identifier_with_spaces_or_taken_in_another_case_then_refused(identifier):
    OrganisationFactory(iati_identifier="XM-DAC-47122")
    person = PersonFactory(organisation=OrganisationFactory())
    before = Organisation.objects.count()

    response = register(person, iati_identifier=identifier)

    assert response.status_code == 422
    assert "iati_identifier" in response.json()["error"]["fields"]
    assert Organisation.objects.count() == before


def test_given_padded_acronym_and_repeated_provinces_then_stored_tidy():
    person = PersonFactory(organisation=OrganisationFactory())

    response = register(person, acronym="  ZQF  ", subdivisions=["ID-JB", "id-jb", "ID-JT"])

    assert response.status_code == 201, response.content[:300]
    stored = Organisation.objects.get(slug=response.json()["slug"])
    assert stored.acronym == "ZQF"
    assert stored.subdivisions == ["ID-JB", "ID-JT"]


@pytest.mark.parametrize(
    ("field", "value"), [("start_date", "9999-12-31"), ("end_date", "0001-01-01")]
)
def test_given_a_date_beyond_the_platforms_years_then_422_on_that_date(field, value):
    partnership, coordinator = coordinated()

    response = send(coordinator, "patch", f"/partnerships/{partnership.slug}", {field: value})

    assert response.status_code == 422
    assert response.json()["error"]["fields"][field] == ["Choose a date between 1950 and 2199."]
