"""The demo seed: every partner of both demo partnerships states its contribution (linked
to its capabilities) and expectations that show real divergences; a second run adds nothing."""

from __future__ import annotations

import json

import pytest

from sinergi.core.management.commands.demo import ensure_signatories, load_demo
from sinergi.ledger.models import Entry
from sinergi.partners.models import Organisation
from sinergi.partnerships.expectations import demo, queries
from sinergi.partnerships.models import Expectation, Partnership
from tests.design.test_expectations_setup import capability

pytestmark = pytest.mark.django_db

DEMO = ("immunisation-indonesia", "sustainable-textiles-indonesia")


@pytest.fixture
def demo_partnerships():
    load_demo()
    ensure_signatories()
    return {slug: Partnership.objects.get(slug=slug) for slug in DEMO}


def test_the_seed_completes_both_demo_partnerships_and_is_idempotent(demo_partnerships):
    """Given the demo organisations and partnerships (Gavi with its capabilities), when the
    seed runs twice, then every partner is complete, Gavi's contribution is linked to its
    finance capability, and the second run writes nothing."""
    gavi = Organisation.objects.get(slug="gavi")
    finance = capability(gavi, "finance")
    capability(gavi, "policy")  # not what its contribution draws on
    demo.seed()
    entries, expectations = Entry.objects.count(), Expectation.objects.count()
    demo.seed()
    assert (Entry.objects.count(), Expectation.objects.count()) == (entries, expectations)

    for partnership in demo_partnerships.values():
        assert queries.expectations_status(partnership) == {"complete": True, "missing": []}
    immunisation = demo_partnerships["immunisation-indonesia"]
    gavi_part = immunisation.participations.get(organisation=gavi)
    assert list(gavi_part.capabilities.all()) == [finance]
    # Partners without capabilities are left unlinked rather than failing.
    assert not immunisation.participations.get(organisation__slug="ugm").capabilities.exists()


def test_the_demo_expectations_are_entered_by_each_partners_own_admin(demo_partnerships):
    demo.seed()
    actors = {
        (body := json.loads(bytes(e.body)))["payload"]["organisation"]: body["actor"]
        for e in Entry.objects.filter(kind="expectation.added")
    }
    assert actors["bio-farma"] == "budi"
    assert actors["kemenkes"] == "sari"
    assert actors["sandang-lestari"] == "hendra"
    assert actors["serikat-buruh-garmen"] == "rudi"


def test_the_demo_alignment_shows_the_divergences_partners_really_meet(demo_partnerships):
    demo.seed()
    immunisation = queries.alignment(demo_partnerships["immunisation-indonesia"])
    horizon = next(d for d in immunisation.divergences if d.kind == "horizon")
    assert horizon.groups == ["private"]
    assert "multilateral" in horizon.other_groups
    priorities = {d.topic: d for d in immunisation.divergences if d.kind == "priority"}
    assert priorities["market_access"].groups == ["private"]

    textiles = queries.alignment(demo_partnerships["sustainable-textiles-indonesia"])
    horizon = next(d for d in textiles.divergences if d.kind == "horizon")
    assert horizon.groups == ["private"]
    assert set(horizon.other_groups) == {"ngo", "civil_society"}
    priorities = {d.topic: d for d in textiles.divergences if d.kind == "priority"}
    assert set(priorities["social_impact"].groups) == {"ngo", "civil_society"}
    assert "private" in priorities["social_impact"].other_groups
    assert priorities["policy_change"].groups[0] == "government"
    assert not textiles.unrecorded and not immunisation.unrecorded
