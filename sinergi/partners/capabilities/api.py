"""API for organisations' comparative advantages: /api/v1/organisations/{slug}/capabilities."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from sinergi.core.bodies import InputSchema
from sinergi.core.pagination import Pagination
from sinergi.core.schemas import PathId
from sinergi.partners.capabilities import queries, services
from sinergi.partners.models import Capability, Organisation

router = Router(tags=["capabilities"])

KIND_HELP = "finance, technical, network, local_knowledge, in_kind, policy, data_tech or community"


class CapabilityOut(Schema):
    id: int
    organisation: str = Field(description="The organisation's slug")
    kind: str = Field(description=KIND_HELP)
    kind_name: str
    sector_vocabulary: str = Field(
        description='IATI SectorVocabulary: "2" OECD DAC 3-digit, "7" SDG goal, "" any sector'
    )
    sector_code: str
    sector_name: str
    regions: list[str] = Field(description="ISO 3166 country or subdivision codes; [] anywhere")
    region_names: list[str]
    description: str
    evidence: str
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_organisation(obj: Capability) -> str:
        return obj.organisation.slug

    @staticmethod
    def resolve_kind_name(obj: Capability) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_sector_name(obj: Capability) -> str:
        return obj.sector_label

    @staticmethod
    def resolve_region_names(obj: Capability) -> list[str]:
        return obj.region_labels


class CapabilityIn(InputSchema):
    kind: str = Field(description=KIND_HELP)
    sector_vocabulary: str = Field("", max_length=2, description='"2", "7" or ""')
    sector_code: str = Field("", max_length=10, description='e.g. "122" or "3"')
    regions: list[str] = Field(default_factory=list, max_length=200)
    description: str = Field("", max_length=5000)
    evidence: str = Field("", max_length=5000)


class CapabilityPatch(InputSchema):
    kind: str | None = None
    sector_vocabulary: str | None = Field(None, max_length=2)
    sector_code: str | None = Field(None, max_length=10)
    regions: list[str] | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=5000)
    evidence: str | None = Field(None, max_length=5000)


def _organisation(slug: str) -> Organisation:
    return get_object_or_404(Organisation, slug=slug)


def _capability(slug: str, pk: int) -> Capability:
    organisation = _organisation(slug)
    capability = get_object_or_404(Capability, pk=pk, organisation=organisation)
    capability.organisation = organisation
    return capability


@router.get(
    "/{slug}/capabilities",
    response=list[CapabilityOut],
    summary="List an organisation's capabilities",
)
@paginate(Pagination)
def list_capabilities(request: HttpRequest, slug: str) -> object:
    return queries.capabilities_of(_organisation(slug)).select_related("organisation")


@router.post("/{slug}/capabilities", response={201: CapabilityOut}, summary="Record a capability")
def create_capability(request: HttpRequest, slug: str, payload: CapabilityIn) -> Status:
    capability = services.add_capability(
        actor=request.auth, organisation=_organisation(slug), **payload.dict()
    )
    return Status(201, capability)


@router.get("/{slug}/capabilities/{pk}", response=CapabilityOut, summary="Read a capability")
def read_capability(request: HttpRequest, slug: str, pk: PathId) -> Capability:
    return _capability(slug, pk)


@router.patch("/{slug}/capabilities/{pk}", response=CapabilityOut, summary="Change a capability")
def patch_capability(
    request: HttpRequest, slug: str, pk: PathId, payload: CapabilityPatch
) -> Capability:
    changes = payload.dict(exclude_unset=True, exclude_none=True)
    return services.update_capability(
        actor=request.auth, capability=_capability(slug, pk), **changes
    )


@router.delete("/{slug}/capabilities/{pk}", response={204: None}, summary="Remove a capability")
def delete_capability(request: HttpRequest, slug: str, pk: PathId) -> Status:
    services.delete_capability(actor=request.auth, capability=_capability(slug, pk))
    return Status(204, None)
