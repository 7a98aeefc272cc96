"""Shared fixtures: a partnership with one person in every role, and clients for each."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.test import Client

from sinergi.partners.models import Person
from sinergi.partnerships.models import Partnership
from tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    ParticipationFactory,
    PartnershipFactory,
    PersonFactory,
)

ROLES = ("coordinator", "partner_admin", "member", "observer")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "postgresql: needs PostgreSQL (DATABASE_URL=postgres://…); skipped on other databases",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Give every transactional test a serialized rollback; skip tests marked `postgresql`
    when DATABASE_URL points elsewhere (SQLite by default)."""
    from django.conf import settings
    from django.db import connection

    _serialize_every_transactional_test(items)
    engine = settings.DATABASES["default"]["ENGINE"]
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(
        reason=f"needs PostgreSQL (set DATABASE_URL=postgres://…); this run uses "
        f"{engine.rsplit('.', 1)[-1]}"
    )
    for item in items:
        if item.get_closest_marker("postgresql"):
            item.add_marker(skip)


TRANSACTIONAL = {"transactional_db", "live_server"}


def _serialize_every_transactional_test(items: list[pytest.Item]) -> None:
    """A transactional test (one that commits: live server, threads, `transactional_db`)
    ends by flushing the database. Without a serialized rollback, Django's flush then
    runs post_migrate, which creates the content types and permissions again; a later
    test *with* a serialized rollback (the browser tests, the live-server 413 test) loads
    the same rows from its snapshot and fails on their unique keys. So whether the suite
    passed depended on the order of its transactional tests. With every one of them
    serialized, each starts from the migrated database's rows (the ledger's head among
    them) and leaves the database empty for the next, in any order."""
    for item in items:
        names = getattr(item, "fixturenames", None)
        if names is None or "django_db_serialized_rollback" in names:
            continue
        marker = item.get_closest_marker("django_db")
        if TRANSACTIONAL.intersection(names) or (marker and marker.kwargs.get("transaction")):
            names.append("django_db_serialized_rollback")


@pytest.fixture(autouse=True)
def _english_by_default() -> Iterator[None]:
    """Start every test in the default language.

    A request to an /id/ page activates Indonesian for the thread, and Django does not
    switch back after the response; without this, later tests would see Indonesian text.
    """
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    """Start every test with empty caches (in memory and the shared `pages` files):
    rolled-back tests reuse primary keys and ledger indices, so a value kept under one
    test's key could match another's."""
    from sinergi.core import stored

    stored.clear()
    yield


@dataclass
class Cast:
    """One partnership and a person for every way of relating to it."""

    partnership: Partnership
    people: dict[str, Person | None]


def build_cast(visibility: str) -> Cast:
    partnership = PartnershipFactory(visibility=visibility)
    partner_org = OrganisationFactory()
    ParticipationFactory(partnership=partnership, organisation=partner_org, role="4")
    people: dict[str, Person | None] = {"anonymous": None}
    for role in ROLES:
        person = PersonFactory(organisation=partner_org)
        MembershipFactory(partnership=partnership, person=person, role=role)
        people[role] = person
    people["outsider"] = PersonFactory()
    people["staff"] = PersonFactory(is_staff=True)
    return Cast(partnership=partnership, people=people)


@pytest.fixture
def private_cast(db) -> Cast:
    return build_cast("private")


@pytest.fixture
def public_cast(db) -> Cast:
    return build_cast("public")


def client_for(person: Person | None) -> Client:
    client = Client()
    if person is not None:
        client.force_login(person)
    return client
