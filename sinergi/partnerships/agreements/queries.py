"""Read paths for the partnering agreement: versions, signature status, diffs, completeness."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, QuerySet
from django.http import Http404

from sinergi.access import policy
from sinergi.access.policy import User
from sinergi.partners.models import Organisation, Person
from sinergi.partnerships.agreements.services import CONTENT_FIELDS, is_signable
from sinergi.partnerships.models import (
    AgreementSignature,
    AgreementStatus,
    AgreementVersion,
    DecisionRule,
    MeetingCadence,
    MemberRole,
    Membership,
    Partnership,
)

SIGNING_ROLES = (MemberRole.COORDINATOR, MemberRole.PARTNER_ADMIN)
RULE_FIELDS = tuple(name for name in CONTENT_FIELDS if name != "text")


def versions_of(
    partnership: Partnership, *, include_drafts: bool = True
) -> QuerySet[AgreementVersion]:
    """Every version of the agreement, newest first, with its number of signatures."""
    versions = AgreementVersion.objects.filter(partnership=partnership)
    if not include_drafts:
        versions = versions.exclude(status=AgreementStatus.DRAFT)
    return versions.annotate(signature_count=Count("signatures")).order_by("-number")


def get_version(
    partnership: Partnership, number: int, *, include_drafts: bool = True
) -> AgreementVersion:
    """Version `number` of the agreement of `partnership`, or Http404 (also for a draft
    when drafts are not to be shown)."""
    version = (
        AgreementVersion.objects.filter(partnership=partnership, number=number)
        .select_related("created_by")
        .first()
    )
    if version is None or (version.status == AgreementStatus.DRAFT and not include_drafts):
        raise Http404("No such agreement version.")
    version.partnership = partnership
    return version


def visible_versions(user: User, partnership: Partnership) -> dict[str, bool]:
    """The `include_drafts` argument for `user`: drafts only for the partnership's people."""
    return {"include_drafts": policy.can_see_agreement_drafts(user, partnership)}


def current_agreement(partnership: Partnership) -> AgreementVersion | None:
    """The adopted version: the agreement in force."""
    return (
        AgreementVersion.objects.filter(partnership=partnership, status=AgreementStatus.ADOPTED)
        .order_by("-number")
        .first()
    )


def open_version(partnership: Partnership) -> AgreementVersion | None:
    """The version open for signature, if any."""
    return (
        AgreementVersion.objects.filter(partnership=partnership, status=AgreementStatus.OPEN)
        .order_by("-number")
        .first()
    )


def draft_of(partnership: Partnership) -> AgreementVersion | None:
    """The version being drafted, if any (there is at most one)."""
    return AgreementVersion.objects.filter(
        partnership=partnership, status=AgreementStatus.DRAFT
    ).first()


def partner_organisations(partnership: Partnership) -> list[Organisation]:
    """The distinct organisations taking part now, by name."""
    taking_part = partnership.participations.order_by().values("organisation_id")
    return list(Organisation.objects.filter(pk__in=taking_part).order_by("name"))


# Signatures ------------------------------------------------------------------------------


@dataclass
class PartnerSignature:
    """One partner's sign-off on a version: who signed and when, or who may still sign."""

    organisation: Organisation
    signature: AgreementSignature | None
    signers: list[Person] = field(default_factory=list)
    is_partner: bool = True
    may_sign: bool = False

    @property
    def signed(self) -> bool:
        return self.signature is not None


def signature_status(
    version: AgreementVersion,
    *,
    viewer: User | None = None,
    include_signers: bool = True,
    open_exists: bool | None = None,
) -> list[PartnerSignature]:
    """Each partner's status on `version`: signed by whom and when, or pending.

    Current partners come first by name, then organisations that signed but have left.
    `signers` lists the people authorised to sign for each partner (when
    `include_signers`); `may_sign` says whether `viewer` may sign for it now.
    """
    partnership = version.partnership
    partners = partner_organisations(partnership)
    signatures = {
        s.organisation_id: s
        for s in AgreementSignature.objects.filter(version=version).select_related(
            "organisation", "signed_by"
        )
    }
    rows = [PartnerSignature(o, signatures.pop(o.pk, None)) for o in partners]
    former = sorted(signatures.values(), key=lambda s: s.organisation.name)
    rows += [PartnerSignature(s.organisation, s, is_partner=False) for s in former]
    if include_signers:
        by_organisation: dict[int, list[Person]] = {}
        memberships = Membership.objects.filter(
            partnership=partnership,
            role__in=SIGNING_ROLES,
            person__is_active=True,
            person__organisation_id__in=[o.pk for o in partners],
        ).select_related("person")
        for membership in memberships.order_by("person__first_name", "person__last_name"):
            by_organisation.setdefault(membership.person.organisation_id, []).append(
                membership.person
            )
        for row in rows:
            row.signers = by_organisation.get(row.organisation.pk, [])
    if viewer is not None and is_signable(version, open_exists=open_exists):
        for row in rows:
            row.may_sign = (
                row.is_partner
                and not row.signed
                and policy.can_sign_agreement(viewer, partnership, row.organisation)
            )
    return rows


def agreement_status(partnership: Partnership) -> dict[str, Any]:
    """Whether the agreement is adopted and signed by every current partner.

    {"adopted": bool, "signed_by_all_current_partners": bool, "missing": [Organisation],
    "version": AgreementVersion | None}. A partner that joined after adoption and has not
    signed the adopted version is missing.
    """
    adopted = current_agreement(partnership)
    partners = partner_organisations(partnership)
    if adopted is None:
        return {
            "adopted": False,
            "signed_by_all_current_partners": False,
            "missing": partners,
            "version": None,
        }
    signed = set(adopted.signatures.order_by().values_list("organisation_id", flat=True))
    missing = [o for o in partners if o.pk not in signed]
    return {
        "adopted": True,
        "signed_by_all_current_partners": not missing,
        "missing": missing,
        "version": adopted,
    }


# Diffs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DiffLine:
    op: str  # "+" added, "-" removed, " " unchanged, "@" position marker
    text: str

    @property
    def css(self) -> str:
        return {"+": "add", "-": "del", "@": "hunk"}.get(self.op, "same")

    def __str__(self) -> str:
        return self.text if self.op == "@" else f"{self.op}{self.text}"


@dataclass(frozen=True)
class RuleChange:
    field: str
    label: str
    before: Any
    after: Any
    before_display: str
    after_display: str


@dataclass(frozen=True)
class AgreementDiff:
    a: AgreementVersion
    b: AgreementVersion
    lines: list[DiffLine]
    rules: list[RuleChange]

    @property
    def text_changed(self) -> bool:
        return any(line.op in "+-" for line in self.lines)

    @property
    def unified(self) -> list[str]:
        return [str(line) for line in self.lines]


def rule_display(version: AgreementVersion, name: str) -> str:
    """A governance rule's value as people read it."""
    value = getattr(version, name)
    if name == "decision_rule":
        return str(dict(DecisionRule.choices).get(value, value))
    if name == "meeting_cadence":
        return str(dict(MeetingCadence.choices).get(value, value))
    if name == "majority_percent":
        return f"{value}%" if value else "—"
    return value or "—"


def diff(version_a: AgreementVersion, version_b: AgreementVersion) -> AgreementDiff:
    """What changed from `version_a` to `version_b`: text lines and governance rules."""
    lines: list[DiffLine] = []
    raw = difflib.unified_diff(
        version_a.text.splitlines(), version_b.text.splitlines(), lineterm="", n=3
    )
    for line in raw:
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            lines.append(DiffLine("@", line))
        else:
            lines.append(DiffLine(line[:1] or " ", line[1:]))
    rules = [
        RuleChange(
            field=name,
            label=str(AgreementVersion._meta.get_field(name).verbose_name),
            before=getattr(version_a, name),
            after=getattr(version_b, name),
            before_display=rule_display(version_a, name),
            after_display=rule_display(version_b, name),
        )
        for name in RULE_FIELDS
        if getattr(version_a, name) != getattr(version_b, name)
    ]
    return AgreementDiff(a=version_a, b=version_b, lines=lines, rules=rules)


def governance_rules(version: AgreementVersion) -> list[tuple[str, str]]:
    """(label, value) of each governance rule, for a definition list."""
    rules = []
    for name in RULE_FIELDS:
        if name == "majority_percent" and version.decision_rule != DecisionRule.QUALIFIED_MAJORITY:
            continue
        label = str(AgreementVersion._meta.get_field(name).verbose_name)
        rules.append((label[:1].upper() + label[1:], rule_display(version, name)))
    return rules


# The agreement page -----------------------------------------------------------------------


@dataclass
class AgreementOverview:
    versions: list[AgreementVersion]
    adopted: AgreementVersion | None
    open: AgreementVersion | None
    draft: AgreementVersion | None
    open_status: list[PartnerSignature]
    adopted_status: list[PartnerSignature]

    @property
    def adopted_complete(self) -> bool:
        """Every current partner signed the adopted version (nobody still needs to sign)."""
        return all(row.signed for row in self.adopted_status if row.is_partner)

    @property
    def open_complete(self) -> bool:
        """Every current partner signed the open version (it waits only if a partner left)."""
        partners = [row for row in self.open_status if row.is_partner]
        return bool(partners) and all(row.signed for row in partners)


def overview(partnership: Partnership, viewer: User) -> AgreementOverview:
    """Everything the agreement page shows to `viewer`, in a fixed number of queries."""
    include_signers = policy.can_see_agreement_drafts(viewer, partnership)
    versions = list(versions_of(partnership, include_drafts=include_signers))
    for version in versions:
        version.partnership = partnership
    adopted = next((v for v in versions if v.status == AgreementStatus.ADOPTED), None)
    open_ = next((v for v in versions if v.status == AgreementStatus.OPEN), None)
    draft = next((v for v in versions if v.status == AgreementStatus.DRAFT), None)
    for index, version in enumerate(versions):
        version.previous_number = versions[index + 1].number if index + 1 < len(versions) else None
    common = {"viewer": viewer, "include_signers": include_signers, "open_exists": bool(open_)}
    return AgreementOverview(
        versions=versions,
        adopted=adopted,
        open=open_,
        draft=draft,
        open_status=signature_status(open_, **common) if open_ else [],
        adopted_status=signature_status(adopted, **common) if adopted else [],
    )
