"""An organisation admin records, changes and deletes a capability in a real browser,
inline on the organisation page (Debian's Chromium via Playwright)."""

from __future__ import annotations

import re

import pytest

from sinergi.partners.models import Capability, CapabilityCoverage
from tests.browser.conftest import _compiled_translations, page  # noqa: F401 - fixtures
from tests.factories import PASSWORD, OrganisationFactory, PersonFactory

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture
def organisation_admin(transactional_db):
    organisation = OrganisationFactory(name="Yayasan Sehat", slug="ysia")
    return PersonFactory(username="yuni", organisation=organisation, is_organisation_admin=True)


def field(tab, label: str):
    return tab.get_by_label(re.compile(rf"^{re.escape(label)}:?$"))


def test_an_admin_records_a_capability_inline(organisation_admin, page):  # noqa: F811
    page.goto("/en/accounts/login/")
    field(page, "Username").fill("yuni")
    field(page, "Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto("/en/organisations/ysia/")
    section = page.locator("#capabilities")
    expect(section).to_contain_text("No capabilities recorded yet.")

    section.get_by_role("link", name="Add capability").click()
    expect(field(page, "Kind")).to_be_focused()  # the form opened in place
    assert page.url.endswith("/en/organisations/ysia/")
    field(page, "Kind").select_option(label="Local knowledge")
    field(page, "Sector").select_option(value="7:3")
    field(page, "Countries").select_option(["ID"])
    provinces = field(page, "Provinces and regions")
    expect(provinces.locator('option[value="ID-PA"]')).to_have_count(1)  # loaded by htmx
    provinces.select_option(["ID-NT", "ID-PA"])
    field(page, "Description").fill("Knows the remote villages.")
    section.get_by_role("button", name="Save").click()

    expect(section.get_by_role("heading", name="Local knowledge")).to_be_visible()
    expect(section).to_contain_text("Nusa Tenggara Timur, Papua")
    capability = Capability.objects.get()
    assert capability.regions == ["ID-NT", "ID-PA"]
    assert CapabilityCoverage.objects.count() == 2

    section.get_by_role("link", name=re.compile("^Edit")).click()
    field(page, "Kind").select_option(label="Community mobilisation")
    section.get_by_role("button", name="Save").click()
    expect(section.get_by_role("heading", name="Community mobilisation")).to_be_visible()

    page.once("dialog", lambda dialog: dialog.accept())
    section.get_by_role("button", name=re.compile("^Delete")).click()
    expect(section).to_contain_text("No capabilities recorded yet.")
    assert not Capability.objects.exists()
    assert not CapabilityCoverage.objects.exists()
