"""Spotting organisations that are probably registered already, in the service and the form."""

from __future__ import annotations

import pytest
from django.test import Client

from sinergi.partners.models import Organisation
from sinergi.partners.queries import find_likely_duplicates, normalise_name
from tests.factories import OrganisationFactory, PersonFactory


def names(found: list[Organisation]) -> list[str]:
    return [o.name for o in found]


@pytest.mark.parametrize(
    "registered,candidate",
    [
        ("Ministry of Health", "Ministry of Health of the Republic of Indonesia"),
        ("Ministry of Health of the Republic of Indonesia", "Ministry of Health"),
        ("Ministry of Health", "ministry of health"),
        ("Ministry of Health", "MINISTRY OF HEALTH."),
        ("Fundação Oswaldo Cruz", "FUNDACAO OSWALDO-CRUZ!!"),
        ("Société Générale", "societe generale"),
        ("PT Bank Mandiri (Persero) Tbk", "Bank Mandiri Persero"),
        ("Yayasan Cinta Anak Bangsa", "Cinta Anak Bangsa"),
        ("Save the Children", "Save the Childrens"),
    ],
)
def test_similar_names_are_flagged(db, registered, candidate):
    """Given an organisation in the registry, a name that differs only in case, accents,
    punctuation, legal-form words or by extra qualifying words is a likely duplicate."""
    existing = OrganisationFactory(name=registered)
    OrganisationFactory(name="Coral Reef Alliance")

    found = find_likely_duplicates(name=candidate)

    assert found == [existing]


@pytest.mark.parametrize(
    "candidate",
    [
        "Coral Reef Alliance",
        "Ministry of Education",
        "Ministry of Finance",
        "World Food Programme",
    ],
)
def test_unrelated_names_are_not_flagged(db, candidate):
    """Given "Ministry of Health" and "World Wide Fund for Nature", unrelated names —
    including another ministry — are not flagged."""
    OrganisationFactory(name="Ministry of Health")
    OrganisationFactory(name="World Wide Fund for Nature")

    assert find_likely_duplicates(name=candidate) == []


def test_empty_registry_flags_nothing(db):
    """Given an empty registry, nothing is a duplicate."""
    assert find_likely_duplicates(name="Ministry of Health", acronym="MoH") == []


def test_same_acronym_is_flagged_whatever_the_name(db):
    """Given "Kementerian Kesehatan" (Kemenkes), a differently named organisation with the
    acronym "KEMENKES" is a likely duplicate; a different acronym alone is not."""
    existing = OrganisationFactory(name="Kementerian Kesehatan", acronym="Kemenkes")

    assert find_likely_duplicates(name="Indonesian Health Ministry", acronym="KEMENKES") == [
        existing
    ]
    assert find_likely_duplicates(name="Indonesian Health Ministry", acronym="Kemendik") == []


def test_same_iati_identifier_is_flagged_whatever_the_name(db):
    """Given an organisation with IATI identifier XM-DAC-41122, another name with the same
    identifier (other case, spaces around it) is a likely duplicate."""
    existing = OrganisationFactory(name="UNICEF", iati_identifier="XM-DAC-41122")

    found = find_likely_duplicates(name="Children's Fund", iati_identifier=" xm-dac-41122 ")

    assert found == [existing]


def test_blank_acronym_and_identifier_match_nothing(db):
    """Given organisations without acronym or IATI identifier, leaving those blank does
    not make every organisation a duplicate."""
    OrganisationFactory(name="Coral Reef Alliance", acronym="", iati_identifier="")

    assert find_likely_duplicates(name="Ministry of Health", acronym=" ", iati_identifier="") == []


def test_strongest_evidence_comes_first(db):
    """Given one organisation with the same IATI identifier, one with the same acronym and
    one with a similar name, they are listed in that order."""
    by_name = OrganisationFactory(name="Ministry of Health")
    by_acronym = OrganisationFactory(name="Kementerian Kesehatan", acronym="MoH")
    by_identifier = OrganisationFactory(name="Totally Different", iati_identifier="ID-KMK-1")

    found = find_likely_duplicates(
        name="Ministry of Health Indonesia", acronym="moh", iati_identifier="ID-KMK-1"
    )

    assert found == [by_identifier, by_acronym, by_name]


def test_exclude_and_limit(db):
    """Given several similar organisations, `exclude_pk` leaves one out (the one being
    edited) and `limit` caps how many are returned."""
    first = OrganisationFactory(name="Ministry of Health")
    OrganisationFactory(name="Ministry of Health Indonesia")
    OrganisationFactory(name="The Ministry of Health")

    assert first not in find_likely_duplicates(name="Ministry of Health", exclude_pk=first.pk)
    assert len(find_likely_duplicates(name="Ministry of Health")) == 3
    assert len(find_likely_duplicates(name="Ministry of Health", limit=2)) == 2


def test_normalise_name():
    """Names are compared without case, accents, punctuation and legal-form words."""
    assert normalise_name("PT. Bank Négara Indonesia (Persero), Tbk.") == (
        "bank negara indonesia persero"
    )
    assert normalise_name("The Ministry of Health & Welfare") == "ministry health welfare"


# The registration form ------------------------------------------------------------------

FORM = {
    "name": "Ministry of Health, Republic of Indonesia",
    "acronym": "",
    "org_type": "10",
    "iati_identifier": "",
    "country": "ID",
    "website": "",
    "description_en": "",
    "description_id": "",
}


@pytest.fixture
def browser(db) -> Client:
    client = Client()
    client.force_login(PersonFactory())
    return client


def test_form_warns_about_a_likely_duplicate_and_registers_when_confirmed(browser):
    """Given "Ministry of Health" in the registry, registering "Ministry of Health, Republic
    of Indonesia" on the page shows a warning naming the existing organisation with a link
    and a confirmation checkbox, and registers nothing; ticking the box registers it."""
    existing = OrganisationFactory(name="Ministry of Health", slug="moh", org_type="10")
    count = Organisation.objects.count()

    warned = browser.post("/en/organisations/new/", FORM)

    assert warned.status_code == 422
    page = warned.content.decode()
    assert "Is it one of these?" in page
    assert 'href="/en/organisations/moh/"' in page
    assert existing.name in page
    assert 'type="checkbox" name="confirm_duplicate"' in page
    assert warned.context["candidates"] == [existing]
    assert "name" in warned.context["form"].errors
    assert f'value="{FORM["name"]}"' in page
    assert Organisation.objects.count() == count

    registered = browser.post("/en/organisations/new/", {**FORM, "confirm_duplicate": "on"})

    assert registered.status_code == 302
    created = Organisation.objects.get(name=FORM["name"])
    assert registered["Location"] == created.get_absolute_url()
    assert Organisation.objects.count() == count + 1


def test_form_registers_an_unrelated_organisation_without_warning(browser):
    """Given "Ministry of Health" in the registry, "Ministry of Education" registers
    straight away."""
    OrganisationFactory(name="Ministry of Health")

    response = browser.post("/en/organisations/new/", {**FORM, "name": "Ministry of Education"})

    assert response.status_code == 302
    assert Organisation.objects.filter(name="Ministry of Education").exists()


def test_form_refuses_a_taken_iati_identifier_even_when_confirmed(browser):
    """Given an organisation with IATI identifier XM-DAC-41122, the form refuses another
    with that identifier on the identifier field, confirmed or not."""
    OrganisationFactory(name="UNICEF", iati_identifier="XM-DAC-41122")
    count = Organisation.objects.count()

    response = browser.post(
        "/en/organisations/new/",
        {**FORM, "iati_identifier": "XM-DAC-41122", "confirm_duplicate": "on"},
    )

    assert response.status_code == 422
    assert "iati_identifier" in response.context["form"].errors
    assert Organisation.objects.count() == count
