"""Amounts are written as Babel (CLDR) writes them, in English and Bahasa Indonesia."""

from __future__ import annotations

from decimal import Decimal

import pycountry
import pytest
from babel.numbers import format_currency
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from sinergi.finance.money import format_money, quantize

LANGUAGES = [("en", "en"), ("id", "id_ID")]
CURRENCIES = ["IDR", "USD", "EUR", "JPY", "KWD", "CLF", "GBP", "SGD", "MYR", "AUD"]


def babel(amount: Decimal, currency: str, locale: str) -> str:
    return format_currency(quantize(amount, currency), currency, locale=locale)


@pytest.mark.parametrize(("language", "expected"), [("en", "IDR1,234,568"), ("id", "Rp1.234.568")])
def test_rupiah_has_no_decimals_and_the_language_separators(language, expected):
    with translation.override(language):
        assert format_money(Decimal("1234567.5"), "IDR") == expected


def test_dollars_and_negative_amounts():
    with translation.override("id"):
        assert format_money(Decimal("-1234.5"), "USD") == "-US$1.234,50"
    with translation.override("en"):
        assert format_money(Decimal("-1234.5"), "USD") == "-$1,234.50"
        assert format_money(None, "USD") == ""


def test_negative_zero_is_written_as_zero():
    with translation.override("en"):
        assert format_money(Decimal("-0.0001"), "USD") == "$0.00"


@settings(max_examples=200, deadline=None)
@given(
    amount=st.decimals(
        min_value=Decimal("-999999999999999"),
        max_value=Decimal("999999999999999"),
        places=4,
        allow_nan=False,
        allow_infinity=False,
    ),
    currency=st.sampled_from(CURRENCIES),
    language=st.sampled_from(LANGUAGES),
)
def test_the_same_text_as_babel_for_any_amount(amount, currency, language):
    code, locale = language
    if quantize(amount, currency) == 0:
        amount = abs(amount)  # Babel writes "-0.00" for a negative amount that rounds to 0
    with translation.override(code):
        assert format_money(amount, currency) == babel(amount, currency, locale)


@pytest.mark.parametrize(("code", "locale"), LANGUAGES)
def test_the_same_text_as_babel_for_every_iso_4217_currency(code, locale):
    with translation.override(code):
        for currency in pycountry.currencies:
            amount = Decimal("-1234567.891")
            assert format_money(amount, currency.alpha_3) == babel(
                amount, currency.alpha_3, locale
            ), currency.alpha_3
