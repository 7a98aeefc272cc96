"""A funded partnership for the finance tests: three partners, their admins, a coordinator."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

from sinergi.finance import services
from sinergi.finance.models import BudgetLine
from sinergi.partners.models import Organisation, Person
from sinergi.partnerships.models import Partnership
from tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    ParticipationFactory,
    PartnershipFactory,
    PersonFactory,
)


@dataclass
class Funded:
    """A partnership in IDR with a USD rate, a budget line and people in every finance role."""

    partnership: Partnership
    funder: Organisation  # funding partner (role 1)
    ngo: Organisation  # implementing partner (role 4)
    company: Organisation  # second funder
    coordinator: Person
    funder_admin: Person
    ngo_admin: Person
    ngo_admin_2: Person
    company_admin: Person
    observer: Person
    outsider: Person
    line: BudgetLine


def build_funded(visibility: str = "private") -> Funded:
    partnership = PartnershipFactory(visibility=visibility, base_currency="IDR")
    funder = OrganisationFactory(name="Yayasan Dana Sehat")
    ngo = OrganisationFactory(name="Lembaga Vaksin Nusantara")
    company = OrganisationFactory(name="PT Tekstil Hijau")
    for organisation, role in ((funder, "1"), (ngo, "4"), (company, "1")):
        ParticipationFactory(partnership=partnership, organisation=organisation, role=role)

    def member(organisation: Organisation | None, role: str) -> Person:
        person = PersonFactory(organisation=organisation)
        MembershipFactory(partnership=partnership, person=person, role=role)
        return person

    coordinator = member(ngo, "coordinator")
    line_ = services.create_budget_line(
        actor=coordinator,
        partnership=partnership,
        title="Cold-chain equipment",
        amount=Decimal("1000000000"),
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
    )
    services.set_rate(
        actor=coordinator,
        partnership=partnership,
        currency="USD",
        date=date(2026, 1, 1),
        rate=Decimal("15800"),
        source="Bank Indonesia JISDOR",
    )
    return Funded(
        partnership=partnership,
        funder=funder,
        ngo=ngo,
        company=company,
        coordinator=coordinator,
        funder_admin=member(funder, "partner_admin"),
        ngo_admin=member(ngo, "partner_admin"),
        ngo_admin_2=member(ngo, "partner_admin"),
        company_admin=member(company, "partner_admin"),
        observer=member(funder, "observer"),
        outsider=PersonFactory(),
        line=line_,
    )


def usd_pledge(f: Funded, amount: str = "20000"):
    """The funder pledges `amount` USD for the first half of 2026, pledged on 10 January."""
    return services.record_pledge(
        actor=f.funder_admin,
        partnership=f.partnership,
        organisation=f.funder,
        amount=amount,
        currency="USD",
        pledged_on=date(2026, 1, 10),
        period_start=date(2026, 1, 1),
        period_end=date(2026, 6, 30),
    )


@pytest.fixture
def funded(db) -> Funded:
    return build_funded()


@pytest.fixture
def public_funded(db) -> Funded:
    return build_funded("public")
