"""Capabilities with their matching-index rows, and needs, for the matching tests.

Capabilities are created straight through the models and `CapabilityCoverage.rows_for`
(the builder the capability services use), so these tests do not depend on them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from sinergi.ledger.models import Entry
from sinergi.partners.models import Capability, CapabilityCoverage, Organisation
from sinergi.partnerships.models import CapabilityNeed, Partnership
from tests.factories import OrganisationFactory


def _sector(sector: str) -> tuple[str, str]:
    """ "2:121" → ("2", "121"); "" → ("", "")."""
    vocabulary, _sep, code = sector.partition(":")
    return (vocabulary, code) if code else ("", "")


def capability(
    organisation: Organisation, kind: str, sector: str = "", regions: Iterable[str] = ()
) -> Capability:
    vocabulary, code = _sector(sector)
    made = Capability.objects.create(
        organisation=organisation,
        kind=kind,
        sector_vocabulary=vocabulary,
        sector_code=code,
        regions=list(regions),
    )
    CapabilityCoverage.objects.bulk_create(CapabilityCoverage.rows_for(made, organisation.org_type))
    return made


def organisation(name: str, org_type: str = "22", **fields: object) -> Organisation:
    return OrganisationFactory(name=name, org_type=org_type, **fields)


def need(
    partnership: Partnership,
    kind: str,
    sector: str = "",
    regions: Iterable[str] = (),
    weight: int = 3,
    note: str = "",
) -> CapabilityNeed:
    vocabulary, code = _sector(sector)
    return CapabilityNeed.objects.create(
        partnership=partnership,
        kind=kind,
        sector_vocabulary=vocabulary,
        sector_code=code,
        regions=list(regions),
        weight=weight,
        note=note,
    )


def entries(partnership: Partnership, kind: str) -> list[dict]:
    rows = Entry.objects.filter(partnership_ref=partnership.pk, kind=kind).order_by("index")
    return [json.loads(bytes(row.body))["payload"] for row in rows]
