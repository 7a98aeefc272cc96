"""A partnership's transactions as a spreadsheet: CSV (streamed) and XLSX (write-only).

The columns follow IATI's transaction element: type code and name, value date, amount
and currency, the rate and its date, the amount in the base currency, provider and
receiver with their IATI activity ids, then the budget line, status, description, the
correction links and the ledger index. Both formats read the rows in chunks, so a
100,000-row export never holds the rows in memory.

Text that a spreadsheet program would run as a formula (=, +, -, @, tab, CR first) is
prefixed with an apostrophe; numbers and dates stay numbers and dates.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from sinergi.core.spreadsheets import CSV_TYPE, neutralise, xlsx_file_response
from sinergi.finance.models import ResourceKind, Transaction, TransactionStatus, TransactionType
from sinergi.finance.money import quantize
from sinergi.partnerships.models import Partnership

CHUNK = 2000


def header(base_currency: str) -> list[str]:
    return [
        _("ID"),
        _("Type code"),
        _("Type"),
        _("Resource"),
        _("Value date"),
        _("Amount"),
        _("Currency"),
        _("Rate"),
        _("Rate date"),
        _("Amount in %(currency)s") % {"currency": base_currency},
        _("Provider"),
        _("Provider's IATI activity"),
        _("Receiver"),
        _("Receiver's IATI activity"),
        _("Budget line"),
        _("Status"),
        _("Description"),
        _("Reverses"),
        _("Replaces"),
        _("Ledger entry"),
    ]


# Which columns are text (neutralised); the others are numbers, dates or ids.
TEXT_COLUMNS = frozenset({2, 3, 6, 10, 11, 12, 13, 14, 15, 16})


class Labels:
    """Translated names, taken once in the request's language (a streamed body is
    produced after the view returns, when the language may no longer be active)."""

    def __init__(self) -> None:
        self.types = {code: str(name) for code, name in TransactionType.choices}
        self.statuses = {code: str(name) for code, name in TransactionStatus.choices}
        self.kinds = {code: str(name) for code, name in ResourceKind.choices}


def values(tx: Transaction, labels: Labels, base_currency: str) -> list[object]:
    """One transaction as typed cell values (Decimal, date, int or text)."""
    provider = tx.provider_organisation.name if tx.provider_organisation else tx.provider_name
    receiver = tx.receiver_organisation.name if tx.receiver_organisation else tx.receiver_name
    return [
        tx.pk,
        tx.transaction_type,
        labels.types.get(tx.transaction_type, tx.transaction_type),
        labels.kinds.get(tx.kind, tx.kind),
        tx.value_date,
        quantize(tx.amount, tx.currency),
        tx.currency,
        tx.rate.normalize(),
        tx.rate_date,
        quantize(tx.base_amount, base_currency),
        provider,
        tx.provider_activity_id,
        receiver,
        tx.receiver_activity_id,
        tx.budget_line.title if tx.budget_line_id else "",
        labels.statuses.get(tx.status, tx.status),
        tx.description,
        tx.reverses_id,
        tx.corrects_id,
        tx.ledger_index,
    ]


def _clean(row: list[object]) -> list[object]:
    """Text cells neutralised; the rest left as they are."""
    return [
        neutralise(str(value)) if index in TEXT_COLUMNS and value is not None else value
        for index, value in enumerate(row)
    ]


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _filename(partnership: Partnership, extension: str) -> str:
    today = timezone.localdate().isoformat()
    return f"finance-{slugify(partnership.slug)}-{today}.{extension}"


class _Echo:
    """A file-like object whose write returns the line, for csv.writer in a generator."""

    def write(self, value: str) -> str:
        return value


def csv_lines(partnership: Partnership, rows: QuerySet[Transaction]) -> Iterator[str]:
    """The CSV file line by line: a byte-order mark (so Excel reads accents), the
    header, then one line per transaction, read from the database in chunks."""
    labels = Labels()
    writer = csv.writer(_Echo())
    head = header(partnership.base_currency)

    def generate() -> Iterator[str]:
        yield "\ufeff" + writer.writerow(head)
        for tx in rows.iterator(chunk_size=CHUNK):
            yield writer.writerow(
                [_text(v) for v in _clean(values(tx, labels, partnership.base_currency))]
            )

    return generate()


def csv_response(partnership: Partnership, rows: QuerySet[Transaction]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        (line.encode("utf-8") for line in csv_lines(partnership, rows)), content_type=CSV_TYPE
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename(partnership, "csv")}"'
    return response


def write_xlsx(partnership: Partnership, rows: QuerySet[Transaction], target) -> None:
    """Write the workbook to `target` (a binary file) in openpyxl's write-only mode."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    labels = Labels()
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Transactions")[:31])
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    head = []
    for title in header(partnership.base_currency):
        cell = WriteOnlyCell(sheet, value=neutralise(title))
        cell.font = bold
        head.append(cell)
    sheet.append(head)
    for tx in rows.iterator(chunk_size=CHUNK):
        line = []
        for index, value in enumerate(_clean(values(tx, labels, partnership.base_currency))):
            cell = WriteOnlyCell(sheet, value=value)
            if index in TEXT_COLUMNS and isinstance(value, str):
                cell.data_type = "s"  # text, never a formula
            elif isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
            line.append(cell)
        sheet.append(line)
    workbook.save(target)


def xlsx_response(partnership: Partnership, rows: QuerySet[Transaction]) -> FileResponse:
    """The workbook, built in a temporary file on disk and sent from there."""
    return xlsx_file_response(
        lambda target: write_xlsx(partnership, rows, target), _filename(partnership, "xlsx")
    )
