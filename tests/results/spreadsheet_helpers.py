"""Helpers for the results spreadsheet tests: fill a downloaded template with openpyxl."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from openpyxl import load_workbook


def rows_of(body: bytes) -> list[list[Any]]:
    workbook = load_workbook(io.BytesIO(body))
    return [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]


def meta_of(body: bytes) -> dict[str, Any]:
    workbook = load_workbook(io.BytesIO(body))
    return {row[0]: row[1] for row in workbook["meta"].iter_rows(values_only=True)}


def fill(
    body: bytes,
    values: dict[tuple[str, str], Any] | None = None,
    narrative: dict[str, str] | None = None,
    edit: Callable[[Any], None] | None = None,
) -> io.BytesIO:
    """Put `values[(code, category key)]` in the Value column (H) and narratives on the
    total rows; `edit(workbook)` changes anything else. Returns the saved file."""
    workbook = load_workbook(io.BytesIO(body))
    sheet = workbook.worksheets[0]
    for row in sheet.iter_rows(min_row=2):
        code, key = row[0].value, row[2].value or ""
        if values and (code, key) in values:
            row[7].value = values[(code, key)]
        if narrative and key == "" and code in narrative:
            row[8].value = narrative[code]
    if edit is not None:
        edit(workbook)
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    out.name = "filled.xlsx"
    return out
