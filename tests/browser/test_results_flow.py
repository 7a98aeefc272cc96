"""A partner reports with the results spreadsheet and a coordinator approves, in a real
browser: the indicator's chart and the SDG portfolio change as soon as it is approved.

Debian's Chromium via Playwright, against a live server and a real database; the
template is filled in with openpyxl, as a field team's spreadsheet program would.
"""

from __future__ import annotations

import json
import re

import pytest

from sinergi.results.models import Status, Submission
from tests.factories import PASSWORD
from tests.results.conftest import build_monitored
from tests.results.spreadsheet_helpers import fill

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture
def monitored_live(transactional_db):
    return build_monitored("private")


def field(scope, label: str):
    return scope.get_by_label(re.compile(rf"^{re.escape(label)}:?$"))


def sign_in(page, username: str) -> None:
    page.goto("/en/accounts/login/")
    field(page, "Username").fill(username)
    field(page, "Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def chart_data(page) -> list[list[float | None]]:
    """The datasets of the Chart.js chart drawn on the page (in the browser)."""
    page.wait_for_function("window.Chart && Object.keys(Chart.instances).length > 0")
    return page.evaluate("Object.values(Chart.instances)[0].data.datasets.map(d => d.data)")


def goal_row(page, goal: str):
    return page.locator("table.list tbody tr", has=page.locator(f"a[href$='/goals/{goal}/']"))


def test_a_filled_template_uploaded_and_approved_moves_the_chart_and_the_sdg_rollup(
    monitored_live, page, tmp_path
):
    m = monitored_live
    slug = m.partnership.slug
    indicator_url = f"/en/partnerships/{slug}/results/indicators/{m.coverage.pk}/"

    # Given the coordinator's view before anything is reported: no actual for 2025-Q1 and
    # goal 3 with no indicator on track.
    sign_in(page, m.coordinator_2.username)
    page.goto(indicator_url)
    before = chart_data(page)
    labels = json.loads(page.locator("#series-data").text_content())["labels"]
    q1 = labels.index("2025-Q1")
    assert before[0][q1] is None and before[1][q1] == 75
    page.goto("/en/results/")
    expect(goal_row(page, "3").locator("td").nth(2)).to_have_text("0")
    portfolio_before = chart_data(page)
    page.get_by_role("button", name="Sign out").click()

    # When the health partner's admin downloads the template for 2025-Q1 …
    sign_in(page, m.health_admin.username)
    page.goto(f"/en/partnerships/{slug}/results/spreadsheet/")
    download_form = page.locator("#template-form")
    field(download_form, "Reporting period").select_option("2025-Q1")
    with page.expect_download() as info:
        download_form.get_by_role("button", name="Download the template (Excel)").click()
    body = info.value.path().read_bytes()

    # … fills it in offline …
    filled = fill(
        body,
        {("2.1", ""): 76, ("2.1", "sex:female"): 77, ("2.1", "sex:male"): 75},
        {"2.1": "Catch-up campaign in Bandung"},
    )
    path = tmp_path / "coverage-2025-Q1.xlsx"
    path.write_bytes(filled.getvalue())

    # … uploads it, sees the preview and submits it for review.
    upload_form = page.locator("#upload-form")
    field(upload_form, "Reporting period").select_option("2025-Q1")
    upload_form.locator("input[type=file]").set_input_files(str(path))
    upload_form.get_by_label("Submit for review").check()
    upload_form.get_by_role("button", name="Check the file").click()
    expect(page.get_by_test_id("spreadsheet-summary")).to_contain_text("No errors")
    expect(page.locator("#spreadsheet-summary-table tr[data-kind=new] td")).to_have_text("1")
    page.get_by_role("button", name="Save 1 value").click()
    expect(page.get_by_text("1 value from coverage-2025-Q1.xlsx was submitted")).to_be_visible()
    submission = Submission.objects.get(indicator=m.coverage)
    assert submission.status == Status.SUBMITTED
    page.get_by_role("button", name="Sign out").click()

    # When the other coordinator approves it in the review queue …
    sign_in(page, m.coordinator_2.username)
    page.goto(f"/en/partnerships/{slug}/results/review/")
    item = page.locator(f"#review-{submission.pk}")
    expect(item).to_contain_text("Catch-up campaign in Bandung")
    item.get_by_role("button", name="Approve").click()
    expect(page.locator(f"#review-{submission.pk}[role=status]")).to_be_visible()
    submission.refresh_from_db()
    assert submission.status == Status.APPROVED and submission.is_current

    # … then the indicator's chart shows the value at once …
    page.goto(indicator_url)
    after = chart_data(page)
    assert after[0][q1] == 76 and after[1][q1] == 75

    # … and the SDG roll-up counts the indicator as on track (under each SDG target of
    # its result and the results above it).
    page.goto("/en/results/")
    expect(goal_row(page, "3").locator("td").nth(2)).to_have_text(re.compile(r"^[1-9]"))
    assert chart_data(page) != portfolio_before
