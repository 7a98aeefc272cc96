"""Accounts through the pages: sign-in and out, lock-out, password reset and invitations."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.hashers import check_password, identify_hasher, make_password
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

import sinergi.settings as production_settings
from sinergi.access import services
from sinergi.access.models import Invitation
from sinergi.partners.models import Person
from sinergi.partnerships.models import Membership
from tests.conftest import client_for
from tests.factories import PASSWORD, OrganisationFactory, ParticipationFactory, PersonFactory

NEW_PASSWORD = "Kopi-tubruk-di-pagi-hari-42"
LOGIN = "/en/accounts/login/"
LOGOUT = "/en/accounts/logout/"
INVITATION_LINK = re.compile(r"http://testserver(/en/accounts/invitations/[^/\s]+/)")
RESET_LINK = re.compile(r"http://testserver(/en/accounts/password/reset/[^/\s]+/[^/\s]+/)")


def signed_in_as(client: Client) -> str | None:
    """The username the client's session belongs to, asked through the API."""
    response = client.get("/api/v1/me")
    return response.json()["username"] if response.status_code == 200 else None


@pytest.fixture
def person(db) -> Person:
    return PersonFactory(username="ana", email="ana@example.org")


# Sign-in and sign-out -------------------------------------------------------------------


def test_sign_in_and_out_through_the_pages(person):
    """Given the sign-in page, the right password signs in and leads home; signing out
    (POST) ends the session."""
    client = Client()
    assert client.get(LOGIN).status_code == 200

    response = client.post(LOGIN, {"username": "ana", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/en/"
    assert client.session["_auth_user_id"] == str(person.pk)
    assert signed_in_as(client) == "ana"

    response = client.post(LOGOUT)

    assert response.status_code == 302
    assert response["Location"] == "/en/"
    assert "_auth_user_id" not in client.session
    assert signed_in_as(client) is None


def test_sign_in_honours_next(person):
    """Given a `next` page, signing in leads there."""
    client = Client()

    response = client.post(
        LOGIN, {"username": "ana", "password": PASSWORD, "next": "/en/accounts/tokens/"}
    )

    assert response["Location"] == "/en/accounts/tokens/"


def test_wrong_password_is_refused(person):
    """Given a wrong password, the page shows the form again with an error."""
    client = Client()

    response = client.post(LOGIN, {"username": "ana", "password": "wrong"})

    assert response.status_code == 422
    assert response.context["form"].errors
    assert signed_in_as(client) is None


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "Please enter a correct username and password. Note that both fields may be"),
        # Sinergi's own words: Django's Indonesian catalogue says "nama pengguna" twice
        ("id", "Masukkan nama pengguna dan kata sandi yang benar. Perhatikan bahwa kedua"),
    ],
)
def test_a_wrong_sign_in_marks_both_fields_and_says_so_once(person, language, words):
    """Given a wrong password, the summary says what is wrong (in the page's language,
    once), and both inputs are marked invalid, described by it; the first has the focus."""
    response = Client().post(f"/{language}/accounts/login/", {"username": "ana", "password": "x"})

    page = response.content.decode()
    summary = page.split('<div class="form-errors" role="alert" id="form-errors">')[1]
    assert words in summary.split("</div>")[0]
    assert "nama pengguna nama pengguna" not in page
    for name in ("username", "password"):
        (tag,) = re.findall(rf'<input[^>]*name="{name}"[^>]*>', page)
        assert 'aria-invalid="true"' in tag
        assert 'aria-describedby="form-errors"' in tag
        assert (" autofocus" in tag) == (name == "username")


def test_production_hashes_passwords_with_argon2():
    """Given the production settings module, Argon2 is the first (default) hasher, and it
    works in this installation (argon2-cffi present)."""
    assert production_settings.PASSWORD_HASHERS[0] == (
        "django.contrib.auth.hashers.Argon2PasswordHasher"
    )
    encoded = make_password(NEW_PASSWORD, hasher="argon2")
    assert identify_hasher(encoded).algorithm == "argon2"
    assert check_password(NEW_PASSWORD, encoded)
    assert not check_password("wrong", encoded)


def test_argon2_hashes_still_verify_under_test_settings(person):
    """Given a password stored with Argon2, signing in works under the test hasher list
    (which keeps the production hashers after the fast one)."""
    person.password = make_password(NEW_PASSWORD, hasher="argon2")
    person.save()
    client = Client()

    client.post(LOGIN, {"username": "ana", "password": NEW_PASSWORD})

    assert signed_in_as(client) == "ana"


def test_lock_out_after_five_failed_sign_ins(person):
    """Given five wrong passwords for one account, the sixth attempt is refused even with
    the right password and shows the lock-out page."""
    client = Client()
    for _attempt in range(5):
        response = client.post(LOGIN, {"username": "ana", "password": "wrong"})
        assert response.status_code in (422, 429)

    response = client.post(LOGIN, {"username": "ana", "password": PASSWORD})

    assert response.status_code == 429
    assert "registration/locked_out.html" in [t.name for t in response.templates]
    assert "Too many failed sign-ins" in response.content.decode()
    assert signed_in_as(client) is None
    assert "_auth_user_id" not in client.session


def test_four_failures_do_not_lock_out(person):
    """Given four wrong passwords, the fifth attempt with the right one still signs in."""
    client = Client()
    for _attempt in range(4):
        client.post(LOGIN, {"username": "ana", "password": "wrong"})

    response = client.post(LOGIN, {"username": "ana", "password": PASSWORD})

    assert response.status_code == 302
    assert signed_in_as(client) == "ana"


def test_lock_out_is_per_account(person):
    """Given one account locked out, another account can still sign in from the same
    address."""
    PersonFactory(username="budi")
    client = Client()
    for _attempt in range(5):
        client.post(LOGIN, {"username": "ana", "password": "wrong"})

    response = Client().post(LOGIN, {"username": "budi", "password": PASSWORD})

    assert response.status_code == 302


def fail_five_times(forwarded_for: str) -> None:
    client = Client()
    for _attempt in range(5):
        client.post(
            LOGIN, {"username": "ana", "password": "wrong"}, HTTP_X_FORWARDED_FOR=forwarded_for
        )


def test_behind_a_trusted_proxy_the_lock_out_is_per_client_not_per_proxy(person, settings):
    """Given one trusted proxy (every request's REMOTE_ADDR is the proxy's), five wrong
    passwords from one client lock the account for that client only: another client
    behind the same proxy still signs in. Before, all clients shared the proxy's address,
    so anyone could lock anyone out."""
    settings.SINERGI_TRUSTED_PROXIES = 1
    fail_five_times("203.0.113.7")

    locked = Client().post(
        LOGIN, {"username": "ana", "password": PASSWORD}, HTTP_X_FORWARDED_FOR="203.0.113.7"
    )
    other = Client().post(
        LOGIN, {"username": "ana", "password": PASSWORD}, HTTP_X_FORWARDED_FOR="198.51.100.2"
    )

    assert locked.status_code == 429
    assert other.status_code == 302


@pytest.mark.parametrize(
    ("forwarded", "client"),
    [("203.0.113.7:5555", "203.0.113.7"), ("[2001:db8::7]:443", "2001:db8::7")],
)
def test_a_forwarded_address_with_a_port_is_still_the_client(person, settings, forwarded, client):
    """Given a proxy that appends the client's port (some do), then the lock-out is still
    per client: five failures from it pause only it (before, the address with its port
    was not one, and everyone fell back to the proxy's address)."""
    settings.SINERGI_TRUSTED_PROXIES = 1
    fail_five_times(forwarded)

    locked = Client().post(
        LOGIN, {"username": "ana", "password": PASSWORD}, HTTP_X_FORWARDED_FOR=client
    )
    other = Client().post(
        LOGIN, {"username": "ana", "password": PASSWORD}, HTTP_X_FORWARDED_FOR="198.51.100.2"
    )

    assert locked.status_code == 429
    assert other.status_code == 302


def test_what_a_client_writes_to_the_left_of_the_proxy_is_not_trusted(person, settings):
    """Given one trusted proxy, a client that sends its own X-Forwarded-For (which the
    proxy extends with the address it saw) is still known by that last address: a forged
    first address does not lift its lock-out. Without trusted proxies the header counts
    for nothing."""
    settings.SINERGI_TRUSTED_PROXIES = 1
    fail_five_times("203.0.113.7")

    forged = Client().post(
        LOGIN,
        {"username": "ana", "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="198.51.100.2, 203.0.113.7",
    )
    assert forged.status_code == 429

    settings.SINERGI_TRUSTED_PROXIES = 0
    fail_five_times("192.0.2.1")  # from REMOTE_ADDR, whatever the header says
    spoofed = Client().post(
        LOGIN, {"username": "ana", "password": PASSWORD}, HTTP_X_FORWARDED_FOR="192.0.2.99"
    )
    assert spoofed.status_code == 429


def test_a_username_longer_than_any_account_is_a_wrong_sign_in_not_a_server_error(person):
    """Given a username of 10,000 characters (axes records attempts in a 255-character
    column; PostgreSQL refused the insert and the page answered 500), when it is used to
    sign in, then the page says the sign-in was wrong, the attempt is recorded under its
    first 255 characters, and five such attempts lock that name out as any other."""
    client = Client()
    name = "x" * 10_000

    response = client.post(LOGIN, {"username": name, "password": "wrong"})

    assert response.status_code == 422
    assert "Please enter a correct" in response.content.decode()
    assert AccessAttempt.objects.get().username == name[:255]
    for _attempt in range(4):
        client.post(LOGIN, {"username": name, "password": "wrong"})
    assert client.post(LOGIN, {"username": name, "password": "wrong"}).status_code == 429
    assert Client().post(LOGIN, {"username": "ana", "password": PASSWORD}).status_code == 302


# Password reset -------------------------------------------------------------------------


def test_password_reset_by_email(person):
    """Given a forgotten password, the reset page e-mails a link; the link lets you choose
    a new password, which then signs in while the old one does not; the link works once."""
    client = Client()

    response = client.post("/en/accounts/password/reset/", {"email": "ana@example.org"})

    assert response.status_code == 302
    assert response["Location"] == "/en/accounts/password/reset/done/"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ana@example.org"]
    link = RESET_LINK.search(message.body)
    assert link, message.body

    form_page = client.get(link.group(1), follow=True)
    assert form_page.status_code == 200
    set_password_url = form_page.redirect_chain[-1][0]
    assert set_password_url.endswith("/set-password/")

    response = client.post(
        set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == "/en/accounts/password/reset/complete/"
    person.refresh_from_db()
    assert person.check_password(NEW_PASSWORD)
    assert not person.check_password(PASSWORD)
    fresh = Client()
    fresh.post(LOGIN, {"username": "ana", "password": NEW_PASSWORD})
    assert signed_in_as(fresh) == "ana"

    reused = Client().get(link.group(1), follow=True)
    assert "The link is invalid or was used already" in reused.content.decode()


@pytest.mark.parametrize(
    ("language", "subject", "words"),
    [
        ("en", "Choose a new Sinergi password", ["“ana”", "for 3 days", "did not ask"]),
        ("id", "Pilih kata sandi Sinergi yang baru", ["“ana”", "selama 3 hari", "tidak meminta"]),
    ],
)
def test_the_reset_mail_is_sinergi_s_own_in_the_reader_s_language(person, language, subject, words):
    """Given a reset asked for in English or Indonesian, the mail is worded by Sinergi in
    that language (not Django's stock text naming the server), with a working link."""
    client = Client()

    client.post(f"/{language}/accounts/password/reset/", {"email": "ana@example.org"})

    (message,) = mail.outbox
    assert message.subject == subject
    for word in words:
        assert word in message.body
    assert "testserver" not in message.subject
    link = re.search(
        rf"(http://testserver/{language}/accounts/password/reset/\S+/\S+/)\n", message.body
    )
    assert link, message.body
    assert client.get(link.group(1), follow=True).redirect_chain[-1][0].endswith("/set-password/")


def test_password_reset_for_unknown_address_sends_nothing(person):
    """Given an address nobody uses, the page says the same as for a known one and sends
    no e-mail, so that it does not reveal who has an account."""
    response = Client().post("/en/accounts/password/reset/", {"email": "nobody@example.org"})

    assert response.status_code == 302
    assert response["Location"] == "/en/accounts/password/reset/done/"
    assert mail.outbox == []


# Invitations ----------------------------------------------------------------------------


def invite_through_members_page(
    client: Client, slug: str, *, email: str, organisation_id: int, role: str, capture
):
    with capture(execute=True):
        return client.post(
            f"/en/partnerships/{slug}/members/",
            {"form": "invite", "email": email, "organisation": organisation_id, "role": role},
        )


def sign_up(client: Client, path: str, username: str = "dewi"):
    return client.post(
        path,
        {
            "username": username,
            "first_name": "Dewi",
            "last_name": "Lestari",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )


@pytest.fixture
def invited(private_cast, django_capture_on_commit_callbacks):
    """A coordinator has invited dewi@example.org as member through the members page;
    returns (cast, path of the link in the e-mail)."""
    cast = private_cast
    coordinator = Client()
    coordinator.force_login(cast.people["coordinator"])
    assert coordinator.get(f"/en/partnerships/{cast.partnership.slug}/members/").status_code == 200

    response = invite_through_members_page(
        coordinator,
        cast.partnership.slug,
        email="dewi@example.org",
        organisation_id=cast.people["member"].organisation_id,
        role="member",
        capture=django_capture_on_commit_callbacks,
    )

    assert response.status_code == 302, response.content[:2000]
    assert response["Location"] == f"/en/partnerships/{cast.partnership.slug}/members/"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["dewi@example.org"]
    assert cast.partnership.title in message.body
    link = INVITATION_LINK.search(message.body)
    assert link, message.body
    return cast, link.group(1)


def test_invitation_creates_account_with_organisation_and_role(invited):
    """Given an e-mailed invitation, an anonymous visitor opens the link, creates an
    account, is signed in, works for the inviting organisation and has the role."""
    cast, path = invited
    visitor = Client()
    page = visitor.get(path)
    assert page.status_code == 200
    assert "dewi@example.org" in page.content.decode()

    response = sign_up(visitor, path)

    assert response.status_code == 302
    assert response["Location"] == f"/en/partnerships/{cast.partnership.slug}/"
    dewi = Person.objects.get(username="dewi")
    assert dewi.email == "dewi@example.org"
    assert dewi.organisation_id == cast.people["member"].organisation_id
    assert dewi.check_password(NEW_PASSWORD)
    membership = Membership.objects.get(partnership=cast.partnership, person=dewi)
    assert membership.role == "member"
    invitation = Invitation.objects.get()
    assert invitation.accepted_by == dewi
    assert invitation.accepted_at is not None
    assert signed_in_as(visitor) == "dewi"
    assert visitor.get(f"/en/partnerships/{cast.partnership.slug}/").status_code == 200


def test_the_invitation_page_explains_the_username_in_the_reader_s_language(invited):
    """Given the invitation page in Indonesian, the username's help says "at most 150
    characters" (Django's own Indonesian says "or a little"); in English, Django's words."""
    _cast, path = invited
    indonesian = html.unescape(Client().get(path.replace("/en/", "/id/", 1)).content.decode())
    english = html.unescape(Client().get(path).content.decode())

    assert "Paling banyak 150 karakter" in indonesian
    assert "atau sedikit" not in indonesian
    assert "Required. 150 characters or fewer." in english


def test_invitation_link_works_once(invited):
    """Given an invitation that was used, the link shows the "cannot be used" page (404)
    and a second sign-up through it creates nobody."""
    _cast, path = invited
    assert sign_up(Client(), path).status_code == 302

    second = Client()
    page = second.get(path)
    response = sign_up(second, path, username="intruder")

    assert page.status_code == 404
    assert "This invitation cannot be used" in page.content.decode()
    assert response.status_code == 404
    assert not Person.objects.filter(username="intruder").exists()
    assert signed_in_as(second) is None


def test_expired_invitation_is_not_found(invited, monkeypatch):
    """Given an invitation, it still opens after 13 days but after 15 days (the `now` seam
    moved) the link shows the 404 page and nobody can join with it."""
    cast, path = invited
    start = timezone.now()
    monkeypatch.setattr(services, "now", lambda: start + timedelta(days=13))
    assert Client().get(path).status_code == 200

    monkeypatch.setattr(services, "now", lambda: start + timedelta(days=15))
    visitor = Client()
    page = visitor.get(path)
    response = sign_up(visitor, path)

    assert page.status_code == 404
    assert "This invitation cannot be used" in page.content.decode()
    assert response.status_code == 404
    assert not Person.objects.filter(username="dewi").exists()
    assert not Membership.objects.filter(
        partnership=cast.partnership, person__email="dewi@example.org"
    ).exists()


def test_unknown_invitation_link_is_not_found(db):
    """Given a made-up invitation token, the page is 404."""
    response = Client().get("/en/accounts/invitations/sng_made-up/")

    assert response.status_code == 404
    assert "This invitation cannot be used" in response.content.decode()


def test_signed_in_person_accepts_invitation(invited):
    """Given a signed-in person without an organisation, opening the link and confirming
    makes them join the organisation with the role, without a new account."""
    cast, path = invited
    dewi = PersonFactory(username="dewi", organisation=None)
    client = Client()
    client.force_login(dewi)
    people = Person.objects.count()

    response = client.post(path)

    assert response.status_code == 302
    dewi.refresh_from_db()
    assert dewi.organisation_id == cast.people["member"].organisation_id
    assert Membership.objects.get(partnership=cast.partnership, person=dewi).role == "member"
    assert Person.objects.count() == people


def test_an_address_with_an_account_signs_in_to_accept(invited):
    """Given an invitation to an address that has an account already (in other letter
    case too), an anonymous visitor is asked to sign in to it, with a link back to the
    invitation, and a sign-up posted anyway creates no second account; signed in, the
    person accepts."""
    cast, path = invited
    dewi = PersonFactory(username="dewi-lama", email="Dewi@Example.org", organisation=None)
    people = Person.objects.count()
    visitor = Client()

    page = visitor.get(path)
    response = sign_up(visitor, path, username="dewi-baru")

    assert page.status_code == 200
    text = page.content.decode()
    assert "An account for dewi@example.org exists already" in text
    assert f'href="/en/accounts/login/?next={path}"' in text
    assert 'name="password1"' not in text
    assert response.status_code == 200
    assert Person.objects.count() == people
    visitor.force_login(dewi)
    assert visitor.post(path).status_code == 302
    assert Membership.objects.get(partnership=cast.partnership, person=dewi).role == "member"


def test_an_address_whose_account_is_deactivated_can_sign_up(invited):
    """Given an invitation to an address whose only account is deactivated (it cannot
    sign in), then the page offers the sign-up form, as before, not a dead end."""
    _cast, path = invited
    PersonFactory(username="dewi-lama", email="dewi@example.org", is_active=False)

    page = Client().get(path)

    assert 'name="password1"' in page.content.decode()


def test_partner_admin_cannot_invite_a_coordinator(
    private_cast, django_capture_on_commit_callbacks
):
    """Given a partner admin on the members page, inviting someone as coordinator is
    refused on the role (422): no invitation, no e-mail. Inviting a member works."""
    cast = private_cast
    admin = Client()
    admin.force_login(cast.people["partner_admin"])
    own_organisation = cast.people["partner_admin"].organisation_id

    refused = invite_through_members_page(
        admin,
        cast.partnership.slug,
        email="boss@example.org",
        organisation_id=own_organisation,
        role="coordinator",
        capture=django_capture_on_commit_callbacks,
    )

    assert refused.status_code == 422
    assert "role" in refused.context["invite_form"].errors
    assert not Invitation.objects.exists()
    assert mail.outbox == []

    accepted = invite_through_members_page(
        admin,
        cast.partnership.slug,
        email="colleague@example.org",
        organisation_id=own_organisation,
        role="member",
        capture=django_capture_on_commit_callbacks,
    )

    assert accepted.status_code == 302
    assert Invitation.objects.get().role == "member"
    assert [m.to for m in mail.outbox] == [["colleague@example.org"]]


def test_partner_admin_cannot_invite_a_coordinator_through_the_service(private_cast):
    """Given a partner admin calling the service directly, a coordinator invitation is
    refused with PermissionDenied and nothing is stored."""
    cast = private_cast
    admin = cast.people["partner_admin"]

    with pytest.raises(PermissionDenied):
        services.invite_person(
            actor=admin,
            email="boss@example.org",
            organisation=admin.organisation,
            partnership=cast.partnership,
            role="coordinator",
            accept_url_template="http://testserver/en/accounts/invitations/{token}/",
        )

    assert not Invitation.objects.exists()


def test_a_coordinator_cannot_invite_people_into_another_partner_organisation(
    private_cast, django_capture_on_commit_callbacks
):
    """Given a second partner organisation, when the coordinator (of the first) invites an
    address into it, then the page refuses inline on the organisation field and the
    service refuses with a field message: accepting would make the invitee one of that
    organisation's people, able to sign and approve for it. Nothing is stored or sent.
    Staff may invite into any partner organisation."""
    cast = private_cast
    other = OrganisationFactory(name="Victim Ministry")
    ParticipationFactory(partnership=cast.partnership, organisation=other)
    coordinator = cast.people["coordinator"]

    page = client_for(coordinator).get(f"/en/partnerships/{cast.partnership.slug}/members/")
    assert "Victim Ministry" not in page.content.decode()
    response = invite_through_members_page(
        client_for(coordinator),
        cast.partnership.slug,
        email="me+alt@attacker.example",
        organisation_id=other.pk,
        role="coordinator",
        capture=django_capture_on_commit_callbacks,
    )
    assert response.status_code == 422
    assert "organisation" in response.context["invite_form"].errors
    with pytest.raises(ValidationError) as refused:
        services.invite_person(
            actor=coordinator,
            email="me+alt@attacker.example",
            organisation=other,
            partnership=cast.partnership,
            role="coordinator",
            accept_url_template="http://testserver/en/accounts/invitations/{token}/",
        )
    assert "Victim Ministry" in refused.value.message_dict["organisation"][0]
    assert not Invitation.objects.exists()
    assert mail.outbox == []

    response = invite_through_members_page(
        client_for(cast.people["staff"]),
        cast.partnership.slug,
        email="official@ministry.example",
        organisation_id=other.pk,
        role="member",
        capture=django_capture_on_commit_callbacks,
    )
    assert response.status_code == 302
    assert Invitation.objects.get().organisation == other


def test_members_cannot_invite(private_cast, django_capture_on_commit_callbacks):
    """Given a plain member, posting the invite form is 403 and sends nothing."""
    cast = private_cast
    member = Client()
    member.force_login(cast.people["member"])

    response = invite_through_members_page(
        member,
        cast.partnership.slug,
        email="friend@example.org",
        organisation_id=cast.people["member"].organisation_id,
        role="member",
        capture=django_capture_on_commit_callbacks,
    )

    assert response.status_code == 403
    assert not Invitation.objects.exists()
    assert mail.outbox == []
