"""The invitation page, read before accepting: it offers the Join or sign-up button only
when pressing it would be accepted, and otherwise says why as the refused POST does."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from sinergi.access import services
from sinergi.access.models import Invitation
from sinergi.partners.models import Person
from sinergi.partnerships import services as partnership_services
from sinergi.partnerships.models import Membership
from tests.conftest import client_for
from tests.factories import OrganisationFactory, PersonFactory

ACCEPT_URL = "http://testserver/en/accounts/invitations/{token}/"
SIGN_UP = {
    "username": "alice",
    "first_name": "Alice",
    "last_name": "Partner",
    "password1": "Kopi-tubruk-di-pagi-hari-42",
    "password2": "Kopi-tubruk-di-pagi-hari-42",
}


def _invite(capture, actor: Person, **where) -> str:
    """Invite alice@partner.example; the link's secret, read from the e-mail."""
    with capture(execute=True):
        services.invite_person(
            actor=actor, email="alice@partner.example", accept_url_template=ACCEPT_URL, **where
        )
    return re.search(r"/invitations/([^/\s]+)/", mail.outbox[-1].body).group(1)


@pytest.fixture
def to_partnership(private_cast, django_capture_on_commit_callbacks):
    """The partner admin invites alice@partner.example into the partnership as a member,
    for the admin's own organisation; returns (cast, the page's path)."""
    admin = private_cast.people["partner_admin"]
    secret = _invite(
        django_capture_on_commit_callbacks,
        admin,
        organisation=admin.organisation,
        partnership=private_cast.partnership,
        role="member",
    )
    return private_cast, f"/en/accounts/invitations/{secret}/"


def _revoke_the_sender(cast) -> None:
    partnership_services.revoke_membership(
        actor=cast.people["coordinator"],
        membership=Membership.objects.get(
            person=cast.people["partner_admin"], partnership=cast.partnership
        ),
    )


def test_someone_signed_in_with_another_address_reads_whom_it_is_for(to_partnership):
    """Given an invitation for alice@partner.example, when Mallory (signed in with another
    address) opens its link, then the page says whom it was sent to, as pressing Join
    would, and offers no Join button."""
    _cast, page = to_partnership
    mallory = PersonFactory(email="mallory@elsewhere.example", organisation=None)
    client = client_for(mallory)

    response = client.get(page)

    assert response.status_code == 200
    text = response.content.decode()
    assert "This invitation was sent to alice@partner.example." in text
    assert 'class="form-errors" role="alert"' in text
    assert "Join as" not in text
    refused = client.post(page)
    assert refused.status_code == 409
    assert "This invitation was sent to alice@partner.example." in refused.content.decode()


def test_someone_of_another_organisation_reads_that_an_admin_must_move_them(to_partnership):
    """Given an invitation for Alice, who works for another organisation, when she opens
    its link, then the page says an admin must move her, and offers no Join button."""
    _cast, page = to_partnership
    PersonFactory(email="alice@partner.example", organisation=OrganisationFactory())
    alice = Person.objects.get(email="alice@partner.example")

    response = client_for(alice).get(page)

    assert response.status_code == 200
    text = response.content.decode()
    assert "You already work for another organisation; ask an admin to move you." in text
    assert "Join as" not in text
    alice.refresh_from_db()
    assert alice.organisation_id is not None  # reading the page changed nothing


def test_a_sign_up_is_not_offered_once_the_sender_may_no_longer_give_the_role(
    to_partnership,
):
    """Given an invitation whose sender has since lost their role, when someone without an
    account opens its link, then the page says it is no longer valid and offers no form."""
    cast, page = to_partnership
    _revoke_the_sender(cast)

    response = Client().get(page)

    assert response.status_code == 200
    text = response.content.decode()
    assert "This invitation is no longer valid" in text
    assert "Create account and join" not in text
    assert 'name="password1"' not in text
    assert Client().post(page, SIGN_UP).status_code == 409
    assert not Person.objects.filter(username="alice").exists()


def test_the_join_button_is_not_offered_once_the_sender_may_no_longer_give_the_role(
    to_partnership,
):
    """Given an invitation whose sender lost their role, when Alice (signed in, of no
    organisation) opens its link, then the page says it is no longer valid, without Join."""
    cast, page = to_partnership
    alice = PersonFactory(email="alice@partner.example", organisation=None)
    _revoke_the_sender(cast)

    response = client_for(alice).get(page)

    assert response.status_code == 200
    assert "This invitation is no longer valid" in response.content.decode()
    assert "Join as" not in response.content.decode()


def test_an_organisation_s_invitation_is_not_offered_once_its_sender_is_no_admin(
    db, django_capture_on_commit_callbacks
):
    """Given an invitation to work for an organisation, when its sender is no longer one of
    its admins, then the page offers Alice no Join button and says why."""
    organisation = OrganisationFactory()
    admin = PersonFactory(organisation=organisation, is_organisation_admin=True)
    alice = PersonFactory(email="alice@partner.example", organisation=None)
    secret = _invite(django_capture_on_commit_callbacks, admin, organisation=organisation)
    admin.is_organisation_admin = False
    admin.save()

    response = client_for(alice).get(f"/en/accounts/invitations/{secret}/")

    assert response.status_code == 200
    assert "This invitation is no longer valid" in response.content.decode()
    assert "Join as" not in response.content.decode()


def test_the_join_button_is_offered_when_joining_would_be_accepted(to_partnership):
    """Given an invitation for Alice, of no organisation yet, when she opens its link
    signed in, then she is offered the Join button; pressing it makes her a member."""
    cast, page = to_partnership
    alice = PersonFactory(email="Alice@Partner.example", organisation=None)
    client = client_for(alice)

    response = client.get(page)

    assert response.status_code == 200
    assert "Join as" in response.content.decode()
    assert 'class="form-errors"' not in response.content.decode()
    assert client.post(page).status_code == 302
    assert cast.partnership.memberships.filter(person=alice, role="member").exists()
    assert Invitation.objects.get().accepted_by == alice


def test_the_sign_up_form_is_offered_when_joining_would_be_accepted(to_partnership):
    """Given an invitation for an address without an account, when its link is opened,
    then the sign-up form is offered."""
    _cast, page = to_partnership

    response = Client().get(page)

    assert response.status_code == 200
    assert "Create account and join" in response.content.decode()


def test_the_refusal_is_explained_in_indonesian(to_partnership):
    """Given an Indonesian reader signed in with another address, the explanation is in
    Indonesian."""
    _cast, page = to_partnership
    mallory = PersonFactory(email="mallory@elsewhere.example", organisation=None)

    response = client_for(mallory).get(page.replace("/en/", "/id/"))

    assert response.status_code == 200
    assert "alice@partner.example" in response.content.decode()
    assert "This invitation was sent to" not in response.content.decode()
