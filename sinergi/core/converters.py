"""Path converters for the pages' URLs."""

from __future__ import annotations

from sinergi.core.schemas import MAX_ID


class IdConverter:
    """A row's id (or a version number) in a page's path: ASCII digits without leading
    zeros, from 1 to MAX_ID. Django's `int` converter also took "01" (and "001", …) for
    row 1, so one page had many addresses; anything else is a 404 here."""

    regex = "[1-9][0-9]{0,18}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ID:
            raise ValueError(value)  # Django reads a ValueError as "no match": a 404
        return number

    def to_url(self, value: int) -> str:
        return str(value)
