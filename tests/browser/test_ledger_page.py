"""The ledger's verification page in a browser: its copy buttons copy each command as
the page shows it, and the page fits a phone (390 px) in English and Indonesian."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from sinergi.ledger import checkpoints, notes
from sinergi.ledger.models import Head, Witness
from tests.factories import PartnershipFactory
from tests.ledger import support

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def log(transactional_db, settings, tmp_path) -> Iterator[None]:
    """Two public entries and a private partnership's, a checkpoint over them, and a
    registered witness; signed with a key made for this test."""
    settings.SINERGI_LEDGER_KEY = str(tmp_path / "ledger.key")
    checkpoints._signer_for.cache_clear()
    Head.objects.get_or_create(pk=1, defaults={"size": 0, "frontier": b""})
    support.append_events(2)
    support.append_events(1, partnership=PartnershipFactory(visibility="private"), first=2)
    checkpoints.issue_checkpoint()
    witness = notes.generate_signer("witness.ugm.example/sinergi", notes.ALG_COSIGNATURE_V1)
    Witness.objects.create(name=witness.name, vkey=witness.vkey())
    yield
    checkpoints._signer_for.cache_clear()


def test_each_copy_button_copies_its_command_as_the_page_shows_it(log, page, live_server):
    """Given the page for a private partnership's entry, when each block's Copy button is
    pressed, then the clipboard holds exactly the block's text (the text the live tests
    run), which bash parses, and the status beside the button says "Copied"."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.goto("/en/ledger/?index=2")
    blocks = support.page_commands(page.content())
    buttons = page.get_by_role("button", name="Copy", exact=True)

    expect(buttons).to_have_count(len(blocks))
    assert len(blocks) == 13
    for name, text in blocks.items():
        row = page.locator(f"#{name} + .copy-row")
        row.get_by_role("button", name="Copy").click()
        expect(row.get_by_role("status")).to_have_text("Copied")
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied == text, name
        assert copied == page.locator(f"#{name}").inner_text(), name
        done = subprocess.run(["bash", "-n", "-c", copied], capture_output=True, text=True)
        assert done.returncode == 0, (name, done.stderr)
    assert 'Authorization: Bearer $SINERGI_TOKEN"' in blocks["cmd-receipt"]
    assert errors == []


def test_a_copy_button_is_labelled_and_answers_in_indonesian(log, page, live_server):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.goto("/id/ledger/")
    row = page.locator("#cmd-fetch + .copy-row")
    button = row.get_by_role("button", name="Salin")

    assert button.get_attribute("aria-describedby") == "step-fetch"
    button.focus()
    page.keyboard.press("Enter")
    expect(row.get_by_role("status")).to_have_text("Tersalin")
    assert page.evaluate("navigator.clipboard.readText()").startswith("curl -s ")


@pytest.mark.parametrize(
    "path", ["/en/ledger/", "/id/ledger/", "/en/ledger/?index=2", "/id/ledger/?index=x"]
)
def test_the_page_fits_a_phone(log, page, path, tmp_path):
    """Given a 390 px wide screen, then the page does not scroll sideways as a whole, no
    command or note is cut off or needs scrolling inside its box, and each copy button is
    on screen. (The screenshot is left in the test's temporary directory.)"""
    page.set_viewport_size(PHONE)
    page.goto(path)
    page.screenshot(path=str(tmp_path / "phone.png"), full_page=True)

    width = page.evaluate("document.documentElement.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    for pre in page.locator("pre").all():
        assert pre.evaluate("e => e.scrollWidth <= e.clientWidth"), pre.inner_text()[:80]
    for button in page.locator("button.copy").all():
        box = button.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width
    assert Path(tmp_path / "phone.png").stat().st_size > 0
