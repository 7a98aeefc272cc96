"""The fast XLSX row reader shared by the importers gives what openpyxl's own read-only
reader gives: with `formulas`, formula cells as their text (never a result), as
openpyxl does when not data-only; strings, numbers, booleans and dates alike."""

from __future__ import annotations

import io
from datetime import datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from sinergi.core import xlsx
from sinergi.core.xlsx import fast_rows, sheet_rows

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


def sheet_xml(rows: str) -> bytes:
    return (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{rows}</sheetData></worksheet>"
    ).encode()


def test_a_filled_down_shared_formula_reads_translated_to_each_cell():
    """Excel writes a filled-down formula once, in its first cell, and marks the others
    as sharing it; each reads as the formula moved to its own place (as openpyxl does)."""
    rows = sheet_xml(
        '<row r="1"><c r="A1"><f t="shared" ref="A1:A3" si="0">B1*2</f><v>2</v></c></row>'
        '<row r="2"><c r="A2"><f t="shared" si="0"/><v>4</v></c></row>'
        '<row r="3"><c r="A3"><f t="shared" si="0"/><v>6</v></c></row>'
    )
    assert list(fast_rows(io.BytesIO(rows), [], formulas=True)) == [
        (1, ["=B1*2"]),
        (2, ["=B2*2"]),
        (3, ["=B3*2"]),
    ]
    # Without `formulas`, the results the spreadsheet program saved.
    assert [c for _n, c in fast_rows(io.BytesIO(rows), [])] == [[2], [4], [6]]


def test_an_iso_date_cell_reads_as_a_datetime():
    rows = sheet_xml('<row r="1"><c r="A1" t="d"><v>2026-04-02T00:00:00</v></c></row>')
    assert list(fast_rows(io.BytesIO(rows), [])) == [(1, [datetime(2026, 4, 2)])]


def test_a_workbook_in_the_1904_date_system_gives_the_dates_it_shows():
    book = Workbook()
    book.epoch = CALENDAR_MAC_1904
    book.active.append(["value_date", datetime(2024, 5, 1)])
    out = io.BytesIO()
    book.save(out)
    data = out.getvalue()
    assert read(data, fast=True) == read(data, fast=False)
    assert read(data, fast=True) == [(1, ["value_date", datetime(2024, 5, 1)])]


@pytest.mark.parametrize(
    ("code", "percent"),
    [
        ("0%", True),
        ("0.00%", True),
        ("#,##0.0%;[Red]-#,##0.0%", True),
        ("[Blue]0.0%", True),
        ('0"%"', False),  # a quoted percent sign is printed, the number is not scaled
        ("0\\%", False),  # an escaped one likewise
        ("0_%", False),  # a spacer as wide as a percent sign
        ('0;"%"0%', False),  # only the first section decides
        ("General", False),
        ("", False),
        (None, False),
    ],
)
def test_which_number_formats_show_a_percentage(code, percent):
    assert xlsx.is_percent_format(code) is percent


def test_a_percent_cell_is_read_as_the_number_it_shows():
    """Given cells in percent styles, then each is a Percent whose shown number is exact
    in decimal (0.07 shows 7, not 7.000000000000001), and its text is what the cell shows."""
    cells = [xlsx.Percent(v) for v in (0.07, 0.775, 1, 1.5e-05)]

    assert [c.shown() for c in cells] == [
        Decimal("7"),
        Decimal("77.5"),
        Decimal("100"),
        Decimal("0.0015"),
    ]
    assert [xlsx.cell_text(c) for c in cells] == ["7%", "77.5%", "100%", "0.0015%"]


@settings(max_examples=500, deadline=None)
@given(st.floats())
def test_any_number_in_a_percent_cell_reads_without_an_exception(value):
    """Given any float a percent cell can hold (huge, tiny, infinite, NaN), then the
    number it shows and its text come out (for the importer to accept or refuse), and a
    finite one is the stored number to 15 significant digits, times 100."""
    cell = xlsx.Percent(value)

    shown = cell.shown()
    text = xlsx.cell_text(cell)

    assert text.endswith("%")
    if shown.is_finite():
        assert shown == Decimal(format(value, ".15g")).scaleb(2)


def test_a_percent_cell_shows_what_a_spreadsheet_program_shows():
    """Given the 17 digits Excel saves for =0.1+0.2 in a 0.0% cell, then it is 30."""
    assert xlsx.Percent(0.1 + 0.2).shown() == Decimal("30")
    assert xlsx.Percent(0.07).shown() == Decimal("7")


def test_a_whole_number_too_large_for_a_float_in_a_percent_cell_is_infinite():
    """Given a percent cell storing a 400-digit whole number, then it reads as an
    infinite percentage (which the importers refuse as a cell), not an exception; and a
    negative zero shows as 0."""
    assert xlsx.as_percent(10**400).shown() == Decimal("Infinity")
    assert xlsx.as_percent(-(10**400)).shown() == Decimal("-Infinity")
    assert str(xlsx.Percent(-0.0).shown()) == "0"


@pytest.mark.parametrize("index", ["-1", "2", "1_0", "\u0661", " 1", "99999999999999999999"])
def test_a_shared_string_index_that_points_nowhere_is_a_file_error(index):
    """-1 must not read the last string (Python's indexing), nor an index past the end
    an empty cell: the file is damaged, and the error names the cell."""
    rows = sheet_xml(f'<row r="2"><c r="B2" t="s"><v>{index}</v></c></row>')

    with pytest.raises(xlsx.ValidationError) as refused:
        list(fast_rows(io.BytesIO(rows), ["42", "77"]))

    (message,) = refused.value.message_dict["file"]
    assert "B2" in message and "damaged" in message


def test_a_shared_string_index_in_range_reads_its_text_and_none_an_empty_cell():
    rows = sheet_xml(
        '<row r="1"><c r="A1" t="s"><v>1</v></c><c r="B1" t="s"><v>0</v></c>'
        '<c r="C1" t="s"></c><c r="D1" t="s"><v>1</v></c></row>'
    )
    assert list(fast_rows(io.BytesIO(rows), ["42", "77"])) == [(1, ["77", "42", None, "77"])]


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("12", 12),
        ("-3", -3),
        ("2.5", 2.5),
        ("-.5", -0.5),
        ("1E3", 1000.0),
        ("1e-2", 0.01),
        ("1_0", "1_0"),  # Python's int() would give 10
        ("\u0661\u0662", "\u0661\u0662"),  # Arabic-Indic digits: int() would give 12
        (" 7", " 7"),
        ("1.5.2", "1.5.2"),
        ("inf", "inf"),
    ],
)
def test_a_number_cell_reads_as_a_number_only_in_spreadsheetml_s_own_form(raw, value):
    rows = sheet_xml(f'<row r="1"><c r="A1"><v>{raw}</v></c></row>')
    ((_row, (read_value,)),) = list(fast_rows(io.BytesIO(rows), []))
    assert read_value == value and type(read_value) is type(value)


def test_a_cell_with_two_values_keeps_the_last_rather_than_gluing_them():
    rows = sheet_xml('<row r="1"><c r="A1"><v>5</v><v>6</v></c></row>')
    assert list(fast_rows(io.BytesIO(rows), [])) == [(1, [6])]


def test_a_cell_beyond_the_columns_read_survives_a_pickle_round_trip():
    """The finance import keeps parsed rows in a pickled spool: a Beyond cell (the text of
    a filled cell right of the columns read, and its reference) comes back the same."""
    import pickle

    from sinergi.core.xlsx import Beyond

    cell = Beyond("stray note", "M2")

    again = pickle.loads(pickle.dumps(cell, pickle.HIGHEST_PROTOCOL))  # noqa: S301 - our own bytes

    assert isinstance(again, Beyond)
    assert (str(again), again.cell) == ("stray note", "M2")
