"""An organisation (YSIA), one of its admins and one capability, for the capability tests."""

from __future__ import annotations

import pytest

from sinergi.partners.capabilities import services
from sinergi.partners.models import Capability, Organisation, Person
from tests.factories import OrganisationFactory, PersonFactory


@pytest.fixture
def organisation(db) -> Organisation:
    return OrganisationFactory(name="Yayasan Sehat", slug="ysia", org_type="22")


@pytest.fixture
def admin(organisation) -> Person:
    return PersonFactory(organisation=organisation, is_organisation_admin=True)


@pytest.fixture
def capability(organisation, admin) -> Capability:
    return services.add_capability(
        actor=admin, organisation=organisation, kind="local_knowledge",
        sector_vocabulary="2", sector_code="122", regions=["ID-NT", "ID-PA"],
        description="Knows the remote villages.", evidence="Field teams since 2012.",
    )  # fmt: skip
