"""A coordinator designs a partnership in a real browser and watches the lifecycle follow.

Sets the shared vision, adds an SDG-linked goal, moves the partnership from scoping to
building, fills the RACI matrix with the keyboard alone, and sees each lifecycle
checklist item turn from missing to done (Debian's Chromium via Playwright).
"""

from __future__ import annotations

import re

import pytest

from sinergi.partnerships.models import RaciAssignment, Stage
from tests.factories import (
    PASSWORD,
    MembershipFactory,
    OrganisationFactory,
    ParticipationFactory,
    PartnershipFactory,
    PersonFactory,
)

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture
def scoping(transactional_db):
    """A partnership in scoping with two partners, a coordinator, no vision and no goals."""
    partnership = PartnershipFactory(
        title="Every Child Immunised", slug="immunisation", visibility="private", vision=""
    )
    kemenkes = OrganisationFactory(
        name="Kementerian Kesehatan", acronym="Kemenkes", slug="kemenkes", org_type="10"
    )
    bio_farma = OrganisationFactory(
        name="PT Bio Farma", acronym="Bio Farma", slug="bio-farma", org_type="72"
    )
    ParticipationFactory(partnership=partnership, organisation=kemenkes, role="2")
    ParticipationFactory(partnership=partnership, organisation=bio_farma, role="4")
    person = PersonFactory(username="sari", organisation=kemenkes)
    MembershipFactory(partnership=partnership, person=person, role="coordinator")
    return partnership


def field(scope, label: str):
    return scope.get_by_label(re.compile(rf"^{re.escape(label)}:?$"))


def item(page, item_id: str):
    return page.locator(f'#lifecycle li[data-item="{item_id}"]')


def open_tab(page, name: str) -> None:
    page.get_by_role("navigation", name="Partnership").get_by_role("link", name=name).click()


def test_a_coordinator_designs_the_partnership_and_the_checklist_follows(scoping, page):
    page.goto("/en/accounts/login/")
    field(page, "Username").fill("sari")
    field(page, "Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    # Given a partnership in scoping without vision or goals, it cannot move on yet.
    page.goto("/en/partnerships/immunisation/")
    open_tab(page, "Lifecycle")
    expect(item(page, "vision")).to_have_class(re.compile(r"\bmissing\b"))
    expect(item(page, "sdg_goal")).to_have_class(re.compile(r"\bmissing\b"))
    expect(page.get_by_role("button", name="Move to Building")).to_be_disabled()

    # When the coordinator writes the vision and adds a goal linked to SDG target 3.b …
    open_tab(page, "Vision and goals")
    page.get_by_role("link", name="Edit the vision").click()
    expect(page.get_by_role("textbox", name="Shared vision")).to_be_focused()
    page.keyboard.type("Every child receives the full basic immunisation schedule.")
    page.locator("#vision").get_by_role("button", name="Save").click()
    expect(page.locator("#vision")).to_contain_text("The shared vision is saved.")

    form = page.locator("#design-goals form.goal-form")
    field(form, "What").fill("Full basic immunisation in Papua")
    field(form, "How it is measured").fill("Share of children 12-23 months fully immunised")
    field(form, "Target value").fill("85")
    field(form, "Unit").fill("%")
    field(form, "Target date").fill("2029-12-31")
    field(form, "Owner").select_option(label="Kementerian Kesehatan (Kemenkes)")
    field(form, "SDG targets").fill("3.b")
    form.get_by_role("button", name="Add goal").click()
    expect(page.locator("#design-goals")).to_contain_text("The goal is added.")

    # … then the scoping checklist is complete and the partnership moves to building.
    open_tab(page, "Lifecycle")
    expect(item(page, "vision")).to_have_class(re.compile(r"\bdone\b"))
    expect(item(page, "sdg_goal")).to_have_class(re.compile(r"\bdone\b"))
    page.get_by_role("button", name="Move to Building").click()
    expect(page.locator("#lifecycle")).to_contain_text("Now: Building")
    # The section is replaced: the keyboard goes to the notice saying so, not to the body.
    expect(page.get_by_role("status").filter(has_text="moved to “Building”")).to_be_focused()
    expect(item(page, "raci_work_packages")).to_have_class(re.compile(r"\bmissing\b"))
    expect(item(page, "raci_partners")).to_have_class(re.compile(r"\bmissing\b"))
    scoping.refresh_from_db()
    assert scoping.stage == Stage.BUILDING

    # When the coordinator adds a work package and fills its RACI row with the keyboard …
    open_tab(page, "Roles (RACI)")
    field(page, "Code").fill("WP1")
    field(page, "Title").fill("Outreach to zero-dose children")
    page.get_by_role("button", name="Add work package").click()
    kemenkes_cell = page.locator('td[data-wp="WP1"][data-org="kemenkes"]')
    bio_farma_cell = page.locator('td[data-wp="WP1"][data-org="bio-farma"]')
    expect(page.locator('tr[data-wp="WP1"] [data-problem="no_accountable"]')).to_be_visible()

    # The problems above the matrix are a live region: it stays while its content changes.
    page.locator("#raci-problems").evaluate("node => { node.dataset.kept = 'yes' }")
    kemenkes_cell.focus()
    page.keyboard.press("a")
    expect(kemenkes_cell).to_have_attribute("data-letter", "A")
    expect(kemenkes_cell).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(bio_farma_cell).to_be_focused()
    page.keyboard.press("r")
    expect(bio_farma_cell).to_have_attribute("data-letter", "R")
    expect(page.locator('tr[data-wp="WP1"] .raci-status')).to_contain_text("complete")
    expect(page.locator("#raci-problems[data-kept=yes][aria-live=polite]")).to_contain_text(
        "Complete: every work package"
    )
    letters = dict(
        RaciAssignment.objects.values_list("organisation__slug", "letter").order_by("pk")
    )
    assert letters == {"kemenkes": "A", "bio-farma": "R"}

    # … then the lifecycle checklist shows the RACI items done.
    open_tab(page, "Lifecycle")
    expect(item(page, "raci_work_packages")).to_have_class(re.compile(r"\bdone\b"))
    expect(item(page, "raci_partners")).to_have_class(re.compile(r"\bdone\b"))
    expect(item(page, "agreement_signed")).to_have_class(re.compile(r"\bmissing\b"))
