"""A form posted in a character set other than UTF-8 is a 400 page, not an empty 500."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("charset", ["latin-1", "utf-16", "ISO-8859-1"])
@pytest.mark.parametrize("language", ["en", "id"])
def test_a_form_in_another_character_set_is_a_bad_request_not_an_empty_500(charset, language):
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.get(f"/{language}/accounts/login/")
    token = client.cookies["csrftoken"].value
    response = client.post(
        f"/{language}/accounts/login/",
        f"csrfmiddlewaretoken={token}&username=a&password=b",
        content_type=f"application/x-www-form-urlencoded; charset={charset}",
    )
    assert response.status_code == 400
    heading = {"en": "Bad request", "id": "Permintaan"}[language]
    assert heading in response.text


def test_a_form_in_utf_8_named_either_way_goes_through():
    client = Client(raise_request_exception=False)
    for charset in ("utf-8", "UTF-8"):
        response = client.post(
            "/en/accounts/login/",
            "username=a&password=b",
            content_type=f"application/x-www-form-urlencoded; charset={charset}",
        )
        assert response.status_code == 422  # a wrong sign-in, shown as a form error


@pytest.mark.parametrize("title", [b"Caf%E9", b"x%FF%FEy", b"%C3", b"Caf\xe9"])
def test_a_form_whose_bytes_are_not_utf_8_is_a_bad_request_and_nothing_is_saved(title):
    from sinergi.ledger.models import Entry
    from sinergi.partnerships.models import Partnership
    from tests.conftest import client_for
    from tests.factories import MembershipFactory, PartnershipFactory, PersonFactory

    partnership = PartnershipFactory(title="Clean Water")
    person = PersonFactory()
    MembershipFactory(partnership=partnership, person=person, role="coordinator")
    entries = Entry.objects.count()

    response = client_for(person).post(
        f"/en/partnerships/{partnership.slug}/edit/",
        b"title=" + title + b"&visibility=public",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 400
    assert Partnership.objects.get(pk=partnership.pk).title == "Clean Water"
    assert Entry.objects.count() == entries


def test_a_form_of_escaped_utf_8_goes_through():
    client = Client(raise_request_exception=False)
    response = client.post(
        "/en/accounts/login/",
        "username=Caf%C3%A9+%F0%9F%92%A7&password=b",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 422  # a wrong sign-in, shown as a form error
