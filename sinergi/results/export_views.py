"""Downloads of a partnership's indicator data: CSV (streamed) and XLSX.

Filters in the query string: `period` ("2026-Q2"), `indicator` (code), `status`. A
filter that names nothing valid is left out rather than failing the download. Who sees
what is the values API's rule (`export.visible_submissions`); a private partnership
answers 404 to anyone outside it.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.views.decorators.http import require_GET

from sinergi.access import policy
from sinergi.partnerships.models import Partnership
from sinergi.results import export


def _partnership(request: HttpRequest, slug: str) -> Partnership:
    partnership = policy.get_partnership_for(request.user, slug)
    if not policy.can_view_results(request.user, partnership):
        raise Http404
    return partnership


def _rows(request: HttpRequest, partnership: Partnership):
    filters = {
        name: request.GET.get(name, "").replace("\x00", "")[:20]
        for name in ("period", "indicator", "status")
    }
    for name in list(filters):
        try:
            export.apply_filters(
                export.visible_submissions(request.user, partnership).none(),
                partnership,
                **{name: filters[name]},
            )
        except ValidationError:
            filters[name] = ""
    return export.export_rows(request.user, partnership, **filters)


@require_GET
def export_csv(request: HttpRequest, slug: str):
    partnership = _partnership(request, slug)
    return export.csv_response(partnership, _rows(request, partnership))


@require_GET
def export_xlsx(request: HttpRequest, slug: str):
    partnership = _partnership(request, slug)
    return export.xlsx_response(partnership, _rows(request, partnership))
