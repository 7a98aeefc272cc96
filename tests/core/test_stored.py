"""`stored.reuse`: kept answers shared between processes, separate per database, and a
shared level that fails costs only the reuse."""

from __future__ import annotations

import sys

import pytest
from django.conf import settings
from django.core.cache import caches
from django.test import override_settings

from sinergi.core import stored


class Counter:
    def __init__(self, value: object):
        self.value, self.calls = value, 0

    def __call__(self) -> object:
        self.calls += 1
        return self.value


def test_computed_once_then_reused_from_memory_and_from_the_shared_files():
    compute = Counter({"body": "<p>figures</p>"})
    assert stored.reuse("k:1", compute) == {"body": "<p>figures</p>"}
    assert stored.reuse("k:1", compute) == {"body": "<p>figures</p>"}
    assert compute.calls == 1
    # Another worker process has its own memory but the same files.
    caches["default"].clear()
    assert stored.reuse("k:1", compute) == {"body": "<p>figures</p>"}
    assert compute.calls == 1
    # Another version is another key.
    assert stored.reuse("k:2", Counter("new")) == "new"


def test_clear_empties_both_levels():
    stored.reuse("k:1", Counter("old"))
    stored.clear()
    compute = Counter("again")
    assert stored.reuse("k:1", compute) == "again"
    assert compute.calls == 1


def test_each_database_has_its_own_keys(tmp_path):
    base = settings.CACHES["pages"]
    other = {**base, "LOCATION": base["LOCATION"], "KEY_PREFIX": "another-database"}
    stored.reuse("k:1", Counter("from this database"))
    caches["default"].clear()
    with override_settings(CACHES={**settings.CACHES, "pages": other}):
        assert stored.reuse("k:1", Counter("from the other")) == "from the other"
    caches["default"].clear()
    assert stored.reuse("k:1", Counter("not used")) == "from this database"
    assert base["KEY_PREFIX"] and base["KEY_PREFIX"] != "another-database"


def test_a_shared_level_that_cannot_be_written_still_serves(tmp_path, caplog):
    blocked = tmp_path / "a-file-not-a-directory"
    blocked.write_text("")
    broken = {**settings.CACHES["pages"], "LOCATION": str(blocked / "pages")}
    with override_settings(CACHES={**settings.CACHES, "pages": broken}):
        compute = Counter("served")
        assert stored.reuse("k:1", compute) == "served"
        assert "cannot keep" in caplog.text
        assert stored.reuse("k:1", compute) == "served"  # from memory
        assert compute.calls == 1


def test_an_unreadable_kept_file_is_computed_afresh(caplog):
    stored.reuse("k:1", Counter("kept"))
    shared = caches["pages"]
    path = shared._key_to_file("k:1")
    with open(path, "r+b") as file:  # keep the expiry, garble the pickled value
        head = file.read(40)
        file.seek(0)
        file.write(head[:12] + b"\x00" * 28)
    caches["default"].clear()
    compute = Counter("recomputed")
    assert stored.reuse("k:1", compute) == "recomputed"
    assert compute.calls == 1


@pytest.mark.parametrize("draws", [[0], [1, 5, 0]])
def test_culling_is_checked_on_some_writes_only(monkeypatch, draws):
    shared = caches["pages"]
    checked = []
    monkeypatch.setattr(
        "django.core.cache.backends.filebased.FileBasedCache._cull",
        lambda self: checked.append(True),
    )
    sequence = iter(draws)
    monkeypatch.setattr(stored.random, "randrange", lambda n: next(sequence))
    for n in range(len(draws)):
        shared.set(f"c:{n}", n)
    assert checked == [True]


class Gone:
    """Stands for a class a newer release removed: its pickles no longer load."""


def test_a_kept_file_from_older_code_is_removed_and_computed_afresh(monkeypatch):
    stored.reuse("k:old", Counter(Gone()))
    caches["default"].clear()
    monkeypatch.delattr(sys.modules[__name__], "Gone")  # unpickling now raises AttributeError
    compute = Counter("recomputed")
    assert stored.reuse("k:old", compute) == "recomputed"
    assert compute.calls == 1
    caches["default"].clear()
    assert stored.reuse("k:old", Counter("not used")) == "recomputed"


def _expiry(key: str) -> float:
    import pickle

    with open(caches["pages"]._key_to_file(key), "rb") as file:
        return pickle.load(file)  # noqa: S301 - the file this test just wrote


@pytest.mark.parametrize(("seconds", "shared", "expected"), [(60, None, 60), (60, 3600, 3600)])
def test_the_shared_files_expire_as_asked(seconds, shared, expected):
    import time

    stored.reuse("k:t", Counter("x"), seconds, shared_seconds=shared)
    assert abs(_expiry("k:t") - (time.time() + expected)) < 5


def test_the_key_prefix_names_the_code(tmp_path):
    from sinergi.env import code_fingerprint

    (tmp_path / "views.py").write_text("A = 1\n")
    (tmp_path / "notes.md").write_text("not code\n")
    before = code_fingerprint(tmp_path)
    (tmp_path / "notes.md").write_text("still not code, longer\n")
    assert code_fingerprint(tmp_path) == before
    (tmp_path / "page.html").write_text("<p>new</p>\n")
    assert code_fingerprint(tmp_path) != before
    assert settings.CACHES["pages"]["KEY_PREFIX"].endswith(
        code_fingerprint(settings.BASE_DIR / "sinergi")
    )
