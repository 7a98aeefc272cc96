"""Country, province and currency names follow the interface language (ISO names from
pycountry's own catalogues); codes and validation do not."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import translation

from sinergi.core import geography


@pytest.mark.django_db
def test_country_filter_is_in_the_page_language():
    """Given the partnership list, the country filter names Germany in the language shown."""
    assert '<option value="DE" >Germany</option>' in Client().get("/en/partnerships/").text
    assert '<option value="DE" >Jerman</option>' in Client().get("/id/partnerships/").text


def test_names_follow_the_active_language_but_codes_do_not():
    """Given Indonesian, names are Indonesian; the same codes validate in either language."""
    with translation.override("id"):
        assert geography.country_names()["NL"] == "Belanda"
        assert dict(geography.currency_choices())["USD"].startswith("USD — ")
        assert dict(geography.subdivisions_of("ID"))["ID-JB"] == "Jawa Barat"
        geography.validate_country("NL")
        geography.validate_currency("IDR")
    with translation.override("en"):
        assert geography.country_names()["NL"] == "Netherlands"
        with pytest.raises(ValidationError):
            geography.validate_currency("XYZ")
