"""API for partnerships, their partners and members: /api/v1/partnerships."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import BaseModel

from sinergi.access import policy
from sinergi.access.policy import Action
from sinergi.core import pages
from sinergi.core.bodies import InputSchema
from sinergi.core.pagination import Pagination
from sinergi.core.schemas import PathId
from sinergi.partners.models import Organisation, Person
from sinergi.partnerships import queries, services
from sinergi.partnerships.models import (
    SUMMARY_MAX_LENGTH,
    VISION_MAX_LENGTH,
    Membership,
    Participation,
    Partnership,
)

router = Router(tags=["partnerships"])


class PartnershipFields(BaseModel):
    """A partnership as the API shows it. Lists validate plain dicts against this directly."""

    id: int
    slug: str
    title: str
    summary: str
    vision: str
    start_date: date | None
    end_date: date | None
    activity_status: str = Field(description="IATI ActivityStatus code")
    base_currency: str = Field(description="ISO 4217")
    countries: list[str]
    regions: list[str]
    visibility: str
    stage: str = Field(description="Lifecycle stage: scoping, building, implementing, …")
    created_at: datetime
    updated_at: datetime


class PartnershipOut(Schema, PartnershipFields):
    """The same fields, read from a model instance."""


# Lists read dicts of exactly these columns: no model instances to build, and pydantic
# validates them natively instead of through ninja's per-attribute getter.
PARTNERSHIP_OUT_FIELDS = tuple(PartnershipFields.model_fields)


class PartnershipIn(InputSchema):
    title: str = Field(min_length=1, max_length=200)
    slug: str = Field("", max_length=80, description="Left empty, made from the title.")
    summary: str = Field("", max_length=SUMMARY_MAX_LENGTH)
    vision: str = Field("", max_length=VISION_MAX_LENGTH)
    start_date: date | None = None
    end_date: date | None = None
    activity_status: str = "1"
    base_currency: str = "IDR"
    countries: list[str] = Field(default_factory=list, max_length=50)
    regions: list[str] = Field(default_factory=list, max_length=200)
    visibility: str = "private"


class PartnershipPatch(InputSchema):
    title: str | None = Field(None, min_length=1, max_length=200)
    slug: str | None = Field(None, min_length=1, max_length=80)
    summary: str | None = Field(None, max_length=SUMMARY_MAX_LENGTH)
    vision: str | None = Field(None, max_length=VISION_MAX_LENGTH)
    start_date: date | None = None
    end_date: date | None = None
    activity_status: str | None = None
    base_currency: str | None = None
    countries: list[str] | None = Field(None, max_length=50)
    regions: list[str] | None = Field(None, max_length=200)
    visibility: str | None = None


class OrganisationRef(Schema):
    id: int
    slug: str
    name: str
    acronym: str
    org_type: str


class ParticipationOut(Schema):
    id: int
    organisation: OrganisationRef
    role: str = Field(description="IATI OrganisationRole code")
    role_name: str
    contribution: str
    joined_at: datetime
    confirmed_at: datetime | None = Field(
        description="when the organisation confirmed that it takes part; null: not yet"
    )

    @staticmethod
    def resolve_role_name(obj: Participation) -> str:
        return str(obj.get_role_display())


class ParticipationIn(InputSchema):
    organisation: str = Field(description="The organisation's slug")
    role: str = Field(description="IATI OrganisationRole code: 1 funding … 4 implementing")
    contribution: str = Field("", max_length=300)


class ParticipationPatch(InputSchema):
    role: str | None = None
    contribution: str | None = Field(None, max_length=300)


class PersonRef(Schema):
    id: int
    username: str
    name: str
    organisation: str | None

    @staticmethod
    def resolve_name(obj: Person) -> str:
        return str(obj)

    @staticmethod
    def resolve_organisation(obj: Person) -> str | None:
        return obj.organisation.slug if obj.organisation else None


class MembershipOut(Schema):
    id: int
    person: PersonRef
    role: str
    granted_at: datetime


class MembershipIn(InputSchema):
    person: str = Field(description="The person's username")
    role: str = Field(description="coordinator, partner_admin, member or observer")


class MembershipPatch(InputSchema):
    role: str


def _partnership(request: HttpRequest, slug: str, action: Action = Action.VIEW) -> Partnership:
    return policy.get_partnership_for(request.auth, slug, action)


# A page of the list, as ninja's `@paginate` shapes it and names it.
class PagedPartnershipFields(Schema):
    items: list[PartnershipFields]
    count: int


@router.get(
    "",
    response=PagedPartnershipFields,
    summary="List partnerships you may see",
    description="Ordered by title. Filters: `q` (title or summary), `status` (IATI "
    "ActivityStatus), `country`, `visibility`, `organisation` (a partner's slug). Pages: "
    f"`limit` (default {Pagination.Input.model_fields['limit'].default}) and `offset`.",
)
def list_partnerships(
    request: HttpRequest,
    page: Query[Pagination.Input],
    q: str = "",
    status: str = "",
    country: str = "",
    visibility: str = "",
    organisation: str = "",
) -> HttpResponse:
    user = request.auth
    filters = {"q": q, "status": status, "country": country, "visibility": visibility}

    def body() -> dict[str, Any]:
        found = queries.search_partnerships(user, organisation=organisation, **filters)
        rows = found.order_by("title", "pk").values(*PARTNERSHIP_OUT_FIELDS)
        window = rows[page.offset : page.offset + page.limit]
        return {"items": list(window), "count": found.count()}

    # Kept under what the list can show this reader (`queries.list_version`), for the
    # lists many readers ask for: not a text search, not a filter by partner (it reads
    # the participations, which that version does not cover), not deep or odd pages.
    # Anything else is computed for its one reader and fills no shared store.
    keep = (
        not q
        and not organisation
        and len(country) <= 2
        and len(status) <= 1
        and visibility in ("", "public", "private")
        and page.limit <= KEEP_PAGE_LIMIT
        and page.offset <= KEEP_OFFSET_LIMIT
    )
    state = (queries.list_version(user), filters, page.offset, page.limit) if keep else None
    key = "partnership-list:" + hashlib.sha256(repr(state).encode()).hexdigest()
    return pages.json_kept(
        request, key, PagedPartnershipFields, body, keep=keep, shared_seconds=24 * 3600
    )


KEEP_PAGE_LIMIT = 200
KEEP_OFFSET_LIMIT = 1000


@router.post("", response={201: PartnershipOut}, summary="Create a partnership")
def create_partnership(request: HttpRequest, payload: PartnershipIn) -> Status:
    partnership = services.create_partnership(actor=request.auth, **payload.dict())
    return Status(201, partnership)


@router.get("/{slug}", response=PartnershipOut, summary="Read a partnership")
def read_partnership(request: HttpRequest, slug: str) -> Partnership:
    return _partnership(request, slug)


@router.patch("/{slug}", response=PartnershipOut, summary="Change a partnership")
def patch_partnership(request: HttpRequest, slug: str, payload: PartnershipPatch) -> Partnership:
    partnership = _partnership(request, slug, Action.EDIT)
    changes = payload.dict(exclude_unset=True)
    for name in ("title", "slug", "activity_status", "base_currency", "visibility"):
        if name in changes and changes[name] is None:
            del changes[name]
    # null clears a text or a list (the dates are nullable as they are)
    for name, empty in (("summary", ""), ("vision", ""), ("countries", []), ("regions", [])):
        if name in changes and changes[name] is None:
            changes[name] = empty
    return services.update_partnership(actor=request.auth, partnership=partnership, **changes)


@router.delete("/{slug}", response={204: None}, summary="Delete a partnership")
def delete_partnership(request: HttpRequest, slug: str) -> Status:
    partnership = _partnership(request, slug, Action.DELETE)
    services.delete_partnership(actor=request.auth, partnership=partnership)
    return Status(204, None)


@router.get("/{slug}/participations", response=list[ParticipationOut], summary="List the partners")
@paginate(Pagination)
def list_participations(request: HttpRequest, slug: str) -> object:
    return queries.participations_of(_partnership(request, slug))


@router.post(
    "/{slug}/participations",
    response={201: ParticipationOut},
    summary="Add a partner",
    description="An organisation may hold several roles; listing it again in a role it "
    "holds is a 409 `conflict` on `role`.",
)
def add_participation(request: HttpRequest, slug: str, payload: ParticipationIn) -> Status:
    partnership = _partnership(request, slug, Action.MANAGE_PARTNERS)
    organisation = Organisation.objects.filter(slug=payload.organisation).first()
    if organisation is None:
        raise ValidationError({"organisation": [_("No organisation has this short name.")]})
    participation = services.add_partner(
        actor=request.auth,
        partnership=partnership,
        organisation=organisation,
        role=payload.role,
        contribution=payload.contribution,
    )
    return Status(201, participation)


@router.patch(
    "/{slug}/participations/{pk}",
    response=ParticipationOut,
    summary="Change a partner's role",
    description="A role its organisation holds already in another listing is a 409 "
    "`conflict` on `role`.",
)
def patch_participation(
    request: HttpRequest, slug: str, pk: PathId, payload: ParticipationPatch
) -> Participation:
    partnership = _partnership(request, slug, Action.MANAGE_PARTNERS)
    participation = get_object_or_404(
        Participation.objects.select_related("organisation"), pk=pk, partnership=partnership
    )
    return services.change_partner_role(
        actor=request.auth,
        participation=participation,
        role=payload.role or participation.role,
        contribution=payload.contribution,
    )


@router.delete("/{slug}/participations/{pk}", response={204: None}, summary="Remove a partner")
def delete_participation(request: HttpRequest, slug: str, pk: PathId) -> Status:
    partnership = _partnership(request, slug, Action.MANAGE_PARTNERS)
    participation = get_object_or_404(Participation, pk=pk, partnership=partnership)
    services.remove_partner(actor=request.auth, participation=participation)
    return Status(204, None)


@router.get(
    "/{slug}/memberships",
    response=list[MembershipOut],
    summary="List the members",
    description="For the partnership's own people and staff, as the Members page: "
    "others get 403 (401 without a token), even for a public partnership.",
)
@paginate(Pagination)
def list_memberships(request: HttpRequest, slug: str) -> object:
    partnership = _partnership(request, slug)
    if not policy.can_see_members(request.auth, partnership):
        raise PermissionDenied
    return queries.memberships_of(partnership)


@router.post(
    "/{slug}/memberships",
    response={201: MembershipOut},
    summary="Give someone a role",
    description="One role per person: someone who is a member already is a 409 `conflict` "
    "on `person` (change their role with PATCH).",
)
def add_membership(request: HttpRequest, slug: str, payload: MembershipIn) -> Status:
    partnership = _partnership(request, slug, Action.MANAGE_MEMBERS)
    person = (
        Person.objects.select_related("organisation")
        .filter(username=payload.person, is_active=True)
        .first()
    )
    if person is None:
        raise ValidationError({"person": [_("No active person has this username.")]})
    membership = services.grant_membership(
        actor=request.auth, partnership=partnership, person=person, role=payload.role
    )
    return Status(201, membership)


@router.patch("/{slug}/memberships/{pk}", response=MembershipOut, summary="Change someone's role")
def patch_membership(
    request: HttpRequest, slug: str, pk: PathId, payload: MembershipPatch
) -> Membership:
    partnership = _partnership(request, slug, Action.MANAGE_MEMBERS)
    membership = get_object_or_404(
        Membership.objects.select_related("person__organisation", "partnership"),
        pk=pk,
        partnership=partnership,
    )
    return services.change_membership_role(
        actor=request.auth, membership=membership, role=payload.role
    )


@router.delete("/{slug}/memberships/{pk}", response={204: None}, summary="Take a role away")
def delete_membership(request: HttpRequest, slug: str, pk: PathId) -> Status:
    partnership = _partnership(request, slug, Action.MANAGE_MEMBERS)
    membership = get_object_or_404(
        Membership.objects.select_related("person", "partnership"),
        pk=pk,
        partnership=partnership,
    )
    services.revoke_membership(actor=request.auth, membership=membership)
    return Status(204, None)
