"""The records a partnership's ledger entries refer to, as its Ledger tab shows them.

The entries sign database ids ("books": 11, "budget_line": 18, "reverses": 34); the tab
names them (the organisation, the budget line's title, the indicator's code and title)
where the reader may see them, looked up once for the page, and numbers the rest as
records ("no. 12", "transaction no. 34") so that none reads as a count or as a position
in the log.
"""

from __future__ import annotations

import html
import re
from datetime import date

import pytest

from sinergi.finance import services as finance
from sinergi.ledger import checkpoints
from tests.conftest import client_for
from tests.core.conftest import compiled_translations  # noqa: F401 - the session fixture
from tests.finance.conftest import build_funded, usd_pledge
from tests.results.conftest import build_monitored

pytestmark = pytest.mark.usefixtures("compiled_translations")


def details(content: str, kind: str) -> list[str]:
    """The details cell of each row of `kind`, unescaped, with its links kept."""
    rows = re.findall(r"<tr[ >].*?</tr>", content, re.S)
    return [
        html.unescape(re.search(r'<td class="details">(.*?)</td>', row, re.S).group(1))
        for row in rows
        if kind.replace(".", ".<wbr>") + "</code>" in row
    ]


def field(cell: str, key: str) -> str:
    """The value shown for the signed field `key` in a details cell, markup kept."""
    found = re.search(rf'<dt title="{key}">[^<]*</dt><dd>(.*?)</dd>', cell, re.S)
    assert found, (key, cell)
    return found.group(1)


@pytest.fixture
def books(ledger):
    """A funded partnership: an approval rule naming two partners, a pledge, a delivery
    of it on the implementing partner's books, an expenditure on a budget line, reversed."""
    f = build_funded()
    finance.set_approval_rule(
        actor=f.coordinator,
        partnership=f.partnership,
        threshold="900000000",
        required=1,
        approver_organisations=[f.funder, f.company],
    )
    pledge = usd_pledge(f)
    delivery = finance.record_transaction(
        actor=f.ngo_admin,
        partnership=f.partnership,
        transaction_type="1",
        amount="20000",
        currency="USD",
        value_date=date(2026, 1, 20),
        provider_organisation=f.funder,
        receiver_organisation=f.ngo,
        pledge=pledge,
    )
    spent = finance.record_transaction(
        actor=f.ngo_admin,
        partnership=f.partnership,
        transaction_type="4",
        amount="48500000",
        currency="IDR",
        value_date=date(2026, 2, 3),
        provider_organisation=f.ngo,
        receiver_name="PT Dingin Sejahtera",
        budget_line=f.line,
    )
    reversal = finance.reverse_transaction(
        actor=f.coordinator, transaction=spent, reason="Digits swapped when typing."
    )
    checkpoints.issue_checkpoint()
    f.pledge, f.delivery, f.spent, f.reversal = pledge, delivery, spent, reversal
    return f


def page(reader, partnership, language="en") -> str:
    return client_for(reader).get(f"/{language}/partnerships/{partnership.slug}/ledger/").text


def test_finance_entries_name_organisations_and_budget_lines_and_link_their_records(books):
    """Given the funded partnership's people, then the organisations finance entries sign
    by id read as names, the budget line by its title (linked to the budget), the pledge
    and the transactions as numbered records linked to their pages, and "reverses" as
    "transaction no. N", never as a bare number that reads like a ledger position."""
    f = books
    slug = f.partnership.slug
    content = page(f.observer, f.partnership)

    (rule,) = details(content, "finance.approval_rule.set")
    assert field(rule, "approvers") == f"{f.funder.name}, {f.company.name}"
    (pledged,) = details(content, "finance.pledge.recorded")
    assert field(pledged, "organisation") == f.funder.name
    assert field(pledged, "pledge") == (
        f'<a href="/en/partnerships/{slug}/finance/pledges/#pledge-{f.pledge.pk}">'
        f"no. {f.pledge.pk}</a>"
    )
    spent, delivered = details(content, "finance.transaction.recorded")  # newest first
    assert field(delivered, "books") == f.ngo.name
    assert field(delivered, "transaction") == (
        f'<a href="/en/partnerships/{slug}/finance/transactions/{f.delivery.pk}/">'
        f"no. {f.delivery.pk}</a>"
    )
    assert field(spent, "budget_line") == (
        f'<a href="/en/partnerships/{slug}/finance/budget/#line-{f.line.pk}">'
        "Cold-chain equipment</a>"
    )
    (reversal,) = details(content, "finance.transaction.reversed")
    assert field(reversal, "reverses") == (
        f'<a href="/en/partnerships/{slug}/finance/transactions/{f.spent.pk}/">'
        f"transaction no. {f.spent.pk}</a>"
    )


def test_record_numbers_read_as_numbers_in_indonesian(books):
    f = books
    content = page(f.coordinator, f.partnership, "id")

    (reversal,) = details(content, "finance.transaction.reversed")
    assert f">transaksi no. {f.spent.pk}</a>" in field(reversal, "reverses")
    (pledged,) = details(content, "finance.pledge.recorded")
    assert f">no. {f.pledge.pk}</a>" in field(pledged, "pledge")


def test_results_entries_name_their_indicator_by_code_and_title(ledger):
    """Given a results framework, then an entry's indicator reads as its code and title,
    linked to the indicator's page, and not as its id."""
    m = build_monitored()
    checkpoints.issue_checkpoint()

    content = page(m.observer, m.partnership)

    targets = details(content, "results.targets.set")
    url = f"/en/partnerships/{m.partnership.slug}/results/indicators"
    assert (
        field(targets[0], "indicator")
        == f'<a href="{url}/{m.trained.pk}/">1.1 Health workers trained</a>'
    )
    assert (
        field(targets[1], "indicator") == f'<a href="{url}/{m.coverage.pk}/">2.1 DTP3 coverage</a>'
    )


def summary_of(cell: str) -> str:
    found = re.match(r'<p class="summary">(.*?)</p><details><summary>', cell, re.S)
    assert found, cell
    return found.group(1)


@pytest.mark.parametrize(
    ("language", "delivery", "pledge", "rule", "rate"),
    [
        (
            "en",
            "$20,000.00 (IDR316,000,000), incoming funds, value date 20 Jan 2026",
            ": $20,000.00 (IDR316,000,000), cash, pledged on 10 Jan 2026",
            "Expenditures above IDR900,000,000 need 1 approval",
            "1 USD = 15,800 IDR, the rate of 1 Jan 2026",
        ),
        (
            "id",
            "US$20.000,00 (Rp316.000.000), dana masuk, tanggal valuta 20 Jan 2026",
            ": US$20.000,00 (Rp316.000.000), tunai, dijanjikan pada 10 Jan 2026",
            "Pengeluaran di atas Rp900.000.000 memerlukan 1 persetujuan",
            "1 USD = 15.800 IDR, kurs tanggal 1 Jan 2026",
        ),
    ],
)
def test_finance_entries_open_with_a_line_that_gives_money_with_its_currency(
    books, language, delivery, pledge, rule, rate
):
    """Given finance entries, then each opens with one line in the reader's language:
    the amount with its currency and, in another currency, its value in the base
    currency, what it was and when; the recorded fields follow, folded away, with every
    amount beside its currency."""
    f = books
    content = page(f.coordinator, f.partnership, language)

    _spent, delivered = details(content, "finance.transaction.recorded")
    assert summary_of(delivered) == delivery
    (pledged,) = details(content, "finance.pledge.recorded")
    assert summary_of(pledged) == f.funder.name + pledge
    (approval_rule,) = details(content, "finance.approval_rule.set")
    assert summary_of(approval_rule) == rule
    (rate_set,) = details(content, "finance.rate.set")
    assert summary_of(rate_set) == rate
    fields = delivered.split("</summary>", 1)[1]
    money = {"en": ("$20,000.00", "IDR316,000,000"), "id": ("US$20.000,00", "Rp316.000.000")}
    assert field(fields, "amount") == money[language][0]
    assert field(fields, "base_amount") == money[language][1]
    assert fields.endswith("</details>")


def test_an_amount_with_more_decimals_than_its_currency_keeps_every_digit():
    from django.utils import translation

    from sinergi.ledger import kinds

    with translation.override("en"):
        assert kinds.money_text("1150000.00", "USD") == "$1,150,000.00"
        assert kinds.money_text("12.3456", "USD") == "USD 12.3456"
        assert kinds.money_text("1" + "0" * 29, "IDR") == "IDR 100" + ",000" * 9
        assert kinds.money_text("12", "usd") is None
        assert kinds.money_text("twelve", "USD") is None


@pytest.fixture
def framework(ledger):
    """A results framework with targets per province and an approved value broken down by
    sex and province; a partner's capabilities, a document and an approval on the log."""
    from django.db import transaction

    from sinergi.ledger import log
    from sinergi.results import services as results
    from tests.results.conftest import approve

    m = build_monitored()
    results.set_targets(
        actor=m.coordinator,
        indicator=m.trained,
        targets={"2025-Q2": "120"},
        by_category={"2025-Q2": {"province:ID-JB": "70.5"}},
    )
    approve(
        m,
        m.trained,
        m.q1,
        "90",
        values={
            "sex:female": "50",
            "sex:male": "40",
            "province:ID-JB": "60",
            "province:ID-JT": "30",
        },
    )
    with transaction.atomic():
        log.append(
            "participation.commitment_changed",
            {"capabilities": [{"id": 1, "kind": "finance"}, {"id": 2, "kind": "technical"}]},
            m.partnership,
            m.coordinator,
        )
        log.append(
            "finance.document.attached",
            {"document": 1, "sha256": "ab" * 32, "size": 2340, "transaction": 1},
            m.partnership,
            m.coordinator,
        )
        log.append(
            "finance.expenditure.approved",
            {"approval": 7, "approvals": 1, "required": 2, "status": "pending"},
            m.partnership,
            m.coordinator,
        )
    checkpoints.issue_checkpoint()
    return m


def labels(cell: str) -> list[str]:
    return re.findall(r"<dt [^>]*>([^<]*)</dt>", cell)


def test_nested_values_read_in_indonesian(framework):
    """Given the Indonesian page, then what entries hold in objects reads in Indonesian:
    a breakdown by its categories' names (Perempuan, Jawa Barat), targets as "period:
    value" and "period, category: value", capabilities by their words; no English field
    name ("period:", "value:", "kind:") is left inside a value."""
    m = framework
    content = page(m.observer, m.partnership, "id")

    (approved,) = details(content, "results.value.approved")
    assert field(approved, "values") == (
        "Jawa Barat: 60; Jawa Tengah: 30; Perempuan: 50; Laki-laki: 40"
    )
    targets = details(content, "results.targets.set")
    assert field(targets[0], "targets") == "2025-Q2: 120; 2025-Q2, Jawa Barat: 70,5"
    created = details(content, "results.indicator.created")
    assert field(created[0], "dimensions") == "Sex, Province"  # as the partners named them
    (committed,) = details(content, "participation.commitment_changed")
    assert field(committed, "capabilities") == "Keuangan (no. 1), Keahlian teknis (no. 2)"
    table = content.split('<table class="list ledger"')[1].split("</table>")[0]
    for english in ("period:", "value:", "kind:", "category:", "id:", "(id"):
        assert english not in table


def test_every_field_has_a_label_and_no_two_read_alike(framework):
    """Given the Indonesian page, then a document's hash is labelled "SHA-256", and an
    expenditure's decision (a record) and the approvals given so far (a count) do not
    share a word."""
    m = framework
    content = page(m.coordinator, m.partnership, "id")

    (document,) = details(content, "finance.document.attached")
    assert '<dt title="sha256">SHA-256</dt>' in document
    (approved,) = details(content, "finance.expenditure.approved")
    assert labels(approved.split("</summary>", 1)[1]) == [
        "Keputusan",
        "Persetujuan diberikan",
        "Diperlukan",
        "Status",
    ]
    assert field(approved, "approval") == "no. 7"


@pytest.mark.parametrize("language", ["en", "id"])
def test_no_two_fields_of_an_area_read_alike(language):
    """Given every field the pages know, then within each kind of entry (finance, need,
    results, …) no two fields that differ in English read alike in the reader's language
    ("Persetujuan" for both the approval and the approvals given; "Jenis" for both the
    resource and the transaction type)."""
    from collections import defaultdict

    from django.utils import translation

    from sinergi.ledger import kinds

    areas = {kind.split(".")[0] for kind in kinds.LABELS}
    for area in sorted(areas):
        english: dict[str, str] = {}
        with translation.override("en"):
            for key in kinds.FIELDS:
                english[key] = kinds.field_label(key, f"{area}.x")
        words: defaultdict[str, set[str]] = defaultdict(set)
        with translation.override(language):
            for key in kinds.FIELDS:
                words[kinds.field_label(key, f"{area}.x")].add(english[key])
        assert {word: meant for word, meant in words.items() if len(meant) > 1} == {}, area


def test_a_link_inside_an_object_stays_a_link_and_its_neighbours_stay_text():
    """An object in a payload may hold a record the page links (a transaction) beside
    text from a partner: the link is markup, the text is escaped."""
    from django.utils.safestring import SafeString

    from sinergi.ledger import kinds

    refs = kinds.References(finance_slug="p")
    shown = kinds.field_value_text(
        "test.event", "thing", {"transaction": 5, "note": "<b>bold</b>"}, refs
    )

    assert isinstance(shown, SafeString)
    assert shown == (
        '(Transaction: <a href="/en/partnerships/p/finance/transactions/5/">no. 5</a>, '
        "Note: &lt;b&gt;bold&lt;/b&gt;)"
    )
