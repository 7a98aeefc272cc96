"""Template filters for amounts and rates: `{{ tx.amount|money:tx.currency }}`."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_decimal
from django import template

from sinergi.finance.money import _locale, format_money

register = template.Library()


@register.filter
def money(amount: Decimal | None, currency: str) -> str:
    """The amount in `currency`, formatted for the active language."""
    return format_money(amount, currency)


@register.filter
def rate(value: Decimal | None) -> str:
    """An exchange rate with every significant digit, formatted for the active language."""
    if value is None:
        return ""
    text = format(Decimal(value).normalize(), "f")
    return format_decimal(Decimal(text), locale=_locale(), decimal_quantization=False)


@register.filter
def percent(value: Decimal | None) -> str:
    if value is None:
        return "—"
    return format_decimal(value, format="#,##0.#", locale=_locale()) + "%"
