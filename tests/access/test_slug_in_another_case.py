"""A partnership whose short name was stored before short names were lower case only
("Old_Name") is found by its pages under that name in any letter case: a page read is
sent (301) to the stored name. Whoever may not see the partnership gets the same 404 as
for a name nobody has, and the API answers 404 as before."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from sinergi.partnerships.models import Partnership
from tests.conftest import client_for
from tests.factories import PartnershipFactory

CSRF_TOKEN = re.compile(rb'"X-CSRFToken": "[^"]+"|name="csrfmiddlewaretoken" value="[^"]+"')


def page_of(response) -> bytes:
    """A page without its CSRF tokens, which are masked anew for each answer."""
    return CSRF_TOKEN.sub(b"", response.content)


def stored_as(partnership: Partnership, slug: str) -> Partnership:
    Partnership.objects.filter(pk=partnership.pk).update(slug=slug)
    partnership.refresh_from_db()
    return partnership


@pytest.mark.parametrize(
    ("asked", "sent_to"),
    [
        ("/en/partnerships/old_name/", "/en/partnerships/Old_Name/"),
        ("/en/partnerships/OLD_NAME/finance/?page=2", "/en/partnerships/Old_Name/finance/?page=2"),
        ("/id/partnerships/old_name/ledger/", "/id/partnerships/Old_Name/ledger/"),
        ("/en/partnerships/old_name/results/", "/en/partnerships/Old_Name/results/"),
    ],
)
def test_a_page_asked_in_another_case_is_sent_to_the_stored_short_name(public_cast, asked, sent_to):
    """Given a public partnership stored as "Old_Name", when anyone reads one of its pages
    as "old_name", then they are sent there permanently, query string kept, and the page
    answers there."""
    stored_as(public_cast.partnership, "Old_Name")

    response = Client().get(asked)

    assert response.status_code == 301
    assert response["Location"] == sent_to
    assert Client().get(sent_to).status_code == 200


def test_a_member_is_sent_to_a_private_partnership_s_stored_short_name(private_cast):
    stored_as(private_cast.partnership, "Old_Name")
    client = client_for(private_cast.people["observer"])

    response = client.get("/en/partnerships/old_name/")

    assert response.status_code == 301
    assert response["Location"] == "/en/partnerships/Old_Name/"


@pytest.mark.parametrize("who", ["anonymous", "outsider"])
def test_a_private_partnership_in_another_case_is_a_plain_404_to_whoever_may_not_see_it(
    private_cast, who
):
    """Given a private partnership stored as "Old_Name", when someone who may not see it
    asks for "old_name", then the answer is the one for a name nobody has."""
    stored_as(private_cast.partnership, "Old_Name")
    client = client_for(private_cast.people.get(who))

    hidden = client.get("/en/partnerships/old_name/")
    missing = client.get("/en/partnerships/new_name/")

    assert hidden.status_code == missing.status_code == 404
    assert page_of(hidden) == page_of(missing).replace(b"new_name", b"old_name")


def test_two_partnerships_differing_only_in_case_are_each_only_at_their_own_address(db):
    """Given two short names stored before that differ only in case, a third spelling
    matches both: it is a 404, each is at its own address."""
    stored_as(PartnershipFactory(visibility="public"), "Old_Name")
    stored_as(PartnershipFactory(visibility="public"), "old_name")

    assert Client().get("/en/partnerships/OLD_NAME/").status_code == 404
    assert Client().get("/en/partnerships/Old_Name/").status_code == 200
    assert Client().get("/en/partnerships/old_name/").status_code == 200


def test_a_hidden_private_partnership_of_another_case_does_not_change_the_answer(db):
    """Given a public partnership stored as "Foo_Bar" and a private one as "foo_BAR", then
    an outsider asking for "FOO_BAR" is sent to the public one, as if the private one did
    not exist (else the answer would tell them it does)."""
    stored_as(PartnershipFactory(visibility="public"), "Foo_Bar")
    stored_as(PartnershipFactory(visibility="private"), "foo_BAR")

    response = Client().get("/en/partnerships/FOO_BAR/")

    assert response.status_code == 301
    assert response["Location"] == "/en/partnerships/Foo_Bar/"


def test_a_form_posted_in_another_case_is_a_404_and_changes_nothing(private_cast):
    partnership = stored_as(private_cast.partnership, "Old_Name")
    client = client_for(private_cast.people["coordinator"])

    response = client.post("/en/partnerships/old_name/edit/", {"title": "Changed"})

    assert response.status_code == 404
    partnership.refresh_from_db()
    assert partnership.title != "Changed"


def test_the_api_answers_404_under_another_case(public_cast):
    stored_as(public_cast.partnership, "Old_Name")

    assert Client().get("/api/v1/partnerships/Old_Name").status_code == 200
    response = Client().get("/api/v1/partnerships/old_name")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
