"""Ways back into an account, closed: tokens after a new password, tokens minting tokens,
invitations used by someone else or after their sender lost the right to send them."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from sinergi.access import services
from sinergi.access.models import ApiToken, Invitation
from sinergi.partners.models import Person
from sinergi.partnerships import services as partnership_services
from sinergi.partnerships.models import Membership
from tests.conftest import client_for
from tests.factories import PASSWORD, OrganisationFactory, PersonFactory

NEW_PASSWORD = "Kopi-tubruk-di-pagi-hari-42"
RESET_LINK = re.compile(r"http://testserver(/en/accounts/password/reset/[^/\s]+/[^/\s]+/)")
ACCEPT_URL = "http://testserver/en/accounts/invitations/{token}/"


def bearer(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def me(secret: str) -> int:
    return Client().get("/api/v1/me", **bearer(secret)).status_code


@pytest.fixture
def ana(db):
    return PersonFactory(username="ana", email="ana@example.org")


def test_a_password_change_revokes_the_api_tokens(ana):
    """Given two API tokens, when Ana changes her password, then both stop working, she
    is told so, and a token made afterwards works."""
    _token, first = services.create_api_token(actor=ana, name="laptop")
    _token, second = services.create_api_token(actor=ana, name="server")
    assert me(first) == me(second) == 200
    client = client_for(ana)

    response = client.post(
        "/en/accounts/password/change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )

    assert response.status_code == 200
    assert "Your 2 API tokens were revoked" in response.content.decode()
    assert me(first) == me(second) == 401
    _token, fresh = services.create_api_token(actor=ana, name="new")
    assert me(fresh) == 200


def test_a_password_reset_revokes_the_api_tokens(ana):
    """Given a token (perhaps made by whoever took the old password), when Ana resets her
    password through the e-mailed link, then the token stops working."""
    _token, secret = services.create_api_token(actor=ana, name="stolen")
    client = Client()
    client.post("/en/accounts/password/reset/", {"email": "ana@example.org"})
    link = RESET_LINK.search(mail.outbox[0].body).group(1)
    set_password = client.get(link, follow=True).redirect_chain[-1][0]

    response = client.post(
        set_password, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    assert response.status_code == 302
    assert me(secret) == 401
    assert ApiToken.objects.get().revoked_at is not None


def test_a_token_cannot_create_another_token(ana):
    """Given a token, when it asks for a new token, then the answer is 403 saying how
    tokens are made, and no token is created: revoking a token ends its access. A signed-in
    session may create tokens."""
    _token, secret = services.create_api_token(actor=ana, name="first")

    response = Client().post(
        "/api/v1/tokens", {"name": "persist"}, content_type="application/json", **bearer(secret)
    )

    assert response.status_code == 403
    assert "signed in" in response.json()["error"]["message"]
    assert ApiToken.objects.count() == 1
    session = Client(enforce_csrf_checks=False)
    session.force_login(ana)
    created = session.post("/api/v1/tokens", {"name": "ok"}, content_type="application/json")
    assert created.status_code == 201


@pytest.fixture
def invitation(private_cast, django_capture_on_commit_callbacks):
    """The partner admin of the private partnership invites alice@partner.example as a
    member, of the admin's own organisation; returns (cast, invitation, secret)."""
    admin = private_cast.people["partner_admin"]
    with django_capture_on_commit_callbacks(execute=True):
        services.invite_person(
            actor=admin,
            email="alice@partner.example",
            organisation=admin.organisation,
            partnership=private_cast.partnership,
            role="member",
            accept_url_template=ACCEPT_URL,
        )
    invitation = Invitation.objects.get()
    secret = re.search(r"/invitations/([^/\s]+)/", mail.outbox[-1].body).group(1)
    return private_cast, invitation, secret


def test_someone_else_signed_in_cannot_accept_an_invitation(invitation):
    """Given an invitation for alice@partner.example, when Mallory (another address,
    signed in) accepts it, then she is told whom it was for, joins nothing, and the
    invitation stays open for Alice."""
    _cast, _invitation, secret = invitation
    mallory = PersonFactory(username="mallory", email="mallory@evil.example", organisation=None)

    response = client_for(mallory).post(f"/en/accounts/invitations/{secret}/", follow=True)

    assert response.status_code == 409
    assert "alice@partner.example" in response.content.decode()
    assert "Join as" not in response.content.decode()
    mallory.refresh_from_db()
    assert mallory.organisation_id is None
    assert not Membership.objects.filter(person=mallory).exists()
    assert Invitation.objects.get().accepted_at is None


def test_an_invitation_refused_to_someone_of_another_organisation_answers_409(invitation):
    """Given an invitation for alice@partner.example, who works for another organisation
    already, when she presses the Join button, then the page answers 409 with the reason
    and no Join button, and she joins nothing."""
    cast, _invitation, secret = invitation
    elsewhere = OrganisationFactory()
    alice = PersonFactory(username="alice", email="alice@partner.example", organisation=elsewhere)

    response = client_for(alice).post(f"/en/accounts/invitations/{secret}/")

    assert response.status_code == 409
    text = response.content.decode()
    assert "You already work for another organisation; ask an admin to move you." in text
    assert "Join as" not in text
    alice.refresh_from_db()
    assert alice.organisation_id == elsewhere.pk
    assert not Membership.objects.filter(person=alice, partnership=cast.partnership).exists()
    assert Invitation.objects.get().accepted_at is None


def test_an_invitation_dies_with_its_sender_s_right_to_send_it(invitation):
    """Given an open invitation, when its sender loses their role, then the link no longer
    grants anything: the sign-up is refused with a message, and no account, membership or
    ledger entry is made."""
    cast, _invitation, secret = invitation
    admin = cast.people["partner_admin"]
    partnership_services.revoke_membership(
        actor=cast.people["coordinator"],
        membership=Membership.objects.get(person=admin, partnership=cast.partnership),
    )
    before = Membership.objects.count()

    response = Client().post(
        f"/en/accounts/invitations/{secret}/",
        {
            "username": "alice",
            "first_name": "Alice",
            "last_name": "Partner",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
        follow=True,
    )

    assert response.status_code == 409
    assert "no longer valid" in response.content.decode()
    assert "Create account and join" not in response.content.decode()
    assert not Person.objects.filter(username="alice").exists()
    assert Membership.objects.count() == before
    assert Invitation.objects.get().accepted_at is None
    assert not cast.partnership.memberships.filter(person__username="alice").exists()


def test_a_partner_admin_invitation_needs_a_taking_part_organisation(private_cast):
    """Given a coordinator whose organisation takes no part, when they invite someone of it
    as partner admin, then the invitation is refused on the role, as a direct grant is."""
    outside = OrganisationFactory()
    coordinator = PersonFactory(organisation=outside)
    Membership.objects.create(
        partnership=private_cast.partnership, person=coordinator, role="coordinator"
    )

    with pytest.raises(Exception) as refused:
        services.invite_person(
            actor=coordinator,
            email="x@outside.example",
            organisation=outside,
            partnership=private_cast.partnership,
            role="partner_admin",
            accept_url_template=ACCEPT_URL,
        )

    assert "takes part" in str(refused.value)
    assert not Invitation.objects.exists()


def test_password_reset_mails_are_throttled_without_telling_anyone(ana):
    """Given five reset requests for one address (in any case), then three mails go out and
    every answer is the same redirect, as for an unknown address; other addresses from the
    same client (a proxy, perhaps) still get theirs."""
    client = Client()
    answers = [
        client.post("/en/accounts/password/reset/", {"email": "ANA@example.org"})["Location"]
        for _ in range(5)
    ]

    assert answers == ["/en/accounts/password/reset/done/"] * 5
    assert len(mail.outbox) == 3
    for n in range(12):
        PersonFactory(email=f"colleague{n}@example.org")
        client.post("/en/accounts/password/reset/", {"email": f"colleague{n}@example.org"})
    assert len(mail.outbox) == 15


def test_inviting_an_address_again_replaces_its_open_invitation(
    invitation, django_capture_on_commit_callbacks
):
    """Given an open invitation as member, when the same address (in any case) is invited
    again as observer, then the first link stops working and the new one grants observer:
    one open invitation per address and place, the latest."""
    cast, _invitation, first_secret = invitation
    admin = cast.people["partner_admin"]

    with django_capture_on_commit_callbacks(execute=True):
        services.invite_person(
            actor=admin,
            email="ALICE@partner.example",
            organisation=admin.organisation,
            partnership=cast.partnership,
            role="observer",
            accept_url_template=ACCEPT_URL,
        )

    second_secret = re.search(r"/invitations/([^/\s]+)/", mail.outbox[-1].body).group(1)
    assert services.open_invitation(first_secret) is None
    assert services.open_invitation(second_secret).role == "observer"
    assert Invitation.objects.filter(expires_at__gt=services.now()).count() == 1


def test_an_organisation_invitation_dies_with_its_sender_s_admin_right(db):
    """Given an organisation admin's invitation to their organisation, when they are no
    longer its admin, then the link is refused and the person joins nothing."""
    organisation = OrganisationFactory()
    admin = PersonFactory(organisation=organisation, is_organisation_admin=True)
    invitation = services.invite_person(
        actor=admin,
        email="new@org.example",
        organisation=organisation,
        accept_url_template=ACCEPT_URL,
    )
    admin.is_organisation_admin = False
    admin.save(update_fields=["is_organisation_admin"])
    newcomer = PersonFactory(email="new@org.example", organisation=None)

    with pytest.raises(Exception) as refused:
        services.accept_invitation(invitation=invitation, person=newcomer)

    assert "no longer valid" in str(refused.value)
    newcomer.refresh_from_db()
    assert newcomer.organisation_id is None


def test_a_password_set_by_staff_in_the_admin_revokes_the_api_tokens(ana):
    """Given a token of Ana's, when staff set her password in the admin (say, after she
    reported it stolen), then the token stops working; signing in with a password whose
    hash is upgraded does not revoke anything."""
    _token, secret = services.create_api_token(actor=ana, name="laptop")
    staff = PersonFactory(is_staff=True, is_superuser=True)
    admin = client_for(staff)

    response = admin.post(
        f"/en/admin/partners/person/{ana.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )

    assert response.status_code == 302, response.content[:500]
    assert me(secret) == 401
    _token, fresh = services.create_api_token(actor=ana, name="new")
    ana.refresh_from_db()
    assert ana.check_password(NEW_PASSWORD)  # may rehash and save: tokens stay
    assert me(fresh) == 200


def test_a_username_taken_between_the_check_and_the_save_is_a_field_error(invitation, monkeypatch):
    """Given two sign-ups through invitations choosing the same username at once, when the
    second one's save meets the first one's row (the form had found the name free), then
    it is told on `username` that the name is taken (422), not a 500, and joins nothing."""
    from sinergi.access.views import SignUpForm

    _cast, _invitation, secret = invitation
    # The race: both forms found the name free before either saved.
    monkeypatch.setattr(SignUpForm, "validate_unique", lambda self: None)
    monkeypatch.setattr(SignUpForm, "clean_username", lambda self: self.cleaned_data["username"])
    PersonFactory(username="alice", email="someone.else@example.org")
    before = Membership.objects.count()

    response = Client(raise_request_exception=False).post(
        f"/en/accounts/invitations/{secret}/",
        {
            "username": "alice", "first_name": "Alice", "last_name": "Partner",
            "password1": NEW_PASSWORD, "password2": NEW_PASSWORD,
        },
    )  # fmt: skip

    assert response.status_code == 422
    assert "A user with that username already exists." in response.content.decode()
    assert Membership.objects.count() == before
    assert Invitation.objects.get().accepted_at is None


@pytest.mark.parametrize("new", [" " * 12, "a" * 14, "abab" * 4])
def test_a_password_of_spaces_or_too_few_characters_is_refused(ana, new):
    """Twelve spaces passed every one of Django's own validators (the forms review)."""
    client = client_for(ana)

    response = client.post(
        "/en/accounts/password/change/",
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )

    assert response.status_code == 422
    page = response.content.decode()
    assert "only spaces" in page or "different characters" in page
    ana.refresh_from_db()
    assert ana.check_password(PASSWORD)


def test_refused_password_forms_answer_422_with_the_error_on_the_page(ana):
    """The password change, the reset request and the new password from a reset link
    answer 422 when refused, as every other form does, and change nothing."""
    client = client_for(ana)
    wrong_old = client.post(
        "/en/accounts/password/change/",
        {"old_password": "not-it", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert wrong_old.status_code == 422
    assert "Your old password was entered incorrectly" in wrong_old.content.decode()

    anonymous = Client()
    bad_address = anonymous.post("/en/accounts/password/reset/", {"email": "not an address"})
    assert bad_address.status_code == 422
    assert not mail.outbox

    anonymous.post("/en/accounts/password/reset/", {"email": "ana@example.org"})
    link = RESET_LINK.search(mail.outbox[0].body).group(1)
    set_password = anonymous.get(link, follow=True).redirect_chain[-1][0]
    mismatch = anonymous.post(
        set_password, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD + "x"}
    )
    assert mismatch.status_code == 422
    assert "The two password fields didn" in mismatch.content.decode()
    ana.refresh_from_db()
    assert ana.check_password(PASSWORD)


@pytest.mark.parametrize(
    ("username", "refused"),
    [
        ("s\u0430ri", True),  # a Cyrillic a: "sari" to the eye
        ("\u0441\u0430r\u0456", True),
        ("s\u00e4ri", True),
        ("SARI", True),  # taken in another letter case (Django's own check)
        ("sari.w+ngo@x_y-z", False),
    ],
)
def test_a_username_is_latin_letters_digits_and_a_few_marks(invitation, username, refused):
    """Given an invitee choosing a username that looks like an existing one's, then it is
    refused on `username` and nothing is made: ledger entries and member lists show
    actors by username."""
    _cast, _invitation, secret = invitation
    PersonFactory(username="sari", email="sari@example.org")
    before = Person.objects.count()

    response = Client(raise_request_exception=False).post(
        f"/en/accounts/invitations/{secret}/",
        {
            "username": username, "first_name": "Alice", "last_name": "Partner",
            "password1": NEW_PASSWORD, "password2": NEW_PASSWORD,
        },
    )  # fmt: skip

    if refused:
        assert response.status_code == 422
        assert Person.objects.count() == before
        assert Invitation.objects.get().accepted_at is None
    else:
        assert response.status_code == 302, response.content[:500]
        assert Person.objects.filter(username=username).exists()
