"""A word longer than the line (a pasted link, a run of letters) wraps: the page never
becomes wider than the window."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from sinergi.partnerships.models import Partnership, WorkPackage

pytestmark = pytest.mark.browser

WORD = "Ω" * 3000


@pytest.fixture
def demo(transactional_db) -> None:
    call_command("demo", quiet=True)


@pytest.mark.parametrize(
    "path",
    [
        "/en/partnerships/{slug}/",
        "/en/partnerships/{slug}/design/",
        "/en/partnerships/{slug}/raci/",
    ],
)
def test_a_long_word_wraps_within_the_window(demo, page, path):
    partnership = Partnership.objects.get(slug="immunisation-indonesia")
    Partnership.objects.filter(pk=partnership.pk).update(vision=WORD, summary=WORD)
    WorkPackage.objects.filter(partnership=partnership).update(title=WORD[:200])
    page.set_viewport_size({"width": 1280, "height": 900})

    page.goto(path.format(slug=partnership.slug))

    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 1280, width
