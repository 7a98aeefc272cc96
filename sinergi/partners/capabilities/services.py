"""Record an organisation's comparative advantages, keeping the matching index in step.

Every write here rewrites the capability's rows in `CapabilityCoverage` (the
partner-matching index) in the same transaction, so the index always equals
`CapabilityCoverage.rows_for(capability, organisation.org_type)` for every capability.
The registry is not partnership governance, so nothing goes on the ledger.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from sinergi.access import policy
from sinergi.partners.models import Capability, CapabilityCoverage, Organisation, Person

CAPABILITY_FIELDS = (
    "kind",
    "sector_vocabulary",
    "sector_code",
    "regions",
    "description",
    "evidence",
)
REBUILD_BATCH = 2000


def _as_list(regions: Iterable[str] | None) -> Any:
    # A lone string stays a string, so that validation says "give a list".
    if regions is None:
        return []
    return list(regions) if isinstance(regions, (list, tuple)) else regions


def _tidy(capability: Capability) -> None:
    """Trim codes and drop repeated regions, so the index holds one row per region."""
    capability.sector_vocabulary = (capability.sector_vocabulary or "").strip()
    capability.sector_code = (capability.sector_code or "").strip()
    regions = capability.regions
    if isinstance(regions, list) and all(isinstance(code, str) for code in regions):
        capability.regions = list(dict.fromkeys(code.strip().upper() for code in regions))


def _locked_org_type(organisation: Organisation) -> str:
    """The organisation's current type, its row locked until the transaction ends.

    The lock orders capability writes after a concurrent change of the organisation's
    type (and that change's coverage update after ours), so no index row keeps a stale type.
    """
    return (
        Organisation.objects.select_for_update(no_key=True, of=("self",))
        .values_list("org_type", flat=True)
        .get(pk=organisation.pk)
    )


def _write_coverage(capability: Capability, org_type: str) -> None:
    """Replace the index rows of one capability. Call inside the capability's transaction."""
    CapabilityCoverage.objects.filter(capability=capability).delete()
    CapabilityCoverage.objects.bulk_create(CapabilityCoverage.rows_for(capability, org_type))


def add_capability(
    *,
    actor: Person,
    organisation: Organisation,
    kind: str,
    sector_vocabulary: str = "",
    sector_code: str = "",
    regions: Iterable[str] | None = None,
    description: str = "",
    evidence: str = "",
) -> Capability:
    """Record a comparative advantage of `organisation`; only its admins and staff may."""
    if not policy.can_edit_capabilities(actor, organisation):
        raise PermissionDenied
    capability = Capability(
        organisation=organisation,
        kind=kind,
        sector_vocabulary=sector_vocabulary,
        sector_code=sector_code,
        regions=_as_list(regions),
        description=description,
        evidence=evidence,
    )
    _tidy(capability)
    capability.full_clean()
    with transaction.atomic():
        org_type = _locked_org_type(organisation)
        capability.save()
        _write_coverage(capability, org_type)
    return capability


def update_capability(*, actor: Person, capability: Capability, **fields: Any) -> Capability:
    """Change some of `fields` (kind, sector_vocabulary, sector_code, regions, description,
    evidence) of a capability; only its organisation's admins and staff may."""
    if not policy.can_edit_capabilities(actor, capability.organisation):
        raise PermissionDenied
    unknown = set(fields) - set(CAPABILITY_FIELDS)
    if unknown:
        raise TypeError(f"unknown capability fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(capability, name, _as_list(value) if name == "regions" else value)
    _tidy(capability)
    capability.full_clean()
    with transaction.atomic():
        org_type = _locked_org_type(capability.organisation)
        capability.save()
        _write_coverage(capability, org_type)
    return capability


def delete_capability(*, actor: Person, capability: Capability) -> None:
    """Remove a capability with its index rows and its links to partnership contributions."""
    if not policy.can_edit_capabilities(actor, capability.organisation):
        raise PermissionDenied
    with transaction.atomic():
        CapabilityCoverage.objects.filter(capability=capability).delete()
        capability.delete()  # also drops the Participation.capabilities links


def follow_org_type(organisation: Organisation) -> int:
    """Give the organisation's index rows its current type; returns the rows changed.

    Called by the organisation services inside the transaction that saves the organisation.
    """
    return (
        CapabilityCoverage.objects.filter(organisation=organisation)
        .exclude(org_type=organisation.org_type)
        .update(org_type=organisation.org_type)
    )


def rebuild_coverage() -> int:
    """Rebuild the whole matching index from the capabilities; returns the rows written.

    For repairs, bulk loads and the demo. Runs in one transaction, in batches, so memory
    stays flat however many capabilities there are.
    """
    rows = (
        Capability.objects.order_by("pk")
        .values_list(
            "pk",
            "organisation_id",
            "organisation__org_type",
            "kind",
            "sector_vocabulary",
            "sector_code",
            "regions",
        )
        .iterator(chunk_size=REBUILD_BATCH)
    )
    written = 0
    batch: list[CapabilityCoverage] = []
    with transaction.atomic():
        CapabilityCoverage.objects.all().delete()
        for pk, organisation_id, org_type, kind, vocabulary, code, regions in rows:
            capability = Capability(
                pk=pk,
                organisation_id=organisation_id,
                kind=kind,
                sector_vocabulary=vocabulary,
                sector_code=code,
                regions=regions,
            )
            batch.extend(CapabilityCoverage.rows_for(capability, org_type))
            if len(batch) >= REBUILD_BATCH:
                CapabilityCoverage.objects.bulk_create(batch)
                written += len(batch)
                batch = []
        CapabilityCoverage.objects.bulk_create(batch)
        written += len(batch)
    return written
