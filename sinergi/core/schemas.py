"""Field types the JSON API's schemas share."""

from __future__ import annotations

from typing import Annotated, Any

from django.utils.translation import gettext as _
from pydantic import BeforeValidator, Field
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
