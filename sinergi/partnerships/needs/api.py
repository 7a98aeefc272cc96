"""API for the capabilities a partnership needs: /api/v1/partnerships/{slug}/needs."""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status

from sinergi.access import policy
from sinergi.access.policy import Action
from sinergi.core.bodies import InputSchema
from sinergi.core.geography import region_labels
from sinergi.core.schemas import PathId
from sinergi.partners.matching.queries import NeedStatus, need_statuses
from sinergi.partners.models import sector_label
from sinergi.partnerships.models import CapabilityNeed, Partnership
from sinergi.partnerships.needs import services

router = Router(tags=["needs"])


class PartnerRef(Schema):
    slug: str
    name: str


class NeedOut(Schema):
    id: int
    kind: str = Field(
        description="finance, technical, network, local_knowledge, in_kind, policy, "
        "data_tech or community"
    )
    kind_name: str
    sector_vocabulary: str = Field(
        description='IATI SectorVocabulary: "2" OECD DAC (3 digit), "7" SDG goal; "" any sector'
    )
    sector_code: str
    sector_name: str
    regions: list[str] = Field(description="ISO 3166 countries or subdivisions; empty: anywhere")
    region_names: list[str]
    weight: int = Field(description="1 (useful) to 5 (critical)")
    note: str
    description: str
    covered_by: list[PartnerRef] = Field(
        description="Current partners with a capability that covers the need"
    )


class NeedIn(InputSchema):
    kind: str
    sector_vocabulary: str = ""
    sector_code: str = ""
    regions: list[str] = Field(default_factory=list, max_length=100)
    weight: int = 3
    note: str = Field("", max_length=300)


class NeedPatch(InputSchema):
    kind: str | None = None
    sector_vocabulary: str | None = None
    sector_code: str | None = None
    regions: list[str] | None = Field(None, max_length=100)
    weight: int | None = None
    note: str | None = Field(None, max_length=300)


def need_out(status: NeedStatus) -> dict:
    need = status.need
    return {
        "id": need.pk,
        "kind": need.kind,
        "kind_name": str(need.get_kind_display()),
        "sector_vocabulary": need.sector_vocabulary,
        "sector_code": need.sector_code,
        "sector_name": sector_label(need.sector_vocabulary, need.sector_code),
        "regions": list(need.regions),
        "region_names": region_labels(list(need.regions)),
        "weight": need.weight,
        "note": need.note,
        "description": status.spec.describe(),
        "covered_by": [{"slug": o.slug, "name": o.name} for o in status.partners],
    }


def _status_of(partnership: Partnership, need: CapabilityNeed) -> dict:
    for status in need_statuses(partnership):
        if status.need.pk == need.pk:
            return need_out(status)
    raise AssertionError("the need was just saved")


def _partnership(request: HttpRequest, slug: str, action: Action = Action.VIEW) -> Partnership:
    return policy.get_partnership_for(request.auth, slug, action)


@router.get(
    "/{slug}/needs", response=list[NeedOut], summary="List the capabilities a partnership needs"
)
def list_needs(request: HttpRequest, slug: str) -> list[dict]:
    return [need_out(status) for status in need_statuses(_partnership(request, slug))]


@router.post("/{slug}/needs", response={201: NeedOut}, summary="Add a capability need")
def add_need(request: HttpRequest, slug: str, payload: NeedIn) -> Status:
    partnership = _partnership(request, slug, Action.EDIT)
    need = services.add_need(actor=request.auth, partnership=partnership, **payload.dict())
    return Status(201, _status_of(partnership, need))


@router.patch("/{slug}/needs/{pk}", response=NeedOut, summary="Change a capability need")
def patch_need(request: HttpRequest, slug: str, pk: PathId, payload: NeedPatch) -> dict:
    partnership = _partnership(request, slug, Action.EDIT)
    need = get_object_or_404(CapabilityNeed, pk=pk, partnership=partnership)
    need.partnership = partnership
    changes = {
        name: value for name, value in payload.dict(exclude_unset=True).items() if value is not None
    }
    services.update_need(actor=request.auth, need=need, **changes)
    return _status_of(partnership, need)


@router.delete("/{slug}/needs/{pk}", response={204: None}, summary="Remove a capability need")
def delete_need(request: HttpRequest, slug: str, pk: PathId) -> Status:
    partnership = _partnership(request, slug, Action.EDIT)
    need = get_object_or_404(CapabilityNeed, pk=pk, partnership=partnership)
    need.partnership = partnership
    services.delete_need(actor=request.auth, need=need)
    return Status(204, None)
