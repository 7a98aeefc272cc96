"""A coordinator sets the shared vision and adds an SDG-linked goal in a real browser,
in place on the "Vision and goals" tab (Debian's Chromium via Playwright)."""

from __future__ import annotations

import os
import re

import pytest

from sinergi.partnerships.models import Goal
from tests.browser.conftest import _compiled_translations, page  # noqa: F401 - fixtures
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
SCREENSHOTS = os.environ.get("SINERGI_SCREENSHOTS", "")


@pytest.fixture
def coordinator(transactional_db):
    partnership = PartnershipFactory(
        title="Every Child Immunised", slug="immunisation", visibility="public"
    )
    kemenkes = OrganisationFactory(name="Kementerian Kesehatan", slug="kemenkes", org_type="10")
    ParticipationFactory(partnership=partnership, organisation=kemenkes, role="2")
    person = PersonFactory(username="sari", organisation=kemenkes)
    MembershipFactory(partnership=partnership, person=person, role="coordinator")
    return person


def field(tab, label: str):
    return tab.get_by_label(re.compile(rf"^{re.escape(label)}:?$"))


def shot(tab, name: str) -> None:
    if SCREENSHOTS:
        tab.screenshot(path=os.path.join(SCREENSHOTS, f"{name}.png"), full_page=True)


def test_a_coordinator_sets_the_vision_and_adds_an_sdg_linked_goal(coordinator, page):  # noqa: F811
    page.goto("/en/accounts/login/")
    field(page, "Username").fill("sari")
    field(page, "Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto("/en/partnerships/immunisation/")
    page.get_by_role("link", name="Vision and goals").click()
    expect(page.get_by_role("heading", name="Shared vision")).to_be_visible()

    # The vision: the editor opens in place with the keyboard in the text box.
    page.get_by_role("link", name="Edit the vision").click()
    vision = page.get_by_role("textbox", name="Shared vision")
    expect(vision).to_be_focused()
    assert page.url.endswith("/en/partnerships/immunisation/design/")
    page.keyboard.type("Every child in Indonesia receives the full basic immunisation schedule.")
    page.locator("#vision").get_by_role("button", name="Save").click()
    expect(page.locator("#vision")).to_contain_text("The shared vision is saved.")
    expect(page.get_by_role("link", name="Edit the vision")).to_be_focused()

    # A goal: the SDG target field suggests targets as one types.
    form = page.locator("#design-goals form.goal-form")
    field(form, "What").fill("Full basic immunisation in Papua")
    field(form, "How it is measured").fill("Share of children 12-23 months fully immunised")
    field(form, "Baseline").fill("38")
    field(form, "Target value").fill("85")
    field(form, "Unit").fill("%")
    field(form, "Target date").fill("2029-12-31")
    field(form, "Owner").select_option(label="Kementerian Kesehatan")
    targets = field(form, "SDG targets")
    targets.press_sequentially("3.8, vaccin", delay=20)
    options = page.locator("#new-goal-sdg_targets-options option")
    expect(options.first).to_have_attribute("value", "3.8, 3.b")
    shot(page, "goal-form-suggestions")

    # An unknown code is an inline error, with the keyboard back on the field.
    targets.fill("3.8, 3.z")
    form.get_by_role("button", name="Add goal").click()
    expect(page.locator("#design-goals")).to_contain_text("“3.z” is not an SDG target code")
    expect(field(page.locator("#design-goals form.goal-form"), "SDG targets")).to_be_focused()
    assert not Goal.objects.exists()
    shot(page, "goal-form-error")

    page.keyboard.press("Control+a")
    page.keyboard.type("3.8, 3.b")
    page.keyboard.press("Enter")
    expect(page.locator("#design-goals")).to_contain_text("The goal is added.")
    goal_item = page.locator("ol.goal-list > li").first
    expect(goal_item).to_contain_text("Full basic immunisation in Papua")
    expect(goal_item).to_contain_text("measurable")
    expect(page.locator("#design-goals .sdg-tile")).to_have_count(1)
    expect(page.locator("#design-goals .sdg-tile")).to_contain_text("Good health and well-being")
    goal = Goal.objects.get()
    assert goal.sdg_targets == ["3.8", "3.b"] and goal.is_measurable
    shot(page, "design-tab")

    page.get_by_role("link", name="Overview").click()
    expect(page.locator(".sdg-tile")).to_contain_text("3.8, 3.b")
    shot(page, "overview")
    page.goto("/en/sdg/")
    shot(page, "sdg-index")
    page.goto("/id/sdg/3/")
    shot(page, "sdg-goal")
