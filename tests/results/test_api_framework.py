"""The results API's framework: reading it whole, and the coordinators' writes to
results, dimensions, indicators and targets."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from sinergi.access.services import create_api_token
from sinergi.partners.models import Person
from sinergi.results.models import Dimension, Indicator, Result, Target

pytestmark = pytest.mark.django_db


class Api:
    """A JSON client for the results API, signed in with a token (or anonymous)."""

    def __init__(self, person: Person | None = None) -> None:
        self.client = Client(raise_request_exception=False)
        self.headers: dict[str, str] = {}
        if person is not None:
            _token, secret = create_api_token(actor=person, name="tests")
            self.headers["HTTP_AUTHORIZATION"] = f"Bearer {secret}"

    @staticmethod
    def url(m: Any, rest: str = "") -> str:
        return f"/api/v1/partnerships/{m.partnership.slug}/results{rest}"

    def get(self, url: str, params: dict[str, Any] | None = None):
        return self.client.get(url, params or {}, **self.headers)

    def send(self, method: str, url: str, data: Any = None):
        body = b"" if data is None else json.dumps(data).encode()
        return self.client.generic(
            method, url, body, content_type="application/json", **self.headers
        )

    def post(self, url: str, data: Any = None):
        return self.send("POST", url, {} if data is None else data)


def ok(response, status: int = 200) -> Any:
    assert response.status_code == status, response.content[:1000]
    return response.json() if response.content else None


def error(response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content[:1000]
    return response.json()["error"]


def test_given_a_framework_when_a_member_reads_it_then_results_come_in_tree_order(monitored):
    m = monitored
    body = ok(Api(m.observer).get(Api.url(m)))
    assert [r["title"] for r in body["results"]] == [
        m.impact.title,
        m.outcome.title,
        m.output.title,
    ]
    assert [r["depth"] for r in body["results"]] == [0, 1, 2]
    assert body["results"][1]["parent"] == m.impact.pk
    assert body["results"][1]["type"] == "2" and body["results"][1]["sdg_targets"] == ["3.b"]
    assert [d["code"] for d in body["dimensions"]] == ["sex", "province"]
    coverage = next(i for i in body["indicators"] if i["code"] == "2.1")
    assert coverage["baseline_value"] == "70"
    assert coverage["responsible"] == {"id": m.health.pk, "name": m.health.name}
    assert coverage["sdg_indicator"] == "3.b.1"
    assert coverage["dimensions"][0]["categories"][0] == {"code": "female", "label": "Female"}
    assert [(t["period"], t["value"], t["category"]) for t in coverage["targets"]][:2] == [
        ("2025-Q1", "75", None),
        ("2025-Q2", "80", None),
    ]
    assert coverage["status"]["progress"] == "no_data"
    assert coverage["status"]["final_target"] == "90"


def test_given_a_large_framework_when_read_then_the_queries_stay_few(
    monitored, django_assert_max_num_queries
):
    m = monitored
    api = Api(m.coordinator)
    api.get(Api.url(m))  # the token's first use is written once
    with django_assert_max_num_queries(10):
        ok(api.get(Api.url(m)))


def test_given_a_private_partnership_when_outsiders_read_then_404(monitored):
    m = monitored
    for person in (m.outsider, None):
        assert error(Api(person).get(Api.url(m)), 404)["code"] == "not_found"
        assert Api(person).get(Api.url(m, "/values")).status_code == 404
        assert Api(person).get(Api.url(m, "/indicators/2.1")).status_code == 404


def test_given_a_public_partnership_when_anonymous_reads_then_it_sees_the_framework(
    public_monitored,
):
    body = ok(Api().get(Api.url(public_monitored)))
    assert len(body["indicators"]) == 2


def test_when_a_coordinator_builds_a_framework_then_each_piece_is_saved(monitored):
    m = monitored
    api = Api(m.coordinator)
    dim = ok(
        api.post(
            Api.url(m, "/dimensions"),
            {"name": "Age", "kind": "age", "exhaustive": False},
        ),
        201,
    )
    assert dim["code"] == "age" and len(dim["categories"]) == 4
    result = ok(
        api.post(
            Api.url(m, "/results"),
            {"type": "1", "title": "Cold chain repaired", "parent": m.outcome.pk},
        ),
        201,
    )
    assert result["parent"] == m.outcome.pk
    # Under the outcome, which is under the impact: as deep as the framework lists it.
    listed = ok(api.get(Api.url(m)))["results"]
    assert result["depth"] == 2 == next(r["depth"] for r in listed if r["id"] == result["id"])
    indicator = ok(
        api.post(
            Api.url(m, "/indicators"),
            {
                "result": result["id"],
                "code": "1.2",
                "title": "Fridges repaired",
                "unit": "fridges",
                "accumulation": "cumulative",
                "baseline_value": "0",
                "responsible": m.ngo.pk,
                "dimensions": ["age"],
            },
        ),
        201,
    )
    assert indicator["dimensions"][0]["code"] == "age"
    body = ok(
        api.send(
            "PUT",
            Api.url(m, "/indicators/1.2/targets"),
            {
                "targets": {"2025-Q1": "10", "2025-Q2": 20},
                "by_category": {"2025-Q1": {"age:0-4": "3"}},
            },
        )
    )
    assert [(t["period"], t["category"], t["value"]) for t in body["targets"]] == [
        ("2025-Q1", None, "10"),
        ("2025-Q1", "age:0-4", "3"),
        ("2025-Q2", None, "20"),
    ]
    changed = ok(api.send("PATCH", Api.url(m, "/indicators/1.2"), {"title": "Fridges fixed"}))
    assert changed["title"] == "Fridges fixed" and changed["unit"] == "fridges"
    renamed = ok(api.send("PATCH", Api.url(m, f"/results/{result['id']}"), {"title": "Cold chain"}))
    assert renamed["title"] == "Cold chain" and renamed["parent"] == m.outcome.pk
    # An indicator hangs under the result and the dimension: both refuse to go.
    assert error(api.send("DELETE", Api.url(m, f"/results/{result['id']}")), 409)
    assert error(api.send("DELETE", Api.url(m, "/dimensions/age")), 409)
    assert api.send("DELETE", Api.url(m, "/indicators/1.2")).status_code == 204
    assert api.send("DELETE", Api.url(m, "/dimensions/age")).status_code == 204
    assert api.send("DELETE", Api.url(m, f"/results/{result['id']}")).status_code == 204
    assert not Indicator.objects.filter(code="1.2").exists()
    assert not Dimension.objects.filter(code="age").exists()


def test_when_a_dimension_changes_then_a_used_category_stays(monitored):
    m = monitored
    api = Api(m.coordinator)
    body = ok(
        api.send(
            "PATCH",
            Api.url(m, "/dimensions/sex"),
            {"name": "Sex at birth", "categories": ["female", "male", "other"]},
        )
    )
    assert body["name"] == "Sex at birth" and len(body["categories"]) == 3
    ok(
        api.send(
            "PUT",
            Api.url(m, "/indicators/1.1/targets"),
            {"by_category": {"2025-Q1": {"sex:other": "1"}}},
        )
    )
    err = error(
        api.send("PATCH", Api.url(m, "/dimensions/sex"), {"categories": ["female", "male"]}), 409
    )
    assert "categories" in err["fields"]


def test_a_category_with_a_misspelt_key_is_refused_not_labelled_with_its_code(monitored):
    """{"code", "lable"} took the code as the label (201); now a 422 naming the key, in
    both languages, and no dimension is made."""
    m = monitored
    api = Api(m.coordinator)
    body = {
        "name": "Disability",
        "kind": "custom",
        "categories": [{"code": "yes", "lable": "With a disability"}, "no"],
    }

    english = error(api.post(Api.url(m, "/dimensions"), body), 422)
    indonesian = error(
        api.client.post(
            Api.url(m, "/dimensions"),
            body,
            content_type="application/json",
            HTTP_ACCEPT_LANGUAGE="id",
            **api.headers,
        ),
        422,
    )
    fixed = ok(
        api.post(
            Api.url(m, "/dimensions"),
            {**body, "categories": [{"code": "yes", "label": "With a disability"}, "no"]},
        ),
        201,
    )

    assert english["fields"] == {
        "categories": ["A category takes only “code” and “label”, not “lable”."]
    }
    assert "“lable”" in indonesian["fields"]["categories"][0]
    assert indonesian["fields"] != english["fields"]
    assert fixed["categories"][0] == {"code": "yes", "label": "With a disability"}


def test_when_others_write_the_framework_then_403(monitored):
    m = monitored
    for person in (m.health_admin, m.observer, m.health_member):
        api = Api(person)
        assert error(api.post(Api.url(m, "/results"), {"type": "1", "title": "x"}), 403)
        assert error(api.send("PATCH", Api.url(m, "/indicators/2.1"), {"title": "x"}), 403)
        assert error(api.send("PUT", Api.url(m, "/indicators/2.1/targets"), {}), 403)
        assert error(api.send("DELETE", Api.url(m, "/dimensions/sex")), 403)
    assert Result.objects.filter(partnership=m.partnership).count() == 3


def test_when_the_framework_input_is_bad_then_422_names_the_field_and_nothing_is_saved(
    monitored,
):
    m = monitored
    api = Api(m.coordinator)
    before = Target.objects.count()
    cases = [
        ("/results", {"type": "7", "title": "x"}, "type"),
        ("/results", {"type": "2", "title": "x", "parent": m.output.pk}, "parent"),
        (
            "/indicators",
            {"result": m.output.pk, "code": "9", "title": "x", "responsible": 10**9},
            "responsible",
        ),
        (
            "/indicators",
            {
                "result": m.output.pk,
                "code": "9",
                "title": "x",
                "responsible": m.ngo.pk,
                "baseline_value": 1.5,
            },
            "baseline_value",
        ),
        (
            "/indicators",
            {"result": m.output.pk, "code": "1.1", "title": "x", "responsible": m.ngo.pk},
            "code",
        ),
        (
            "/dimensions",
            {"name": "Province", "kind": "subdivision", "categories": ["XX-99", "ID-JB"]},
            "categories",
        ),
        (
            "/dimensions",
            {"name": "Age", "kind": "custom", "categories": [{"code": "a"}, 5]},
            "categories",
        ),
        (
            "/dimensions",
            {"name": "Age", "kind": "custom", "categories": ["a:b", "c"]},
            "categories",
        ),
    ]
    for path, data, field in cases:
        err = error(api.post(Api.url(m, path), data), 422)
        assert field in err["fields"], (path, err)
    err = error(
        api.send("PUT", Api.url(m, "/indicators/2.1/targets"), {"targets": {"2025-Q3": 85.5}}), 422
    )
    assert "targets.2025-Q3" in err["fields"]
    err = error(
        api.send("PUT", Api.url(m, "/indicators/2.1/targets"), {"targets": {"2025-13": "1"}}), 422
    )
    assert "targets.2025-13" in err["fields"]
    assert Target.objects.count() == before
    assert Indicator.objects.filter(partnership=m.partnership).count() == 2


def test_a_long_refused_sdg_target_is_echoed_cut_short(monitored):
    """Given a result whose SDG targets hold a 5,000-character value and then seven other
    unknown codes, the API's message quotes the long value cut to 20 characters with "…"
    and the first five codes, then "…" (it echoed every character of every code)."""
    m = monitored
    codes = ["3.b", "Z" * 5000, *(f"99.{n}" for n in range(7))]

    fields = error(
        Api(m.coordinator).post(
            Api.url(m, "/results"), {"type": "1", "title": "Healthier", "sdg_targets": codes}
        ),
        422,
    )["fields"]

    assert fields["sdg_targets"] == [
        "“" + "Z" * 19 + "…”, “99.0”, “99.1”, “99.2”, “99.3”, … are not SDG target codes. "
        "Use official target codes such as 3.b."
    ]
    assert not Result.objects.filter(title="Healthier").exists()
