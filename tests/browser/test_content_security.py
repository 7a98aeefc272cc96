"""The Content-Security-Policy allows scripts only from the site's own files, and every
page still works under it: no page of the demo, signed in or not, breaks a rule."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client

from sinergi.core.management.commands.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect

PARTNERSHIP = "/en/partnerships/immunisation-indonesia/"
PAGES = [
    "/en/",
    "/en/partnerships/",
    PARTNERSHIP,
    PARTNERSHIP + "partners/",
    PARTNERSHIP + "design/",
    PARTNERSHIP + "raci/",
    PARTNERSHIP + "agreement/",
    PARTNERSHIP + "lifecycle/",
    PARTNERSHIP + "members/",
    PARTNERSHIP + "finance/",
    PARTNERSHIP + "finance/transactions/",
    PARTNERSHIP + "results/",
    PARTNERSHIP + "ledger/",
    "/en/results/",
    "/en/sdg/",
    "/en/ledger/",
    "/en/waiting/",
    "/api/v1/docs",
]
RECORD = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__violations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


@pytest.fixture
def demo(transactional_db) -> None:
    call_command("demo", quiet=True)


def test_every_answer_carries_the_policy(db):
    """A page, an API answer and a 404 carry the policy; it allows no inline script."""
    client = Client()
    for path in ("/en/", "/api/v1/sdg/goals", "/en/no-such-page/"):
        policy = client.get(path)["Content-Security-Policy"]
        assert "script-src 'self';" in policy
        assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
        assert "frame-ancestors 'none'" in policy


def test_the_demo_pages_break_no_rule_of_the_policy(demo, page):
    """Given the coordinator of the demo's public partnership, when each page is opened
    (the partner form's organisation lookup typed into, a member's row removed), then the
    browser reports no violation and no script error."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.add_init_script(RECORD)
    page.goto("/en/accounts/login/")
    page.get_by_label("Username").fill("sari")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    violations: dict[str, list[str]] = {}
    for path in PAGES:
        page.goto(path)
        page.wait_for_load_state("networkidle")
        found = page.evaluate("window.__violations")
        if found:
            violations[path] = found

    page.goto(PARTNERSHIP + "partners/")
    page.get_by_label("Organisation").press_sequentially("Gadjah")
    expect(page.locator('#organisation-options option[value="ugm"]')).to_have_count(1)
    assert page.evaluate("window.__violations") == []
    assert violations == {}
    assert errors == []
