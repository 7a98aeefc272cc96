"""API for a partnership's SMART goals and SDG alignment: /api/v1/partnerships/{slug}/goals."""

from __future__ import annotations

from datetime import date, datetime
from decimal import InvalidOperation
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from sinergi.access import policy
from sinergi.access.policy import Action
from sinergi.core.bodies import InputSchema
from sinergi.core.numbers import plain_decimal
from sinergi.core.pagination import Pagination
from sinergi.core.schemas import Id, PathId, decimal_string
from sinergi.partners.models import Organisation
from sinergi.partnerships.goals import queries, services
from sinergi.partnerships.goals.services import MAX_SDG_TARGETS
from sinergi.partnerships.models import Goal, Partnership
from sinergi.partnerships.sdg.api import SdgItemOut, item_out

router = Router(tags=["goals"])


def _plain_number(text: str) -> str:
    """A decimal string written as the API takes numbers: not "1e3", "+5" or "1_000" (the
    model's range and decimal places are checked with the goal)."""
    try:
        plain_decimal(text)
    except (InvalidOperation, ValueError):
        raise PydanticCustomError("number", str(_("Enter a number, e.g. 12.5."))) from None
    return text


# A baseline or target value: a decimal string or a whole number, never a JSON float.
Figure = Annotated[
    decimal_string(
        "number",
        "85.5",
        gettext_lazy('Enter the number as a decimal string, e.g. "12.5".'),
        gettext_lazy("The number is too large."),
    ),
    AfterValidator(_plain_number),
]


class OwnerRef(Schema):
    id: int
    slug: str
    name: str
    acronym: str


class GoalOut(Schema):
    id: int
    title: str = Field(description="What the partnership wants to achieve")
    measure: str = Field(description="How it is measured (the indicator)")
    baseline_value: str | None = Field(description="Decimal as a string")
    target_value: str | None = Field(description="Decimal as a string")
    unit: str
    target_date: date | None
    owner: OwnerRef | None = Field(description="The partner organisation that answers for it")
    sdg_targets: list[str] = Field(description="SDG target codes, e.g. 3.b")
    sdg_goals: list[str]
    is_measurable: bool = Field(description="Has a measure, a target value and a target date")
    position: int
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_baseline_value(obj: Goal) -> str | None:
        return services.decimal_text(obj.baseline_value)

    @staticmethod
    def resolve_target_value(obj: Goal) -> str | None:
        return services.decimal_text(obj.target_value)


class GoalIn(InputSchema):
    title: str = Field(min_length=1, max_length=300)
    measure: str = Field("", max_length=300)
    baseline_value: Figure | None = None
    target_value: Figure | None = None
    unit: str = Field("", max_length=40)
    target_date: date | None = None
    owner: str | None = Field(None, description="Short name (slug) of a partner organisation")
    sdg_targets: list[str] = Field(default_factory=list, max_length=MAX_SDG_TARGETS)


class GoalPatch(InputSchema):
    title: str | None = Field(None, min_length=1, max_length=300)
    measure: str | None = Field(None, max_length=300)
    baseline_value: Figure | None = None
    target_value: Figure | None = None
    unit: str | None = Field(None, max_length=40)
    target_date: date | None = None
    owner: str | None = None
    sdg_targets: list[str] | None = Field(None, max_length=MAX_SDG_TARGETS)


class GoalOrder(InputSchema):
    order: list[Id] = Field(description="Every goal id of the partnership, in the new order")


class SdgAlignmentOut(Schema):
    goal: SdgItemOut
    targets: list[SdgItemOut]
    goals: list[int] = Field(description="Ids of the partnership's goals linked to this SDG")


def _partnership(request: HttpRequest, slug: str, action: Action = Action.VIEW) -> Partnership:
    return policy.get_partnership_for(request.auth, slug, action)


def _goal(partnership: Partnership, pk: int) -> Goal:
    goal = get_object_or_404(Goal.objects.select_related("owner"), pk=pk, partnership=partnership)
    goal.partnership = partnership
    return goal


def _fields(changes: dict[str, Any]) -> dict[str, Any]:
    """API input → service fields: the owner's slug becomes the organisation."""
    if "owner" in changes:
        slug = changes["owner"]
        owner = None
        if slug:
            owner = Organisation.objects.filter(slug=slug).first()
            if owner is None:
                raise ValidationError({"owner": [_("No organisation has this short name.")]})
        changes["owner"] = owner
    for name in ("baseline_value", "target_value"):
        if isinstance(changes.get(name), str):
            changes[name] = plain_decimal(changes[name])  # checked by `Figure`
    for name in ("measure", "unit"):
        if name in changes and changes[name] is None:
            changes[name] = ""
    if "sdg_targets" in changes and changes["sdg_targets"] is None:
        changes["sdg_targets"] = []
    if "title" in changes and changes["title"] is None:
        del changes["title"]
    return changes


@router.get("/{slug}/goals", response=list[GoalOut], summary="List a partnership's goals")
@paginate(Pagination)
def list_goals(request: HttpRequest, slug: str) -> object:
    return queries.goals_of(_partnership(request, slug))


@router.post("/{slug}/goals", response={201: GoalOut}, summary="Add a goal")
def create_goal(request: HttpRequest, slug: str, payload: GoalIn) -> Status:
    partnership = _partnership(request, slug, Action.EDIT)
    goal = services.create_goal(
        actor=request.auth, partnership=partnership, **_fields(payload.dict())
    )
    return Status(201, goal)


@router.post("/{slug}/goals/order", response=list[GoalOut], summary="Reorder the goals")
def reorder_goals(request: HttpRequest, slug: str, payload: GoalOrder) -> list[Goal]:
    partnership = _partnership(request, slug, Action.EDIT)
    services.reorder_goals(actor=request.auth, partnership=partnership, order=payload.order)
    return list(queries.goals_of(partnership))


@router.get("/{slug}/goals/{pk}", response=GoalOut, summary="Read a goal")
def read_goal(request: HttpRequest, slug: str, pk: PathId) -> Goal:
    return _goal(_partnership(request, slug), pk)


@router.patch("/{slug}/goals/{pk}", response=GoalOut, summary="Change a goal")
def patch_goal(request: HttpRequest, slug: str, pk: PathId, payload: GoalPatch) -> Goal:
    goal = _goal(_partnership(request, slug, Action.EDIT), pk)
    return services.update_goal(
        actor=request.auth, goal=goal, **_fields(payload.dict(exclude_unset=True))
    )


@router.delete("/{slug}/goals/{pk}", response={204: None}, summary="Delete a goal")
def delete_goal(request: HttpRequest, slug: str, pk: PathId) -> Status:
    goal = _goal(_partnership(request, slug, Action.EDIT), pk)
    services.delete_goal(actor=request.auth, goal=goal)
    return Status(204, None)


@router.get(
    "/{slug}/sdg-alignment",
    response=list[SdgAlignmentOut],
    summary="The SDG goals and targets a partnership's goals link to",
)
def sdg_alignment(request: HttpRequest, slug: str) -> list[dict]:
    return [
        {
            "goal": item_out(entry.goal),
            "targets": [item_out(target) for target in entry.targets],
            "goals": entry.goal_ids,
        }
        for entry in queries.sdg_alignment(_partnership(request, slug))
    ]
