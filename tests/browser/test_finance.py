"""A partner records a pledge and a coordinator approves an expenditure, in a real browser.

The funding-gap chart follows each step and the partnership's ledger page shows both
entries (Debian's Chromium via Playwright, against a live server and a real database).
"""

from __future__ import annotations

import re
from datetime import date

import pytest

from sinergi.finance import services
from sinergi.finance.models import Pledge, Transaction, TransactionStatus
from tests.factories import (
    PASSWORD,
    MembershipFactory,
    OrganisationFactory,
    ParticipationFactory,
    PartnershipFactory,
    PersonFactory,
)

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture
def books(transactional_db):
    """A private partnership with a budget, an approval rule and one expenditure waiting."""
    partnership = PartnershipFactory(
        title="Every Child Immunised", slug="immunisation", visibility="private"
    )
    kemenkes = OrganisationFactory(name="Kementerian Kesehatan", slug="kemenkes")
    gavi = OrganisationFactory(name="Gavi, the Vaccine Alliance", slug="gavi")
    ParticipationFactory(partnership=partnership, organisation=kemenkes, role="2")
    ParticipationFactory(partnership=partnership, organisation=gavi, role="1")
    sari = PersonFactory(
        username="sari", first_name="Sari", last_name="Wulandari", organisation=kemenkes
    )
    MembershipFactory(partnership=partnership, person=sari, role="coordinator")
    maria = PersonFactory(username="maria", organisation=gavi)
    MembershipFactory(partnership=partnership, person=maria, role="partner_admin")
    tono = PersonFactory(username="tono", organisation=kemenkes)
    MembershipFactory(partnership=partnership, person=tono, role="partner_admin")
    services.create_budget_line(
        actor=sari,
        partnership=partnership,
        title="Cold-chain equipment",
        amount="1000000000",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
    )
    services.set_approval_rule(
        actor=sari, partnership=partnership, threshold="10000000", required=1
    )
    services.record_transaction(
        actor=tono,
        partnership=partnership,
        transaction_type="4",
        amount="50000000",
        currency="IDR",
        value_date=date(2026, 4, 2),
        provider_organisation=kemenkes,
        receiver_name="PT Dingin Sejahtera",
        description="Solar refrigerators for Puskesmas Jayapura",
    )
    return partnership


def field(scope, label: str):
    return scope.get_by_label(re.compile(rf"^{re.escape(label)}:?$"))


def sign_in(page, username: str) -> None:
    page.goto("/en/accounts/login/")
    field(page, "Username").fill(username)
    field(page, "Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def bar(page, series_label: str):
    """The funding-gap chart's bar for one figure (its group's only bar, in order)."""
    labels = ["Budget", "Committed", "Received", "Spent"]
    return page.locator("#funding-gap-chart g.bar").nth(labels.index(series_label))


def test_a_pledge_and_an_approval_move_the_funding_gap_chart_and_reach_the_ledger(books, page):
    # Given the partner admin of Gavi on the finance overview: nothing committed yet.
    sign_in(page, "maria")
    page.goto("/en/partnerships/immunisation/finance/")
    expect(page.get_by_test_id("finance-committed")).to_have_text("IDR0")
    expect(bar(page, "Committed")).to_have_attribute("data-amount", re.compile(r"^0(\.0+)?$"))

    # When she records Gavi's cash pledge and marks it committed …
    page.get_by_role("link", name="Pledges").first.click()
    page.get_by_role("link", name="Record a pledge").click()
    field(page, "Partner").select_option(label="Gavi, the Vaccine Alliance")
    field(page, "Amount").fill("400000000")
    field(page, "Currency").fill("IDR")
    field(page, "Pledged on").fill("2026-01-15")
    field(page, "Period start").fill("2026-01-01")
    field(page, "Due by").fill("2026-06-30")
    page.get_by_role("button", name="Record").click()
    expect(page.get_by_text("The pledge is recorded.")).to_be_visible()
    # The message the next page carries takes the focus, so a screen reader reads it.
    expect(page.locator("ul.messages")).to_be_focused()
    pledge = Pledge.objects.get(partnership=books)
    card = page.locator(f"#pledge-{pledge.pk}")
    card.get_by_text("Change the status").first.click()
    field(card, "New status").select_option("committed")
    card.get_by_role("button", name="Change the status").click()
    expect(page.get_by_text("The pledge's status is changed.")).to_be_visible()

    # … then the funding gap shrinks by the pledge and the committed bar grows.
    page.goto("/en/partnerships/immunisation/finance/")
    expect(page.get_by_test_id("finance-committed")).to_have_text("IDR400,000,000")
    expect(page.get_by_test_id("finance-gap")).to_have_text("IDR600,000,000")
    expect(bar(page, "Committed")).to_have_attribute("data-amount", re.compile(r"^400000000"))
    expect(bar(page, "Spent")).to_have_attribute("data-amount", re.compile(r"^0(\.0+)?$"))
    page.get_by_role("button", name="Sign out").click()

    # When the coordinator approves the expenditure awaiting approval …
    sign_in(page, "sari")
    page.goto("/en/partnerships/immunisation/finance/")
    page.get_by_test_id("finance-pending").get_by_role("link").click()
    page.get_by_role("link", name=re.compile(r"2026-04-02")).first.click()
    decide = page.locator("#decide-form")
    decide.get_by_label("Approve").check()
    field(decide, "Reason").fill("Quotation checked")
    decide.get_by_role("button", name="Record my decision").click()
    expect(page.get_by_text("Your decision is recorded.")).to_be_visible()
    expect(page.locator("#approvals")).to_contain_text("Quotation checked")
    expenditure = Transaction.objects.get(partnership=books, transaction_type="4")
    assert expenditure.status == TransactionStatus.APPROVED

    # … then it counts as spent in the chart …
    page.goto("/en/partnerships/immunisation/finance/")
    expect(page.get_by_test_id("finance-spent")).to_have_text("IDR50,000,000")
    expect(bar(page, "Spent")).to_have_attribute("data-amount", re.compile(r"^50000000"))
    expect(page.get_by_test_id("finance-pending")).to_contain_text("none")

    # … and the ledger page shows the pledge and the approval.
    page.get_by_role("navigation", name="Partnership").get_by_role("link", name="Ledger").click()
    ledger = page.locator("table.list")
    expect(ledger.get_by_text("finance.pledge.recorded")).to_be_visible()
    expect(ledger.get_by_text("finance.expenditure.approved")).to_be_visible()
    approved_row = ledger.locator("tr", has_text="finance.expenditure.approved")
    expect(approved_row).to_contain_text("Sari Wulandari (Kementerian Kesehatan)")
    expect(approved_row).to_contain_text("Quotation checked")


def test_a_form_that_posts_is_sent_once_however_often_it_is_clicked(books, page):
    """Given the pledge form, when it is submitted a second time while the first is on its
    way (a double click, Enter pressed twice), then the second submission is held back —
    the same pledge would otherwise be recorded, and logged, twice — and an HTMX form is
    left to HTMX."""
    sign_in(page, "maria")
    page.goto("/en/partnerships/immunisation/finance/pledges/new/")
    outcome = page.evaluate(
        """() => {
            const form = document.querySelector("main form[method=post]:not([hx-post])");
            const send = () => {
                const event = new SubmitEvent("submit", {bubbles: true, cancelable: true});
                form.dispatchEvent(event);
                return event.defaultPrevented;
            };
            return {first: send(), second: send(), busy: form.getAttribute("aria-busy")};
        }"""
    )
    assert outcome == {"first": False, "second": True, "busy": "true"}
