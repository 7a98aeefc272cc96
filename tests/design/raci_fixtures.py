"""A partnership with three partners and a coordinator, for the RACI tests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sinergi.ledger.models import Entry
from sinergi.partners.models import Organisation, Person
from sinergi.partnerships.models import Partnership, WorkPackage
from sinergi.partnerships.raci import services
from tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    ParticipationFactory,
    PartnershipFactory,
    PersonFactory,
)


@dataclass
class RaciSetup:
    partnership: Partnership
    coordinator: Person
    kemenkes: Organisation
    bio_farma: Organisation
    ugm: Organisation


def raci_setup(visibility: str = "private", suffix: str = "") -> RaciSetup:
    """Given a partnership with Kemenkes, Bio Farma and UGM, and its coordinator."""
    partnership = PartnershipFactory(visibility=visibility)
    kemenkes = OrganisationFactory(
        name="Ministry of Health", acronym="Kemenkes", slug=f"kemenkes{suffix}", org_type="10"
    )
    bio_farma = OrganisationFactory(
        name="PT Bio Farma", acronym="Bio Farma", slug=f"bio-farma{suffix}", org_type="72"
    )
    ugm = OrganisationFactory(
        name="Universitas Gadjah Mada", acronym="UGM", slug=f"ugm{suffix}", org_type="80"
    )
    ParticipationFactory(partnership=partnership, organisation=kemenkes, role="2")
    ParticipationFactory(partnership=partnership, organisation=bio_farma, role="4")
    ParticipationFactory(partnership=partnership, organisation=bio_farma, role="1")
    ParticipationFactory(partnership=partnership, organisation=ugm, role="4")
    coordinator = PersonFactory(organisation=kemenkes)
    MembershipFactory(partnership=partnership, person=coordinator, role="coordinator")
    return RaciSetup(partnership, coordinator, kemenkes, bio_farma, ugm)


def add_wp(setup: RaciSetup, code: str, title: str = "", **fields: Any) -> WorkPackage:
    return services.create_work_package(
        actor=setup.coordinator,
        partnership=setup.partnership,
        code=code,
        title=title or f"Work package {code}",
        **fields,
    )


def ledger(kind: str) -> list[dict[str, Any]]:
    """The payloads of the ledger entries of `kind`, oldest first."""
    return [
        json.loads(bytes(e.body))["payload"]
        for e in Entry.objects.filter(kind=kind).order_by("index")
    ]
