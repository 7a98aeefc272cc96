"""API for the SDG framework: /api/v1/sdg (goals, targets, indicators, search, one code)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from sinergi.partnerships import sdg
from sinergi.partnerships.sdg import SdgItem

router = Router(tags=["sdg"])


class SdgItemOut(Schema):
    code: str = Field(description="Official code: 3 (goal), 3.b (target), 3.b.1 (indicator)")
    kind: str = Field(description="goal, target or indicator")
    title: str = Field(description="In the request's language (English when no translation)")
    title_en: str
    title_id: str | None = Field(description="Indonesian title (goals only)")
    short_title: str | None = Field(description="A goal's short name, e.g. Quality education")
    goal: str = Field(description="The goal's code (the item's own for a goal)")
    target: str | None = Field(description="An indicator's target code")
    colour: str = Field(description="The goal's official UN colour, hex")


class SearchQuery(Schema):
    q: str = Field(min_length=1, max_length=100, description="A code (3.b) or words")
    limit: int = Field(20, ge=1, le=100)


def item_out(item: SdgItem) -> dict:
    """The API shape of one goal, target or indicator."""
    return {
        "code": item.code,
        "kind": item.kind,
        "title": item.title,
        "title_en": item.title_en,
        "title_id": item.title_id or None,
        "short_title": item.short_title if item.kind == "goal" else None,
        "goal": item.goal,
        "target": item.parent if item.kind == "indicator" else None,
        "colour": item.colour,
    }


def _require(code: str, kind: str, field: str) -> SdgItem:
    item = sdg.get(code)
    if item is None or item.kind != kind:
        messages = {
            "goal": _("“%(code)s” is not an SDG goal (1 to 17)."),
            "target": _("“%(code)s” is not an SDG target code, e.g. 3.b."),
        }
        raise ValidationError({field: [messages[kind] % {"code": code}]})
    return item


@router.get("/goals", response=list[SdgItemOut], summary="The 17 SDG goals")
def list_goals(request: HttpRequest) -> list[dict]:
    return [item_out(item) for item in sdg.goals()]


@router.get("/targets", response=list[SdgItemOut], summary="SDG targets, all or of one goal")
def list_targets(request: HttpRequest, goal: str | None = None) -> list[dict]:
    if goal is not None:
        _require(goal, "goal", "goal")
    return [item_out(item) for item in sdg.targets(goal)]


@router.get(
    "/indicators", response=list[SdgItemOut], summary="SDG indicators, all or of a target or goal"
)
def list_indicators(
    request: HttpRequest, target: str | None = None, goal: str | None = None
) -> list[dict]:
    if target is not None:
        _require(target, "target", "target")
    if goal is not None:
        _require(goal, "goal", "goal")
    return [item_out(item) for item in sdg.indicators(target, goal=goal)]


@router.get("/search", response=list[SdgItemOut], summary="Search goals, targets and indicators")
def search(request: HttpRequest, params: Query[SearchQuery]) -> list[dict]:
    return [item_out(item) for item in sdg.search(params.q, limit=params.limit)]


@router.get("/{code}", response=SdgItemOut, summary="One goal, target or indicator by code")
def read_item(request: HttpRequest, code: str) -> dict:
    item = sdg.get(code)
    if item is None:
        raise Http404("No such SDG code.")
    return item_out(item)
