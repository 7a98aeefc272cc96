"""Importing transactions from a spreadsheet: upload → preview (nothing written) → confirm.

The previewed file is kept on the server under its SHA-256 in the user's own folder
(`importer.stash`); the confirm form sends only that hash, and the file is read and
validated again before anything is written, all or nothing.
"""

from __future__ import annotations

from pathlib import PurePath

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sinergi.access import policy
from sinergi.core.errors import Conflict
from sinergi.core.forms import apply_domain_errors
from sinergi.core.spreadsheets import CSV_TYPE, XLSX_TYPE
from sinergi.finance import importer
from sinergi.finance.models import TransactionType
from sinergi.partnerships.models import Partnership

# A request this much larger than the file limit is refused before reading its file.
REQUEST_SLACK = 1024 * 1024


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Spreadsheet (CSV or XLSX)"),
        help_text=gettext_lazy("At most 50 MB and 200,000 rows."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.xlsm"}),
    )


def _form_for_errors() -> ImportForm:
    """An empty form to show errors on (a form must be cleaned before errors are added)."""
    form = ImportForm(data={}, files={})
    form.full_clean()
    form.errors.clear()
    return form


def _importable(request: HttpRequest, slug: str) -> Partnership:
    """404 when the user may not see the partnership, 403 when they may not import."""
    partnership = policy.get_partnership_for(request.user, slug)
    if not policy.can_view_finance(request.user, partnership):
        raise Http404("No such partnership.")
    if not policy.can_import_finance(request.user, partnership):
        raise PermissionDenied
    return partnership


def _render(
    request: HttpRequest,
    template: str,
    partnership: Partnership,
    context: dict,
    status: int = 200,
) -> HttpResponse:
    base = {
        "partnership": partnership,
        "section": "transactions",
        "currency": partnership.base_currency,
        "columns": importer.column_help(),
        "max_errors": importer.MAX_ERRORS,
        "type_names": dict(TransactionType.choices),
    }
    return render(request, f"finance/{template}", {**base, **context}, status=status)


def _form_page(
    request: HttpRequest, partnership: Partnership, form: ImportForm, status: int = 200
) -> HttpResponse:
    return _render(request, "import.html", partnership, {"form": form}, status)


def _too_large(request: HttpRequest) -> bool:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > importer.MAX_BYTES + REQUEST_SLACK


@require_http_methods(["GET", "POST"])
def import_page(request: HttpRequest, slug: str) -> HttpResponse:
    """The upload form (GET); the preview of an uploaded file (POST), nothing written."""
    partnership = _importable(request, slug)
    if request.method == "GET":
        return _form_page(request, partnership, ImportForm())
    if _too_large(request):
        form = _form_for_errors()
        form.add_error(
            None,
            _("The file is larger than %(mb)d MB; split it into smaller files.")
            % {"mb": importer.MAX_BYTES // (1024 * 1024)},
        )
        return _form_page(request, partnership, form, status=413)
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _form_page(request, partnership, form, status=422)
    upload = form.cleaned_data["file"]
    try:
        result = importer.import_transactions(
            request.user, partnership, upload, upload.name, commit=False
        )
    except ValidationError as error:
        apply_domain_errors(form, error)
        return _form_page(request, partnership, form, status=422)
    except Conflict as error:
        form.add_error("file", error.message)
        return _form_page(request, partnership, form, status=409)
    if result.ok:
        importer.stash(request.user, upload, result.sha256, result.format)
    return _render(request, "import_preview.html", partnership, {"result": result})


@require_POST
def import_confirm(request: HttpRequest, slug: str) -> HttpResponse:
    """Import the previewed file: read and validated again, then all rows or none."""
    partnership = _importable(request, slug)
    sha256 = request.POST.get("sha256", "")
    kind = request.POST.get("format", "")
    name = f"{PurePath(request.POST.get('filename', '')[:200]).stem or 'import'}.{kind}"
    handle = importer.open_stash(request.user, sha256, kind)
    if handle is None:
        messages.error(
            request, _("The previewed file is no longer here; upload it again to import it.")
        )
        return redirect("finance-import", slug=slug)
    form = _form_for_errors()
    try:
        with handle:
            result = importer.import_transactions(
                request.user, partnership, handle, name, commit=True
            )
    except ValidationError as error:
        apply_domain_errors(form, error)
        return _form_page(request, partnership, form, status=422)
    except Conflict as error:
        importer.discard_stash(request.user, sha256, kind)
        form.add_error("file", error.message)
        return _form_page(request, partnership, form, status=409)
    if not result.imported:
        return _render(request, "import_preview.html", partnership, {"result": result}, status=422)
    importer.discard_stash(request.user, sha256, kind)
    messages.success(
        request,
        ngettext(
            "%(n)d transaction was imported from %(file)s.",
            "%(n)d transactions were imported from %(file)s.",
            result.imported,
        )
        % {"n": result.imported, "file": name},
    )
    if result.warning_count:
        messages.warning(
            request,
            ngettext(
                "%(n)d of them is dated outside its budget line's period. The list below "
                "shows every transaction dated outside its budget line's period.",
                "%(n)d of them are dated outside their budget line's period. The list below "
                "shows every transaction dated outside its budget line's period.",
                result.warning_count,
            )
            % {"n": result.warning_count},
        )
        url = reverse("finance-transactions", kwargs={"slug": slug})
        return redirect(f"{url}?outside_period=on")
    return redirect("finance-transactions", slug=slug)


@require_GET
def import_template(request: HttpRequest, slug: str, kind: str) -> HttpResponse:
    """The template: the header row and one example row, as CSV or XLSX."""
    partnership = _importable(request, slug)
    if kind == "csv":
        body, content_type = importer.template_csv(partnership, request.user), CSV_TYPE
    else:
        body, content_type = importer.template_xlsx(partnership, request.user), XLSX_TYPE
    response = HttpResponse(body, content_type=content_type)
    filename = f"transactions-{slugify(partnership.slug)}.{kind}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
