"""Results writes: the framework, periods and targets, and the life of a reported value.

Every function takes the acting person first (keyword-only), checks the permission
policy, validates, and writes in one database transaction together with its ledger
entry and the progress roll-ups it changes: all of it commits, or none of it does.

A value's life: a responsible partner saves a draft (`save_draft`), submits it
(`submit`); a coordinator who did not enter it approves it (`approve`) or returns it with
a comment (`return_submission`), after which the partner edits and submits again. An
approved value is never edited: `save_draft` on an approved (indicator, period) starts a
new revision, which replaces the approved one only when it is approved in turn.

Ledger kinds (payloads are plain JSON; numbers are decimal strings):
`results.indicator.created`, `results.indicator.changed`, `results.targets.set`,
`results.value.approved`, `results.period.closed`, `results.period.reopened`.
"""

from __future__ import annotations

import calendar
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Context, Decimal, InvalidOperation
from typing import Any

import pycountry
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sinergi.access import policy
from sinergi.access.policy import User
from sinergi.core.dates import EARLIEST_DATE, LATEST_DATE, check_in_range
from sinergi.core.errors import Conflict
from sinergi.core.files import kept_name
from sinergi.core.geography import subdivision_names
from sinergi.core.numbers import plain_decimal
from sinergi.ledger.log import append as record
from sinergi.ledger.log import hold, hold_row
from sinergi.partners.models import Organisation
from sinergi.partnerships import sdg
from sinergi.partnerships.models import Goal, Partnership, WorkPackage
from sinergi.results import rollups
from sinergi.results.models import (
    ALLOWED_PARENTS,
    Accumulation,
    Dimension,
    DimensionKind,
    Evidence,
    Frequency,
    Indicator,
    Measure,
    Period,
    Result,
    ResultType,
    Site,
    Status,
    Submission,
    SubmissionValue,
    Target,
    as_key,
    split_key,
)

MAX_EVIDENCE_BYTES = 20 * 1024 * 1024
SIGNIFICANT_DIGITS = 15
MAX_VALUE = Decimal("9999999999999999")  # 16 integer digits fit VALUE (20, 4)
FOUR_PLACES = Decimal("0.0001")
SIX_PLACES = Decimal("0.000001")
MAX_SITES = 500
# Days after a period ends by which its values are due, unless settings say otherwise.
DEFAULT_DUE_DAYS = 30
MAX_PERIODS = 600
# Reporting periods are between these years (a due date past 9999 cannot be stored).
# Period labels: the years every date of the platform lies in (sinergi.core.dates).
FIRST_YEAR, LAST_YEAR = EARLIEST_DATE.year, LATEST_DATE.year

# Labels in the language of whoever adds the dimension; partners may rename them.
SEX_CATEGORIES = (("female", gettext_lazy("Female")), ("male", gettext_lazy("Male")))
AGE_CATEGORIES = (("0-4", "0-4"), ("5-14", "5-14"), ("15-24", "15-24"), ("25+", "25+"))


# ---------------------------------------------------------------- helpers


def _field_error(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(_("You may not do this in this partnership."))


def _text(value: object, field: str, limit: int, *, required: bool = False) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise _field_error(field, _("This field is required."))
    if len(text) > limit:
        raise _field_error(
            field, _("Keep this to %(limit)d characters or fewer.") % {"limit": limit}
        )
    return text


def _date(value: object, field: str, *, required: bool = True) -> date | None:
    if value in (None, "") and not required:
        return None
    parsed = value if isinstance(value, date) else None
    if isinstance(value, str):
        try:
            parsed = parse_date(value.strip())
        except ValueError:
            parsed = None
    if parsed is None:
        raise _field_error(field, _("Enter a valid date (YYYY-MM-DD)."))
    check_in_range(parsed, field)
    return parsed


def parse_value(value: object, field: str = "value", *, required: bool = True) -> Decimal | None:
    """A finite Decimal with at most 15 significant digits and 4 decimal places.

    Floats are refused (they are not exact); text such as "12,5" or "n/a" is a field
    error naming the field, never a crash."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise _field_error(field, _("Enter a number."))
        return None
    if isinstance(value, bool | float):
        raise _field_error(field, _('Enter the number as a decimal string, e.g. "12.5".'))
    try:
        number = plain_decimal(value)
    except (InvalidOperation, ValueError):
        raise _field_error(field, _("Enter a number, e.g. 12.5.")) from None
    if not number.is_finite():
        raise _field_error(field, _("Enter a number, e.g. 12.5."))
    if abs(number) > MAX_VALUE or len(number.normalize().as_tuple().digits) > SIGNIFICANT_DIGITS:
        raise _field_error(field, _("Enter at most 15 digits."))
    if number != number.quantize(FOUR_PLACES, context=Context(prec=40)):
        raise _field_error(field, _("Use at most 4 digits after the decimal point."))
    return number


def _number(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def _atomic() -> Any:
    return transaction.atomic()


def _log(kind: str, payload: dict[str, Any], partnership: Partnership, actor: User) -> int:
    return record(kind, payload, partnership, actor).index


def _org_ref(organisation: Organisation) -> dict[str, Any]:
    return {
        "organisation": organisation.pk,
        "ref": organisation.iati_identifier or None,
        "name": organisation.name,
    }


def _is_partner(partnership: Partnership, organisation_id: int) -> bool:
    return partnership.participations.filter(organisation_id=organisation_id).exists()


# ---------------------------------------------------------------- periods


def due_days() -> int:
    return int(getattr(settings, "RESULTS_DUE_DAYS", DEFAULT_DUE_DAYS))


def period_bounds(frequency: str, day: date) -> tuple[date, date]:
    """The period of `frequency` that contains `day`."""
    if frequency == Frequency.YEARLY:
        return date(day.year, 1, 1), date(day.year, 12, 31)
    if frequency == Frequency.QUARTERLY:
        first = 3 * ((day.month - 1) // 3) + 1
        last = first + 2
        return date(day.year, first, 1), date(
            day.year, last, calendar.monthrange(day.year, last)[1]
        )
    if frequency == Frequency.MONTHLY:
        return date(day.year, day.month, 1), date(
            day.year, day.month, calendar.monthrange(day.year, day.month)[1]
        )
    raise _field_error("frequency", _("Choose monthly, quarterly or yearly."))


def parse_period_label(frequency: str, label: str) -> tuple[date, date] | None:
    """ "2026", "2026-Q2" or "2026-05" → the period's bounds; None when it does not parse or
    does not match `frequency`."""
    label = str(label or "").strip().upper()
    if not label[:4].isascii() or not label[:4].isdigit():
        return None
    if not FIRST_YEAR <= int(label[:4]) <= LAST_YEAR:
        return None
    try:
        if frequency == Frequency.YEARLY and len(label) == 4:
            return period_bounds(frequency, date(int(label), 1, 1))
        if frequency == Frequency.QUARTERLY and len(label) == 7 and label[4:6] == "-Q":
            quarter = int(label[6])
            if 1 <= quarter <= 4:
                return period_bounds(frequency, date(int(label[:4]), 3 * quarter - 2, 1))
        if frequency == Frequency.MONTHLY and len(label) == 7 and label[4] == "-":
            return period_bounds(frequency, date(int(label[:4]), int(label[5:]), 1))
    except ValueError:
        return None
    return None


def period_for(partnership: Partnership, frequency: str, day: date) -> Period:
    """The partnership's period of `frequency` containing `day`, created when missing."""
    start, end = period_bounds(frequency, day)
    period, _created = Period.objects.get_or_create(
        partnership=partnership,
        frequency=frequency,
        start=start,
        defaults={"end": end, "due": end + timedelta(days=due_days())},
    )
    return period


def find_period(partnership: Partnership, frequency: str, label: str) -> Period:
    """The period named `label` ("2026-Q2"), created when missing; a field error on
    `period` when the label is not one of `frequency`."""
    bounds = parse_period_label(frequency, label)
    if bounds is None:
        examples = {"yearly": "2026", "quarterly": "2026-Q2", "monthly": "2026-05"}
        raise _field_error(
            "period",
            _("“%(label)s” is not a %(frequency)s period; write it like %(example)s.")
            % {
                "label": str(label)[:20],
                "frequency": Frequency(frequency).label.lower(),
                "example": examples[frequency],
            },
        )
    return period_for(partnership, frequency, bounds[0])


def ensure_periods(
    partnership: Partnership, frequency: str, start: date, end: date
) -> list[Period]:
    """Every period of `frequency` from the one containing `start` to the one containing
    `end` (at most 600)."""
    periods = []
    day = start
    while day <= end and len(periods) < MAX_PERIODS:
        period = period_for(partnership, frequency, day)
        periods.append(period)
        day = period.end + timedelta(days=1)
    return periods


def set_period_closed(*, actor: User, period: Period, closed: bool) -> Period:
    """Close a period (its figures are final: nothing more is submitted for it) or reopen it."""
    partnership = period.partnership
    _require(policy.can_manage_results(actor, partnership))
    with _atomic():
        hold()
        period = Period.objects.select_for_update().get(pk=period.pk)
        if period.closed == closed:
            return period
        period.closed = closed
        period.save(update_fields=["closed"])
        kind = "results.period.closed" if closed else "results.period.reopened"
        _log(kind, {"frequency": period.frequency, "period": period.label}, partnership, actor)
    return period


# ---------------------------------------------------------------- dimensions


def default_categories(partnership: Partnership, kind: str) -> list[dict[str, str]]:
    """Sex: female, male. Age: four common groups. Province or district: the ISO 3166-2
    subdivisions of the partnership's countries (top level only)."""
    if kind == DimensionKind.SEX:
        return [{"code": c, "label": str(label)} for c, label in SEX_CATEGORIES]
    if kind == DimensionKind.AGE:
        return [{"code": c, "label": label} for c, label in AGE_CATEGORIES]
    if kind == DimensionKind.SUBDIVISION:
        found = []
        for country in partnership.countries or []:
            for sub in pycountry.subdivisions.get(country_code=country) or []:
                if sub.parent_code is None:
                    found.append({"code": sub.code, "label": sub.name})
        return sorted(found, key=lambda c: c["label"])
    return []


def _clean_categories(kind: str, categories: object) -> list[dict[str, str]]:
    if not isinstance(categories, list | tuple) or not categories:
        raise _field_error("categories", _("Give at least two categories."))
    cleaned: list[dict[str, str]] = []
    seen: set[str] = set()
    for item in categories:
        if isinstance(item, str):
            code, label = item, item
        elif isinstance(item, Mapping):
            unknown = sorted(str(name) for name in item if name not in ("code", "label"))
            if unknown:  # a misspelt "lable" would otherwise make the code the label
                raise _field_error(
                    "categories",
                    _("A category takes only “code” and “label”, not “%(name)s”.")
                    % {"name": unknown[0][:40]},
                )
            code, label = str(item.get("code", "")), str(item.get("label") or item.get("code", ""))
        else:
            raise _field_error("categories", _("Each category needs a code and a label."))
        code, label = code.strip(), label.strip()
        if kind == DimensionKind.SUBDIVISION:
            code = code.upper()
            sub = pycountry.subdivisions.get(code=code)
            if sub is None:
                raise _field_error(
                    "categories",
                    _("“%(code)s” is not an ISO 3166-2 subdivision code (e.g. ID-JB).")
                    % {"code": code[:20]},
                )
            label = label if label != code else subdivision_names().get(code, sub.name)
        if not code or len(code) > 40 or ":" in code or "|" in code:
            raise _field_error(
                "categories", _("A category code is 1 to 40 characters, without : or |.")
            )
        if code in seen:
            raise _field_error("categories", _("“%(code)s” is listed twice.") % {"code": code})
        seen.add(code)
        cleaned.append({"code": code, "label": label[:100]})
    if len(cleaned) < 2:
        raise _field_error("categories", _("Give at least two categories."))
    return cleaned


def create_dimension(
    *,
    actor: User,
    partnership: Partnership,
    name: str,
    kind: str,
    code: str = "",
    categories: Sequence[Any] | None = None,
    exhaustive: bool = True,
) -> Dimension:
    """A new disaggregation dimension; sex, age and province dimensions get their usual
    categories when none are given."""
    _require(policy.can_manage_results(actor, partnership))
    name = _text(name, "name", 100, required=True)
    if kind not in DimensionKind.values:
        raise _field_error("kind", _("Choose sex, age group, province or district, or custom."))
    given_code = bool(code)
    code = slugify(code or name)[:40]
    if not code:
        raise _field_error("code", _("Give a code of letters, digits or hyphens."))
    if not categories:
        categories = default_categories(partnership, kind)
        if not categories:
            raise _field_error("categories", _("Give at least two categories."))
    cleaned = _clean_categories(kind, list(categories))
    # A code made from the name: the clash is the name's, and the form may have no code.
    taken = (
        _field_error("code", _("Another dimension already has this code."))
        if given_code
        else _field_error("name", _("Another dimension already has this name."))
    )
    if Dimension.objects.filter(partnership=partnership, code=code).exists():
        raise taken
    try:
        with _atomic():
            # The partnership as it is now (Http404 once deleted) and the next place,
            # under the ledger's lock: a failed insert is then the one clash it can be.
            hold_row(partnership)
            position = Dimension.objects.filter(partnership=partnership).count()
            return Dimension.objects.create(
                partnership=partnership,
                code=code,
                name=name,
                kind=kind,
                exhaustive=bool(exhaustive),
                categories=cleaned,
                position=position,
            )
    except IntegrityError:
        raise taken from None


def update_dimension(
    *,
    actor: User,
    dimension: Dimension,
    name: str | None = None,
    exhaustive: bool | None = None,
    categories: Sequence[Any] | None = None,
) -> Dimension:
    """Rename a dimension, say whether it is exhaustive, or change its categories
    (relabel, add; a category with reported values or targets cannot be removed)."""
    partnership = dimension.partnership
    _require(policy.can_manage_results(actor, partnership))
    if name is not None:
        dimension.name = _text(name, "name", 100, required=True)
    if exhaustive is not None:
        dimension.exhaustive = bool(exhaustive)
    if categories is not None:
        cleaned = _clean_categories(dimension.kind, list(categories))
        kept = {as_key(dimension.code, c["code"]) for c in cleaned}
        removed = [
            as_key(dimension.code, c["code"])
            for c in dimension.categories
            if as_key(dimension.code, c["code"]) not in kept
        ]
        in_use = (
            SubmissionValue.objects.filter(
                submission__partnership=partnership, category__in=removed
            ).exists()
            or Target.objects.filter(
                indicator__partnership=partnership, category__in=removed
            ).exists()
        )
        if removed and in_use:
            raise Conflict(
                _("Values or targets were given for a category you removed; keep it."),
                "categories",
            )
        dimension.categories = cleaned
    with _atomic():
        dimension.save(update_fields=["name", "exhaustive", "categories"])
    return dimension


def delete_dimension(*, actor: User, dimension: Dimension) -> None:
    """Delete a dimension that no indicator is broken down by."""
    _require(policy.can_manage_results(actor, dimension.partnership))
    with _atomic():
        # Checked under the ledger's lock, which a new indicator takes: none can come to
        # be broken down by it in between (and one deleted meanwhile is Http404).
        hold_row(dimension)
        if dimension.indicators.exists():
            raise Conflict(_("Indicators are broken down by this dimension; it cannot be deleted."))
        dimension.delete()


# ---------------------------------------------------------------- results


@dataclass
class _ResultFields:
    type: str
    title: str
    description: str
    parent: Result | None
    goal: Goal | None
    work_package: WorkPackage | None
    sdg_targets: list[str]


def _clean_result(
    partnership: Partnership, data: Mapping[str, Any], current: Result | None
) -> _ResultFields:
    kind = str(data.get("type") or "")
    if kind not in ResultType.values:
        raise _field_error("type", _("Choose impact, outcome, output or other."))
    parent = data.get("parent")
    if parent is not None:
        if parent.partnership_id != partnership.pk:
            raise _field_error("parent", _("Choose a result of this partnership."))
        if current is not None and parent.pk == current.pk:
            raise _field_error("parent", _("A result cannot sit under itself."))
        if parent.type not in ALLOWED_PARENTS[kind]:
            raise _field_error(
                "parent",
                _("“%(child)s” cannot sit under “%(parent)s”: impact, then outcome, then output.")
                % {"child": ResultType(kind).label, "parent": ResultType(parent.type).label},
            )
        if current is not None:
            # Up from the new parent as the tree is stored now (not as the caller's copies
            # of the results say), ending at the top or at a loop already stored.
            above: int | None = parent.pk
            seen: set[int] = set()
            while above is not None and above not in seen:
                if above == current.pk:
                    raise _field_error("parent", _("A result cannot sit under itself."))
                seen.add(above)
                above = Result.objects.filter(pk=above).values_list("parent_id", flat=True).first()
    goal = data.get("goal")
    if goal is not None and goal.partnership_id != partnership.pk:
        raise _field_error("goal", _("Choose a goal of this partnership."))
    work_package = data.get("work_package")
    if work_package is not None and work_package.partnership_id != partnership.pk:
        raise _field_error("work_package", _("Choose a work package of this partnership."))
    targets = data.get("sdg_targets") or []
    if isinstance(targets, str):
        targets = [t for t in (sdg.normalise_code(t) for t in targets.split(",")) if t]
    try:
        sdg.validate_target_codes(list(targets))
    except ValidationError as exc:
        raise ValidationError({"sdg_targets": exc.messages}) from None
    return _ResultFields(
        type=kind,
        title=_text(data.get("title"), "title", 300, required=True),
        description=_text(data.get("description"), "description", 5000),
        parent=parent,
        goal=goal,
        work_package=work_package,
        sdg_targets=list(dict.fromkeys(targets)),
    )


def _check_still_there(fields: _ResultFields) -> None:
    """Refuse a parent, goal or work package deleted since the request read it; under the
    ledger's lock, which their deletions take."""
    for name, row, message in (
        ("parent", fields.parent, _("Choose a result of this partnership.")),
        ("goal", fields.goal, _("Choose a goal of this partnership.")),
        ("work_package", fields.work_package, _("Choose a work package of this partnership.")),
    ):
        if row is not None and not type(row)._default_manager.filter(pk=row.pk).exists():
            raise _field_error(name, message)


def create_result(*, actor: User, partnership: Partnership, **data: Any) -> Result:
    """A new impact, outcome or output. Fields: type, title, description, parent, goal,
    work_package, sdg_targets (list or comma-separated codes)."""
    _require(policy.can_manage_results(actor, partnership))
    fields = _clean_result(partnership, data, None)
    with _atomic():
        # The partnership and what the result hangs on as they are now, and the next
        # place, under the ledger's lock (Http404 or a field error once deleted).
        hold_row(partnership)
        _check_still_there(fields)
        position = Result.objects.filter(partnership=partnership).count()
        result = Result.objects.create(partnership=partnership, position=position, **vars(fields))
        rollups.refresh_sdg(partnership)
    return result


def update_result(*, actor: User, result: Result, **data: Any) -> Result:
    partnership = result.partnership
    _require(policy.can_manage_results(actor, partnership))
    with _atomic():
        # Checked against the result and its place in the tree as they are now, under
        # the lock every results write takes: two moves at once could otherwise each put
        # one result under the other.
        hold_row(result)
        merged = {
            "type": result.type,
            "title": result.title,
            "description": result.description,
            "parent": result.parent,
            "goal": result.goal,
            "work_package": result.work_package,
            "sdg_targets": result.sdg_targets,
            **data,
        }
        fields = _clean_result(partnership, merged, result)
        _check_still_there(fields)
        if fields.type != result.type:
            for child in result.children.all():
                if fields.type not in ALLOWED_PARENTS[child.type]:
                    raise _field_error(
                        "type", _("Results under this one could no longer sit under it.")
                    )
        for name, value in vars(fields).items():
            setattr(result, name, value)
        result.save(update_fields=list(vars(fields)))
        rollups.refresh_sdg(partnership)
    return result


def delete_result(*, actor: User, result: Result) -> None:
    _require(policy.can_manage_results(actor, result.partnership))
    in_use = Conflict(_("Move or delete the results and indicators under it first."))
    try:
        with _atomic():
            hold_row(result)  # Http404 once deleted meanwhile
            # Checked inside the transaction, after the lock every results write takes.
            if result.children.exists() or result.indicators.exists():
                raise in_use
            result.delete()
            rollups.refresh_sdg(result.partnership_id)
    except ProtectedError:
        raise in_use from None


# ---------------------------------------------------------------- indicators


INDICATOR_FIELDS = (
    "result",
    "code",
    "title",
    "description",
    "measure",
    "unit",
    "ascending",
    "accumulation",
    "frequency",
    "baseline_value",
    "baseline_date",
    "responsible",
    "sdg_indicator",
)


INDICATOR_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def _clean_indicator(
    partnership: Partnership, data: Mapping[str, Any], current: Indicator | None
) -> dict[str, Any]:
    result = data.get("result")
    if result is None or result.partnership_id != partnership.pk:
        raise _field_error("result", _("Choose a result of this partnership."))
    code = _text(data.get("code"), "code", 20, required=True)
    unchanged = current is not None and code == current.code  # kept as it was stored
    if not unchanged and not INDICATOR_CODE.fullmatch(code):
        # A code is part of the indicator's address and a spreadsheet's first column: no
        # "?", "#" or "/" (an address that does not reach it), no "=" or "-" first (a
        # formula), no invisible or right-to-left characters (a code that reads as another).
        raise _field_error(
            "code",
            _(
                "Use letters (A to Z), digits, dots, hyphens and underscores in a code, "
                "starting with a letter or a digit."
            ),
        )
    clash = Indicator.objects.filter(partnership=partnership, code=code)
    if current is not None:
        clash = clash.exclude(pk=current.pk)
    if clash.exists():
        raise _field_error("code", _("Another indicator already has this code."))
    measure = str(data.get("measure") or Measure.UNIT)
    if measure not in Measure.values:
        raise _field_error("measure", _("Choose unit, percentage or qualitative."))
    accumulation = str(data.get("accumulation") or Accumulation.LEVEL)
    if accumulation not in Accumulation.values:
        raise _field_error("accumulation", _("Choose how values add up over periods."))
    frequency = str(data.get("frequency") or Frequency.QUARTERLY)
    if frequency not in Frequency.values:
        raise _field_error("frequency", _("Choose monthly, quarterly or yearly."))
    ascending = data.get("ascending", True)
    if not isinstance(ascending, bool):
        raise _field_error("ascending", _("Say whether higher is better (true or false)."))
    if accumulation == Accumulation.CUMULATIVE and not ascending:
        raise _field_error(
            "accumulation",
            _(
                "A total that adds up over periods only grows; when a decrease is the aim, "
                "report the level each period."
            ),
        )
    if accumulation == Accumulation.CUMULATIVE and measure != Measure.UNIT:
        raise _field_error("accumulation", _("Only counts in units can add up over periods."))
    baseline = parse_value(data.get("baseline_value"), "baseline_value", required=False)
    if measure == Measure.QUALITATIVE and baseline is not None:
        raise _field_error("baseline_value", _("A qualitative indicator has no numeric baseline."))
    if baseline is not None:
        _check_range(measure, baseline, "baseline_value")
    responsible = data.get("responsible")
    if responsible is None or not _is_partner(partnership, responsible.pk):
        raise _field_error("responsible", _("Choose an organisation that is a partner."))
    if (
        current is not None
        and responsible.pk != current.responsible_id
        and current.submissions.filter(status=Status.SUBMITTED).exists()
    ):
        raise _field_error(
            "responsible",
            _(
                "A value of this indicator awaits review; approve or return it before "
                "another partner takes the indicator over."
            ),
        )
    sdg_code = sdg.normalise_code(data.get("sdg_indicator") or "")
    if sdg_code:
        item = sdg.get(sdg_code)
        if item is None or item.kind != "indicator":
            raise _field_error(
                "sdg_indicator",
                _("“%(code)s” is not an SDG indicator code; use one such as 3.b.1.")
                % {"code": sdg_code[:20]},
            )
    if current is not None and frequency != current.frequency and current.submissions.exists():
        raise _field_error(
            "frequency", _("Values were reported for this indicator; its frequency is fixed.")
        )
    if current is not None and frequency != current.frequency and current.targets.exists():
        raise _field_error(
            "frequency",
            _("Clear this indicator's targets before changing its frequency."),
        )
    if current is not None and measure != current.measure and current.submissions.exists():
        raise _field_error(
            "measure", _("Values were reported for this indicator; its measure is fixed.")
        )
    return {
        "result": result,
        "code": code,
        "title": _text(data.get("title"), "title", 300, required=True),
        "description": _text(data.get("description"), "description", 5000),
        "measure": measure,
        "unit": _text(data.get("unit"), "unit", 40),
        "ascending": ascending,
        "accumulation": accumulation,
        "frequency": frequency,
        "baseline_value": baseline,
        "baseline_date": _date(data.get("baseline_date"), "baseline_date", required=False),
        "responsible": responsible,
        "sdg_indicator": sdg_code,
    }


def _clean_dimensions(partnership: Partnership, dimensions: Iterable[Any]) -> list[Dimension]:
    found = []
    for dimension in dimensions:
        if not isinstance(dimension, Dimension) or dimension.partnership_id != partnership.pk:
            raise _field_error("dimensions", _("Choose dimensions of this partnership."))
        found.append(dimension)
    return found


def _indicator_payload(indicator: Indicator, dimensions: Sequence[Dimension]) -> dict[str, Any]:
    return {
        "indicator": indicator.pk,
        "code": indicator.code,
        "title": indicator.title,
        "result": indicator.result_id,
        "measure": indicator.measure,
        "unit": indicator.unit,
        "ascending": indicator.ascending,
        "accumulation": indicator.accumulation,
        "frequency": indicator.frequency,
        "baseline": _number(indicator.baseline_value),
        "baseline_date": indicator.baseline_date.isoformat() if indicator.baseline_date else None,
        "responsible": _org_ref(indicator.responsible),
        "sdg_indicator": indicator.sdg_indicator or None,
        "dimensions": [d.code for d in dimensions],
    }


def create_indicator(
    *, actor: User, partnership: Partnership, dimensions: Iterable[Any] = (), **data: Any
) -> Indicator:
    """A new indicator under a result. Fields: result, code, title, description, measure,
    unit, ascending, accumulation, frequency, baseline_value, baseline_date, responsible,
    sdg_indicator; `dimensions` lists Dimension rows."""
    _require(policy.can_manage_results(actor, partnership))
    fields = _clean_indicator(partnership, data, None)
    dims = _clean_dimensions(partnership, dimensions)
    try:
        with _atomic():
            # The partnership, the result and the dimensions as they are now, under the
            # lock their deletions take (Http404, or a field error): a failed insert is
            # then the one duplicate it can be, the code.
            hold_row(partnership)
            if not Result.objects.filter(pk=fields["result"].pk).exists():
                raise _field_error("result", _("Choose a result of this partnership."))
            if Dimension.objects.filter(pk__in=[d.pk for d in dims]).count() != len(dims):
                raise _field_error("dimensions", _("Choose dimensions of this partnership."))
            position = Indicator.objects.filter(partnership=partnership).count()
            indicator = Indicator.objects.create(
                partnership=partnership, position=position, **fields
            )
            indicator.dimensions.set(dims)
            _log(
                "results.indicator.created",
                _indicator_payload(indicator, dims),
                partnership,
                actor,
            )
            rollups.refresh_indicator(indicator)
            rollups.refresh_sdg(partnership)
    except IntegrityError:
        raise _field_error("code", _("Another indicator already has this code.")) from None
    return indicator


def update_indicator(
    *, actor: User, indicator: Indicator, dimensions: Iterable[Any] | None = None, **data: Any
) -> Indicator:
    partnership = indicator.partnership
    _require(policy.can_manage_results(actor, partnership))
    try:
        with _atomic():
            # Checked against the indicator and its reported values as they are now, under
            # the lock every results write takes (a value submitted meanwhile fixes the
            # measure, for one).
            hold_row(indicator)
            merged = {name: getattr(indicator, name) for name in INDICATOR_FIELDS}
            merged.update({k: v for k, v in data.items() if k in INDICATOR_FIELDS})
            fields = _clean_indicator(partnership, merged, indicator)
            dims = (
                _clean_dimensions(partnership, dimensions)
                if dimensions is not None
                else list(indicator.dimensions.all())
            )
            for name, value in fields.items():
                setattr(indicator, name, value)
            indicator.save(update_fields=list(fields))
            indicator.dimensions.set(dims)
            # Open drafts and returned values pass to the partner now responsible.
            indicator.submissions.filter(status__in=(Status.DRAFT, Status.RETURNED)).exclude(
                organisation_id=indicator.responsible_id
            ).update(organisation_id=indicator.responsible_id)
            _log(
                "results.indicator.changed",
                _indicator_payload(indicator, dims),
                partnership,
                actor,
            )
            rollups.refresh_indicator(indicator)
            rollups.refresh_sdg(partnership)
    except IntegrityError:
        raise _field_error("code", _("Another indicator already has this code.")) from None
    return indicator


def delete_indicator(*, actor: User, indicator: Indicator) -> None:
    _require(policy.can_manage_results(actor, indicator.partnership))
    in_use = Conflict(_("Values were reported for this indicator; it cannot be deleted."))
    try:
        with _atomic():
            hold_row(indicator)  # logged as it is now; once deleted: Http404, logged once
            if indicator.submissions.exists():
                raise in_use
            partnership = indicator.partnership
            _log(
                "results.indicator.deleted",
                {"indicator": indicator.pk, "code": indicator.code, "title": indicator.title},
                partnership,
                actor,
            )
            indicator.delete()
            rollups.refresh_sdg(partnership.pk)
    except ProtectedError:
        raise in_use from None


def _check_range(measure: str, value: Decimal, field: str) -> None:
    if value < 0:
        raise _field_error(field, _("A value cannot be negative."))
    if measure == Measure.PERCENTAGE and value > 100:
        raise _field_error(field, _("A percentage is between 0 and 100."))


def categories_of(indicator: Indicator) -> dict[str, tuple[Dimension, str]]:
    """Every category key ("sex:female") the indicator can be broken down by, with its
    dimension and label, in the dimensions' order."""
    return categories_in(indicator.dimensions.all())


def categories_in(dimensions: Iterable[Dimension]) -> dict[str, tuple[Dimension, str]]:
    """Every category key ("sex:female") of `dimensions`, with its dimension and label."""
    found: dict[str, tuple[Dimension, str]] = {}
    for dimension in dimensions:
        for category in dimension.categories:
            found[as_key(dimension.code, category["code"])] = (dimension, category["label"])
    return found


def set_targets(
    *,
    actor: User,
    indicator: Indicator,
    targets: Mapping[str, Any],
    by_category: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[Target]:
    """Set the indicator's targets: `targets` maps a period label ("2026-Q2") to the total
    target (empty removes it); `by_category` maps a period label to {category key: value}.
    Targets of periods not named are left as they are."""
    partnership = indicator.partnership
    _require(policy.can_manage_results(actor, partnership))
    if indicator.measure == Measure.QUALITATIVE:
        raise _field_error("targets", _("A qualitative indicator has no numeric targets."))
    known = categories_of(indicator)
    wanted: list[tuple[str, str, Decimal | None]] = []
    for label, raw in targets.items():
        field = f"targets.{label}"
        value = parse_value(raw, field, required=False)
        if value is not None:
            _check_range(indicator.measure, value, field)
        wanted.append((str(label), "", value))
    for label, values in (by_category or {}).items():
        for key, raw in values.items():
            field = f"targets.{label}.{key}"
            if key not in known:
                raise _field_error(
                    field, _("This indicator is not broken down by %(key)s.") % {"key": key}
                )
            value = parse_value(raw, field, required=False)
            if value is not None:
                _check_range(indicator.measure, value, field)
            wanted.append((str(label), key, value))
    written: list[Target] = []
    with _atomic():
        hold()
        changes = []
        for label, key, value in wanted:
            if value is None:
                # Clearing a target of a period with no row yet clears nothing: no row is
                # made for it.
                bounds = parse_period_label(indicator.frequency, label)
                if (
                    bounds is not None
                    and not Period.objects.filter(
                        partnership=partnership, frequency=indicator.frequency, start=bounds[0]
                    ).exists()
                ):
                    continue
            try:
                period = find_period(partnership, indicator.frequency, label)
            except ValidationError:
                raise _field_error(
                    f"targets.{label}",
                    _("“%(label)s” is not a %(frequency)s period.")
                    % {"label": label[:20], "frequency": indicator.get_frequency_display().lower()},
                ) from None
            existing = Target.objects.filter(
                indicator=indicator, period=period, category=key
            ).first()
            if existing is None and value is None:
                continue
            if existing is not None and existing.value == value:
                written.append(existing)
                continue
            if value is None:
                assert existing is not None
                existing.delete()
            elif existing is None:
                written.append(
                    Target.objects.create(
                        indicator=indicator, period=period, category=key, value=value
                    )
                )
            else:
                existing.value = value
                existing.save(update_fields=["value"])
                written.append(existing)
            changes.append(
                {"period": period.label, "category": key or None, "value": _number(value)}
            )
        if not changes:
            # Nothing changed: no ledger entry, and the roll-ups stand.
            return written
        _log(
            "results.targets.set",
            {"indicator": indicator.pk, "code": indicator.code, "targets": changes},
            partnership,
            actor,
        )
        rollups.refresh_indicator(indicator)
        rollups.refresh_sdg(partnership)
    return written


# ---------------------------------------------------------------- submissions


def check_reportable(indicator: Indicator, period: Period, today: date | None = None) -> None:
    """A field error on `period` unless values for it may be entered now."""
    today = today or timezone.localdate()
    if period.partnership_id != indicator.partnership_id or period.frequency != indicator.frequency:
        raise _field_error(
            "period",
            _("Choose a %(frequency)s period of this partnership.")
            % {"frequency": indicator.get_frequency_display().lower()},
        )
    if period.closed:
        raise _field_error(
            "period",
            _("The period %(period)s is closed; its figures are final.") % {"period": period.label},
        )
    if period.start > today:
        raise _field_error(
            "period",
            _("The period %(period)s has not started yet.") % {"period": period.label},
        )


def clean_breakdown(
    indicator: Indicator,
    total: Decimal | None,
    values: Mapping[str, Any],
    known: Mapping[str, tuple[Dimension, str]] | None = None,
) -> dict[str, Decimal]:
    """Parse the disaggregated values and check each exhaustive dimension adds up to the
    total. Errors name the field `values.<category key>` or `values.<dimension code>`."""
    known = categories_of(indicator) if known is None else known
    cleaned: dict[str, Decimal] = {}
    for key, raw in values.items():
        field = f"values.{key}"
        if key not in known:
            raise _field_error(
                field,
                _("This indicator is not broken down by “%(key)s”.") % {"key": str(key)[:100]},
            )
        value = parse_value(raw, field, required=False)
        if value is None:
            continue
        _check_range(indicator.measure, value, field)
        cleaned[key] = value
    if not cleaned:
        return cleaned
    if total is None:
        raise _field_error("value", _("Enter the total as well as its breakdown."))
    by_dimension: dict[str, list[str]] = {}
    for key in cleaned:
        by_dimension.setdefault(split_key(key)[0], []).append(key)
    for code, keys in by_dimension.items():
        dimension = known[keys[0]][0]
        if not dimension.exhaustive or indicator.measure == Measure.PERCENTAGE:
            continue
        expected = [as_key(dimension.code, c["code"]) for c in dimension.categories]
        missing = [known[k][1] for k in expected if k not in cleaned]
        if missing:
            raise _field_error(
                f"values.{code}",
                _("%(dimension)s: enter every category (missing: %(missing)s), or none.")
                % {"dimension": dimension.name, "missing": ", ".join(missing)},
            )
        added = sum((cleaned[k] for k in expected), Decimal(0))
        if added != total:
            raise _field_error(
                f"values.{code}",
                _("%(dimension)s adds up to %(sum)s, but the total is %(total)s.")
                % {"dimension": dimension.name, "sum": _number(added), "total": _number(total)},
            )
    return cleaned


@dataclass
class SiteInput:
    name: str
    latitude: Any
    longitude: Any
    subdivision: str = ""


def _clean_sites(sites: Iterable[Any]) -> list[Site]:
    cleaned = []
    for i, raw in enumerate(sites):
        field = f"sites.{i}"
        if i >= MAX_SITES:
            raise _field_error("sites", _("Give at most 500 sites."))
        if isinstance(raw, SiteInput):
            data = vars(raw)
        elif isinstance(raw, Mapping):
            data = dict(raw)
        else:
            raise _field_error(field, _("Give the site's name, latitude and longitude."))
        name = _text(data.get("name"), f"{field}.name", 200, required=True)
        lat = _coordinate(data.get("latitude"), f"{field}.latitude", 90)
        lon = _coordinate(data.get("longitude"), f"{field}.longitude", 180)
        subdivision = str(data.get("subdivision") or "").strip().upper()
        if subdivision and pycountry.subdivisions.get(code=subdivision) is None:
            raise _field_error(f"{field}.subdivision", _("Use an ISO 3166-2 code such as ID-JB."))
        cleaned.append(
            Site(
                name=name,
                latitude=lat.quantize(Decimal("0.000001")),
                longitude=lon.quantize(Decimal("0.000001")),
                subdivision=subdivision,
            )
        )
    return cleaned


def _coordinate(value: object, field: str, limit: int) -> Decimal:
    """A latitude (limit 90) or longitude (limit 180) in decimal degrees, WGS 84, with at
    most 6 decimals (about 10 cm), as GPS devices and phones give them."""
    if isinstance(value, bool | float):
        raise _field_error(field, _('Enter the number as a decimal string, e.g. "12.5".'))
    try:
        number = plain_decimal(value or "")
    except (InvalidOperation, ValueError):
        number = None
    if number is None or not number.is_finite():
        raise _field_error(field, _("Enter a number, e.g. 12.5."))
    if not -limit <= number <= limit:
        message = (
            _("A latitude is between -90 and 90.")
            if limit == 90
            else _("A longitude is between -180 and 180.")
        )
        raise _field_error(field, message)
    if number != number.quantize(SIX_PLACES, context=Context(prec=40)):
        raise _field_error(field, _("Use at most 6 digits after the decimal point."))
    return number


def current_draft(indicator: Indicator, period: Period) -> Submission | None:
    """The latest revision for (indicator, period), whatever its status."""
    return (
        Submission.objects.filter(indicator=indicator, period=period).order_by("-revision").first()
    )


def save_draft(
    *,
    actor: User,
    indicator: Indicator,
    period: Period,
    value: Any = None,
    text: str = "",
    narrative: str = "",
    values: Mapping[str, Any] | None = None,
    sites: Iterable[Any] | None = None,
) -> Submission:
    """Enter or change the value for (indicator, period) as a draft.

    Changes the open draft (or returned revision) when there is one; starts a new
    revision when the latest one is approved; refuses while one awaits review."""
    _require(policy.can_submit_results(actor, indicator.partnership, indicator.responsible_id))
    with _atomic():
        # Under the lock `update_indicator` takes: the measure, the responsible partner
        # and the frequency this value is checked against are the indicator's as they are
        # now, and stay so until it is saved.
        hold_row(indicator)
        return _save_draft(actor, indicator, period, value, text, narrative, values, sites)


def _save_draft(
    actor: User,
    indicator: Indicator,
    period: Period,
    value: Any,
    text: str,
    narrative: str,
    values: Mapping[str, Any] | None,
    sites: Iterable[Any] | None,
) -> Submission:
    partnership = indicator.partnership
    _require(policy.can_submit_results(actor, partnership, indicator.responsible_id))
    check_reportable(indicator, period)
    if indicator.measure == Measure.QUALITATIVE:
        if value not in (None, ""):
            raise _field_error("value", _("A qualitative indicator takes text, not a number."))
        for key, raw in (values or {}).items():
            if raw not in (None, ""):  # a breakdown would be dropped without a word
                raise _field_error(
                    f"values.{key}", _("A qualitative indicator takes no breakdown by category.")
                )
        total = None
        text = _text(text, "text", 5000)
        breakdown: dict[str, Decimal] = {}
    else:
        if text and str(text).strip():  # it would be dropped without a word
            raise _field_error(
                "text", _("This indicator takes a number; put words in the narrative.")
            )
        total = parse_value(value, "value", required=False)
        if total is not None:
            _check_range(indicator.measure, total, "value")
        text = ""
        breakdown = clean_breakdown(indicator, total, values or {})
    narrative = _text(narrative, "narrative", 10000)
    new_sites = _clean_sites(sites) if sites is not None else None
    with _atomic():
        latest = (
            Submission.objects.select_for_update(no_key=True, of=("self",))
            .filter(indicator=indicator, period=period)
            .order_by("-revision")
            .first()
        )
        if latest is not None and latest.status == Status.SUBMITTED:
            raise Conflict(
                _("This value is waiting for review; it can be changed once it is returned."),
                "value",
            )
        if latest is None or latest.status == Status.APPROVED:
            submission = Submission(
                partnership=partnership,
                indicator=indicator,
                period=period,
                organisation_id=indicator.responsible_id,
                revision=(latest.revision + 1) if latest else 1,
                created_by=actor,
            )
        else:
            submission = latest
        submission.value = total
        submission.text = text
        submission.narrative = narrative
        submission.changed_by(actor.pk)
        try:
            with _atomic():
                submission.save()
        except IntegrityError:
            raise Conflict(
                _("Someone else entered this value at the same time; reload and try again."),
                "value",
            ) from None
        submission.values.all().delete()
        SubmissionValue.objects.bulk_create(
            SubmissionValue(submission=submission, category=k, value=v)
            for k, v in breakdown.items()
        )
        if new_sites is not None:
            submission.sites.all().delete()
            for site in new_sites:
                site.submission = submission
            Site.objects.bulk_create(new_sites)
    return submission


def _check_complete(submission: Submission) -> None:
    indicator = submission.indicator
    if indicator.measure == Measure.QUALITATIVE:
        if not submission.text:
            raise _field_error("text", _("Describe what was achieved."))
    elif submission.value is None:
        raise _field_error("value", _("Enter the value before submitting."))


def submit(*, actor: User, submission: Submission) -> Submission:
    """Send a draft or returned value for review."""
    partnership = submission.partnership
    _require(policy.can_submit_results(actor, partnership, submission.organisation_id))
    with _atomic():
        hold()  # as `update_indicator` does: the indicator cannot change under the value
        submission = Submission.objects.select_for_update(no_key=True, of=("self",)).get(
            pk=submission.pk
        )
        _require(policy.can_submit_results(actor, partnership, submission.organisation_id))
        if not submission.editable:
            raise Conflict(_("Only a draft or a returned value can be submitted."), "status")
        check_reportable(submission.indicator, submission.period)
        _check_complete(submission)
        submission.status = Status.SUBMITTED
        submission.submitted_by = actor
        submission.submitted_at = timezone.now()
        submission.involve(actor.pk)
        submission.save(update_fields=["status", "submitted_by", "submitted_at", "editors"])
    return submission


def _decide(actor: User, submission: Submission) -> Submission:
    partnership = submission.partnership
    _require(policy.can_approve_results(actor, partnership))
    locked = (
        Submission.objects.select_for_update(no_key=True, of=("self",))
        .select_related("indicator", "period", "organisation")
        .get(pk=submission.pk)
    )
    locked.partnership = partnership
    if locked.status != Status.SUBMITTED:
        raise Conflict(_("Only a submitted value can be approved or returned."), "status")
    if actor.pk in locked.author_ids():
        raise PermissionDenied(_("You entered this value; another coordinator must review it."))
    return locked


def value_payload(
    submission: Submission, values: Sequence[SubmissionValue], evidence: Sequence[Evidence]
) -> dict[str, Any]:
    indicator = submission.indicator
    return {
        "submission": submission.pk,
        "indicator": indicator.pk,
        "code": indicator.code,
        "period": submission.period.label,
        "period_start": submission.period.start.isoformat(),
        "period_end": submission.period.end.isoformat(),
        "revision": submission.revision,
        "value": _number(submission.value),
        "text": submission.text or None,
        "unit": indicator.unit,
        "values": {v.category: _number(v.value) for v in values},
        "reported_by": _org_ref(submission.organisation),
        "evidence": [e.sha256 for e in evidence],
    }


def approve(*, actor: User, submission: Submission, comment: str = "") -> Submission:
    """Approve a submitted value: it goes on the ledger, replaces the revision in force,
    and every progress figure and roll-up it changes is rewritten, in one transaction."""
    _require(policy.can_approve_results(actor, submission.partnership))
    comment = _text(comment, "comment", 1000)
    with _atomic():
        hold()
        submission = _decide(actor, submission)
        if submission.period.closed:
            raise Conflict(
                _(
                    "The period %(period)s is closed; its figures are final. Return the value, "
                    "or reopen the period first."
                )
                % {"period": submission.period.label},
                "status",
            )
        Submission.objects.filter(
            indicator_id=submission.indicator_id, period_id=submission.period_id, is_current=True
        ).update(is_current=False)
        submission.status = Status.APPROVED
        submission.is_current = True
        submission.comment = comment
        submission.decided_by = actor
        submission.decided_at = timezone.now()
        values = list(submission.values.all())
        evidence = list(submission.evidence.all())
        submission.ledger_index = _log(
            "results.value.approved",
            value_payload(submission, values, evidence),
            submission.partnership,
            actor,
        )
        submission.save(
            update_fields=[
                "status",
                "is_current",
                "comment",
                "decided_by",
                "decided_at",
                "ledger_index",
            ]
        )
        indicator = submission.indicator
        status = rollups.refresh_indicator(indicator)
        rollups.shift_sdg(indicator, status, submission.ledger_index)
    return submission


def return_submission(*, actor: User, submission: Submission, comment: str) -> Submission:
    """Send a submitted value back to its partner with a comment saying what to fix."""
    _require(policy.can_approve_results(actor, submission.partnership))
    comment = _text(comment, "comment", 1000, required=True)
    with _atomic():
        submission = _decide(actor, submission)
        submission.status = Status.RETURNED
        submission.comment = comment
        submission.decided_by = actor
        submission.decided_at = timezone.now()
        submission.save(update_fields=["status", "comment", "decided_by", "decided_at"])
    return submission


def attach_evidence(
    *, actor: User, submission: Submission, uploaded_file: UploadedFile
) -> Evidence:
    """Attach a file to a draft or returned value; its SHA-256 goes on the ledger with
    the value when it is approved."""
    _require(policy.can_submit_results(actor, submission.partnership, submission.organisation_id))
    if not submission.editable:
        raise Conflict(_("Evidence is attached before the value is submitted."), "file")
    if uploaded_file.size is None or uploaded_file.size == 0:
        raise _field_error("file", _("The file is empty."))
    if uploaded_file.size > MAX_EVIDENCE_BYTES:
        raise _field_error("file", _("A file can be at most 20 MB."))
    digest = hashlib.sha256()
    for chunk in uploaded_file.chunks():
        digest.update(chunk)
    uploaded_file.seek(0)
    evidence = Evidence(
        submission=submission,
        name=kept_name(uploaded_file.name, "evidence"),
        content_type=(uploaded_file.content_type or "")[:100],
        size=uploaded_file.size,
        sha256=digest.hexdigest(),
        uploaded_by=actor,
    )
    with _atomic():
        # Still editable now, under the lock `submit` and approval take: evidence
        # attached to a value already approved would be missing from its ledger entry.
        hold_row(submission)
        if not submission.editable:
            raise Conflict(_("Evidence is attached before the value is submitted."), "file")
        evidence.file.save(evidence.sha256, uploaded_file, save=False)
        evidence.save()
    return evidence
