"""The base of every JSON request body the API takes."""

from __future__ import annotations

from ninja import Schema
from pydantic import ConfigDict


class InputSchema(Schema):
    """A JSON request body. A field the operation does not take is refused, with a 422
    naming it ("Unknown field."), not dropped: a misspelt field ("titel") would otherwise
    answer 200 with nothing changed. Every body schema of the API derives from this
    (tests/api/test_unknown_fields.py checks)."""

    model_config = ConfigDict(extra="forbid")
