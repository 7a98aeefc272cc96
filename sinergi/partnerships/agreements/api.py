"""API for the partnering agreement: /api/v1/partnerships/{slug}/agreement/…"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from sinergi.access import policy
from sinergi.access.policy import Action
from sinergi.core.bodies import InputSchema
from sinergi.core.pagination import Pagination
from sinergi.core.schemas import PathId
from sinergi.partners.models import Organisation
from sinergi.partnerships.agreements import queries, services
from sinergi.partnerships.agreements.markdown import render_markdown
from sinergi.partnerships.models import (
    AGREEMENT_RULE_MAX_LENGTH,
    AGREEMENT_TEXT_MAX_LENGTH,
    AgreementSignature,
    AgreementVersion,
    Partnership,
)

router = Router(tags=["agreement"])


class VersionSummary(Schema):
    number: int
    status: str = Field(description="draft, open, adopted or superseded")
    content_hash: str = Field(
        description="Hex SHA-256 of the RFC 8785 JSON of the content fields; set when opened"
    )
    created_at: datetime
    opened_at: datetime | None
    adopted_at: datetime | None


class VersionOut(VersionSummary):
    text: str = Field(description="Markdown")
    text_html: str = Field(description="The text rendered to sanitised HTML")
    decision_rule: str = Field(
        description="consensus, consent, simple_majority or qualified_majority"
    )
    majority_percent: int | None
    meeting_cadence: str = Field(description="monthly, quarterly, twice_a_year or yearly")
    joining: str
    leaving: str
    dispute_resolution: str
    exit_strategy: str
    created_by: str | None

    @staticmethod
    def resolve_text_html(obj: AgreementVersion) -> str:
        return str(render_markdown(obj.text))

    @staticmethod
    def resolve_created_by(obj: AgreementVersion) -> str | None:
        return obj.created_by.username if obj.created_by else None


class VersionIn(InputSchema):
    """A new draft; omitted fields start from the latest version."""

    text: str | None = Field(None, max_length=AGREEMENT_TEXT_MAX_LENGTH)
    decision_rule: str | None = None
    majority_percent: int | None = None
    meeting_cadence: str | None = None
    joining: str | None = Field(None, max_length=AGREEMENT_RULE_MAX_LENGTH)
    leaving: str | None = Field(None, max_length=AGREEMENT_RULE_MAX_LENGTH)
    dispute_resolution: str | None = Field(None, max_length=AGREEMENT_RULE_MAX_LENGTH)
    exit_strategy: str | None = Field(None, max_length=AGREEMENT_RULE_MAX_LENGTH)


class VersionPatch(VersionIn):
    """Changes to a draft; only the fields sent change."""


class AgreementOrganisationRef(Schema):
    slug: str
    name: str
    acronym: str


class SignatureIn(InputSchema):
    organisation: str = Field(description="The slug of the partner organisation you sign for")
    content_hash: str | None = Field(
        None,
        description="The hash you were shown; the signature is refused if the content changed",
    )


class SignatureOut(Schema):
    version: int
    version_status: str = Field(description="The version's status after this signature")
    organisation: AgreementOrganisationRef
    signed_by: str = Field(description="Username of the authorised person who signed")
    content_hash: str
    signed_at: datetime

    @staticmethod
    def resolve_version(obj: AgreementSignature) -> int:
        return obj.version.number

    @staticmethod
    def resolve_version_status(obj: AgreementSignature) -> str:
        return obj.version.status

    @staticmethod
    def resolve_signed_by(obj: AgreementSignature) -> str:
        return obj.signed_by.username


class PartnerSignatureOut(Schema):
    organisation: AgreementOrganisationRef
    is_partner: bool = Field(description="False for an organisation that signed and has left")
    signed: bool
    signed_by: str | None
    signed_at: datetime | None
    content_hash: str | None
    may_sign: bool = Field(description="Whether you may sign for this partner now")


class RuleChangeOut(Schema):
    field: str
    label: str
    before: str | int | None
    after: str | int | None


class DiffOut(Schema):
    a: int
    b: int
    unified: list[str] = Field(
        description="Unified diff of the text: '+' added, '-' removed, ' ' kept, '@@' position"
    )
    rules: list[RuleChangeOut] = Field(description="Governance rules that changed")


def _partnership(request: HttpRequest, slug: str, action: Action = Action.VIEW) -> Partnership:
    return policy.get_partnership_for(request.auth, slug, action)


def _version(
    request: HttpRequest, slug: str, number: int, action: Action = Action.VIEW
) -> AgreementVersion:
    partnership = _partnership(request, slug, action)
    return queries.get_version(
        partnership, number, **queries.visible_versions(request.auth, partnership)
    )


@router.get(
    "/{slug}/agreement/versions",
    response=list[VersionSummary],
    summary="List the agreement's versions, newest first",
)
@paginate(Pagination)
def list_versions(request: HttpRequest, slug: str) -> object:
    partnership = _partnership(request, slug)
    return queries.versions_of(partnership, **queries.visible_versions(request.auth, partnership))


@router.post(
    "/{slug}/agreement/versions",
    response={201: VersionOut},
    summary="Start a new draft of the agreement",
)
def create_version(request: HttpRequest, slug: str, payload: VersionIn) -> Status:
    partnership = _partnership(request, slug, Action.EDIT)
    fields = payload.dict(exclude_unset=True)
    version = services.create_draft(actor=request.auth, partnership=partnership, **fields)
    return Status(201, version)


@router.get(
    "/{slug}/agreement/versions/{number}", response=VersionOut, summary="Read an agreement version"
)
def read_version(request: HttpRequest, slug: str, number: PathId) -> AgreementVersion:
    return _version(request, slug, number)


@router.patch("/{slug}/agreement/versions/{number}", response=VersionOut, summary="Change a draft")
def patch_version(
    request: HttpRequest, slug: str, number: PathId, payload: VersionPatch
) -> AgreementVersion:
    version = _version(request, slug, number, Action.EDIT)
    fields = payload.dict(exclude_unset=True)
    return services.update_draft(actor=request.auth, version=version, **fields)


@router.post(
    "/{slug}/agreement/versions/{number}/open",
    response=VersionOut,
    summary="Freeze a draft and open it for signature",
)
def open_version(request: HttpRequest, slug: str, number: PathId) -> AgreementVersion:
    version = _version(request, slug, number, Action.EDIT)
    return services.open_for_signature(actor=request.auth, version=version)


@router.post(
    "/{slug}/agreement/versions/{number}/adopt",
    response=VersionOut,
    summary="Adopt an open version every current partner has signed",
)
def adopt_version(request: HttpRequest, slug: str, number: PathId) -> AgreementVersion:
    version = _version(request, slug, number, Action.EDIT)
    return services.adopt(actor=request.auth, version=version)


@router.get(
    "/{slug}/agreement/versions/{number}/signatures",
    response=list[PartnerSignatureOut],
    summary="Each partner's signature on a version, or pending",
)
def list_signatures(request: HttpRequest, slug: str, number: PathId) -> list[dict]:
    version = _version(request, slug, number)
    rows = queries.signature_status(version, viewer=request.auth, include_signers=False)
    return [
        {
            "organisation": row.organisation,
            "is_partner": row.is_partner,
            "signed": row.signed,
            "signed_by": row.signature.signed_by.username if row.signature else None,
            "signed_at": row.signature.signed_at if row.signature else None,
            "content_hash": row.signature.content_hash if row.signature else None,
            "may_sign": row.may_sign,
        }
        for row in rows
    ]


@router.post(
    "/{slug}/agreement/versions/{number}/signatures",
    response={201: SignatureOut},
    summary="Sign a version for your organisation",
)
def sign_version(request: HttpRequest, slug: str, number: PathId, payload: SignatureIn) -> Status:
    version = _version(request, slug, number)
    organisation = Organisation.objects.filter(slug=payload.organisation).first()
    if organisation is None:
        raise ValidationError({"organisation": [_("No organisation has this short name.")]})
    signature = services.sign(
        actor=request.auth,
        version=version,
        organisation=organisation,
        content_hash=payload.content_hash,
    )
    return Status(201, signature)


@router.get("/{slug}/agreement/diff", response=DiffOut, summary="Compare two versions")
def diff_versions(request: HttpRequest, slug: str, a: int, b: int) -> dict:
    partnership = _partnership(request, slug)
    visible = queries.visible_versions(request.auth, partnership)
    result = queries.diff(
        queries.get_version(partnership, a, **visible),
        queries.get_version(partnership, b, **visible),
    )
    return {
        "a": a,
        "b": b,
        "unified": result.unified,
        "rules": [
            {"field": r.field, "label": r.label, "before": r.before, "after": r.after}
            for r in result.rules
        ],
    }
