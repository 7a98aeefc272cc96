"""update_by_pk writes what save() would, for many rows at once, on either database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from sinergi.core.bulk import CHUNK, update_by_pk
from sinergi.finance.models import Rollup
from tests.factories import PartnershipFactory

pytestmark = pytest.mark.django_db


def test_given_more_rows_than_a_chunk_then_each_gets_its_own_values_and_others_are_untouched():
    partnership = PartnershipFactory()
    rows = Rollup.objects.bulk_create(
        Rollup(
            partnership=partnership,
            month=date(2026, 1, 1),
            transaction_type="4",
            kind="cash",
            provider_id=n,
            amount=Decimal("1.0000"),
            count=1,
        )
        for n in range(CHUNK + 5)
    )
    changed = rows[: CHUNK + 3]
    update_by_pk(
        Rollup,
        ["amount", "count"],
        [(r.pk, Decimal("1234567890.1234") + r.provider_id, r.provider_id + 2) for r in changed],
    )
    found = {r.provider_id: (r.amount, r.count) for r in Rollup.objects.all()}
    for n in range(CHUNK + 3):
        assert found[n] == (Decimal("1234567890.1234") + n, n + 2)
    assert found[CHUNK + 3] == (Decimal("1.0000"), 1)
    assert found[CHUNK + 4] == (Decimal("1.0000"), 1)


def test_given_no_rows_then_nothing_happens():
    update_by_pk(Rollup, ["amount"], [])
    assert not Rollup.objects.exists()
