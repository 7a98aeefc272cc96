"""Bulk import of transactions from a spreadsheet (CSV or XLSX): a preview, then all or nothing.

    result = import_transactions(actor, partnership, fileobj, filename, commit=False)

reads every row, validates it exactly as `services.build_transaction` would record it, and
returns an `ImportResult`: the number of rows, the errors per row (and per column where
the column can be named), totals per currency and per IATI type. Nothing is written.
With `commit=True` the same file is read and validated again and, only when no row has
an error, every transaction goes in with its ledger entry and totals in ONE database
transaction (written in chunks with `services.save_built`, so memory stays bounded);
any bad row or a failing write rolls all of it back. The file is read (`_parse`: the
header, the row limit, every cell) before that transaction and the ledger's lock, so a
file that cannot be read never holds up another writer. A ledger entry
`finance.import.recorded` then names the file by its SHA-256, so the same file is never
imported twice into a partnership (a second confirm is a Conflict).

File-level problems (too large, not a spreadsheet, not UTF-8, wrong header row, empty,
too many rows, blank ones included) raise `ValidationError({"file": [message]})`; row
problems are listed in the result. Spreadsheet cells are data, never code: formulas in
XLSX are read as their text and never computed, and text such as `=cmd|' /C calc'!A0` is
stored as text (the exports neutralise it).

The columns are documented in docs/finance/import.md (and in the downloadable template).
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import re
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import PurePath
from typing import IO, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.core.validators import ProhibitNullCharactersValidator
from django.db import DataError, IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from sinergi.access import policy
from sinergi.access.policy import User
from sinergi.core.errors import Conflict
from sinergi.core.numbers import grouped_in_file
from sinergi.core.spreadsheets import (
    RowSpool,
    csv_unreadable,
    keep_stash,
    neutralise,
    prune_stash,
    sha256_of,
    unneutralise,
)
from sinergi.core.spreadsheets import open_stash as open_kept
from sinergi.core.xlsx import (
    MAX_SHEET,
    Beyond,
    Percent,
    check_archive,
    open_workbook,
    sheet_rows,
)
from sinergi.finance import services
from sinergi.finance.models import INCOMING_TYPES, ResourceKind, Transaction, TransactionType
from sinergi.finance.money import check_currency, minor_unit, parse_amount
from sinergi.ledger.log import append as record
from sinergi.ledger.log import hold
from sinergi.partnerships.models import Partnership

logger = logging.getLogger(__name__)

# The columns, in the template's order. Header names are matched case-insensitively;
# spaces and hyphens count as underscores ("Value date" is value_date).
COLUMNS = (
    "type",
    "value_date",
    "amount",
    "currency",
    "provider",
    "provider_activity_id",
    "receiver",
    "receiver_activity_id",
    "description",
    "budget_line",
    "pledge",
    "kind",
)
REQUIRED_COLUMNS = ("type", "value_date", "amount", "provider", "receiver")

MAX_BYTES = 50 * 1024 * 1024
# Rows after the header, blank ones included (reading them costs the same).
MAX_ROWS = 200_000
# Errors kept for display; `error_count` counts them all.
MAX_ERRORS = 1000
# Transactions written at a time inside the one database transaction.
CHUNK = 5000
# An XLSX is a zip: refuse archives that would unpack to more than this (zip bombs).
MAX_UNZIPPED = 1024 * 1024 * 1024
# Parts openpyxl loads whole, all at once (`sinergi.core.xlsx.check_archive`): the shared
# strings, at most 200 MB of XML and five per row the file may have (a row's description,
# provider and receiver are most of them, and repeat), and any part but a sheet, 20 MB.
MAX_SHARED_STRINGS = 200 * 1024 * 1024
MAX_STRINGS = 5 * MAX_ROWS
MAX_PART = 20 * 1024 * 1024
# The sheet's XML: MAX_SHEET (sinergi.core.xlsx), the results import's limit.
# Rows read and checked, kept in memory up to this size, then in a temporary file.
SPOOL_IN_MEMORY = 8 * 1024 * 1024

IMPORT_KIND = "finance.import.recorded"
STASH_DIR = "finance-imports"
STASH_MAX_AGE = timedelta(days=1)
FORMATS = ("csv", "xlsx")
SHA256 = re.compile(r"^[0-9a-f]{64}$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Amounts as text: digits with an optional decimal point (a minus is refused by value).
AMOUNT_TEXT = re.compile(r"^-?\d+(\.\d+)?$")

# Where the service's field errors belong in the spreadsheet.
FIELD_COLUMN = {
    "transaction_type": "type",
    "value_date": "value_date",
    "amount": "amount",
    "currency": "currency",
    "provider_organisation": "provider",
    "provider_name": "provider",
    "provider_activity_id": "provider_activity_id",
    "receiver_organisation": "receiver",
    "receiver_name": "receiver",
    "receiver_activity_id": "receiver_activity_id",
    "description": "description",
    "budget_line": "budget_line",
    "pledge": "pledge",
    "kind": "kind",
}


@dataclass(frozen=True)
class RowError:
    """One problem: `row` is the spreadsheet's row number (the header is row 1), `column`
    the column's name when the problem lies in one cell."""

    row: int | None
    column: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class Total:
    amount: Decimal = Decimal(0)
    count: int = 0


@dataclass
class ImportResult:
    """What an import read, found wrong, would write (preview) or wrote (commit)."""

    filename: str
    sha256: str
    format: str
    base_currency: str
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    # Amounts in each transaction's own currency, per currency.
    by_currency: dict[str, Total] = field(default_factory=dict)
    # Amounts converted to the base currency, per IATI transaction type.
    by_type: dict[str, Total] = field(default_factory=dict)
    # Expenditures above the approval threshold: recorded as awaiting approval.
    pending: int = 0
    imported: int = 0
    ledger_index: int | None = None
    # Notes that do not stop the import: rows dated outside their budget line's period.
    warnings: list[RowError] = field(default_factory=list)
    warning_count: int = 0

    @property
    def ok(self) -> bool:
        return self.error_count == 0 and self.rows > 0

    @property
    def errors_left_out(self) -> int:
        return self.error_count - len(self.errors)

    def add_error(self, row: int | None, column: str | None, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(RowError(row, column, message))

    @property
    def warnings_left_out(self) -> int:
        return self.warning_count - len(self.warnings)

    def add_warning(self, row: int | None, column: str | None, message: str) -> None:
        self.warning_count += 1
        if len(self.warnings) < MAX_ERRORS:
            self.warnings.append(RowError(row, column, message))

    def count(self, tx: Transaction) -> None:
        by_currency = self.by_currency.setdefault(tx.currency, Total())
        by_currency.amount += tx.amount
        by_currency.count += 1
        by_type = self.by_type.setdefault(tx.transaction_type, Total())
        by_type.amount += tx.base_amount
        by_type.count += 1
        if not tx.counts:
            self.pending += 1

    def currency_totals(self) -> list[tuple[str, Total]]:
        return sorted(self.by_currency.items())

    def type_totals(self) -> list[tuple[str, str, Total]]:
        """(code, name, total) in the IATI codelist's order."""
        return [
            (code, str(name), self.by_type[code])
            for code, name in TransactionType.choices
            if code in self.by_type
        ]

    def totals_dict(self) -> dict[str, Any]:
        return {
            "base_currency": self.base_currency,
            "by_currency": [
                {"currency": code, "amount": format(total.amount, "f"), "count": total.count}
                for code, total in self.currency_totals()
            ],
            "by_type": [
                {
                    "type": code,
                    "name": name,
                    "amount": format(total.amount, "f"),
                    "count": total.count,
                }
                for code, name, total in self.type_totals()
            ],
            "awaiting_approval": self.pending,
        }

    def as_dict(self) -> dict[str, Any]:
        """The API's answer: rows, errors, totals, imported."""
        return {
            "file": self.filename,
            "sha256": self.sha256,
            "rows": self.rows,
            "errors": [error.as_dict() for error in self.errors],
            "error_count": self.error_count,
            "warnings": [warning.as_dict() for warning in self.warnings],
            "warning_count": self.warning_count,
            "totals": self.totals_dict(),
            "imported": self.imported,
            "ledger_index": self.ledger_index,
        }


class _Rollback(Exception):
    """Raised inside the import's transaction to undo everything written so far."""


def _file_error(message: str) -> ValidationError:
    return ValidationError({"file": [message]})


# ---------------------------------------------------------------- who may import


# ---------------------------------------------------------------- reading files


def format_of(filename: str) -> str:
    """ "csv" or "xlsx" from the file name, or a file error naming what is accepted."""
    suffix = PurePath(str(filename or "")).suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    if suffix in (".xls", ".ods", ".numbers"):
        raise _file_error(
            _("Save the spreadsheet as Excel (.xlsx) or CSV (UTF-8) and upload that.")
        )
    raise _file_error(_("Upload a CSV (.csv) or Excel (.xlsx) file."))


def _size_of(fileobj: IO[bytes]) -> int:
    size = getattr(fileobj, "size", None)
    if isinstance(size, int):
        return size
    position = fileobj.tell()
    fileobj.seek(0, io.SEEK_END)
    size = fileobj.tell()
    fileobj.seek(position)
    return size


def _check_size(fileobj: IO[bytes]) -> None:
    size = _size_of(fileobj)
    if size == 0:
        raise _file_error(_("The file is empty."))
    if size > MAX_BYTES:
        raise _file_error(
            _("The file is larger than %(mb)d MB; split it into smaller files.")
            % {"mb": MAX_BYTES // (1024 * 1024)}
        )


def _binary_lines(fileobj: IO[bytes]) -> Iterator[bytes]:
    if isinstance(fileobj, File):
        yield from fileobj  # Django files split lines across their chunks
        return
    yield from iter(fileobj.readline, b"")


def _delimiter(line: str) -> str:
    """Comma, semicolon (Excel in Indonesian and other comma-decimal locales) or tab."""
    counts = {delimiter: line.count(delimiter) for delimiter in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _csv_rows(fileobj: IO[bytes]) -> Iterator[tuple[int, list[Any]]]:
    fileobj.seek(0)
    head = fileobj.read(4)
    fileobj.seek(0)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _file_error(_("The file is UTF-16 text; save it as “CSV UTF-8” and upload that."))
    if head.startswith(b"PK\x03\x04"):
        raise _file_error(_("This is an Excel workbook, not CSV; name it .xlsx."))
    line_number = 0

    def decoded() -> Iterator[str]:
        nonlocal line_number
        decoder = codecs.getincrementaldecoder("utf-8-sig")()
        for line_number, raw in enumerate(_binary_lines(fileobj), start=1):  # noqa: B007
            yield decoder.decode(raw)
        if rest := decoder.decode(b"", final=True):
            yield rest

    lines = decoded()
    try:
        first = next(lines, "")
        if "\x00" in first:
            raise _file_error(_("The file is not CSV text (UTF-8)."))
        # strict: a quote never closed is an error, not the rest of the file in one cell
        reader = csv.reader(_chain(first, lines), delimiter=_delimiter(first), strict=True)
        yield from enumerate(reader, start=1)
    except UnicodeDecodeError:
        raise _file_error(
            _("The file is not UTF-8 text (line %(line)d); save it as “CSV UTF-8”.")
            % {"line": max(line_number, 1)}
        ) from None
    except csv.Error as error:
        raise _file_error(csv_unreadable(error, max(line_number, 1))) from None


def _chain(first: str, rest: Iterable[str]) -> Iterator[str]:
    if first:
        yield first
    yield from rest


def _xlsx_rows(fileobj: IO[bytes]) -> Iterator[tuple[int, list[Any]]]:
    """The transactions sheet's rows, the template's columns only (a `Beyond` after them
    names a filled cell further right), from a sheet of at most MAX_SHEET unpacked."""
    fileobj.seek(0)
    if fileobj.read(4) != b"PK\x03\x04":
        raise _file_error(_("The file is not an Excel workbook (.xlsx)."))
    fileobj.seek(0)
    not_xlsx = _("The file is not an Excel workbook (.xlsx) that can be read.")
    try:
        with zipfile.ZipFile(fileobj) as archive:
            check_archive(
                archive,
                max_unzipped=MAX_UNZIPPED,
                max_part=MAX_PART,
                max_shared_strings=MAX_SHARED_STRINGS,
                max_strings=MAX_STRINGS,
                too_large=_("The workbook is too large once unpacked; split it."),
                too_many=_(
                    "The workbook holds more than %(n)s different texts; split it into "
                    "files of fewer transactions."
                )
                % {"n": f"{MAX_STRINGS:,}"},
            )
    except ValidationError:
        raise
    except Exception:  # a damaged archive, a missing or broken manifest, bad XML
        raise _file_error(not_xlsx) from None
    fileobj.seek(0)
    try:
        workbook = open_workbook(fileobj, data_only=False)
    except Exception:  # openpyxl raises many kinds on a damaged or foreign file
        raise _file_error(not_xlsx) from None
    try:
        sheets = workbook.worksheets
        if not sheets:
            raise _file_error(_("The workbook has no sheet."))
        # The template's and the export's sheet, in English or the reader's language.
        names = {"transactions", _("Transactions").lower()}
        sheet = next((s for s in sheets if s.title.strip().lower() in names), sheets[0])
        try:
            # Formulas as their text ("=SUM(...)"), never a result: a formula is not an
            # amount, and a formula-like description is kept (and neutralised on export).
            yield from sheet_rows(workbook, sheet, len(COLUMNS), formulas=True, max_bytes=MAX_SHEET)
        except ValidationError:
            raise
        except Exception:
            raise _file_error(not_xlsx) from None
    finally:
        workbook.close()


def _blank(cells: list[Any]) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells)


# ---------------------------------------------------------------- cells


def _text(value: Any) -> str:
    """A cell as text: numbers without a spurious ".0", a percentage as shown ("88%"),
    dates as YYYY-MM-DD, and without
    the apostrophe a template or export put before a formula-like value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, Percent):
        return f"{value.shown()}%"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return unneutralise(str(value).strip())


def _header_name(value: Any) -> str:
    return re.sub(r"[\s\-]+", "_", _text(value).strip().lower())


def read_header(cells: list[Any]) -> dict[str, int]:
    """Column name → position, or one file error naming every missing, unknown or
    repeated column."""
    positions: dict[str, int] = {}
    unknown: list[str] = []
    repeated: list[str] = []
    for index, cell in enumerate(cells):
        name = _header_name(cell)
        if not name:
            continue
        if name not in COLUMNS:
            unknown.append(_text(cell)[:40])
        elif name in positions:
            repeated.append(name)
        else:
            positions[name] = index
    missing = [name for name in REQUIRED_COLUMNS if name not in positions]
    if missing or unknown or repeated:
        parts = []
        if missing:
            parts.append(_("missing: %(columns)s") % {"columns": ", ".join(missing)})
        if unknown:
            parts.append(_("unknown: %(columns)s") % {"columns": ", ".join(unknown)})
        if repeated:
            parts.append(_("repeated: %(columns)s") % {"columns": ", ".join(repeated)})
        raise _file_error(
            _(
                "The first row must name the columns (%(problems)s). "
                "The columns are: %(columns)s; download the template to start from."
            )
            % {"problems": "; ".join(parts), "columns": ", ".join(COLUMNS)}
        )
    return positions


class _Resolver:
    """Turns a row's cells into `build_transaction` fields, naming the bad cells."""

    def __init__(self, partnership: Partnership, lookups: services.Lookups) -> None:
        self.partnership = partnership
        self.lookups = lookups
        self.by_identifier: dict[str, int] = {}
        # A partner as people write it, case aside: its name, acronym, short name (slug)
        # or "Name (ACRONYM)" as the partner pickers show it. Two partners that one of
        # these could mean: it cannot say which (None).
        self.by_name: dict[str, int | None] = {}
        for organisation in lookups.partners.values():
            if organisation.iati_identifier:
                self.by_identifier[organisation.iati_identifier.strip()] = organisation.pk
            name = organisation.name.strip()
            acronym = (organisation.acronym or "").strip()
            spellings = {name, organisation.slug, acronym}
            if acronym:
                spellings.add(f"{name} ({acronym})")
            for spelling in {s.casefold() for s in spellings if s}:
                known = self.by_name.get(spelling, organisation.pk)
                self.by_name[spelling] = organisation.pk if known == organisation.pk else None
        self.lines_by_title: dict[str, int | None] = {}
        for line in lookups.budget_lines.values():
            title = line.title.strip()
            self.lines_by_title[title] = None if title in self.lines_by_title else line.pk
        self.types: dict[str, str] = {code: code for code in TransactionType.values}
        self.kinds: dict[str, str] = {code: code for code in ResourceKind.values}
        for language in ("en", "id"):
            with override(language):
                for code, name in TransactionType.choices:
                    self.types.setdefault(str(name).casefold(), code)
                for code, name in ResourceKind.choices:
                    self.kinds.setdefault(str(name).casefold(), code)
        self.null_message = str(ProhibitNullCharactersValidator.message)

    def party(self, value: Any, side: str, fields: dict[str, Any], errors: list) -> None:
        text = _text(value)
        if not text:
            return
        if text in self.by_identifier:
            fields[f"{side}_organisation"] = self.by_identifier[text]
            return
        folded = text.casefold()
        if folded in self.by_name:
            pk = self.by_name[folded]
            if pk is None:
                errors.append(
                    (side, _("Several partners have this name; give its IATI identifier."))
                )
                return
            fields[f"{side}_organisation"] = pk
            return
        fields[f"{side}_name"] = text

    def budget_line(self, value: Any) -> int:
        text = _text(value)
        pk = _row_id(text)
        if pk is not None and pk in self.lookups.budget_lines:
            return pk
        if text in self.lines_by_title:
            pk = self.lines_by_title[text]
            if pk is None:
                raise ValueError(_("Several budget lines have this title; give its id."))
            return pk
        raise ValueError(_("Choose a budget line of this partnership (its id or exact title)."))

    @staticmethod
    def _amount(amount: Any, currency: str | None, fields: dict, errors: list) -> None:
        """The amount cell into `fields["amount"]`, or its error into `errors`."""
        if isinstance(amount, bool) or amount is None:
            amount = "" if amount is None else "x"
        elif isinstance(amount, float):
            amount = Decimal(repr(amount))  # the shortest decimal that is this cell's value
        elif isinstance(amount, int):
            amount = Decimal(amount)
        elif not isinstance(amount, str) or not AMOUNT_TEXT.match(amount):
            amount = "x"  # text such as "1,500", "+5", "1e3" or a formula is not an amount
        elif ambiguous := grouped_in_file(amount):
            errors.append(("amount", ambiguous))
            return
        try:
            fields["amount"] = parse_amount(amount, currency or "CLF")
        except ValidationError as error:
            messages = error.message_dict.get("amount", error.messages)
            message = " ".join(messages)
            if amount == "":
                message = _("This field is required.")
            errors.append(("amount", message))

    def fields(self, cells: list[Any], positions: dict[str, int]) -> tuple[dict, list]:
        """(fields for build_transaction, [(column, message)]) for one row."""
        errors: list[tuple[str | None, str]] = []
        values: dict[str, Any] = {}
        for name, index in positions.items():
            value = cells[index] if index < len(cells) else None
            if isinstance(value, str):
                if "\x00" in value:
                    errors.append((name, self.null_message))
                    value = None
                else:
                    value = value.strip() or None
            values[name] = value
        fields: dict[str, Any] = {}

        kind_of = _text(values.get("type"))
        code = self.types.get(kind_of) or self.types.get(kind_of.casefold())
        if code is None:
            errors.append(
                ("type", _("Use an IATI transaction type code: 1, 2, 3, 4, 11, 12 or 13."))
            )
        fields["transaction_type"] = code

        currency = self.partnership.base_currency
        if values.get("currency") is not None:
            try:
                currency = check_currency(_text(values["currency"]))
            except ValidationError as error:
                errors.append(("currency", " ".join(error.messages)))
                currency = None
        fields["currency"] = currency

        amount = values.get("amount")
        if isinstance(amount, Percent):
            message = _("“%(text)s” is a percentage; enter the amount itself.")
            errors.append(("amount", message % {"text": _text(amount)[:40]}))
        else:
            self._amount(amount, currency, fields, errors)

        day = values.get("value_date")
        if isinstance(day, datetime):
            fields["value_date"] = day.date()
        elif isinstance(day, date):
            fields["value_date"] = day
        else:
            text = _text(day)
            try:
                if not ISO_DATE.match(text):
                    raise ValueError(text)
                fields["value_date"] = date.fromisoformat(text)
            except ValueError:
                errors.append(("value_date", _("Enter a valid date (YYYY-MM-DD).")))

        for side in ("provider", "receiver"):
            self.party(values.get(side), side, fields, errors)
        for name in ("provider_activity_id", "receiver_activity_id", "description"):
            fields[name] = _text(values.get(name))

        if values.get("budget_line") is not None:
            try:
                fields["budget_line"] = self.budget_line(values["budget_line"])
            except ValueError as error:
                errors.append(("budget_line", str(error)))
        if values.get("pledge") is not None:
            pk = _row_id(_text(values["pledge"]))
            if pk is not None and pk in self.lookups.pledges:
                fields["pledge"] = pk
            else:
                errors.append(("pledge", _("Choose a pledge of this partnership (its id).")))
        kind = _text(values.get("kind"))
        if kind:
            found = self.kinds.get(kind) or self.kinds.get(kind.casefold())
            if found is None:
                errors.append(("kind", _("Use cash, goods, personnel, expertise or network.")))
            fields["kind"] = found
        return fields, errors


_ROW_ID = re.compile(r"[0-9]{1,19}")


def _row_id(text: str) -> int | None:
    """A row's id written in a cell: ASCII digits, at most 19 (a 64-bit id). str.isdigit
    also takes "²" (which int() refuses) and "٣" (which int() reads as 3), so a cell of
    other digits would fail the import with Python's own words or pick row 3."""
    return int(text) if _ROW_ID.fullmatch(text) else None


class _CachedLookups(services.Lookups):
    """Lookups that remember a missing rate, so 100,000 rows in a currency with no rate
    ask the database once, not once per row."""

    def rate(self, partnership: Partnership, currency: str, on: date) -> tuple[Decimal, Any]:
        misses: dict[tuple[str, date], ValidationError] = self.__dict__.setdefault("_misses", {})
        key = (currency, on)
        if key in misses:
            raise misses[key]
        try:
            return super().rate(partnership, currency, on)
        except ValidationError as error:
            if len(misses) < 10_000:
                misses[key] = error
            raise


def _books_column(fields: dict[str, Any]) -> str:
    return "receiver" if fields.get("transaction_type") in INCOMING_TYPES else "provider"


class _Parsed:
    """A file read and checked as a whole, before any database work: the header's
    columns, and each row with something in it as (row number, its cells up to the
    header's last column, whether a cell right of that is filled), kept in a
    `RowSpool`."""

    def __init__(self, positions: dict[str, int], spool: RowSpool) -> None:
        self.positions = positions
        self.spool = spool

    def rows(self) -> Iterator[tuple[int, list[Any], bool]]:
        return iter(self.spool)

    def close(self) -> None:
        self.spool.close()


def _parse(fileobj: IO[bytes], kind: str) -> _Parsed:
    """Read the whole file: the header row, every row counted toward MAX_ROWS (blank or
    not: a sheet of empty rows costs as much to read), every cell read. File errors are
    raised here, before the import looks anything up or takes a lock."""
    positions: dict[str, int] | None = None
    width = 0
    read = 0
    spool = RowSpool(SPOOL_IN_MEMORY)
    try:
        with closing(_csv_rows(fileobj) if kind == "csv" else _xlsx_rows(fileobj)) as rows:
            for number, cells in rows:
                blank = _blank(cells)
                if positions is None and not blank:
                    positions = _header(cells)
                    width = max(i for i, cell in enumerate(cells) if _text(cell)) + 1
                    continue
                read += 1
                if read > MAX_ROWS:
                    raise _file_error(
                        _(
                            "The file has more than %(n)s rows, empty ones included; delete "
                            "empty rows, or split it into smaller files."
                        )
                        % {"n": f"{MAX_ROWS:,}"}
                    )
                if blank:
                    continue
                spool.add((number, cells[:width], any(_text(c) for c in cells[width:])))
        if positions is None:
            raise _file_error(_("The file is empty."))
        if spool.empty:
            raise _file_error(_("The file has a header row but no transactions."))
    except BaseException:
        spool.close()
        raise
    return _Parsed(positions, spool)


def _header(cells: list[Any]) -> dict[str, int]:
    """`read_header`; in a workbook, of which only the template's number of columns is
    read, a column named right of them (after empty columns) is refused."""
    positions = read_header(cells)
    for index in positions.values():
        cell = cells[index]
        if isinstance(cell, Beyond):
            raise _file_error(
                _(
                    "The first row names “%(name)s” in cell %(cell)s, right of the "
                    "template's %(n)d columns; remove the empty columns before it."
                )
                % {"name": _text(cell)[:40], "cell": cell.cell, "n": len(COLUMNS)}
            )
    return positions


def _validated(
    actor: User,
    partnership: Partnership,
    parsed: _Parsed,
    result: ImportResult,
) -> Iterator[Transaction]:
    """Every valid row as an unsaved Transaction; every problem into `result`."""
    positions = parsed.positions
    lookups = _CachedLookups.load(partnership)
    resolver = _Resolver(partnership, lookups)
    for number, cells, beyond in parsed.rows():
        result.rows += 1
        if beyond:
            result.add_error(
                number,
                None,
                _(
                    "This row has more cells than the header row has columns; "
                    "a column may be shifted."
                ),
            )
            continue
        fields, errors = resolver.fields(cells, positions)
        if errors:
            for column, message in errors:
                result.add_error(number, column, message)
            continue
        try:
            tx = services.build_transaction(
                actor=actor, partnership=partnership, lookups=resolver.lookups, **fields
            )
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                result.add_error(number, FIELD_COLUMN.get(name), " ".join(messages))
            continue
        except PermissionDenied as error:
            result.add_error(number, _books_column(fields), str(error))
            continue
        result.count(tx)
        if tx.outside_budget_period:
            result.add_warning(number, FIELD_COLUMN["value_date"], tx.budget_period_note())
        yield tx


# ---------------------------------------------------------------- import


def previous_import(partnership: Partnership, sha256: str) -> dict[str, Any] | None:
    """The ledger's record of an earlier import of this file into `partnership`, if any."""
    import json

    from sinergi.ledger.models import Entry

    entries = Entry.objects.filter(partnership_ref=partnership.pk, kind=IMPORT_KIND)
    for index, body in entries.values_list("index", "body"):
        payload = json.loads(bytes(body)).get("payload", {})
        if payload.get("sha256") == sha256:
            return {"index": index, **payload}
    return None


def check_record(index: int, partnership_ref: int | None, body: bytes) -> str | None:
    """For `sinergi finance check`: the problem with an import's ledger record, or None.

    The import held the ledger from its first transaction's entry to its record, so
    exactly `transactions` of the partnership's transactions have entries in between.
    """
    import json

    payload = json.loads(body).get("payload") or {}
    first, claimed = payload.get("first_entry"), payload.get("transactions")
    if not isinstance(first, int) or not isinstance(claimed, int) or first >= index:
        return _("the import record does not say which entries it covers")
    written = Transaction.objects.filter(
        partnership_id=partnership_ref, ledger_index__gte=first, ledger_index__lt=index
    ).count()
    if written != claimed:
        return _("the import record names %(claimed)d transactions; %(written)d were written") % {
            "claimed": claimed,
            "written": written,
        }
    return None


def _duplicate(found: dict[str, Any]) -> Conflict:
    return Conflict(
        _(
            "This file was already imported (%(n)d transactions, ledger entry #%(index)d); "
            "it is not imported twice."
        )
        % {"n": found.get("transactions", 0), "index": found["index"]},
        "file",
    )


def import_transactions(
    actor: User,
    partnership: Partnership,
    fileobj: IO[bytes],
    filename: str,
    commit: bool,
) -> ImportResult:
    """Validate (and with `commit`, record) the transactions in a CSV or XLSX file.

    `fileobj` is a seekable binary file (an upload, an open file, BytesIO); `filename`'s
    extension says the format. Raises PermissionDenied when `actor` may not import here,
    ValidationError({"file": [...]}) when the file cannot be read as a whole, and
    Conflict when `commit` and this file (same SHA-256) was already imported into
    `partnership`. Otherwise returns an ImportResult; with `commit`, `imported` is the
    number written, or 0 when any row had an error (then nothing was written).
    """
    if not policy.can_import_finance(actor, partnership):
        raise PermissionDenied(_("You may not import transactions in this partnership."))
    kind = format_of(filename)
    _check_size(fileobj)
    result = ImportResult(
        filename=PurePath(str(filename)).name[:200],
        sha256=sha256_of(fileobj),
        format=kind,
        base_currency=partnership.base_currency,
    )
    found = previous_import(partnership, result.sha256)
    if found is not None:
        raise _duplicate(found)
    # Read the whole file first, outside any transaction: only the lookups, the checks
    # against them and the writes happen under the ledger's lock.
    with closing(_parse(fileobj, kind)) as parsed:
        if not commit:
            for _tx in _validated(actor, partnership, parsed, result):
                pass
            return result
        try:
            with transaction.atomic():
                # The ledger's lock first, as every finance write takes it, and before the
                # rates are read (a rate replaced meanwhile would otherwise be half used).
                hold()
                # One import at a time per partnership, and the duplicate check in the lock.
                Partnership.objects.select_for_update(no_key=True, of=("self",)).filter(
                    pk=partnership.pk
                ).exists()
                found = previous_import(partnership, result.sha256)
                if found is not None:
                    raise _duplicate(found)
                _write(actor, partnership, parsed, kind, result)
        except _Rollback:
            result.imported = 0
            result.ledger_index = None
        except (IntegrityError, DataError):
            logger.exception("finance import of %s failed while writing", result.sha256)
            raise _file_error(
                _("The transactions could not be saved, so none was imported. Try again.")
            ) from None
    return result


def _write(
    actor: User, partnership: Partnership, parsed: _Parsed, kind: str, result: ImportResult
) -> None:
    """Validate and write in chunks inside the caller's transaction; _Rollback on errors."""
    chunk: list[Transaction] = []
    first: int | None = None
    for tx in _validated(actor, partnership, parsed, result):
        if result.error_count:
            continue  # keep validating to report every error; nothing more is written
        chunk.append(tx)
        if len(chunk) >= CHUNK:
            first = _save(actor, partnership, chunk, result, first)
            chunk = []
    if result.error_count:
        raise _Rollback
    first = _save(actor, partnership, chunk, result, first)
    payload = {
        "sha256": result.sha256,
        "file": result.filename,
        "format": kind,
        "rows": result.rows,
        "transactions": result.imported,
        "first_entry": first,
        "totals": result.totals_dict()["by_currency"],
    }
    entry = record(IMPORT_KIND, payload, partnership, actor)
    result.ledger_index = entry.index


def _save(
    actor: User,
    partnership: Partnership,
    chunk: list[Transaction],
    result: ImportResult,
    first: int | None,
) -> int | None:
    if not chunk:
        return first
    saved = services.save_built(actor, partnership, chunk)
    result.imported += len(saved)
    return first if first is not None else saved[0].ledger_index


# ---------------------------------------------------------------- between preview and confirm


def _stash_name(user: User, sha256: str, kind: str) -> str:
    return f"{STASH_DIR}/{int(user.pk)}/{sha256}.{kind}"


def stash(user: User, fileobj: IO[bytes], sha256: str, kind: str) -> None:
    """Keep a previewed file (by its hash, in the user's own folder) until it is confirmed."""
    _prune(user)
    keep_stash(_stash_name(user, sha256, kind), fileobj, sha256)


def open_stash(user: User, sha256: str, kind: str) -> IO[bytes] | None:
    """The user's previewed file with this hash, or None (never another user's)."""
    if not user.is_authenticated or not SHA256.match(sha256 or "") or kind not in FORMATS:
        return None
    return open_kept(_stash_name(user, sha256, kind), sha256)


def discard_stash(user: User, sha256: str, kind: str) -> None:
    if SHA256.match(sha256 or "") and kind in FORMATS:
        default_storage.delete(_stash_name(user, sha256, kind))


def _prune(user: User) -> None:
    prune_stash(f"{STASH_DIR}/{int(user.pk)}", STASH_MAX_AGE)


# ---------------------------------------------------------------- the template


def template_rows(partnership: Partnership, user: User) -> list[list[Any]]:
    """The header row and one example row (an expenditure on the user's books)."""
    partners = list(
        partnership.participations.select_related("organisation").order_by("organisation__name")
    )
    own = getattr(user, "organisation_id", None)
    books = next((p.organisation for p in partners if p.organisation_id == own), None)
    if books is None and partners:
        books = partners[0].organisation
    provider = ""
    if books is not None:
        provider = books.iati_identifier or books.name
    currency = partnership.base_currency
    amount = Decimal("2500000") if minor_unit(currency) == 0 else Decimal("1500.00")
    example = {
        "type": "4",
        "value_date": timezone.localdate(),
        "amount": amount,
        "currency": currency,
        "provider": provider,
        "provider_activity_id": "",
        "receiver": _("Example supplier"),
        "receiver_activity_id": "",
        "description": _("Example row: replace it with your own"),
        "budget_line": "",
        "pledge": "",
        "kind": "cash",
    }
    # Names come from users: an organisation called "=HYPERLINK(…)" must stay text in the
    # spreadsheet (the import takes the apostrophe off again).
    row = [neutralise(v) if isinstance(v, str) else v for v in (example[n] for n in COLUMNS)]
    return [list(COLUMNS), row]


def template_csv(partnership: Partnership, user: User) -> bytes:
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    for row in template_rows(partnership, user):
        writer.writerow([value.isoformat() if isinstance(value, date) else value for value in row])
    return buffer.getvalue().encode("utf-8")


def column_help() -> list[tuple[str, str, str]]:
    """(column, required or optional, what goes in it), for the template and the page."""
    required, optional = _("required"), _("optional")
    return [
        ("type", required, _("IATI transaction type: 1, 2, 3, 4, 11, 12 or 13.")),
        ("value_date", required, _("The date of the transaction, YYYY-MM-DD.")),
        ("amount", required, _("More than zero, with a point for decimals, e.g. 1500.50.")),
        ("currency", optional, _("ISO 4217 code, e.g. IDR or USD; empty: the base currency.")),
        (
            "provider",
            required,
            _("A partner's IATI identifier or exact name, or the name of an outside party."),
        ),
        ("provider_activity_id", optional, _("The provider's IATI activity id, if known.")),
        (
            "receiver",
            required,
            _("A partner's IATI identifier or exact name, or the name of an outside party."),
        ),
        ("receiver_activity_id", optional, _("The receiver's IATI activity id, if known.")),
        ("description", optional, _("What the money was for (500 characters at most).")),
        ("budget_line", optional, _("A budget line's id or exact title.")),
        ("pledge", optional, _("The id of the pledge this delivers.")),
        ("kind", optional, _("cash (default), goods, personnel, expertise or network.")),
    ]


def template_xlsx(partnership: Partnership, user: User) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Transactions")[:31]
    header, example = template_rows(partnership, user)
    sheet.append(header)
    sheet.append(example)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    date_cell = sheet.cell(row=2, column=COLUMNS.index("value_date") + 1)
    date_cell.number_format = "yyyy-mm-dd"
    for index, value in enumerate(example, start=1):
        if isinstance(value, str):  # text, never a formula (openpyxl reads "=…" as one)
            sheet.cell(row=2, column=index).data_type = "s"
    for index, name in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = max(
            12, len(name) + 4
        )
    notes = workbook.create_sheet(_("Columns")[:31])
    notes.append([_("Column"), _("Required?"), _("What to enter")])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for row in column_help():
        notes.append(list(row))
    notes.column_dimensions["A"].width = 24
    notes.column_dimensions["B"].width = 12
    notes.column_dimensions["C"].width = 80
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
