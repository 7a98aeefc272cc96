"""The expectations API: shapes, field errors, and who may read and write what."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from sinergi.access.services import create_api_token
from sinergi.partnerships.models import Expectation
from tests.design.test_expectations_setup import build_design, capability, expectation, ledger

pytestmark = pytest.mark.django_db


class Api:
    def __init__(self, person=None) -> None:
        self.client = Client()
        self.headers: dict[str, str] = {}
        if person is not None:
            _token, secret = create_api_token(actor=person, name="tests")
            self.headers["HTTP_AUTHORIZATION"] = f"Bearer {secret}"

    def get(self, path: str):
        return self.client.get(f"/api/v1{path}", **self.headers)

    def send(self, method: str, path: str, data: Any = None):
        call = getattr(self.client, method)
        if data is None:
            return call(f"/api/v1{path}", **self.headers)
        return call(f"/api/v1{path}", data, content_type="application/json", **self.headers)


def ok(response, status: int = 200) -> Any:
    assert response.status_code == status, response.content[:800]
    return response.json() if response.content else None


@pytest.fixture
def design():
    return build_design()


def base(design) -> str:
    return f"/partnerships/{design.partnership.slug}"


def test_expectations_per_partner(design):
    """Given the company with a linked capability and an expectation, then GET /expectations
    lists every partner with group, role, contribution, capabilities and expectations."""
    finance = capability(design.orgs["company"], "finance", sector_vocabulary="7", sector_code="8")
    design.parts["company"].capabilities.add(finance)
    e = expectation(design.parts["company"], "market_access", "short", 5)
    body = ok(Api(design.people["member"]).get(f"{base(design)}/expectations"))
    assert [row["organisation"]["name"] for row in body] == [
        "Ministry of Planning",
        "Acme Garments",
        "Fair Wages Foundation",
    ]
    company = body[1]
    assert company["participation"] == design.parts["company"].pk
    assert (company["group"], company["group_name"]) == ("private", "Private sector")
    assert (company["role"], company["contribution"]) == ("4", "Lines")
    assert company["capabilities"][0]["id"] == finance.pk
    assert company["capabilities"][0]["kind_name"] == "Finance"
    assert company["capabilities"][0]["sector_name"].startswith("SDG 8")
    [out] = company["expectations"]
    assert out["id"] == e.pk
    assert out["participation"] == design.parts["company"].pk
    assert (out["topic"], out["topic_name"]) == ("market_access", "Market access")
    assert (out["horizon"], out["horizon_name"]) == ("short", "Short-term results")
    assert out["importance"] == 5


def test_alignment_shape(design):
    expectation(design.parts["ministry"], "policy_change", "long", 5)
    expectation(design.parts["company"], "market_access", "short", 4)
    body = ok(Api(design.people["observer"]).get(f"{base(design)}/alignment"))
    assert [g["group"] for g in body["groups"]] == ["government", "private", "ngo"]
    government = body["groups"][0]
    assert government["partners"] == [design.orgs["ministry"].slug]
    assert government["leaning"] == "long"
    assert government["topics"] == [
        {
            "topic": "policy_change",
            "topic_name": "Policy change",
            "count": 1,
            "mean_importance": 5.0,
            "short": 0,
            "long": 1,
            "short_share": 0.0,
            "long_share": 1.0,
            "horizon": "long",
            "partners": [design.orgs["ministry"].slug],
        }
    ]
    assert body["topics"] == [
        {"topic": "market_access", "topic_name": "Market access"},
        {"topic": "policy_change", "topic_name": "Policy change"},
    ]
    assert [d["kind"] for d in body["divergences"]] == [
        "horizon",
        "priority",
        "priority",
        "unrecorded",
    ]
    assert body["unrecorded"] == [design.orgs["ngo"].slug]
    assert body["divergences"][-1]["partners"] == [design.orgs["ngo"].slug]


@pytest.mark.parametrize("who", ["outsider", "anonymous"])
def test_a_private_partnerships_expectations_are_not_found_for_outsiders(design, who):
    e = expectation(design.parts["company"], "reputation", "short")
    api = Api(design.people[who])
    pid = design.parts["company"].pk
    for method, path, data in [
        ("get", "/expectations", None),
        ("get", "/alignment", None),
        ("patch", f"/participations/{pid}/commitment", {"contribution": "x"}),
        ("post", f"/participations/{pid}/expectations", {"topic": "learning", "horizon": "long"}),
        ("patch", f"/participations/{pid}/expectations/{e.pk}", {"importance": 5}),
        ("delete", f"/participations/{pid}/expectations/{e.pk}", None),
    ]:
        response = api.send(method, f"{base(design)}{path}", data)
        assert response.status_code == 404, (method, path)
        assert response.json()["error"]["code"] == "not_found"
    e.refresh_from_db()
    assert e.importance == 3


def test_a_public_partnerships_alignment_is_open_but_not_writable_anonymously():
    design = build_design("public")
    api = Api()
    ok(api.get(f"{base(design)}/alignment"))
    ok(api.get(f"{base(design)}/expectations"))
    pid = design.parts["company"].pk
    response = api.send(
        "post",
        f"{base(design)}/participations/{pid}/expectations",
        {"topic": "learning", "horizon": "long"},
    )
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("coordinator", 200),
        ("partner_admin", 200),
        ("ngo_admin", 403),
        ("member", 403),
        ("observer", 403),
        ("staff", 200),
    ],
)
def test_who_may_patch_the_companys_commitment(design, who, status):
    pid = design.parts["company"].pk
    response = Api(design.people[who]).send(
        "patch", f"{base(design)}/participations/{pid}/commitment", {"contribution": "New"}
    )
    assert response.status_code == status, response.content
    design.parts["company"].refresh_from_db()
    assert design.parts["company"].contribution == ("New" if status == 200 else "Lines")


def test_patch_commitment_links_capabilities_and_keeps_what_is_not_sent(design):
    pid = design.parts["company"].pk
    finance = capability(design.orgs["company"], "finance")
    api = Api(design.people["partner_admin"])
    body = ok(
        api.send(
            "patch",
            f"{base(design)}/participations/{pid}/commitment",
            {"capabilities": [finance.pk]},
        )
    )
    assert body["contribution"] == "Lines"
    assert [c["id"] for c in body["capabilities"]] == [finance.pk]
    body = ok(
        api.send("patch", f"{base(design)}/participations/{pid}/commitment", {"contribution": "A"})
    )
    assert [c["id"] for c in body["capabilities"]] == [finance.pk]
    assert len(ledger("participation.commitment_changed")) == 2


def test_patch_commitment_with_a_foreign_capability_is_a_422_field_error(design):
    pid = design.parts["company"].pk
    foreign = capability(design.orgs["ngo"], "technical")
    response = Api(design.people["coordinator"]).send(
        "patch",
        f"{base(design)}/participations/{pid}/commitment",
        {"contribution": "Changed", "capabilities": [foreign.pk]},
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert list(error["fields"]) == ["capabilities"]
    design.parts["company"].refresh_from_db()
    assert design.parts["company"].contribution == "Lines"


def test_post_patch_and_delete_an_expectation(design):
    pid = design.parts["company"].pk
    api = Api(design.people["partner_admin"])
    path = f"{base(design)}/participations/{pid}/expectations"
    created = ok(
        api.send(
            "post",
            path,
            {
                "topic": "market_access",
                "horizon": "short",
                "importance": 5,
                "description": "Orders",
            },
        ),
        201,
    )
    assert (created["topic"], created["importance"], created["description"]) == (
        "market_access",
        5,
        "Orders",
    )
    changed = ok(api.send("patch", f"{path}/{created['id']}", {"horizon": "long"}))
    assert (changed["horizon"], changed["importance"]) == ("long", 5)
    ok(api.send("delete", f"{path}/{created['id']}"), 204)
    assert not Expectation.objects.exists()
    assert [len(ledger(k)) for k in ("expectation.added", "expectation.updated")] == [1, 1]
    assert len(ledger("expectation.removed")) == 1


def test_importance_6_is_a_422_field_error_and_nothing_is_saved(design):
    pid = design.parts["company"].pk
    api = Api(design.people["coordinator"])
    path = f"{base(design)}/participations/{pid}/expectations"
    response = api.send(
        "post", path, {"topic": "market_access", "horizon": "short", "importance": 6}
    )
    assert response.status_code == 422
    assert list(response.json()["error"]["fields"]) == ["importance"]
    assert not Expectation.objects.exists()
    e = expectation(design.parts["company"], "reputation", "short", 3)
    response = api.send("patch", f"{path}/{e.pk}", {"importance": 6, "topic": "learning"})
    assert response.status_code == 422
    assert "importance" in response.json()["error"]["fields"]
    e.refresh_from_db()
    assert (e.topic, e.importance) == ("reputation", 3)


def test_unknown_topic_is_a_422_field_error(design):
    pid = design.parts["company"].pk
    response = Api(design.people["coordinator"]).send(
        "post",
        f"{base(design)}/participations/{pid}/expectations",
        {"topic": "world_peace", "horizon": "short"},
    )
    assert response.status_code == 422
    assert list(response.json()["error"]["fields"]) == ["topic"]


@pytest.mark.parametrize("who", ["ngo_admin", "member", "observer"])
def test_others_may_not_add_the_companys_expectations(design, who):
    pid = design.parts["company"].pk
    response = Api(design.people[who]).send(
        "post",
        f"{base(design)}/participations/{pid}/expectations",
        {"topic": "learning", "horizon": "long"},
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert not Expectation.objects.exists()


def test_an_expectation_of_another_partner_is_not_found_under_this_one(design):
    """The NGO's expectation cannot be changed through the company's path."""
    e = expectation(design.parts["ngo"], "learning", "long", 3)
    pid = design.parts["company"].pk
    response = Api(design.people["partner_admin"]).send(
        "patch", f"{base(design)}/participations/{pid}/expectations/{e.pk}", {"importance": 1}
    )
    assert response.status_code == 404
    e.refresh_from_db()
    assert e.importance == 3


def test_a_participation_of_another_partnership_is_not_found(design):
    other = build_design()
    response = Api(design.people["coordinator"]).send(
        "post",
        f"{base(design)}/participations/{other.parts['company'].pk}/expectations",
        {"topic": "learning", "horizon": "long"},
    )
    assert response.status_code == 404
