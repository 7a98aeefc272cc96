"""Whole pages kept for every reader who sees the same (`sinergi.core.pages.render_kept`).

The results dashboard and the finance overview are kept whole; what differs between
readers (the CSRF token, the name in the navigation bar) is filled in per request, and
everything else that differs (signed in, staff, permissions, the partnership's row, the
language, the path, a waiting message) keeps pages apart or skips the keep.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.test import Client, RequestFactory, override_settings

from sinergi.core import pages, stored
from sinergi.core.pages import render_kept
from sinergi.partnerships.models import Membership
from tests.conftest import client_for
from tests.factories import MembershipFactory, PartnershipFactory, PersonFactory

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="(\w+)"')


@pytest.fixture(autouse=True)
def _cold() -> None:
    stored.clear()


def _dashboard(partnership) -> str:
    return f"/en/partnerships/{partnership.slug}/results/"


def _finance(partnership) -> str:
    return f"/en/partnerships/{partnership.slug}/finance/"


def _coordinator(partnership, **names) -> object:
    person = PersonFactory(**names)
    MembershipFactory(partnership=partnership, person=person, role="coordinator")
    return person


def _read(client: Client, url: str, **headers: str) -> tuple[bool, str]:
    """(whether the page came from the keep: no template rendered, the text)."""
    response = client.get(url, **headers)
    assert response.status_code == 200
    return not response.templates, response.content.decode()


@pytest.mark.parametrize("path", [_dashboard, _finance])
def test_a_second_reader_gets_the_kept_page_with_their_own_name_and_token(path) -> None:
    partnership = PartnershipFactory()
    ann = _coordinator(partnership, first_name="Ann", username="ann")
    bob = _coordinator(partnership, first_name="Bob", username="bob")
    first_kept, first = _read(client_for(ann), path(partnership))
    second_kept, second = _read(client_for(bob), path(partnership))
    assert not first_kept and second_kept  # Bob's page was not rendered again
    assert ">Ann</a>" in first and ">Bob</a>" not in first
    assert ">Bob</a>" in second and ">Ann</a>" not in second
    # Nothing of the placeholders reaches a reader; each page carries a token.
    for page in (first, second):
        assert pages.HOLE_PREFIX not in page
        assert len(TOKEN.findall(page)) == 2  # the language form and sign-out
        assert f'"X-CSRFToken": "{TOKEN.search(page).group(1)}"' in page
    # Outside the token and the name, the pages are the same text.
    strip = lambda page: TOKEN.sub("", re.sub(r'X-CSRFToken": "\w+"', "", page))  # noqa: E731
    assert strip(first).replace(">Ann</a>", "") == strip(second).replace(">Bob</a>", "")


def test_the_token_in_a_kept_page_signs_a_post() -> None:
    partnership = PartnershipFactory()
    ann, bob = _coordinator(partnership), _coordinator(partnership)
    client_for(ann).get(_dashboard(partnership))  # kept
    client = Client(enforce_csrf_checks=True)
    client.force_login(bob)
    page = client.get(_dashboard(partnership)).content.decode()
    token = TOKEN.search(page).group(1)
    refused = Client(enforce_csrf_checks=True)
    refused.force_login(bob)
    assert refused.post("/en/accounts/logout/").status_code == 403
    response = client.post("/en/accounts/logout/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_a_reader_whose_name_spells_markup_or_a_placeholder_sees_it_as_text() -> None:
    partnership = PartnershipFactory()
    _coordinator(partnership)
    client_for(_coordinator(partnership)).get(_dashboard(partnership))
    spelled = pages.HOLE_PREFIX + "0" * 32
    hostile = _coordinator(partnership, first_name=f"<b>x</b>{spelled}")
    kept, page = _read(client_for(hostile), _dashboard(partnership))
    assert kept
    assert f"&lt;b&gt;x&lt;/b&gt;{spelled}</a>" in page
    assert "<b>x</b>" not in page


def test_staff_anonymous_and_members_never_share_a_page() -> None:
    partnership = PartnershipFactory(visibility="public")
    member = _coordinator(partnership)
    staff = PersonFactory(is_staff=True)
    readers = {"anonymous": client_for(None), "member": client_for(member)}
    readers["staff"] = client_for(staff)
    for _round in range(2):
        found = {
            name: c.get(_dashboard(partnership)).content.decode() for name, c in readers.items()
        }
        assert "/admin/" in found["staff"] and "/admin/" not in found["member"]
        assert "/accounts/login/" in found["anonymous"]
        assert "/accounts/login/" not in found["member"]
        assert "/members/" not in found["anonymous"] and "/members/" in found["member"]
        # The coordinator's page links the framework; the anonymous reader's does not.
        assert "/results/framework/" in found["member"]
        assert "/results/framework/" not in found["anonymous"]


def test_a_private_partnership_stays_private_after_a_member_read_it() -> None:
    partnership = PartnershipFactory(title="Hidden alliance")
    member = _coordinator(partnership)
    for path in (_dashboard, _finance):
        assert client_for(member).get(path(partnership)).status_code == 200
        for outsider in (client_for(None), client_for(PersonFactory())):
            response = outsider.get(path(partnership))
            assert response.status_code == 404
            assert b"Hidden alliance" not in response.content


def test_an_edited_title_and_a_changed_role_show_at_once() -> None:
    partnership = PartnershipFactory(title="Old title")
    reader = _coordinator(partnership)
    client = client_for(reader)
    assert "Old title" in client.get(_dashboard(partnership)).content.decode()
    partnership.title = "New title"
    partnership.save()
    page = client.get(_dashboard(partnership)).content.decode()
    assert "New title" in page and "Old title" not in page
    assert "/results/framework/" in page
    Membership.objects.filter(person=reader).update(role="observer")
    page = client_for(reader).get(_dashboard(partnership)).content.decode()
    assert "/results/framework/" not in page


def test_each_language_and_each_page_is_kept_apart() -> None:
    partnership = PartnershipFactory()
    client = client_for(_coordinator(partnership))
    for _round in range(2):
        english = client.get(_dashboard(partnership)).content.decode()
        indonesian = client.get(f"/id/partnerships/{partnership.slug}/results/").content.decode()
        finance = client.get(_finance(partnership)).content.decode()
        assert '<html lang="en">' in english and '<html lang="id">' in indonesian
        assert "Kemitraan" in indonesian and "Kemitraan" not in english
        assert 'aria-current="page">Dashboard' in english
        assert 'aria-current="page">Overview' in finance


def test_a_waiting_message_is_shown_once_and_not_kept() -> None:
    partnership = PartnershipFactory()
    client = client_for(_coordinator(partnership))
    client.get(_dashboard(partnership))  # kept without a message
    # A message waits in its cookie, as Django leaves it after a POST and redirect.
    storage = CookieStorage(RequestFactory().get("/"))
    client.cookies["messages"] = storage._encode([Message(constants.SUCCESS, "Saved it.")])
    assert "Saved it." in client.get(_dashboard(partnership)).content.decode()
    assert "Saved it." not in client.get(_dashboard(partnership)).content.decode()


def test_a_query_string_or_an_htmx_request_is_rendered_afresh() -> None:
    partnership = PartnershipFactory()
    client = client_for(_coordinator(partnership))
    client.get(_dashboard(partnership))
    assert _read(client, _dashboard(partnership))[0]
    kept, page = _read(client, _dashboard(partnership) + "?x=1")
    assert not kept
    assert 'name="next" type="hidden" value="' + _dashboard(partnership) + '?x=1"' in page
    assert not _read(client, _dashboard(partnership), HTTP_HX_REQUEST="true")[0]


def test_a_context_value_it_cannot_compare_means_no_keep() -> None:
    request = RequestFactory().get("/en/")
    request.user = PersonFactory()
    request.session = Client().session
    calls: list[int] = []

    def part() -> str:
        calls.append(1)
        return "<p>part</p>"

    for _round in range(2):
        response = render_kept(request, "base.html", {"things": [1, 2]}, {"body": ("k", part)})
        assert response.status_code == 200
    # The part itself is still kept under its own key; the page is not.
    assert calls == [1]
    assert stored.reuse("k", lambda: "other") == "<p>part</p>"


def test_a_kept_page_still_carries_tokens_after_the_secret_key_changes() -> None:
    partnership = PartnershipFactory()
    ann, bob = _coordinator(partnership), _coordinator(partnership, first_name="Bob")
    client_for(ann).get(_dashboard(partnership))  # kept under the old key
    with override_settings(SECRET_KEY="another-secret-key-" + "x" * 40):
        kept, page = _read(client_for(bob), _dashboard(partnership))
    assert kept
    assert len(TOKEN.findall(page)) == 2 and ">Bob</a>" in page
    assert pages.HOLE_PREFIX not in page
