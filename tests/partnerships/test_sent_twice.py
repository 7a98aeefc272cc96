"""A form that creates something in a partnership is saved once, however often it is sent.

A double click, or a browser's retry after a slow answer, sent the same form again and
made two partnerships (two `partnership.created` entries on the ledger), two goals, two
work packages or two invitations. Each form carries a one-time key
(`sinergi.core.once`): the second post is sent to what the first made, and says so.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.db import connections
from django.db.models import Model
from django.test import Client
from django.urls import reverse

from sinergi.access.models import Invitation
from sinergi.ledger.models import Entry, Head
from sinergi.partnerships.models import Goal, Partnership, WorkPackage
from tests.conftest import build_cast, client_for
from tests.forms_on_page import form_on_page

KEY = re.compile(r'name="(?:[\w-]+-)?once" value="([^"]+)"')
SENT_BEFORE = "This form was sent before and is saved; nothing was added."


@dataclass
class Page:
    """Where a form is shown and posted, what to fill in, and what it makes."""

    shown: Callable[[Partnership], str]
    posted: Callable[[Partnership], str]
    fill: Callable[[Partnership, str], dict]
    model: type[Model]
    logged: bool


def _members(p: Partnership) -> str:
    return reverse("partnership-members", args=[p.slug])


def _invite(p: Partnership, html: str) -> dict:
    """The invite form's fields (the members page has two forms posting to itself)."""
    part = html.split('name="form" value="invite"')[1].split("</form>")[0]
    person = p.memberships.get(role="coordinator").person
    return {
        "form": "invite",
        "email": "new.colleague@example.org",
        "organisation": str(person.organisation_id),
        "role": "member",
        "once": KEY.search(part).group(1),
    }


PAGES = {
    "partnership": Page(
        lambda p: reverse("partnership-create"),
        lambda p: reverse("partnership-create"),
        lambda p, html: {**form_on_page(html), "title": ["Clean rivers"]},
        Partnership,
        True,
    ),
    "goal": Page(
        lambda p: reverse("partnership-design", args=[p.slug]),
        lambda p: reverse("goal-create", args=[p.slug]),
        lambda p, html: {
            **form_on_page(html, reverse("goal-create", args=[p.slug])),
            "title": ["Every child vaccinated"],
        },
        Goal,
        True,
    ),
    "work package": Page(
        lambda p: reverse("partnership-raci", args=[p.slug]),
        lambda p: reverse("partnership-raci", args=[p.slug]),
        lambda p, html: {**form_on_page(html), "wp-code": ["WP9"], "wp-title": ["Cold chain"]},
        WorkPackage,
        True,
    ),
    "invitation": Page(_members, _members, _invite, Invitation, False),
}


def _sent(client: Client, page: Page, partnership: Partnership) -> dict:
    data = page.fill(partnership, client.get(page.shown(partnership)).content.decode())
    assert any(name.split("-")[-1] == "once" for name in data), "the form carries no key"
    return data


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(PAGES))
def test_the_same_form_sent_twice_makes_one_and_the_second_is_sent_to_it(private_cast, name):
    page, partnership = PAGES[name], private_cast.partnership
    client = client_for(private_cast.people["coordinator"])
    data = _sent(client, page, partnership)
    before, entries = page.model.objects.count(), Entry.objects.count()

    first = client.post(page.posted(partnership), data)
    logged = Entry.objects.count() - entries
    second = client.post(page.posted(partnership), data, follow=True)

    assert first.status_code == 302
    assert page.model.objects.count() == before + 1
    assert logged == (1 if page.logged else 0)
    assert Entry.objects.count() == entries + logged
    assert second.redirect_chain[0][0] == first["Location"]
    assert SENT_BEFORE in second.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(PAGES))
def test_each_form_shown_has_its_own_key_and_each_saves(private_cast, name):
    page, partnership = PAGES[name], private_cast.partnership
    client = client_for(private_cast.people["coordinator"])
    before = page.model.objects.count()

    first = _sent(client, page, partnership)
    assert client.post(page.posted(partnership), first).status_code == 302
    second = _sent(client, page, partnership)
    if name == "work package":
        second["wp-code"] = ["WP10"]  # codes are unique within a partnership
    assert client.post(page.posted(partnership), second).status_code == 302

    # A second invitation of the same address replaces the first: both are rows.
    assert page.model.objects.count() == before + 2


@pytest.mark.django_db
def test_a_goal_added_in_place_and_sent_again_sends_the_browser_to_the_first(private_cast):
    """With HTMX the repeat answers with HX-Redirect to the goal the first post added."""
    partnership = private_cast.partnership
    client = client_for(private_cast.people["coordinator"])
    data = _sent(client, PAGES["goal"], partnership)
    address = reverse("goal-create", args=[partnership.slug])

    assert client.post(address, data, HTTP_HX_REQUEST="true").status_code == 200
    again = client.post(address, data, HTTP_HX_REQUEST="true")

    goal = Goal.objects.get(partnership=partnership)
    assert again["HX-Redirect"].endswith(f"#goal-{goal.pk}")
    assert Goal.objects.filter(partnership=partnership).count() == 1


@pytest.mark.django_db
def test_a_refused_partnership_form_keeps_its_key_and_saves_once_corrected(db):
    cast = build_cast("private")
    client = client_for(cast.people["coordinator"])
    data = _sent(client, PAGES["partnership"], cast.partnership)
    address = reverse("partnership-create")

    refused = client.post(address, {**data, "title": [""]})
    assert refused.status_code == 422
    assert f'value="{data["once"][0]}"' in refused.content.decode()

    assert client.post(address, data).status_code == 302
    assert client.post(address, data).status_code == 302
    assert Partnership.objects.filter(title="Clean rivers").count() == 1


@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"),
    reason="concurrent posts are tested on PostgreSQL (DATABASE_URL=postgres://…)",
)
def test_the_same_new_partnership_sent_four_times_at_once_makes_one(transactional_db):
    Head.objects.get_or_create(pk=1, defaults={"size": 0, "frontier": b""})
    cast = build_cast("private")
    person = cast.people["coordinator"]
    data = _sent(client_for(person), PAGES["partnership"], cast.partnership)
    start = threading.Barrier(4)
    answers: list[int] = []

    def post() -> None:
        try:
            client = client_for(person)
            start.wait()
            answers.append(client.post(reverse("partnership-create"), data).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert answers == [302] * 4
    assert Partnership.objects.filter(title="Clean rivers").count() == 1
    assert Entry.objects.filter(kind="partnership.created").count() == 1
