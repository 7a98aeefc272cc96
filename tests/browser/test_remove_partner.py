"""Removing a partner that still has an open pledge, in a real browser (Debian's Chromium
via Playwright, against a live server): the confirmation says what stays on the record,
and the refusal shows in the partner's row, announced and with the keyboard on it."""

from __future__ import annotations

import re

import pytest

from sinergi.partnerships.models import Participation
from tests.factories import PASSWORD
from tests.finance.conftest import build_funded, usd_pledge

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture
def pledged(transactional_db):
    funded = build_funded()
    usd_pledge(funded)
    return funded


def test_a_partner_with_an_open_pledge_stays_and_the_row_says_why(pledged, page):
    page.goto("/en/accounts/login/")
    page.get_by_label("Username").fill(pledged.coordinator.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    participation = Participation.objects.get(
        partnership=pledged.partnership, organisation=pledged.funder
    )

    page.goto(f"/en/partnerships/{pledged.partnership.slug}/partners/")
    row = page.locator(f"#participation-{participation.pk}")
    asked: list[str] = []

    def accept(dialog) -> None:
        asked.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    remove = row.get_by_role("button", name=re.compile(r"^Remove"))
    remove.click()

    alert = row.get_by_role("alert")
    expect(alert).to_have_text(re.compile(r"Yayasan Dana Sehat has 1 open pledge"))
    assert "stay on the record" in asked[0]
    expect(row.get_by_role("button", name=re.compile(r"^Remove"))).to_be_focused()
    expect(page.locator("tr[id^=participation-]")).to_have_count(3)
    assert Participation.objects.filter(pk=participation.pk).exists()
