"""The organisation registration form's field messages."""

from __future__ import annotations

import pytest
from django.test import Client

from sinergi.partners.models import Organisation
from tests.factories import PersonFactory
from tests.partners.test_duplicates import FORM as REGISTRATION

FORM = {**REGISTRATION, "name": "Yayasan Pesisir Lestari", "org_type": "22"}


@pytest.fixture
def browser(db) -> Client:
    client = Client()
    client.force_login(PersonFactory())
    return client


@pytest.mark.parametrize(
    "website",
    ["https://" + "a" * 9988 + ".org", "a" * 9996 + ".org"],
    ids=["with-scheme", "without-scheme"],
)
def test_a_website_of_ten_thousand_characters_gets_one_message_with_its_length(browser, website):
    """Given a website of 10,000 characters, typed with or without "https://", the form
    shows one message on the field, the length one, counting the 10,000 typed characters
    (not "Enter a valid URL." besides, nor a count including an assumed "https://")."""
    assert len(website) == 10_000

    response = browser.post("/en/organisations/new/", {**FORM, "website": website})

    assert response.status_code == 422
    assert response.context["form"].errors["website"] == [
        "Ensure this value has at most 200 characters (it has 10000)."
    ]
    assert not Organisation.objects.filter(name=FORM["name"]).exists()


def test_a_website_without_scheme_is_still_stored_with_https(browser):
    """A website typed without a scheme is stored with "https://" in front."""
    response = browser.post("/en/organisations/new/", {**FORM, "website": "pesisir.example.org"})

    assert response.status_code == 302
    assert Organisation.objects.get(name=FORM["name"]).website == "https://pesisir.example.org"


COUNTRY_REFUSED = "Select a valid choice. XX is not one of the available choices."


def test_a_refused_country_is_the_only_message_not_the_provinces_too(browser):
    """Given a country that is not in the list and provinces of another, registering
    shows the country's message alone: the provinces cannot be judged without a
    country."""
    response = browser.post(
        "/en/organisations/new/", {**FORM, "country": "XX", "subdivisions": ["ID-JK"]}
    )

    assert response.status_code == 422
    assert response.context["form"].errors == {"country": [COUNTRY_REFUSED]}
    assert not Organisation.objects.filter(name=FORM["name"]).exists()


def test_provinces_outside_a_valid_country_are_still_refused(browser):
    """Given a valid country, provinces of another country are refused on their field."""
    response = browser.post(
        "/en/organisations/new/", {**FORM, "country": "TL", "subdivisions": ["ID-JK"]}
    )

    assert response.status_code == 422
    assert list(response.context["form"].errors) == ["subdivisions"]
