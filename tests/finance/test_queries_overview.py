"""The overview's figures for a hand-built partnership: funding gap, fulfilment on time
or late, burn rate, spending by line and partner, cash and in kind apart and together."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from sinergi.finance import queries, rollups, services
from sinergi.finance.models import Pledge, PledgeStatus
from tests.conftest import client_for
from tests.finance.test_pages_read import url

pytestmark = pytest.mark.django_db

TODAY = date(2026, 8, 15)
M = Decimal(1_000_000)


def pledge(funded, actor, organisation, amount, start, end, **more):
    return services.record_pledge(
        actor=actor,
        partnership=funded.partnership,
        organisation=organisation,
        amount=amount,
        currency=more.pop("currency", "IDR"),
        pledged_on=more.pop("pledged_on", date(2026, 1, 5)),
        period_start=start,
        period_end=end,
        **more,
    )


def tx(funded, actor, **fields):
    fields.setdefault("currency", "IDR")
    return services.record_transaction(actor=actor, partnership=funded.partnership, **fields)


def build(funded):
    """The example of docs/finance/pages.md, in IDR with USD at 15,800."""
    f = funded
    second_line = services.create_budget_line(
        actor=f.coordinator,
        partnership=f.partnership,
        title="Training",
        amount="500000000",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
    )
    services.set_approval_rule(
        actor=f.coordinator, partnership=f.partnership, threshold="100000000", required=1
    )
    # Funder: USD 20,000 due by March, delivered in full on 15 March (on time).
    on_time = pledge(
        f,
        f.funder_admin,
        f.funder,
        "20000",
        date(2026, 1, 1),
        date(2026, 3, 31),
        currency="USD",
        pledged_on=date(2026, 1, 10),
    )
    tx(
        f,
        f.ngo_admin,
        transaction_type="1",
        amount="20000",
        currency="USD",
        value_date=date(2026, 3, 15),
        provider_organisation=f.funder,
        receiver_organisation=f.ngo,
        pledge=on_time,
    )
    # Funder again: 50 M committed, due in December (not due yet).
    open_pledge = pledge(
        f, f.funder_admin, f.funder, "50000000", date(2026, 7, 1), date(2026, 12, 31)
    )
    services.change_pledge_status(actor=f.funder_admin, pledge=open_pledge, status="committed")
    # Company: 100 M due by February, delivered on 10 April (late).
    late = pledge(f, f.company_admin, f.company, "100000000", date(2026, 1, 1), date(2026, 2, 28))
    tx(
        f,
        f.ngo_admin,
        transaction_type="1",
        amount="100000000",
        value_date=date(2026, 4, 10),
        provider_organisation=f.company,
        receiver_organisation=f.ngo,
        pledge=late,
    )
    # Company: goods worth 5 M, no pledge; and a cancelled pledge that counts nowhere.
    tx(
        f,
        f.ngo_admin,
        transaction_type="1",
        kind="goods",
        amount="5000000",
        value_date=date(2026, 5, 2),
        provider_organisation=f.company,
        receiver_organisation=f.ngo,
    )
    cancelled = pledge(
        f, f.company_admin, f.company, "999000000", date(2026, 1, 1), date(2026, 12, 31)
    )
    services.change_pledge_status(
        actor=f.company_admin, pledge=cancelled, status="cancelled", reason="Board said no"
    )
    # NGO: 120 person-days at 1.5 M, due by June, nothing delivered (late), not committed.
    pledge(
        f,
        f.ngo_admin,
        f.ngo,
        None,
        date(2026, 1, 1),
        date(2026, 6, 30),
        kind="personnel",
        quantity="120",
        unit="person-days",
        unit_rate="1500000",
    )
    # Spending: 50 M (June, cold chain), 30 M by the company (July, no line), 10 M
    # reversed (May), 150 M awaiting approval; 25 M disbursed (August, not spending).
    tx(
        f,
        f.ngo_admin,
        transaction_type="4",
        amount="50000000",
        value_date=date(2026, 6, 2),
        provider_organisation=f.ngo,
        receiver_name="PT Dingin Sejahtera",
        budget_line=f.line,
    )
    tx(
        f,
        f.company_admin,
        transaction_type="4",
        amount="30000000",
        value_date=date(2026, 7, 20),
        provider_organisation=f.company,
        receiver_name="Hotel Santika",
    )
    tx(
        f,
        f.ngo_admin,
        transaction_type="3",
        amount="25000000",
        value_date=date(2026, 8, 1),
        provider_organisation=f.ngo,
        receiver_name="Puskesmas Sleman",
    )
    wrong = tx(
        f,
        f.ngo_admin,
        transaction_type="4",
        amount="10000000",
        value_date=date(2026, 5, 5),
        provider_organisation=f.ngo,
        receiver_name="Typo Supplier",
        budget_line=f.line,
    )
    services.reverse_transaction(actor=f.ngo_admin, transaction=wrong, reason="Recorded twice")
    tx(
        f,
        f.ngo_admin,
        transaction_type="4",
        amount="150000000",
        value_date=date(2026, 8, 3),
        provider_organisation=f.ngo,
        receiver_name="PT Truk Dingin",
        budget_line=second_line,
    )
    return second_line


def test_the_funding_gap_is_the_budget_minus_committed_and_cancelled_pledges_count_nowhere(
    funded,
):
    build(funded)
    figures = queries.overview(funded.partnership, today=TODAY)
    assert figures.budget == 1500 * M
    # 316 M (fulfilled) + 50 M (committed) + 100 M (fulfilled); the NGO's is only pledged.
    assert figures.committed == 466 * M
    assert figures.gap == 1034 * M
    assert figures.pledged == 646 * M
    assert figures.received == 421 * M
    assert figures.spent == 80 * M
    assert figures.disbursed == 25 * M  # passed on, not counted as spent a second time
    assert figures.balance == 336 * M  # cash only: 416 M received, 80 M spent
    assert figures.pending_count == 1 and figures.pending_amount == 150 * M


def test_burn_rate_is_spending_of_the_last_three_months_and_months_left_follow(funded):
    build(funded)
    figures = queries.overview(funded.partnership, today=TODAY)
    assert figures.burn_rate == Decimal("26666666.6667")  # (50 + 30 + 0) / 3
    assert figures.months_left == Decimal("12.6")  # 336 / 26.67
    months = dict(figures.monthly_spending)
    assert len(figures.monthly_spending) == 12
    assert months[date(2026, 5, 1)] == 0  # the reversal cancels May's 10 M
    assert months[date(2026, 8, 1)] == 0  # the pending 150 M does not count
    later = queries.overview(funded.partnership, today=date(2027, 3, 1))
    assert later.burn_rate == 0 and later.months_left is None


def test_fulfilment_per_partner_says_what_was_delivered_on_time_or_late(funded):
    build(funded)
    rows = {
        r.organisation.name: r for r in queries.overview(funded.partnership, today=TODAY).fulfilment
    }
    funder, company, ngo = (
        rows["Yayasan Dana Sehat"],
        rows["PT Tekstil Hijau"],
        rows["Lembaga Vaksin Nusantara"],
    )
    assert (funder.pledged, funder.delivered) == (366 * M, 316 * M)
    assert (funder.on_time, funder.late, funder.open) == (1, 0, 1)
    assert (company.pledged, company.delivered) == (100 * M, 100 * M)
    assert (company.on_time, company.late, company.open) == (0, 1, 0)
    assert (ngo.pledged, ngo.delivered, ngo.late) == (180 * M, 0, 1)
    assert company.share == Decimal("100.0") and ngo.share == Decimal("0.0")
    # Before the NGO's due date its pledge is not late yet.
    early = {
        r.organisation.name: r
        for r in queries.overview(funded.partnership, today=date(2026, 6, 30)).fulfilment
    }
    assert (early["Lembaga Vaksin Nusantara"].late, early["Lembaga Vaksin Nusantara"].open) == (
        0,
        1,
    )


def test_pledge_timing_at_the_edges(funded):
    p = Pledge(period_end=date(2026, 3, 31), status=PledgeStatus.COMMITTED)
    p.delivered_on = date(2026, 3, 31)
    assert queries.pledge_timing(p, TODAY) == "on_time"
    p.delivered_on = date(2026, 4, 1)
    assert queries.pledge_timing(p, TODAY) == "late"
    p.delivered_on = None
    assert queries.pledge_timing(p, date(2026, 3, 31)) == "open"
    assert queries.pledge_timing(p, date(2026, 4, 1)) == "late"
    p.status = PledgeStatus.FULFILLED  # marked fulfilled by hand (in kind)
    assert queries.pledge_timing(p, date(2026, 4, 1)) == "on_time"


def test_cash_and_in_kind_are_shown_apart_and_together(funded):
    build(funded)
    kinds = {k.label: k for k in queries.overview(funded.partnership, today=TODAY).kinds}
    cash, personnel, goods = kinds["Cash"], kinds["Personnel time"], kinds["In-kind goods"]
    in_kind, together = kinds["All in kind"], kinds["Cash and in kind"]
    assert (cash.pledged, cash.committed, cash.received, cash.spent) == (
        466 * M,
        466 * M,
        416 * M,
        80 * M,
    )
    assert (personnel.pledged, personnel.committed) == (180 * M, 0)
    assert goods.received == 5 * M
    assert (in_kind.pledged, in_kind.received) == (180 * M, 5 * M)
    assert (together.pledged, together.committed, together.received, together.spent) == (
        646 * M,
        466 * M,
        421 * M,
        80 * M,
    )
    assert together.is_total and "Network access" not in kinds  # empty kinds left out


def test_spending_by_budget_line_and_by_partner(funded):
    build(funded)
    figures = queries.overview(funded.partnership, today=TODAY)
    assert [(r.label, r.amount) for r in figures.by_line if r.amount] == [
        ("Cold-chain equipment", 50 * M),
        ("No budget line", 30 * M),
    ]
    assert [(r.label, r.amount) for r in figures.by_partner] == [
        ("Lembaga Vaksin Nusantara", 50 * M),
        ("PT Tekstil Hijau", 30 * M),
    ]


def test_budget_against_actual_reads_the_totals_per_line(funded):
    second = build(funded)
    found = queries.budget(funded.partnership)
    rows = {r.line.pk: r for r in found.rows}
    assert rows[funded.line.pk].actual == 50 * M
    assert rows[funded.line.pk].remaining == 950 * M
    assert rows[funded.line.pk].used == Decimal("5.0")
    assert rows[second.pk].actual == 0  # the 150 M awaits approval
    assert found.unassigned == 30 * M and found.actual == 80 * M and found.total == 1500 * M


def test_the_figures_are_the_same_after_the_totals_are_rebuilt(funded):
    build(funded)
    before = queries.overview(funded.partnership, today=TODAY)
    rollups.rebuild(funded.partnership.pk)
    after = queries.overview(funded.partnership, today=TODAY)
    assert (before.received, before.spent, before.burn_rate) == (
        after.received,
        after.spent,
        after.burn_rate,
    )


def test_the_overview_page_shows_the_figures_and_the_chart(funded):
    build(funded)
    html = client_for(funded.observer).get(url(funded, "finance-overview")).text
    assert 'data-testid="finance-committed">IDR466,000,000<' in html
    assert 'data-testid="finance-gap" class="gap-open">IDR1,034,000,000<' in html
    assert '<svg id="funding-gap-chart"' in html and 'role="img"' in html
    assert 'data-amount="466000000' in html
    assert "1 expenditure, IDR150,000,000" in html
    assert 'data-org="' in html and "Board said no" not in html
