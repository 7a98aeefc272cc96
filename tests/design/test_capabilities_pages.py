"""Capability pages: the organisation page's section, inline HTMX forms with their field
errors, the plain-page fallback without JavaScript, permissions and the registry filter."""

from __future__ import annotations

import pytest
from django.test import Client

from sinergi.partners.capabilities import services
from sinergi.partners.models import Capability, CapabilityCoverage
from tests.conftest import client_for
from tests.factories import OrganisationFactory, PersonFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


def page(client: Client, path: str, **extra) -> str:
    response = client.get(path, **extra)
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def post(client: Client, path: str, data: dict, **extra):
    return client.post(path, data, **extra)


FORM = {
    "kind": "finance",
    "sector": "7:3",
    "countries": ["ID"],
    "subdivisions": ["ID-PA"],
    "description": "Co-funds outreach.",
    "evidence": "",
}


# The organisation page ------------------------------------------------------------------


@pytest.mark.parametrize("who", ["anonymous", "someone", "admin"])
def test_everyone_sees_the_capabilities_grouped_by_kind(organisation, admin, capability, who):
    """Given a capability, the organisation page shows its kind, sector, regions,
    description and evidence to anyone, and the edit controls only to the admin."""
    services.add_capability(
        actor=admin, organisation=organisation, kind="finance", sector_vocabulary="7",
        sector_code="3",
    )  # fmt: skip
    person = {"anonymous": None, "someone": PersonFactory(), "admin": admin}[who]

    html = page(client_for(person), "/en/organisations/ysia/")

    assert 'id="capabilities"' in html
    assert html.index("Finance") < html.index("Local knowledge")  # the kinds' listed order
    assert "Basic Health" in html
    assert "SDG 3:" in html
    assert "Nusa Tenggara Timur" in html and "Papua" in html
    assert "Knows the remote villages." in html and "Field teams since 2012." in html
    assert "Anywhere" in html
    controls = ("Add capability", f"/capabilities/{capability.pk}/edit/")
    for text in controls:
        assert (text in html) == (who == "admin")


def test_an_organisation_without_capabilities_says_so(organisation):
    html = page(Client(), "/en/organisations/ysia/")
    assert "No capabilities recorded yet." in html


def test_the_indonesian_page_shows_the_section_in_indonesian_links(organisation, capability):
    html = page(Client(), "/id/organisations/ysia/")
    assert 'id="capabilities"' in html
    assert "Papua" in html
    assert 'lang="id"' in html


def test_sdg_sectors_read_tpb_on_indonesian_pages(organisation, admin):
    """Given a capability in SDG goal 3, then the Indonesian organisation page and the
    capability form's sector list say "TPB 3:" (the rest of the Indonesian UI says TPB),
    while the English ones keep "SDG 3:"; one language never leaks into the other."""
    services.add_capability(
        actor=admin, organisation=organisation, kind="finance", sector_vocabulary="7",
        sector_code="3",
    )  # fmt: skip
    for _round in range(2):
        indonesian = page(Client(), "/id/organisations/ysia/")
        assert "TPB 3:" in indonesian and "SDG 3:" not in indonesian
        english = page(Client(), "/en/organisations/ysia/")
        assert "SDG 3:" in english and "TPB 3:" not in english
    form = page(client_for(admin), "/id/organisations/ysia/capabilities/add/")
    assert '<option value="7:3">TPB 3: ' in form
    assert "SDG 3:" not in form


def test_the_organisation_page_costs_the_same_queries_however_many_capabilities(
    organisation, admin, django_assert_max_num_queries, django_assert_num_queries
):
    """The page's query count does not grow with the number of capabilities."""
    client = client_for(admin)

    def grow(count: int) -> None:
        for i in range(count):
            services.add_capability(
                actor=admin, organisation=organisation,
                kind=["finance", "technical", "network"][i % 3],
                sector_vocabulary=["2", "7"][i % 2], sector_code=["122", "3"][i % 2],
                regions=["ID-NT", "TL"], description=f"Capability {i}",
            )  # fmt: skip

    grow(3)
    page(client, "/en/organisations/ysia/")
    with django_assert_max_num_queries(10) as few:
        page(client, "/en/organisations/ysia/")
    grow(9)
    with django_assert_num_queries(len(few)):
        html = page(client, "/en/organisations/ysia/")
    assert html.count('class="card"') >= 12


# Inline forms (HTMX) --------------------------------------------------------------------


def test_add_opens_an_inline_form_in_the_section(organisation, admin):
    html = page(client_for(admin), "/en/organisations/ysia/capabilities/add/", **HTMX)

    assert html.lstrip().startswith("<section") or 'id="capabilities"' in html[:400]
    assert "<html" not in html
    assert 'hx-post="/en/organisations/ysia/capabilities/add/"' in html
    assert 'name="sector"' in html and 'label="SDG goal"' in html
    assert 'value="2:122"' in html and 'value="7:17"' in html
    assert 'hx-get="/en/organisations/subdivisions/"' in html


def test_an_inline_add_saves_and_returns_the_section(organisation, admin):
    response = post(client_for(admin), "/en/organisations/ysia/capabilities/add/", FORM, **HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html and "Co-funds outreach." in html
    capability = Capability.objects.get()
    assert (capability.kind, capability.sector_vocabulary, capability.sector_code) == (
        "finance",
        "7",
        "3",
    )
    assert capability.regions == ["ID-PA"]
    assert CapabilityCoverage.objects.count() == 1


def test_an_inline_form_shows_field_errors_in_place(organisation, admin):
    """Given a sector that is not in the picker and a province outside the chosen
    countries, the section comes back with the form and the errors at their fields."""
    data = {**FORM, "sector": "7:18", "subdivisions": ["TL-DI"], "kind": "magic"}
    response = post(client_for(admin), "/en/organisations/ysia/capabilities/add/", data, **HTMX)

    assert response.status_code == 200  # htmx swaps no 4xx response
    html = response.content.decode()
    assert html.count('class="errorlist') >= 3
    assert 'aria-invalid="true"' in html
    assert not Capability.objects.exists()


def test_a_refused_country_is_the_only_message_not_the_provinces_too(organisation, admin):
    """Given a country that is not in the list and an Indonesian province, the form shows
    the countries' message alone (not one on the provinces too) and saves nothing."""
    data = {**FORM, "countries": ["XX"], "subdivisions": ["ID-PA"]}
    response = post(client_for(admin), "/en/organisations/ysia/capabilities/add/", data, **HTMX)

    assert response.status_code == 200  # htmx swaps no 4xx response
    assert response.context["form"].errors == {
        "countries": ["Select a valid choice. XX is not one of the available choices."]
    }
    assert not Capability.objects.exists()


def test_an_inline_edit_changes_the_capability(organisation, admin, capability):
    client = client_for(admin)
    url = f"/en/organisations/ysia/capabilities/{capability.pk}/edit/"
    form = page(client, url, **HTMX)
    assert '<option value="ID-NT" selected>' in form
    assert '<option value="2:122" selected>' in form
    assert "Add capability" not in form  # one form open at a time

    response = post(
        client, url, {**FORM, "kind": "community", "countries": ["ID", "TL"], "subdivisions": []},
        **HTMX,
    )  # fmt: skip

    assert response.status_code == 200
    capability.refresh_from_db()
    assert capability.kind == "community"
    assert capability.regions == ["ID", "TL"]
    assert sorted(CapabilityCoverage.objects.values_list("region", flat=True)) == ["ID", "TL"]


def test_an_inline_delete_removes_the_capability(organisation, admin, capability):
    response = post(
        client_for(admin), f"/en/organisations/ysia/capabilities/{capability.pk}/delete/", {},
        **HTMX,
    )  # fmt: skip
    assert response.status_code == 200
    assert "No capabilities recorded yet." in response.content.decode()
    assert not CapabilityCoverage.objects.exists()


def test_cancel_returns_the_section_or_the_page(organisation, admin, capability):
    html = page(client_for(admin), "/en/organisations/ysia/capabilities/", **HTMX)
    assert 'id="capabilities"' in html and "<html" not in html
    response = Client().get("/en/organisations/ysia/capabilities/")
    assert response.status_code == 302
    assert response["Location"] == "/en/organisations/ysia/#capabilities"


# Without JavaScript ---------------------------------------------------------------------


def test_without_javascript_the_forms_are_plain_pages(organisation, admin, capability):
    client = client_for(admin)
    html = page(client, "/en/organisations/ysia/capabilities/add/")
    assert "<html" in html and "hx-post" not in html

    response = post(client, "/en/organisations/ysia/capabilities/add/", FORM)
    assert response.status_code == 302
    assert response["Location"] == "/en/organisations/ysia/#capabilities"

    response = post(client, "/en/organisations/ysia/capabilities/add/", {**FORM, "kind": ""})
    assert response.status_code == 422
    assert 'aria-invalid="true"' in response.content.decode()

    html = page(client, f"/en/organisations/ysia/capabilities/{capability.pk}/delete/")
    assert "This cannot be undone." in html
    response = post(client, f"/en/organisations/ysia/capabilities/{capability.pk}/delete/", {})
    assert response.status_code == 302
    assert Capability.objects.count() == 1  # the one added above


def test_without_javascript_show_provinces_reloads_the_form_without_saving(organisation, admin):
    data = {**FORM, "countries": ["ID", "TL"], "subdivisions": [], "refresh": "1"}
    response = post(client_for(admin), "/en/organisations/ysia/capabilities/add/", data)

    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="ID-PA"' in html and 'value="TL-DI"' in html
    assert "errorlist" not in html
    assert not Capability.objects.exists()


# Permissions ----------------------------------------------------------------------------


def test_anonymous_people_are_sent_to_sign_in(organisation, capability):
    client = Client()
    for url in (
        "/en/organisations/ysia/capabilities/add/",
        f"/en/organisations/ysia/capabilities/{capability.pk}/edit/",
        f"/en/organisations/ysia/capabilities/{capability.pk}/delete/",
    ):
        response = client.post(url, FORM)
        assert response.status_code == 302
        assert "/login/" in response["Location"]
    assert Capability.objects.count() == 1


def test_an_admin_of_another_organisation_is_refused(organisation, capability):
    other_admin = PersonFactory(organisation=OrganisationFactory(), is_organisation_admin=True)
    client = client_for(other_admin)
    for url in (
        "/en/organisations/ysia/capabilities/add/",
        f"/en/organisations/ysia/capabilities/{capability.pk}/edit/",
        f"/en/organisations/ysia/capabilities/{capability.pk}/delete/",
    ):
        assert client.get(url).status_code == 403
        assert client.post(url, FORM).status_code == 403
    capability.refresh_from_db()
    assert capability.kind == "local_knowledge"
    assert Capability.objects.count() == 1


def test_staff_may_edit_any_organisations_capabilities(organisation, capability):
    client = client_for(PersonFactory(is_staff=True))
    url = f"/en/organisations/ysia/capabilities/{capability.pk}/edit/"
    assert client.post(url, {**FORM, "kind": "network"}).status_code == 302
    capability.refresh_from_db()
    assert capability.kind == "network"


def test_a_capability_of_another_organisation_is_not_found_here(organisation, admin):
    other = OrganisationFactory()
    foreign = services.add_capability(
        actor=PersonFactory(is_staff=True), organisation=other, kind="finance"
    )
    client = client_for(admin)
    assert client.get(f"/en/organisations/ysia/capabilities/{foreign.pk}/edit/").status_code == 404
    assert client.get("/en/organisations/nowhere/capabilities/add/").status_code == 404


# Registry filter ------------------------------------------------------------------------


def test_the_registry_can_be_filtered_by_what_organisations_can_bring(organisation, capability):
    OrganisationFactory(name="Another Foundation", slug="another")

    html = page(Client(), "/en/organisations/?capability=local_knowledge")
    assert "Yayasan Sehat" in html and "Another Foundation" not in html
    assert '<option value="local_knowledge" selected' in html

    html = page(Client(), "/en/organisations/?capability=finance", HTTP_HX_TARGET="results",
                **HTMX)  # fmt: skip
    assert "No organisation matches." in html

    response = Client().get("/api/v1/organisations", {"capability": "local_knowledge"})
    assert [o["slug"] for o in response.json()["items"]] == ["ysia"]


def test_the_keyboard_goes_to_the_inline_form_and_back_to_the_heading(organisation, admin):
    """Given an admin with the keyboard, when Add opens the inline form, then its first
    field takes the focus; when Cancel or Save brings the list back, then the section's
    heading does — not the page's <body>, which sends a keyboard user to the top."""
    import re

    client = client_for(admin)
    form = page(client, "/en/organisations/ysia/capabilities/add/", **HTMX)
    focused = re.findall(r"<(?:input|select|textarea)[^>]*\bautofocus\b[^>]*>", form)
    assert len(focused) == 1
    assert "autofocus" not in form.split('id="capabilities-title"')[1].split(">")[0]

    listed = page(client, "/en/organisations/ysia/capabilities/", **HTMX)
    assert '<h2 id="capabilities-title" tabindex="-1" autofocus>' in listed
    saved = post(client, "/en/organisations/ysia/capabilities/add/", FORM, **HTMX)
    assert '<h2 id="capabilities-title" tabindex="-1" autofocus>' in saved.content.decode()
    whole = page(client, "/en/organisations/ysia/")
    assert '<h2 id="capabilities-title" tabindex="-1">' in whole  # no jump on a full page
