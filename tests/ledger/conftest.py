"""Fixtures for the ledger tests: a throw-away signing key and a log ready to append to."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sinergi.ledger import checkpoints
from sinergi.ledger.models import Head


@pytest.fixture
def ledger_key(settings, tmp_path_factory) -> Iterator[Path]:
    """The log signs with a key made for this test only, never the developer's own.

    `checkpoints._signer_for` caches keys by path, so the cache is cleared on the way in
    and out: no test signs with the key of another.
    """
    path = tmp_path_factory.mktemp("ledger-key") / "ledger.key"
    settings.SINERGI_LEDGER_KEY = str(path)
    checkpoints._signer_for.cache_clear()
    yield path
    checkpoints._signer_for.cache_clear()


@pytest.fixture
def ledger(db, ledger_key) -> Path:
    """A database with the log's head row and a per-test signing key; returns the key path.

    The head row comes from a data migration, which a transactional test's flush removes
    (the suite may run such a test before this one), so it is put back when missing.
    """
    Head.objects.get_or_create(pk=1, defaults={"size": 0, "frontier": b""})
    return ledger_key
