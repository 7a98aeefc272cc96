"""The goals demo seed: both demo partnerships get measurable, SDG-linked goals, once."""

from __future__ import annotations

import pytest
from django.db import transaction

from sinergi.core.management.commands.demo import ensure_signatories, load_demo
from sinergi.ledger.models import Entry
from sinergi.partnerships.goals import demo, queries
from sinergi.partnerships.models import Goal, Partnership

SLUGS = ("immunisation-indonesia", "sustainable-textiles-indonesia")


@pytest.fixture
def demo_partnerships(db) -> dict[str, Partnership]:
    with transaction.atomic():
        load_demo()
    with transaction.atomic():
        ensure_signatories()
    return {p.slug: p for p in Partnership.objects.all()}


def test_the_seed_gives_both_partnerships_measurable_goals_owned_by_partners(demo_partnerships):
    with transaction.atomic():
        demo.seed()
    for slug in SLUGS:
        partnership = demo_partnerships[slug]
        goals = list(queries.goals_of(partnership))
        assert len(goals) >= 5, slug
        partners = set(partnership.participations.values_list("organisation_id", flat=True))
        for goal in goals:
            assert goal.is_measurable, goal.title
            assert goal.baseline_value is not None
            assert goal.owner_id in partners, goal.title
            assert goal.sdg_targets, goal.title
        created = Entry.objects.filter(partnership_ref=partnership.pk, kind="goal.created")
        assert created.count() == len(goals)


def test_the_seed_links_the_sdg_targets_the_partnerships_work_on(demo_partnerships):
    with transaction.atomic():
        demo.seed()
    immunisation = queries.sdg_alignment(demo_partnerships["immunisation-indonesia"])
    assert {"3.b", "3.8"} <= {code for entry in immunisation for code in entry.codes}
    textiles = queries.sdg_alignment(demo_partnerships["sustainable-textiles-indonesia"])
    codes = {code for entry in textiles for code in entry.codes}
    assert {"8.5", "8.8", "12.4", "6.3"} <= codes


def test_the_seed_is_idempotent(demo_partnerships):
    with transaction.atomic():
        demo.seed()
    goals, entries = Goal.objects.count(), Entry.objects.count()
    with transaction.atomic():
        demo.seed()
    assert (Goal.objects.count(), Entry.objects.count()) == (goals, entries)


def test_the_seed_does_nothing_without_the_demo_partnerships(db):
    demo.seed()
    assert not Goal.objects.exists()
