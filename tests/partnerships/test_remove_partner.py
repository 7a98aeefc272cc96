"""When an organisation leaves a partnership, its people's roles leave with it."""

from __future__ import annotations

import json

from django.utils import timezone

from sinergi.access.models import Invitation
from sinergi.access.services import invite_person
from sinergi.ledger.models import Entry
from sinergi.partnerships import services
from sinergi.partnerships.models import Membership, Participation
from tests.conftest import client_for
from tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    ParticipationFactory,
    PersonFactory,
)


def kinds_since(index: int) -> list[tuple[str, dict]]:
    bodies = Entry.objects.filter(index__gte=index).order_by("index").values_list("body", flat=True)
    return [(json.loads(b)["kind"], json.loads(b)["payload"]) for b in bodies]


def test_a_leaving_organisation_takes_its_people_s_roles_but_not_a_coordinator_s(private_cast):
    """Given a partner organisation with a partner admin, a member and a coordinator of
    its own, and an open invitation for a colleague, when it is removed, then the admin
    and the member lose their roles (each logged as revoked after partner.left, in one
    transaction) and can no longer read the private partnership, and the invitation ends;
    its coordinator and other organisations' people keep theirs."""
    cast = private_cast
    leaving = OrganisationFactory(slug="leaving-org")
    participation = ParticipationFactory(partnership=cast.partnership, organisation=leaving)
    admin = PersonFactory(organisation=leaving, username="leaving-admin")
    member = PersonFactory(organisation=leaving, username="leaving-member")
    coordinator = PersonFactory(organisation=leaving, username="leaving-coordinator")
    for person, role in (
        (admin, "partner_admin"),
        (member, "member"),
        (coordinator, "coordinator"),
    ):
        MembershipFactory(partnership=cast.partnership, person=person, role=role)
    others = set(
        Membership.objects.filter(partnership=cast.partnership)
        .exclude(person__organisation=leaving)
        .values_list("pk", flat=True)
    )
    invite_person(
        actor=admin,
        email="colleague@leaving.example",
        organisation=leaving,
        partnership=cast.partnership,
        role="member",
        accept_url_template="http://testserver/en/accounts/invitations/{token}/",
    )

    def invitation_open() -> bool:
        return Invitation.objects.filter(expires_at__gt=timezone.now()).exists()

    assert invitation_open()
    start = Entry.objects.count()
    address = f"/api/v1/partnerships/{cast.partnership.slug}"
    assert client_for(admin).get(address).status_code == 200

    services.remove_partner(actor=cast.people["coordinator"], participation=participation)

    assert not Participation.objects.filter(pk=participation.pk).exists()
    remaining = Membership.objects.filter(partnership=cast.partnership)
    assert set(remaining.filter(person__organisation=leaving).values_list("role", flat=True)) == {
        "coordinator"
    }
    assert others <= set(remaining.values_list("pk", flat=True))
    assert not invitation_open()
    assert client_for(admin).get(address).status_code == 404
    assert client_for(member).get(address).status_code == 404
    assert [(k, p.get("person"), p.get("reason")) for k, p in kinds_since(start)] == [
        ("partner.left", None, None),
        ("membership.revoked", "leaving-admin", "partner.left"),
        ("membership.revoked", "leaving-member", "partner.left"),
    ]
