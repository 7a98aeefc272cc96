"""A partnership's edit goes on the ledger as `partnership.updated`, with each changed
field's new value (`changed`) and the value it replaced (`from`): an auditor links the
entries under a partnership's old short name to those under its new one."""

from __future__ import annotations

import json

import pytest

from sinergi.ledger import audit
from sinergi.ledger.models import Entry
from sinergi.partnerships import services
from sinergi.partnerships.models import Partnership
from tests.conftest import client_for
from tests.factories import MembershipFactory
from tests.forms_on_page import form_on_page


def last_update() -> dict:
    entry = Entry.objects.filter(kind="partnership.updated").latest("index")
    return json.loads(bytes(entry.body))


@pytest.mark.django_db
def test_a_rename_on_the_edit_page_records_the_old_short_name():
    """Given a partnership whose short name was stored before names were lower case, when
    its coordinator renames it and makes it public on the edit page, then the entry, named
    by the new short name, gives both new values and both old ones, and the log verifies."""
    membership = MembershipFactory(role="coordinator", partnership__visibility="private")
    partnership = membership.partnership
    Partnership.objects.filter(pk=partnership.pk).update(slug="Old_Name")
    client = client_for(membership.person)
    address = "/en/partnerships/Old_Name/edit/"
    data = form_on_page(client.get(address).text)
    data["slug"], data["visibility"] = ["batik-2030"], ["public"]

    assert client.post(address, data).status_code == 302

    body = last_update()
    assert body["partnership"] == "batik-2030"
    assert body["payload"] == {
        "changed": {"slug": "batik-2030", "visibility": "public"},
        "from": {"slug": "Old_Name", "visibility": "private"},
    }
    assert audit.verify_log().ok
    ledger_tab = client.get("/en/partnerships/batik-2030/ledger/").text
    assert "Old_Name" in ledger_tab


@pytest.mark.django_db
def test_the_old_value_is_the_stored_one_not_the_request_s_copy():
    """Given an edit read before someone else's rename, when it changes the title, then
    only the title is written and logged, its old value as stored; a rename of the copy's
    stale short name records the short name stored."""
    membership = MembershipFactory(role="coordinator")
    actor, stale = membership.person, membership.partnership
    fresh = Partnership.objects.get(pk=stale.pk)
    title = fresh.title
    services.update_partnership(actor=actor, partnership=fresh, slug="renamed-meanwhile")

    services.update_partnership(actor=actor, partnership=stale, title="A new title")
    assert last_update()["payload"] == {
        "changed": {"title": "A new title"},
        "from": {"title": title},
    }

    services.update_partnership(actor=actor, partnership=stale, slug="third-name")
    assert last_update()["payload"] == {
        "changed": {"slug": "third-name"},
        "from": {"slug": "renamed-meanwhile"},
    }
    assert audit.verify_log().ok


@pytest.mark.django_db
def test_dates_are_recorded_as_iso_dates_before_and_after():
    membership = MembershipFactory(role="coordinator")
    partnership = membership.partnership
    services.update_partnership(
        actor=membership.person, partnership=partnership, start_date="2026-01-01"
    )
    partnership.refresh_from_db()

    services.update_partnership(
        actor=membership.person, partnership=partnership, start_date="2026-02-01"
    )

    payload = last_update()["payload"]
    assert payload["from"] == {"start_date": "2026-01-01"}
