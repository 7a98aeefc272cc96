"""The capabilities API: /api/v1/organisations/{slug}/capabilities[/{id}]."""

from __future__ import annotations

import pytest

from sinergi.partners.capabilities import services
from sinergi.partners.models import Capability, CapabilityCoverage
from tests.api.test_crud import ApiClient, ok
from tests.factories import OrganisationFactory, PersonFactory

BASE = "/organisations/ysia/capabilities"


def test_anyone_lists_and_reads_capabilities_with_names(organisation, capability):
    """Given a capability, anonymous callers get it with codes and display names."""
    page = ok(ApiClient().get(BASE))

    assert page["count"] == 1
    item = page["items"][0]
    assert item == ok(ApiClient().get(f"{BASE}/{capability.pk}"))
    assert {k: v for k, v in item.items() if k not in ("created_at", "updated_at")} == {
        "id": capability.pk,
        "organisation": "ysia",
        "kind": "local_knowledge",
        "kind_name": "Local knowledge",
        "sector_vocabulary": "2",
        "sector_code": "122",
        "sector_name": "Basic Health",
        "regions": ["ID-NT", "ID-PA"],
        "region_names": ["Nusa Tenggara Timur", "Papua"],
        "description": "Knows the remote villages.",
        "evidence": "Field teams since 2012.",
    }


def test_an_sdg_goal_sector_and_anywhere_read_back_by_name(organisation, admin):
    body = ok(
        ApiClient(admin).post(BASE, {"kind": "finance", "sector_vocabulary": "7",
                                     "sector_code": "3"}),
        201,
    )  # fmt: skip
    assert body["sector_name"].startswith("SDG 3:")
    assert body["regions"] == [] and body["region_names"] == []


def test_the_admin_creates_changes_and_deletes_a_capability(organisation, admin):
    api = ApiClient(admin)
    created = ok(
        api.post(BASE, {"kind": "community", "sector_vocabulary": "2", "sector_code": "130",
                        "regions": ["ID-PA"], "description": "Outreach"}),
        201,
    )  # fmt: skip
    url = f"{BASE}/{created['id']}"
    assert list(CapabilityCoverage.objects.values_list("region", flat=True)) == ["ID-PA"]

    changed = ok(api.patch(url, {"regions": ["ID-PA", "ID-PB"], "evidence": "Annual report"}))
    assert changed["regions"] == ["ID-PA", "ID-PB"]
    assert changed["description"] == "Outreach"  # untouched fields stay
    assert changed["evidence"] == "Annual report"
    assert CapabilityCoverage.objects.count() == 2

    assert api.delete(url).status_code == 204
    assert not Capability.objects.exists() and not CapabilityCoverage.objects.exists()
    assert api.get(url).status_code == 404


def test_a_session_caller_works_too(organisation, admin):
    api = ApiClient(admin, token=False)
    ok(api.post(BASE, {"kind": "network"}), 201)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"kind": "technical", "sector_vocabulary": "2", "sector_code": "999"}, "sector_code"),
        ({"kind": "technical", "sector_vocabulary": "7", "sector_code": "18"}, "sector_code"),
        ({"kind": "technical", "regions": ["XX-99"]}, "regions"),
        ({"kind": "technical", "regions": "ID"}, "regions"),
        ({"kind": "magic"}, "kind"),
        ({"sector_code": "122"}, "kind"),
    ],
)
def test_bad_input_is_422_with_field_errors_and_nothing_saved(organisation, admin, payload, field):
    response = ApiClient(admin).post(BASE, payload)

    body = ok(response, 422)
    assert body["error"]["code"] == "invalid"
    assert field in body["error"]["fields"]
    assert not Capability.objects.exists() and not CapabilityCoverage.objects.exists()


def test_a_bad_patch_is_422_and_changes_nothing(organisation, admin, capability):
    body = ok(ApiClient(admin).patch(f"{BASE}/{capability.pk}", {"sector_code": "18",
                                                                  "sector_vocabulary": "7"}),
              422)  # fmt: skip
    assert "sector_code" in body["error"]["fields"]
    capability.refresh_from_db()
    assert (capability.sector_vocabulary, capability.sector_code) == ("2", "122")
    assert set(CapabilityCoverage.objects.values_list("sector", flat=True)) == {"2:122"}


def test_others_get_403_and_anonymous_callers_401(organisation, capability):
    other_admin = PersonFactory(organisation=OrganisationFactory(), is_organisation_admin=True)
    member = PersonFactory(organisation=organisation)
    url = f"{BASE}/{capability.pk}"
    for person, status in ((other_admin, 403), (member, 403), (None, 401)):
        api = ApiClient(person)
        assert api.post(BASE, {"kind": "finance"}).status_code == status
        assert api.patch(url, {"kind": "finance"}).status_code == status
        body = ok(api.delete(url), status)
        assert body["error"]["code"] == ("unauthenticated" if person is None else "forbidden")
    capability.refresh_from_db()
    assert capability.kind == "local_knowledge"


def test_staff_may_write_any_organisations_capabilities(organisation, capability):
    api = ApiClient(PersonFactory(is_staff=True))
    ok(api.patch(f"{BASE}/{capability.pk}", {"kind": "finance"}))
    ok(api.post(BASE, {"kind": "network"}), 201)


def test_unknown_organisations_and_capabilities_are_404(organisation, admin, capability):
    api = ApiClient(admin)
    other = OrganisationFactory(slug="elsewhere")
    foreign = services.add_capability(
        actor=PersonFactory(is_staff=True), organisation=other, kind="finance"
    )
    assert ok(api.get("/organisations/nowhere/capabilities"), 404)["error"]["code"] == "not_found"
    assert api.get(f"{BASE}/999999").status_code == 404
    assert api.get(f"{BASE}/{foreign.pk}").status_code == 404
    assert api.patch(f"{BASE}/{foreign.pk}", {"kind": "network"}).status_code == 404
    assert api.delete(f"{BASE}/{foreign.pk}").status_code == 404
    assert api.post("/organisations/nowhere/capabilities", {"kind": "network"}).status_code == 404


def test_the_list_costs_the_same_queries_for_more_capabilities(
    organisation, admin, django_assert_max_num_queries, django_assert_num_queries
):
    api = ApiClient()

    def grow(count: int) -> None:
        for i in range(count):
            services.add_capability(actor=admin, organisation=organisation, kind="finance",
                                    regions=["ID-JB"], description=str(i))  # fmt: skip

    grow(3)
    api.get(BASE)
    with django_assert_max_num_queries(6) as few:
        api.get(BASE)
    grow(9)
    with django_assert_num_queries(len(few)):
        assert ok(api.get(BASE))["count"] == 12
