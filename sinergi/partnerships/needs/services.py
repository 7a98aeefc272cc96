"""Operations on the capabilities a partnership needs: add, change and remove them.

Each takes the acting person first, needs Action.EDIT on the partnership (coordinators
and staff), validates, and writes together with its ledger entry in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from sinergi.access import policy
from sinergi.access.policy import Action
from sinergi.ledger.log import append as record
from sinergi.ledger.log import hold_row
from sinergi.partners.models import Person
from sinergi.partnerships.models import CapabilityNeed, Partnership

NEED_FIELDS = ("kind", "sector_vocabulary", "sector_code", "regions", "weight", "note")


def _check_fields(fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(NEED_FIELDS)
    if unknown:
        raise TypeError(f"unknown need fields: {sorted(unknown)}")


def _as_list(regions: Iterable[str] | None) -> Any:
    # A lone string stays a string, so that validation says "give a list".
    if regions is None:
        return []
    return list(regions) if isinstance(regions, list | tuple) else regions


def _tidy(need: CapabilityNeed) -> None:
    """Trim codes, upper-case regions and drop repeats; no sector code means any sector."""
    need.kind = (need.kind or "").strip()
    need.sector_code = (need.sector_code or "").strip()
    need.sector_vocabulary = (need.sector_vocabulary or "").strip()
    if not need.sector_code:
        need.sector_vocabulary = ""
    need.note = (need.note or "").strip()
    regions = need.regions
    if isinstance(regions, list) and all(isinstance(code, str) for code in regions):
        need.regions = list(dict.fromkeys(code.strip().upper() for code in regions if code.strip()))


def _validate(need: CapabilityNeed) -> None:
    need.full_clean(exclude=["partnership"])


def need_payload(need: CapabilityNeed) -> dict[str, Any]:
    """A need as plain JSON for the ledger."""
    return {
        "need": need.pk,
        "kind": need.kind,
        "sector_vocabulary": need.sector_vocabulary,
        "sector_code": need.sector_code,
        "regions": list(need.regions),
        "weight": need.weight,
        "note": need.note,
    }


def add_need(
    *,
    actor: Person,
    partnership: Partnership,
    kind: str,
    sector_vocabulary: str = "",
    sector_code: str = "",
    regions: Iterable[str] | None = None,
    weight: int = 3,
    note: str = "",
) -> CapabilityNeed:
    """Record a capability the partnership needs (for partner matching)."""
    policy.require(actor, Action.EDIT, partnership)
    need = CapabilityNeed(
        partnership=partnership,
        kind=kind,
        sector_vocabulary=sector_vocabulary,
        sector_code=sector_code,
        regions=_as_list(regions),
        weight=weight,
        note=note,
    )
    _tidy(need)
    _validate(need)
    with transaction.atomic():
        hold_row(partnership)  # Http404 once deleted, not a failed insert at the commit
        need.save()
        record("need.added", need_payload(need), partnership, actor)
    return need


def update_need(*, actor: Person, need: CapabilityNeed, **fields: Any) -> CapabilityNeed:
    """Change some of a need's fields (kind, sector_vocabulary, sector_code, regions,
    weight, note)."""
    partnership = need.partnership
    policy.require(actor, Action.EDIT, partnership)
    _check_fields(fields)
    for name, value in fields.items():
        setattr(need, name, _as_list(value) if name == "regions" else value)
    _tidy(need)
    try:
        _validate(need)  # the request's own mistakes, told before any lock is taken
    except ValidationError:
        need.refresh_from_db()  # leave the caller's instance as it is stored
        raise
    with transaction.atomic():
        hold_row(need)
        before = need_payload(need)
        for name, value in fields.items():
            setattr(need, name, _as_list(value) if name == "regions" else value)
        _tidy(need)
        _validate(need)
        after = need_payload(need)
        changed = {
            name: [before[name], value] for name, value in after.items() if before[name] != value
        }
        need.save(update_fields=NEED_FIELDS)
        if changed:
            record("need.updated", {"need": need.pk, "changed": changed}, partnership, actor)
    return need


def delete_need(*, actor: Person, need: CapabilityNeed) -> None:
    """Remove a need from the partnership."""
    partnership = need.partnership
    policy.require(actor, Action.EDIT, partnership)
    with transaction.atomic():
        hold_row(need)  # logged as it is now; once deleted: Http404, logged once
        record("need.removed", need_payload(need), partnership, actor)
        need.delete()
