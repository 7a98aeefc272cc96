"""A row's id (or a version number) in a page's address is written one way only: ASCII
digits without leading zeros, as the pages' own links write it; any other spelling is a
404."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.converters import IntConverter
from django.urls.exceptions import Resolver404

from sinergi.core.converters import IdConverter
from sinergi.core.schemas import MAX_ID
from sinergi.partnerships.models import Goal
from tests.conftest import client_for


def _converters(resolver: URLResolver, prefix: str = ""):
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        for name, converter in entry.pattern.converters.items():
            yield route, name, converter
        if isinstance(entry, URLResolver):
            yield from _converters(entry, route)
        else:
            assert isinstance(entry, URLPattern)


def test_no_page_takes_an_id_with_django_s_int_converter():
    """Every number in a page's path goes through the `id` converter (Django's `int`
    took "01" for 1); the pages do have such numbers."""
    found = list(_converters(get_resolver()))
    ints = [route for route, _name, converter in found if isinstance(converter, IntConverter)]
    ids = [route for route, _name, converter in found if isinstance(converter, IdConverter)]

    assert ints == []
    assert len(ids) >= 40


@pytest.mark.parametrize("spelling", ["01", "001", "0", "1.0", "+1", "\u0661", "-1"])
def test_another_spelling_of_an_id_names_no_page(spelling):
    """Given a page address with goal 1 in it, when 1 is spelt otherwise, no page answers."""
    assert resolve("/en/partnerships/p/design/goals/1/").kwargs["pk"] == 1

    with pytest.raises(Resolver404):
        resolve(f"/en/partnerships/p/design/goals/{spelling}/")


def test_an_id_beyond_the_database_s_range_names_no_page():
    """Given an id past the largest a database row can have, no page answers (its look-up
    would overflow)."""
    assert resolve(f"/en/partnerships/p/design/goals/{MAX_ID}/").kwargs["pk"] == MAX_ID

    with pytest.raises(Resolver404):
        resolve(f"/en/partnerships/p/design/goals/{MAX_ID + 1}/")
    with pytest.raises(Resolver404):
        resolve(f"/en/partnerships/p/design/goals/{'9' * 25}/")


def test_a_goal_s_page_answers_at_its_own_address_only(private_cast):
    """Given a goal, its edit page answers at …/goals/<id>/ and is a 404 at …/goals/0<id>/."""
    partnership = private_cast.partnership
    goal = Goal.objects.create(partnership=partnership, title="Full immunisation")
    client = client_for(private_cast.people["coordinator"])
    base = f"/en/partnerships/{partnership.slug}/design/goals"

    assert client.get(f"{base}/{goal.pk}/").status_code == 200
    assert client.get(f"{base}/0{goal.pk}/").status_code == 404
    assert client.get(f"{base}/00{goal.pk}/").status_code == 404
