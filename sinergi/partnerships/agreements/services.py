"""The partnering agreement: draft a version, open it for signature, sign it, adopt it.

A version is a draft while coordinators write it. Opening it freezes its content and
fixes its `content_hash`: the hex SHA-256 of the RFC 8785 canonical JSON of the content
fields. Each partner organisation's authorised person signs that hash. When every current
partner has signed, the version is adopted and the previously adopted one superseded.
Every step is recorded on the transparency ledger in the same transaction as the change.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sinergi.access import policy
from sinergi.access.policy import Action
from sinergi.core.errors import Conflict
from sinergi.ledger import jcs
from sinergi.ledger.log import append as record
from sinergi.ledger.log import hold, hold_row
from sinergi.partners.models import Organisation, Person
from sinergi.partnerships.models import (
    AgreementSignature,
    AgreementStatus,
    AgreementVersion,
    DecisionRule,
    Partnership,
)

# What a signature covers, in this order in forms, the API and diffs.
CONTENT_FIELDS = (
    "text",
    "decision_rule",
    "majority_percent",
    "meeting_cadence",
    "joining",
    "leaving",
    "dispute_resolution",
    "exit_strategy",
)
TEXT_FIELDS = ("text", "joining", "leaving", "dispute_resolution", "exit_strategy")


def now() -> datetime:
    """The clock for opened_at and adopted_at (the seam tests replace)."""
    return timezone.now()


def content_of(version: AgreementVersion) -> dict[str, Any]:
    """The content fields of `version` as plain JSON values."""
    content = {name: getattr(version, name) for name in CONTENT_FIELDS}
    if content["majority_percent"] is not None:
        content["majority_percent"] = int(content["majority_percent"])
    return content


def content_hash(version: AgreementVersion) -> str:
    """Hex SHA-256 of the RFC 8785 canonical JSON of the version's content fields."""
    return hashlib.sha256(jcs.dumps(content_of(version))).hexdigest()


def _check_fields(fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(CONTENT_FIELDS)
    if unknown:
        raise TypeError(f"unknown agreement fields: {sorted(unknown)}")


def _apply(version: AgreementVersion, fields: dict[str, Any]) -> list[str]:
    """Set `fields` on `version`; return the names of the fields whose value changed."""
    fields = dict(fields)
    for name in TEXT_FIELDS:
        if name in fields and fields[name] is None:
            # No text (JSON null): an empty one, which the model stores (and `text` refuses).
            fields[name] = ""
        if isinstance(fields.get(name), str):
            # Browsers send CRLF, scripts LF: the same text must hash the same.
            fields[name] = fields[name].replace("\r\n", "\n").replace("\r", "\n")
    rule = fields.get("decision_rule", version.decision_rule)
    if "majority_percent" not in fields and rule != DecisionRule.QUALIFIED_MAJORITY:
        # Moving away from a qualified majority drops its percentage.
        fields["majority_percent"] = None
    changed = []
    for name, value in fields.items():
        if getattr(version, name) != value:
            changed.append(name)
        setattr(version, name, value)
    return [name for name in CONTENT_FIELDS if name in changed]


def _lock_version(version: AgreementVersion) -> AgreementVersion:
    """The current row of `version`, locked until the end of the caller's transaction,
    after the ledger's lock (the order every writer takes them in: a partner added or
    removed meanwhile is then seen by whoever reads the partners next)."""
    hold()
    current = AgreementVersion.objects.select_for_update(no_key=True, of=("self",)).get(
        pk=version.pk
    )
    current.partnership = version.partnership  # the same row, and not locked with it
    return current


def create_draft(*, actor: Person, partnership: Partnership, **fields: Any) -> AgreementVersion:
    """Start the next version as a draft; omitted fields start from the latest version.

    There is at most one draft at a time (Conflict otherwise).
    """
    policy.require(actor, Action.EDIT, partnership)
    _check_fields(fields)
    try:
        with transaction.atomic():
            # The partnership row serialises drafting, so two drafts cannot take one number
            # (after the ledger's lock, in the order every writer takes the two); Http404
            # once the partnership is deleted, rather than a failed insert at the commit.
            hold_row(partnership)
            versions = AgreementVersion.objects.filter(partnership=partnership)
            draft = versions.filter(status=AgreementStatus.DRAFT).first()
            if draft is not None:
                raise Conflict(
                    _("Version %(number)s is still a draft: change it rather than start another.")
                    % {"number": draft.number},
                )
            latest = versions.order_by("-number").first()
            version = AgreementVersion(
                partnership=partnership,
                number=latest.number + 1 if latest else 1,
                created_by=actor,
            )
            if latest is not None:
                for name, value in content_of(latest).items():
                    setattr(version, name, value)
            _apply(version, fields)
            version.full_clean()
            version.save()
            record(
                "agreement.drafted",
                {"number": version.number, "from": latest.number if latest else None},
                partnership,
                actor,
            )
    except IntegrityError as exc:
        raise Conflict(_("Someone else started a new version at the same time.")) from exc
    return version


def update_draft(*, actor: Person, version: AgreementVersion, **fields: Any) -> AgreementVersion:
    """Change a draft's text or governance rules; only drafts can change."""
    policy.require(actor, Action.EDIT, version.partnership)
    _check_fields(fields)
    with transaction.atomic():
        current = _lock_version(version)
        if current.status != AgreementStatus.DRAFT:
            raise Conflict(
                _("Version %(number)s is no longer a draft and cannot be changed.")
                % {"number": current.number},
                field="status",
            )
        changed = _apply(current, fields)
        current.full_clean()
        current.save()
        if changed:
            record(
                "agreement.draft_changed",
                {"number": current.number, "fields": changed},
                current.partnership,
                actor,
            )
    return current


def open_for_signature(*, actor: Person, version: AgreementVersion) -> AgreementVersion:
    """Freeze a draft's content, fix its hash and open it for the partners' signatures.

    An older version still open for signature is superseded (its signatures stay as history).
    """
    policy.require(actor, Action.EDIT, version.partnership)
    with transaction.atomic():
        current = _lock_version(version)
        if current.status != AgreementStatus.DRAFT:
            raise Conflict(
                _("Version %(number)s is not a draft: it was opened already.")
                % {"number": current.number},
                field="status",
            )
        current.full_clean()
        current.content_hash = content_hash(current)
        current.status = AgreementStatus.OPEN
        current.opened_at = now()
        current.save(update_fields=["content_hash", "status", "opened_at"])
        older = AgreementVersion.objects.filter(
            partnership_id=current.partnership_id, status=AgreementStatus.OPEN
        ).exclude(pk=current.pk)
        superseded = sorted(older.values_list("number", flat=True))
        older.update(status=AgreementStatus.SUPERSEDED)
        record(
            "agreement.opened",
            {
                "number": current.number,
                "content_hash": current.content_hash,
                "superseded": superseded,
            },
            current.partnership,
            actor,
        )
    return current


def signable_version(partnership: Partnership) -> AgreementVersion | None:
    """The version partners sign now: the open one, else the adopted one (for late joiners)."""
    versions = AgreementVersion.objects.filter(partnership=partnership)
    return (
        versions.filter(status=AgreementStatus.OPEN).order_by("-number").first()
        or versions.filter(status=AgreementStatus.ADOPTED).order_by("-number").first()
    )


def not_signable_reason(version: AgreementVersion) -> str:
    """Why `version` cannot be signed now, naming the version to sign instead if any."""
    if version.status == AgreementStatus.DRAFT:
        return _("Version %(number)s is a draft and not open for signature.") % {
            "number": version.number
        }
    latest = signable_version(version.partnership)
    if latest is not None and latest.pk != version.pk:
        return _("Version %(number)s is no longer open for signature; sign version %(latest)s.") % {
            "number": version.number,
            "latest": latest.number,
        }
    return _("Version %(number)s is no longer open for signature.") % {"number": version.number}


def is_signable(version: AgreementVersion, *, open_exists: bool | None = None) -> bool:
    """Whether `version` takes signatures now: it is open, or it is adopted and no newer
    version is open (a partner that joined after adoption signs the agreement in force).

    `open_exists` saves the query when the caller knows whether a version is open.
    """
    if version.status == AgreementStatus.OPEN:
        return True
    if version.status != AgreementStatus.ADOPTED:
        return False
    if open_exists is None:
        open_exists = AgreementVersion.objects.filter(
            partnership_id=version.partnership_id, status=AgreementStatus.OPEN
        ).exists()
    return not open_exists


def partner_organisation_ids(partnership: Partnership) -> set[int]:
    """The distinct organisations taking part in `partnership` now."""
    return set(
        partnership.participations.order_by().values_list("organisation_id", flat=True).distinct()
    )


def sign(
    *,
    actor: Person,
    version: AgreementVersion,
    organisation: Organisation,
    content_hash: str | None = None,
) -> AgreementSignature:
    """Sign `version` for `organisation`; adopt it when this was the last partner to sign.

    Only the latest open version can be signed (and, when none is open, the adopted one by
    a partner that has not signed it yet). `content_hash`, when given, must be the hash the
    signer was shown, so nobody signs text that changed under them. The version row is
    locked for the whole transaction, so two last signatures cannot both miss adoption.
    """
    partnership = version.partnership
    policy.require(actor, Action.VIEW, partnership)
    if not policy.can_sign_agreement(actor, partnership, organisation):
        raise PermissionDenied
    with transaction.atomic():
        current = _lock_version(version)
        partners = partner_organisation_ids(partnership)
        if organisation.pk not in partners:
            raise ValidationError(
                {"organisation": [_("%(name)s is not a partner.") % {"name": organisation}]}
            )
        if not is_signable(current):
            raise ValidationError({"version": [not_signable_reason(current)]})
        if content_hash is not None and content_hash != current.content_hash:
            raise ValidationError(
                {
                    "content_hash": [
                        _(
                            "The agreement text is not the one you were shown. "
                            "Read version %(number)s again before you sign."
                        )
                        % {"number": current.number}
                    ]
                }
            )
        if current.signatures.filter(organisation=organisation).exists():
            raise Conflict(
                _("%(name)s has already signed version %(number)s.")
                % {"name": organisation, "number": current.number},
                field="organisation",
            )
        try:
            with transaction.atomic():
                signature = AgreementSignature.objects.create(
                    version=current,
                    organisation=organisation,
                    signed_by=actor,
                    content_hash=current.content_hash,
                )
        except IntegrityError as exc:
            raise Conflict(
                _("%(name)s has already signed version %(number)s.")
                % {"name": organisation, "number": current.number},
                field="organisation",
            ) from exc
        record(
            "agreement.signed",
            {
                "number": current.number,
                "organisation": organisation.slug,
                "signed_by": actor.username,
                "content_hash": current.content_hash,
            },
            partnership,
            actor,
        )
        if current.status == AgreementStatus.OPEN:
            _adopt_if_complete(current, partners, actor)
    return signature


def _adopt_if_complete(version: AgreementVersion, partners: set[int], actor: Person) -> bool:
    """Adopt `version` if every partner in `partners` has signed it (caller holds its lock)."""
    signed = set(version.signatures.order_by().values_list("organisation_id", flat=True))
    if not partners or not partners <= signed:
        return False
    previous = AgreementVersion.objects.filter(
        partnership_id=version.partnership_id, status=AgreementStatus.ADOPTED
    )
    superseded = sorted(previous.values_list("number", flat=True))
    previous.update(status=AgreementStatus.SUPERSEDED)
    version.status = AgreementStatus.ADOPTED
    version.adopted_at = now()
    version.save(update_fields=["status", "adopted_at"])
    signatories = sorted(
        Organisation.objects.filter(pk__in=signed & partners).values_list("slug", flat=True)
    )
    record(
        "agreement.adopted",
        {
            "number": version.number,
            "content_hash": version.content_hash,
            "signatories": signatories,
            "superseded": superseded,
        },
        version.partnership,
        actor,
    )
    return True


def adopt(*, actor: Person, version: AgreementVersion) -> AgreementVersion:
    """Adopt an open version that every current partner has signed.

    Signing adopts by itself; this is for when the last missing partner left the
    partnership instead of signing.
    """
    policy.require(actor, Action.EDIT, version.partnership)
    with transaction.atomic():
        current = _lock_version(version)
        if current.status != AgreementStatus.OPEN:
            raise Conflict(
                _("Version %(number)s is not open for signature.") % {"number": current.number},
                field="status",
            )
        if not _adopt_if_complete(current, partner_organisation_ids(current.partnership), actor):
            raise Conflict(
                _("Not every partner has signed version %(number)s yet.")
                % {"number": current.number},
                field="status",
            )
    return current
