"""Field types the JSON API's schemas share."""

from __future__ import annotations

import re
from typing import Annotated, Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from pydantic import BeforeValidator, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

# Ids beyond a 64-bit integer would overflow the database look-up.
MAX_ID = 2**63 - 1


def _not_a_flag(value: Any) -> Any:
    """pydantic reads JSON `true` as the number 1; as an id that would pick row 1."""
    if isinstance(value, bool):
        raise PydanticCustomError("int_type", str(_("Enter a whole number.")))
    return value


# A row's id in a request body: a whole number from 1, never a flag.
Id = Annotated[int, BeforeValidator(_not_a_flag), Field(ge=1, le=MAX_ID)]

# A count in a request body: a whole number, never a flag (add its bounds with Field).
Count = Annotated[int, BeforeValidator(_not_a_flag)]


_DECIMAL = re.compile(r"-?[0-9]+")


def _decimal_digits(value: Any) -> Any:
    """A number given as text (a query or path parameter) is ASCII decimal digits, with a
    minus sign at most: pydantic would also read "1_0" as 10, "+1", " 1" and "1.0" as 1,
    where the log's own URLs and forms only ever write digits. A minus sign is left for
    the field's bound to refuse in its own words."""
    if isinstance(value, str) and not _DECIMAL.fullmatch(value):
        raise PydanticCustomError("int_parsing", str(_("Enter a whole number.")))
    return value


# A whole number in a URL: decimal digits only (add the field's bounds with Field).
WholeNumber = Annotated[int, BeforeValidator(_decimal_digits)]


_CANONICAL = re.compile(r"0|-?[1-9][0-9]*")


def _canonical_digits(value: Any) -> Any:
    """A number naming a row in a path is written one way only, as links write it: ASCII
    digits without leading zeros. pydantic would also read "01", "1.0", "+1" and "1_0" as
    row 1, so one row had many addresses. A minus sign is left to the operation, which
    answers as for any id no row has (404)."""
    if isinstance(value, str) and not _CANONICAL.fullmatch(value):
        raise PydanticCustomError(
            "id_parsing", str(_("Enter a whole number in plain digits, without leading zeros."))
        )
    return value


# A row's id (or a version number) in an API path: canonical decimal digits only.
PathId = Annotated[int, BeforeValidator(_canonical_digits)]


def _true_or_false(value: Any) -> Any:
    """A flag given as text (a query parameter or a form field) is `true` or `false`, in
    any case: pydantic would also read "yes", "on", "1", "no", "off" and "0", and a
    mistyped `commit=yes` would run an import that cannot be undone."""
    if isinstance(value, str):
        if value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise PydanticCustomError("bool_parsing", str(_("Enter true or false.")))
    if not isinstance(value, bool):
        raise PydanticCustomError("bool_type", str(_("Enter true or false.")))
    return value


# A yes/no in a URL or a form: `true` or `false` only.
Flag = Annotated[bool, BeforeValidator(_true_or_false)]


# The longest decimal string a request body may hold (more is refused before it is read).
MAX_DECIMAL_CHARS = 40


def decimal_string(what: str, example: str, wrong_type: Promise, too_long: Promise) -> Any:
    """The type of a decimal field sent as text: a decimal string as sent, or a whole
    number as its digits; never a float (a binary fraction is not money, so 1.1 is
    refused rather than rounded) nor a boolean. The messages name what the field holds
    (an amount, a rate). What the text says is read by the caller, with
    `sinergi.core.numbers.plain_decimal`, so that "1e3", "+5" and "1_000" are refused."""

    def parse(value: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise PydanticCustomError(f"{what}_type", str(wrong_type))
        text = str(value)
        if len(text) > MAX_DECIMAL_CHARS:
            raise PydanticCustomError(f"{what}_length", str(too_long))
        return text

    return Annotated[
        str,
        BeforeValidator(parse),
        WithJsonSchema(
            {
                "anyOf": [{"type": "string"}, {"type": "integer"}],
                "description": f'A decimal string, e.g. "{example}"; a whole number is '
                "accepted, a JSON float is not.",
            }
        ),
    ]
