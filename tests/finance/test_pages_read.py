"""Finance pages for readers: every page renders, private finance stays hidden from
outsiders, observers read without forms, and the lists take a bounded number of queries."""

from __future__ import annotations

import base64
import hashlib
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from sinergi.core import stored
from sinergi.finance import services
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

PAGES = [
    ("finance-overview", {}),
    ("finance-transactions", {}),
    ("finance-pledges", {}),
    ("finance-budget", {}),
    ("finance-rates", {}),
    ("finance-approval-rule", {}),
    ("finance-export-csv", {}),
    ("finance-export-xlsx", {}),
]
FORMS = [
    "finance-transaction-new",
    "finance-pledge-new",
    "finance-budget-new",
]


def url(funded, name: str, **kwargs) -> str:
    return reverse(name, kwargs={"slug": funded.partnership.slug, **kwargs})


def record_some(funded):
    """A pledge, incoming USD funds against it, and an expenditure."""
    pledge = services.record_pledge(
        actor=funded.funder_admin,
        partnership=funded.partnership,
        organisation=funded.funder,
        amount="20000",
        currency="USD",
        pledged_on=date(2026, 1, 10),
        period_start=date(2026, 1, 1),
        period_end=date(2026, 6, 30),
    )
    incoming = services.record_transaction(
        actor=funded.ngo_admin,
        partnership=funded.partnership,
        transaction_type="1",
        amount="10000.00",
        currency="USD",
        value_date=date(2026, 3, 15),
        provider_organisation=funded.funder,
        provider_activity_id="XM-DAC-1-FUND",
        receiver_organisation=funded.ngo,
        budget_line=funded.line,
        pledge=pledge,
    )
    spent = services.record_transaction(
        actor=funded.ngo_admin,
        partnership=funded.partnership,
        transaction_type="4",
        amount="50000000",
        currency="IDR",
        value_date=date(2026, 4, 2),
        provider_organisation=funded.ngo,
        receiver_name="PT Dingin Sejahtera",
        budget_line=funded.line,
        description="Refrigerators",
    )
    return pledge, incoming, spent


def test_given_finance_when_a_coordinator_opens_each_page_then_it_renders_under_the_tab(funded):
    _pledge, incoming, _spent = record_some(funded)
    client = client_for(funded.coordinator)
    for name, kwargs in PAGES[:6]:
        response = client.get(url(funded, name, **kwargs))
        assert response.status_code == 200, name
        html = response.text
        assert 'aria-current="page">Finance</a>' in html, name
    detail = client.get(url(funded, "finance-transaction", pk=incoming.pk))
    assert detail.status_code == 200
    assert "$10,000.00" in detail.text and "IDR158,000,000" in detail.text
    assert "XM-DAC-1-FUND" in detail.text
    for name in FORMS:
        assert client.get(url(funded, name)).status_code == 200, name


@pytest.mark.parametrize("who", ["anonymous", "outsider"])
def test_given_a_private_partnership_when_an_outsider_asks_for_any_finance_page_then_404(
    funded, who
):
    pledge, incoming, _spent = record_some(funded)
    document = services.attach_document(
        actor=funded.ngo_admin,
        transaction=incoming,
        uploaded_file=_upload(b"%PDF-1.4 receipt"),
    )
    client = Client() if who == "anonymous" else client_for(funded.outsider)
    names = [url(funded, name, **kwargs) for name, kwargs in PAGES]
    names += [url(funded, name) for name in FORMS]
    names += [
        url(funded, "finance-transaction", pk=incoming.pk),
        url(funded, "finance-transaction-correct", pk=incoming.pk),
        url(funded, "finance-document", pk=document.pk),
    ]
    for address in names:
        assert client.get(address).status_code == 404, address
    posts = [
        url(funded, "finance-transaction-reverse", pk=incoming.pk),
        url(funded, "finance-transaction-decide", pk=incoming.pk),
        url(funded, "finance-transaction-attach", pk=incoming.pk),
        url(funded, "finance-pledge-status", pk=pledge.pk),
        url(funded, "finance-rates"),
        url(funded, "finance-rates-import"),
        url(funded, "finance-approval-rule"),
    ]
    for address in posts:
        assert client.post(address, {}).status_code == 404, address


def _upload(content: bytes, name: str = "receipt.pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="application/pdf")


def test_given_an_observer_when_reading_then_figures_show_but_no_form_or_action_does(funded):
    _pledge, incoming, _spent = record_some(funded)
    client = client_for(funded.observer)
    for name, kwargs in PAGES[:6]:
        html = client.get(url(funded, name, **kwargs)).text
        assert '<form method="post"' not in html, name
        assert "Record a transaction" not in html and "Record a pledge" not in html
        assert "Add a budget line" not in html
    html = client.get(url(funded, "finance-transaction", pk=incoming.pk)).text
    assert '<form method="post"' not in html
    assert "Correct this transaction" not in html
    for name in FORMS:
        assert client.get(url(funded, name)).status_code == 403, name
    response = client.post(
        url(funded, "finance-transaction-reverse", pk=incoming.pk), {"reverse-reason": "x"}
    )
    assert response.status_code == 403
    assert client.get(url(funded, "finance-export-csv")).status_code == 200


def test_given_a_public_partnership_when_anonymous_reads_then_hashes_show_but_not_documents(
    public_funded,
):
    _pledge, incoming, _spent = record_some(public_funded)
    document = services.attach_document(
        actor=public_funded.ngo_admin,
        transaction=incoming,
        uploaded_file=_upload(b"%PDF-1.4 receipt"),
    )
    client = Client()
    html = client.get(url(public_funded, "finance-transaction", pk=incoming.pk)).text
    assert document.sha256 in html
    assert "receipt.pdf" not in html
    # Signed out: not the file, but the way to sign in (and back) where a role may allow it.
    refused = client.get(url(public_funded, "finance-document", pk=document.pk))
    assert refused.status_code == 302
    assert refused["Location"].startswith("/en/accounts/login/?next=")
    assert b"PDF" not in refused.content
    member = client_for(public_funded.observer)
    response = member.get(url(public_funded, "finance-document", pk=document.pk))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 receipt"
    digest = base64.b64encode(hashlib.sha256(b"%PDF-1.4 receipt").digest()).decode()
    assert response["Repr-Digest"] == f"sha-256=:{digest}:"
    assert response["Content-Type"] == "application/octet-stream"


def test_the_transaction_list_shows_own_and_base_currency_with_rate_and_date(funded):
    _pledge, incoming, _spent = record_some(funded)
    html = client_for(funded.observer).get(url(funded, "finance-transactions")).text
    row = html.split(f'id="tx-{incoming.pk}"')[1].split("</tr>")[0]
    assert "$10,000.00" in row and "IDR158,000,000" in row
    assert "15,800" in row and "2026-01-01" in row
    assert "Yayasan Dana Sehat" in row and "XM-DAC-1-FUND" in row
    assert "2 transactions" in html


def test_filters_narrow_the_list_and_carry_into_pagination_and_exports(funded):
    _pledge, incoming, spent = record_some(funded)
    client = client_for(funded.observer)
    html = client.get(url(funded, "finance-transactions") + "?type=4").text
    assert f'id="tx-{spent.pk}"' in html and f'id="tx-{incoming.pk}"' not in html
    assert "export.csv?type=4" in html
    html = client.get(
        url(funded, "finance-transactions") + f"?partner={funded.funder.pk}&date_to=2026-03-31"
    ).text
    assert f'id="tx-{incoming.pk}"' in html and f'id="tx-{spent.pk}"' not in html
    html = client.get(url(funded, "finance-transactions") + "?line=0").text
    assert "No transactions." in html
    # A bad filter value is an inline error, not a 500; the rest still applies.
    response = client.get(url(funded, "finance-transactions") + "?date_from=yesterday&type=1")
    assert response.status_code == 200
    assert f'id="tx-{incoming.pk}"' in response.text and "Enter a valid date" in response.text
    response = client.get(url(funded, "finance-transactions") + "?partner=99999999999999999999")
    assert response.status_code == 200


def test_the_correction_chain_shows_original_reversal_and_replacement(funded):
    _pledge, incoming, _spent = record_some(funded)
    reversal, replacement = services.correct_transaction(
        actor=funded.ngo_admin,
        transaction=incoming,
        reason="Wrong amount on the bank slip",
        amount="12000.00",
    )
    client = client_for(funded.observer)
    for pk in (incoming.pk, reversal.pk, replacement.pk):
        html = client.get(url(funded, "finance-transaction", pk=pk)).text
        chain = html.split('id="correction-chain"')[1].split("</ol>")[0]
        roles = [part.split('"')[0] for part in chain.split('data-role="')[1:]]
        assert roles == ["original", "reversal", "replacement"]
        assert "Wrong amount on the bank slip" in chain
        assert f"#{reversal.ledger_index}" in chain
    html = client.get(url(funded, "finance-transactions")).text
    assert f"reversed by #{reversal.pk}" in html
    assert f"reverses #{incoming.pk}" in html and f"replaces #{incoming.pk}" in html


def test_the_overview_takes_a_bounded_number_of_queries_whatever_the_rows(
    funded, django_assert_max_num_queries
):
    record_some(funded)
    client = client_for(funded.observer)
    client.get(url(funded, "finance-overview"))
    stored.clear()  # measure the figures being computed, not read back
    with django_assert_max_num_queries(10) as few:
        client.get(url(funded, "finance-overview"))
    rows = [
        {
            "transaction_type": "4",
            "amount": str(1000 + n),
            "currency": "IDR",
            "value_date": date(2026, 1 + n % 11, 1 + n % 28),
            "provider_organisation": funded.ngo,
            "receiver_name": f"Supplier {n}",
            "budget_line": funded.line if n % 2 else None,
        }
        for n in range(120)
    ]
    services.record_transactions(actor=funded.ngo_admin, partnership=funded.partnership, rows=rows)
    stored.clear()
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url(funded, "finance-overview"))
    assert response.status_code == 200


def test_the_transaction_list_takes_a_bounded_number_of_queries_for_many_rows(
    funded, django_assert_max_num_queries
):
    record_some(funded)
    client = client_for(funded.coordinator)
    client.get(url(funded, "finance-transactions"))
    with django_assert_max_num_queries(10) as few:
        client.get(url(funded, "finance-transactions"))
    rows = [
        {
            "transaction_type": "1",
            "amount": f"{100 + n}.50",
            "currency": "USD",
            "value_date": date(2026, 2, 1 + n % 28),
            "provider_organisation": funded.funder if n % 2 else None,
            "provider_name": "" if n % 2 else f"Donor {n}",
            "receiver_organisation": funded.ngo,
            "budget_line": funded.line,
        }
        for n in range(80)
    ]
    services.record_transactions(actor=funded.ngo_admin, partnership=funded.partnership, rows=rows)
    stored.clear()
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url(funded, "finance-transactions"))
    assert response.text.count('<tr id="tx-') == 50
    assert "Page 1 of 2" in response.text
    page_two = client.get(url(funded, "finance-transactions") + "?page=2")
    assert page_two.text.count('<tr id="tx-') == 32


def test_the_pages_render_in_indonesian_with_amounts_formatted_for_it(funded):
    _pledge, incoming, _spent = record_some(funded)
    client = client_for(funded.observer)
    for name, kwargs in PAGES[:6]:
        address = url(funded, name, **kwargs).replace("/en/", "/id/", 1)
        response = client.get(address)
        assert response.status_code == 200, name
    html = client.get(url(funded, "finance-overview").replace("/en/", "/id/", 1)).text
    assert "Rp158.000.000" in html
    address = url(funded, "finance-transaction", pk=incoming.pk).replace("/en/", "/id/", 1)
    assert "15.800" in client.get(address).text


def test_the_overview_is_reused_until_the_next_write_and_then_fresh(
    funded, django_assert_max_num_queries
):
    record_some(funded)
    client = client_for(funded.observer)

    def figures(response) -> str:
        return response.text.split('id="gap-heading"', 1)[1].split("</main>", 1)[0]

    first = figures(client.get(url(funded, "finance-overview")))
    # Given figures computed once, a second reader gets them without recomputing …
    with django_assert_max_num_queries(5):
        assert figures(client.get(url(funded, "finance-overview"))) == first
    # … and when a write commits, the very next read shows it.
    services.record_transaction(
        actor=funded.ngo_admin,
        partnership=funded.partnership,
        transaction_type="4",
        amount="7000000",
        currency="IDR",
        value_date=date.today(),
        provider_organisation=funded.ngo,
        receiver_name="Toko Alat Tulis",
    )
    after = figures(client.get(url(funded, "finance-overview")))
    assert after != first
    with translation.override("id"):
        indonesian = figures(client.get(url(funded, "finance-overview").replace("/en/", "/id/")))
    assert "Anggaran" in indonesian and "Rp" in indonesian
