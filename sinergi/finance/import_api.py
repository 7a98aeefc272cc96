"""Import transactions from a spreadsheet through the API (mounted at /api/v1/partnerships).

    POST /api/v1/partnerships/{slug}/finance/transactions/import?commit=false|true
    multipart/form-data with `file` (a .csv or .xlsx)

`commit=false` (the default) checks every row and writes nothing: 200 with the rows read,
the errors per row and column, and the totals. `commit=true` records all rows or none:
200 with `imported` > 0, or 422 with the same report inside the error envelope when a
row is wrong. A file that cannot be read at all (too large, not a spreadsheet, wrong
header row) is a 422 on `file`; the same file imported twice is a 409 on `file`.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from ninja import Field, File, Router, Schema
from ninja.files import UploadedFile

from sinergi.access import policy
from sinergi.core.schemas import Flag
from sinergi.finance import importer

router = Router(tags=["finance"])
# Optional for ninja, so that the partnership is looked up first (a private one answers
# 404 whatever the body) and a missing file is a 422 on "file".
SPREADSHEET = File(None, description="A .csv (UTF-8) or .xlsx file, at most 50 MB")


class ImportErrorOut(Schema):
    row: int | None
    column: str | None
    message: str


class CurrencyTotalOut(Schema):
    currency: str
    amount: str
    count: int


class TypeTotalOut(Schema):
    type: str
    name: str
    amount: str
    count: int


class TotalsOut(Schema):
    base_currency: str
    by_currency: list[CurrencyTotalOut]
    by_type: list[TypeTotalOut]
    awaiting_approval: int


class ImportOut(Schema):
    file: str
    sha256: str
    rows: int
    errors: list[ImportErrorOut]
    error_count: int
    warnings: list[ImportErrorOut] = Field(
        description="Rows that are recorded but worth a look: dated outside their budget "
        "line's period (at most 1,000 listed)"
    )
    warning_count: int
    totals: TotalsOut
    imported: int
    ledger_index: int | None


@router.post(
    "/{slug}/finance/transactions/import",
    response={200: ImportOut},
    summary="Import transactions from a CSV or XLSX file (preview, or commit all or nothing)",
)
def import_transactions(
    request: HttpRequest, slug: str, commit: Flag = False, file: UploadedFile | None = SPREADSHEET
) -> Any:
    partnership = policy.get_partnership_for(request.user, slug)
    if not policy.can_view_finance(request.user, partnership):
        raise Http404("No such partnership.")
    if not policy.can_import_finance(request.user, partnership):
        raise PermissionDenied
    if file is None:
        raise ValidationError({"file": [_("Send the spreadsheet as the multipart field “file”.")]})
    result = importer.import_transactions(
        request.user, partnership, file, file.name or "", commit=commit
    )
    if commit and not result.imported:
        return _refused(request, result)
    return result.as_dict()


def _refused(request: HttpRequest, result: importer.ImportResult) -> HttpResponse:
    from sinergi.api import error_response  # the API module imports this router

    message = ngettext(
        "%(n)d error; nothing was imported.",
        "%(n)d errors; nothing was imported.",
        result.error_count,
    ) % {"n": result.error_count}
    return error_response(request, 422, "invalid", message, {"file": [message]}, **result.as_dict())
