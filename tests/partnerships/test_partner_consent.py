"""An organisation confirms or declines its part in a partnership that lists it: only its
own admins answer for it (never staff, never the coordinators), each answer is on the
ledger in the same transaction, a decline takes the organisation out as a removal does,
and nobody else learns of a private partnership through it."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from sinergi.core.errors import Conflict
from sinergi.ledger.models import Entry
from sinergi.partners.models import Organisation, Person
from sinergi.partnerships import services
from sinergi.partnerships.models import Membership, Participation, Partnership
from tests.conftest import client_for
from tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    PartnershipFactory,
    PersonFactory,
)

pytestmark = pytest.mark.django_db


@dataclass
class Listed:
    """A private partnership whose coordinator listed a ministry that never agreed."""

    partnership: Partnership
    coordinator: Person
    ministry: Organisation
    participation: Participation
    ministry_admin: Person  # an admin of the ministry, in no role in the partnership
    ministry_staffer: Person  # of the ministry, not its admin
    other_admin: Person  # an admin of another organisation
    outsider: Person
    staff: Person


def listed(visibility: str = "private") -> Listed:
    partnership = PartnershipFactory(title="Secret Water Talks", visibility=visibility)
    coordinator = PersonFactory(username="coord")
    MembershipFactory(partnership=partnership, person=coordinator, role="coordinator")
    ministry = OrganisationFactory(name="Ministry of Water", slug="ministry-of-water")
    participation = services.add_partner(
        actor=coordinator,
        partnership=partnership,
        organisation=ministry,
        role="2",
        contribution="Policy leadership",
    )
    return Listed(
        partnership=partnership,
        coordinator=coordinator,
        ministry=ministry,
        participation=participation,
        ministry_admin=PersonFactory(organisation=ministry, is_organisation_admin=True),
        ministry_staffer=PersonFactory(organisation=ministry),
        other_admin=PersonFactory(is_organisation_admin=True),
        outsider=PersonFactory(),
        staff=PersonFactory(is_staff=True, is_superuser=True),
    )


def entries_since(index: int) -> list[tuple[str, dict]]:
    bodies = Entry.objects.filter(index__gte=index).order_by("index").values_list("body", flat=True)
    return [(json.loads(b)["kind"], json.loads(b)["payload"]) for b in bodies]


# Services ---------------------------------------------------------------------------------


def test_a_listed_organisation_starts_unconfirmed_and_its_admin_confirms_it_on_the_ledger():
    s = listed()
    assert s.participation.confirmed_at is None
    start = Entry.objects.count()

    services.confirm_participation(actor=s.ministry_admin, participation=s.participation)

    s.participation.refresh_from_db()
    assert s.participation.confirmed_at is not None
    assert s.participation.confirmed_by == s.ministry_admin
    assert entries_since(start) == [
        ("partner.confirmed", {"organisation": "ministry-of-water", "role": "2"})
    ]
    with pytest.raises(Conflict):
        services.confirm_participation(actor=s.ministry_admin, participation=s.participation)
    with pytest.raises(Conflict):
        services.decline_participation(actor=s.ministry_admin, participation=s.participation)
    assert Entry.objects.count() == start + 1


@pytest.mark.parametrize(
    "who", ["coordinator", "ministry_staffer", "other_admin", "outsider", "staff"]
)
def test_only_an_admin_of_that_very_organisation_answers_for_it(who):
    """The coordinator who listed it, the ministry's people who are not its admins, an
    admin of another organisation, an outsider and platform staff are all refused."""
    s = listed()
    actor = getattr(s, who)
    start = Entry.objects.count()
    with pytest.raises(PermissionDenied):
        services.confirm_participation(actor=actor, participation=s.participation)
    with pytest.raises(PermissionDenied):
        services.decline_participation(actor=actor, participation=s.participation)
    s.participation.refresh_from_db()
    assert s.participation.confirmed_at is None
    assert Entry.objects.count() == start


def test_a_decline_takes_the_organisation_out_as_a_removal_does():
    """Its partner admin and member lose their roles (logged, with the decline as the
    reason), its coordinator keeps theirs, and the entries follow partner.declined."""
    s = listed()
    admin = PersonFactory(organisation=s.ministry, username="ministry-pa")
    member = PersonFactory(organisation=s.ministry, username="ministry-member")
    ministry_coordinator = PersonFactory(organisation=s.ministry, username="ministry-coord")
    for person, role in (
        (admin, "partner_admin"),
        (member, "member"),
        (ministry_coordinator, "coordinator"),
    ):
        MembershipFactory(partnership=s.partnership, person=person, role=role)
    start = Entry.objects.count()

    services.decline_participation(actor=s.ministry_admin, participation=s.participation)

    assert not Participation.objects.filter(pk=s.participation.pk).exists()
    left = Membership.objects.filter(partnership=s.partnership, person__organisation=s.ministry)
    assert list(left.values_list("person__username", flat=True)) == ["ministry-coord"]
    assert [(k, p.get("person"), p.get("reason")) for k, p in entries_since(start)] == [
        ("partner.declined", None, None),
        ("membership.revoked", "ministry-pa", "partner.declined"),
        ("membership.revoked", "ministry-member", "partner.declined"),
    ]
    assert entries_since(start)[0][1] == {"organisation": "ministry-of-water", "role": "2"}


def test_an_answer_and_its_ledger_entry_are_one_transaction(monkeypatch):
    """When the ledger refuses the entry, the confirmation and the decline are undone."""
    s = listed()
    MembershipFactory(
        partnership=s.partnership,
        person=PersonFactory(organisation=s.ministry),
        role="member",
    )

    def broken(kind, *args, **kwargs):
        raise RuntimeError(f"ledger down ({kind})")

    monkeypatch.setattr(services, "record", broken)
    with pytest.raises(RuntimeError):
        services.confirm_participation(actor=s.ministry_admin, participation=s.participation)
    assert Participation.objects.get(pk=s.participation.pk).confirmed_at is None
    with pytest.raises(RuntimeError):
        services.decline_participation(actor=s.ministry_admin, participation=s.participation)
    assert Participation.objects.filter(pk=s.participation.pk).exists()
    assert Membership.objects.filter(person__organisation=s.ministry).count() == 1


def test_a_coordinator_who_is_the_organisation_s_admin_confirms_as_they_add_it():
    partnership = PartnershipFactory()
    coordinator = PersonFactory(is_organisation_admin=True)
    MembershipFactory(partnership=partnership, person=coordinator, role="coordinator")
    start = Entry.objects.count()
    participation = services.add_partner(
        actor=coordinator,
        partnership=partnership,
        organisation=coordinator.organisation,
        role="4",
    )
    assert participation.confirmed_by == coordinator
    assert Participation.objects.get(pk=participation.pk).confirmed_at is not None
    assert [k for k, _p in entries_since(start)] == ["partner.joined", "partner.confirmed"]
    # Another organisation added by them waits for its own admins.
    other = services.add_partner(
        actor=coordinator, partnership=partnership, organisation=OrganisationFactory(), role="1"
    )
    assert other.confirmed_at is None


# Pages ------------------------------------------------------------------------------------


def organisation_page(person: Person | None, s: Listed) -> str:
    page = client_for(person).get(f"/en/organisations/{s.ministry.slug}/")
    assert page.status_code == 200
    return page.content.decode()


def test_the_organisation_page_asks_its_admins_and_tells_nobody_else_of_the_partnership():
    s = listed()
    asked = organisation_page(s.ministry_admin, s)
    assert "Partnerships that list Ministry of Water as a partner" in asked
    assert "Secret Water Talks" in asked
    assert "Policy leadership" in asked
    confirm = f"/en/organisations/ministry-of-water/participations/{s.participation.pk}/confirm/"
    decline = f"/en/organisations/ministry-of-water/participations/{s.participation.pk}/decline/"
    assert f'action="{confirm}"' in asked
    assert f'href="{decline}"' in asked
    for person in (None, s.outsider, s.other_admin, s.ministry_staffer, s.staff, s.coordinator):
        text = organisation_page(person, s)
        assert "Partnerships that list" not in text
        assert confirm not in text
        if person is not s.coordinator and person is not s.staff:
            assert "Secret Water Talks" not in text


def test_the_admin_confirms_from_the_page_and_the_partners_tab_says_so():
    s = listed()
    tab = f"/en/partnerships/{s.partnership.slug}/partners/"
    coordinator = client_for(s.coordinator)
    assert "Not yet confirmed by the organisation" in coordinator.get(tab).content.decode()

    admin = Client(enforce_csrf_checks=True)
    admin.force_login(s.ministry_admin)
    page = admin.get(f"/en/organisations/{s.ministry.slug}/")
    token = page.cookies["csrftoken"].value
    confirm = f"/en/organisations/ministry-of-water/participations/{s.participation.pk}/confirm/"
    assert admin.post(confirm).status_code == 403  # no CSRF token
    done = admin.post(confirm, {"csrfmiddlewaretoken": token}, follow=True)
    assert done.redirect_chain[-1][0] == "/en/organisations/ministry-of-water/#consent"
    text = done.content.decode()
    assert "Ministry of Water confirmed that it takes part in Secret Water Talks." in text
    assert "Partnerships that list" not in text

    tab_text = coordinator.get(tab).content.decode()
    assert "Confirmed by the organisation" in tab_text
    assert "Not yet confirmed" not in tab_text
    again = admin.post(confirm, {"csrfmiddlewaretoken": token}, follow=True)
    assert "already confirmed" in again.content.decode()


def test_decline_asks_first_then_takes_the_organisation_out():
    s = listed()
    decline = f"/en/organisations/ministry-of-water/participations/{s.participation.pk}/decline/"
    admin = client_for(s.ministry_admin)
    question = admin.get(decline)
    assert question.status_code == 200
    assert "Decline taking part in “Secret Water Talks”?" in question.content.decode()
    assert Participation.objects.filter(pk=s.participation.pk).exists()
    done = admin.post(decline, follow=True)
    assert "Ministry of Water declined to take part in Secret Water Talks." in (
        done.content.decode()
    )
    assert not Participation.objects.filter(pk=s.participation.pk).exists()


@pytest.mark.parametrize("who", ["outsider", "other_admin", "ministry_staffer", "staff"])
def test_others_cannot_answer_from_the_pages_nor_learn_that_it_exists(who):
    s = listed()
    client = client_for(getattr(s, who))
    base = f"/en/organisations/ministry-of-water/participations/{s.participation.pk}"
    missing = "/en/organisations/ministry-of-water/participations/999999"
    for address in (base, missing):
        assert client.post(address + "/confirm/").status_code == 404
        assert client.get(address + "/decline/").status_code == 404
        assert client.post(address + "/decline/").status_code == 404
    assert Participation.objects.get(pk=s.participation.pk).confirmed_at is None
    signed_out = Client().post(base + "/confirm/")
    assert signed_out.status_code == 302 and "/accounts/login/" in signed_out["Location"]


def test_an_admin_answers_only_for_participations_of_their_own_organisation():
    """A participation of another organisation under the admin's organisation's address
    is answered exactly as one that does not exist (its own listings' page, saying it is
    not listed: a second click on Decline gets the same), and changes nothing; under the
    other organisation's address it is not found."""
    s = listed()
    other = services.add_partner(
        actor=s.coordinator,
        partnership=s.partnership,
        organisation=s.other_admin.organisation,
        role="4",
    )
    client = client_for(s.ministry_admin)
    base = "/en/organisations/ministry-of-water/participations"
    theirs = client.post(f"{base}/{other.pk}/confirm/", follow=True)
    missing = client.post(f"{base}/999999/confirm/", follow=True)
    assert theirs.status_code == missing.status_code == 200
    assert theirs.redirect_chain == missing.redirect_chain
    assert "no longer lists the organisation" in theirs.content.decode()
    assert client.get(f"{base}/{other.pk}/decline/").status_code == 404
    address = f"/en/organisations/{other.organisation.slug}/participations/{other.pk}/confirm/"
    assert client.post(address).status_code == 404
    assert Participation.objects.get(pk=other.pk).confirmed_at is None


# API --------------------------------------------------------------------------------------


def test_the_api_confirms_and_declines_with_clear_status_codes():
    s = listed()
    base = f"/api/v1/organisations/ministry-of-water/participations/{s.participation.pk}"
    assert Client().post(base + "/confirm").status_code == 401
    for person in (s.outsider, s.other_admin, s.ministry_staffer, s.staff, s.coordinator):
        answer = client_for(person).post(base + "/confirm")
        assert answer.status_code == 404
        assert answer.json()["error"]["code"] == "not_found"
        assert client_for(person).post(base + "/decline").status_code == 404
    admin = client_for(s.ministry_admin)
    assert (
        admin.post(
            "/api/v1/organisations/ministry-of-water/participations/999999/confirm"
        ).status_code
        == 404
    )

    listing = f"/api/v1/partnerships/{s.partnership.slug}/participations"
    assert client_for(s.coordinator).get(listing).json()["items"][0]["confirmed_at"] is None

    answer = admin.post(base + "/confirm")
    assert answer.status_code == 200
    body = answer.json()
    assert body["partnership"] == s.partnership.slug
    assert body["partnership_title"] == "Secret Water Talks"
    assert body["role"] == "2" and body["confirmed_at"] is not None
    assert client_for(s.coordinator).get(listing).json()["items"][0]["confirmed_at"]

    again = admin.post(base + "/confirm")
    assert again.status_code == 409
    assert "already confirmed" in again.json()["error"]["message"]
    assert admin.post(base + "/decline").status_code == 409


def test_the_api_decline_removes_the_participation():
    s = listed()
    base = f"/api/v1/organisations/ministry-of-water/participations/{s.participation.pk}"
    admin = client_for(s.ministry_admin)
    assert admin.post(base + "/decline").status_code == 204
    assert not Participation.objects.filter(pk=s.participation.pk).exists()
    assert admin.post(base + "/decline").status_code == 404


# Demo -------------------------------------------------------------------------------------


def test_the_demo_s_admins_confirm_all_but_one_listing_on_the_ledger():
    from django.core.management import call_command

    from sinergi.core.waiting import waiting_for

    call_command("demo", "--quiet")
    unconfirmed = Participation.objects.filter(confirmed_at__isnull=True)
    assert list(unconfirmed.values_list("organisation__slug", "partnership__slug")) == [
        ("bsn", "sustainable-textiles-indonesia")
    ]
    confirmed = Participation.objects.exclude(confirmed_at=None)
    assert all(p.confirmed_by.organisation_id == p.organisation_id for p in confirmed)
    kinds = [k for k, _p in entries_since(0)]
    assert kinds.count("partner.confirmed") == confirmed.count()
    [item] = [
        w for w in waiting_for(Person.objects.get(username="eko")) if w.kind == "confirmation"
    ]
    assert item.partnership.slug == "sustainable-textiles-indonesia"

    entries = Entry.objects.count()
    call_command("demo", "--quiet")
    assert Entry.objects.count() == entries
    assert unconfirmed.count() == 1


# After the second review ----------------------------------------------------------------


def test_a_decline_is_refused_once_the_partnership_holds_the_organisation_s_pledges():
    """Given a pledge recorded for the listed ministry, then its admin's decline is a 409
    (web: the reason on the page; API: 409) and nothing changes: no orphaned pledge."""
    from datetime import date

    from sinergi.finance.services import record_pledge

    s = listed()
    record_pledge(
        actor=s.coordinator,
        partnership=s.partnership,
        organisation=s.ministry,
        amount="1000.00",
        currency=s.partnership.base_currency,
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
    )
    start = Entry.objects.count()

    with pytest.raises(Conflict, match="pledges"):
        services.decline_participation(actor=s.ministry_admin, participation=s.participation)
    page = client_for(s.ministry_admin).post(
        f"/en/organisations/ministry-of-water/participations/{s.participation.pk}/decline/",
        follow=True,
    )

    assert page.status_code == 200
    assert "cannot decline a part it has acted in" in page.content.decode()
    assert Participation.objects.filter(pk=s.participation.pk).exists()
    assert Entry.objects.count() == start


def test_a_decline_is_refused_while_the_approval_rule_names_the_organisation():
    """Given an approval rule that needs the listed ministry's approval, then its admin's
    decline is a Conflict saying the coordinators must change the rule, and nothing
    changes; once the rule no longer names it, the decline goes through."""
    from sinergi.finance.services import set_approval_rule

    s = listed()
    other = OrganisationFactory(name="Water Utility")
    services.add_partner(
        actor=s.coordinator, partnership=s.partnership, organisation=other, role="4"
    )
    set_approval_rule(
        actor=s.coordinator,
        partnership=s.partnership,
        threshold="1000",
        approver_organisations=[s.ministry, other],
    )
    start = Entry.objects.count()

    with pytest.raises(Conflict, match="ask the coordinators to change the rule"):
        services.decline_participation(actor=s.ministry_admin, participation=s.participation)
    assert Participation.objects.filter(pk=s.participation.pk).exists()
    assert Entry.objects.count() == start

    set_approval_rule(
        actor=s.coordinator,
        partnership=s.partnership,
        threshold="1000",
        approver_organisations=[other],
    )
    services.decline_participation(actor=s.ministry_admin, participation=s.participation)
    assert not Participation.objects.filter(pk=s.participation.pk).exists()


def test_changed_terms_withdraw_the_confirmation_unless_the_organisation_changed_them():
    """Given a confirmed listing, when the coordinator changes its role or contribution,
    then it stands unconfirmed again (the organisation agreed to other terms); when the
    organisation's own admin changes its contribution, it stays confirmed."""
    from sinergi.partnerships.expectations.services import update_commitment

    s = listed()
    MembershipFactory(partnership=s.partnership, person=s.ministry_admin, role="partner_admin")
    services.confirm_participation(actor=s.ministry_admin, participation=s.participation)

    services.change_partner_role(actor=s.coordinator, participation=s.participation, role="1")
    s.participation.refresh_from_db()
    assert (s.participation.role, s.participation.confirmed_at) == ("1", None)

    services.confirm_participation(actor=s.ministry_admin, participation=s.participation)
    update_commitment(
        actor=s.ministry_admin,
        participation=s.participation,
        contribution="Policy and permits",
        capabilities=[],
    )
    s.participation.refresh_from_db()
    assert s.participation.confirmed_at is not None
    update_commitment(
        actor=s.coordinator,
        participation=s.participation,
        contribution="Pays for everything",
        capabilities=[],
    )
    s.participation.refresh_from_db()
    assert s.participation.confirmed_at is None


def test_a_role_change_read_before_an_answer_neither_undoes_nor_revives_it():
    """Given the coordinator's copy of the listing read before the ministry confirmed (or
    declined), when the coordinator's role change is saved after, then the confirmation
    stands withdrawn by the changed terms, never silently lost; and a declined listing
    is not written back (a Conflict, nothing revived)."""
    s = listed()
    stale = Participation.objects.get(pk=s.participation.pk)
    services.confirm_participation(actor=s.ministry_admin, participation=s.participation)
    services.change_partner_role(actor=s.coordinator, participation=stale, role="2")
    s.participation.refresh_from_db()
    assert s.participation.confirmed_at is not None  # nothing changed: the answer stands

    t = listed_again(s)
    stale = Participation.objects.get(pk=t.pk)
    services.decline_participation(actor=s.ministry_admin, participation=t)
    with pytest.raises(Conflict):
        services.change_partner_role(actor=s.coordinator, participation=stale, role="1")
    assert not Participation.objects.filter(pk=t.pk).exists()


def listed_again(s: Listed) -> Participation:
    """The ministry listed a second time, in role 3, unconfirmed."""
    return services.add_partner(
        actor=s.coordinator, partnership=s.partnership, organisation=s.ministry, role="3"
    )


def test_declining_one_role_keeps_roles_held_through_another():
    """Given the ministry confirmed in role 2, one of its people a partner admin, and the
    coordinator listing it again in role 3, when its admin declines role 3, then that
    person keeps their role: the ministry still takes part."""
    s = listed()
    services.confirm_participation(actor=s.ministry_admin, participation=s.participation)
    MembershipFactory(partnership=s.partnership, person=s.ministry_staffer, role="partner_admin")
    second = listed_again(s)

    services.decline_participation(actor=s.ministry_admin, participation=second)

    assert Membership.objects.filter(person=s.ministry_staffer, partnership=s.partnership).exists()


def test_a_second_click_on_decline_says_it_is_gone_not_404():
    s = listed()
    address = f"/en/organisations/ministry-of-water/participations/{s.participation.pk}/decline/"
    client = client_for(s.ministry_admin)
    assert client.post(address).status_code == 302

    again = client.post(address, follow=True)

    assert again.status_code == 200
    assert "no longer lists the organisation" in again.content.decode()
    assert client_for(s.other_admin).post(address).status_code == 404


def test_a_private_partnership_is_linked_for_an_admin_who_is_one_of_its_people():
    """The consent section links a private partnership's title only for an admin who may
    open it (a member of it); for one who is not, the title is plain text."""
    s = listed()
    page = client_for(s.ministry_admin).get("/en/organisations/ministry-of-water/")
    link = f'href="{s.partnership.get_absolute_url()}"'
    assert "Secret Water Talks" in page.content.decode()
    assert link not in page.content.decode()

    MembershipFactory(partnership=s.partnership, person=s.ministry_admin, role="observer")
    page = client_for(s.ministry_admin).get("/en/organisations/ministry-of-water/")

    assert link in page.content.decode()


@pytest.mark.parametrize("length", [301, 50_001])
def test_an_organisation_typed_too_long_to_be_a_name_is_an_inline_error(length):
    s = listed()
    tab = f"/en/partnerships/{s.partnership.slug}/partners/"
    client = client_for(s.coordinator)
    client.raise_request_exception = False
    before = Participation.objects.count()

    response = client.post(tab, {"organisation": "x" * length, "role": "4", "contribution": "c"})

    assert response.status_code == 422
    assert "Ensure this value has at most 300 characters" in response.content.decode()
    assert Participation.objects.count() == before
