"""Fixtures shared by the partnership tests."""

from __future__ import annotations

from typing import Any

from sinergi.partnerships import services
from tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    PartnershipFactory,
    PersonFactory,
)


def private_partnership() -> dict[str, Any]:
    """A private partnership with a coordinator, a partner (UNICEF) and an observer from it."""
    partnership = PartnershipFactory(title="Clean water", visibility="private")
    coordinator = PersonFactory(first_name="Sari", last_name="Dewi")
    MembershipFactory(partnership=partnership, person=coordinator, role="coordinator")
    unicef = OrganisationFactory(name="UNICEF Indonesia", acronym="UNICEF")
    services.add_partner(actor=coordinator, partnership=partnership, organisation=unicef, role="1")
    observer = PersonFactory(first_name="Budi", last_name="Santoso", organisation=unicef)
    membership = services.grant_membership(
        actor=coordinator, partnership=partnership, person=observer, role="observer"
    )
    return {
        "partnership": partnership,
        "url": f"/en/partnerships/{partnership.slug}/",
        "coordinator": coordinator,
        "observer": observer,
        "membership": membership,
        "unicef": unicef,
    }
