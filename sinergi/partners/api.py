"""API for the partner registry: /api/v1/organisations."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import StrictBool

from sinergi.core.bodies import InputSchema
from sinergi.core.pagination import Pagination
from sinergi.core.schemas import PathId
from sinergi.partners import queries, services
from sinergi.partners.models import DESCRIPTION_MAX_LENGTH, Organisation
from sinergi.partnerships import queries as partnership_queries
from sinergi.partnerships import services as partnership_services
from sinergi.partnerships.models import Participation

router = Router(tags=["organisations"])


class OrganisationOut(Schema):
    id: int
    slug: str
    name: str
    acronym: str
    org_type: str = Field(description="IATI OrganisationType code")
    org_type_name: str
    iati_identifier: str
    country: str = Field(description="ISO 3166-1 alpha-2")
    subdivisions: list[str] = Field(description="ISO 3166-2 codes")
    website: str
    description_en: str
    description_id: str
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_org_type_name(obj: Organisation) -> str:
        return str(obj.get_org_type_display())


class OrganisationIn(InputSchema):
    name: str = Field(min_length=1, max_length=200)
    acronym: str = Field("", max_length=30)
    org_type: str = Field(description="IATI OrganisationType code, e.g. 10, 22, 70")
    iati_identifier: str = Field("", max_length=100)
    country: str = Field(description="ISO 3166-1 alpha-2, e.g. ID")
    subdivisions: list[str] = Field(default_factory=list, max_length=100)
    website: str = Field("", max_length=200)
    description_en: str = Field("", max_length=DESCRIPTION_MAX_LENGTH)
    description_id: str = Field("", max_length=DESCRIPTION_MAX_LENGTH)
    confirm_duplicate: StrictBool = Field(
        False, description="Register even though similar organisations exist."
    )


class OrganisationPatch(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=200)
    acronym: str | None = Field(None, max_length=30)
    org_type: str | None = None
    iati_identifier: str | None = Field(None, max_length=100)
    country: str | None = None
    subdivisions: list[str] | None = Field(None, max_length=100)
    website: str | None = Field(None, max_length=200)
    description_en: str | None = Field(None, max_length=DESCRIPTION_MAX_LENGTH)
    description_id: str | None = Field(None, max_length=DESCRIPTION_MAX_LENGTH)


class AnsweredOut(Schema):
    """A partnership's listing of the organisation, as its admins answer it."""

    id: int
    partnership: str = Field(description="the partnership's slug")
    partnership_title: str
    role: str = Field(description="IATI OrganisationRole code")
    role_name: str
    contribution: str
    joined_at: datetime
    confirmed_at: datetime | None

    @staticmethod
    def resolve_partnership(obj: Participation) -> str:
        return obj.partnership.slug

    @staticmethod
    def resolve_partnership_title(obj: Participation) -> str:
        return obj.partnership.title

    @staticmethod
    def resolve_role_name(obj: Participation) -> str:
        return str(obj.get_role_display())


@router.get("", response=list[OrganisationOut], summary="List organisations")
@paginate(Pagination)
def list_organisations(
    request: HttpRequest, q: str = "", org_type: str = "", country: str = "", capability: str = ""
) -> object:
    return queries.search_organisations(
        q=q, org_type=org_type, country=country, capability=capability
    ).order_by("name", "pk")


@router.post("", response={201: OrganisationOut}, summary="Register an organisation")
def create_organisation(request: HttpRequest, payload: OrganisationIn) -> Status:
    data = payload.dict()
    confirm = data.pop("confirm_duplicate")
    organisation = services.register_organisation(
        actor=request.auth, confirm_duplicate=confirm, **data
    )
    return Status(201, organisation)


@router.get("/{slug}", response=OrganisationOut, summary="Read an organisation")
def read_organisation(request: HttpRequest, slug: str) -> Organisation:
    return get_object_or_404(Organisation, slug=slug)


@router.patch("/{slug}", response=OrganisationOut, summary="Change an organisation")
def patch_organisation(request: HttpRequest, slug: str, payload: OrganisationPatch) -> Organisation:
    organisation = get_object_or_404(Organisation, slug=slug)
    changes = payload.dict(exclude_unset=True, exclude_none=True)
    return services.update_organisation(actor=request.auth, organisation=organisation, **changes)


@router.delete("/{slug}", response={204: None}, summary="Remove an organisation")
def delete_organisation(request: HttpRequest, slug: str) -> Status:
    organisation = get_object_or_404(Organisation, slug=slug)
    services.delete_organisation(actor=request.auth, organisation=organisation)
    return Status(204, None)


def _answerable(request: HttpRequest, slug: str, pk: int) -> Participation:
    if not request.auth.is_authenticated:
        raise PermissionDenied  # 401
    return partnership_queries.answerable(request.auth, slug, pk)


@router.post(
    "/{slug}/participations/{pk}/confirm",
    response=AnsweredOut,
    summary="Confirm that the organisation takes part in a partnership that lists it",
)
def confirm_participation(request: HttpRequest, slug: str, pk: PathId) -> Participation:
    """For the organisation's own admins: 404 for anyone else (whether it exists is
    theirs to know), 409 once confirmed."""
    participation = _answerable(request, slug, pk)
    return partnership_services.confirm_participation(
        actor=request.auth, participation=participation
    )


@router.post(
    "/{slug}/participations/{pk}/decline",
    response={204: None},
    summary="Decline taking part in a partnership that lists the organisation",
)
def decline_participation(request: HttpRequest, slug: str, pk: PathId) -> Status:
    """For the organisation's own admins, while it is unconfirmed: the partnership no
    longer lists the organisation, and its people's roles in it end (as when a
    coordinator removes a partner). 404 for anyone else, 409 once confirmed."""
    participation = _answerable(request, slug, pk)
    partnership_services.decline_participation(actor=request.auth, participation=participation)
    return Status(204, None)
