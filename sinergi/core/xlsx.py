"""Reading XLSX worksheets fast: SpreadsheetML rows streamed with expat, for the results
and finance importers.

openpyxl opens the workbook (`open_workbook`: its shared strings, styles and the place of
each sheet's XML, no sheet read); `fast_rows` then reads the sheet's rows about ten times
faster than openpyxl's own read-only reader, with the same values. `sheet_rows` does both
for an opened read-only workbook and falls back to openpyxl's reader when the sheet's XML
cannot be found.
"""

from __future__ import annotations

import math
import re
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Context, Decimal
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from sinergi.core.spreadsheets import unneutralise

# What one cell may hold, as in Excel.
MAX_CELL_CHARS = 32767
# A sheet's XML, streamed, for every importer: the results template's 500,000 rows
# written with inline strings (as openpyxl writes them) take 200 to 300 MB.
MAX_SHEET = 512 * 1024 * 1024
#: The workbook's manifest ([Content_Types].xml), which openpyxl parses whole.
MAX_MANIFEST = 1024 * 1024


def _cell_error(message: str) -> ValidationError:
    return ValidationError({"file": [message]})


def cell_text(value: Any) -> str:
    """A cell as text: numbers without a spurious ".0", a percentage as shown ("88%"); a
    neutralising apostrophe removed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, Percent):
        return f"{value.shown()}%"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return unneutralise(str(value).strip())


def is_blank_value(value: Any) -> bool:
    """An empty cell (a formula saved without its result is not: it needs a word)."""
    if isinstance(value, Uncalculated):
        return False
    return value is None or (isinstance(value, str) and not value.strip())


class Beyond(str):
    """The text of a filled cell right of the columns read, and its reference ("J12")."""

    cell: str

    def __new__(cls, text: str, cell: str) -> Beyond:
        made = super().__new__(cls, text[:60])
        made.cell = cell
        return made

    def __reduce__(self) -> tuple[type[Beyond], tuple[str, str]]:
        return (Beyond, (str(self), self.cell))  # rows are spooled with pickle


_DIGITS = "0123456789"
_COLUMNS_SEEN: dict[str, int] = {}
_REFERENCE = re.compile(r"[A-Z]{1,3}[0-9]{1,7}")


def _column_index(reference: str) -> int:
    """ "H12" → 7 (letters cached: a sheet has few columns); -1 when not a reference."""
    letters = reference.rstrip(_DIGITS)
    index = _COLUMNS_SEEN.get(letters)
    if index is None:
        if not 1 <= len(letters) <= 3:
            return -1
        index = 0
        for letter in letters.upper():
            if not "A" <= letter <= "Z":
                return -1
            index = index * 26 + (ord(letter) - 64)
        index -= 1
        if len(_COLUMNS_SEEN) < 1000:
            _COLUMNS_SEEN[letters] = index
    return index


def _small_int(text: str | None, default: int) -> int:
    """An XML attribute's ASCII digits as an int, else `default`."""
    if text and text.isascii() and text.isdigit() and len(text) <= 9:
        return int(text)
    return default


def _reference(column: int, row: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(column + 1)}{row}" if 0 <= column < 16384 else f"?{row}"


def _shared_formula(shared: dict[str, Any], group: str, formula: str, cell: str) -> str:
    """A shared formula (SpreadsheetML writes its text in the first cell of the group
    only) as it reads in `cell`: the first cell's text translated, as openpyxl does."""
    from openpyxl.formula.translate import Translator, TranslatorError

    first = shared.get(group)
    if first is not None:
        try:
            return first.translate_formula(cell)
        except TranslatorError:
            return formula
    if formula != "=":
        shared[group] = Translator(formula, cell)
    return formula


def fast_rows(
    source: IO[bytes],
    strings: list[Any],
    date_styles: set[int] | frozenset[int] = frozenset(),
    width: int = 16384,
    *,
    formulas: bool = False,
    epoch: datetime | None = None,
    timedelta_styles: set[int] | frozenset[int] = frozenset(),
    percent_styles: set[int] | frozenset[int] = frozenset(),
) -> Iterator[tuple[int, list[Any]]]:
    """Stream a worksheet's XML (SpreadsheetML `sheetData`) as (row number, values).

    Values are what openpyxl's read-only, data-only reader gives: shared and inline
    strings as text, numbers as int or float, booleans, a formula's saved result (never
    the formula), error codes as text ("#VALUE!"), a number in a date style as a
    datetime (in the workbook's date system, `epoch`: 1900 or 1904; a duration style
    gives a timedelta), a number in one of `percent_styles` as a `Percent` (0.88 for a
    cell showing 88%) and an ISO 8601 date cell as a datetime. Only the first `width`
    columns are kept (empty cells right of them are skipped, never padded to); a row
    with a filled cell right of them gets one more value, a `Beyond` naming the first.
    A cell of more than 32,767 characters is a file error. With `formulas`, a formula
    cell gives its formula as text ("=SUM(B2:B9)"), as openpyxl's reader does when not
    data-only (a shared formula translated to the cell, as openpyxl does), never its
    result. It uses expat directly: about ten times faster than openpyxl's reader, in
    memory bounded by one 64 KB chunk of XML plus the rows it yields."""
    from xml.parsers import expat

    from openpyxl.utils.datetime import WINDOWS_EPOCH, from_excel, from_ISO8601

    if epoch is None:
        epoch = WINDOWS_EPOCH
    shared: dict[str, Any] = {}  # a shared formula's first cell (a Translator), by `si`
    done: list[tuple[int, list[Any]]] = []
    state: dict[str, Any] = {"row": 0, "cells": None, "col": -1, "type": "n", "style": 0}
    state["phonetic"] = False
    state["formula"] = False
    state["chars"] = 0
    state["reference"] = ""
    text: list[str] = []
    formula: list[str] = []
    collecting: list[str] | None = None  # where character data goes, if anywhere

    def cell_name() -> str:
        reference = state["reference"]
        if _REFERENCE.fullmatch(reference):
            return reference
        return _reference(state["col"], state["row"])

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal collecting
        tag = name if ":" not in name else name.rpartition(":")[2]
        if tag == "c":
            reference = attrs.get("r")
            state["col"] = _column_index(reference) if reference else state["col"] + 1
            state["reference"] = reference or ""
            state["type"] = attrs.get("t", "n")
            state["style"] = _small_int(attrs.get("s"), 0)
            state["formula"] = False
            state["shared"] = None
            state["chars"] = 0
            text.clear()
            formula.clear()
        elif tag == "f":
            state["formula"] = True
            state["shared"] = attrs.get("si") if attrs.get("t") == "shared" else None
            collecting = formula if formulas else None
        elif tag in ("v", "t"):
            if tag == "v":
                text.clear()  # a cell has one value: a second <v> replaces, never extends
            collecting = None if state["phonetic"] else text
        elif tag == "row":
            state["row"] = _small_int(attrs.get("r"), state["row"] + 1)
            state["cells"] = []
            state["beyond"] = None
            state["col"] = -1
        elif tag == "rPh":  # phonetic runs are not part of the text
            state["phonetic"] = True

    def end(name: str) -> None:
        nonlocal collecting
        tag = name if ":" not in name else name.rpartition(":")[2]
        if tag in ("v", "t", "f"):
            collecting = None
        elif tag == "rPh":
            state["phonetic"] = False
        elif tag == "c":
            cells = state["cells"]
            column = state["col"]
            if cells is None or column < 0:
                return
            if column >= width and (state["beyond"] is not None or not text):
                return  # an empty (formatted) cell right of the columns read
            raw = "".join(text)
            kind = state["type"]
            value: Any
            if formulas and state["formula"]:
                value = "=" + "".join(formula)
                group = state.get("shared")
                if group is not None:
                    value = _shared_formula(shared, group, value, cell_name())
            elif kind == "s" and raw == "":
                value = None  # a shared-string cell with no value: empty, as openpyxl reads it
            elif kind == "s":
                index = int(raw) if _INDEX.fullmatch(raw) else -1
                if not 0 <= index < len(strings):
                    raise _cell_error(
                        _(
                            "Cell %(cell)s points to text the workbook does not hold; "
                            "the file is damaged. Save it again from your spreadsheet program."
                        )
                        % {"cell": cell_name()}
                    )
                value = strings[index]
            elif kind in ("inlineStr", "str", "e"):
                value = raw
            elif kind == "d" and raw:
                try:
                    value = from_ISO8601(raw)
                except ValueError:
                    value = raw
            elif kind == "b":
                value = raw.strip() in ("1", "true")
            elif raw == "":
                value = UNCALCULATED if state["formula"] else None
            else:
                # SpreadsheetML writes numbers in ASCII digits only; Python's int() and
                # float() would also take "1_0", other scripts' digits and spaces.
                if _INTEGER.fullmatch(raw):
                    value = int(raw)
                elif _NUMBER.fullmatch(raw):
                    value = float(raw)
                else:
                    value = raw
                if state["style"] in date_styles and isinstance(value, int | float):
                    try:
                        value = from_excel(
                            value, epoch, timedelta=state["style"] in timedelta_styles
                        )
                    except (OverflowError, ValueError):
                        value = raw
                elif state["style"] in percent_styles and isinstance(value, int | float):
                    value = as_percent(value)
            if column >= width:
                if not is_blank_value(value):
                    state["beyond"] = Beyond(cell_text(value), cell_name())
                return
            if column >= len(cells):
                cells.extend([None] * (column + 1 - len(cells)))
            cells[column] = value
        elif tag == "row":
            cells = state["cells"]
            if cells is not None:
                if state["beyond"] is not None:
                    cells.extend([None] * (width - len(cells)))
                    cells.append(state["beyond"])
                done.append((state["row"], cells))
            state["cells"] = None

    def characters(data: str) -> None:
        if collecting is not None:
            state["chars"] += len(data)
            if state["chars"] > MAX_CELL_CHARS:
                raise _cell_error(
                    _("Cell %(cell)s holds more than %(n)s characters; a cell cannot.")
                    % {"cell": cell_name(), "n": f"{MAX_CELL_CHARS:,}"}
                )
            collecting.append(data)

    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = characters
    while chunk := source.read(65536):
        parser.Parse(chunk, False)
        yield from done
        done.clear()
    parser.Parse(b"", True)
    yield from done


_INDEX = re.compile(r"[0-9]{1,9}")
_INTEGER = re.compile(r"-?[0-9]+")
_NUMBER = re.compile(r"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")

_WIDE = Context(prec=400)  # more digits than any float has before its point


class Percent(float):
    """A number in a percent style: the cell shows 88% and stores 0.88, as spreadsheet
    programs do when someone types "88%". Otherwise a float like any other number."""

    def shown(self) -> Decimal:
        """The number the cell shows, before its percent sign (0.88 → 88), in decimal.

        From the stored number to 15 significant digits, as spreadsheet programs show and
        compute: Excel saves `=0.1+0.2` as 0.30000000000000004 and shows 30%. Any float
        gives an answer (a huge one, or Infinity, for its reader to refuse), never an
        exception: the arithmetic runs in a context wide enough for every float."""
        number = Decimal(format(float(self), ".15g"))
        if not number.is_finite():
            return number
        if not number:
            return Decimal(0)  # not "-0"
        shown = number.scaleb(2, _WIDE).normalize(_WIDE)
        return shown if shown.as_tuple().exponent < 0 else shown.quantize(Decimal(1), context=_WIDE)


def as_percent(value: int | float) -> Percent:
    """A number of a percent cell as a `Percent`; a whole number too large for a float
    (a 400-digit <v>) becomes an infinite one, for the importer to refuse as a cell."""
    try:
        return Percent(value)
    except OverflowError:
        return Percent(math.inf if value > 0 else -math.inf)


def is_percent_format(code: str | None) -> bool:
    """Whether a number format code shows its number as a percentage: a `%` in its first
    (positive) section outside quoted text, escapes and spacers (`_%`, `\\%`)."""
    from openpyxl.styles.numbers import STRIP_RE

    if not code:
        return False
    section = STRIP_RE.sub("", code.split(";")[0])
    return re.search(r"(?<![_\\])%", section) is not None


def percent_styles_of(workbook: Any) -> frozenset[int]:
    """The indices of an opened workbook's cell styles (a cell's `s`) whose number format
    is a percentage: built-in formats 9 and 10 (`0%`, `0.00%`) or a custom one."""
    from openpyxl.styles.numbers import BUILTIN_FORMATS_MAX_SIZE, builtin_format_code

    custom = list(getattr(workbook, "_number_formats", []) or [])
    found = set()
    for index, style in enumerate(getattr(workbook, "_cell_styles", []) or []):
        number = getattr(style, "numFmtId", 0) or 0
        if number < BUILTIN_FORMATS_MAX_SIZE:
            code = builtin_format_code(number)
        elif number - BUILTIN_FORMATS_MAX_SIZE < len(custom):
            code = custom[number - BUILTIN_FORMATS_MAX_SIZE]
        else:
            code = None
        if is_percent_format(code):
            found.add(index)
    return frozenset(found)


class Uncalculated(str):
    """A formula cell saved without its result (a file written by a program that does
    not calculate): there is no value to read."""


UNCALCULATED = Uncalculated("")


def check_archive(
    archive: zipfile.ZipFile,
    *,
    max_unzipped: int,
    max_part: int,
    max_shared_strings: int,
    max_strings: int,
    too_large: str,
    too_many: str,
) -> None:
    """Refuse, before openpyxl reads anything, a workbook whose parts would take too much
    memory or time, for every importer: more than `max_unzipped` bytes unpacked; a part
    openpyxl loads whole (any XML or relationships part but a sheet, which `sheet_rows`
    streams) over `max_part` bytes, the manifest over 1 MB; shared strings over
    `max_shared_strings` bytes of XML or more than `max_strings` of them (openpyxl loads
    them all at once: a million one-letter strings are 17 MB of XML, a few KB zipped, and
    take it seconds and hundreds of MB). Sizes are those the archive declares: reading a
    member stops there, and the strings are counted with expat as they stream.

    A ValidationError on `file` with `too_large` or `too_many`; zip and XML errors of a
    damaged archive are raised as they are (the caller says the file cannot be read)."""
    from openpyxl.packaging.manifest import Manifest
    from openpyxl.xml.constants import ARC_CONTENT_TYPES, SHARED_STRINGS
    from openpyxl.xml.functions import fromstring

    members = archive.infolist()
    if sum(member.file_size for member in members) > max_unzipped:
        raise _cell_error(too_large)
    manifest_info = archive.getinfo(ARC_CONTENT_TYPES)
    if manifest_info.file_size > MAX_MANIFEST:
        raise _cell_error(too_large)
    manifest = Manifest.from_tree(fromstring(archive.read(manifest_info)))
    found = manifest.find(SHARED_STRINGS)
    strings = found.PartName[1:] if found is not None else None
    for member in members:
        name = member.filename
        loaded = name.lower().endswith((".xml", ".rels")) and not name.startswith("xl/worksheets/")
        # The shared strings have a limit of their own, below.
        if loaded and name not in (strings, ARC_CONTENT_TYPES) and member.file_size > max_part:
            raise _cell_error(too_large)
    if strings is None:
        return
    info = archive.getinfo(strings)
    if info.file_size > max_shared_strings:
        raise _cell_error(too_many)
    with archive.open(info) as source:
        _count_strings(source, max_strings, too_many)


def _count_strings(source: IO[bytes], max_strings: int, too_many: str) -> None:
    """Count the shared strings (`si` elements) with expat, stopping past `max_strings`."""
    from xml.parsers import expat

    count = 0

    def start(name: str, _attrs: Any) -> None:
        nonlocal count
        if name == "si" or name.endswith(":si"):
            count += 1
            if count > max_strings:
                raise _cell_error(too_many)

    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    while chunk := source.read(1024 * 1024):
        parser.Parse(chunk, False)
    parser.Parse(b"", True)


def open_workbook(fileobj: IO[bytes], *, data_only: bool) -> Any:
    """`fileobj` opened as openpyxl's `load_workbook(fileobj, read_only=True,
    data_only=data_only)` opens it, without reading any sheet's rows.

    openpyxl's read-only opening reads each sheet's XML up to its `<dimension>`, and a
    sheet that has none to its end: 44 MB of empty rows cost 4.5 s and all of its
    elements' memory before the importer could refuse the file for a missing sheet or a
    row limit. Only `sheet_rows` reads rows (bounded), and it needs no dimension: the
    sheets are left without one, as openpyxl's `reset_dimensions` leaves them. Errors
    are openpyxl's, as `load_workbook` raises them."""
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    class Sheet(ReadOnlyWorksheet):
        def _get_size(self) -> None:
            pass  # the dimension stays unknown: see above

    class Reader(ExcelReader):
        def read_worksheets(self) -> None:  # openpyxl's, read-only branch only
            for found, rel in self.parser.find_sheets():
                if rel.target not in self.valid_files:
                    continue
                if "chartsheet" in rel.Type:
                    self.read_chartsheet(found, rel)
                    continue
                sheet = Sheet(self.wb, found.name, rel.target, self.shared_strings)
                sheet.sheet_state = found.state
                self.wb._sheets.append(sheet)

    reader = Reader(fileobj, read_only=True, data_only=data_only, keep_links=False)
    reader.read()
    return reader.wb


def sheet_rows(
    workbook: Any,
    sheet: Any,
    width: int = 16384,
    *,
    formulas: bool = False,
    max_bytes: int | None = None,
) -> Iterator[tuple[int, list[Any]]]:
    """(row number, values) of `sheet` of a read-only openpyxl `workbook`: `fast_rows`
    over the sheet's XML when openpyxl tells where it is, else openpyxl's own reader
    (values only), kept to `width` columns the same way (a `Beyond` for a filled cell
    right of them). `max_bytes`: a sheet whose XML is larger once unpacked is refused
    (a file error) before a row is read."""
    archive = getattr(workbook, "_archive", None)
    path = getattr(sheet, "_worksheet_path", None)
    strings = getattr(sheet, "_shared_strings", None)
    if archive is not None and path and strings is not None:
        if max_bytes is not None and archive.getinfo(path).file_size > max_bytes:
            raise _cell_error(
                _("The sheet is larger than %(mb)d MB once unpacked; split it.")
                % {"mb": max_bytes // (1024 * 1024)}
            )
        with archive.open(path) as source:
            yield from fast_rows(
                source,
                strings,
                getattr(workbook, "_date_formats", set()),
                width,
                formulas=formulas,
                epoch=getattr(workbook, "epoch", None),
                timedelta_styles=getattr(workbook, "_timedelta_formats", set()),
                percent_styles=percent_styles_of(workbook),
            )
        return
    if hasattr(sheet, "reset_dimensions"):
        sheet.reset_dimensions()  # read every row, whatever the file claims its size is
    for number, row in enumerate(sheet.iter_rows(), start=1):
        cells = [_fallback_value(cell) for cell in row]
        kept = list(cells[:width])
        for index in range(width, len(cells)):
            if not is_blank_value(cells[index]):
                kept.append(Beyond(cell_text(cells[index]), _reference(index, number)))
                break
        yield number, kept


def _fallback_value(cell: Any) -> Any:
    """A cell from openpyxl's own reader as `fast_rows` gives it: a number in a percent
    format as a `Percent`."""
    value = getattr(cell, "value", None)
    if (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and is_percent_format(getattr(cell, "number_format", None))
    ):
        return as_percent(value)
    return value
