"""`{% memo %}` reuses layout fragments without mixing up readers, languages or pages."""

from __future__ import annotations

import re

import pytest
from django.template import Context, Template, engines
from django.test import override_settings
from django.utils import translation

from sinergi.core.templatetags import memo
from tests.conftest import client_for
from tests.factories import PartnershipFactory, PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _cold() -> None:
    memo.clear()


def _nav(html: str) -> str:
    nav = re.search(r'<nav class="bar".*?</nav>', html, re.S).group(0)
    # The CSRF token is masked afresh for every response.
    return re.sub(r'name="csrfmiddlewaretoken" value="\w+"', "", nav)


def _tabs(html: str) -> str:
    return re.search(r'<nav class="tabs".*?</nav>', html, re.S).group(0)


def test_admin_link_only_for_staff_whoever_came_first():
    staff, plain = PersonFactory(is_staff=True), PersonFactory()
    for first, second in [(staff, plain), (plain, staff)]:
        memo.clear()
        pages = {
            p.pk: client_for(p).get("/en/partnerships/").content.decode() for p in (first, second)
        }
        assert "/admin/" in _nav(pages[staff.pk])
        assert "/admin/" not in _nav(pages[plain.pk])
        # Per-reader parts stay outside the fragments.
        staff_name, plain_name = f">{staff}</a>", f">{plain}</a>"
        assert staff_name in pages[staff.pk] and staff_name not in pages[plain.pk]
        assert plain_name in pages[plain.pk] and plain_name not in pages[staff.pk]


def test_each_language_gets_its_own_fragment():
    client = client_for(None)
    english = client.get("/en/partnerships/").content.decode()
    indonesian = client.get("/id/partnerships/").content.decode()
    assert ">Partnerships</a>" in _nav(english)
    assert ">Kemitraan</a>" in _nav(indonesian)
    assert 'href="/en/organisations/"' in _nav(english)
    assert 'href="/id/organisations/"' in _nav(indonesian)
    # And again, from the reused fragments.
    assert _nav(client.get("/en/partnerships/").content.decode()) == _nav(english)
    assert _nav(client.get("/id/partnerships/").content.decode()) == _nav(indonesian)


def test_tabs_follow_the_partnership_the_tab_and_the_reader():
    first = PartnershipFactory(visibility="public")
    second = PartnershipFactory(visibility="public")
    anonymous, signed_in = client_for(None), client_for(PersonFactory(is_staff=True))
    for partnership in (first, second):
        for client, members in [(anonymous, False), (signed_in, True), (anonymous, False)]:
            overview = _tabs(client.get(f"/en/partnerships/{partnership.slug}/").content.decode())
            results = _tabs(
                client.get(f"/en/partnerships/{partnership.slug}/results/").content.decode()
            )
            assert f"/en/partnerships/{partnership.slug}/partners/" in overview
            other = second if partnership is first else first
            assert f"/partnerships/{other.slug}/" not in overview
            assert re.search(rf'/{partnership.slug}/"\s+aria-current="page"', overview)
            assert re.search(r'/results/"\s+aria-current="page"', results)
            assert not re.search(r'/results/"\s+aria-current="page"', overview)
            assert ("/members/" in overview) is members


def test_the_language_form_keeps_each_requests_path_and_token():
    client = client_for(PersonFactory())
    one = client.get("/en/partnerships/").content.decode()
    two = client.get("/en/organisations/").content.decode()
    assert 'name="next" type="hidden" value="/en/partnerships/"' in one
    assert 'name="next" type="hidden" value="/en/organisations/"' in two
    assert 'name="csrfmiddlewaretoken"' in two


def test_a_fragment_renders_once_then_is_reused():
    template = engines["django"].engine.get_template("partnerships/_tabs.html")
    partnership = PartnershipFactory()
    context = {"partnership": partnership, "tab": "partners", "user": PersonFactory()}
    first = template.render(Context(context))
    assert len(memo._FRAGMENTS) == 1
    # A changed title does not show in the tabs (they hold none); a changed key does.
    second = template.render(Context({**context, "tab": "finance"}))
    assert len(memo._FRAGMENTS) == 2
    assert first != second
    assert template.render(Context(context)) == first
    assert len(memo._FRAGMENTS) == 2
    with translation.override("id"):
        assert template.render(Context(context)) != first
    assert len(memo._FRAGMENTS) == 3


def test_not_reused_when_debugging_or_from_a_string():
    template = engines["django"].engine.get_template("partnerships/_tabs.html")
    context = Context({"partnership": PartnershipFactory(), "tab": "", "user": PersonFactory()})
    with override_settings(DEBUG=True):
        template.render(context)
    assert memo._FRAGMENTS == {}
    counter = iter(range(100))
    made = Template("{% load memo %}{% memo %}{{ next }}{% endmemo %}")
    assert made.render(Context({"next": lambda: next(counter)})) == "0"
    assert made.render(Context({"next": lambda: next(counter)})) == "1"
    assert memo._FRAGMENTS == {}


def test_bounded(monkeypatch):
    monkeypatch.setattr(memo, "MAX_FRAGMENTS", 10)
    template = engines["django"].engine.get_template("partnerships/_tabs.html")
    user = PersonFactory()
    partnership = PartnershipFactory()
    for tab in range(memo.MAX_FRAGMENTS + 5):
        template.render(Context({"partnership": partnership, "tab": tab, "user": user}))
    assert 0 < len(memo._FRAGMENTS) <= memo.MAX_FRAGMENTS


def test_a_key_that_cannot_be_hashed_renders_without_reuse():
    template = engines["django"].engine.get_template("partnerships/_tabs.html")
    context = {"partnership": PartnershipFactory(), "tab": ["a", "list"], "user": PersonFactory()}
    assert "/partners/" in template.render(Context(context))
    assert memo._FRAGMENTS == {}
