"""Numbers typed on the web pages, read the way the reader writes them.

Indonesian writes 1.500.000,25 (a comma before the decimals, dots between thousands);
English writes 1,500,000.25. A form field reads what the page's language means, so that
"1.500" is fifteen hundred on an Indonesian page, and turns it into the plain form the
services and the API use ("1500000.25").

Anything that could be read two ways is refused with an example, never guessed: on an
Indonesian page "1.5" is neither a decimal (that takes a comma) nor a thousands group
(that takes three digits), and "1,500" would be one and a half here but fifteen hundred
to a reader used to English (and "1.500" on an English page the other way round). The
JSON API and spreadsheet imports keep the plain form.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core import validators
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

#: The largest whole number a column of positions, weights or counts holds: PostgreSQL's
#: `integer`. SQLite stores more, but no page or API call may accept what the other
#: database refuses, nor what the ledger's RFC 8785 bytes cannot hold (beyond 2**53 - 1).
MAX_INTEGER = 2**31 - 1

_SPACES = re.compile(r"[\s\u00a0\u202f]+")
PLAIN_NUMBER = re.compile(r"-?([0-9]+(\.[0-9]*)?|\.[0-9]+)", re.ASCII)


def plain_decimal(value: object) -> Decimal:
    """`value` as a Decimal when it is one or is written as a plain number (ASCII digits,
    a minus sign and a decimal point at most: what the API and imports take), else
    InvalidOperation. Decimal() alone would also read "1_000", "+5", "1e3", full-width
    and Arabic-Indic digits, and "NaN" or "Infinity"."""
    if isinstance(value, Decimal):
        return value
    text = str(value).strip()
    if not PLAIN_NUMBER.fullmatch(text):
        raise InvalidOperation(text)
    return Decimal(text)


_DIGITS = re.compile(r"[0-9]*")

# "16.300": a point before groups of three digits, as Indonesian groups thousands.
_GROUPED = re.compile(r"-?[1-9][0-9]{0,2}(\.[0-9]{3})+", re.ASCII)


def grouped_in_file(text: object) -> str | None:
    """The error for a number in a file (CSV, or a text cell of a workbook) written as
    "16.300", or None. A file's numbers are plain, so that reads as 16.3; but a
    spreadsheet program set to Indonesian writes sixteen thousand three hundred so, and a
    rate or an amount 1,000 times too small would be recorded without a word. Written
    either way without the ambiguity ("16300", "16.3000") it is read; "1.000.000", which
    only thousands read so, is told to drop the points."""
    if not isinstance(text, str) or not _GROUPED.fullmatch(text.strip()):
        return None
    written = text.strip()
    whole = written.replace(".", "")
    if written.count(".") > 1:  # "1.000.000": only thousands read so
        return _("“%(number)s” groups thousands with points; write it without them: %(whole)s.") % {
            "number": written,
            "whole": whole,
        }
    return _(
        "“%(number)s” could be read two ways: the point may group thousands or come before "
        "decimals. Write %(whole)s, or %(decimal)s."
    ) % {
        "number": written,
        "whole": whole,
        # One more decimal place makes it a decimal for certain: "1.0850", "16.3000".
        "decimal": written + "0",
    }


def separators(language: str | None = None) -> tuple[str, str]:
    """(decimal separator, thousands separator) for a language (default: the active one)."""
    language = language or translation.get_language() or "en"
    return (",", ".") if language.split("-")[0] == "id" else (".", ",")


def grouped(value: Decimal | int) -> str:
    """A number as the active language writes it for reading, thousands grouped and every
    digit given kept: "2.900" and "300.000,75" on an Indonesian page, "2,900" and
    "300,000.75" on an English one."""
    decimal, group = separators()
    return format(Decimal(value), ",f").translate({ord(","): group, ord("."): decimal})


def _refuse() -> ValidationError:
    decimal, group = separators()
    example = f"1{group}500{decimal}25"
    return ValidationError(
        _("Enter a number such as %(example)s or 1500%(decimal)s25.")
        % {"example": example, "decimal": decimal},
        code="number",
    )


def _two_ways(text: str, whole: str, fraction: str) -> ValidationError:
    """For "1,500" (or "1.500"): the other language's fifteen hundred, or 1.5 here."""
    decimal, _group = separators()
    return ValidationError(
        _(
            "“%(typed)s” can be read two ways: write %(thousands)s for the whole number, or "
            "%(decimals)s for the decimals."
        )
        % {
            "typed": text,
            "thousands": whole + fraction,
            "decimals": f"{whole}{decimal}{fraction}0",
        },
        code="number",
    )


def delocalize(text: str) -> str:
    """`text` as the active language writes a number, in plain form ("-1500.25"); a
    ValidationError with an example in that language when it is not such a number, or
    when it could be read two ways.

    Spaces may separate groups of three digits ("1 500 000"). "1,500" on an Indonesian
    page and "1.500" on an English one are refused: each is the other language's fifteen
    hundred. Three decimals are written with a fourth ("1,5000"), so four or more digits
    after the separator are always decimals."""
    decimal, group = separators()
    typed = text.strip()
    value = _SPACES.sub(group, typed)  # a space between digits separates thousands
    sign = ""
    if value and value[0] in "+-":
        sign, value = ("-" if value[0] == "-" else ""), value[1:]
    whole, found, fraction = value.partition(decimal)
    if not value or (found and decimal in fraction):
        raise _refuse()
    grouped = group in whole
    if grouped:
        groups = whole.split(group)
        if not (
            1 <= len(groups[0]) <= 3
            and groups[0][0] != "0"  # "0.500" is not a thousands group
            and all(len(g) == 3 for g in groups[1:])
        ):
            raise _refuse()
        whole = "".join(groups)
    if not (_DIGITS.fullmatch(whole) and _DIGITS.fullmatch(fraction)) or not (whole or fraction):
        raise _refuse()
    if not grouped and 1 <= len(whole) <= 3 and whole[0] != "0" and len(fraction) == 3:
        raise _two_ways(typed, whole, fraction)
    plain = (whole or "0") + ("." + fraction if fraction else "")
    return sign + plain


def localized(value: Decimal | int | None) -> str:
    """A number as the active language writes it, without thousands separators (which a
    reader may add): "1500,25" on an Indonesian page, "1500.25" on an English one. Three
    decimals get a fourth ("1,1250") so that the text reads back as itself."""
    if value is None:
        return ""
    number = Decimal(value)
    if number == number.to_integral():
        text = format(number.quantize(Decimal(1)), "f")
    else:
        text = format(number.normalize(), "f")
    whole, _dot, fraction = text.lstrip("-").partition(".")
    if len(fraction) == 3 and 1 <= len(whole) <= 3 and whole != "0":
        text += "0"
    decimal, _group = separators()
    return text.replace(".", decimal)


class NumberField(forms.CharField):
    """A text input for a number written the reader's way; cleans to the plain form
    ("1500.25", or "" when left empty). An initial Decimal or int is shown the reader's
    way; what a reader typed is shown back as typed."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 40)
        attrs = {"inputmode": "decimal", "autocomplete": "off"}
        kwargs.setdefault("widget", forms.TextInput(attrs))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> str:
        text = super().to_python(value)
        return delocalize(text) if text else text

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, (Decimal, int)) and not isinstance(value, bool):
            return localized(value)
        return value


class DecimalNumberField(NumberField):
    """A NumberField that cleans to a Decimal (None when left empty), within `max_digits`
    and `decimal_places` when given (as forms.DecimalField checks them)."""

    def __init__(
        self, *, max_digits: int | None = None, decimal_places: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        # The text's length is checked in to_python; validators see the Decimal.
        self.validators = [
            v for v in self.validators if not isinstance(v, validators.MaxLengthValidator)
        ]
        if max_digits is not None or decimal_places is not None:
            self.validators.append(validators.DecimalValidator(max_digits, decimal_places))

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        text = super().to_python(value)
        if self.max_length is not None and len(text) > self.max_length:
            raise _refuse()
        return Decimal(text) if text else None
