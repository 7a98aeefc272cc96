"""The partnership list API keeps its JSON under what the list can show each reader.

Every write that changes a list shows in it at once: a new, edited, deleted or
re-published partnership, a membership granted or revoked; and a reader never gets a
list meant for another (`queries.list_version`).
"""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import Client

from sinergi.core import stored
from sinergi.ledger.log import append
from sinergi.partnerships import services
from sinergi.partnerships.models import Membership, Partnership
from tests.conftest import client_for
from tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    ParticipationFactory,
    PartnershipFactory,
    PersonFactory,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/partnerships"


@pytest.fixture(autouse=True)
def _cold() -> None:
    stored.clear()


def _titles(client: Client, query: str = "") -> list[str]:
    response = client.get(URL + query)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] >= len(body["items"])
    return [item["title"] for item in body["items"]]


def test_readers_get_their_own_lists_read_after_read() -> None:
    public = PartnershipFactory(title="A public one", visibility="public")
    private = PartnershipFactory(title="B private one")
    member, outsider = PersonFactory(), PersonFactory()
    MembershipFactory(partnership=private, person=member, role="observer")
    staff = PersonFactory(is_staff=True)
    readers = {
        "anonymous": client_for(None),
        "outsider": client_for(outsider),
        "member": client_for(member),
        "staff": client_for(staff),
    }
    for _round in range(2):
        found = {name: _titles(client) for name, client in readers.items()}
        assert found["anonymous"] == found["outsider"] == [public.title]
        assert found["member"] == found["staff"] == [public.title, private.title]


def test_a_new_edited_or_deleted_partnership_shows_at_once() -> None:
    coordinator = PersonFactory()
    client = client_for(coordinator)
    anonymous = client_for(None)
    assert _titles(client) == [] and _titles(anonymous) == []
    made = services.create_partnership(
        actor=coordinator, title="Clean water", slug="clean-water", countries=["ID"]
    )
    assert _titles(client) == ["Clean water"] and _titles(anonymous) == []
    services.update_partnership(actor=coordinator, partnership=made, visibility="public")
    assert _titles(anonymous) == ["Clean water"]
    services.update_partnership(actor=coordinator, partnership=made, title="Safe water")
    assert _titles(client) == ["Safe water"] and _titles(anonymous) == ["Safe water"]
    services.delete_partnership(actor=coordinator, partnership=Partnership.objects.get())
    assert _titles(client) == [] and _titles(anonymous) == []


def test_a_membership_granted_or_revoked_shows_at_once() -> None:
    private = PartnershipFactory(title="Private")
    coordinator, person = PersonFactory(), PersonFactory()
    MembershipFactory(partnership=private, person=coordinator, role="coordinator")
    client = client_for(person)
    assert _titles(client) == []
    membership = services.grant_membership(
        actor=coordinator, partnership=private, person=person, role="observer"
    )
    assert _titles(client) == ["Private"]
    services.revoke_membership(actor=coordinator, membership=membership)
    assert not Membership.objects.filter(person=person).exists()
    assert _titles(client) == []


def test_filters_and_pages_are_kept_apart() -> None:
    for n in range(5):
        PartnershipFactory(title=f"Water {n}", visibility="public", activity_status="2")
    PartnershipFactory(title="Roads", visibility="public", activity_status="3")
    client = client_for(None)
    for _round in range(2):
        assert _titles(client, "?limit=2") == ["Roads", "Water 0"]
        assert _titles(client, "?limit=2&offset=2") == ["Water 1", "Water 2"]
        assert _titles(client, "?q=water&limit=2") == ["Water 0", "Water 1"]
        assert _titles(client, "?status=3") == ["Roads"]
    assert client.get(URL + "?q=water").json()["count"] == 5


def test_a_filter_by_partner_follows_the_participations() -> None:
    organisation = OrganisationFactory()
    partnership = PartnershipFactory(title="Shared", visibility="public")
    client = client_for(None)
    query = f"?organisation={organisation.slug}"
    assert _titles(client, query) == []
    ParticipationFactory(partnership=partnership, organisation=organisation)
    assert _titles(client, query) == ["Shared"]


def test_bad_pages_are_refused_with_the_field() -> None:
    client = client_for(None)
    for query, field in [("?limit=0", "limit"), ("?offset=-1", "offset"), ("?limit=x", "limit")]:
        response = client.get(URL + query)
        assert response.status_code == 422, query
        assert list(response.json()["error"]["fields"]) == [field]
    assert client.get(URL + f"?offset={2**40}").status_code == 422


def test_an_edit_committed_after_a_later_one_still_shows() -> None:
    """Two edits whose timestamps were taken in one order and committed in the other:
    the latest update stays the same, the ledger's index does not."""
    PartnershipFactory(title="First", visibility="public")
    second = PartnershipFactory(title="Second", visibility="public")
    client = client_for(None)
    assert _titles(client) == ["First", "Second"]
    # The edit's own timestamp is older than the latest update, which stays as it was.
    with transaction.atomic():
        Partnership.objects.filter(pk=second.pk).update(title="Renamed")
        append("partnership.updated", {"changed": ["title"]}, second, None)
    assert _titles(client) == ["First", "Renamed"]


def test_a_membership_moved_to_another_partnership_shows_at_once() -> None:
    hidden, other = PartnershipFactory(title="Hidden"), PartnershipFactory(title="Other")
    person = PersonFactory()
    membership = MembershipFactory(partnership=hidden, person=person, role="observer")
    client = client_for(person)
    assert _titles(client) == ["Hidden"]
    # As the admin does it: the same row, another partnership.
    Membership.objects.filter(pk=membership.pk).update(partnership=other)
    assert _titles(client) == ["Other"]


def test_searches_and_deep_pages_are_answered_but_not_kept() -> None:
    PartnershipFactory(title="Water", visibility="public")
    client = client_for(None)
    stored.clear()
    for query in ("?q=water", "?offset=5000", "?country=INDONESIA", "?status=xyz"):
        assert client.get(URL + query).status_code == 200
    assert _titles(client, "?q=water") == ["Water"]
    from django.core.cache import caches

    assert caches["default"]._cache == {}  # nothing kept for them
