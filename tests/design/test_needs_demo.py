"""The matching demo seed: needs for both partnerships and registry organisations worth
recommending, once."""

from __future__ import annotations

import pytest
from django.db import transaction

from sinergi.core.management.commands.demo import ensure_signatories, load_demo
from sinergi.ledger.models import Entry
from sinergi.partners.capabilities import demo as capabilities_demo
from sinergi.partners.matching.queries import assemble_team, need_statuses, recommend
from sinergi.partners.models import Organisation
from sinergi.partnerships.models import CapabilityNeed, Participation, Partnership
from sinergi.partnerships.needs import demo

SLUGS = ("immunisation-indonesia", "sustainable-textiles-indonesia")


@pytest.fixture
def demo_partnerships(db) -> dict[str, Partnership]:
    with transaction.atomic():
        load_demo()
    with transaction.atomic():
        ensure_signatories()
    with transaction.atomic():
        capabilities_demo.seed()
    with transaction.atomic():
        demo.seed()
    return {p.slug: p for p in Partnership.objects.all()}


def test_both_partnerships_get_needs_some_met_by_partners_some_not(demo_partnerships):
    for slug in SLUGS:
        partnership = demo_partnerships[slug]
        statuses = need_statuses(partnership)
        assert len(statuses) >= 5, slug
        assert any(status.covered for status in statuses), slug
        assert any(not status.covered for status in statuses), slug
        added = Entry.objects.filter(partnership_ref=partnership.pk, kind="need.added")
        assert added.count() == len(statuses)


def test_the_new_registry_organisations_are_not_partners_and_have_capabilities(
    demo_partnerships,
):
    new = Organisation.objects.filter(name__in=[row[0] for row in demo.REGISTRY])
    assert new.count() == len(demo.REGISTRY) >= 20
    assert not Participation.objects.filter(organisation__in=new).exists()
    assert all(organisation.capabilities.count() >= 2 for organisation in new)


def test_the_recommendations_are_meaningful(demo_partnerships):
    immunisation = recommend(demo_partnerships["immunisation-indonesia"])
    names = [item.organisation.name for item in immunisation]
    assert "PT Logistik Dingin Maluku" in names[:5]
    assert all(item.explanation.startswith("covers ") for item in immunisation)
    textiles = recommend(demo_partnerships["sustainable-textiles-indonesia"])
    assert textiles[0].organisation.name == "Jaringan Aman Bahan Kimia Indonesia"
    for slug in SLUGS:
        team = assemble_team(demo_partnerships[slug])
        assert team.members and not team.uncoverable, slug


def test_a_second_seed_changes_nothing(demo_partnerships):
    counts = (Organisation.objects.count(), CapabilityNeed.objects.count(), Entry.objects.count())
    with transaction.atomic():
        demo.seed()
    assert (
        Organisation.objects.count(),
        CapabilityNeed.objects.count(),
        Entry.objects.count(),
    ) == counts
