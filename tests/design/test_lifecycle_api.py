"""The lifecycle API: /api/v1/partnerships/{slug}/lifecycle, /advance and /stage."""

from __future__ import annotations

import pytest
from django.test import Client

from sinergi.access.services import create_api_token
from sinergi.ledger.models import Entry
from sinergi.partnerships.lifecycle import checklist as checklist_module
from sinergi.partnerships.models import Partnership, Stage
from tests.conftest import Cast
from tests.design.test_lifecycle_checklist import TODAY, build_design
from tests.factories import MembershipFactory, PersonFactory

MISSING_SLUG = "no-such-partnership-here"


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr(checklist_module, "today", lambda: TODAY)


def api_client(person) -> Client:
    if person is None:
        return Client()
    _token, secret = create_api_token(actor=person, name="lifecycle")
    return Client(headers={"Authorization": f"Bearer {secret}"})


@pytest.fixture
def design(db):
    return build_design()


def url(slug: str, suffix: str = "") -> str:
    return f"/api/v1/partnerships/{slug}/lifecycle{suffix}"


def test_read_lifecycle_shape(design):
    """The current stage, the next one, and all five stages with their items."""
    response = api_client(design.coordinator).get(url(design.partnership.slug))

    assert response.status_code == 200
    data = response.json()
    assert data["stage"] == "scoping"
    assert data["stage_name"] == "Scoping"
    assert data["next_stage"] == "building"
    assert data["can_advance"] is True
    assert [s["stage"] for s in data["stages"]] == list(Stage.values)
    assert data["stages"][0]["current"] is True
    assert data["stages"][4]["name"] == "Sustaining or moving on"
    assert data["stages"][4]["items"] == []
    first = data["stages"][0]["items"][0]
    assert set(first) == {"id", "label", "done", "blocking", "detail", "link"}
    assert first["id"] == "vision"


def test_advance_ok(design):
    response = api_client(design.coordinator).post(url(design.partnership.slug, "/advance"))

    assert response.status_code == 200
    assert response.json()["stage"] == "building"
    assert Partnership.objects.get(pk=design.partnership.pk).stage == Stage.BUILDING
    assert Entry.objects.filter(kind="stage.advanced").count() == 1


def test_advance_blocked_is_422_with_fields_and_the_missing_items(design):
    """Given an incomplete scoping checklist, then 422 with the reasons in fields.stage and
    a structured `missing` list; nothing changes and nothing goes on the ledger."""
    Partnership.objects.filter(pk=design.partnership.pk).update(vision="")
    before = Entry.objects.count()

    response = api_client(design.coordinator).post(url(design.partnership.slug, "/advance"))

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["fields"]["stage"] == [
        "The partnership cannot move to “Building” yet.",
        "A shared vision: No vision statement has been written yet.",
    ]
    assert [item["id"] for item in error["missing"]] == ["vision"]
    assert error["missing"][0]["done"] is False
    assert Partnership.objects.get(pk=design.partnership.pk).stage == Stage.SCOPING
    assert Entry.objects.count() == before


def test_go_back_with_a_reason(design):
    Partnership.objects.filter(pk=design.partnership.pk).update(stage=Stage.IMPLEMENTING)

    response = api_client(design.coordinator).post(
        url(design.partnership.slug, "/stage"),
        {"stage": "building", "reason": "Renegotiate the agreement"},
        content_type="application/json",
    )

    assert response.status_code == 200
    assert response.json()["stage"] == "building"
    assert Entry.objects.filter(kind="stage.changed").count() == 1


@pytest.mark.parametrize(
    "body,field",
    [
        ({"stage": "reviewing", "reason": "Skip ahead"}, "stage"),
        ({"stage": "implementing", "reason": "Stay"}, "stage"),
        ({"stage": "building", "reason": ""}, "reason"),
        ({"stage": "building"}, "reason"),
        ({"stage": "nonsense", "reason": "x"}, "stage"),
    ],
)
def test_go_back_refuses_forward_moves_and_missing_reasons(design, body, field):
    Partnership.objects.filter(pk=design.partnership.pk).update(stage=Stage.IMPLEMENTING)

    response = api_client(design.coordinator).post(
        url(design.partnership.slug, "/stage"), body, content_type="application/json"
    )

    assert response.status_code == 422
    assert field in response.json()["error"]["fields"]
    assert Partnership.objects.get(pk=design.partnership.pk).stage == Stage.IMPLEMENTING
    assert not Entry.objects.filter(kind__startswith="stage.").exists()


# The permission matrix -----------------------------------------------------------------


@pytest.mark.parametrize(
    "role,read,write",
    [
        ("coordinator", 200, 200),
        ("staff", 200, 200),
        ("partner_admin", 200, 403),
        ("member", 200, 403),
        ("observer", 200, 403),
        ("outsider", 404, 404),
        ("anonymous", 404, 404),
    ],
)
def test_private_permission_matrix(private_cast: Cast, role, read, write):
    """Members read; coordinators and staff move; outsiders get 404 for a private one."""
    slug = private_cast.partnership.slug
    Partnership.objects.filter(slug=slug).update(vision="Shared")
    client = api_client(private_cast.people[role])

    assert client.get(url(slug)).status_code == read
    advance = client.post(url(slug, "/advance"))
    # The cast's partnership has one partner, so a permitted advance is blocked (422).
    assert advance.status_code == (422 if write == 200 else write)
    back = client.post(
        url(slug, "/stage"), {"stage": "scoping", "reason": "x"}, content_type="application/json"
    )
    assert back.status_code == (422 if write == 200 else write)
    assert Partnership.objects.get(slug=slug).stage == Stage.SCOPING


@pytest.mark.parametrize("role", ["outsider", "anonymous"])
@pytest.mark.parametrize("suffix,method", [("", "get"), ("/advance", "post"), ("/stage", "post")])
def test_private_looks_like_a_missing_partnership(private_cast: Cast, role, suffix, method):
    client = api_client(private_cast.people[role])
    body = {"stage": "scoping", "reason": "x"} if suffix == "/stage" else {}

    def call(slug: str):
        if method == "get":
            return client.get(url(slug, suffix))
        return client.post(url(slug, suffix), body, content_type="application/json")

    private = call(private_cast.partnership.slug)
    missing = call(MISSING_SLUG)
    assert private.status_code == missing.status_code == 404
    assert private.json() == missing.json()


def test_public_partnership_is_readable_by_anyone_but_not_movable(public_cast: Cast):
    slug = public_cast.partnership.slug
    assert Client().get(url(slug)).status_code == 200
    assert Client().post(url(slug, "/advance")).status_code == 401
    outsider = api_client(public_cast.people["outsider"])
    assert outsider.get(url(slug)).status_code == 200
    assert outsider.post(url(slug, "/advance")).status_code == 403


def test_observer_gets_403(db):
    design = build_design()
    observer = PersonFactory()
    MembershipFactory(partnership=design.partnership, person=observer, role="observer")
    response = api_client(observer).post(url(design.partnership.slug, "/advance"))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert Partnership.objects.get(pk=design.partnership.pk).stage == Stage.SCOPING
