"""A coordinator sets up a partnership in a real browser (Debian's Chromium via Playwright).

Signs in through the login form, creates a partnership, adds partners through the
HTMX-assisted form, changes a partner's role in place, and switches the interface to
Bahasa Indonesia. A second test fills the add-partner form with the keyboard alone.
"""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command

from sinergi.core.management.commands.demo import DEMO_PASSWORD
from sinergi.partnerships.models import Participation

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture
def demo(transactional_db) -> None:
    call_command("demo", quiet=True)


def sign_in(page, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/en/accounts/login/")
    field(page, "Username").fill(username)
    field(page, "Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def field(page, label: str):
    """A form field by its visible label (Django adds a ":" suffix)."""
    return page.get_by_label(re.compile(rf"^{re.escape(label)}:?$"))


def partner_row(page, organisation_name: str):
    return page.locator("#partners tbody tr").filter(has_text=organisation_name)


def add_partner(page, *, search: str, slug: str, role: str, contribution: str) -> None:
    """Type part of a name, wait for the registry's suggestions, then pick one by slug."""
    organisation = field(page, "Organisation")
    organisation.press_sequentially(search)
    expect(page.locator(f'#organisation-options option[value="{slug}"]')).to_have_count(1)
    organisation.fill(slug)  # what choosing the suggestion puts in the field
    field(page, "Role").select_option(label=role)
    field(page, "Contribution").fill(contribution)
    page.get_by_role("button", name="Add partner").click()


def test_coordinator_sets_up_a_partnership(demo, page):
    sign_in(page, "sari")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Partnerships").click()
    page.get_by_role("link", name="New partnership").click()
    expect(page.get_by_role("heading", name="New partnership")).to_be_visible()
    field(page, "Title").fill("Clean Water for Nusa Tenggara")
    field(page, "Summary").fill("Villages, a ministry and a university.")
    page.get_by_role("button", name="Create partnership").click()

    # Private by default, so its short name has a random ending (not to be guessed).
    address = re.compile(r"/en/partnerships/(clean-water-for-nusa-tenggara-[a-z2-9]{8})/partners/$")
    expect(page).to_have_url(address)
    slug = address.search(page.url).group(1)
    expect(page.get_by_role("status")).to_contain_text("The partnership is created.")
    expect(page.locator("#partners")).to_contain_text("No partners yet.")

    add_partner(page, search="Gavi", slug="gavi", role="Funding", contribution="Co-financing")
    expect(page.get_by_role("status")).to_contain_text("Gavi, the Vaccine Alliance (Gavi) joined")
    add_partner(page, search="Gadjah", slug="ugm", role="Implementing", contribution="Surveys")
    expect(page.get_by_role("status")).to_contain_text("Universitas Gadjah Mada (UGM) joined")

    gavi = partner_row(page, "Gavi, the Vaccine Alliance")
    ugm = partner_row(page, "Universitas Gadjah Mada")
    expect(page.locator("#partners tbody tr")).to_have_count(2)
    expect(gavi.locator("select[name=role] option:checked")).to_have_text("Funding")
    expect(gavi).to_contain_text("Co-financing")
    expect(ugm.locator("select[name=role] option:checked")).to_have_text("Implementing")
    expect(ugm).to_contain_text("Surveys")

    # Choosing a role saves nothing (an arrow key must not change a partner's role,
    # WCAG 3.2.2); its Save button does, through HTMX, and the re-rendered row says so
    # and keeps the focus on the role.
    role = page.get_by_label("Role of Universitas Gadjah Mada (UGM)")
    role.select_option(label="Extending")
    page.wait_for_timeout(300)
    unsaved = Participation.objects.get(organisation__slug="ugm", partnership__slug=slug)
    assert unsaved.role == "4"  # still Implementing
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith("/role/")
    ) as saved:
        ugm.get_by_role("button", name="Save the role of Universitas Gadjah Mada (UGM)").click()
    assert saved.value.ok
    expect(ugm.locator("select[name=role] option:checked")).to_have_text("Extending")
    expect(ugm.locator(".error")).to_have_count(0)
    expect(ugm.get_by_role("status")).to_have_text("Saved: Extending.")
    expect(page.get_by_label("Role of Universitas Gadjah Mada (UGM)")).to_be_focused()

    page.reload()
    expect(ugm.locator("select[name=role] option:checked")).to_have_text("Extending")
    expect(gavi.locator("select[name=role] option:checked")).to_have_text("Funding")
    roles = dict(
        Participation.objects.filter(partnership__slug=slug).values_list(
            "organisation__slug", "role"
        )
    )
    assert roles == {"gavi": "1", "ugm": "3"}

    # A button, not a select that acts on change (WCAG 3.2.2): arrowing past it stays put.
    page.get_by_role("button", name="Bahasa Indonesia").click()
    expect(page).to_have_url(re.compile(rf"^[^/]+//[^/]+/id/partnerships/{slug}/partners/$"))
    expect(page.locator("html")).to_have_attribute("lang", "id")
    menu = page.locator("header .menu")
    expect(menu.get_by_role("link", name="Kemitraan", exact=True)).to_be_visible()
    expect(menu.get_by_role("link", name="Organisasi", exact=True)).to_be_visible()


def test_add_partner_form_works_with_the_keyboard_alone(demo, page):
    sign_in(page, "sari")
    page.goto("/en/partnerships/immunisation-indonesia/partners/")
    organisation = field(page, "Organisation")
    expect(organisation).to_be_visible()

    # Reach the form by tabbing from the top of the page, as a keyboard user would.
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "id_organisation":
            break
    else:
        pytest.fail("Tab never reached the organisation field")

    page.keyboard.type("Standardisasi")
    expect(page.locator('#organisation-options option[value="bsn"]')).to_have_count(1)
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("bsn")
    page.keyboard.press("Tab")
    role = field(page, "Role")
    expect(role).to_be_focused()
    page.keyboard.type("Acc")  # type-ahead in a closed <select> picks "Accountable"
    expect(role).to_have_value("2")
    page.keyboard.press("Tab")
    expect(field(page, "Contribution")).to_be_focused()
    page.keyboard.type("Standards for vaccine storage")
    page.keyboard.press("Enter")

    expect(page.get_by_role("status")).to_contain_text(
        "Badan Standardisasi Nasional (BSN) joined the partnership."
    )
    bsn = partner_row(page, "Badan Standardisasi Nasional")
    expect(bsn.locator("select[name=role] option:checked")).to_have_text("Accountable")
    expect(bsn).to_contain_text("Standards for vaccine storage")


@pytest.mark.parametrize(
    "path",
    [
        "/en/",
        "/id/partnerships/",
        "/en/partnerships/immunisation-indonesia/members/",
        "/id/partnerships/immunisation-indonesia/finance/rates/",
    ],
)
def test_pages_reflow_on_a_320_px_screen(demo, page, path):
    """Given a 320 CSS px wide screen (1280 px at 400 % zoom), then the page does not scroll
    sideways and "Sign out" stays on screen (WCAG 1.4.10 Reflow): the account links wrap and
    two-column panels stack."""
    sign_in(page, "sari")
    page.set_viewport_size({"width": 320, "height": 800})
    page.goto(path)
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    sign_out = page.locator(".account button").last
    box = sign_out.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 320


def test_the_keyboard_stays_where_the_needs_table_changes(demo, page):
    """Given the coordinator on the matching page, when a need's Edit opens its form in
    the row, then the keyboard is in its first field; Cancel puts it back on that need's
    Edit link; Remove puts it on the table's heading — never on the page's <body>, which
    would send a keyboard user back to the top."""
    sign_in(page, "sari")
    page.goto("/en/partnerships/immunisation-indonesia/matching/")
    rows = page.locator("#needs tbody tr")
    first = rows.first
    row_id = first.get_attribute("id")
    first.get_by_role("link", name=re.compile(r"^Edit")).click()
    form = page.locator(f"#{row_id} form")
    expect(form).to_be_visible()
    expect(form.locator(":focus")).to_have_count(1)  # its first field

    form.get_by_role("link", name="Cancel").click()
    edit = page.locator(f"#{row_id}").get_by_role("link", name=re.compile(r"^Edit"))
    expect(edit).to_be_focused()

    count = rows.count()
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f"#{row_id}").get_by_role("button", name=re.compile(r"^Remove")).click()
    expect(rows).to_have_count(count - 1)
    expect(page.locator("#needs-title")).to_be_focused()


def test_after_removing_a_member_the_keyboard_is_on_the_members_heading(demo, page):
    sign_in(page, "sari")
    page.goto("/en/partnerships/immunisation-indonesia/members/")
    rows = page.locator("tr[id^=membership-]")
    count = rows.count()
    removable = rows.filter(has=page.get_by_role("button", name=re.compile(r"^Remove"))).last
    page.once("dialog", lambda dialog: dialog.accept())
    removable.get_by_role("button", name=re.compile(r"^Remove")).click()
    expect(rows).to_have_count(count - 1)
    expect(page.locator("#members-title")).to_be_focused()


def test_a_table_wider_than_the_screen_can_be_scrolled_with_the_keyboard(demo, page):
    """Given a phone-wide screen, when a table is wider than it (it scrolls sideways),
    then it takes the keyboard focus so arrow keys scroll it (WCAG 2.1.1); on a wide
    screen no table is a tab stop."""
    sign_in(page, "sari")
    address = "/en/partnerships/immunisation-indonesia/finance/transactions/"
    check = """() => Array.from(document.querySelectorAll("main table")).map(t => ({
        overflows: t.scrollWidth > t.clientWidth + 1, focusable: t.getAttribute("tabindex")}))"""
    page.goto(address)
    assert all(table["focusable"] is None for table in page.evaluate(check))
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto(address)
    tables = page.evaluate(check)
    assert any(table["overflows"] for table in tables)
    assert all((table["focusable"] == "0") == table["overflows"] for table in tables)


def test_the_keyboard_follows_a_goal_s_inline_edit_and_its_cancel(demo, page):
    """Given the coordinator on the design tab, when a goal's Edit opens its form in
    place, then the keyboard is in the goal's title; Cancel puts it back on that goal's
    Edit link rather than on the page's <body>."""
    sign_in(page, "sari")
    page.goto("/en/partnerships/immunisation-indonesia/design/")
    goal_id = page.locator("ol.goal-list > li").first.get_attribute("id")
    goal = page.locator(f"#{goal_id}")
    goal.get_by_role("link", name=re.compile(r"^Edit")).click()
    expect(goal.locator("input[name=title]")).to_be_focused()

    goal.get_by_role("link", name="Cancel").click()

    expect(goal.get_by_role("link", name=re.compile(r"^Edit"))).to_be_focused()
    expect(goal.get_by_role("button", name=re.compile(r"^Move up"))).to_have_count(0)


def test_the_signing_step_takes_the_keyboard_to_what_is_signed(demo, page):
    """Given a partner admin whose organisation has not signed the open version, when
    "Sign for …" opens the confirm step in place, then the keyboard is on the sentence
    that says what is signed, just above the content hash and the button."""
    sign_in(page, "budi")
    page.goto("/en/partnerships/immunisation-indonesia/agreement/")

    page.get_by_role("link", name=re.compile(r"^Sign for")).first.click()

    statement = page.locator(".sign-confirm p").first
    expect(statement).to_be_focused()
    expect(statement).to_contain_text("You sign version 2")


def test_a_change_refused_in_place_is_said_so(demo, page):
    """Given the members page open while the coordinator loses the role (another
    coordinator's change), when a role is changed in place, then the page says that it
    was not saved (HTMX swaps nothing on a 403: the choice looked saved before)."""
    from sinergi.partnerships.models import Membership

    sign_in(page, "sari")
    page.goto("/en/partnerships/immunisation-indonesia/members/")
    Membership.objects.filter(
        person__username="sari", partnership__slug="immunisation-indonesia"
    ).update(role="member")
    row = page.locator("tr[id^=membership-]").filter(has=page.locator("select")).last
    row.locator("select").select_option(index=0)
    row.get_by_role("button", name=re.compile(r"^Save")).click()

    expect(page.locator("#request-error")).to_be_visible()
    expect(page.locator("#request-error")).to_contain_text("That was not saved: you may not")
