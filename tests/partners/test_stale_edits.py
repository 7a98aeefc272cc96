"""Organisation edits and removals made from a copy read before someone else's change.

The services re-read the organisation under the ledger's lock (`ledger.log.hold_row`), so
the copy a request read earlier can neither bring a removed organisation back, nor undo a
field changed meanwhile, nor pass a check that no longer holds. The other request's change
is made between the read and the call, as one committing at that moment would.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from sinergi.partners import services
from sinergi.partners.models import Organisation
from tests.conftest import client_for
from tests.factories import OrganisationFactory, PersonFactory
from tests.forms_on_page import form_on_page

pytestmark = pytest.mark.django_db


def read(organisation: Organisation) -> Organisation:
    """The copy a request reads."""
    return Organisation.objects.get(pk=organisation.pk)


def test_an_organisation_removed_meanwhile_is_not_brought_back_by_an_edit():
    staff = PersonFactory(is_staff=True)
    organisation = OrganisationFactory()
    stale = read(organisation)
    services.delete_organisation(actor=staff, organisation=read(organisation))

    with pytest.raises(Http404):
        services.update_organisation(actor=staff, organisation=stale, description_en="New")

    assert not Organisation.objects.filter(pk=organisation.pk).exists()


def test_editing_one_field_keeps_another_changed_meanwhile():
    staff = PersonFactory(is_staff=True)
    organisation = OrganisationFactory(website="https://old.example.org")
    stale = read(organisation)
    read_at = stale.updated_at
    services.update_organisation(
        actor=staff, organisation=read(organisation), website="https://new.example.org"
    )

    services.update_organisation(actor=staff, organisation=stale, description_en="Weavers")

    stored = read(organisation)
    assert (stored.website, stored.description_en) == ("https://new.example.org", "Weavers")
    assert stale.website == "https://new.example.org"  # the caller's copy is what was saved
    assert stored.updated_at == stale.updated_at > read_at


def test_a_form_sending_every_field_writes_only_those_it_changes():
    """Given a form read before a rename, when it is sent with only the website changed,
    then the rename stays: the other fields it sends back are the values it read."""
    admin = PersonFactory(is_organisation_admin=True)
    organisation = admin.organisation
    stale = read(organisation)
    sent = {name: getattr(stale, name) for name in services.ORGANISATION_FIELDS}
    services.update_organisation(actor=admin, organisation=read(organisation), name="Renamed")

    services.update_organisation(
        actor=admin, organisation=stale, **(sent | {"website": "https://x.example.org"})
    )

    stored = read(organisation)
    assert (stored.name, stored.website) == ("Renamed", "https://x.example.org")


def test_the_edit_page_does_not_undo_a_change_saved_while_it_was_open():
    """Given the edit page opened, then the organisation renamed by someone else, when the
    page is sent with only the website changed, then the website is saved and the new
    name stays (the page sends back every field; only those the reader changed count)."""
    admin = PersonFactory(is_organisation_admin=True)
    organisation = admin.organisation
    client = client_for(admin)
    address = f"/en/organisations/{organisation.slug}/edit/"
    form = form_on_page(client.get(address).content.decode())
    services.update_organisation(
        actor=admin, organisation=read(organisation), name="Renamed Meanwhile"
    )
    form["website"] = ["https://water.example.org"]

    response = client.post(address, form)

    assert response.status_code == 302
    saved = read(organisation)
    assert (saved.name, saved.website) == ("Renamed Meanwhile", "https://water.example.org")


def test_provinces_are_checked_against_the_country_as_it_is_now():
    """Given the country changed from Indonesia to Timor-Leste meanwhile, an Indonesian
    province sent from the copy read before is refused, and the country stays."""
    staff = PersonFactory(is_staff=True)
    organisation = OrganisationFactory(country="ID")
    stale = read(organisation)
    services.update_organisation(actor=staff, organisation=read(organisation), country="TL")

    with pytest.raises(ValidationError) as refused:
        services.update_organisation(actor=staff, organisation=stale, subdivisions=["ID-JK"])

    assert "subdivisions" in refused.value.message_dict
    stored = read(organisation)
    assert (stored.country, stored.subdivisions) == ("TL", [])


def test_removing_an_organisation_removed_meanwhile_is_not_found():
    """Given two removals sent at once, the later one is a 404, not a server error."""
    staff = PersonFactory(is_staff=True)
    organisation = OrganisationFactory()
    stale = read(organisation)
    services.delete_organisation(actor=staff, organisation=read(organisation))

    with pytest.raises(Http404):
        services.delete_organisation(actor=staff, organisation=stale)

    assert not Organisation.objects.filter(pk=organisation.pk).exists()


def test_a_made_short_name_taken_meanwhile_is_made_again(monkeypatch):
    """Given another organisation of the same name registered between the making of the
    short name and the save, the registration gets the next one, not a refusal naming the
    IATI identifier."""
    person = PersonFactory()
    made = services.unique_slug
    calls = []

    def made_then_taken(model, text):
        slug = made(model, text)
        if not calls:  # the other registration commits now
            calls.append(1)
            OrganisationFactory(name="Yayasan Tenun", slug=slug)
        return slug

    monkeypatch.setattr(services, "unique_slug", made_then_taken)

    organisation = services.register_organisation(
        actor=person, confirm_duplicate=True, name="Yayasan Tenun", org_type="22", country="ID"
    )

    assert organisation.slug == "yayasan-tenun-2"
    assert Organisation.objects.filter(name="Yayasan Tenun").count() == 2
