"""The base of every JSON request body the API takes."""

from __future__ import annotations

import re
import types
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Union, get_args, get_origin

import annotated_types
from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import ConfigDict, ValidationInfo, field_validator
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError

from sinergi.core.numbers import MAX_INTEGER

#: The largest whole number a body field takes unless it states its own bounds (ids do):
#: PostgreSQL's `integer`, the column of positions, weights and percentages. Beyond it
#: PostgreSQL refuses the write, and beyond 2**53 - 1 the ledger's RFC 8785 bytes cannot
#: hold the number at all.
MAX_WHOLE = MAX_INTEGER
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_UPPER = (annotated_types.Le, annotated_types.Lt)
_LOWER = (annotated_types.Ge, annotated_types.Gt)


@dataclass
class _Shape:
    """What a field's annotation takes, as far as the checks below care."""

    whole: bool = False  # an int
    flag: bool = False  # a bool (or anything)
    day: bool = False  # a date that is not a datetime
    text: bool = False  # a str
    upper: bool = False  # the field states its own upper bound
    lower: bool = False  # … and its own lower bound
    items: _Shape | None = None  # the elements of a list, tuple or set


def _read(annotation: Any, shape: _Shape) -> None:
    origin = get_origin(annotation)
    if origin is Annotated:
        base, *extras = get_args(annotation)
        for extra in extras:
            _bounds(extra.metadata if isinstance(extra, FieldInfo) else [extra], shape)
        _read(base, shape)
    elif origin is Union or origin is types.UnionType:
        for argument in get_args(annotation):
            _read(argument, shape)
    elif origin in (list, tuple, set, frozenset):
        shape.items = shape.items or _Shape()
        for argument in get_args(annotation):
            if argument is not Ellipsis:
                _read(argument, shape.items)
    elif annotation is bool or annotation is Any:
        shape.flag = True
    elif annotation is int:
        shape.whole = True
    elif annotation is date:
        shape.day = True
    elif annotation is str:
        shape.text = True


def _bounds(metadata: list[Any], shape: _Shape) -> None:
    shape.upper |= any(isinstance(item, _UPPER) for item in metadata)
    shape.lower |= any(isinstance(item, _LOWER) for item in metadata)


def _shape(field: FieldInfo) -> _Shape:
    shape = _Shape()
    _bounds(field.metadata, shape)
    _read(field.annotation, shape)
    return shape


def _check(value: Any, shape: _Shape) -> None:
    if isinstance(value, bool):
        if shape.whole and not shape.flag:
            raise PydanticCustomError("int_type", str(_("Enter a whole number.")))
    elif shape.whole and (number := _whole(value)) is not None:
        if number > MAX_WHOLE and not shape.upper:
            raise PydanticCustomError(
                "less_than_equal", str(_("Must be at most %(le)s.")), {"le": MAX_WHOLE}
            )
        if number < -MAX_WHOLE and not shape.lower:
            raise PydanticCustomError(
                "greater_than_equal", str(_("Must be at least %(ge)s.")), {"ge": -MAX_WHOLE}
            )
    # pydantic reads a number, or a string of digits, as a Unix timestamp ("0" is
    # 1970-01-01), and a date-time at midnight as its date.
    takes_day = shape.day and not shape.text and value is not None
    if takes_day and not isinstance(value, date) and not is_iso_day(value):
        raise PydanticCustomError("date_parsing", str(_("Enter a date as YYYY-MM-DD.")))
    if shape.items is not None and isinstance(value, list | tuple):
        for item in value:
            _check(item, shape.items)


def _whole(value: Any) -> int | None:
    """The whole number pydantic will read `value` as, where the bound must hold: an
    int, or a string of digits or a float that pydantic turns into one ("3000000000",
    3e9). None for anything else, which pydantic judges itself."""
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _WHOLE.fullmatch(value.strip()):
        return int(value.strip())
    return None


_WHOLE = re.compile(r"[+-]?[0-9]{1,40}")


def is_iso_day(value: Any) -> bool:
    """Whether `value` is a date written YYYY-MM-DD (ASCII digits; the calendar checks
    whether it is a real day)."""
    return isinstance(value, str) and _DAY.fullmatch(value) is not None


_SHAPES: dict[type, dict[str, _Shape]] = {}


class InputSchema(Schema):
    """A JSON request body. A field the operation does not take is refused, with a 422
    naming it ("Unknown field."), not dropped: a misspelt field ("titel") would otherwise
    answer 200 with nothing changed. Every body schema of the API derives from this
    (tests/api/test_unknown_fields.py checks).

    Every field's value is also read plainly, whatever its type says (pydantic's lax mode
    is kinder than a JSON API should be): `true` is not the number 1 (as an id it would
    pick row 1), a whole number lies within ±MAX_WHOLE unless the field states its own
    bounds, and a date is a `YYYY-MM-DD` string, never a number or a date-time
    (tests/api/test_plain_values.py)."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _plain_value(cls, value: Any, info: ValidationInfo) -> Any:
        shapes = _SHAPES.get(cls)
        if shapes is None:  # once per schema
            shapes = {name: _shape(field) for name, field in cls.model_fields.items()}
            _SHAPES[cls] = shapes
        shape = shapes.get(info.field_name or "")
        if shape is not None:
            _check(value, shape)
        return value
