"""The language switch returns to the same page in the other language, whatever language
the browser or the language cookie prefers; signed-out readers are offered sign-in where
a page needs an account."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("browser", "page", "switch_to", "lands_on"),
    [
        ("en", "/id/partnerships/", "en", "/en/partnerships/"),
        ("id", "/en/partnerships/", "id", "/id/partnerships/"),
        ("en", "/en/partnerships/", "id", "/id/partnerships/"),
        ("id", "/id/partnerships/?page=2", "en", "/en/partnerships/?page=2"),
    ],
)
def test_the_switch_lands_on_the_same_page_in_the_chosen_language(
    browser, page, switch_to, lands_on
):
    """Given a browser preferring `browser` on a page in the other language (a shared
    link), then switching lands on that page in the chosen language (before, from /id/
    with an English browser it stayed on /id/)."""
    response = Client(HTTP_ACCEPT_LANGUAGE=browser).post(
        "/i18n/setlang/", {"language": switch_to, "next": page}
    )

    assert response.status_code == 302
    assert response["Location"] == lands_on


def test_a_signed_out_reader_of_a_page_that_needs_an_account_is_asked_to_sign_in(public_cast):
    """Given a public partnership and someone signed out following a link to a page that
    needs a role (as a reminder's link to a value form does), then they are sent to sign
    in and back, not shown "your role does not allow this"; someone signed in without
    the role still gets the 403 page."""
    path = f"/en/partnerships/{public_cast.partnership.slug}/finance/transactions/new/"

    anonymous = Client().get(path)
    outsider = client_for(public_cast.people["outsider"]).get(path)

    assert anonymous.status_code == 302
    assert anonymous["Location"] == f"/en/accounts/login/?next={path}"
    assert outsider.status_code == 403


def test_the_not_found_page_offers_sign_in_to_someone_signed_out(private_cast):
    """Given a private partnership's address and someone signed out, then the 404 page
    (which says nothing of whether it exists) offers to sign in and come back."""
    path = f"/en/partnerships/{private_cast.partnership.slug}/finance/"

    page = Client().get(path)

    assert page.status_code == 404
    assert f'href="/en/accounts/login/?next={path}"' in page.content.decode()
    assert "Sign in" not in client_for(private_cast.people["outsider"]).get(path).content.decode()
