"""What every spreadsheet export shares: content types and formula neutralisation."""

from __future__ import annotations

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def neutralise(text: str) -> str:
    """Keep spreadsheet programs from running a cell as a formula (CSV injection, OWASP):
    text starting with = + - @ tab or carriage return gets a leading apostrophe."""
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text
