"""Playwright fixtures that drive Debian's Chromium (never a downloaded browser).

Tests here are marked `browser`. Without /usr/bin/chromium they skip with a one-line
reason instead of failing, so the rest of the suite runs anywhere.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connections
from django.test import override_settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SKIP_REASON = "Debian's chromium is not installed: apt-get install chromium"


@pytest.fixture(scope="session", autouse=True)
def _compiled_translations() -> None:
    """Compile stale .mo files when `make test` has not, e.g. for a bare `pytest tests/browser`.

    Leaving override_settings(LOCALE_PATHS=…) drops Django's per-process translation caches.
    """
    stale = [
        po
        for root in settings.LOCALE_PATHS
        for po in Path(root).glob("*/LC_MESSAGES/*.po")
        if not po.with_suffix(".mo").exists()
        or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime
    ]
    if stale:
        call_command("compiletranslations", stdout=io.StringIO())
        with override_settings(LOCALE_PATHS=list(settings.LOCALE_PATHS)):
            pass


@pytest.fixture
def page(live_server, transactional_db, django_db_serialized_rollback) -> Iterator[object]:
    """A fresh English-speaking Chromium tab pointed at the live server.

    The live server needs committed data, so the database is flushed after each test;
    serialized rollback puts back rows that migrations create (e.g. the ledger's head).

    Playwright's sync API keeps an asyncio loop marked as running on this thread while it
    is open. Django then treats the thread as async: it refuses ORM calls unless
    DJANGO_ALLOW_ASYNC_UNSAFE is set, and hands out separate connections. So the browser
    starts only after the database fixtures are set up (request data fixtures such as
    `demo` before `page`), and stops before they are torn down.
    """
    if not CHROMIUM.exists():
        pytest.skip(SKIP_REASON)
    sync_api = pytest.importorskip("playwright.sync_api")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            try:
                context = browser.new_context(
                    base_url=live_server.url,
                    locale="en-GB",
                    viewport={"width": 1280, "height": 900},
                )
                context.set_default_timeout(10_000)
                yield context.new_page()
            finally:
                connections.close_all()  # the ones the test body opened in "async" mode
                browser.close()
