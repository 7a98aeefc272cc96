"""On a phone the RACI matrix scrolls sideways, and each row's work package stays in view
while the partners' columns scroll past."""

from __future__ import annotations

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture
def demo(transactional_db) -> None:
    call_command("demo", quiet=True)


def test_the_work_package_column_stays_in_view_when_the_matrix_scrolls(demo, page):
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto("/en/partnerships/immunisation-indonesia/raci/")
    table = page.locator("#raci-matrix")
    row_header = table.locator("tbody th").first
    expect(row_header).to_be_visible()
    scroller = page.evaluate_handle(
        """() => {
            let node = document.querySelector('#raci-matrix');
            while (node && node.scrollWidth <= node.clientWidth) node = node.parentElement;
            return node;
        }"""
    )
    assert page.evaluate("(n) => n.scrollWidth > n.clientWidth", scroller)  # it does scroll
    left_before = row_header.bounding_box()["x"]
    first_cell = table.locator("tbody td").first
    cell_before = first_cell.bounding_box()["x"]
    page.evaluate("(n) => { n.scrollLeft = 400; }", scroller)
    page.wait_for_timeout(100)
    assert first_cell.bounding_box()["x"] < cell_before - 100  # the partners moved left
    assert abs(row_header.bounding_box()["x"] - left_before) < 2  # the work package did not
