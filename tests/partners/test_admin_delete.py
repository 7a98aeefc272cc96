"""Deleting people in the Django admin: their memberships are revoked on the ledger.

Membership.person cascades in the database; the admin revokes each membership through
the partnerships service first, so that every `membership.revoked` is logged in the same
transaction as the deletion. A partnership's last coordinator cannot be deleted (shown
as protected) until another is appointed.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client

from sinergi.ledger import audit
from sinergi.ledger.models import Entry
from sinergi.partners.models import Person
from sinergi.partnerships.models import Membership
from tests.factories import MembershipFactory, PartnershipFactory, PersonFactory

CHANGELIST = "/en/admin/partners/person/"


@pytest.fixture
def staff(db) -> Person:
    return PersonFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(staff) -> Client:
    client = Client()
    client.force_login(staff)
    return client


def revoked_since(before: int) -> list[dict]:
    entries = Entry.objects.filter(index__gte=before, kind="membership.revoked")
    return [json.loads(bytes(e.body)) for e in entries.order_by("index")]


def test_deleting_a_member_revokes_each_membership_on_the_ledger(admin_client, staff, private_cast):
    """Given a member of two partnerships, when staff delete them in the admin, then the
    person and both memberships are gone, and one `membership.revoked` entry per
    partnership names them, their role, the reason and the staff member who did it."""
    member = private_cast.people["member"]
    other = PartnershipFactory()
    MembershipFactory(partnership=other, person=member, role="observer")
    before = Entry.objects.count()
    confirm = admin_client.get(f"{CHANGELIST}{member.pk}/delete/")
    assert confirm.status_code == 200
    assert not confirm.context["protected"]

    response = admin_client.post(f"{CHANGELIST}{member.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302, response.content[:500]
    assert not Person.objects.filter(pk=member.pk).exists()
    assert not Membership.objects.filter(person_id=member.pk).exists()
    revoked = revoked_since(before)
    assert [(e["partnership"], e["actor"]) for e in revoked] == [
        (private_cast.partnership.slug, staff.username),
        (other.slug, staff.username),
    ]
    assert [e["payload"] for e in revoked] == [
        {"person": member.username, "role": "member", "reason": "person.deleted"},
        {"person": member.username, "role": "observer", "reason": "person.deleted"},
    ]
    assert audit.verify_log().ok


def test_deleting_people_with_the_action_revokes_their_memberships(admin_client, private_cast):
    """The "delete selected" action does the same for each person selected."""
    people = [private_cast.people["member"], private_cast.people["observer"]]
    before = Entry.objects.count()

    response = admin_client.post(
        CHANGELIST,
        {"action": "delete_selected", "_selected_action": [p.pk for p in people], "post": "yes"},
    )

    assert response.status_code == 302, response.content[:500]
    assert not Person.objects.filter(pk__in=[p.pk for p in people]).exists()
    assert [e["payload"]["person"] for e in revoked_since(before)] == [p.username for p in people]


def test_a_last_coordinator_is_protected_from_deletion(admin_client, private_cast):
    """Given the partnership's only coordinator, then the admin shows the deletion as
    blocked by their membership and a POST deletes nothing and logs nothing: the
    partnership would be left without a coordinator."""
    coordinator = private_cast.people["coordinator"]
    before = Entry.objects.count()

    for response in (
        admin_client.get(f"{CHANGELIST}{coordinator.pk}/delete/"),
        admin_client.post(f"{CHANGELIST}{coordinator.pk}/delete/", {"post": "yes"}),
    ):
        assert response.status_code == 200
        protected = " ".join(map(str, response.context["protected"]))
        assert "the last coordinator of" in protected, protected
        assert private_cast.partnership.title in protected

    assert Person.objects.filter(pk=coordinator.pk).exists()
    assert Membership.objects.filter(person=coordinator).count() == 1
    assert Entry.objects.count() == before


def test_two_coordinators_deleted_together_are_protected(admin_client, private_cast):
    """Given a second coordinator, then either alone may be deleted, not both at once."""
    first = private_cast.people["coordinator"]
    second = private_cast.people["member"]
    Membership.objects.filter(person=second).update(role="coordinator")

    response = admin_client.post(
        CHANGELIST,
        {"action": "delete_selected", "_selected_action": [first.pk, second.pk], "post": "yes"},
    )

    assert response.status_code == 200
    assert "the last coordinator of" in " ".join(map(str, response.context["protected"]))
    assert Person.objects.filter(pk__in=[first.pk, second.pk]).count() == 2

    response = admin_client.post(f"{CHANGELIST}{second.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert Membership.objects.filter(person=first, role="coordinator").exists()
