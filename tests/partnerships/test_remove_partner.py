"""When an organisation leaves a partnership, its people's roles leave with it; what only a
partner can honour (open pledges, approvals) holds it back until settled."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from sinergi.access.models import Invitation
from sinergi.access.services import invite_person
from sinergi.core.errors import Conflict
from sinergi.finance import services as finance
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
from tests.finance.conftest import build_funded, usd_pledge


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


def test_a_second_removal_of_the_same_partner_logs_nothing_more(private_cast):
    """Given a partner removed, when the same removal comes again (a second click, or two
    coordinators at once), then it changes nothing and the ledger has one partner.left."""
    participation = ParticipationFactory(partnership=private_cast.partnership)
    start = Entry.objects.count()

    services.remove_partner(actor=private_cast.people["coordinator"], participation=participation)
    services.remove_partner(actor=private_cast.people["coordinator"], participation=participation)

    assert [kind for kind, _payload in kinds_since(start)] == ["partner.left"]


# What a leaving partner must settle first --------------------------------------------


def _state(funded) -> tuple[int, set[int], set[int]]:
    """The ledger's size, the partnership's participations and memberships."""
    partnership = funded.partnership
    return (
        Entry.objects.count(),
        set(Participation.objects.filter(partnership=partnership).values_list("pk", flat=True)),
        set(Membership.objects.filter(partnership=partnership).values_list("pk", flat=True)),
    )


def _participation(funded, organisation) -> Participation:
    return Participation.objects.get(partnership=funded.partnership, organisation=organisation)


def test_a_partner_with_an_open_pledge_is_not_removed_until_it_is_settled(db):
    """Given a funder with a pledge that is pledged, then committed, when a coordinator
    removes it, then it is refused (Conflict naming the organisation and the open pledge)
    and nothing changes: no ledger entry, the participation and its people's roles stay.
    Once the pledge is cancelled, the removal goes through; the pledge stays on record."""
    funded = build_funded()
    pledge = usd_pledge(funded)
    for status in ("pledged", "committed"):
        if status == "committed":
            finance.change_pledge_status(
                actor=funded.coordinator, pledge=pledge, status="committed"
            )
        before = _state(funded)
        with pytest.raises(Conflict) as refused:
            services.remove_partner(
                actor=funded.coordinator, participation=_participation(funded, funded.funder)
            )
        assert "Yayasan Dana Sehat has 1 open pledge" in refused.value.message
        assert _state(funded) == before

    finance.change_pledge_status(
        actor=funded.coordinator, pledge=pledge, status="cancelled", reason="Withdrawn"
    )
    services.remove_partner(
        actor=funded.coordinator, participation=_participation(funded, funded.funder)
    )
    assert not Participation.objects.filter(
        partnership=funded.partnership, organisation=funded.funder
    ).exists()
    pledge.refresh_from_db()
    assert pledge.status == "cancelled"


def test_fulfilled_and_cancelled_pledges_do_not_hold_a_partner_back(db):
    """Only pledged and committed pledges are open: with one of each settled kind (and two
    open pledges of another partner), the funder leaves."""
    funded = build_funded()
    cancelled = usd_pledge(funded)
    finance.change_pledge_status(
        actor=funded.coordinator, pledge=cancelled, status="cancelled", reason="Withdrawn"
    )
    fulfilled = usd_pledge(funded)
    finance.change_pledge_status(actor=funded.coordinator, pledge=fulfilled, status="committed")
    finance.change_pledge_status(actor=funded.coordinator, pledge=fulfilled, status="fulfilled")
    for _ in range(2):
        finance.record_pledge(
            actor=funded.coordinator,
            partnership=funded.partnership,
            organisation=funded.company,
            amount="1000",
            currency="USD",
            period_start="2026-01-01",
            period_end="2026-06-30",
        )
    with pytest.raises(Conflict, match="PT Tekstil Hijau has 2 open pledges"):
        services.remove_partner(
            actor=funded.coordinator, participation=_participation(funded, funded.company)
        )
    services.remove_partner(
        actor=funded.coordinator, participation=_participation(funded, funded.funder)
    )
    assert set(funded.partnership.participations.values_list("organisation", flat=True)) == {
        funded.ngo.pk,
        funded.company.pk,
    }


def test_an_approving_partner_is_not_removed_until_the_rule_changes(db):
    """Given an approval rule that needs the funder's approval, its removal is refused
    with a word on the rule; once the rule names only the company, the funder leaves."""
    funded = build_funded()
    finance.set_approval_rule(
        actor=funded.coordinator,
        partnership=funded.partnership,
        threshold="1000000",
        required=2,
        approver_organisations=[funded.funder, funded.company],
    )
    before = _state(funded)
    with pytest.raises(Conflict, match="change the approval rule first"):
        services.remove_partner(
            actor=funded.coordinator, participation=_participation(funded, funded.funder)
        )
    assert _state(funded) == before
    finance.set_approval_rule(
        actor=funded.coordinator,
        partnership=funded.partnership,
        threshold="1000000",
        required=1,
        approver_organisations=[funded.company],
    )
    services.remove_partner(
        actor=funded.coordinator, participation=_participation(funded, funded.funder)
    )
    assert not funded.partnership.participations.filter(organisation=funded.funder).exists()


def test_a_partner_in_two_roles_may_give_up_one_with_its_pledge_open(db):
    """An organisation listed in two roles stays a partner when one of them goes: its open
    pledge does not hold that back."""
    funded = build_funded()
    usd_pledge(funded)
    second = ParticipationFactory(
        partnership=funded.partnership, organisation=funded.funder, role="2"
    )
    services.remove_partner(actor=funded.coordinator, participation=second)
    assert funded.partnership.participations.filter(organisation=funded.funder).count() == 1


def test_a_refused_removal_is_a_409_in_the_api_and_an_inline_message_on_the_page(db):
    """Over HTTP the refusal is the API's 409 with the message, the HTMX row again with
    the message beside its Remove button (in Indonesian on /id/), and without HTMX a
    redirect to the Partners tab showing it; the partner is still there after each."""
    funded = build_funded()
    usd_pledge(funded)
    participation = _participation(funded, funded.funder)
    slug = funded.partnership.slug
    client = client_for(funded.coordinator)

    answer = client.delete(f"/api/v1/partnerships/{slug}/participations/{participation.pk}")
    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "conflict"
    assert "Yayasan Dana Sehat has 1 open pledge" in answer.json()["error"]["message"]

    address = f"/en/partnerships/{slug}/partners/{participation.pk}/remove/"
    row = client.post(address, HTTP_HX_REQUEST="true")
    assert row.status_code == 200
    html = row.content.decode()
    assert f'id="participation-{participation.pk}"' in html
    assert f'id="remove-{participation.pk}-error" role="alert"' in html
    assert "Yayasan Dana Sehat has 1 open pledge" in html

    row = client.post(address.replace("/en/", "/id/"), HTTP_HX_REQUEST="true")
    assert "Yayasan Dana Sehat memiliki 1 janji kontribusi" in row.content.decode()

    page = client.post(address, follow=True)
    assert page.redirect_chain[-1][0].endswith(f"/partnerships/{slug}/partners/")
    assert "Yayasan Dana Sehat has 1 open pledge" in page.content.decode()
    assert Participation.objects.filter(pk=participation.pk).exists()
