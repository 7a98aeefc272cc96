"""Spreadsheets for the import tests: CSV and XLSX bytes from rows."""

from __future__ import annotations

import csv
import io
from typing import Any

HEADER = [
    "type",
    "value_date",
    "amount",
    "currency",
    "provider",
    "receiver",
    "description",
    "budget_line",
]


def incoming_row(funded, **changes: Any) -> dict[str, Any]:
    """USD funds from the funder into the NGO's books."""
    row = {
        "type": "1",
        "value_date": "2026-03-15",
        "amount": "10000.00",
        "currency": "USD",
        "provider": funded.funder.name,
        "receiver": funded.ngo.name,
        "description": "First tranche",
        "budget_line": funded.line.title,
    }
    row.update(changes)
    return row


def expenditure_row(funded, **changes: Any) -> dict[str, Any]:
    """An IDR expenditure on the NGO's books, paid to an outside supplier."""
    row = {
        "type": "4",
        "value_date": "2026-04-02",
        "amount": "50000000",
        "currency": "IDR",
        "provider": funded.ngo.name,
        "receiver": "PT Dingin Sejahtera",
        "description": "Cold boxes",
        "budget_line": str(funded.line.pk),
    }
    row.update(changes)
    return row


def csv_bytes(rows: list[dict[str, Any]], header: list[str] = HEADER, **options: Any) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, **options)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(name, "") for name in header])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_bytes(rows: list[list[Any]], header: list[str] = HEADER) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Transactions"
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
