"""An organisation's registration form is registered once, however often it is sent.

A double click made two registry entries of the same organisation (and two entries on
the ledger). The form carries a one-time key (`sinergi.core.once`): the second post is
sent to the organisation the first registered, and says so.
"""

from __future__ import annotations

import re

import pytest

from sinergi.ledger.models import Entry
from sinergi.partners.models import Organisation
from tests.conftest import client_for
from tests.factories import PersonFactory
from tests.partners.test_duplicates import FORM

pytestmark = pytest.mark.django_db
KEY = re.compile(r'name="once" value="([^"]+)"')


def test_the_same_registration_sent_twice_registers_one_and_the_second_is_sent_to_it():
    client = client_for(PersonFactory())
    key = KEY.search(client.get("/en/organisations/new/").content.decode()).group(1)
    posted = {**FORM, "name": "Yayasan Pesisir Lestari", "org_type": "22", "once": key}
    entries = Entry.objects.count()

    first = client.post("/en/organisations/new/", posted)
    logged = Entry.objects.count() - entries
    second = client.post("/en/organisations/new/", posted, follow=True)

    assert first.status_code == 302
    assert Organisation.objects.filter(name="Yayasan Pesisir Lestari").count() == 1
    assert Entry.objects.count() == entries + logged
    assert second.redirect_chain[0][0] == first["Location"]
    assert "This form was sent before and is saved; nothing was added." in second.text


def test_a_likely_duplicate_confirmed_on_the_same_form_is_registered():
    """The form refused as a likely duplicate keeps its key; confirmed, it is saved."""
    from tests.factories import OrganisationFactory

    OrganisationFactory(name="Yayasan Pesisir Lestari", country="ID")
    client = client_for(PersonFactory())
    key = KEY.search(client.get("/en/organisations/new/").content.decode()).group(1)
    posted = {**FORM, "name": "Yayasan Pesisir Lestari", "org_type": "22", "once": key}

    warned = client.post("/en/organisations/new/", posted)
    assert warned.status_code == 422
    assert f'value="{key}"' in warned.text
    confirmed = client.post("/en/organisations/new/", {**posted, "confirm_duplicate": "on"})

    assert confirmed.status_code == 302
    assert Organisation.objects.filter(name="Yayasan Pesisir Lestari").count() == 2
