"""The Matching tab: needs edited in place, coverage, recommendations and a team."""

from __future__ import annotations

import pytest
from django.urls import reverse

from sinergi.partnerships.models import CapabilityNeed
from tests.conftest import Cast, client_for
from tests.design.matching_fixtures import capability, entries, need, organisation

HTMX = {"HTTP_HX_REQUEST": "true"}
GOOD = {
    "kind": "local_knowledge",
    "sector": "7:3",
    "other_regions": "ID-PA",
    "weight": "5",
    "note": "Village health posts",
}


def page_url(cast: Cast) -> str:
    return reverse("partnership-matching", kwargs={"slug": cast.partnership.slug})


def create_url(cast: Cast) -> str:
    return reverse("need-create", kwargs={"slug": cast.partnership.slug})


def edit_url(cast: Cast, pk: int) -> str:
    return reverse("need-edit", kwargs={"slug": cast.partnership.slug, "pk": pk})


@pytest.fixture
def cast(private_cast: Cast) -> Cast:
    private_cast.partnership.regions = ["ID-PA", "ID-NT"]
    private_cast.partnership.save()
    return private_cast


@pytest.fixture
def coordinator(cast: Cast):
    return client_for(cast.people["coordinator"])


@pytest.mark.parametrize(
    ("role", "status", "edits"),
    [
        ("coordinator", 200, True),
        ("staff", 200, True),
        ("partner_admin", 200, False),
        ("member", 200, False),
        ("observer", 200, False),
        ("outsider", 404, False),
        ("anonymous", 404, False),
    ],
)
def test_everyone_in_the_partnership_sees_the_tab_only_coordinators_edit(cast, role, status, edits):
    need(cast.partnership, "finance", "7:3", [], weight=4)
    response = client_for(cast.people[role]).get(page_url(cast))
    assert response.status_code == status
    if status == 200:
        html = response.content.decode()
        assert 'aria-current="page">Matching</a>' in html
        assert "Finance" in html and "Not covered" in html
        assert ("Add a need" in html) is edits
        assert ("Remove <span" in html) is edits


def test_anonymous_visitors_see_a_public_partnerships_matching(public_cast):
    need(public_cast.partnership, "finance")
    response = client_for(None).get(page_url(public_cast))
    assert response.status_code == 200
    assert "Add a need" not in response.content.decode()


def test_a_coordinator_adds_a_need_in_place_and_the_recommendations_refresh(cast, coordinator):
    response = coordinator.post(create_url(cast), GOOD, **HTMX)
    assert response.status_code == 200
    assert "needs-changed" in response["HX-Trigger"]
    assert response["HX-Retarget"] == "#needs"
    html = response.content.decode()
    assert "The need is added." in html and "Village health posts" in html
    [saved] = CapabilityNeed.objects.all()
    assert (saved.kind, saved.sector_vocabulary, saved.sector_code) == ("local_knowledge", "7", "3")
    assert saved.regions == ["ID-PA"] and saved.weight == 5
    assert len(entries(cast.partnership, "need.added")) == 1


def test_checked_regions_and_other_codes_are_combined(cast, coordinator):
    data = GOOD | {"regions": ["ID-NT"], "other_regions": "tl, ID-PA"}
    coordinator.post(create_url(cast), data, **HTMX)
    assert CapabilityNeed.objects.get().regions == ["ID-NT", "TL", "ID-PA"]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"weight": "0"}, "weight", "greater than or equal to 1"),
        ({"weight": "6"}, "weight", "less than or equal to 5"),
        ({"sector": "2:999"}, "sector", "Select a valid choice"),
        ({"other_regions": "ID-XX"}, "other_regions", "is not an ISO 3166"),
    ],
)
def test_bad_input_shows_inline_errors_and_saves_nothing(cast, coordinator, change, field, message):
    response = coordinator.post(create_url(cast), GOOD | change, **HTMX)
    assert response.status_code == 200
    assert "HX-Trigger" not in response
    html = response.content.decode()
    assert message in html
    assert f'id="new-need-{field}"' in html and 'aria-invalid="true"' in html
    assert not CapabilityNeed.objects.exists()
    # Without JavaScript: the whole page again, 422
    response = coordinator.post(create_url(cast), GOOD | change)
    assert response.status_code == 422 and message in response.content.decode()
    assert not CapabilityNeed.objects.exists()


def test_without_javascript_adding_a_need_redirects_back(cast, coordinator):
    response = coordinator.post(create_url(cast), GOOD)
    assert response.status_code == 302 and response["Location"].endswith("/matching/#needs")
    assert CapabilityNeed.objects.count() == 1


def test_a_need_is_edited_in_its_row(cast, coordinator):
    existing = need(cast.partnership, "finance", "", ["ID-PA", "TL"], weight=2)
    form = coordinator.get(edit_url(cast, existing.pk), **HTMX)
    assert form.status_code == 200
    html = form.content.decode()
    assert f'<tr id="need-{existing.pk}">' in html and 'value="TL"' in html
    bad = coordinator.post(edit_url(cast, existing.pk), GOOD | {"weight": "9"}, **HTMX)
    assert "less than or equal to 5" in bad.content.decode()
    existing.refresh_from_db()
    assert existing.weight == 2
    saved = coordinator.post(edit_url(cast, existing.pk), GOOD | {"weight": "4"}, **HTMX)
    assert "needs-changed" in saved["HX-Trigger"] and "Changes saved." in saved.content.decode()
    existing.refresh_from_db()
    assert (existing.kind, existing.weight, existing.regions) == ("local_knowledge", 4, ["ID-PA"])
    cancel = coordinator.get(edit_url(cast, existing.pk) + "?cancel=1", **HTMX)
    assert cancel.status_code == 200 and "HX-Trigger" not in cancel


def test_without_javascript_a_need_is_edited_on_its_own_page(cast, coordinator):
    existing = need(cast.partnership, "finance")
    page = coordinator.get(edit_url(cast, existing.pk))
    assert page.status_code == 200
    title = f"Edit need: Finance · {cast.partnership.title} · Sinergi"  # which need
    assert f"<title>{title}</title>" in page.content.decode()
    bad = coordinator.post(edit_url(cast, existing.pk), GOOD | {"weight": "0"})
    assert bad.status_code == 422
    assert f"<title>Error: {title}</title>" in bad.content.decode()
    good = coordinator.post(edit_url(cast, existing.pk), GOOD)
    assert good.status_code == 302


def test_a_need_is_removed_in_place(cast, coordinator):
    existing = need(cast.partnership, "finance")
    url = reverse("need-delete", kwargs={"slug": cast.partnership.slug, "pk": existing.pk})
    response = coordinator.post(url, **HTMX)
    assert response.status_code == 200 and "The need was removed." in response.content.decode()
    assert not CapabilityNeed.objects.exists()
    assert len(entries(cast.partnership, "need.removed")) == 1


@pytest.mark.parametrize(
    ("role", "status"), [("member", 403), ("outsider", 404), ("anonymous", 404)]
)
def test_others_cannot_change_needs(cast, role, status):
    existing = need(cast.partnership, "finance")
    client = client_for(cast.people[role])
    assert client.post(create_url(cast), GOOD, **HTMX).status_code == status
    assert client.post(edit_url(cast, existing.pk), GOOD, **HTMX).status_code == status
    url = reverse("need-delete", kwargs={"slug": cast.partnership.slug, "pk": existing.pk})
    assert client.post(url, **HTMX).status_code == status
    assert CapabilityNeed.objects.get().kind == "finance"


def test_the_page_shows_coverage_recommendations_and_links(cast):
    partner = cast.people["coordinator"].organisation
    capability(partner, "finance", "", ["ID"])
    need(cast.partnership, "finance", "", ["ID-PA"], weight=4)
    need(cast.partnership, "local_knowledge", "", ["ID-PA"], weight=5)
    telecom = organisation("Telkom Papua", "70", subdivisions=["ID-PA"], slug="telkom-papua")
    capability(telecom, "local_knowledge", "", ["ID-PA"])
    html = client_for(cast.people["observer"]).get(page_url(cast)).content.decode()
    assert f'href="{partner.get_absolute_url()}"' in html  # covers the finance need
    assert 'href="/en/organisations/telkom-papua/"' in html
    assert "Score 8" in html
    assert "Covers local knowledge in Papua; adds the private sector; works in Papua." in html


def test_the_recommendations_partial_and_the_team(cast):
    need(cast.partnership, "local_knowledge", "", ["ID-PA"], weight=5)
    need(cast.partnership, "in_kind", "2:313", [], weight=1)
    capability(organisation("Telkom Papua", "70"), "local_knowledge", "", ["ID-PA"])
    client = client_for(cast.people["member"])
    slug = cast.partnership.slug
    partial = client.get(reverse("partnership-recommendations", kwargs={"slug": slug}), **HTMX)
    assert partial.status_code == 200 and "Telkom Papua" in partial.content.decode()
    assert (
        client.get(reverse("partnership-recommendations", kwargs={"slug": slug})).status_code == 302
    )
    team = client.get(reverse("partnership-team", kwargs={"slug": slug}), **HTMX)
    html = team.content.decode()
    assert "Telkom Papua" in html and "No organisation in the registry covers these needs" in html
    redirect = client.get(reverse("partnership-team", kwargs={"slug": slug}))
    assert redirect["Location"].endswith("/matching/?team=1#team")
    page = client.get(page_url(cast) + "?team=1").content.decode()
    assert "In-kind assets for Fishing" in page


def test_the_page_needs_a_bounded_number_of_queries(cast, django_assert_max_num_queries):
    client = client_for(cast.people["coordinator"])
    for weight, kind in enumerate(["finance", "technical", "network", "community", "policy"], 1):
        need(cast.partnership, kind, "", ["ID-PA"], weight=weight)
    for n in range(30):
        capability(
            organisation(f"Candidate {n}", ["22", "70", "80"][n % 3]), "technical", "", ["ID"]
        )
    with django_assert_max_num_queries(14):
        assert client.get(page_url(cast)).status_code == 200
