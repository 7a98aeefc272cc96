"""The Ledger tab in a real browser, on a desktop and on a phone (Debian's Chromium via
Playwright, against a live server): every entry readable, nothing cut mid-word, no
sideways scrolling."""

from __future__ import annotations

import re
from datetime import date

import pytest

from sinergi.finance import services
from sinergi.ledger import checkpoints
from tests.factories import PASSWORD
from tests.finance.conftest import build_funded, usd_pledge

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def books(transactional_db, settings, tmp_path):
    """A funded partnership with a pledge and a transaction on its ledger, signed with a
    key of this test's own."""
    settings.SINERGI_LEDGER_KEY = str(tmp_path / "ledger.key")
    checkpoints._signer_for.cache_clear()
    funded = build_funded()
    usd_pledge(funded)
    services.record_transaction(
        actor=funded.ngo_admin,
        partnership=funded.partnership,
        transaction_type="4",
        amount="48500000",
        currency="IDR",
        value_date=date(2026, 2, 3),
        provider_organisation=funded.ngo,
        receiver_name="PT Dingin Sejahtera",
        description="Outreach team flights to Jayawijaya and Lanny Jaya, return, for the "
        "second measles-rubella catch-up round",
        budget_line=funded.line,
    )
    checkpoints.issue_checkpoint()
    yield funded
    checkpoints._signer_for.cache_clear()


def sign_in(page, username: str) -> None:
    page.goto("/en/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


LAYOUT = """() => {
  const cells = [...document.querySelectorAll("table.ledger tbody td.details")];
  const styles = [...document.querySelectorAll("table.ledger tbody td")].map(getComputedStyle);
  const box = (cell) => cell.getBoundingClientRect();
  return {
    width: document.documentElement.scrollWidth,
    details: cells.map((cell) => [box(cell).width, box(cell).height]),
    cutting: styles.filter((s) => s.overflowWrap === "anywhere" || s.wordBreak === "break-all")
      .length,
  };
}"""


def test_on_a_phone_each_entry_is_a_card_as_wide_as_the_screen(books, page, tmp_path):
    """Given the coordinator on a 390 px wide phone, then each entry reads as a card: its
    details as wide as the card (not a 78 px column), no page wider than the screen, no
    word cut mid-word; the finance entry's recorded fields open under its one line."""
    page.set_viewport_size(PHONE)
    sign_in(page, books.coordinator.username)

    page.goto(f"/en/partnerships/{books.partnership.slug}/ledger/")

    layout = page.evaluate(LAYOUT)
    page.screenshot(path=str(tmp_path / "ledger-phone.png"), full_page=True)
    assert layout["width"] <= PHONE["width"]
    assert layout["cutting"] == 0
    assert all(width >= 320 for width, _height in layout["details"]), layout
    assert all(height <= 400 for _width, height in layout["details"]), layout
    assert page.locator("table.ledger thead").bounding_box()["height"] <= 1  # for readers only
    spent = page.locator("table.ledger tbody tr", has_text="finance.transaction.recorded")
    expect(spent.get_by_role("cell", name=re.compile(r"^By: \w"))).to_be_visible()
    expect(spent.locator(".summary")).to_have_text(
        "IDR48,500,000, expenditure, value date 3 Feb 2026"
    )
    description = spent.get_by_text(re.compile("^Outreach team flights"))
    expect(description).not_to_be_visible()
    spent.get_by_text("All recorded fields").click()
    expect(description).to_be_visible()
    assert description.bounding_box()["width"] >= 250


def test_on_a_desktop_the_entries_are_a_table(books, page):
    """Given a desktop browser, then the entries are a table with its header, each
    entry's fields listed as label and value."""
    sign_in(page, books.coordinator.username)

    page.goto(f"/en/partnerships/{books.partnership.slug}/ledger/")

    expect(page.locator("table.ledger thead")).to_be_visible()
    layout = page.evaluate(LAYOUT)
    assert layout["width"] <= 1280
    assert layout["cutting"] == 0
    table = page.get_by_role("table", name=re.compile(r"^\d+ entries, newest first$"))
    receipts = table.get_by_role("link", name=re.compile(r"^Download the receipt for entry \d+$"))
    expect(receipts).to_have_count(table.locator("tbody tr").count())
    expect(table.get_by_role("columnheader", name="Log position")).to_be_visible()
    row = page.locator("table.ledger tbody tr", has_text="finance.rate.set")
    expect(row.locator(".summary")).to_have_text("1 USD = 15,800 IDR, the rate of 1 Jan 2026")
