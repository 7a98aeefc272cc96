"""The dashboard's indicator table: pages of 100, filters by progress, responsible
partner and result, inline errors for bad filters, large results linked rather than
listed in the tree, and every filtered view fresh after a write and private to members."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from sinergi.results.render import PAGE_SIZE, TREE_INLINE, TableView
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
        (select,) = re.findall(rf'<select id="filter-{field}"[^>]*>', html)
        assert 'aria-invalid="true"' in select  # as the transactions filter marks it
        assert f'aria-describedby="filter-{field}-error"' in select
        assert html.count('aria-invalid="true"') == 1
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


def test_given_views_when_linking_then_every_filter_is_kept_whatever_its_id() -> None:
    assert TableView(result=1).query() == "result=1"
    assert TableView(partner=1, page=2).query(page=3) == "partner=1&page=3"
    assert TableView(progress="on_track", partner=7, page=3).query(page=1) == (
        "progress=on_track&partner=7"
    )
    assert TableView().query() == ""
    assert TableView().default and not TableView(page=2).default
    assert not TableView(errors={"page": ["bad"]}).default


def test_given_a_filtered_view_with_pages_when_paging_then_the_links_keep_the_filter(
    monitored,
) -> None:
    m = monitored
    add_indicators(m, PAGE_SIZE + 1)  # all reported by the NGO, as 1.1
    client = client_for(m.observer)

    first = client.get(dashboard(m), {"partner": m.ngo.pk}).content.decode()
    assert f'href="?partner={m.ngo.pk}&amp;page=2#indicators-title" rel="next"' in first
    second = client.get(dashboard(m), {"partner": m.ngo.pk, "page": 2}).content.decode()
    assert f'href="?partner={m.ngo.pk}#indicators-title" rel="prev"' in second
    assert len(table_codes(first)) + len(table_codes(second)) == PAGE_SIZE + 2
    assert "2.1" not in table_codes(first) + table_codes(second)  # the health office's


def test_given_one_bad_value_when_reading_then_the_other_filters_still_apply(monitored) -> None:
    m = monitored
    html = (
        client_for(m.observer)
        .get(dashboard(m), {"partner": m.health.pk, "page": "abc"})
        .content.decode()
    )

    assert 'id="filter-page-error"' in html
    assert table_codes(html) == ["2.1"]


def test_given_filtered_views_when_read_then_none_is_kept(monitored) -> None:
    from sinergi.core import stored

    m = monitored
    client = client_for(m.observer)
    stored.clear()
    for query in ({"page": 2}, {"progress": "no_data"}, {"partner": 123456789}, {"page": "x"}):
        assert client.get(dashboard(m), query).status_code == 200
    assert not [key for key in _kept_keys() if key.startswith("results:dashboard")]
    client.get(dashboard(m))
    assert [key for key in _kept_keys() if key.startswith("results:dashboard")]


def _kept_keys() -> list[str]:
    from django.core.cache import caches

    local = caches["default"]
    return [k.split(":", 2)[-1] for k in getattr(local, "_cache", {})]


def test_given_values_when_the_dashboard_reads_plain_columns_then_they_equal_the_orms(
    monitored,
) -> None:
    """`queries._indicator_columns` (raw SQL, `sql.converted`) gives exactly what the ORM's
    `values_list` of the same columns gives: decimals with the same digits and exponent,
    dates, booleans, None for figures not known yet."""
    from sinergi.results import queries
    from sinergi.results.models import Indicator

    m = monitored
    approve(m, m.trained, m.q1, "40", {"sex:female": "25", "sex:male": "15"})
    approve(m, m.coverage, m.q1, "76.55", {"sex:female": "80", "sex:male": "73.1"})
    add_indicators(m, 2)  # no value yet
    columns = [*queries._INDICATOR_COLUMNS, *(f"status__{c}" for c in queries._STATUS_COLUMNS)]
    orm = list(
        Indicator.objects.filter(partnership=m.partnership)
        .order_by("position", "code", "pk")
        .values_list(*columns)
    )

    plain, _responsible = queries._indicator_columns(m.partnership)

    assert plain == orm
    assert [[str(v) for v in row] for row in plain] == [[str(v) for v in row] for row in orm]
    assert any(isinstance(row[queries._STATUS_START + 1], Decimal) for row in plain)
