"""The fast XLSX row reader shared by the importers gives what openpyxl's own read-only
reader gives: with `formulas`, formula cells as their text (never a result), as
openpyxl does when not data-only; strings, numbers, booleans and dates alike."""

from __future__ import annotations

import io
from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from sinergi.core.xlsx import sheet_rows

cell = st.one_of(
    st.none(),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=12),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
    st.datetimes(min_value=datetime(1901, 1, 1), max_value=datetime(2199, 12, 31)).map(
        lambda d: d.replace(microsecond=0)
    ),
    st.sampled_from(["=SUM(A1:A3)", "=cmd|' /C calc'!A0", '=IF(A1>0,"yes","no")']),
)


def workbook_bytes(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def trimmed(cells: list[object]) -> list[object]:
    """Without the empty cells at the end (openpyxl pads rows to the sheet's width); an
    empty text is an empty cell (both are blank to the importers)."""
    cells = [None if c == "" else c for c in cells]
    while cells and cells[-1] is None:
        cells.pop()
    return cells


def read(data: bytes, *, fast: bool) -> list[tuple[int, list[object]]]:
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    try:
        sheet = book.worksheets[0]
        if fast:
            return [(n, trimmed(c)) for n, c in sheet_rows(book, sheet, formulas=True)]
        sheet.reset_dimensions()
        return [
            (n, trimmed(c))
            for n, c in enumerate(sheet.iter_rows(values_only=True), start=1)
            if any(v is not None for v in c)
        ]
    finally:
        book.close()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(cell, min_size=1, max_size=6), min_size=1, max_size=8))
def test_the_fast_reader_gives_what_openpyxl_gives(rows):
    data = workbook_bytes(rows)
    fast = [(n, c) for n, c in read(data, fast=True) if c]
    assert fast == read(data, fast=False)


def test_formula_cells_are_their_text_and_never_computed():
    data = workbook_bytes([["amount", "description"], ["=1+1", "=cmd|' /C calc'!A0"], [5, "ok"]])
    rows = read(data, fast=True)
    assert rows == [
        (1, ["amount", "description"]),
        (2, ["=1+1", "=cmd|' /C calc'!A0"]),
        (3, [5, "ok"]),
    ]
