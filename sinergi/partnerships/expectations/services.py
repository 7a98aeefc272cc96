"""What each partner commits to bring and what it expects from the partnership.

Every function takes the acting person first, checks the permission policy (a partner's
own admins or the coordinators), validates, and writes together with its ledger entry in
one transaction: partners' commitments and expectations are part of the partnership's
governance record.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from sinergi.access import policy
from sinergi.access.policy import Action
from sinergi.ledger.log import append as record
from sinergi.ledger.log import hold_row
from sinergi.partners.models import Capability, Person
from sinergi.partnerships.models import Expectation, Participation
from sinergi.partnerships.services import commitment_payload, withdraw_confirmation

EXPECTATION_FIELDS = ("topic", "horizon", "importance", "description")
# A commitment draws on a handful of capabilities; the bound keeps the look-up one query.
MAX_CAPABILITIES = 100
# Ids beyond a 64-bit integer cannot exist (and would overflow the database's integer).
MAX_ID = 2**63 - 1


def _require_edit(actor: Person, participation: Participation) -> None:
    """404 when the partnership is hidden from `actor`, 403 when they may not edit this partner."""
    policy.require(actor, Action.VIEW, participation.partnership)
    if not policy.can_edit_participation(actor, participation):
        raise PermissionDenied


def _own_capabilities(
    participation: Participation, capabilities: Iterable[Capability | int]
) -> list[Capability]:
    """The capability rows for `capabilities` (rows or ids); all must be the organisation's own."""
    capabilities = list(capabilities)
    if len(capabilities) > MAX_CAPABILITIES:
        raise ValidationError(
            {
                "capabilities": [
                    _("Link at most %(count)d capabilities.") % {"count": MAX_CAPABILITIES}
                ]
            }
        )
    wanted: list[int] = []
    for item in capabilities:
        pk = item.pk if isinstance(item, Capability) else item
        if not isinstance(pk, int) or isinstance(pk, bool):
            raise ValidationError({"capabilities": [_("Choose capabilities by their number.")]})
        if pk not in wanted:
            wanted.append(pk)
    rows = {
        c.pk: c
        for c in Capability.objects.filter(
            pk__in=[pk for pk in wanted if 0 < pk <= MAX_ID],
            organisation_id=participation.organisation_id,
        )
    }
    foreign = [pk for pk in wanted if pk not in rows]
    if foreign:
        message = _(
            "Only %(organisation)s's own capabilities can be linked; "
            "these are not among them: %(ids)s."
        ) % {
            "organisation": participation.organisation,
            "ids": ", ".join(str(pk) for pk in foreign),
        }
        raise ValidationError({"capabilities": [message]})
    return [rows[pk] for pk in wanted]


def _capability_refs(capabilities: Iterable[Capability]) -> list[dict[str, Any]]:
    return [{"id": c.pk, "kind": c.kind} for c in sorted(capabilities, key=lambda c: c.pk)]


def update_commitment(
    *,
    actor: Person,
    participation: Participation,
    contribution: str | None,
    capabilities: Iterable[Capability | int] | None,
) -> Participation:
    """Set what a partner commits to bring and which of its own capabilities that draws on;
    None keeps either as it is."""
    _require_edit(actor, participation)
    chosen = _own_capabilities(participation, capabilities) if capabilities is not None else None
    if contribution is not None:
        contribution = contribution.strip()
        candidate = copy.copy(participation)
        candidate.contribution = contribution
        candidate.full_clean(exclude=["partnership", "organisation"], validate_unique=False)
    with transaction.atomic():
        # Compared with the participation as it is now (another edit may have landed
        # since the request read it), and locked until this one is written; what is kept
        # is kept as it is now, too.
        hold_row(participation)
        previous_contribution = participation.contribution
        before = set(participation.capabilities.values_list("pk", flat=True))
        if contribution is not None:
            participation.contribution = contribution
        if chosen is None:
            chosen = list(participation.capabilities.all())
        after = {c.pk for c in chosen}
        if participation.contribution == previous_contribution and before == after:
            return participation
        fields = ["contribution"]
        if participation.contribution != previous_contribution:
            fields += withdraw_confirmation(actor, participation)
        participation.save(update_fields=fields)
        participation.capabilities.set(chosen)
        record(
            "participation.commitment_changed",
            {**commitment_payload(participation), "capabilities": _capability_refs(chosen)},
            participation.partnership,
            actor,
        )
    return participation


def _check_importance(value: Any) -> None:
    """A clear field error for an importance outside 1 to 5 (the model's own message is generic)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise ValidationError(
            {"importance": [_("Importance goes from 1 (nice to have) to 5 (essential).")]}
        )


def _expectation_payload(expectation: Expectation) -> dict[str, Any]:
    participation = expectation.participation
    return {
        "organisation": participation.organisation.slug,
        "participation": participation.pk,
        "expectation": expectation.pk,
        "topic": expectation.topic,
        "horizon": expectation.horizon,
        "importance": expectation.importance,
        "description": expectation.description,
    }


def add_expectation(
    *,
    actor: Person,
    participation: Participation,
    topic: str,
    horizon: str,
    importance: int = 3,
    description: str = "",
) -> Expectation:
    """Record something a partner wants from the partnership, on a horizon, with its importance."""
    _require_edit(actor, participation)
    _check_importance(importance)
    expectation = Expectation(
        participation=participation,
        topic=topic,
        horizon=horizon,
        importance=importance,
        description=(description or "").strip(),
    )
    expectation.full_clean()
    with transaction.atomic():
        # The partner as it is now: gone from the partnership meanwhile, it is Http404,
        # not a failed insert at the commit.
        hold_row(participation)
        expectation.save()
        record(
            "expectation.added", _expectation_payload(expectation), participation.partnership, actor
        )
    return expectation


def update_expectation(*, actor: Person, expectation: Expectation, **fields: Any) -> Expectation:
    """Change an expectation's topic, horizon, importance or description."""
    unknown = set(fields) - set(EXPECTATION_FIELDS)
    if unknown:
        raise TypeError(f"unknown expectation fields: {sorted(unknown)}")
    participation = expectation.participation
    _require_edit(actor, participation)
    if "importance" in fields:
        _check_importance(fields["importance"])
    if "description" in fields:
        fields["description"] = (fields["description"] or "").strip()
    # Validate a copy, so a rejected change leaves the caller's row as it was saved.
    candidate = copy.copy(expectation)
    for name, value in fields.items():
        setattr(candidate, name, value)
    candidate.full_clean()
    with transaction.atomic():
        hold_row(expectation)  # as it is now: changed meanwhile, or gone (404)
        changed = {
            name: getattr(candidate, name)
            for name in fields
            if getattr(candidate, name) != getattr(expectation, name)
        }
        if not changed:
            return expectation
        for name, value in changed.items():
            setattr(expectation, name, value)
        expectation.save(update_fields=list(changed))
        payload = _expectation_payload(expectation)
        payload["changed"] = sorted(changed)
        record("expectation.updated", payload, participation.partnership, actor)
    return expectation


def delete_expectation(*, actor: Person, expectation: Expectation) -> None:
    """Take an expectation off a partner's list."""
    participation = expectation.participation
    _require_edit(actor, participation)
    with transaction.atomic():
        hold_row(expectation)  # logged as it is now; once deleted: Http404, logged once
        record(
            "expectation.removed",
            _expectation_payload(expectation),
            participation.partnership,
            actor,
        )
        expectation.delete()
