"""A username is Latin letters, digits and @/./+/-/_ wherever it is set: sign-up, the
Django admin's add and change forms and `createsuperuser`. A Cyrillic a made a person
who looks exactly like another on the ledger and in member lists. A username stored
before the rule keeps working and is checked only when changed."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from sinergi.partners.models import Person
from tests.factories import PersonFactory
from tests.forms_on_page import form_on_page

CHANGELIST = "/en/admin/partners/person/"
PASSWORD = "Kopi-tubruk-di-pagi-hari-42"
LOOK_ALIKE = "s\u0430ri"  # a Cyrillic a: "sari" to the eye
REFUSAL = "Use Latin letters (a to z), digits and @/./+/-/_ only"


@pytest.fixture
def admin_client(db) -> Client:
    client = Client()
    client.force_login(PersonFactory(is_staff=True, is_superuser=True))
    return client


def add(client: Client, username: str):
    return client.post(
        f"{CHANGELIST}add/",
        {
            "username": username,
            "password1": PASSWORD,
            "password2": PASSWORD,
            "usable_password": "true",
        },
    )


def change(client: Client, person: Person, **fields: str):
    page = client.get(f"{CHANGELIST}{person.pk}/change/")
    assert page.status_code == 200
    data = form_on_page(page.content.decode())
    for name, value in fields.items():
        data[name] = [value]
    return client.post(f"{CHANGELIST}{person.pk}/change/", data)


@pytest.mark.parametrize("username", [LOOK_ALIKE, "\u0441\u0430r\u0456", "s\u00e4ri"])
def test_the_admin_add_form_refuses_a_username_in_another_script(admin_client, username):
    """Given staff adding a person in the admin, when the username has a letter that is
    not Latin a to z, then the form is shown again with the reason and nobody is made."""
    before = Person.objects.count()

    response = add(admin_client, username)

    assert response.status_code == 200
    assert REFUSAL in response.content.decode()
    assert Person.objects.count() == before


def test_the_admin_add_form_takes_latin_letters_digits_and_marks(admin_client):
    response = add(admin_client, "sari.w+ngo@x_y-z9")

    assert response.status_code == 302, response.content[:500]
    assert Person.objects.filter(username="sari.w+ngo@x_y-z9").exists()


def test_the_admin_change_form_refuses_a_new_username_in_another_script(admin_client):
    """Given a person, when staff change their username to a look-alike, then it is
    refused and the username stays."""
    person = PersonFactory(username="budi")

    response = change(admin_client, person, username=LOOK_ALIKE)

    assert response.status_code == 200
    assert REFUSAL in response.content.decode()
    person.refresh_from_db()
    assert person.username == "budi"


def test_a_username_stored_before_the_rule_is_kept_when_other_fields_change(admin_client):
    """Given a person whose look-alike username was stored before the rule, when staff make
    them inactive in the admin, then that is saved and the username is kept; changing it
    to another look-alike is refused, and to a Latin one is saved."""
    person = PersonFactory(username=LOOK_ALIKE, email="look-alike@example.org")
    data = form_on_page(admin_client.get(f"{CHANGELIST}{person.pk}/change/").content.decode())
    del data["is_active"]  # an unticked box is not sent

    kept = admin_client.post(f"{CHANGELIST}{person.pk}/change/", data)
    other = change(admin_client, person, username="\u0441\u0430r\u0456")
    renamed = change(admin_client, person, username="sari-look-alike")

    assert kept.status_code == 302, kept.content[:500]
    assert other.status_code == 200
    assert REFUSAL in other.content.decode()
    person.refresh_from_db()
    assert not person.is_active
    assert renamed.status_code == 302, renamed.content[:500]
    person.refresh_from_db()
    assert person.username == "sari-look-alike"


def test_createsuperuser_refuses_a_username_in_another_script(db):
    with pytest.raises(CommandError, match="Use Latin letters"):
        call_command(
            "createsuperuser",
            interactive=False,
            username=LOOK_ALIKE,
            email="root@example.org",
            verbosity=0,
        )

    assert not Person.objects.filter(username=LOOK_ALIKE).exists()


def test_createsuperuser_takes_a_latin_username(db):
    call_command(
        "createsuperuser",
        interactive=False,
        username="root",
        email="root@example.org",
        verbosity=0,
    )

    assert Person.objects.get(username="root").is_superuser
