"""A SINERGI_PAGES_DIR that cannot be used (a file in its place, a read-only mount) is a
system-check warning, and the site runs with its pages kept in memory only; it was an
OSError traceback from every command, `sinergi serve` included."""

from __future__ import annotations

import pytest
from django.core.cache import caches
from django.test import Client

from sinergi.core import stored
from tests.core.test_settings import run_django


@pytest.mark.parametrize("where", ["a file", "under a file"])
def test_commands_run_and_warn_when_the_pages_dir_cannot_be_made(tmp_path, where) -> None:
    blocker = tmp_path / "pages"
    blocker.write_text("not a directory")
    pages = blocker if where == "a file" else blocker / "inside"

    result = run_django(["check"], tmp_path, SINERGI_PAGES_DIR=str(pages))

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "(sinergi.W001)" in result.stderr
    assert f"The kept pages' directory {pages} cannot be used" in result.stderr
    assert "SINERGI_PAGES_DIR" in result.stderr


def test_pages_are_still_served_without_the_shared_directory(db, settings, tmp_path) -> None:
    blocker = tmp_path / "pages"
    blocker.write_text("not a directory")
    settings.CACHES = {
        **settings.CACHES,
        "pages": {**settings.CACHES["pages"], "LOCATION": str(blocker)},
    }
    assert caches["pages"].problem is not None
    caches["default"].clear()

    first = Client().get("/en/partnerships/")
    second = Client().get("/en/partnerships/")

    assert first.status_code == second.status_code == 200
    assert stored.reuse("a-key", lambda: 41) == 41
    assert stored.reuse("a-key", lambda: 42) == 41  # kept in memory
