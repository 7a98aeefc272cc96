"""Answers kept with `max_age` are never shown older than that, whichever level they
come from (`stored.reuse_dated`): the finance pages' bound for a partner's renaming."""

from __future__ import annotations

import time

import pytest
from django.core.cache import caches
from django.test import Client, RequestFactory

from sinergi.core import pages, stored
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch) -> list[float]:
    now = [time.time()]
    monkeypatch.setattr(stored.time, "time", lambda: now[0])
    stored.clear()
    return now


def test_an_answer_is_computed_again_once_it_is_max_age_old(clock) -> None:
    answers = iter(["first", "second", "third"])

    def read() -> str:
        return stored.reuse("k", lambda: next(answers), 600, max_age=600)

    assert read() == "first"
    clock[0] += 500
    # Read again from the shared files: that must not make it younger.
    caches["default"].clear()
    assert read() == "first"
    clock[0] += 200
    assert read() == "second"
    clock[0] += 599
    assert read() == "second"
    clock[0] += 1
    assert read() == "third"


def test_a_kept_page_is_as_old_as_its_oldest_part(clock) -> None:
    request = RequestFactory().get("/en/")
    request.user = PersonFactory()
    request.session = Client().session
    computed: list[float] = []

    def part() -> str:
        computed.append(clock[0])
        return "<p>part</p>"

    def page(title: str) -> str:
        response = pages.render_kept(
            request, "base.html", {"title": title}, {"body": ("k", part)}, max_age=600
        )
        return response.content.decode()

    page("one")
    clock[0] += 500
    page("two")  # a new page from the part kept 500 seconds ago
    assert len(computed) == 1
    clock[0] += 200
    page("two")  # 700 seconds after its part: computed again, part too
    assert len(computed) == 2
