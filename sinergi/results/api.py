"""Results API, mounted at /api/v1/partnerships (paths start with "/{slug}/results").

Reading needs view access to the partnership (`policy.can_view_results`); a private
partnership answers 404 to anyone outside it. Observers and the public (for a public
partnership) see approved values in force only; coordinators, staff and the reporting
partner's own people also see drafts, submitted and returned values
(`policy.can_see_unapproved_results`). Writes go through `sinergi.results.services`:
coordinators manage the framework, dimensions and targets; a responsible partner's people
enter and submit values; coordinators approve or return them.

Figures are never JSON numbers: values, targets and percentages are decimal strings,
e.g. `{"value": "76.5", "values": {"sex:female": "40"}}`. Values sent in are strings
(or whole numbers); a JSON float is refused with a field error.
"""

# No `from __future__ import annotations` here: ninja's pagination decorator reads the
# list operations' signatures (their `Query[...]` filters) outside this module.
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import BeforeValidator, StrictBool, WithJsonSchema
from pydantic_core import PydanticCustomError

from sinergi.access import policy
from sinergi.core.bodies import InputSchema
from sinergi.core.files import evidence_download
from sinergi.core.pagination import Pagination
from sinergi.core.schemas import MAX_ID, Id, PathId
from sinergi.ledger.log import hold
from sinergi.partners.models import Organisation
from sinergi.partnerships.models import Goal, Partnership, WorkPackage
from sinergi.results import export, queries, services
from sinergi.results.models import (
    DESCRIPTION_MAX_LENGTH,
    NARRATIVE_MAX_LENGTH,
    VALUE_TEXT_MAX_LENGTH,
    Dimension,
    Evidence,
    Indicator,
    IndicatorStatus,
    Period,
    Progress,
    Result,
    Submission,
    SubmissionValue,
    Target,
)

router = Router(tags=["results"])

MAX_VALUE_CHARS = 40
MAX_CATEGORIES = 500
MAX_PERIODS = services.MAX_PERIODS


# ---------------------------------------------------------------- input types


def _value_text(value: Any) -> Any:
    """A decimal string as sent, or a whole number as its digits; never a float (a binary
    fraction is not an exact figure, so 1.1 is refused rather than rounded) nor a boolean."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise PydanticCustomError(
            "value_type", str(_('Enter the number as a decimal string, e.g. "12.5".'))
        )
    text = str(value)
    if len(text) > MAX_VALUE_CHARS:
        raise PydanticCustomError("value_length", str(_("Enter at most 15 digits.")))
    return text


Value = Annotated[
    str | None,
    BeforeValidator(_value_text),
    WithJsonSchema(
        {
            "anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}],
            "description": 'A decimal string, e.g. "12.5"; a whole number is accepted, '
            "a JSON float is not.",
        }
    ),
]


# ---------------------------------------------------------------- output schemas


SEEN_BY_REVIEWERS = "Shown to those who see unapproved values"


class ResultsOrganisationRef(Schema):
    id: int
    name: str


class ResultsPersonRef(Schema):
    id: int
    name: str


class CategoryOut(Schema):
    code: str
    label: str


class DimensionOut(Schema):
    id: int
    code: str
    name: str
    kind: str = Field(description="sex, age, subdivision (ISO 3166-2) or custom")
    kind_name: str
    exhaustive: bool = Field(description="Values broken down by it must add up to the total")
    categories: list[CategoryOut]


class ResultOut(Schema):
    id: int
    parent: int | None
    depth: int = Field(description="0 for a result at the top of the framework")
    type: str = Field(description="IATI ResultType: 1 output, 2 outcome, 3 impact, 9 other")
    type_name: str
    title: str
    description: str
    goal: int | None
    work_package: int | None
    sdg_targets: list[str]


class TargetOut(Schema):
    period: str = Field(description='The period label, e.g. "2026-Q2"')
    start: date
    end: date
    category: str | None = Field(description='None: the total; else e.g. "sex:female"')
    value: str


class SeriesPointOut(Schema):
    period: str
    end: date
    actual: str | None = Field(description="Actual to date at the end of the period")
    target: str | None = Field(description="Target to date at the end of the period")


class IndicatorStatusOut(Schema):
    latest_period: str | None
    actual: str | None = Field(description="Actual to date (approved values)")
    target: str | None = Field(description="Target to date")
    final_target: str | None
    percent: str | None = Field(description="Percent of the final target")
    percent_to_date: str | None = Field(description="Percent of the target to date")
    progress: str = Field(description="on_track, at_risk, off_track, no_data or not_scored")
    progress_name: str
    trend: str = Field(description="improving, worsening, steady or empty")
    trend_name: str
    approved_periods: int
    series: list[SeriesPointOut]


class IndicatorOut(Schema):
    id: int
    code: str
    title: str
    description: str
    result: int
    measure: str = Field(description="IATI IndicatorMeasure: 1 unit, 2 percentage, 5 qualitative")
    measure_name: str
    unit: str
    ascending: bool = Field(description="True when higher is better")
    accumulation: str = Field(description="cumulative or level")
    frequency: str = Field(description="monthly, quarterly or yearly")
    baseline_value: str | None
    baseline_date: date | None
    responsible: ResultsOrganisationRef
    sdg_indicator: str
    dimensions: list[DimensionOut]
    targets: list[TargetOut]
    status: IndicatorStatusOut | None


class FrameworkOut(Schema):
    partnership: str
    dimensions: list[DimensionOut]
    results: list[ResultOut] = Field(description="In tree order: each result before those under it")
    indicators: list[IndicatorOut]


class PeriodOut(Schema):
    label: str
    frequency: str
    start: date
    end: date
    due: date
    closed: bool


class IndicatorRef(Schema):
    id: int
    code: str
    title: str
    unit: str
    measure: str


class BreakdownOut(Schema):
    category: str = Field(description='e.g. "sex:female"')
    dimension: str
    label: str
    value: str


class SiteOut(Schema):
    name: str
    latitude: str
    longitude: str
    subdivision: str


class EvidenceOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    sha256: str


class ValueOut(Schema):
    id: int
    indicator: IndicatorRef
    period: PeriodOut
    organisation: ResultsOrganisationRef = Field(description="The reporting partner")
    revision: int
    status: str = Field(description="draft, submitted, approved or returned")
    status_name: str
    is_current: bool = Field(description="The approved revision in force")
    value: str | None
    text: str = Field(description="A qualitative indicator's value")
    values: dict[str, str] = Field(description="Category key → value")
    breakdown: list[BreakdownOut]
    narrative: str
    comment: str = Field(description="The reviewer's comment")
    sites: list[SiteOut]
    evidence: list[EvidenceOut]
    created_at: datetime
    submitted_at: datetime | None
    decided_at: datetime | None
    submitted_by: ResultsPersonRef | None = Field(description=SEEN_BY_REVIEWERS)
    decided_by: ResultsPersonRef | None = Field(description=SEEN_BY_REVIEWERS)
    ledger_index: int | None


# ---------------------------------------------------------------- input schemas


class DimensionIn(InputSchema):
    name: str = Field(min_length=1, max_length=100)
    kind: str = Field(description="sex, age, subdivision or custom")
    code: str = Field("", max_length=40)
    categories: list[Any] = Field(
        default_factory=list,
        max_length=MAX_CATEGORIES,
        description="Empty: the usual categories of the kind (sex, age, the countries' provinces)",
    )
    exhaustive: StrictBool = True


class DimensionPatch(InputSchema):
    name: str = Field(None, min_length=1, max_length=100)
    exhaustive: StrictBool = Field(None)
    categories: list[Any] = Field(
        None, max_length=MAX_CATEGORIES, description="Codes, or {code, label} objects"
    )


class ResultIn(InputSchema):
    type: str = Field(description="1 output, 2 outcome, 3 impact, 9 other")
    title: str = Field(min_length=1, max_length=300)
    description: str = Field("", max_length=DESCRIPTION_MAX_LENGTH)
    parent: Id | None = None
    goal: Id | None = None
    work_package: Id | None = None
    sdg_targets: list[str] = Field(default_factory=list, max_length=200)


class ResultPatch(InputSchema):
    type: str = Field(None)
    title: str = Field(None, min_length=1, max_length=300)
    description: str = Field(None, max_length=DESCRIPTION_MAX_LENGTH)
    parent: Id | None = None
    goal: Id | None = None
    work_package: Id | None = None
    sdg_targets: list[str] = Field(None, max_length=200)


class IndicatorIn(InputSchema):
    result: Id
    code: str = Field(min_length=1, max_length=20)
    title: str = Field(min_length=1, max_length=300)
    description: str = Field("", max_length=DESCRIPTION_MAX_LENGTH)
    measure: str = Field("1", description="1 unit, 2 percentage, 5 qualitative")
    unit: str = Field("", max_length=40)
    ascending: StrictBool = True
    accumulation: str = Field("level", description="cumulative or level")
    frequency: str = Field("quarterly", description="monthly, quarterly or yearly")
    baseline_value: Value = None
    baseline_date: date | None = None
    responsible: Id = Field(description="The responsible partner's organisation id")
    sdg_indicator: str = Field("", max_length=20, description="e.g. 3.b.1")
    dimensions: list[str] = Field(
        default_factory=list, max_length=50, description="Dimension codes"
    )


class IndicatorPatch(InputSchema):
    result: Id = Field(None)
    code: str = Field(None, min_length=1, max_length=20)
    title: str = Field(None, min_length=1, max_length=300)
    description: str = Field(None, max_length=DESCRIPTION_MAX_LENGTH)
    measure: str = Field(None)
    unit: str = Field(None, max_length=40)
    ascending: StrictBool = Field(None)
    accumulation: str = Field(None)
    frequency: str = Field(None)
    baseline_value: Value = None
    baseline_date: date | None = None
    responsible: Id = Field(None)
    sdg_indicator: str = Field(None, max_length=20)
    dimensions: list[str] = Field(None, max_length=50)


class TargetsIn(InputSchema):
    targets: dict[str, Value] = Field(
        default_factory=dict,
        max_length=MAX_PERIODS,
        description="Period label → total target; null removes it",
    )
    by_category: dict[str, Annotated[dict[str, Value], Field(max_length=MAX_CATEGORIES)]] = Field(
        default_factory=dict,
        max_length=MAX_PERIODS,
        description="Period label → {category key → target}",
    )


class SiteIn(InputSchema):
    name: str = Field(min_length=1, max_length=200)
    latitude: Value
    longitude: Value
    subdivision: str = Field("", max_length=10, description="ISO 3166-2, e.g. ID-JB")


class ValueIn(InputSchema):
    indicator: str = Field(min_length=1, max_length=20, description="The indicator's code")
    period: str = Field(min_length=1, max_length=20, description='e.g. "2026-Q2"')
    value: Value = Field(None, description="The total (not for qualitative indicators)")
    values: dict[str, Value] = Field(
        default_factory=dict,
        max_length=MAX_CATEGORIES,
        description='Category key ("sex:female") → value',
    )
    text: str = Field(
        "", max_length=VALUE_TEXT_MAX_LENGTH, description="A qualitative indicator's value"
    )
    narrative: str = Field("", max_length=NARRATIVE_MAX_LENGTH)
    sites: list[SiteIn] | None = Field(None, max_length=500, description="None: keep as they are")
    submit: StrictBool = Field(False, description="Submit for review right after saving")


class ValueDecisionIn(InputSchema):
    comment: str = Field("", max_length=1000)


class ReturnIn(InputSchema):
    comment: str = Field(min_length=1, max_length=1000, description="What to fix")


class ValueFilterIn(Schema):
    indicator: str = Field("", max_length=20, description="Indicator code")
    period: str = Field("", max_length=20, description='Period label, e.g. "2026-Q2"')
    organisation: int | None = Field(None, ge=1, le=MAX_ID)
    status: str = Field("", max_length=10, description="draft, submitted, approved, returned")


# ---------------------------------------------------------------- access and look-ups


def _partnership(request: HttpRequest, slug: str) -> Partnership:
    """The partnership whose results `request.auth` may read; 404 when it may not be seen."""
    partnership = policy.get_partnership_for(request.auth, slug)
    if not policy.can_view_results(request.auth, partnership):
        raise Http404
    return partnership


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def _indicator(partnership: Partnership, code: str) -> Indicator:
    indicator = (
        Indicator.objects.filter(partnership=partnership, code=code)
        .select_related("partnership", "responsible", "result")
        .first()
    )
    if indicator is None:
        raise Http404
    return indicator


def _result(partnership: Partnership, pk: int) -> Result:
    result = Result.objects.filter(partnership=partnership, pk=pk).select_related(
        "partnership", "parent", "goal", "work_package"
    )
    found = result.first()
    if found is None:
        raise Http404
    return found


def _dimension(partnership: Partnership, code: str) -> Dimension:
    found = Dimension.objects.filter(partnership=partnership, code=code).first()
    if found is None:
        raise Http404
    found.partnership = partnership
    return found


def _ref(model: Any, partnership: Partnership, pk: int | None, field: str, message: str) -> Any:
    if pk is None:
        return None
    found = model.objects.filter(partnership=partnership, pk=pk).first()
    if found is None:
        raise ValidationError({field: [message]})
    return found


def _resolve_result_fields(partnership: Partnership, fields: dict[str, Any]) -> None:
    if "parent" in fields:
        fields["parent"] = _ref(
            Result,
            partnership,
            fields["parent"],
            "parent",
            _("Choose a result of this partnership."),
        )
    if "goal" in fields:
        fields["goal"] = _ref(
            Goal, partnership, fields["goal"], "goal", _("Choose a goal of this partnership.")
        )
    if "work_package" in fields:
        fields["work_package"] = _ref(
            WorkPackage,
            partnership,
            fields["work_package"],
            "work_package",
            _("Choose a work package of this partnership."),
        )


def _resolve_indicator_fields(partnership: Partnership, fields: dict[str, Any]) -> None:
    if "result" in fields:
        fields["result"] = _ref(
            Result,
            partnership,
            fields["result"],
            "result",
            _("Choose a result of this partnership."),
        )
    if "responsible" in fields:
        found = Organisation.objects.filter(pk=fields["responsible"]).first()
        if found is None:
            raise ValidationError({"responsible": [_("Choose an organisation that is a partner.")]})
        fields["responsible"] = found
    if fields.get("dimensions") is not None:
        codes = list(dict.fromkeys(fields["dimensions"]))
        found_dims = {
            d.code: d for d in Dimension.objects.filter(partnership=partnership, code__in=codes)
        }
        missing = [c for c in codes if c not in found_dims]
        if missing:
            raise ValidationError({"dimensions": [_("Choose dimensions of this partnership.")]})
        fields["dimensions"] = [found_dims[c] for c in codes]


# ---------------------------------------------------------------- bodies


def _number(value: Decimal | None) -> str | None:
    """A figure as a decimal string without trailing zeros: "76.5", "100"."""
    if value is None:
        return None
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _org(organisation: Organisation) -> dict[str, Any]:
    return {"id": organisation.pk, "name": organisation.name}


def _person(person: Any) -> dict[str, Any] | None:
    if person is None:
        return None
    return {"id": person.pk, "name": str(person)}


def dimension_body(dimension: Dimension) -> dict[str, Any]:
    return {
        "id": dimension.pk,
        "code": dimension.code,
        "name": dimension.name,
        "kind": dimension.kind,
        "kind_name": str(dimension.get_kind_display()),
        "exhaustive": dimension.exhaustive,
        "categories": [{"code": c["code"], "label": c["label"]} for c in dimension.categories],
    }


def depth_of(result: Result) -> int:
    """How many results lie above `result` (a framework is three levels deep at most)."""
    depth, parent, seen = 0, result.parent, {result.pk}
    while parent is not None and parent.pk not in seen:  # a loop stored: end the walk
        seen.add(parent.pk)
        depth, parent = depth + 1, parent.parent
    return depth


def result_body(result: Result, depth: int = 0) -> dict[str, Any]:
    return {
        "id": result.pk,
        "parent": result.parent_id,
        "depth": depth,
        "type": result.type,
        "type_name": str(result.get_type_display()),
        "title": result.title,
        "description": result.description,
        "goal": result.goal_id,
        "work_package": result.work_package_id,
        "sdg_targets": list(result.sdg_targets or []),
    }


def tree_order(results: list[Result]) -> list[tuple[Result, int]]:
    """Each result before those under it, siblings by position; with its depth."""
    children: dict[int | None, list[Result]] = {}
    ids = {r.pk for r in results}
    for result in results:
        parent = result.parent_id if result.parent_id in ids else None
        children.setdefault(parent, []).append(result)
    ordered: list[tuple[Result, int]] = []
    seen: set[int] = set()
    stack = [(r, 0) for r in reversed(children.get(None, []))]
    while stack:
        result, depth = stack.pop()
        if result.pk in seen:
            continue
        seen.add(result.pk)
        ordered.append((result, depth))
        stack.extend((c, depth + 1) for c in reversed(children.get(result.pk, [])))
    return ordered


def status_body(status: IndicatorStatus | None, periods: dict[int, str]) -> dict[str, Any] | None:
    if status is None:
        return None
    return {
        "latest_period": periods.get(status.period_id) if status.period_id else None,
        "actual": _number(status.actual),
        "target": _number(status.target),
        "final_target": _number(status.final_target),
        "percent": _number(status.percent),
        "percent_to_date": _number(status.percent_to_date),
        "progress": status.progress,
        "progress_name": str(status.get_progress_display()),
        "trend": status.trend,
        "trend_name": str(status.get_trend_display()),
        "approved_periods": status.approved,
        "series": [
            {"period": p[0], "end": p[1], "actual": p[2], "target": p[3]}
            for p in (status.series or [])
        ],
    }


def _target_body(target: Target) -> dict[str, Any]:
    return {
        "period": target.period.label,
        "start": target.period.start,
        "end": target.period.end,
        "category": target.category or None,
        "value": _number(target.value),
    }


def indicator_body(
    indicator: Indicator, status: IndicatorStatus | None, periods: dict[int, str]
) -> dict[str, Any]:
    """An indicator as the API shows it (dimensions and targets prefetched)."""
    return {
        "id": indicator.pk,
        "code": indicator.code,
        "title": indicator.title,
        "description": indicator.description,
        "result": indicator.result_id,
        "measure": indicator.measure,
        "measure_name": str(indicator.get_measure_display()),
        "unit": indicator.unit,
        "ascending": indicator.ascending,
        "accumulation": indicator.accumulation,
        "frequency": indicator.frequency,
        "baseline_value": _number(indicator.baseline_value),
        "baseline_date": indicator.baseline_date,
        "responsible": _org(indicator.responsible),
        "sdg_indicator": indicator.sdg_indicator,
        "dimensions": [dimension_body(d) for d in indicator.dimensions.all()],
        "targets": [_target_body(t) for t in indicator.targets.all()],
        "status": status_body(status, periods),
    }


def _indicators(partnership: Partnership) -> Any:
    return (
        Indicator.objects.filter(partnership=partnership)
        .select_related("responsible", "status")
        .prefetch_related(
            "dimensions",
            Prefetch(
                "targets",
                queryset=Target.objects.select_related("period").order_by(
                    "period__start", "category"
                ),
            ),
        )
    )


def _indicator_bodies(rows: Any) -> list[dict[str, Any]]:
    indicators = list(rows)
    statuses = {}
    for indicator in indicators:
        try:
            statuses[indicator.pk] = indicator.status
        except IndicatorStatus.DoesNotExist:
            statuses[indicator.pk] = None
    period_ids = {s.period_id for s in statuses.values() if s is not None and s.period_id}
    periods = (
        {p.pk: p.label for p in Period.objects.filter(pk__in=period_ids)} if period_ids else {}
    )
    return [indicator_body(i, statuses[i.pk], periods) for i in indicators]


def _indicator_detail(partnership: Partnership, pk: int) -> dict[str, Any]:
    return _indicator_bodies(_indicators(partnership).filter(pk=pk))[0]


def value_body(
    submission: Submission, show_people: bool, show_evidence: bool | None = None
) -> dict[str, Any]:
    """A submission as the API shows it (its relations loaded or prefetched). Evidence
    files are named only to those who may see them (`show_evidence`, by default as
    `show_people`); everyone else gets their size and SHA-256."""
    if show_evidence is None:
        show_evidence = show_people
    indicator = submission.indicator
    period = submission.period
    labels: dict[str, tuple[str, str]] = {}
    for dimension in indicator.dimensions.all():
        for category in dimension.categories:
            labels[f"{dimension.code}:{category['code']}"] = (dimension.name, category["label"])
    values = list(submission.values.all())
    return {
        "id": submission.pk,
        "indicator": {
            "id": indicator.pk,
            "code": indicator.code,
            "title": indicator.title,
            "unit": indicator.unit,
            "measure": indicator.measure,
        },
        "period": {
            "label": period.label,
            "frequency": period.frequency,
            "start": period.start,
            "end": period.end,
            "due": period.due,
            "closed": period.closed,
        },
        "organisation": _org(submission.organisation),
        "revision": submission.revision,
        "status": submission.status,
        "status_name": str(submission.get_status_display()),
        "is_current": submission.is_current,
        "value": _number(submission.value),
        "text": submission.text,
        "values": {v.category: _number(v.value) for v in values},
        "breakdown": [
            {
                "category": v.category,
                "dimension": labels.get(v.category, ("", ""))[0],
                "label": labels.get(v.category, ("", v.category))[1],
                "value": _number(v.value),
            }
            for v in values
        ],
        "narrative": submission.narrative,
        "comment": submission.comment,
        "sites": [
            {
                "name": s.name,
                "latitude": format(s.latitude, "f"),
                "longitude": format(s.longitude, "f"),
                "subdivision": s.subdivision,
            }
            for s in submission.sites.all()
        ],
        "evidence": [
            {
                "id": e.pk,
                "name": e.name if show_evidence else "",
                "content_type": e.content_type if show_evidence else "",
                "size": e.size,
                "sha256": e.sha256,
            }
            for e in submission.evidence.all()
        ],
        "created_at": submission.created_at,
        "submitted_at": submission.submitted_at,
        "decided_at": submission.decided_at,
        "submitted_by": _person(submission.submitted_by) if show_people else None,
        "decided_by": _person(submission.decided_by) if show_people else None,
        "ledger_index": submission.ledger_index,
    }


def _value_rows(rows: Any) -> Any:
    return rows.select_related(
        "indicator", "period", "organisation", "submitted_by", "decided_by"
    ).prefetch_related(
        "indicator__dimensions",
        Prefetch("values", queryset=SubmissionValue.objects.order_by("pk")),
        "sites",
        "evidence",
    )


class _ValueRows:
    """Submissions for ninja's pagination: counted in the database, bodies per window."""

    def __init__(self, rows: Any, request: HttpRequest, partnership: Partnership) -> None:
        self.rows = rows
        self.request = request
        self.partnership = partnership

    def count(self) -> int:
        return self.rows.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window: slice) -> list[dict[str, Any]]:
        return [_value(self.request, self.partnership, s) for s in _value_rows(self.rows[window])]


def _value(request: HttpRequest, partnership: Partnership, submission: Submission) -> dict:
    show = policy.can_see_unapproved_results(request.auth, partnership, submission.organisation_id)
    evidence = policy.can_see_result_evidence(request.auth, partnership)
    return value_body(submission, show, evidence)


def _submission(request: HttpRequest, partnership: Partnership, pk: int) -> Submission:
    """A submission the caller may see (404 otherwise), locked for nothing."""
    rows = export.visible_submissions(request.auth, partnership).filter(pk=pk)
    found = _value_rows(rows).select_related("partnership").first()
    if found is None:
        raise Http404
    return found


# ---------------------------------------------------------------- framework


@router.get(
    "/{slug}/results",
    response=FrameworkOut,
    summary="Read the results framework",
    description="The dimensions, the results in tree order (impact → outcome → output) and "
    "every indicator with its dimensions, targets per period and progress.",
)
def read_framework(request: HttpRequest, slug: str) -> dict[str, Any]:
    partnership = _partnership(request, slug)
    results = list(Result.objects.filter(partnership=partnership).order_by("position", "pk"))
    dimensions = Dimension.objects.filter(partnership=partnership)
    return {
        "partnership": partnership.slug,
        "dimensions": [dimension_body(d) for d in dimensions],
        "results": [result_body(r, depth) for r, depth in tree_order(results)],
        "indicators": _indicator_bodies(_indicators(partnership)),
    }


@router.post(
    "/{slug}/results/results",
    response={201: ResultOut},
    summary="Add a result",
    description="An impact, outcome or output; an outcome sits under an impact, an output "
    "under an outcome. Coordinators only.",
)
def create_result(request: HttpRequest, slug: str, payload: ResultIn) -> Status:
    partnership = _partnership(request, slug)
    _require(policy.can_manage_results(request.auth, partnership))
    fields = payload.dict()
    _resolve_result_fields(partnership, fields)
    result = services.create_result(actor=request.auth, partnership=partnership, **fields)
    return Status(201, result_body(result, depth_of(result)))


@router.patch(
    "/{slug}/results/results/{pk}",
    response=ResultOut,
    summary="Change a result",
    description="Send only the fields that change; `parent`, `goal` and `work_package` "
    "are cleared with null. Coordinators only.",
)
def update_result(request: HttpRequest, slug: str, pk: PathId, payload: ResultPatch) -> dict:
    partnership = _partnership(request, slug)
    _require(policy.can_manage_results(request.auth, partnership))
    result = _result(partnership, pk)
    changes = payload.dict(exclude_unset=True)
    for name in ("type", "title", "description", "sdg_targets"):
        if name in changes and changes[name] is None:
            del changes[name]
    _resolve_result_fields(partnership, changes)
    result = services.update_result(actor=request.auth, result=result, **changes)
    return result_body(result, depth_of(result))


@router.delete(
    "/{slug}/results/results/{pk}",
    response={204: None},
    summary="Delete a result",
    description="Only a result with nothing under it (409 otherwise). Coordinators only.",
)
def delete_result(request: HttpRequest, slug: str, pk: PathId) -> Status:
    partnership = _partnership(request, slug)
    _require(policy.can_manage_results(request.auth, partnership))
    services.delete_result(actor=request.auth, result=_result(partnership, pk))
    return Status(204, None)


# ---------------------------------------------------------------- dimensions


@router.post(
    "/{slug}/results/dimensions",
    response={201: DimensionOut},
    summary="Add a disaggregation dimension",
    description="Sex, age group, province or district (ISO 3166-2 codes) or a custom one; "
    "without categories, the usual ones of the kind. Coordinators only.",
)
def create_dimension(request: HttpRequest, slug: str, payload: DimensionIn) -> Status:
    partnership = _partnership(request, slug)
    _require(policy.can_manage_results(request.auth, partnership))
    fields = payload.dict()
    _check_categories(fields["categories"])
    dimension = services.create_dimension(actor=request.auth, partnership=partnership, **fields)
    return Status(201, dimension_body(dimension))


@router.patch(
    "/{slug}/results/dimensions/{code}",
    response=DimensionOut,
    summary="Change a disaggregation dimension",
    description="Its name, whether it is exhaustive, its categories (a category with "
    "values or targets cannot be removed: 409). Coordinators only.",
)
def update_dimension(request: HttpRequest, slug: str, code: str, payload: DimensionPatch) -> dict:
    partnership = _partnership(request, slug)
    _require(policy.can_manage_results(request.auth, partnership))
    dimension = _dimension(partnership, code)
    changes = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    _check_categories(changes.get("categories"))
    dimension = services.update_dimension(actor=request.auth, dimension=dimension, **changes)
    return dimension_body(dimension)


def _check_categories(categories: list[Any] | None) -> None:
    """Each category is a code, or an object whose code (and label, if any) is text: a
    list or an object in their place is refused instead of being stored as its repr."""
    for item in categories or []:
        if isinstance(item, str):
            continue
        if (
            isinstance(item, dict)
            and isinstance(item.get("code"), str)
            and isinstance(item.get("label", ""), str | None)
        ):
            continue
        raise ValidationError({"categories": [_("Each category needs a code and a label.")]})


@router.delete(
    "/{slug}/results/dimensions/{code}",
    response={204: None},
    summary="Delete a disaggregation dimension",
    description="Only one no indicator is broken down by (409 otherwise). Coordinators only.",
)
def delete_dimension(request: HttpRequest, slug: str, code: str) -> Status:
    partnership = _partnership(request, slug)
    _require(policy.can_manage_results(request.auth, partnership))
    services.delete_dimension(actor=request.auth, dimension=_dimension(partnership, code))
    return Status(204, None)


# ---------------------------------------------------------------- indicators


@router.get(
    "/{slug}/results/indicators",
    response=list[IndicatorOut],
    summary="List the indicators",
    description="Each with its dimensions, targets per period and progress.",
)
def list_indicators(request: HttpRequest, slug: str) -> list[dict[str, Any]]:
    return _indicator_bodies(_indicators(_partnership(request, slug)))


@router.post(
    "/{slug}/results/indicators",
    response={201: IndicatorOut},
    summary="Add an indicator",
    description="Under a result, with its measure, direction, baseline, frequency, "
    "responsible partner, SDG indicator and dimensions (codes). Coordinators only.",
)
def create_indicator(request: HttpRequest, slug: str, payload: IndicatorIn) -> Status:
    partnership = _partnership(request, slug)
    _require(policy.can_manage_results(request.auth, partnership))
    fields = payload.dict()
    _resolve_indicator_fields(partnership, fields)
    indicator = services.create_indicator(actor=request.auth, partnership=partnership, **fields)
    return Status(201, _indicator_detail(partnership, indicator.pk))


@router.get(
    "/{slug}/results/indicators/{code}",
    response=IndicatorOut,
    summary="Read an indicator",
)
def read_indicator(request: HttpRequest, slug: str, code: str) -> dict[str, Any]:
    partnership = _partnership(request, slug)
    return _indicator_detail(partnership, _indicator(partnership, code).pk)


@router.patch(
    "/{slug}/results/indicators/{code}",
    response=IndicatorOut,
    summary="Change an indicator",
    description="Send only the fields that change; the measure and frequency are fixed "
    "once values were reported. Coordinators only.",
)
def update_indicator(request: HttpRequest, slug: str, code: str, payload: IndicatorPatch) -> dict:
    partnership = _partnership(request, slug)
    _require(policy.can_manage_results(request.auth, partnership))
    indicator = _indicator(partnership, code)
    changes = payload.dict(exclude_unset=True)
    for name in list(changes):
        if changes[name] is None and name not in ("baseline_value", "baseline_date"):
            del changes[name]
    _resolve_indicator_fields(partnership, changes)
    dimensions = changes.pop("dimensions", None)
    services.update_indicator(
        actor=request.auth, indicator=indicator, dimensions=dimensions, **changes
    )
    return _indicator_detail(partnership, indicator.pk)


@router.delete(
    "/{slug}/results/indicators/{code}",
    response={204: None},
    summary="Delete an indicator",
    description="Only one without reported values (409 otherwise). Coordinators only.",
)
def delete_indicator(request: HttpRequest, slug: str, code: str) -> Status:
    partnership = _partnership(request, slug)
    _require(policy.can_manage_results(request.auth, partnership))
    services.delete_indicator(actor=request.auth, indicator=_indicator(partnership, code))
    return Status(204, None)


@router.put(
    "/{slug}/results/indicators/{code}/targets",
    response=IndicatorOut,
    summary="Set an indicator's targets",
    description='`targets` maps a period label ("2026-Q2") to the total target (null '
    "removes it); `by_category` maps a period label to {category key: target}. Periods not "
    "named keep their targets. Coordinators only.",
)
def set_targets(request: HttpRequest, slug: str, code: str, payload: TargetsIn) -> dict:
    partnership = _partnership(request, slug)
    _require(policy.can_manage_results(request.auth, partnership))
    indicator = _indicator(partnership, code)
    try:
        services.set_targets(
            actor=request.auth,
            indicator=indicator,
            targets=payload.targets,
            by_category=payload.by_category,
        )
    except ValidationError as error:
        raise _by_category_errors(error, payload.targets, payload.by_category) from None
    return _indicator_detail(partnership, indicator.pk)


def _by_category_errors(
    error: ValidationError, targets: dict[str, Any], by_category: dict[str, dict[str, Any]]
) -> ValidationError:
    """The service names every target `targets.<period>[.<category>]` (the targets page's
    fields); here a category's target, or a period given only by category, is named as
    sent: `by_category.<period>.<category>`."""
    if not hasattr(error, "error_dict"):
        return error
    pairs = {f"{label}.{key}" for label, values in by_category.items() for key in values}
    renamed: dict[str, list[str]] = {}
    for name, messages in error.message_dict.items():
        head, _dot, rest = name.partition(".")
        if head == "targets" and (rest in pairs or (rest in by_category and rest not in targets)):
            name = f"by_category.{rest}"
        renamed.setdefault(name, []).extend(messages)
    return ValidationError(renamed)


# ---------------------------------------------------------------- values


def _reportable_period(partnership: Partnership, indicator: Indicator, label: str) -> Period:
    """The period named `label`, stored when missing — but only once it has started, so
    that a bad label never leaves a period behind (a field error on `period`)."""
    bounds = services.parse_period_label(indicator.frequency, label)
    if bounds is not None:
        start = bounds[0]
        stored = Period.objects.filter(
            partnership=partnership, frequency=indicator.frequency, start=start
        ).first()
        if stored is not None:
            return stored
        if start > timezone.localdate():
            raise ValidationError(
                {"period": [_("The period %(period)s has not started yet.") % {"period": label}]}
            )
    return services.find_period(partnership, indicator.frequency, label)


@router.get(
    "/{slug}/results/values",
    response=list[ValueOut],
    summary="List reported values",
    description="Observers and the public see approved values in force only; coordinators, "
    "staff and the reporting partner's people also see drafts, submitted and returned "
    "values. Filters: `indicator` (code), `period` (label), `organisation` (id), `status`.",
)
@paginate(Pagination)
def list_values(request: HttpRequest, slug: str, filters: Query[ValueFilterIn]) -> object:
    partnership = _partnership(request, slug)
    rows = export.visible_submissions(request.auth, partnership)
    rows = export.apply_filters(
        rows,
        partnership,
        indicator=filters.indicator,
        period=filters.period,
        status=filters.status,
        organisation=filters.organisation,
    )
    return _ValueRows(rows, request, partnership)


@router.post(
    "/{slug}/results/values",
    response={201: ValueOut},
    summary="Enter a value",
    description="Saves the value for (indicator, period) as a draft — a new revision when "
    "the latest one is approved — and submits it for review when `submit` is true. The "
    "responsible partner's people and the coordinators.",
)
def save_value(request: HttpRequest, slug: str, payload: ValueIn) -> Status:
    partnership = _partnership(request, slug)
    reporting = policy.reporting_organisations(request.auth, partnership)
    _require(reporting is None or bool(reporting))
    indicator = Indicator.objects.filter(partnership=partnership, code=payload.indicator).first()
    if indicator is None:
        raise ValidationError({"indicator": [_("Choose an indicator of this partnership.")]})
    indicator.partnership = partnership
    _require(policy.can_submit_results(request.auth, partnership, indicator.responsible_id))
    sites = [site.dict() for site in payload.sites] if payload.sites is not None else None
    # One transaction: a period stored for this value goes again when the value is refused.
    with transaction.atomic():
        # The ledger's lock before a new period's row, in the order set_targets takes them.
        hold()
        period = _reportable_period(partnership, indicator, payload.period)
        submission = services.save_draft(
            actor=request.auth,
            indicator=indicator,
            period=period,
            value=payload.value,
            text=payload.text,
            narrative=payload.narrative,
            values=payload.values,
            sites=sites,
        )
        if payload.submit:
            submission = services.submit(actor=request.auth, submission=submission)
    return Status(
        201, _value(request, partnership, _submission(request, partnership, submission.pk))
    )


@router.get(
    "/{slug}/results/values/{pk}",
    response=ValueOut,
    summary="Read a reported value",
)
def read_value(request: HttpRequest, slug: str, pk: PathId) -> dict[str, Any]:
    partnership = _partnership(request, slug)
    return _value(request, partnership, _submission(request, partnership, pk))


@router.get(
    "/{slug}/results/evidence/{pk}",
    summary="Download an evidence file",
    description="The file backing a reported value (its `id` in the value's `evidence`), "
    "as an attachment, with its SHA-256 — the hash on the ledger — in a `Repr-Digest` "
    "header (RFC 9530). For the partnership's own people and staff (403 for other "
    "readers); 404 when the value is not the caller's to see.",
)
def download_evidence(request: HttpRequest, slug: str, pk: PathId) -> HttpResponse:
    partnership = _partnership(request, slug)
    try:
        found = queries.evidence_file(request.auth, partnership, pk)
    except Evidence.DoesNotExist:
        raise Http404 from None
    return evidence_download(found.file, found.name, found.sha256)


@router.post(
    "/{slug}/results/values/{pk}/submit",
    response=ValueOut,
    summary="Submit a value for review",
    description="A draft or returned value; another status is a 409.",
)
def submit_value(request: HttpRequest, slug: str, pk: PathId) -> dict[str, Any]:
    partnership = _partnership(request, slug)
    submission = _submission(request, partnership, pk)
    services.submit(actor=request.auth, submission=submission)
    return _value(request, partnership, _submission(request, partnership, pk))


@router.post(
    "/{slug}/results/values/{pk}/approve",
    response=ValueOut,
    summary="Approve a submitted value",
    description="Coordinators, never the value's author. The value goes on the ledger, "
    "replaces the revision in force, and every progress figure it changes is rewritten, in "
    "one transaction. A value that is not submitted is a 409.",
)
def approve_value(request: HttpRequest, slug: str, pk: PathId, payload: ValueDecisionIn) -> dict:
    partnership = _partnership(request, slug)
    submission = _submission(request, partnership, pk)
    _require(policy.can_approve_results(request.auth, partnership))
    services.approve(actor=request.auth, submission=submission, comment=payload.comment)
    return _value(request, partnership, _submission(request, partnership, pk))


@router.post(
    "/{slug}/results/values/{pk}/return",
    response=ValueOut,
    summary="Return a submitted value to its partner",
    description="With a comment saying what to fix. Coordinators, never the value's author.",
)
def return_value(request: HttpRequest, slug: str, pk: PathId, payload: ReturnIn) -> dict:
    partnership = _partnership(request, slug)
    submission = _submission(request, partnership, pk)
    _require(policy.can_approve_results(request.auth, partnership))
    services.return_submission(actor=request.auth, submission=submission, comment=payload.comment)
    return _value(request, partnership, _submission(request, partnership, pk))


# ---------------------------------------------------------------- progress


class ResultsSummaryOut(Schema):
    indicators: int
    on_track: int
    at_risk: int
    off_track: int
    no_data: int
    not_scored: int
    scored: int
    mean: str | None = Field(
        description="Mean percent of target to date of the scored indicators, each capped to 0-100"
    )
    progress: str = Field(description="The mean judged by the progress rule")
    progress_name: str


class ResultProgressOut(Schema):
    id: int
    parent: int | None
    depth: int
    type: str
    type_name: str
    title: str
    summary: ResultsSummaryOut = Field(
        description="Its own indicators and every indicator below it"
    )


class ExpectedPeriodOut(Schema):
    label: str
    start: date
    end: date
    due: date


class IndicatorProgressOut(Schema):
    code: str
    title: str
    result: int
    unit: str
    measure: str
    responsible: ResultsOrganisationRef
    sdg_indicator: str
    actual: str | None
    target: str | None
    final_target: str | None
    percent: str | None
    percent_to_date: str | None
    bar: str = Field(description="Percent of target to date capped to 0-100")
    progress: str
    progress_name: str
    trend: str
    trend_name: str
    expected_period: ExpectedPeriodOut = Field(description="The period whose values are due")
    reporting: str = Field(description="on_time, late, due, overdue or open")
    reporting_name: str
    light: str = Field(description="green, yellow or red")


class SdgProgressOut(Schema):
    code: str = Field(description="The SDG target (or goal) code")
    goal: str
    title: str
    partnerships: int
    indicators: int
    on_track: int
    at_risk: int
    off_track: int
    no_data: int
    not_scored: int = Field(description="Qualitative indicators (counted, never scored)")
    scored: int
    mean: str | None = Field(description="Mean capped percent of target to date")
    progress: str
    progress_name: str
    indicator_codes: list[str]


class PartnerReportingOut(Schema):
    organisation: ResultsOrganisationRef
    indicators: int
    on_time: int
    late: int = Field(description="Submitted after the due date")
    due: int = Field(description="Period ended, not yet due, nothing submitted")
    missing: int = Field(description="Overdue: due date passed, nothing submitted")
    open: int
    light: str = Field(description="green, yellow or red")
    light_name: str


class ProgressOut(Schema):
    partnership: str
    today: date
    light: str = Field(description="The partnership's reporting light (its worst partner's)")
    light_name: str
    late: int
    missing: int
    totals: ResultsSummaryOut
    results: list[ResultProgressOut] = Field(description="In tree order")
    indicators: list[IndicatorProgressOut]
    sdg: list[SdgProgressOut]
    partners: list[PartnerReportingOut]


def summary_body(summary: Any) -> dict[str, Any]:
    return {
        "indicators": summary.indicators,
        "on_track": summary.on_track,
        "at_risk": summary.at_risk,
        "off_track": summary.off_track,
        "no_data": summary.no_data,
        "not_scored": summary.not_scored,
        "scored": summary.scored,
        "mean": _number(summary.mean),
        "progress": summary.progress,
        "progress_name": str(Progress(summary.progress).label),
    }


def sdg_body(row: Any) -> dict[str, Any]:
    """A `queries.SdgRow` as the API shows it."""
    return {
        "code": row.code,
        "goal": row.goal,
        "title": row.title,
        "partnerships": row.partnerships,
        "indicators": row.indicators,
        "on_track": row.on_track,
        "at_risk": row.at_risk,
        "off_track": row.off_track,
        "no_data": row.no_data,
        "not_scored": row.not_scored,
        "scored": row.scored,
        "mean": _number(row.mean),
        "progress": row.progress,
        "progress_name": row.progress_label,
        "indicator_codes": list(row.indicator_codes),
    }


def _indicator_progress(row: Any) -> dict[str, Any]:
    indicator, status = row.indicator, row.status
    return {
        "code": indicator.code,
        "title": indicator.title,
        "result": indicator.result_id,
        "unit": indicator.unit,
        "measure": indicator.measure,
        "responsible": _org(indicator.responsible),
        "sdg_indicator": indicator.sdg_indicator,
        "actual": _number(status.actual),
        "target": _number(status.target),
        "final_target": _number(status.final_target),
        "percent": _number(status.percent),
        "percent_to_date": _number(status.percent_to_date),
        "bar": _number(row.bar),
        "progress": status.progress,
        "progress_name": str(status.get_progress_display()),
        "trend": status.trend,
        "trend_name": str(status.get_trend_display()),
        "expected_period": {
            "label": row.expected.label,
            "start": row.expected.start,
            "end": row.expected.end,
            "due": row.expected.due,
        },
        "reporting": row.state,
        "reporting_name": row.state_label,
        "light": row.light,
    }


@router.get(
    "/{slug}/results/progress",
    response=ProgressOut,
    summary="Read the progress dashboard's figures",
    description="From approved values only, fresh as soon as an approval commits: each "
    "indicator's progress and reporting state, the framework's results with the summary "
    "of everything below them, the SDG targets the partnership contributes to, and each "
    "responsible partner's reporting traffic light.",
)
def read_progress(request: HttpRequest, slug: str) -> dict[str, Any]:
    partnership = _partnership(request, slug)
    board = queries.dashboard(partnership, request.auth)
    results = []
    for top in board.tree:
        for node in top.walk():
            body = result_body(node.result, node.depth)
            results.append(
                {
                    **{k: body[k] for k in ("id", "parent", "depth", "type", "type_name")},
                    "title": body["title"],
                    "summary": summary_body(node.summary),
                }
            )
    return {
        "partnership": partnership.slug,
        "today": board.today,
        "light": board.light,
        "light_name": board.light_label,
        "late": board.late,
        "missing": board.missing,
        "totals": summary_body(board.totals),
        "results": results,
        "indicators": [_indicator_progress(row) for row in board.indicators],
        "sdg": [sdg_body(row) for row in board.sdg],
        "partners": [
            {
                "organisation": _org(p.organisation),
                "indicators": p.indicators,
                "on_time": p.on_time,
                "late": p.late,
                "due": p.due,
                "missing": p.missing,
                "open": p.open,
                "light": p.light,
                "light_name": p.light_label,
            }
            for p in board.partners
        ],
    }
