"""Chart axes and tooltips write numbers as the page's language does."""

from __future__ import annotations

import pytest

from tests.results.conftest import approve, build_monitored

pytestmark = pytest.mark.browser

TICKS = "Object.values(Chart.instances)[0].scales['y-axis-0'].ticks"
TOOLTIP = """() => {
  const chart = Object.values(Chart.instances)[0];
  return chart.options.tooltips.callbacks.label({datasetIndex: 0, yLabel: 1234.5}, chart.data);
}"""


@pytest.fixture
def reported(transactional_db):
    m = build_monitored("public")
    approve(m, m.trained, m.q1, "25000")
    return m


@pytest.mark.parametrize(
    ("language", "top", "tooltip"), [("en", "25,000", "1,234.5"), ("id", "25.000", "1.234,5")]
)
def test_the_indicator_chart_writes_numbers_in_the_page_s_language(
    reported, page, language, top, tooltip
):
    slug = reported.partnership.slug
    page.goto(f"/{language}/partnerships/{slug}/results/indicators/{reported.trained.pk}/")
    page.wait_for_function("window.Chart && Object.keys(Chart.instances).length > 0")

    ticks = page.evaluate(TICKS)

    assert top in ticks and "25000" not in ticks
    assert page.evaluate(TOOLTIP).endswith(tooltip)
