"""The RACI matrix as a spreadsheet: CSV and XLSX with the same rows.

Layout: a header row (code, work package, goal, one column per partner, problems), one
row per work package, an empty row, then a legend of the letters and of the partners'
full names and types.
"""

from __future__ import annotations

import csv
import io

from django.http import HttpResponse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sinergi.core.spreadsheets import CSV_TYPE, XLSX_TYPE, neutralise
from sinergi.partnerships.models import Raci
from sinergi.partnerships.raci.queries import RaciMatrix

LETTER_MEANINGS = {
    Raci.RESPONSIBLE: gettext_lazy("Responsible: does the work"),
    Raci.ACCOUNTABLE: gettext_lazy("Accountable: answers for the result; one per work package"),
    Raci.CONSULTED: gettext_lazy("Consulted: gives advice before decisions"),
    Raci.INFORMED: gettext_lazy("Informed: is kept up to date"),
}


def rows(found: RaciMatrix) -> list[list[str]]:
    """The spreadsheet as rows of text, shared by the CSV and the XLSX export."""
    header = [_("Code"), _("Work package"), _("Goal")]
    header += [p.short_name for p in found.partners]
    header.append(_("Problems"))
    table = [header]
    for row in found.rows:
        wp = row.work_package
        line = [wp.code, wp.title, wp.goal.title if wp.goal else ""]
        line += [cell.letter or "" for cell in row.cells]
        line.append(" ".join(p.message for p in row.problems))
        table.append(line)
    table.append([])
    table.append([_("Legend")])
    for letter, _label in Raci.choices:
        table.append([letter, str(LETTER_MEANINGS[letter])])
    table.append([])
    table.append([_("Partner"), _("Full name"), _("Type"), _("Flagged")])
    for partner in found.partners:
        table.append(
            [
                partner.short_name,
                partner.organisation.name,
                partner.type_label,
                _("no responsibility") if partner.flagged else "",
            ]
        )
    return table


def _filename(found: RaciMatrix, extension: str) -> str:
    return f"raci-{slugify(found.partnership.slug)}-{timezone.localdate().isoformat()}.{extension}"


def _attachment(response: HttpResponse, filename: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def csv_response(found: RaciMatrix) -> HttpResponse:
    """The matrix as a UTF-8 CSV file (with a byte-order mark, so Excel reads the accents)."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    for line in rows(found):
        writer.writerow([neutralise(str(value)) for value in line])
    response = HttpResponse(buffer.getvalue().encode("utf-8"), content_type=CSV_TYPE)
    return _attachment(response, _filename(found, "csv"))


def xlsx_bytes(found: RaciMatrix) -> bytes:
    """The matrix as an Excel workbook with one sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "RACI"
    # Neutralised as in the CSV: text starting with = + - @ gets an apostrophe, so no
    # cell is a formula (openpyxl would also write "=…" text as one).
    for line in rows(found):
        sheet.append([neutralise(str(value)) for value in line])
    bold = Font(bold=True)
    for cell in sheet[1]:
        cell.font = bold
    partner_columns = range(4, 4 + len(found.partners))
    letter_fill = PatternFill("solid", fgColor="E7F5EE")
    accountable_fill = PatternFill("solid", fgColor="FFF4E0")
    for row_number in range(2, 2 + len(found.rows)):
        for column in partner_columns:
            cell = sheet.cell(row=row_number, column=column)
            cell.alignment = Alignment(horizontal="center")
            if cell.value == Raci.ACCOUNTABLE:
                cell.fill = accountable_fill
            elif cell.value:
                cell.fill = letter_fill
    legend_row = len(found.rows) + 3
    sheet.cell(row=legend_row, column=1).font = bold
    sheet.cell(row=legend_row + len(Raci.choices) + 2, column=1).font = bold
    sheet.freeze_panes = "D2"
    sheet.column_dimensions["A"].width = 12
    sheet.column_dimensions["B"].width = 40
    sheet.column_dimensions["C"].width = 30
    for column in partner_columns:
        sheet.column_dimensions[get_column_letter(column)].width = 14
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_response(found: RaciMatrix) -> HttpResponse:
    response = HttpResponse(xlsx_bytes(found), content_type=XLSX_TYPE)
    return _attachment(response, _filename(found, "xlsx"))
