"""The finance keys move to a new window every ten minutes (a renamed partner shows)."""

from __future__ import annotations

import pytest

from sinergi.finance import queries
from tests.factories import PartnershipFactory

pytestmark = pytest.mark.django_db


def test_keys_hold_within_a_window_and_move_to_the_next(monkeypatch) -> None:
    first, second = PartnershipFactory(), PartnershipFactory()
    now = 1_800_000_000.0
    monkeypatch.setattr(queries.time, "time", lambda: now)
    keys = {p.pk: queries.fresh_key(p, "overview") for p in (first, second)}
    moved = {}
    for step in range(1, queries.FRESH_SECONDS + 1):
        now = 1_800_000_000.0 + step
        for p in (first, second):
            if p.pk not in moved and queries.fresh_key(p, "overview") != keys[p.pk]:
                moved[p.pk] = step
    # Each key moves once within ten minutes, the two partnerships at different seconds.
    assert set(moved) == {first.pk, second.pk}
    assert moved[first.pk] != moved[second.pk]
    now += queries.FRESH_SECONDS
    assert all(queries.fresh_key(p, "overview") != keys[p.pk] for p in (first, second))
