"""API for partner matching: /api/v1/partnerships/{slug}/recommendations and /team."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from sinergi.access import policy
from sinergi.partners.matching import queries, rules
from sinergi.partners.matching.rules import NeedSpec
from sinergi.partners.models import Organisation, PartnerGroup

router = Router(tags=["matching"])


class MatchOrganisationRef(Schema):
    id: int
    slug: str
    name: str
    acronym: str
    org_type: str = Field(description="IATI OrganisationType code")
    partner_group: str


class NeedRef(Schema):
    id: int
    kind: str
    weight: int
    description: str


class RecommendationOut(Schema):
    organisation: MatchOrganisationRef
    score: int
    coverage_points: int = Field(description="Σ weights of the unmet needs it covers")
    covers: list[NeedRef]
    adds_group: str | None = Field(
        description="The partner group it adds, if new to the partnership"
    )
    present_in: list[str] = Field(description="The partnership's regions it works in")
    reasons: list[str]
    explanation: str


class Scoring(Schema):
    diversity_bonus: int
    presence_bonus: int
    formula: str


class RecommendationsOut(Schema):
    scoring: Scoring
    unmet_needs: list[NeedRef]
    recommendations: list[RecommendationOut]


class TeamMemberOut(Schema):
    organisation: MatchOrganisationRef
    covers: list[NeedRef]
    gain: int
    adds_group: str | None


class TeamOut(Schema):
    method: str
    members: list[TeamMemberOut]
    uncoverable: list[NeedRef] = Field(
        description="Unmet needs no organisation in the registry covers"
    )
    already_covered: list[NeedRef] = Field(description="Needs the current partners cover")


class RecommendationQuery(Schema):
    limit: int = Field(10, ge=1, le=50)


def _formula() -> str:
    return _(
        "score = sum of the weights of the unmet needs it covers "
        "+ diversity_bonus if its partner group is new to the partnership "
        "+ presence_bonus if it works in the partnership's regions"
    )


def _method() -> str:
    return _(
        "greedy weighted set cover: within a factor ln(n)+1 of the smallest team, "
        "n = number of unmet needs; ties go to a new partner group, then by name"
    )


def _organisation(organisation: Organisation) -> dict:
    return {
        "id": organisation.pk,
        "slug": organisation.slug,
        "name": organisation.name,
        "acronym": organisation.acronym,
        "org_type": organisation.org_type,
        "partner_group": organisation.partner_group,
    }


def _need(spec: NeedSpec) -> dict:
    return {"id": spec.id, "kind": spec.kind, "weight": spec.weight, "description": spec.describe()}


def _group(value: str | None) -> str | None:
    return PartnerGroup(value).value if value else None


@router.get(
    "/{slug}/recommendations",
    response=RecommendationsOut,
    summary="Organisations that would cover the partnership's unmet needs",
)
def recommendations(request: HttpRequest, slug: str, query: Query[RecommendationQuery]) -> dict:
    partnership = policy.get_partnership_for(request.auth, slug)
    result = queries.overview(partnership, limit=query.limit)
    return {
        "scoring": {
            "diversity_bonus": rules.DIVERSITY_BONUS,
            "presence_bonus": rules.PRESENCE_BONUS,
            "formula": _formula(),
        },
        "unmet_needs": [_need(status.spec) for status in result.unmet],
        "recommendations": [
            {
                "organisation": _organisation(item.organisation),
                "score": item.score,
                "coverage_points": item.coverage_points,
                "covers": [_need(spec) for spec in item.covers],
                "adds_group": _group(item.adds_group),
                "present_in": item.present_in,
                "reasons": item.reasons,
                "explanation": item.explanation,
            }
            for item in result.recommendations
        ],
    }


@router.get(
    "/{slug}/team",
    response=TeamOut,
    summary="A small team of organisations that covers the unmet needs (greedy)",
)
def team(request: HttpRequest, slug: str) -> dict:
    partnership = policy.get_partnership_for(request.auth, slug)
    result = queries.assemble_team(partnership)
    return {
        "method": _method(),
        "members": [
            {
                "organisation": _organisation(member.organisation),
                "covers": [_need(spec) for spec in member.covers],
                "gain": member.gain,
                "adds_group": _group(member.adds_group),
            }
            for member in result.members
        ],
        "uncoverable": [_need(spec) for spec in result.uncoverable],
        "already_covered": [_need(spec) for spec in result.already_covered],
    }
