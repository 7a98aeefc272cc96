"""Shared set-up for the expectations tests (no tests here): a partnership with a ministry,
a company and an NGO as partners, and a person in every relation to it."""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.test import Client

from sinergi.ledger.models import Entry
from sinergi.partners.models import Capability, Organisation, Person
from sinergi.partnerships.models import Expectation, Participation, Partnership
from tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    ParticipationFactory,
    PartnershipFactory,
    PersonFactory,
)


@dataclass
class Design:
    partnership: Partnership
    orgs: dict[str, Organisation]
    parts: dict[str, Participation]
    people: dict[str, Person | None]


def capability(organisation: Organisation, kind: str = "finance", **fields) -> Capability:
    """A capability row made directly (its own services belong to the registry)."""
    return Capability.objects.create(organisation=organisation, kind=kind, **fields)


def expectation(participation: Participation, topic: str, horizon: str, importance: int = 3):
    return Expectation.objects.create(
        participation=participation, topic=topic, horizon=horizon, importance=importance
    )


def build_design(visibility: str = "private") -> Design:
    """Given a partnership with a ministry (accountable), a company and an NGO (implementing)."""
    partnership = PartnershipFactory(visibility=visibility)
    orgs = {
        "ministry": OrganisationFactory(name="Ministry of Planning", org_type="10"),
        "company": OrganisationFactory(name="Acme Garments", org_type="70"),
        "ngo": OrganisationFactory(name="Fair Wages Foundation", org_type="22"),
    }
    parts = {
        "ministry": ParticipationFactory(
            partnership=partnership, organisation=orgs["ministry"], role="2", contribution="Policy"
        ),
        "company": ParticipationFactory(
            partnership=partnership, organisation=orgs["company"], role="4", contribution="Lines"
        ),
        "ngo": ParticipationFactory(
            partnership=partnership, organisation=orgs["ngo"], role="4", contribution="Studies"
        ),
    }
    people: dict[str, Person | None] = {"anonymous": None}
    for role, org in [
        ("coordinator", "ministry"),
        ("partner_admin", "company"),
        ("ngo_admin", "ngo"),
        ("member", "company"),
        ("observer", "company"),
    ]:
        person = PersonFactory(organisation=orgs[org])
        MembershipFactory(
            partnership=partnership,
            person=person,
            role="partner_admin" if role == "ngo_admin" else role,
        )
        people[role] = person
    people["outsider"] = PersonFactory()
    people["staff"] = PersonFactory(is_staff=True)
    return Design(partnership=partnership, orgs=orgs, parts=parts, people=people)


def client_for(person: Person | None) -> Client:
    client = Client()
    if person is not None:
        client.force_login(person)
    return client


def ledger(kind: str) -> list[dict]:
    """The payloads of the ledger entries of `kind`, oldest first."""
    entries = Entry.objects.filter(kind=kind).order_by("index")
    return [json.loads(bytes(e.body))["payload"] for e in entries]
