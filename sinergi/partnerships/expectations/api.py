"""API for partners' commitments and expectations, and their alignment.

Mounted at /api/v1/partnerships: /{slug}/expectations, /{slug}/alignment and
/{slug}/participations/{id}/commitment|expectations[/{eid}].
"""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status

from sinergi.access import policy
from sinergi.core.bodies import InputSchema
from sinergi.core.schemas import Id, PathId
from sinergi.partners.models import Capability, Organisation
from sinergi.partnerships.expectations import queries, services
from sinergi.partnerships.models import Expectation, Participation, Partnership

router = Router(tags=["expectations"])


class CapabilityRef(Schema):
    id: int
    kind: str
    kind_name: str
    sector_vocabulary: str
    sector_code: str
    sector_name: str
    regions: list[str]
    description: str

    @staticmethod
    def resolve_kind_name(obj: Capability) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_sector_name(obj: Capability) -> str:
        return obj.sector_label


class ExpectationOut(Schema):
    id: int
    participation: int = Field(alias="participation_id")
    topic: str
    topic_name: str
    horizon: str = Field(description="short (short-term results) or long (long-term impact)")
    horizon_name: str
    importance: int = Field(description="1 (nice to have) to 5 (essential)")
    description: str
    created_at: datetime

    @staticmethod
    def resolve_topic_name(obj: Expectation) -> str:
        return str(obj.get_topic_display())

    @staticmethod
    def resolve_horizon_name(obj: Expectation) -> str:
        return str(obj.get_horizon_display())


class ExpectationIn(InputSchema):
    topic: str = Field(description="An expectation topic, e.g. social_impact or market_access")
    horizon: str = Field(description="short or long")
    importance: int = Field(3, description="1 (nice to have) to 5 (essential)")
    description: str = Field("", max_length=5000)


class ExpectationPatch(InputSchema):
    topic: str | None = None
    horizon: str | None = None
    importance: int | None = None
    description: str | None = Field(None, max_length=5000)


class ExpectationOrganisationRef(Schema):
    id: int
    slug: str
    name: str
    acronym: str
    org_type: str


class ExpectationPartnerOut(Schema):
    participation: int
    organisation: ExpectationOrganisationRef
    group: str = Field(description="Partner group: government, private, ngo, …")
    group_name: str
    role: str = Field(description="IATI OrganisationRole code")
    role_name: str
    contribution: str
    capabilities: list[CapabilityRef]
    expectations: list[ExpectationOut]


class CommitmentIn(InputSchema):
    contribution: str | None = Field(None, max_length=300)
    capabilities: list[Id] | None = Field(
        None,
        max_length=services.MAX_CAPABILITIES,
        description="Ids of the organisation's own capabilities the contribution draws on",
    )


class TopicCellOut(Schema):
    topic: str
    topic_name: str
    count: int
    mean_importance: float | None
    short: int
    long: int
    short_share: float | None
    long_share: float | None
    horizon: str = Field(description="short, long or mixed")
    partners: list[str]


class GroupOut(Schema):
    group: str
    group_name: str
    partners: list[str]
    count: int
    short: int
    long: int
    short_share: float | None
    long_share: float | None
    leaning: str = Field(description="short or long when two thirds or more are so; else empty")
    topics: list[TopicCellOut]


class TopicOut(Schema):
    topic: str
    topic_name: str


class DivergenceOut(Schema):
    kind: str = Field(description="horizon, priority or unrecorded")
    topic: str
    groups: list[str]
    other_groups: list[str]
    partners: list[str]
    message: str


class ExpectationAlignmentOut(Schema):
    groups: list[GroupOut]
    topics: list[TopicOut]
    divergences: list[DivergenceOut]
    unrecorded: list[str]


def _partner_out(row: queries.PartnerExpectations) -> dict:
    p = row.participation
    return {
        "participation": p.pk,
        "organisation": p.organisation,
        "group": row.group,
        "group_name": row.group_label,
        "role": p.role,
        "role_name": str(p.get_role_display()),
        "contribution": p.contribution,
        "capabilities": row.capabilities,
        "expectations": row.expectations,
    }


def _slugs(organisations: list[Organisation]) -> list[str]:
    return [o.slug for o in organisations]


def _alignment_out(result: queries.Alignment) -> dict:
    return {
        "groups": [
            {
                "group": g.group,
                "group_name": g.label,
                "partners": _slugs(g.partners),
                "count": g.count,
                "short": g.short,
                "long": g.long,
                "short_share": g.short_share,
                "long_share": g.long_share,
                "leaning": g.leaning,
                "topics": [
                    {
                        "topic": c.topic,
                        "topic_name": c.label,
                        "count": c.count,
                        "mean_importance": c.mean_importance,
                        "short": c.short,
                        "long": c.long,
                        "short_share": c.short_share,
                        "long_share": c.long_share,
                        "horizon": c.horizon,
                        "partners": _slugs(c.partners),
                    }
                    for t in result.topics
                    if (c := g.cell(t)) is not None
                ],
            }
            for g in result.groups
        ],
        "topics": [{"topic": t, "topic_name": name} for t, name in result.topic_labels],
        "divergences": [
            {
                "kind": d.kind,
                "topic": d.topic,
                "groups": d.groups,
                "other_groups": d.other_groups,
                "partners": _slugs(d.partners),
                "message": d.message,
            }
            for d in result.divergences
        ],
        "unrecorded": _slugs(result.unrecorded),
    }


def _partnership(request: HttpRequest, slug: str) -> Partnership:
    return policy.get_partnership_for(request.auth, slug)


def _participation(partnership: Partnership, pk: int) -> Participation:
    participation = get_object_or_404(
        Participation.objects.select_related("organisation"), pk=pk, partnership=partnership
    )
    participation.partnership = partnership
    return participation


def _expectation(participation: Participation, eid: int) -> Expectation:
    expectation = get_object_or_404(Expectation, pk=eid, participation=participation)
    expectation.participation = participation
    return expectation


def _one_partner(participation: Participation) -> dict:
    row = queries.PartnerExpectations(
        participation=participation,
        group=participation.organisation.partner_group,
        capabilities=list(participation.capabilities.order_by("kind", "pk")),
        expectations=list(participation.expectations.order_by("-importance", "topic", "pk")),
    )
    return _partner_out(row)


@router.get(
    "/{slug}/expectations",
    response=list[ExpectationPartnerOut],
    summary="Each partner's role, contribution, capabilities and expectations",
)
def list_expectations(request: HttpRequest, slug: str) -> list[dict]:
    partnership = _partnership(request, slug)
    return [_partner_out(row) for row in queries.expectations_by_partner(partnership)]


@router.get(
    "/{slug}/alignment",
    response=ExpectationAlignmentOut,
    summary="Where partners' expectations diverge, by partner group",
)
def read_alignment(request: HttpRequest, slug: str) -> dict:
    return _alignment_out(queries.alignment(_partnership(request, slug)))


@router.patch(
    "/{slug}/participations/{pk}/commitment",
    response=ExpectationPartnerOut,
    summary="Change a partner's contribution and the capabilities it draws on",
)
def patch_commitment(request: HttpRequest, slug: str, pk: PathId, payload: CommitmentIn) -> dict:
    participation = _participation(_partnership(request, slug), pk)
    services.update_commitment(  # what is not sent (None) is kept as it is
        actor=request.auth,
        participation=participation,
        contribution=payload.contribution,
        capabilities=payload.capabilities,
    )
    return _one_partner(participation)


@router.post(
    "/{slug}/participations/{pk}/expectations",
    response={201: ExpectationOut},
    summary="Add an expectation of a partner",
)
def add_expectation(request: HttpRequest, slug: str, pk: PathId, payload: ExpectationIn) -> Status:
    participation = _participation(_partnership(request, slug), pk)
    expectation = services.add_expectation(
        actor=request.auth, participation=participation, **payload.dict()
    )
    return Status(201, expectation)


@router.patch(
    "/{slug}/participations/{pk}/expectations/{eid}",
    response=ExpectationOut,
    summary="Change an expectation",
)
def patch_expectation(
    request: HttpRequest, slug: str, pk: PathId, eid: PathId, payload: ExpectationPatch
) -> Expectation:
    participation = _participation(_partnership(request, slug), pk)
    expectation = _expectation(participation, eid)
    changes = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    return services.update_expectation(actor=request.auth, expectation=expectation, **changes)


@router.delete(
    "/{slug}/participations/{pk}/expectations/{eid}",
    response={204: None},
    summary="Remove an expectation",
)
def delete_expectation(request: HttpRequest, slug: str, pk: PathId, eid: PathId) -> Status:
    participation = _participation(_partnership(request, slug), pk)
    services.delete_expectation(actor=request.auth, expectation=_expectation(participation, eid))
    return Status(204, None)
