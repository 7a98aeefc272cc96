"""The results spreadsheet round trip: a pre-filled XLSX template for one reporting period
and one reporting partner, filled in offline, uploaded back, previewed, then written all
or nothing.

    body = build_template(actor=user, partnership=p, period=q2, organisation=health)
    result = import_values(actor=user, partnership=p, fileobj=f, filename="q2.xlsx",
                           commit=False)           # preview: nothing written
    result = import_values(..., commit=True, submit=True)  # all rows or none

The template's first sheet has one row per indicator of the partner (total row first,
then one row per category of each of its dimensions) with the columns in `COLUMNS`; a
hidden sheet `meta` says which template version, partnership, period and partner it is
for, and the language of its header row. The upload is read with openpyxl's streaming
reader (read only; formulas are never computed: a formula cell gives the value the
spreadsheet program saved with it). Every row is checked in memory against indicators,
categories and the latest submissions loaded once (a few queries in all, none per row);
with `commit` the values are written as drafts (and, with `submit`, submitted) in one
transaction with `bulk_create`, in chunks, or nothing is written at all.

Rules are those of `services.save_draft`: `parse_value`, `clean_breakdown` and
`check_reportable` are reused. A row group whose value and narrative are blank is left
out (nothing is deleted); a group equal to the latest revision is unchanged; a change to
an approved value starts a new revision; a value awaiting review cannot be changed.
See docs/results/spreadsheet.md.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import PurePath
from typing import IO, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import DataError, IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from sinergi.access import policy
from sinergi.access.policy import User
from sinergi.core.errors import Conflict
from sinergi.core.numbers import grouped_in_file
from sinergi.core.spreadsheets import RowSpool, keep_stash, neutralise, prune_stash, sha256_of
from sinergi.core.spreadsheets import open_stash as open_kept
from sinergi.core.xlsx import (  # noqa: F401  MAX_CELL_CHARS, fast_rows: used by the tests
    MAX_CELL_CHARS,
    MAX_SHEET,
    Beyond,
    Percent,
    Uncalculated,
    check_archive,
    fast_rows,
    open_workbook,
    sheet_rows,
)
from sinergi.core.xlsx import cell_text as _text
from sinergi.core.xlsx import is_blank_value as _is_blank_value
from sinergi.ledger.log import hold
from sinergi.partners.models import Organisation
from sinergi.partnerships.models import Partnership
from sinergi.results import services
from sinergi.results.models import (
    Dimension,
    Frequency,
    Indicator,
    Measure,
    Period,
    Status,
    Submission,
    SubmissionValue,
    Target,
    as_key,
)

logger = logging.getLogger(__name__)

TEMPLATE_VERSION = "sinergi-results-template/1"
META_SHEET = "meta"
COLUMNS = (
    "code",
    "indicator",
    "category",
    "label",
    "unit",
    "target",
    "baseline",
    "value",
    "narrative",
)
CODE, TITLE, CATEGORY, LABEL, UNIT, TARGET, BASELINE, VALUE, NARRATIVE = range(len(COLUMNS))
LETTERS = "ABCDEFGHI"

MAX_BYTES = 50 * 1024 * 1024
MAX_ROWS = 500_000
MAX_ERRORS = 1000
# Rows read, kept in memory up to this size, then in a temporary file (as the finance import).
SPOOL_IN_MEMORY = 8 * 1024 * 1024
# Submissions written at a time inside the one database transaction.
CHUNK = 2000
MAX_UNZIPPED = 1024 * 1024 * 1024
# Parts openpyxl loads whole, all at once: the shared strings (a template's rows share
# most of theirs: twice as many as it may have rows, in 20 MB of XML, is ample) and any
# part but a sheet.
MAX_STRINGS = 2 * MAX_ROWS
MAX_SHARED_STRINGS = 20 * 1024 * 1024
MAX_PART = 20 * 1024 * 1024
# A sheet's XML (streamed): MAX_SHEET (sinergi.core.xlsx), shared with the finance import.
# The years a period label may name.
FIRST_YEAR, LAST_YEAR = services.FIRST_YEAR, services.LAST_YEAR
MAX_NARRATIVE = 10000
MAX_TEXT = 5000

STASH_DIR = "results-imports"
STASH_MAX_AGE = timedelta(days=1)
SHA256 = re.compile(r"^[0-9a-f]{64}$")

NEW, CHANGED, REVISION = "new", "changed", "revision"


def headers() -> list[str]:
    """The header row, in the active language."""
    return [
        _("Indicator code"),
        _("Indicator"),
        _("Disaggregation"),
        _("Category"),
        _("Unit"),
        _("Target"),
        _("Baseline"),
        _("Value"),
        _("Narrative"),
    ]


def _file_error(message: str) -> ValidationError:
    return ValidationError({"file": [message]})


def _id_of(text: str) -> int | None:
    """A database id written as ASCII digits ("12"), or None: `str.isdigit` alone also
    accepts "²", which `int` refuses, and a huge number would overflow the query."""
    if text.isascii() and text.isdigit() and len(text) <= 18:
        return int(text)
    return None


# ---------------------------------------------------------------- periods and partners


def period_from_label(partnership: Partnership, label: str) -> Period:
    """The partnership's existing period named `label` ("2026", "2026-Q2", "2026-05");
    a field error on `period` when there is none."""
    label = str(label or "").strip().upper()
    year = label[:4]
    # ASCII digits only (full-width digits would parse) and a plausible year: the date arithmetic
    # of the period services overflows near year 9999.
    if label.isascii() and year.isdigit() and FIRST_YEAR <= int(year) <= LAST_YEAR:
        for frequency in (Frequency.YEARLY, Frequency.QUARTERLY, Frequency.MONTHLY):
            bounds = services.parse_period_label(frequency, label)
            if bounds is None:
                continue
            period = Period.objects.filter(
                partnership=partnership, frequency=frequency, start=bounds[0]
            ).first()
            if period is not None:
                return period
    raise ValidationError(
        {
            "period": [
                _("This partnership has no reporting period “%(label)s”.") % {"label": label[:20]}
            ]
        }
    )


def template_periods(partnership: Partnership) -> list[Period]:
    """The periods a template can be made for: started and not closed, latest first."""
    today = timezone.localdate()
    return list(
        Period.objects.filter(partnership=partnership, closed=False, start__lte=today).order_by(
            "-start", "frequency"
        )
    )


def reporting_partners(user: User, partnership: Partnership) -> list[Organisation]:
    """The partners `user` may fill a template for: those responsible for indicators,
    limited to the user's own organisation unless they coordinate."""
    allowed = policy.reporting_organisations(user, partnership)
    ids = set(
        Indicator.objects.filter(partnership=partnership).values_list("responsible_id", flat=True)
    )
    if allowed is not None:
        ids &= allowed
    return list(Organisation.objects.filter(pk__in=ids).order_by("name"))


def organisation_of(partnership: Partnership, user: User, raw: object) -> Organisation:
    """The reporting partner named by id `raw` (or the user's own when blank); a field
    error on `organisation` when it is not a partner of the partnership."""
    text = str(raw or "").strip()
    if not text:
        own = getattr(user, "organisation_id", None)
        allowed = policy.reporting_organisations(user, partnership)
        if allowed is not None and own in allowed:
            text = str(own)
        else:
            raise ValidationError({"organisation": [_("Choose the reporting partner.")]})
    organisation = None
    pk = _id_of(text)
    if pk is not None:
        organisation = Organisation.objects.filter(
            pk=pk, participations__partnership=partnership
        ).first()
    if organisation is None:
        raise ValidationError({"organisation": [_("Choose a partner of this partnership.")]})
    return organisation


def _require_reporter(actor: User, partnership: Partnership, organisation: Organisation) -> None:
    if not policy.can_submit_results(actor, partnership, organisation.pk):
        raise PermissionDenied(_("You may not report values for this partner."))


# ---------------------------------------------------------------- the template


def _indicators_for(
    partnership: Partnership, frequency: str, organisation_id: int
) -> list[Indicator]:
    return list(
        Indicator.objects.filter(
            partnership=partnership, frequency=frequency, responsible_id=organisation_id
        ).order_by("position", "code", "pk")
    )


def _dimensions_by_indicator(partnership: Partnership) -> dict[int, list[Dimension]]:
    """Each indicator's dimensions in their order: two queries, no IN list."""
    dimensions = {d.pk: d for d in Dimension.objects.filter(partnership=partnership)}
    through = Indicator.dimensions.through.objects.filter(indicator__partnership=partnership)
    found: dict[int, list[Dimension]] = {}
    for indicator_id, dimension_id in through.values_list("indicator_id", "dimension_id"):
        if dimension_id in dimensions:
            found.setdefault(indicator_id, []).append(dimensions[dimension_id])
    for listed in found.values():
        listed.sort(key=lambda d: (d.position, d.pk))
    return found


def _known(dimensions: list[Dimension]) -> dict[str, tuple[Dimension, str]]:
    """Like `services.categories_of`, from dimensions already loaded."""
    return {
        as_key(dimension.code, category["code"]): (dimension, category["label"])
        for dimension in dimensions
        for category in dimension.categories
    }


@dataclass
class _Latest:
    submission: Submission
    values: dict[str, Decimal] = field(default_factory=dict)


def _latest_submissions(
    partnership: Partnership, period: Period, organisation_id: int
) -> dict[int, _Latest]:
    """The latest revision per indicator of the partner for `period`, with its breakdown."""
    latest: dict[int, _Latest] = {}
    rows = (
        Submission.objects.filter(
            partnership=partnership, period=period, indicator__responsible_id=organisation_id
        )
        .only(
            "pk",
            "indicator_id",
            "organisation_id",
            "revision",
            "status",
            "value",
            "text",
            "narrative",
        )
        .order_by("indicator_id", "revision")
    )
    for submission in rows:
        latest[submission.indicator_id] = _Latest(submission)
    by_pk = {item.submission.pk: item for item in latest.values()}
    values = SubmissionValue.objects.filter(
        submission__partnership=partnership,
        submission__period=period,
        submission__indicator__responsible_id=organisation_id,
    ).values_list("submission_id", "category", "value")
    for submission_id, category, value in values:
        item = by_pk.get(submission_id)
        if item is not None:
            item.values[category] = value
    return latest


def _cell_number(value: Decimal | None) -> Decimal | int | None:
    if value is None:
        return None
    normal = value.normalize()
    return int(normal) if normal == normal.to_integral_value() else normal


def template_rows(
    partnership: Partnership, period: Period, organisation: Organisation
) -> Iterator[list[Any]]:
    """The data rows of the template (without the header), in order."""
    indicators = _indicators_for(partnership, period.frequency, organisation.pk)
    dims = _dimensions_by_indicator(partnership)
    targets: dict[tuple[int, str], Decimal] = {
        (indicator_id, category): value
        for indicator_id, category, value in Target.objects.filter(
            indicator__partnership=partnership,
            indicator__responsible_id=organisation.pk,
            period=period,
        ).values_list("indicator_id", "category", "value")
    }
    latest = _latest_submissions(partnership, period, organisation.pk)
    total_label = _("Total")
    for indicator in indicators:
        current = latest.get(indicator.pk)
        if current is not None and current.submission.organisation_id != organisation.pk:
            # Entered by the partner that reported the indicator before: not this one's.
            current = None
        qualitative = indicator.measure == Measure.QUALITATIVE
        if current is None:
            value: Any = None
            narrative = ""
        else:
            sub = current.submission
            value = neutralise(sub.text) if qualitative else _cell_number(sub.value)
            narrative = sub.narrative
        code, title = neutralise(indicator.code), neutralise(indicator.title)
        unit = neutralise(
            indicator.unit or ("%" if indicator.measure == Measure.PERCENTAGE else "")
        )
        yield [
            code,
            title,
            "",
            total_label,
            unit,
            _cell_number(targets.get((indicator.pk, ""))),
            _cell_number(indicator.baseline_value),
            value if value not in ("", None) else None,
            neutralise(narrative) or None,
        ]
        if qualitative:
            continue
        for dimension in dims.get(indicator.pk, []):
            for category in dimension.categories:
                key = as_key(dimension.code, category["code"])
                yield [
                    code,
                    title,
                    key,
                    neutralise(f"{dimension.name}: {category['label']}"),
                    unit,
                    _cell_number(targets.get((indicator.pk, key))),
                    None,
                    _cell_number(current.values.get(key)) if current else None,
                    None,
                ]


def build_template(
    *, actor: User, partnership: Partnership, period: Period, organisation: Organisation
) -> bytes:
    """The XLSX template for `organisation`'s indicators in `period`, pre-filled with the
    latest values entered. PermissionDenied unless `actor` may report for the partner."""
    _require_reporter(actor, partnership, organisation)
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Results")[:31])
    for letter, width in zip(LETTERS, (14, 40, 22, 28, 10, 10, 10, 12, 50), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for name in headers():
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in template_rows(partnership, period, organisation):
        sheet.append(row)
    meta = workbook.create_sheet(META_SHEET)
    meta.sheet_state = "hidden"
    for key, value in (
        ("template", TEMPLATE_VERSION),
        ("partnership", partnership.slug),
        ("period", period.label),
        ("frequency", period.frequency),
        ("organisation", str(organisation.pk)),
        ("organisation_name", neutralise(organisation.name)),
        ("language", translation.get_language() or "en"),
        ("generated", timezone.now().isoformat(timespec="seconds")),
    ):
        meta.append([key, value])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def template_filename(partnership: Partnership, period: Period, organisation: Organisation) -> str:
    from django.utils.text import slugify

    return f"results-{slugify(partnership.slug)}-{period.label}-{organisation.pk}.xlsx"


# ---------------------------------------------------------------- the result


@dataclass(frozen=True)
class CellError:
    """One problem: `cell` like "H12" when it lies in one cell, `row` the sheet's row
    number (the header is row 1), `column` the column's header."""

    row: int | None
    cell: str | None
    column: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "cell": self.cell, "column": self.column, "message": self.message}


@dataclass
class SheetResult:
    """What an upload read, found wrong, would write (preview) or wrote (commit)."""

    filename: str
    sha256: str
    partnership: str = ""
    period: str = ""
    period_id: int | None = None
    organisation: int | None = None
    organisation_name: str = ""
    submit: bool = False
    rows: int = 0
    indicators: int = 0
    new_drafts: int = 0
    changed_drafts: int = 0
    new_revisions: int = 0
    unchanged: int = 0
    blank: int = 0
    errors: list[CellError] = field(default_factory=list)
    error_count: int = 0
    written: int = 0
    changes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def to_write(self) -> int:
        return self.new_drafts + self.changed_drafts + self.new_revisions

    @property
    def ok(self) -> bool:
        return self.error_count == 0 and self.to_write > 0

    @property
    def errors_left_out(self) -> int:
        return self.error_count - len(self.errors)

    def add_error(self, row: int | None, column: int | None, message: str) -> None:
        self.error_count += 1
        if len(self.errors) >= MAX_ERRORS:
            return
        cell = f"{LETTERS[column]}{row}" if column is not None and row is not None else None
        name = headers()[column] if column is not None else None
        text = f"{cell}: {message}" if cell else message
        self.errors.append(CellError(row, cell, name, text))

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.filename,
            "sha256": self.sha256,
            "partnership": self.partnership,
            "period": self.period,
            "organisation": self.organisation,
            "rows": self.rows,
            "indicators": self.indicators,
            "summary": {
                "new_drafts": self.new_drafts,
                "changed_drafts": self.changed_drafts,
                "new_revisions": self.new_revisions,
                "unchanged": self.unchanged,
                "blank": self.blank,
            },
            "submit": self.submit,
            "changes": self.changes,
            "errors": [error.as_dict() for error in self.errors],
            "error_count": self.error_count,
            "written": self.written,
        }


# ---------------------------------------------------------------- reading


def check_size(fileobj: IO[bytes]) -> None:
    """A file error when the file is empty or over 50 MB, from its size alone."""
    size = getattr(fileobj, "size", None)
    if not isinstance(size, int):
        position = fileobj.tell()
        fileobj.seek(0, io.SEEK_END)
        size = fileobj.tell()
        fileobj.seek(position)
    if size == 0:
        raise _file_error(_("The file is empty."))
    if size > MAX_BYTES:
        raise _file_error(
            _("The file is larger than %(mb)d MB; split it into smaller files.")
            % {"mb": MAX_BYTES // (1024 * 1024)}
        )


def _check_name(filename: str) -> None:
    suffix = PurePath(str(filename or "")).suffix.lower()
    if suffix not in (".xlsx", ".xlsm"):
        raise _file_error(_("Upload the Excel template (.xlsx) downloaded from this page."))


def _too_large(message: str | None = None) -> ValidationError:
    return _file_error(message or _("The workbook is too large once unpacked; split it."))


def _check_archive(archive: zipfile.ZipFile) -> None:
    """The parts' sizes and the shared strings' count (`sinergi.core.xlsx.check_archive`)
    within this import's limits."""
    too_many = _(
        "The workbook holds more than %(n)s different texts; a results template never "
        "does. Download the template again and copy your values into it."
    ) % {"n": f"{MAX_STRINGS:,}"}
    check_archive(
        archive,
        max_unzipped=MAX_UNZIPPED,
        max_part=MAX_PART,
        max_shared_strings=MAX_SHARED_STRINGS,
        max_strings=MAX_STRINGS,
        too_large=_("The workbook is too large once unpacked; split it."),
        too_many=too_many,
    )


def _open_workbook(fileobj: IO[bytes]) -> Any:
    """The workbook opened read-only, its parts checked first; no sheet is read yet, so
    the `meta` sheet is checked before a row of the data sheet is."""
    fileobj.seek(0)
    not_xlsx = _("The file is not an Excel workbook (.xlsx) that can be read.")
    if fileobj.read(4) != b"PK\x03\x04":
        raise _file_error(not_xlsx)
    fileobj.seek(0)
    try:
        with zipfile.ZipFile(fileobj) as archive:
            _check_archive(archive)
    except ValidationError:
        raise
    except Exception:  # a damaged archive, a missing or broken manifest, bad XML
        raise _file_error(not_xlsx) from None
    fileobj.seek(0)
    try:
        return open_workbook(fileobj, data_only=True)
    except Exception:  # openpyxl raises many kinds on a damaged or foreign file
        raise _file_error(not_xlsx) from None


def read_meta(workbook: Any) -> dict[str, str]:
    """The template's `meta` sheet as a dict; a file error when it is missing."""
    names = {name.lower(): name for name in workbook.sheetnames}
    if META_SHEET not in names:
        raise _file_error(
            _(
                "This is not a Sinergi results template (it has no “meta” sheet). "
                "Download the template from this page and fill that in."
            )
        )
    meta: dict[str, str] = {}
    sheet = workbook[names[META_SHEET]]
    path = getattr(sheet, "_worksheet_path", None)
    archive = getattr(workbook, "_archive", None)
    if path and archive is not None and archive.getinfo(path).file_size > MAX_PART:
        raise _too_large()
    for number, row in enumerate(sheet.iter_rows(max_row=51, max_col=2, values_only=True)):
        if number > 50:
            break
        cells = [*row, None, None]
        key = _text(cells[0])
        if key:
            meta[key] = _text(cells[1])
    return meta


@dataclass
class _Context:
    """What the upload is checked against, loaded once."""

    partnership: Partnership
    period: Period
    organisation: Organisation
    language: str
    by_code: dict[str, Indicator]
    dims: dict[int, list[Dimension]]
    latest: dict[int, _Latest]
    names: dict[int, str]
    known_cache: dict[tuple[int, ...], dict[str, tuple[Dimension, str]]] = field(
        default_factory=dict
    )

    def known(self, indicator: Indicator) -> dict[str, tuple[Dimension, str]]:
        dimensions = self.dims.get(indicator.pk, [])
        key = tuple(d.pk for d in dimensions)
        if key not in self.known_cache:
            self.known_cache[key] = _known(dimensions)
        return self.known_cache[key]


def _check_meta(
    meta: dict[str, str],
    actor: User,
    partnership: Partnership,
    period: Period | None,
    organisation: Organisation | None,
    result: SheetResult,
) -> tuple[Period, Organisation, str]:
    version = meta.get("template", "")
    if version != TEMPLATE_VERSION:
        raise _file_error(
            _(
                "This template is version “%(found)s”; this page reads version “%(wanted)s”. "
                "Download a new template and copy your values into it."
            )
            % {"found": version[:60] or "?", "wanted": TEMPLATE_VERSION}
        )
    if meta.get("partnership") != partnership.slug:
        raise _file_error(
            _("This template is for another partnership (“%(slug)s”), not this one.")
            % {"slug": meta.get("partnership", "")[:100]}
        )
    label = meta.get("period", "")
    if period is not None and label != period.label:
        raise _file_error(
            _("This template is for the period %(found)s, not %(wanted)s.")
            % {"found": label[:20] or "?", "wanted": period.label}
        )
    if period is None:
        try:
            period = period_from_label(partnership, label)
        except ValidationError:
            raise _file_error(
                _(
                    "This template is for the period %(found)s, "
                    "which this partnership does not have."
                )
                % {"found": label[:20] or "?"}
            ) from None
    if period.frequency != meta.get("frequency", period.frequency):
        raise _file_error(_("The template's period and frequency do not match; download it again."))
    org_id = meta.get("organisation", "")
    if organisation is not None and org_id != str(organisation.pk):
        raise _file_error(
            _("This template is for another partner (%(found)s), not %(wanted)s.")
            % {"found": meta.get("organisation_name", org_id)[:200], "wanted": organisation.name}
        )
    if organisation is None:
        organisation = Organisation.objects.filter(
            pk=_id_of(org_id) or 0, participations__partnership=partnership
        ).first()
        if organisation is None:
            raise _file_error(_("This template is for a partner that is not in this partnership."))
    if not policy.can_submit_results(actor, partnership, organisation.pk):
        raise _file_error(
            _("This template is for %(partner)s; you may not report values for that partner.")
            % {"partner": organisation.name}
        )
    try:
        services.check_reportable(
            Indicator(partnership=partnership, frequency=period.frequency), period
        )
    except ValidationError as error:
        raise _file_error(" ".join(error.message_dict.get("period", error.messages))) from None
    result.partnership = partnership.slug
    result.period = period.label
    result.period_id = period.pk
    result.organisation = organisation.pk
    result.organisation_name = organisation.name
    language = meta.get("language", "en")
    return period, organisation, language


def _load_context(
    partnership: Partnership, period: Period, organisation: Organisation, language: str
) -> _Context:
    indicators = list(Indicator.objects.filter(partnership=partnership))
    names = dict(
        Organisation.objects.filter(pk__in={i.responsible_id for i in indicators}).values_list(
            "pk", "name"
        )
    )
    return _Context(
        partnership=partnership,
        period=period,
        organisation=organisation,
        language=language,
        by_code={i.code: i for i in indicators},
        dims=_dimensions_by_indicator(partnership),
        latest=_latest_submissions(partnership, period, organisation.pk),
        names=names,
    )


def _check_header(cells: list[Any], language: str) -> None:
    from django.conf import settings

    if language not in dict(settings.LANGUAGES):
        language = "en"
    with translation.override(language):
        wanted = headers()
    for index, expected in enumerate(wanted):
        found = _text(cells[index]) if index < len(cells) else ""
        if found != expected:
            if found:
                message = _("Column %(letter)s should be “%(expected)s” but is “%(found)s”.")
            else:
                message = _("Column %(letter)s should be “%(expected)s” but is empty.")
            raise _file_error(
                message % {"letter": LETTERS[index], "expected": expected, "found": found[:60]}
            )
    for index in range(len(wanted), len(cells)):
        found = _text(cells[index])
        if found:
            from openpyxl.utils import get_column_letter

            cell = cells[index]
            letter = (
                cell.cell.rstrip("0123456789")
                if isinstance(cell, Beyond)
                else get_column_letter(index + 1)
            )
            raise _file_error(
                _("Column %(letter)s should be empty but is “%(found)s”; a column may be shifted.")
                % {"letter": letter, "found": found[:60]}
            )


@dataclass
class _Row:
    number: int
    key: str
    value: Any
    narrative: str


@dataclass
class Plan:
    """One (indicator, period) value to write."""

    indicator: Indicator
    kind: str
    latest: Submission | None
    value: Decimal | None
    text: str
    narrative: str
    values: dict[str, Decimal]


def _rows(workbook: Any, sheet: Any) -> Iterator[tuple[int, list[Any]]]:
    """(row number, cell values) of the data sheet, streamed (`sinergi.core.xlsx`). At
    most the template's columns are kept; a row with a filled cell right of them ends
    with a `Beyond` naming the first such cell."""
    try:
        yield from sheet_rows(workbook, sheet, len(COLUMNS), max_bytes=MAX_SHEET)
    except ValidationError:
        raise
    except Exception:
        raise _file_error(
            _("The file is not an Excel workbook (.xlsx) that can be read.")
        ) from None


def _blank(cells: list[Any]) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells)


def _groups(
    rows: Iterator[tuple[int, list[Any]]], result: SheetResult, language: str
) -> Iterator[tuple[str, int, list[_Row]]]:
    """(indicator code, its first row number, its rows) for each run of rows of one code."""
    header_seen = False
    code: str | None = None
    first = 0
    group: list[_Row] = []
    done: set[str] = set()
    read = 0
    for number, cells in rows:
        if not header_seen:
            _check_header(cells, language)
            header_seen = True
            continue
        read += 1  # every row the sheet holds counts, blank or not
        if read > MAX_ROWS:
            raise _file_error(
                _("The file has more than %(n)s rows; split it into smaller files.")
                % {"n": f"{MAX_ROWS:,}"}
            )
        if len(cells) > len(COLUMNS) and isinstance(cells[-1], Beyond):
            raise _file_error(
                _(
                    "Cell %(cell)s is right of the template's last column (%(last)s) but "
                    "holds “%(found)s”; a column may be shifted. Clear it, or fill in a new "
                    "template."
                )
                % {"cell": cells[-1].cell, "last": LETTERS[-1], "found": str(cells[-1])}
            )
        if _blank(cells):
            continue
        result.rows += 1
        cells = cells + [None] * (len(COLUMNS) - len(cells))
        row_code = _text(cells[CODE])
        if not row_code:
            result.add_error(number, CODE, _("The indicator code is missing."))
            continue
        row = _Row(number, _text(cells[CATEGORY]), cells[VALUE], _text(cells[NARRATIVE]))
        if row_code != code:
            if code is not None:
                yield code, first, group
                done.add(code)
            if row_code in done:
                result.add_error(
                    number,
                    CODE,
                    _("The rows of indicator %(code)s must stay together, one after another.")
                    % {"code": row_code[:20]},
                )
            code, first, group = row_code, number, []
        group.append(row)
    if not header_seen:
        raise _file_error(_("The file is empty."))
    if code is not None:
        yield code, first, group


def _uncalculated(value: Any, row: int, column: int, result: SheetResult) -> bool:
    if isinstance(value, Uncalculated):
        result.add_error(
            row,
            column,
            _(
                "This formula was saved without its result; open and save the file in a "
                "spreadsheet program, or type the number."
            ),
        )
        return True
    return False


def _percent(value: Any) -> Any:
    """The number a percentage cell shows — 88 for a spreadsheet cell in a percent style
    (which stores 0.88) or for the text "88%" / "88 %" — or None for any other cell."""
    if isinstance(value, Percent):
        return value.shown()
    if isinstance(value, str) and value.strip().endswith("%"):
        return value.strip()[:-1].rstrip()
    return None


def _number(value: Any, cell: tuple[int, int], result: SheetResult, measure: str) -> Decimal | None:
    """A numeric cell as a Decimal, or None after recording its error."""
    row, column = cell
    if _uncalculated(value, row, column, result):
        return None
    if isinstance(value, bool | datetime | date):
        result.add_error(
            row, column, _("“%(text)s” is not a number.") % {"text": _text(value)[:40]}
        )
        return None
    percent = _percent(value)
    if percent is not None:
        if measure != Measure.PERCENTAGE:
            result.add_error(
                row,
                column,
                _(
                    "“%(text)s” is a percentage, but this indicator is counted in units; "
                    "enter the number itself."
                )
                % {"text": f"{_text(percent)}%"[:40]},
            )
            return None
        value = percent
    if isinstance(value, float):
        # As plain digits: "5e-05" is not a number the readers take (no exponents).
        raw: Any = format(Decimal(repr(value)), "f")
    elif isinstance(value, int | Decimal):
        raw = value
    else:
        raw = str(value).strip()
        ambiguous = grouped_in_file(raw)
        if ambiguous:
            result.add_error(row, column, ambiguous)
            return None
    try:
        number = services.parse_value(raw, "value")
    except ValidationError as error:
        try:
            Decimal(str(raw))
            is_number = isinstance(value, int | float | Decimal)
        except ArithmeticError:
            is_number = False
        if not is_number and not re.fullmatch(r"-?\d+(\.\d+)?([eE][-+]?\d+)?", str(raw)):
            result.add_error(
                row, column, _("“%(text)s” is not a number.") % {"text": str(raw)[:40]}
            )
        else:
            result.add_error(row, column, " ".join(error.messages))
        return None
    assert number is not None
    try:
        services._check_range(measure, number, "value")
    except ValidationError as error:
        result.add_error(row, column, " ".join(error.messages))
        return None
    return number


def _plan(
    ctx: _Context,
    actor: User,
    code: str,
    first: int,
    rows: list[_Row],
    result: SheetResult,
    submit: bool,
    today: date,
) -> Plan | None:
    """Check one indicator's rows; the value to write, or None (blank, unchanged or wrong)."""
    result.indicators += 1
    indicator = ctx.by_code.get(code)
    if indicator is None:
        result.add_error(
            first,
            CODE,
            _("No indicator has the code “%(code)s” in this partnership.") % {"code": code[:20]},
        )
        return None
    if indicator.responsible_id != ctx.organisation.pk:
        if not policy.can_submit_results(actor, ctx.partnership, indicator.responsible_id):
            message = _("You may not report indicator %(code)s; %(partner)s reports it.")
        else:
            message = _(
                "Indicator %(code)s is reported by %(partner)s; "
                "it is not in this partner's template."
            )
        result.add_error(
            first,
            CODE,
            message % {"code": code[:20], "partner": ctx.names.get(indicator.responsible_id, "?")},
        )
        return None
    try:
        services.check_reportable(indicator, ctx.period, today)
    except ValidationError as error:
        result.add_error(first, CODE, " ".join(error.messages))
        return None
    qualitative = indicator.measure == Measure.QUALITATIVE
    known = {} if qualitative else ctx.known(indicator)
    total_row: _Row | None = None
    by_key: dict[str, _Row] = {}
    raw_values: dict[str, Decimal] = {}
    errors_before = result.error_count
    total: Decimal | None = None
    text = ""
    narrative = ""
    for row in rows:
        if row.key == "":
            if total_row is not None:
                result.add_error(
                    row.number,
                    CATEGORY,
                    _("Indicator %(code)s has two total rows.") % {"code": code[:20]},
                )
                continue
            total_row = row
            if len(row.narrative) > MAX_NARRATIVE:
                result.add_error(
                    row.number,
                    NARRATIVE,
                    _("Keep this to %(limit)d characters or fewer.") % {"limit": MAX_NARRATIVE},
                )
            narrative = row.narrative
            if _is_blank_value(row.value):
                continue
            if qualitative:
                if _uncalculated(row.value, row.number, VALUE, result):
                    continue
                text = _text(row.value)
                if len(text) > MAX_TEXT:
                    result.add_error(
                        row.number,
                        VALUE,
                        _("Keep this to %(limit)d characters or fewer.") % {"limit": MAX_TEXT},
                    )
            else:
                total = _number(row.value, (row.number, VALUE), result, indicator.measure)
            continue
        if row.key not in known:
            if qualitative:
                message = _("A qualitative indicator is not broken down; leave this row out.")
            else:
                message = _("Indicator %(code)s is not broken down by “%(key)s”.") % {
                    "code": code[:20],
                    "key": row.key[:100],
                }
            result.add_error(row.number, CATEGORY, message)
            continue
        if row.key in by_key:
            result.add_error(
                row.number,
                CATEGORY,
                _("This category is listed twice for indicator %(code)s.") % {"code": code[:20]},
            )
            continue
        by_key[row.key] = row
        if row.narrative:
            result.add_error(row.number, NARRATIVE, _("Write the narrative on the total row."))
        if _is_blank_value(row.value):
            continue
        number = _number(row.value, (row.number, VALUE), result, indicator.measure)
        if number is not None:
            raw_values[row.key] = number
    if result.error_count > errors_before:
        return None
    anchor = total_row.number if total_row is not None else first
    if total is None and not text and not raw_values and not narrative:
        result.blank += 1
        return None
    if not qualitative:
        try:
            values = services.clean_breakdown(indicator, total, raw_values, known=known)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                key = name.removeprefix("values.")
                row_number = by_key[key].number if key in by_key else anchor
                result.add_error(row_number, VALUE, " ".join(messages))
            return None
    else:
        values = {}
    if submit and (text == "" if qualitative else total is None):
        message = (
            _("Describe what was achieved.")
            if qualitative
            else _("Enter the value before submitting.")
        )
        result.add_error(anchor, VALUE, message)
        return None
    current = ctx.latest.get(indicator.pk)
    latest = current.submission if current else None
    same = current is not None and (
        latest.value == total
        and (latest.text or "") == text
        and (latest.narrative or "") == narrative
        and current.values == values
    )
    if latest is None:
        kind = NEW
    elif latest.status == Status.SUBMITTED:
        if same:
            result.unchanged += 1
            return None
        result.add_error(
            anchor,
            CODE,
            _("The value of %(code)s is waiting for review; it can be changed once it is returned.")
            % {"code": code[:20]},
        )
        return None
    elif latest.status == Status.APPROVED:
        if same:
            result.unchanged += 1
            return None
        kind = REVISION
    else:
        if same and not submit:
            result.unchanged += 1
            return None
        kind = CHANGED
    if kind == NEW:
        result.new_drafts += 1
    elif kind == CHANGED:
        result.changed_drafts += 1
    else:
        result.new_revisions += 1
    if len(result.changes) < MAX_ERRORS:
        result.changes.append(
            {
                "code": indicator.code,
                "kind": kind,
                "value": None if total is None else format(total, "f"),
                "text": text or None,
                "values": {k: format(v, "f") for k, v in values.items()},
            }
        )
    return Plan(indicator, kind, latest, total, text, narrative, values)


class _Read:
    """A workbook read as a whole before any lock: its meta sheet, and each indicator's
    run of rows as (code, first row number, rows), kept in a `RowSpool`."""

    def __init__(self, meta: dict[str, str], groups: RowSpool) -> None:
        self.meta = meta
        self.groups = groups

    def close(self) -> None:
        self.groups.close()


def _read(
    actor: User,
    partnership: Partnership,
    fileobj: IO[bytes],
    result: SheetResult,
    period: Period | None,
    organisation: Organisation | None,
) -> _Read:
    """Read the whole workbook: the meta sheet, the header, every row (counted toward
    MAX_ROWS) and every cell. File errors and row errors that need no lookup are found
    here, before the import takes the ledger's lock."""
    workbook = _open_workbook(fileobj)
    groups = RowSpool(SPOOL_IN_MEMORY)
    try:
        meta = read_meta(workbook)
        _period, _organisation, language = _check_meta(
            meta, actor, partnership, period, organisation, result
        )
        sheets = [s for s in workbook.worksheets if s.title.lower() != META_SHEET]
        if not sheets:
            raise _file_error(_("The workbook has no sheet."))
        for group in _groups(_rows(workbook, sheets[0]), result, language):
            groups.add(group, rows=len(group[2]))
        if result.rows == 0:
            raise _file_error(_("The template has no rows filled in."))
    except BaseException:
        groups.close()
        raise
    finally:
        workbook.close()
    return _Read(meta, groups)


def _plans(
    actor: User,
    partnership: Partnership,
    read: _Read,
    result: SheetResult,
    period: Period | None,
    organisation: Organisation | None,
    submit: bool,
) -> Iterator[Plan]:
    """Each row group of `read` checked against the partnership as it is now (the meta
    sheet again, the indicators, their dimensions and latest values)."""
    period, organisation, language = _check_meta(
        read.meta, actor, partnership, period, organisation, result
    )
    ctx = _load_context(partnership, period, organisation, language)
    today = timezone.localdate()
    for code, first, rows in read.groups:
        plan = _plan(ctx, actor, code, first, rows, result, submit, today)
        if plan is not None:
            yield plan
    # Reading found some errors, checking the rows the rest: shown in the sheet's order.
    result.errors.sort(key=lambda error: error.row or 0)


# ---------------------------------------------------------------- import


class _Rollback(Exception):
    """Raised inside the import's transaction to undo everything written so far."""


def import_values(
    *,
    actor: User,
    partnership: Partnership,
    fileobj: IO[bytes],
    filename: str,
    commit: bool,
    submit: bool = False,
    period: Period | None = None,
    organisation: Organisation | None = None,
) -> SheetResult:
    """Check (and with `commit`, write) the values in a filled-in results template.

    `period` and `organisation`, when given, must be those the template was made for.
    Raises ValidationError({"file": [...]}) when the file cannot be read as a whole (too
    large, not the template, wrong version, partnership, period or partner, shifted
    header, closed period). Otherwise returns a SheetResult; with `commit`, `written` is
    the number of values written, or 0 when any row had an error (nothing was written).
    """
    if not policy.can_view_results(actor, partnership):
        raise PermissionDenied(_("You may not report values in this partnership."))
    if policy.reporting_organisations(actor, partnership) == set():
        raise PermissionDenied(_("You may not report values in this partnership."))
    if organisation is not None:
        _require_reporter(actor, partnership, organisation)
    _check_name(filename)
    check_size(fileobj)
    result = SheetResult(
        filename=PurePath(str(filename)).name[:200], sha256=sha256_of(fileobj), submit=submit
    )
    read = _read(actor, partnership, fileobj, result, period, organisation)
    try:
        if not commit:
            for _plan_item in _plans(
                actor, partnership, read, result, period, organisation, submit
            ):
                pass
            return result
        with transaction.atomic():
            # The file is read; checking it against the partnership and writing happen
            # under the ledger's lock, which every results write takes first: no indicator
            # changes under the values checked against it. Then the partnership's row:
            # one spreadsheet import at a time per partnership.
            hold()
            Partnership.objects.select_for_update(no_key=True, of=("self",)).filter(
                pk=partnership.pk
            ).exists()
            _write(actor, partnership, read, result, period, organisation, submit)
    except _Rollback:
        result.written = 0
    except IntegrityError:
        raise Conflict(
            _("Someone else entered values at the same time; check the file again."), "file"
        ) from None
    except DataError:
        logger.exception("results import of %s failed while writing", result.sha256)
        raise _file_error(
            _("The values could not be saved, so none was imported. Try again.")
        ) from None
    finally:
        read.close()
    return result


def _write(
    actor: User,
    partnership: Partnership,
    read: _Read,
    result: SheetResult,
    period: Period | None,
    organisation: Organisation | None,
    submit: bool,
) -> None:
    chunk: list[Plan] = []
    now = timezone.now()
    for plan in _plans(actor, partnership, read, result, period, organisation, submit):
        if result.error_count:
            continue  # keep checking to report every error; nothing more is written
        chunk.append(plan)
        if len(chunk) >= CHUNK:
            _save(actor, partnership, result, chunk, submit, now)
            chunk = []
    if result.error_count or not (result.to_write or chunk):
        raise _Rollback
    _save(actor, partnership, result, chunk, submit, now)


def _save(
    actor: User,
    partnership: Partnership,
    result: SheetResult,
    chunk: list[Plan],
    submit: bool,
    now: datetime,
) -> None:
    if not chunk:
        return
    created: list[tuple[Submission, Plan]] = []
    updated: list[tuple[Submission, Plan]] = []
    for plan in chunk:
        if plan.kind == CHANGED:
            assert plan.latest is not None
            submission = plan.latest
            # A draft left by the indicator's former partner becomes the new one's.
            submission.organisation_id = plan.indicator.responsible_id
            updated.append((submission, plan))
        else:
            submission = Submission(
                partnership=partnership,
                indicator=plan.indicator,
                period_id=result.period_id,
                organisation_id=plan.indicator.responsible_id,
                revision=(plan.latest.revision + 1) if plan.latest else 1,
                created_by=actor,
            )
            created.append((submission, plan))
        submission.value = plan.value
        submission.text = plan.text
        submission.narrative = plan.narrative
        submission.changed_by(actor.pk)
        if submit:
            submission.status = Status.SUBMITTED
            submission.submitted_by = actor
            submission.submitted_at = now
    if created:
        Submission.objects.bulk_create([s for s, _p in created], batch_size=500)
    if updated:
        fields = ["organisation", "value", "text", "narrative", "edited_by", "editors"]
        if submit:
            fields += ["status", "submitted_by", "submitted_at"]
        # Only rows still open to change: one planned as a draft may since have been
        # submitted (and approved) by someone else, and is then left alone. A row's
        # revision never changes, and an open row is always its indicator's latest.
        changed = Submission.objects.filter(status__in=(Status.DRAFT, Status.RETURNED)).bulk_update(
            [s for s, _p in updated], fields, batch_size=500
        )
        if changed != len(updated):
            _raise_changed_meanwhile([s for s, _p in updated])
        SubmissionValue.objects.filter(submission_id__in=[s.pk for s, _p in updated]).delete()
    values = [
        SubmissionValue(submission=submission, category=key, value=value)
        for submission, plan in created + updated
        for key, value in plan.values.items()
    ]
    SubmissionValue.objects.bulk_create(values, batch_size=2000)
    result.written += len(chunk)


def _raise_changed_meanwhile(planned: list[Submission]) -> None:
    """The Conflict naming the indicators whose value someone else submitted or
    reviewed between the check and the write (the whole import is undone)."""
    codes = sorted(
        Submission.objects.filter(pk__in=[s.pk for s in planned])
        .exclude(status__in=(Status.DRAFT, Status.RETURNED))
        .values_list("indicator__code", flat=True)
        .distinct()
    )
    shown = ", ".join(codes[:5]) + (" …" if len(codes) > 5 else "")
    raise Conflict(
        _("Someone else changed the value of %(codes)s at the same time; check the file again.")
        % {"codes": shown or "?"},
        "file",
    )


# ---------------------------------------------------------------- between preview and confirm


def _stash_name(user: User, sha256: str) -> str:
    return f"{STASH_DIR}/{int(user.pk)}/{sha256}.xlsx"


def stash(user: User, fileobj: IO[bytes], sha256: str) -> None:
    """Keep a previewed file (by its hash, in the user's own folder) until it is confirmed."""
    _prune(user)
    keep_stash(_stash_name(user, sha256), fileobj, sha256)


def open_stash(user: User, sha256: str) -> IO[bytes] | None:
    """The user's previewed file with this hash, or None (never another user's)."""
    if not user.is_authenticated or not SHA256.match(sha256 or ""):
        return None
    return open_kept(_stash_name(user, sha256), sha256)


def discard_stash(user: User, sha256: str) -> None:
    if SHA256.match(sha256 or ""):
        default_storage.delete(_stash_name(user, sha256))


def _prune(user: User) -> None:
    prune_stash(f"{STASH_DIR}/{int(user.pk)}", STASH_MAX_AGE)
