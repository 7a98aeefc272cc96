"""Amounts typed on the finance pages mean what the page's language means by them.

On an Indonesian page 1.500 is fifteen hundred: before, it was stored as 1.50 — a wrong
amount on an append-only ledger. Ambiguous input is refused inline, nothing stored.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.utils import translation

from sinergi.finance.models import BudgetLine, Transaction
from sinergi.ledger.models import Entry
from tests.conftest import client_for
from tests.finance.test_pages_forms import field_error, record_incoming, tx_data
from tests.finance.test_pages_read import url

pytestmark = pytest.mark.django_db


def in_language(language: str, funded, name: str, **kwargs) -> str:
    with translation.override(language):
        return url(funded, name, **kwargs)


@pytest.mark.parametrize(
    ("language", "typed", "stored"),
    [
        ("id", "1.500", Decimal("1500")),
        ("id", "1.000,50", Decimal("1000.50")),
        ("id", "2500,75", Decimal("2500.75")),
        ("en", "1,500", Decimal("1500")),
        ("en", "1.5", Decimal("1.50")),
    ],
)
def test_an_amount_is_recorded_as_the_page_s_language_writes_it(funded, language, typed, stored):
    address = in_language(language, funded, "finance-transaction-new")

    response = client_for(funded.ngo_admin).post(address, tx_data(funded, amount=typed))

    assert response.status_code == 302, response.content[:300]
    assert Transaction.objects.get().amount == stored


@pytest.mark.parametrize(
    ("language", "typed", "hint"),
    [
        ("id", "1.5", "1.500,25"),
        ("id", "1500.50", "1.500,25"),
        ("id", "1,500", "1,5000"),  # fifteen hundred to a reader used to English
        ("en", "1,5", "1,500.25"),
    ],
)
def test_an_ambiguous_amount_is_refused_inline_with_an_example(funded, language, typed, hint):
    before = Entry.objects.count()
    address = in_language(language, funded, "finance-transaction-new")

    response = client_for(funded.ngo_admin).post(address, tx_data(funded, amount=typed))

    assert response.status_code == 422
    assert hint in field_error(response.text, "amount")
    assert f'value="{typed}"' in response.text  # what was typed stays in the field
    assert not Transaction.objects.exists() and Entry.objects.count() == before


def test_an_indonesian_correction_form_shows_the_amount_the_indonesian_way(funded):
    """Given a transaction of 10000 USD corrected to 10.000,5 on an Indonesian page, then
    the form showed 10000 and the replacement is 10000.50; sent back unchanged, the form
    says nothing changed (the amount it showed reads as the same amount)."""
    tx = Transaction.objects.get(pk=record_incoming(funded).pk)
    address = in_language("id", funded, "finance-transaction-correct", pk=tx.pk)
    client = client_for(funded.ngo_admin)
    shown = re.search(r'<input[^>]*name="amount"[^>]*value="([^"]*)"', client.get(address).text)
    assert shown.group(1) == "10000"
    unchanged = {
        **tx_data(funded, budget_line="", description="", amount=shown.group(1)),
        "reason": "Salah ketik",
    }

    refused = client.post(address, unchanged)
    assert refused.status_code == 422
    assert "Tidak ada yang diubah." in refused.text  # "Nothing was changed."
    response = client.post(address, {**unchanged, "amount": "10.000,5"})

    assert response.status_code == 302
    assert Transaction.objects.get(corrects=tx).amount == Decimal("10000.50")


def test_a_budget_line_revised_on_an_indonesian_page_shows_and_keeps_its_decimals(funded):
    line = BudgetLine.objects.get(pk=funded.line.pk)
    line.amount = Decimal("1250.50")
    line.save(update_fields=["amount"])
    address = in_language("id", funded, "finance-budget-revise", pk=line.pk)

    form = client_for(funded.coordinator).get(address).text

    assert 'value="1250,5"' in form


def test_a_refused_form_says_so_at_its_top_and_focuses_the_first_wrong_field(funded):
    """Given a transaction with an unreadable amount, then the form opens with a summary
    that nothing was saved, linking to the amount, and the amount input has the focus (so
    a phone scrolls to it), in the page's language."""
    address = in_language("id", funded, "finance-transaction-new")

    response = client_for(funded.ngo_admin).post(address, tx_data(funded, amount="1.5"))

    html = response.text
    assert response.status_code == 422
    summary = html.split('class="form-errors"')[1].split("</div>")[0]
    assert "Tidak ada yang disimpan. Periksa:" in summary
    assert '<a href="#id_amount">' in summary
    amount_input = re.search(r'<input[^>]*name="amount"[^>]*>', html).group(0)
    assert "autofocus" in amount_input
    assert html.count("autofocus") == 1
