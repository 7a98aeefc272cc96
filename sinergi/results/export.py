"""A partnership's indicator data as a spreadsheet: CSV (streamed) and XLSX (write-only).

One row per reported value and category: first the total (category empty), then each
disaggregated value ("sex:female"), with the indicator, its result and unit, the period,
the target for that period and category, the status and revision, the reporting partner,
when it was approved and its ledger entry, and the narrative on the total's row.

Who sees what is the values API's rule (`visible_submissions`): observers and the public
see approved values in force only; coordinators, staff and the reporting partner's own
people also see drafts, submitted and returned values.

Both formats read the rows in chunks. Text that a spreadsheet program would run as a
formula (=, +, -, @, tab, CR first) is prefixed with an apostrophe
(`sinergi.core.spreadsheets.neutralise`); numbers and dates stay numbers and dates.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q, QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from sinergi.access import policy
from sinergi.access.policy import User
from sinergi.core.spreadsheets import CSV_TYPE, neutralise, xlsx_file_response
from sinergi.partnerships.models import Partnership
from sinergi.results import services
from sinergi.results.models import (
    Frequency,
    Indicator,
    Status,
    Submission,
    SubmissionValue,
    Target,
)

CHUNK = 2000


# ---------------------------------------------------------------- who sees what


def visible_submissions(user: User, partnership: Partnership) -> QuerySet[Submission]:
    """The submissions of `partnership` that `user` may see, newest period first.

    Everyone who may view the partnership's results sees the approved values in force;
    whoever may see a partner's unapproved values sees every revision of that partner."""
    rows = Submission.objects.filter(partnership=partnership)
    if policy.can_see_unapproved_results(user, partnership, 0):
        # Staff and coordinators: every partner's values (0 is no organisation).
        pass
    else:
        own = getattr(user, "organisation_id", None)
        if own and policy.can_see_unapproved_results(user, partnership, own):
            rows = rows.filter(Q(is_current=True) | Q(organisation_id=own))
        else:
            rows = rows.filter(is_current=True)
    return rows.order_by("-period__start", "indicator__position", "indicator__code", "revision")


def _period_bounds(label: str) -> tuple[str, date] | None:
    for frequency in (Frequency.YEARLY, Frequency.QUARTERLY, Frequency.MONTHLY):
        bounds = services.parse_period_label(frequency, label)
        if bounds is not None:
            return frequency, bounds[0]
    return None


def apply_filters(
    rows: QuerySet[Submission],
    partnership: Partnership,
    *,
    indicator: str = "",
    period: str = "",
    status: str = "",
    organisation: int | None = None,
) -> QuerySet[Submission]:
    """Narrow `rows` by indicator code, period label ("2026-Q2"), status and reporting
    partner; a filter that names nothing valid is a field error naming it."""
    visible = rows
    indicator = (indicator or "").strip()
    if indicator:
        found = (
            Indicator.objects.filter(partnership=partnership, code=indicator)
            .values_list("pk", flat=True)
            .first()
        )
        if found is None:
            raise ValidationError({"indicator": [_("Choose an indicator of this partnership.")]})
        rows = rows.filter(indicator_id=found)
    period = (period or "").strip()
    if period:
        bounds = _period_bounds(period)
        if bounds is None:
            raise ValidationError({"period": [_("Write a period like 2026, 2026-Q2 or 2026-05.")]})
        rows = rows.filter(period__frequency=bounds[0], period__start=bounds[1])
    status = (status or "").strip()
    if status:
        if status not in Status.values:
            raise ValidationError({"status": [_("Choose a status.")]})
        rows = rows.filter(status=status)
    if organisation:
        # A partner, or one that reported values the reader sees before it left; judged
        # on all the values the reader sees, so that the other filters cannot turn an
        # empty answer for a former partner into an error.
        known = partnership.participations.filter(organisation_id=organisation).exists()
        if not known and not visible.filter(organisation_id=organisation).exists():
            raise ValidationError(
                {"organisation": [_("Choose an organisation that is a partner.")]}
            )
        rows = rows.filter(organisation_id=organisation)
    return rows


def export_rows(
    user: User,
    partnership: Partnership,
    *,
    indicator: str = "",
    period: str = "",
    status: str = "",
) -> QuerySet[Submission]:
    """The submissions an export of `partnership` holds for `user`, with what a row needs."""
    rows = apply_filters(
        visible_submissions(user, partnership),
        partnership,
        indicator=indicator,
        period=period,
        status=status,
    )
    return rows.select_related("indicator__result", "period", "organisation").prefetch_related(
        Prefetch("values", queryset=SubmissionValue.objects.order_by("pk"))
    )


# ---------------------------------------------------------------- rows


def header() -> list[str]:
    return [
        _("Indicator code"),
        _("Indicator"),
        _("Result"),
        _("Unit"),
        _("Period"),
        _("Start"),
        _("End"),
        _("Category"),
        _("Value"),
        _("Target"),
        _("Qualitative value"),
        _("Status"),
        _("Revision"),
        _("Reporting partner"),
        _("Approved at"),
        _("Ledger entry"),
        _("Narrative"),
    ]


# Which columns are text (neutralised); the others are numbers, dates or ids.
TEXT_COLUMNS = frozenset({0, 1, 2, 3, 4, 7, 10, 11, 13, 16})


class Labels:
    """Translated names, taken once in the request's language (a streamed body is
    produced after the view returns, when the language may no longer be active)."""

    def __init__(self) -> None:
        self.statuses = {code: str(name) for code, name in Status.choices}


def _targets(partnership: Partnership) -> dict[tuple[int, int, str], Decimal]:
    rows = Target.objects.filter(indicator__partnership=partnership).order_by()
    return {
        (i, p, c): v
        for i, p, c, v in rows.values_list("indicator_id", "period_id", "category", "value")
    }


def _local(moment: datetime | None) -> datetime | None:
    """A naive local time (spreadsheets keep no time zone)."""
    if moment is None:
        return None
    return timezone.localtime(moment).replace(tzinfo=None, microsecond=0)


def _plain(value: Decimal | None) -> Decimal | None:
    """The figure without trailing zeros and never in exponent form: 76.5, 100."""
    if value is None:
        return None
    return Decimal(format(value.normalize(), "f"))


def submission_rows(
    submission: Submission, labels: Labels, targets: dict[tuple[int, int, str], Decimal]
) -> Iterator[list[Any]]:
    """The total's row, then one row per disaggregated value, as typed cell values."""
    indicator = submission.indicator
    period = submission.period
    approved = submission.status == Status.APPROVED

    def row(category: str, value: Decimal | None, text: str, narrative: str) -> list[Any]:
        return [
            indicator.code,
            indicator.title,
            indicator.result.title,
            indicator.unit,
            period.label,
            period.start,
            period.end,
            category,
            _plain(value),
            _plain(targets.get((indicator.pk, period.pk, category))),
            text,
            labels.statuses.get(submission.status, submission.status),
            submission.revision,
            submission.organisation.name,
            _local(submission.decided_at) if approved else None,
            submission.ledger_index,
            narrative,
        ]

    yield row("", submission.value, submission.text, submission.narrative)
    for item in submission.values.all():
        yield row(item.category, item.value, "", "")


def _clean(row: list[Any]) -> list[Any]:
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
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _filename(partnership: Partnership, extension: str) -> str:
    today = timezone.localdate().isoformat()
    return f"indicator-data-{slugify(partnership.slug)}-{today}.{extension}"


def rows_of(partnership: Partnership, rows: QuerySet[Submission]) -> Iterator[list[Any]]:
    """Every row of the export, typed and neutralised, read in chunks."""
    labels = Labels()
    targets = _targets(partnership)

    def generate() -> Iterator[list[Any]]:
        for submission in rows.iterator(chunk_size=CHUNK):
            for line in submission_rows(submission, labels, targets):
                yield _clean(line)

    return generate()


class _Echo:
    """A file-like object whose write returns the line, for csv.writer in a generator."""

    def write(self, value: str) -> str:
        return value


def csv_lines(partnership: Partnership, rows: QuerySet[Submission]) -> Iterator[str]:
    """The CSV file line by line: a byte-order mark (so Excel reads accents), the header,
    then the rows."""
    writer = csv.writer(_Echo())
    head = header()
    body = rows_of(partnership, rows)

    def generate() -> Iterator[str]:
        yield "\ufeff" + writer.writerow(head)
        for line in body:
            yield writer.writerow([_text(v) for v in line])

    return generate()


def csv_response(partnership: Partnership, rows: QuerySet[Submission]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        (line.encode("utf-8") for line in csv_lines(partnership, rows)), content_type=CSV_TYPE
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename(partnership, "csv")}"'
    return response


def write_xlsx(partnership: Partnership, rows: QuerySet[Submission], target: Any) -> None:
    """Write the workbook to `target` (a binary file) in openpyxl's write-only mode."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Indicator data")[:31])
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    head = []
    for title in header():
        cell = WriteOnlyCell(sheet, value=neutralise(title))
        cell.font = bold
        head.append(cell)
    sheet.append(head)
    for line in rows_of(partnership, rows):
        cells = []
        for index, value in enumerate(line):
            cell = WriteOnlyCell(sheet, value=value)
            if index in TEXT_COLUMNS and isinstance(value, str):
                cell.data_type = "s"  # text, never a formula
            elif isinstance(value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
            cells.append(cell)
        sheet.append(cells)
    workbook.save(target)


def xlsx_response(partnership: Partnership, rows: QuerySet[Submission]) -> FileResponse:
    """The workbook, built in a temporary file on disk and sent from there."""
    return xlsx_file_response(
        lambda target: write_xlsx(partnership, rows, target), _filename(partnership, "xlsx")
    )
