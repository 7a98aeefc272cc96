"""The needs API: /api/v1/partnerships/{slug}/needs — shapes, field errors, permissions."""

from __future__ import annotations

import pytest

from sinergi.partnerships.models import CapabilityNeed
from tests.api.test_crud import ApiClient, ok
from tests.conftest import Cast
from tests.design.matching_fixtures import capability, entries, need

GOOD = {
    "kind": "local_knowledge",
    "sector_vocabulary": "7",
    "sector_code": "3",
    "regions": ["ID-PA"],
    "weight": 5,
    "note": "Village health posts",
}


def url(cast: Cast, suffix: str = "") -> str:
    return f"/partnerships/{cast.partnership.slug}/needs{suffix}"


def test_a_coordinator_adds_lists_changes_and_removes_a_need(private_cast):
    cast = private_cast
    api = ApiClient(cast.people["coordinator"])
    created = ok(api.post(url(cast), GOOD), 201)
    assert created | {"id": 0} == {
        "id": 0,
        "kind": "local_knowledge",
        "kind_name": "Local knowledge",
        "sector_vocabulary": "7",
        "sector_code": "3",
        "sector_name": created["sector_name"],
        "regions": ["ID-PA"],
        "region_names": ["Papua"],
        "weight": 5,
        "note": "Village health posts",
        "description": created["description"],
        "covered_by": [],
    }
    assert created["sector_name"].startswith("SDG 3: ")
    assert created["description"] == "local knowledge for SDG 3 in Papua"
    assert [n["id"] for n in ok(api.get(url(cast)))] == [created["id"]]

    patched = ok(api.patch(url(cast, f"/{created['id']}"), {"weight": 2, "regions": []}))
    assert (patched["weight"], patched["regions"], patched["note"]) == (2, [], GOOD["note"])
    assert ok(api.delete(url(cast, f"/{created['id']}")), 204) is None
    assert not CapabilityNeed.objects.exists()
    assert [
        len(entries(cast.partnership, k)) for k in ("need.added", "need.updated", "need.removed")
    ] == [1, 1, 1]


def test_the_list_shows_which_partners_cover_each_need(private_cast):
    cast = private_cast
    partner = cast.people["coordinator"].organisation
    capability(partner, "finance", "", ["ID"])
    covered = need(cast.partnership, "finance", "", ["ID-PA"], weight=4)
    uncovered = need(cast.partnership, "technical", weight=2)
    listed = {n["id"]: n for n in ok(ApiClient(cast.people["observer"]).get(url(cast)))}
    assert listed[covered.pk]["covered_by"] == [{"slug": partner.slug, "name": partner.name}]
    assert listed[uncovered.pk]["covered_by"] == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"weight": 0}, "weight"),
        ({"weight": 6}, "weight"),
        ({"sector_code": "999"}, "sector_code"),
        ({"sector_vocabulary": "9"}, "sector_vocabulary"),
        ({"regions": ["Papua"]}, "regions"),
        ({"kind": "charisma"}, "kind"),
        ({"weight": "heavy"}, "weight"),
    ],
)
def test_bad_input_is_a_422_field_error_and_nothing_is_saved(private_cast, change, field):
    cast = private_cast
    api = ApiClient(cast.people["coordinator"])
    response = api.post(url(cast), GOOD | change)
    body = ok(response, 422)
    assert body["error"]["code"] == "invalid" and field in body["error"]["fields"]
    assert not CapabilityNeed.objects.exists()
    # and the same for a change of an existing need
    existing = need(cast.partnership, "finance", "2:121", weight=3)
    body = ok(api.patch(url(cast, f"/{existing.pk}"), change), 422)
    assert field in body["error"]["fields"]
    existing.refresh_from_db()
    assert existing.weight == 3 and existing.kind == "finance"
    assert entries(cast.partnership, "need.updated") == []


@pytest.mark.parametrize(
    ("role", "read", "write"),
    [
        ("coordinator", 200, 201),
        ("partner_admin", 200, 403),
        ("member", 200, 403),
        ("observer", 200, 403),
        ("staff", 200, 201),
        ("outsider", 404, 404),
        ("anonymous", 404, 404),
    ],
)
def test_private_partnership_needs_permission_matrix(private_cast, role, read, write):
    cast = private_cast
    existing = need(cast.partnership, "finance")
    api = ApiClient(cast.people[role])
    assert api.get(url(cast)).status_code == read
    assert api.post(url(cast), GOOD).status_code == write
    changed = 200 if write == 201 else write
    assert api.patch(url(cast, f"/{existing.pk}"), {"weight": 1}).status_code == changed
    deleted = 204 if write == 201 else write
    assert api.delete(url(cast, f"/{existing.pk}")).status_code == deleted


@pytest.mark.parametrize(("role", "write"), [("outsider", 403), ("anonymous", 401)])
def test_public_partnership_needs_are_readable_by_all_but_not_writable(public_cast, role, write):
    cast = public_cast
    existing = need(cast.partnership, "finance")
    api = ApiClient(cast.people[role])
    assert [n["id"] for n in ok(api.get(url(cast)))] == [existing.pk]
    assert api.post(url(cast), GOOD).status_code == write
    assert api.patch(url(cast, f"/{existing.pk}"), {"weight": 1}).status_code == write


def test_a_need_of_another_partnership_is_not_found(private_cast, public_cast):
    other = need(public_cast.partnership, "finance")
    api = ApiClient(private_cast.people["coordinator"])
    assert api.patch(url(private_cast, f"/{other.pk}"), {"weight": 1}).status_code == 404
    assert api.delete(url(private_cast, f"/{other.pk}")).status_code == 404
