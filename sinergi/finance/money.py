"""Money arithmetic: ISO 4217 minor units, rounding, conversion and formatting.

Amounts are `Decimal` everywhere; nothing here touches a float. Each currency's minor
unit comes from CLDR through Babel (IDR 0 digits in practice, USD 2, KWD 3), rounding is
half-up as accountants expect, and formatting follows the active language (English or
Bahasa Indonesia).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from functools import cache

from babel.numbers import (
    format_currency,
    get_currency_precision,
    get_decimal_symbol,
    get_group_symbol,
)
from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from sinergi.core.geography import validate_currency
from sinergi.core.numbers import plain_decimal

ONE = Decimal(1)
# The largest amount a MONEY field holds (20 digits, 4 after the point).
MAX_AMOUNT = Decimal("9999999999999999")


@cache
def minor_unit(currency: str) -> int:
    """Digits after the decimal point in practice for `currency` (CLDR), e.g. IDR 0."""
    return get_currency_precision(currency)


@cache
def _quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_unit(currency))


def quantize(amount: Decimal, currency: str) -> Decimal:
    """`amount` rounded half-up to the minor unit of `currency`."""
    return amount.quantize(_quantum(currency), rounding=ROUND_HALF_UP)


# Enough digits for the exact product of any amount (20 digits) and rate (24 digits).
EXACT_DIGITS = 50


def convert(amount: Decimal, rate: Decimal, base_currency: str) -> Decimal:
    """`amount` in the base currency at `rate` (base units per unit), rounded once.

    The product is computed exactly: under Python's default 28 digits, a 29-digit product
    (e.g. 16 digits before the point, 3 + 10 after) would be rounded twice.
    """
    with localcontext() as context:
        context.prec = EXACT_DIGITS
        return quantize(amount * rate, base_currency)


def convert_back(base_amount: Decimal, rate: Decimal, currency: str) -> Decimal:
    """`base_amount` back in `currency` at `rate` (base units per unit), rounded once."""
    with localcontext() as context:
        context.prec = EXACT_DIGITS
        return quantize(base_amount / rate, currency)


SIGNIFICANT_DIGITS = 15


def storable(amount: Decimal, currency: str) -> bool:
    """Whether `amount` fits in 15 significant digits at `currency`'s minor unit: what
    every database keeps exactly (SQLite reads decimals back at 15 digits)."""
    return abs(amount) < Decimal(10) ** (SIGNIFICANT_DIGITS - minor_unit(currency))


def check_storable(amount: Decimal, currency: str, field: str = "amount") -> Decimal:
    """`amount`, or a field error when it is too large to keep exactly."""
    if not storable(amount, currency):
        raise ValidationError({field: [_("The amount is too large.")]})
    return amount


def parse_amount(value: object, currency: str, *, field: str = "amount") -> Decimal:
    """A positive Decimal amount with no more digits than `currency` has, or a field error.

    Accepts Decimal, int or a string ("1234.50"); refuses floats (binary fractions are
    not money), zero, negatives, NaN, infinities and amounts too large to store.
    """
    if isinstance(value, (bool, float)):
        raise ValidationError({field: [_("Enter the amount as a decimal number.")]})
    try:
        # Spaces may group thousands ("1 000 000"); nothing else but a plain number.
        amount = plain_decimal(value if isinstance(value, Decimal) else str(value).replace(" ", ""))
    except (InvalidOperation, ValueError):
        raise ValidationError({field: [_("Enter the amount as a decimal number.")]}) from None
    if not amount.is_finite():
        raise ValidationError({field: [_("Enter the amount as a decimal number.")]})
    if amount <= 0:
        raise ValidationError({field: [_("The amount must be more than zero.")]})
    if amount > MAX_AMOUNT or not storable(amount, currency):
        raise ValidationError({field: [_("The amount is too large.")]})
    if quantize(amount, currency) != amount:
        digits = minor_unit(currency)
        if digits == 0:
            message = _("%(currency)s amounts are whole numbers, with no decimals.")
        else:
            message = _("%(currency)s amounts have at most %(digits)d digits after the point.")
        raise ValidationError({field: [message % {"currency": currency, "digits": digits}]})
    return amount


def check_currency(code: object, *, field: str = "currency") -> str:
    """An ISO 4217 code (upper case) or a field error."""
    text = str(code or "").strip().upper()
    try:
        validate_currency(text)
    except ValidationError as error:
        raise ValidationError({field: error.messages}) from None
    return text


def _locale() -> str:
    language = (get_language() or "en").split("-")[0]
    return "id_ID" if language == "id" else "en"


@dataclass(frozen=True)
class _Shape:
    """How one language writes amounts of one currency, learnt once from Babel (CLDR)."""

    prefix: str
    suffix: str
    group: str
    decimal: str
    digits: int


@cache
def _shape(locale: str, currency: str) -> _Shape | None:
    """The shape of `currency` amounts in `locale`, or None when Babel's output for a
    probe is not "prefix, digits grouped by three, suffix" (then Babel formats each one)."""
    digits = minor_unit(currency)
    probe = Decimal("1234567.891234")
    expected = format_currency(quantize(probe, currency), currency, locale=locale)
    group, decimal = get_group_symbol(locale), get_decimal_symbol(locale)
    number = _grouped(quantize(probe, currency), digits, group, decimal)
    if number not in expected:
        return None
    prefix, _, suffix = expected.partition(number)
    shape = _Shape(prefix, suffix, group, decimal, digits)
    negative = format_currency(-quantize(probe, currency), currency, locale=locale)
    if negative != "-" + expected:
        return None
    return shape


def _grouped(amount: Decimal, digits: int, group: str, decimal: str) -> str:
    text = f"{amount:,.{digits}f}"
    return text.translate({ord(","): group, ord("."): decimal})


def format_money(amount: Decimal | None, currency: str) -> str:
    """`amount` formatted for the active language, e.g. "Rp1.234.568" or "US$1,234.50".

    Exactly what Babel's `format_currency` writes (CLDR patterns, the currency's minor
    unit), but with the pattern worked out once per language and currency: a finance page
    shows a hundred amounts or more, and Babel parses the pattern on every call.
    """
    if amount is None:
        return ""
    locale = _locale()
    value = quantize(amount, currency)
    shape = _shape(locale, currency)
    if shape is None:
        return format_currency(value, currency, locale=locale)
    number = _grouped(abs(value), shape.digits, shape.group, shape.decimal)
    sign = "-" if value < 0 else ""
    return f"{sign}{shape.prefix}{number}{shape.suffix}"
