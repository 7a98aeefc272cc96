"""A monitored partnership for the results tests: a framework, two reporting partners,
their people, two coordinators (one enters, the other approves), an observer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

from sinergi.partners.models import Organisation, Person
from sinergi.partnerships.models import Partnership
from sinergi.results import services
from sinergi.results.models import Dimension, Indicator, Period, Result
from tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    ParticipationFactory,
    PartnershipFactory,
    PersonFactory,
)


@dataclass
class Monitored:
    partnership: Partnership
    health: Organisation  # reports the coverage indicator (role 4)
    ngo: Organisation  # reports the training indicator (role 4)
    coordinator: Person
    coordinator_2: Person
    health_admin: Person
    health_member: Person
    ngo_admin: Person
    observer: Person
    outsider: Person
    sex: Dimension
    province: Dimension
    impact: Result
    outcome: Result
    output: Result
    coverage: Indicator  # level, percentage, quarterly, by sex
    trained: Indicator  # cumulative count, quarterly, by sex and province
    q1: Period  # 2025-Q1 for both (quarterly)
    q2: Period


def build_monitored(visibility: str = "private") -> Monitored:
    partnership = PartnershipFactory(
        visibility=visibility, countries=["ID"], start_date=date(2025, 1, 1)
    )
    health = OrganisationFactory(name="Dinas Kesehatan Jawa Barat")
    ngo = OrganisationFactory(name="Lembaga Vaksin Nusantara")
    for organisation in (health, ngo):
        ParticipationFactory(partnership=partnership, organisation=organisation, role="4")

    def member(organisation: Organisation | None, role: str) -> Person:
        person = PersonFactory(organisation=organisation)
        MembershipFactory(partnership=partnership, person=person, role=role)
        return person

    coordinator = member(ngo, "coordinator")
    sex = services.create_dimension(
        actor=coordinator, partnership=partnership, name="Sex", kind="sex"
    )
    province = services.create_dimension(
        actor=coordinator,
        partnership=partnership,
        name="Province",
        kind="subdivision",
        categories=["ID-JB", "ID-JT"],
    )
    impact = services.create_result(
        actor=coordinator,
        partnership=partnership,
        type="3",
        title="Fewer children die of preventable disease",
        sdg_targets=["3.2"],
    )
    outcome = services.create_result(
        actor=coordinator,
        partnership=partnership,
        type="2",
        title="More children fully immunised",
        parent=impact,
        sdg_targets=["3.b"],
    )
    output = services.create_result(
        actor=coordinator,
        partnership=partnership,
        type="1",
        title="Health workers trained",
        parent=outcome,
    )
    coverage = services.create_indicator(
        actor=coordinator,
        partnership=partnership,
        result=outcome,
        code="2.1",
        title="DTP3 coverage",
        measure="2",
        unit="%",
        frequency="quarterly",
        accumulation="level",
        baseline_value=Decimal("70"),
        baseline_date=date(2024, 12, 31),
        responsible=health,
        sdg_indicator="3.b.1",
        dimensions=[sex],
    )
    trained = services.create_indicator(
        actor=coordinator,
        partnership=partnership,
        result=output,
        code="1.1",
        title="Health workers trained",
        measure="1",
        unit="people",
        frequency="quarterly",
        accumulation="cumulative",
        responsible=ngo,
        dimensions=[sex, province],
    )
    services.set_targets(
        actor=coordinator,
        indicator=coverage,
        targets={"2025-Q1": "75", "2025-Q2": "80", "2025-Q3": "85", "2025-Q4": "90"},
    )
    services.set_targets(
        actor=coordinator,
        indicator=trained,
        targets={"2025-Q1": "100", "2025-Q2": "100", "2025-Q3": "100", "2025-Q4": "100"},
    )
    q1 = services.find_period(partnership, "quarterly", "2025-Q1")
    q2 = services.find_period(partnership, "quarterly", "2025-Q2")
    return Monitored(
        partnership=partnership,
        health=health,
        ngo=ngo,
        coordinator=coordinator,
        coordinator_2=member(health, "coordinator"),
        health_admin=member(health, "partner_admin"),
        health_member=member(health, "member"),
        ngo_admin=member(ngo, "partner_admin"),
        observer=member(health, "observer"),
        outsider=PersonFactory(),
        sex=sex,
        province=province,
        impact=impact,
        outcome=outcome,
        output=output,
        coverage=coverage,
        trained=trained,
        q1=q1,
        q2=q2,
    )


def approve(m: Monitored, indicator: Indicator, period: Period, value: str, values=None):
    """The indicator's responsible partner admin enters and submits `value` (with its
    breakdown `values`) for `period`; the first coordinator approves it."""
    author = m.health_admin if indicator == m.coverage else m.ngo_admin
    draft = services.save_draft(
        actor=author, indicator=indicator, period=period, value=value, values=values or {}
    )
    services.submit(actor=author, submission=draft)
    return services.approve(actor=m.coordinator, submission=draft)


def add_qualitative_indicator(m: Monitored) -> Indicator:
    """A qualitative indicator (never scored), 3.1 "Stories of change", on the impact, so it
    counts towards SDG target 3.2 and goal 3; reported by the health office."""
    return services.create_indicator(
        actor=m.coordinator,
        partnership=m.partnership,
        result=m.impact,
        code="3.1",
        title="Stories of change",
        measure="5",
        responsible=m.health,
    )


def add_indicators(m: Monitored, count: int, title: str = "Extra indicator") -> None:
    """`count` more indicators on the output, coded 9.000, 9.001, … and reported by the NGO."""
    for i in range(count):
        services.create_indicator(
            actor=m.coordinator,
            partnership=m.partnership,
            result=m.output,
            code=f"9.{i:03d}",
            title=f"{title} {i:03d}",
            responsible=m.ngo,
        )


@pytest.fixture
def monitored(db) -> Monitored:
    return build_monitored()


@pytest.fixture
def public_monitored(db) -> Monitored:
    return build_monitored("public")
