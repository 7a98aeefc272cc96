"""The results spreadsheet round trip through the API (mounted at /api/v1/partnerships).

    GET  /{slug}/results/spreadsheet/template?period=2025-Q1&organisation=12   → XLSX
    POST /{slug}/results/spreadsheet/preview   multipart `file` [, period, organisation, submit]
    POST /{slug}/results/spreadsheet/import    multipart `file` [, period, organisation, submit]

`preview` checks every cell and writes nothing: 200 with the rows read, what would be
written and the errors by cell. `import` writes all values or none: 200 with `written`
> 0, or 422 with the same report inside the error envelope when a cell is wrong. A file
that cannot be read as a whole (too large, not the template, another partnership, period
or partner, a shifted column, a closed period) is a 422 on `file`.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile

from sinergi.access import policy
from sinergi.core.schemas import Flag
from sinergi.core.spreadsheets import XLSX_TYPE
from sinergi.partnerships.models import Partnership
from sinergi.results import spreadsheet

router = Router(tags=["results"])
# Optional for ninja, so that the partnership is looked up first (a private one answers
# 404 whatever the body) and a missing file is a 422 on "file".
# `true` or `false` (sinergi.core.schemas.Flag); `Form[Flag]` would make it required.
SUBMIT_FLAG = Form(False)
TEMPLATE_FILE = File(None, description="The filled-in results template (.xlsx), at most 50 MB")


class CellErrorOut(Schema):
    row: int | None
    cell: str | None
    column: str | None
    message: str


class SheetSummaryOut(Schema):
    new_drafts: int
    changed_drafts: int
    new_revisions: int
    unchanged: int
    blank: int


class ChangeOut(Schema):
    code: str
    kind: str
    value: str | None
    text: str | None
    values: dict[str, str]


class SheetOut(Schema):
    file: str
    sha256: str
    partnership: str
    period: str
    organisation: int | None
    rows: int
    indicators: int
    summary: SheetSummaryOut
    submit: bool
    changes: list[ChangeOut]
    errors: list[CellErrorOut]
    error_count: int
    written: int


def _reporter(request: HttpRequest, slug: str) -> Partnership:
    partnership = policy.get_partnership_for(request.user, slug)
    if not policy.can_view_results(request.user, partnership):
        raise Http404("No such partnership.")
    if policy.reporting_organisations(request.user, partnership) == set():
        raise PermissionDenied
    return partnership


@router.get(
    "/{slug}/results/spreadsheet/template",
    summary="Download the pre-filled results template (XLSX) for a period and a partner",
)
def template(
    request: HttpRequest, slug: str, period: str = "", organisation: str = ""
) -> HttpResponse:
    partnership = _reporter(request, slug)
    if not period:
        raise ValidationError({"period": [_("Choose the reporting period, e.g. 2026-Q2.")]})
    found = spreadsheet.period_from_label(partnership, period)
    partner = spreadsheet.organisation_of(partnership, request.user, organisation)
    body = spreadsheet.build_template(
        actor=request.user, partnership=partnership, period=found, organisation=partner
    )
    response = HttpResponse(body, content_type=XLSX_TYPE)
    filename = spreadsheet.template_filename(partnership, found, partner)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _run(
    request: HttpRequest,
    slug: str,
    file: UploadedFile | None,
    period: str,
    organisation: str,
    submit: bool,
    commit: bool,
) -> spreadsheet.SheetResult:
    partnership = _reporter(request, slug)
    if file is None:
        raise ValidationError(
            {"file": [_("Send the filled-in template as the multipart field “file”.")]}
        )
    found = spreadsheet.period_from_label(partnership, period) if period else None
    partner = (
        spreadsheet.organisation_of(partnership, request.user, organisation)
        if organisation
        else None
    )
    return spreadsheet.import_values(
        actor=request.user,
        partnership=partnership,
        fileobj=file,
        filename=file.name or "",
        commit=commit,
        submit=submit,
        period=found,
        organisation=partner,
    )


@router.post(
    "/{slug}/results/spreadsheet/preview",
    response={200: SheetOut},
    summary="Check a filled-in results template cell by cell; nothing is written",
)
def preview(
    request: HttpRequest,
    slug: str,
    file: UploadedFile | None = TEMPLATE_FILE,
    period: Form[str] = "",
    organisation: Form[str] = "",
    submit: Flag = SUBMIT_FLAG,
) -> Any:
    return _run(request, slug, file, period, organisation, submit, commit=False).as_dict()


@router.post(
    "/{slug}/results/spreadsheet/import",
    response={200: SheetOut},
    summary="Write the values of a filled-in results template, all or nothing",
)
def import_values(
    request: HttpRequest,
    slug: str,
    file: UploadedFile | None = TEMPLATE_FILE,
    period: Form[str] = "",
    organisation: Form[str] = "",
    submit: Flag = SUBMIT_FLAG,
) -> Any:
    result = _run(request, slug, file, period, organisation, submit, commit=True)
    if not result.written:
        return _refused(request, result)
    return result.as_dict()


def _refused(request: HttpRequest, result: spreadsheet.SheetResult) -> HttpResponse:
    from sinergi.api import error_response  # the API module imports this router

    if result.error_count:
        message = ngettext(
            "%(n)d error; nothing was imported.",
            "%(n)d errors; nothing was imported.",
            result.error_count,
        ) % {"n": result.error_count}
    else:
        message = _("The file changes nothing; nothing was imported.")
    return error_response(request, 422, "invalid", message, {"file": [message]}, **result.as_dict())
