"""The home page's "Waiting for you" panel: loaded after the page, it lists the demo
coordinator's expenditure to approve and value to review, and its links lead there."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from sinergi.core.management.commands.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture
def demo(transactional_db) -> None:
    call_command("demo", quiet=True)


def sign_in(page, username: str) -> None:
    page.goto("/en/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_the_home_page_shows_what_waits_and_leads_to_it(demo, page):
    sign_in(page, "sari")
    page.goto("/en/")
    panel = page.locator("section[aria-labelledby=waiting-heading]")
    approval = panel.get_by_role("link", name="1 expenditure awaits your approval")
    expect(approval).to_be_visible()
    expect(panel.get_by_role("link", name="1 submitted value awaits your review")).to_be_visible()
    expect(panel.get_by_role("heading", level=3)).to_have_text(
        ["Every Child Immunised — Indonesia"]
    )
    approval.click()
    expect(page).to_have_url(
        "/en/partnerships/immunisation-indonesia/finance/transactions/?status=pending"
    )
    expect(page.locator("tbody tr")).to_have_count(1)


def test_in_indonesian_with_nothing_waiting_it_says_so(demo, page):
    sign_in(page, "ani")
    page.goto("/id/")
    panel = page.locator("section[aria-labelledby=waiting-heading]")
    expect(panel.get_by_role("heading", level=2)).to_have_text("Menunggu Anda")
    expect(panel).to_contain_text("Tidak ada yang menunggu Anda.")
