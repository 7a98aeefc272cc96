"""The dashboard's indicator table: pages of 100, filters by progress, responsible
partner and result, inline errors for bad filters, large results linked rather than
listed in the tree, and every filtered view fresh after a write and private to members."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from sinergi.results.render import PAGE_SIZE, TREE_INLINE
from tests.conftest import client_for
from tests.results.conftest import add_indicators, approve

pytestmark = pytest.mark.django_db


def dashboard(m) -> str:
    return reverse("results-dashboard", kwargs={"slug": m.partnership.slug})


def table_codes(html: str) -> list[str]:
    """The codes in the indicator table's first column, in order."""
    start = html.index('id="indicators-title"')
    end = html.index("</section>", start)
    return re.findall(r"<tr>\s*<td>([^<]*)</td>", html[start:end])


def tree(html: str) -> str:
    start = html.index('class="results-tree"')
    return html[start : html.index("</section>", start)]


def test_given_more_indicators_than_a_page_when_paging_then_each_shows_once(monitored) -> None:
    m = monitored
    add_indicators(m, PAGE_SIZE + 5)
    total = PAGE_SIZE + 7  # with the fixture's two
    client = client_for(m.observer)

    first = client.get(dashboard(m)).content.decode()
    second = client.get(dashboard(m), {"page": 2}).content.decode()
    beyond = client.get(dashboard(m), {"page": 99}).content.decode()

    assert len(table_codes(first)) == PAGE_SIZE
    assert len(table_codes(second)) == total - PAGE_SIZE
    assert sorted(table_codes(first) + table_codes(second)) == sorted(
        ["1.1", "2.1", *(f"9.{i:03d}" for i in range(PAGE_SIZE + 5))]
    )
    assert f"Showing 1 to {PAGE_SIZE} of {total} indicators" in first
    assert f"Showing {PAGE_SIZE + 1} to {total} of {total} indicators" in second
    assert 'href="?page=2#indicators-title" rel="next"' in first
    assert 'rel="prev"' in second and 'rel="next"' not in second
    assert "Page 2 of 2" in second
    assert table_codes(beyond) == table_codes(second)  # past the end: the last page


def test_given_a_result_with_many_indicators_when_reading_the_tree_then_it_links_to_them(
    monitored,
) -> None:
    m = monitored
    add_indicators(m, TREE_INLINE + 1)
    client = client_for(m.coordinator)

    html = client.get(dashboard(m)).content.decode()
    link = f'href="?result={m.output.pk}#indicators-title"'
    assert link in tree(html)
    assert f"Show its own {TREE_INLINE + 2} indicators" in tree(html)
    assert "Extra indicator 000" not in tree(html)
    assert "DTP3 coverage" in tree(html)  # the outcome's one indicator is still listed

    only = client.get(dashboard(m), {"result": m.output.pk}).content.decode()
    assert sorted(table_codes(only)) == sorted(
        ["1.1", *(f"9.{i:03d}" for i in range(TREE_INLINE + 1))]
    )
    assert f'<option value="{m.output.pk}" selected>' in only


def test_given_filters_when_reading_then_only_matching_indicators_show(monitored) -> None:
    m = monitored
    client = client_for(m.observer)

    def codes(**query) -> list[str]:
        response = client.get(dashboard(m), query)
        assert response.status_code == 200
        return table_codes(response.content.decode())

    assert codes() == ["2.1", "1.1"]
    assert codes(partner=m.health.pk) == ["2.1"]
    assert codes(partner=m.ngo.pk) == ["1.1"]
    assert codes(result=m.outcome.pk) == ["2.1"]
    assert codes(progress="no_data") == ["2.1", "1.1"]
    assert codes(progress="on_track") == []
    html = client.get(dashboard(m), {"progress": "on_track"}).content.decode()
    assert "No indicator matches these filters." in html
    assert 'href="?#indicators-title">Clear</a>' in html
    # A partner that reports nothing here: no rows, not an error.
    assert codes(partner=999_999_999) == []


def test_given_an_approval_when_reading_a_filtered_view_again_then_it_is_fresh(
    monitored,
) -> None:
    m = monitored
    client = client_for(m.coordinator)
    before = client.get(dashboard(m), {"progress": "no_data"}).content.decode()
    assert "2.1" in table_codes(before)

    approve(m, m.coverage, m.q1, "85", values={"sex:female": "85", "sex:male": "85"})

    after = client.get(dashboard(m), {"progress": "no_data"}).content.decode()
    assert "2.1" not in table_codes(after)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"page": "abc"}, "page"),
        ({"page": "0"}, "page"),
        ({"page": "9" * 40}, "page"),
        ({"progress": "nonsense"}, "progress"),
        ({"partner": "-1"}, "partner"),
        ({"partner": "x' OR 1=1"}, "partner"),
        ({"result": "1e9"}, "result"),
        ({"result": "9" * 30}, "result"),
    ],
)
def test_given_bad_filters_when_reading_then_an_inline_error_and_every_indicator(
    monitored, query, field
) -> None:
    m = monitored
    response = client_for(m.observer).get(dashboard(m), query)

    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="filter-{field}-error"' in html
    if field != "page":  # the page has no control; its error stands beside the others
        assert f'aria-describedby="filter-{field}-error"' in html
    assert table_codes(html) == ["2.1", "1.1"]


def test_given_a_private_partnership_when_outsiders_filter_then_404(monitored) -> None:
    m = monitored
    member = client_for(m.observer)
    for query in ({"page": 2}, {"progress": "no_data"}, {"partner": m.health.pk}):
        assert member.get(dashboard(m), query).status_code == 200
        assert client_for(m.outsider).get(dashboard(m), query).status_code == 404
        assert Client().get(dashboard(m), query).status_code == 404


def test_given_indonesian_when_paging_then_the_table_speaks_indonesian(monitored) -> None:
    m = monitored
    add_indicators(m, PAGE_SIZE)
    with translation.override("id"):
        url = dashboard(m)
    html = client_for(m.observer).get(url, {"page": 2}).content.decode()

    assert "Halaman 2 dari 2" in html
    assert "Saring indikator" in html
    assert "Sebelumnya" in html
