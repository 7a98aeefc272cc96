"""API for the lifecycle: /api/v1/partnerships/{slug}/lifecycle."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from sinergi.access import policy
from sinergi.access.policy import Action
from sinergi.core.bodies import InputSchema
from sinergi.partnerships.lifecycle import queries, services
from sinergi.partnerships.lifecycle.checklist import Item
from sinergi.partnerships.lifecycle.queries import StageOverview

router = Router(tags=["lifecycle"])


class ItemOut(Schema):
    id: str
    label: str
    done: bool
    blocking: bool = Field(description="False for advisory items, which do not stop a move")
    detail: str
    link: str | None = Field(description="The page where the item is fixed, if there is one")


class StageOut(Schema):
    stage: str
    name: str
    position: int
    current: bool
    passed: bool
    ready: bool = Field(description="Every required item of this stage's checklist is done")
    items: list[ItemOut]


class LifecycleOut(Schema):
    stage: str
    stage_name: str
    next_stage: str | None
    can_advance: bool
    stages: list[StageOut]


class StageIn(InputSchema):
    stage: str = Field(description="An earlier stage: scoping, building, implementing, reviewing")
    reason: str = Field("", max_length=services.REASON_MAX_LENGTH)


def _item(item: Item) -> dict:
    return {
        "id": item.id,
        "label": item.label,
        "done": item.done,
        "blocking": item.blocking,
        "detail": item.detail,
        "link": item.link,
    }


def _out(overview: StageOverview) -> dict:
    nxt = overview.next_stage
    return {
        "stage": overview.stage,
        "stage_name": overview.current.label,
        "next_stage": nxt.value if nxt else None,
        "can_advance": overview.can_advance,
        "stages": [
            {
                "stage": s.value,
                "name": s.label,
                "position": s.position,
                "current": s.current,
                "passed": s.passed,
                "ready": s.ready,
                "items": [_item(item) for item in s.items],
            }
            for s in overview.stages
        ],
    }


@router.get(
    "/{slug}/lifecycle", response=LifecycleOut, summary="The lifecycle stage and its checklists"
)
def read_lifecycle(request: HttpRequest, slug: str) -> dict:
    partnership = policy.get_partnership_for(request.auth, slug)
    return _out(queries.stage_overview(partnership))


@router.post(
    "/{slug}/lifecycle/advance",
    response=LifecycleOut,
    summary="Move to the next stage (only when the checklist is met)",
    description=(
        "422 when required items are missing: `error.fields.stage` lists them as "
        "sentences and `error.missing` as items (id, label, detail, link)."
    ),
)
def advance(request: HttpRequest, slug: str) -> dict | HttpResponse:
    from sinergi.api import error_response  # the API module imports this router

    partnership = policy.get_partnership_for(request.auth, slug, Action.EDIT)
    try:
        services.advance_stage(actor=request.auth, partnership=partnership)
    except services.StageBlocked as exc:
        return error_response(
            request,
            422,
            "invalid",
            _("Some fields are not valid."),
            exc.message_dict,
            missing=[_item(item) for item in exc.missing],
        )
    return _out(queries.stage_overview(partnership))


@router.post(
    "/{slug}/lifecycle/stage",
    response=LifecycleOut,
    summary="Go back to an earlier stage, with a reason",
)
def go_back(request: HttpRequest, slug: str, payload: StageIn) -> dict:
    partnership = policy.get_partnership_for(request.auth, slug, Action.EDIT)
    services.set_stage(
        actor=request.auth, partnership=partnership, stage=payload.stage, reason=payload.reason
    )
    return _out(queries.stage_overview(partnership))
