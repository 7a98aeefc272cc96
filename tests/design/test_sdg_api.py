"""/api/v1/sdg: goals, targets, indicators, search and look-up by code, in one shape."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

FIELDS = {
    "code",
    "kind",
    "title",
    "title_en",
    "title_id",
    "short_title",
    "goal",
    "target",
    "colour",
}


def get(path: str, **params):
    return Client().get(f"/api/v1/sdg{path}", params)


def test_goals_lists_the_17_goals_with_codes_titles_and_colours():
    response = get("/goals")
    assert response.status_code == 200
    goals = response.json()
    assert len(goals) == 17
    assert set(goals[2]) == FIELDS
    assert goals[2] == {
        "code": "3",
        "kind": "goal",
        "title": "Ensure healthy lives and promote well-being for all at all ages",
        "title_en": "Ensure healthy lives and promote well-being for all at all ages",
        "title_id": (
            "Menjamin kehidupan yang sehat dan meningkatkan kesejahteraan seluruh penduduk "
            "semua usia"
        ),
        "short_title": "Good health and well-being",
        "goal": "3",
        "target": None,
        "colour": "#4C9F38",
    }


def test_the_title_follows_accept_language():
    goals = Client().get("/api/v1/sdg/goals", headers={"Accept-Language": "id"}).json()
    assert goals[0]["title"] == goals[0]["title_id"]
    assert goals[0]["short_title"] == "Tanpa Kemiskinan"


def test_targets_all_or_of_one_goal():
    assert len(get("/targets").json()) == 169
    targets = get("/targets", goal="3").json()
    assert [t["code"] for t in targets][:2] == ["3.1", "3.2"]
    assert targets[0]["kind"] == "target"
    assert targets[0]["goal"] == "3" and targets[0]["target"] is None
    assert targets[0]["title_id"] is None


def test_indicators_of_a_target_or_a_goal():
    assert len(get("/indicators").json()) >= 230
    indicators = get("/indicators", target="3.b").json()
    assert [i["code"] for i in indicators] == ["3.b.1", "3.b.2", "3.b.3"]
    assert indicators[0]["target"] == "3.b" and indicators[0]["goal"] == "3"
    assert all(i["goal"] == "12" for i in get("/indicators", goal="12").json())


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/targets", {"goal": "99"}, "goal"),
        ("/targets", {"goal": "3.b"}, "goal"),
        ("/indicators", {"target": "3"}, "target"),
        ("/indicators", {"target": "3.z"}, "target"),
        ("/indicators", {"goal": "x"}, "goal"),
        ("/search", {"q": ""}, "q"),
        ("/search", {"q": "water", "limit": "0"}, "limit"),
    ],
)
def test_a_bad_filter_is_a_field_error(path, params, field):
    response = get(path, **params)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert list(error["fields"]) == [field]


def test_search_by_code_and_by_words():
    assert [i["code"] for i in get("/search", q="3.b").json()] == ["3.b", "3.b.1", "3.b.2", "3.b.3"]
    assert [i["code"] for i in get("/search", q="vaccine", limit=2).json()] == ["3.8", "3.b"]


@pytest.mark.parametrize(
    ("code", "kind"), [("3", "goal"), ("3.b", "target"), ("3.b.1", "indicator")]
)
def test_one_item_by_code(code, kind):
    response = get(f"/{code}")
    assert response.status_code == 200
    assert response.json()["code"] == code and response.json()["kind"] == kind


@pytest.mark.parametrize("code", ["18", "3.z", "3.b.9", "nothing"])
def test_an_unknown_code_is_a_404_in_the_error_envelope(code):
    response = get(f"/{code}")
    assert response.status_code == 404
    assert response.json() == {
        "error": {"status": 404, "code": "not_found", "message": "Not found."}
    }
