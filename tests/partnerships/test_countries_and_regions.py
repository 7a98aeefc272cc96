"""The partnership form's countries and provinces: a refused country is the only message."""

from __future__ import annotations

import pytest
from django.test import Client

from sinergi.partnerships.models import Partnership
from tests.factories import MembershipFactory, PersonFactory

FORM = {
    "title": "Pesisir Sehat",
    "activity_status": "2",
    "base_currency": "IDR",
    "visibility": "private",
}
COUNTRY_REFUSED = "Select a valid choice. XX is not one of the available choices."


@pytest.mark.parametrize(
    "countries", [["XX"], ["ID", "XX"]], ids=["only-a-refused-one", "with-a-valid-one"]
)
def test_a_new_partnership_with_a_refused_country_gets_only_the_countrys_message(db, countries):
    """Given a country that is not in the list (alone, or beside Indonesia) and an
    Indonesian province, the form shows the countries' message alone, not one on the
    provinces as well, and creates nothing."""
    client = Client()
    client.force_login(PersonFactory())

    response = client.post(
        "/en/partnerships/new/", {**FORM, "countries": countries, "regions": ["ID-JK"]}
    )

    assert response.status_code == 422
    assert response.context["form"].errors == {"countries": [COUNTRY_REFUSED]}
    assert not Partnership.objects.filter(title=FORM["title"]).exists()


def test_an_edit_with_a_refused_country_gets_only_the_countrys_message(db):
    """Given a coordinator editing a partnership in Timor-Leste who chooses Indonesia, a
    country that is not in the list and an Indonesian province, the countries' message
    is the only one (the province was judged against the saved Timor-Leste), and the
    saved countries and provinces stay."""
    membership = MembershipFactory(role="coordinator")
    partnership = membership.partnership
    partnership.countries, partnership.regions = ["TL"], ["TL-DI"]
    partnership.save()
    client = Client()
    client.force_login(membership.person)

    response = client.post(
        f"/en/partnerships/{partnership.slug}/edit/",
        {**FORM, "slug": partnership.slug, "countries": ["ID", "XX"], "regions": ["ID-JK"]},
    )

    assert response.status_code == 422
    assert response.context["form"].errors == {"countries": [COUNTRY_REFUSED]}
    partnership.refresh_from_db()
    assert (partnership.countries, partnership.regions) == (["TL"], ["TL-DI"])


def test_provinces_outside_the_chosen_countries_are_still_refused(db):
    """Given valid countries, a province of another country is refused on its field."""
    client = Client()
    client.force_login(PersonFactory())

    response = client.post(
        "/en/partnerships/new/", {**FORM, "countries": ["TL"], "regions": ["ID-JK"]}
    )

    assert response.status_code == 422
    assert list(response.context["form"].errors) == ["regions"]
