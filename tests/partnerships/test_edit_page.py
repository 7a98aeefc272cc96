"""A rejected edit keeps the page about the saved partnership, not the rejected input."""

import pytest
from django.test import Client

from sinergi.partnerships.models import Partnership
from tests.factories import MembershipFactory, PartnershipFactory


@pytest.mark.django_db
def test_a_taken_short_name_is_an_inline_error_and_the_heading_keeps_the_saved_title():
    """Given a coordinator editing a partnership, when they submit another partnership's
    slug and a new title, then the slug field shows the error, nothing is saved, and the
    heading and cancel link still name the saved partnership."""
    taken = PartnershipFactory(slug="taken")
    membership = MembershipFactory(role="coordinator")
    partnership = membership.partnership
    client = Client()
    client.force_login(membership.person)
    response = client.post(
        f"/en/partnerships/{partnership.slug}/edit/",
        {
            "title": "Renamed",
            "slug": taken.slug,
            "activity_status": "2",
            "base_currency": "IDR",
            "visibility": "private",
        },
    )
    assert response.status_code == 422
    assert "already exists" in response.text
    assert f"Edit {partnership.title}" in response.text
    # The title names the partnership (and says the form came back with errors).
    assert f"<title>Error: Edit partnership: {partnership.title} · Sinergi</title>" in (
        response.text
    )
    assert f'href="/en/partnerships/{partnership.slug}/"' in response.text
    partnership.refresh_from_db()
    assert partnership.title != "Renamed"


@pytest.mark.django_db
def test_saving_an_edit_form_opened_earlier_keeps_what_others_changed_meanwhile():
    """Given a coordinator who opened the edit page, when someone else renames the
    partnership (the API, another tab) and the coordinator then changes only the summary
    and saves, then the summary is saved and the other person's title stays — the page
    does not put back the title it showed."""
    from sinergi.partnerships import services
    from tests.forms_on_page import form_on_page

    membership = MembershipFactory(role="coordinator")
    partnership = membership.partnership
    client = Client()
    client.force_login(membership.person)
    address = f"/en/partnerships/{partnership.slug}/edit/"
    data = form_on_page(client.get(address).text)

    services.update_partnership(
        actor=membership.person, partnership=partnership, title="Renamed by someone else"
    )
    data["summary"] = ["A new summary"]
    response = client.post(address, data)

    assert response.status_code == 302, response.text[:2000]
    partnership.refresh_from_db()
    assert partnership.summary == "A new summary"
    assert partnership.title == "Renamed by someone else"


def test_a_new_partnership_starts_in_rupiah(db):
    """Given the new-partnership form, then the base currency offered is IDR, the
    model's default (the form started at AED, the first of the list, and the base
    currency cannot be changed once money is recorded)."""
    import re

    from django.test import Client

    from tests.factories import PersonFactory

    client = Client()
    client.force_login(PersonFactory())

    html = client.get("/en/partnerships/new/").content.decode()

    select = html.split('name="base_currency"')[1].split("</select>")[0]
    assert re.search(r'<option value="IDR"[^>]*selected', select)


def test_a_partner_is_found_by_its_name_acronym_or_the_suggestion_as_shown(db):
    """Given the add-partner form, then an organisation is found by its short name, its
    name, its acronym or the "Name (ACRONYM)" the suggestions show, in any letter case
    (only the short name and the exact name worked: typing what the list showed was
    refused); an acronym two organisations share asks to pick one."""
    from sinergi.partnerships.forms import AddPartnerForm
    from tests.factories import OrganisationFactory

    health = OrganisationFactory(
        name="Ministry of Health of the Republic of Indonesia", acronym="Kemenkes"
    )
    OrganisationFactory(name="Yayasan Satu", acronym="YS")
    OrganisationFactory(name="Yayasan Sehat", acronym="YS")

    def pick(text: str) -> object:
        form = AddPartnerForm({"organisation": text, "role": "4"})
        return form.cleaned_data["organisation"] if form.is_valid() else form.errors

    for text in (
        health.slug,
        "ministry of health of the republic of indonesia",
        "KEMENKES",
        "Ministry of Health of the Republic of Indonesia (Kemenkes)",
    ):
        assert pick(text) == health, text
    assert "pick one" in str(pick("ys"))
    assert "Pick an organisation from the registry." in str(pick("Kementerian Lain"))


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["start_date", "end_date"])
def test_a_date_beyond_the_platforms_years_is_an_inline_error_and_nothing_saved(field):
    """Given 9999-12-31 as a date, then the form says which years it takes and nothing is
    saved: such a start date used to be saved, and every results page of the partnership
    then failed (its periods do not fit in a date)."""
    from tests.forms_on_page import form_on_page

    membership = MembershipFactory(role="coordinator")
    partnership = membership.partnership
    client = Client()
    client.force_login(membership.person)
    address = f"/en/partnerships/{partnership.slug}/edit/"
    data = form_on_page(client.get(address).text)
    data["start_date"], data["end_date"] = ["2025-01-01"], ["2029-12-31"]
    data[field] = ["9999-12-31"]

    response = client.post(address, data)

    assert response.status_code == 422
    assert "Choose a date between 1950 and 2199." in response.text
    partnership.refresh_from_db()
    assert getattr(partnership, field) is None or getattr(partnership, field).year < 9999
    assert client.get(f"/en/partnerships/{partnership.slug}/results/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(("field", "limit"), [("summary", 5_000), ("vision", 10_000)])
def test_the_forms_take_the_texts_the_api_takes_and_no_longer(field, limit):
    """Given a summary (or shared vision) longer than the API takes, then the new and the
    edit forms refuse it next to the field and save nothing: such a text used to be saved,
    and every PATCH that sent it back was then refused. At the limit it is saved and the
    API takes it back."""
    from tests.api.test_crud import ApiClient
    from tests.factories import PersonFactory
    from tests.forms_on_page import form_on_page

    person = PersonFactory()
    client = Client()
    client.force_login(person)
    data = form_on_page(client.get("/en/partnerships/new/").text)
    data["title"] = ["Long texts"]
    data[field] = ["x" * (limit + 1)]
    response = client.post("/en/partnerships/new/", data)
    assert response.status_code == 422
    assert f"Ensure this value has at most {limit} characters" in response.text
    assert f'id="id_{field}_error"' in response.text  # next to the field
    assert not Partnership.objects.exists()

    membership = MembershipFactory(role="coordinator", person=person)
    partnership = membership.partnership
    address = f"/en/partnerships/{partnership.slug}/edit/"
    data = form_on_page(client.get(address).text)
    data[field] = ["x" * (limit + 1)]
    response = client.post(address, data)
    assert response.status_code == 422
    assert f"Ensure this value has at most {limit} characters" in response.text
    partnership.refresh_from_db()
    assert getattr(partnership, field) == ""

    data[field] = ["x" * limit]
    assert client.post(address, data).status_code == 302
    partnership.refresh_from_db()
    assert len(getattr(partnership, field)) == limit
    api = ApiClient(person)
    response = api.patch(f"/partnerships/{partnership.slug}", {field: getattr(partnership, field)})
    assert response.status_code == 200, response.content[:500]
