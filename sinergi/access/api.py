"""API for the caller's own account and personal API tokens."""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from pydantic import StrictBool, StrictInt

from sinergi.access import services
from sinergi.access.models import ApiToken
from sinergi.core.bodies import InputSchema
from sinergi.core.schemas import PathId

router = Router(tags=["account"])


class MeOut(Schema):
    id: int
    username: str
    name: str
    email: str
    organisation: str | None
    is_staff: bool
    roles: dict[str, str] = Field(description="partnership slug → your role")


class WaitingOut(Schema):
    partnership: str = Field(description="the partnership's slug")
    partnership_title: str
    kind: str = Field(
        description="confirmation (confirm or decline that your organisation takes part), "
        "agreement (sign it), approval (expenditures to approve), "
        "review (submitted values to review) or report (values to report)"
    )
    count: int
    overdue: int = Field(description="report: how many of `count` are past their due date")
    due: date | None = Field(
        description="report: the earliest due date; approval: the oldest value date"
    )
    version: int | None = Field(description="agreement: the version to sign")
    organisation: str = Field(
        description="agreement: the partner you sign for; confirmation: the one asked"
    )
    role: str = Field(
        description="confirmation: the IATI OrganisationRole code the partnership lists it "
        "in (1 funding … 4 implementing), as on the partnerships API"
    )
    role_name: str = Field(description="confirmation: that role's name, in your language")
    organisation_slug: str = Field(
        description="confirmation: the organisation's slug, for "
        "POST /organisations/{slug}/participations/{participation}/confirm or …/decline"
    )
    participation: int | None = Field(description="confirmation: the listing's id, as above")
    url: str = Field(description="the page where this is done")


class TokenOut(Schema):
    id: int
    name: str
    hint: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    expires_at: datetime | None = Field(description="none: the token does not expire")
    read_only: bool = Field(description="a read-only token is refused every change (403)")


class TokenCreated(TokenOut):
    secret: str = Field(description="Shown only now; store it safely.")


class TokenIn(InputSchema):
    name: str = Field(min_length=1, max_length=100)
    expires_in_days: StrictInt | None = Field(
        default=services.DEFAULT_TOKEN_DAYS,
        description=f"days until it stops working, 1 to {services.MAX_TOKEN_DAYS}; "
        "null: it never expires",
    )
    read_only: StrictBool = Field(default=False, description="true: it may read but change nothing")


def _signed_in(request: HttpRequest):
    if not request.auth.is_authenticated:
        raise PermissionDenied
    return request.auth


@router.get("/me", response=MeOut, summary="Who am I")
def me(request: HttpRequest) -> dict:
    person = _signed_in(request)
    roles = dict(
        person.memberships.select_related("partnership").values_list("partnership__slug", "role")
    )
    return {
        "id": person.pk,
        "username": person.username,
        "name": str(person),
        "email": person.email,
        "organisation": person.organisation.slug if person.organisation_id else None,
        "is_staff": person.is_staff,
        "roles": roles,
    }


@router.get("/me/waiting", response=list[WaitingOut], summary="What is waiting for you")
def waiting(request: HttpRequest) -> list[dict]:
    """Partnerships listing your organisation to confirm (for its admins), agreements to
    sign, expenditures to approve, values to review and values to report (due within a
    week or overdue) in your partnerships, by partnership title."""
    from sinergi.core.waiting import waiting_for

    return [
        {
            "partnership": item.partnership.slug,
            "partnership_title": item.partnership.title,
            "kind": item.kind,
            "count": item.count,
            "overdue": item.overdue,
            "due": item.due,
            "version": item.version,
            "organisation": item.organisation,
            "role": item.role,
            "role_name": item.role_name,
            "organisation_slug": item.organisation_slug,
            "participation": item.participation,
            "url": item.url,
        }
        for item in waiting_for(_signed_in(request))
    ]


@router.get("/tokens", response=list[TokenOut], summary="Your API tokens")
def list_tokens(request: HttpRequest) -> object:
    return ApiToken.objects.filter(person=_signed_in(request))


@router.post("/tokens", response={201: TokenCreated}, summary="Create an API token")
def create_token(request: HttpRequest, payload: TokenIn) -> Status:
    person = _signed_in(request)
    if request.headers.get("Authorization"):
        # Else a stolen token could mint its successor, and revoking it would end nothing.
        raise PermissionDenied(_("Create API tokens while signed in, not with another token."))
    token, secret = services.create_api_token(
        actor=person,
        name=payload.name,
        expires_in_days=payload.expires_in_days,
        read_only=payload.read_only,
    )
    return Status(201, {**TokenOut.from_orm(token).dict(), "secret": secret})


@router.delete("/tokens/{pk}", response={204: None}, summary="Revoke an API token")
def revoke_token(request: HttpRequest, pk: PathId) -> Status:
    person = _signed_in(request)
    token = get_object_or_404(ApiToken, pk=pk, person=person)
    services.revoke_api_token(actor=person, token=token)
    return Status(204, None)
