"""The matching API: recommendations and team — shapes, limits, permissions."""

from __future__ import annotations

import pytest

from sinergi.partners.matching import rules
from tests.api.test_crud import ApiClient, ok
from tests.conftest import Cast
from tests.design.matching_fixtures import capability, need, organisation


@pytest.fixture
def matched(public_cast: Cast) -> Cast:
    """A public partnership in Papua needing local knowledge there, and a candidate company."""
    cast = public_cast
    cast.partnership.regions = ["ID-PA"]
    cast.partnership.save()
    need(cast.partnership, "local_knowledge", "", ["ID-PA"], weight=5)
    need(cast.partnership, "in_kind", "2:313", [], weight=1)  # nobody covers this one
    telecom = organisation("Telkom Papua", "70", subdivisions=["ID-PA"], slug="telkom-papua")
    capability(telecom, "local_knowledge", "", ["ID-PA"])
    return cast


def test_recommendations_explain_their_scores(matched):
    body = ok(
        ApiClient(matched.people["member"]).get(
            f"/partnerships/{matched.partnership.slug}/recommendations"
        )
    )
    assert body["scoring"]["diversity_bonus"] == rules.DIVERSITY_BONUS
    assert body["scoring"]["presence_bonus"] == rules.PRESENCE_BONUS
    assert [n["kind"] for n in body["unmet_needs"]] == ["local_knowledge", "in_kind"]
    [item] = body["recommendations"]
    assert item["organisation"] | {"id": 0} == {
        "id": 0,
        "slug": "telkom-papua",
        "name": "Telkom Papua",
        "acronym": "",
        "org_type": "70",
        "partner_group": "private",
    }
    assert item["score"] == 5 + rules.DIVERSITY_BONUS + rules.PRESENCE_BONUS
    assert item["coverage_points"] == 5
    assert item["adds_group"] == "private" and item["present_in"] == ["ID-PA"]
    assert item["covers"][0]["description"] == "local knowledge in Papua"
    assert item["explanation"] == (
        "covers local knowledge in Papua; adds the private sector; works in Papua"
    )


def test_the_limit_is_between_1_and_50(matched):
    api = ApiClient(matched.people["member"])
    path = f"/partnerships/{matched.partnership.slug}/recommendations"
    for organisation_number in range(3):
        capability(
            organisation(f"Extra {organisation_number}", "22"), "local_knowledge", "", ["ID"]
        )
    assert len(ok(api.get(path, {"limit": 2}))["recommendations"]) == 2
    assert "limit" in ok(api.get(path, {"limit": 0}), 422)["error"]["fields"]
    assert "limit" in ok(api.get(path, {"limit": 51}), 422)["error"]["fields"]


def test_the_team_lists_members_and_needs_nobody_covers(matched):
    body = ok(ApiClient(None).get(f"/partnerships/{matched.partnership.slug}/team"))
    assert body["method"].startswith("greedy weighted set cover")
    [member] = body["members"]
    assert member["organisation"]["slug"] == "telkom-papua"
    assert member["gain"] == 5 and member["adds_group"] == "private"
    assert [n["kind"] for n in member["covers"]] == ["local_knowledge"]
    assert [n["kind"] for n in body["uncoverable"]] == ["in_kind"]
    assert body["already_covered"] == []


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("coordinator", 200),
        ("partner_admin", 200),
        ("member", 200),
        ("observer", 200),
        ("staff", 200),
        ("outsider", 404),
        ("anonymous", 404),
    ],
)
def test_private_partnership_matching_is_hidden_from_outsiders(private_cast, role, status):
    api = ApiClient(private_cast.people[role])
    slug = private_cast.partnership.slug
    assert api.get(f"/partnerships/{slug}/recommendations").status_code == status
    assert api.get(f"/partnerships/{slug}/team").status_code == status


def test_an_unknown_partnership_is_not_found(db):
    api = ApiClient(None)
    assert api.get("/partnerships/no-such-thing/recommendations").status_code == 404
