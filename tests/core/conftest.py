"""Fixtures for tests/core: the compiled Indonesian catalogue."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings


def _stale_catalogues() -> list[Path]:
    """.po files under LOCALE_PATHS whose .mo is missing or older than the .po."""
    stale = []
    for root in settings.LOCALE_PATHS:
        for po_path in Path(root).glob("*/LC_MESSAGES/*.po"):
            mo_path = po_path.with_suffix(".mo")
            if not mo_path.exists() or mo_path.stat().st_mtime < po_path.stat().st_mtime:
                stale.append(po_path)
    return stale


@pytest.fixture(scope="session", autouse=True)
def compiled_translations() -> None:
    """Compile the catalogues when `make test` has not (e.g. a bare `pytest tests/core`).

    Django caches each language's translations per process, and tests outside tests/core
    may already have loaded Indonesian without the .mo. So after compiling, the caches are
    dropped: entering and leaving override_settings(LOCALE_PATHS=…) fires setting_changed,
    whose handler in django.test.signals clears them.
    """
    if not _stale_catalogues():
        return
    call_command("compiletranslations", stdout=io.StringIO())
    with override_settings(LOCALE_PATHS=list(settings.LOCALE_PATHS)):
        pass
