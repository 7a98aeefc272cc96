"""The agreement demo seed: both demo partnerships have an adopted agreement signed by every
partner; the immunisation partnership also has version 2 open with two signatures."""

from __future__ import annotations

import pytest
from django.db import transaction

from sinergi.core.management.commands.demo import ensure_signatories, load_demo
from sinergi.ledger.models import Entry
from sinergi.partnerships.agreements import demo, queries
from sinergi.partnerships.models import AgreementSignature, AgreementVersion, Partnership


@pytest.fixture
def demo_partnerships(db) -> dict[str, Partnership]:
    with transaction.atomic():
        load_demo()
    with transaction.atomic():
        ensure_signatories()
    return {p.slug: p for p in Partnership.objects.all()}


def test_the_seed_adopts_an_agreement_for_both_partnerships_once(demo_partnerships):
    with transaction.atomic():
        demo.seed()

    for slug in ("immunisation-indonesia", "sustainable-textiles-indonesia"):
        state = queries.agreement_status(demo_partnerships[slug])
        assert state["adopted"], slug
        assert state["signed_by_all_current_partners"], (slug, state["missing"])
        assert state["version"].number == 1

    textiles = queries.current_agreement(demo_partnerships["sustainable-textiles-indonesia"])
    assert textiles.decision_rule == "consensus"
    immunisation = demo_partnerships["immunisation-indonesia"]
    adopted = queries.current_agreement(immunisation)
    assert (adopted.decision_rule, adopted.majority_percent) == ("qualified_majority", 67)
    assert adopted.meeting_cadence == "quarterly"

    v2 = queries.open_version(immunisation)
    assert v2.number == 2
    assert sorted(v2.signatures.values_list("signed_by__username", flat=True)) == [
        "maria",
        "sari",
    ]
    changes = queries.diff(adopted, v2)
    assert [c.field for c in changes.rules] == ["joining"]
    assert "+## 6. Data" in changes.unified

    counts = (AgreementVersion.objects.count(), AgreementSignature.objects.count())
    entries = Entry.objects.filter(kind__startswith="agreement.").count()
    assert counts == (3, 6 + 6 + 2)
    with transaction.atomic():
        demo.seed()
    assert (AgreementVersion.objects.count(), AgreementSignature.objects.count()) == counts
    assert Entry.objects.filter(kind__startswith="agreement.").count() == entries
