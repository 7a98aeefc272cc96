"""/api/v1/partnerships/{slug}/goals and /sdg-alignment: shapes, errors, permissions."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from sinergi.access.services import create_api_token
from sinergi.ledger.models import Entry
from sinergi.partnerships.goals import services
from sinergi.partnerships.models import Goal
from tests.conftest import Cast
from tests.factories import OrganisationFactory

READERS = ["observer", "member", "partner_admin", "coordinator", "staff"]
NON_EDITORS = ["observer", "member", "partner_admin"]


class Api:
    def __init__(self, person=None) -> None:
        self.client = Client()
        self.headers: dict[str, str] = {}
        if person is not None:
            _token, secret = create_api_token(actor=person, name="tests")
            self.headers["HTTP_AUTHORIZATION"] = f"Bearer {secret}"

    def get(self, path: str):
        return self.client.get(f"/api/v1/partnerships{path}", **self.headers)

    def post(self, path: str, data: Any):
        return self.client.post(
            f"/api/v1/partnerships{path}", data, content_type="application/json", **self.headers
        )

    def patch(self, path: str, data: Any):
        return self.client.patch(
            f"/api/v1/partnerships{path}", data, content_type="application/json", **self.headers
        )

    def delete(self, path: str):
        return self.client.delete(f"/api/v1/partnerships{path}", **self.headers)


def add_goal(cast: Cast, **fields) -> Goal:
    values = {
        "title": "Zero-dose children halved",
        "measure": "Children with no DTP1 dose",
        "baseline_value": Decimal("48000"),
        "target_value": Decimal("24000"),
        "unit": "children",
        "target_date": date(2028, 12, 31),
        "sdg_targets": ["3.b", "3.2"],
        **fields,
    }
    return services.create_goal(
        actor=cast.people["coordinator"], partnership=cast.partnership, **values
    )


def goals_path(cast: Cast, suffix: str = "") -> str:
    return f"/{cast.partnership.slug}/goals{suffix}"


def test_a_coordinator_creates_a_goal_with_decimals_as_strings(private_cast):
    partner = private_cast.people["coordinator"].organisation
    response = Api(private_cast.people["coordinator"]).post(
        goals_path(private_cast),
        {
            "title": "Full basic immunisation in Papua",
            "measure": "Share of children 12-23 months fully immunised",
            "baseline_value": 38,
            "target_value": "85.5",
            "unit": "%",
            "target_date": "2029-12-31",
            "owner": partner.slug,
            "sdg_targets": ["3.b", "3.8"],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["baseline_value"] == "38" and body["target_value"] == "85.5"
    assert body["owner"] == {
        "id": partner.pk,
        "slug": partner.slug,
        "name": partner.name,
        "acronym": partner.acronym,
    }
    assert body["sdg_targets"] == ["3.b", "3.8"] and body["sdg_goals"] == ["3"]
    assert body["is_measurable"] is True
    assert body["target_date"] == "2029-12-31"
    assert Entry.objects.filter(kind="goal.created").count() == 1


def test_an_unknown_sdg_code_is_a_422_field_error_and_nothing_is_saved(private_cast):
    response = Api(private_cast.people["coordinator"]).post(
        goals_path(private_cast), {"title": "Bad", "sdg_targets": ["3.b", "3.z"]}
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert list(error["fields"]) == ["sdg_targets"]
    assert "“3.z”" in error["fields"]["sdg_targets"][0]
    assert not Goal.objects.exists()
    assert not Entry.objects.filter(kind="goal.created").exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"title": "x", "sdg_targets": "3.b"}, "sdg_targets"),
        ({"title": "x", "owner": "no-such-organisation"}, "owner"),
        ({"title": "x", "target_value": "lots"}, "target_value"),
        ({"title": "x", "target_value": "1.23456"}, "target_value"),
        ({"title": "x", "target_date": "1890-01-01"}, "target_date"),
        ({"title": ""}, "title"),
        ({}, "title"),
    ],
)
def test_bad_input_is_a_field_error(private_cast, payload, field):
    response = Api(private_cast.people["coordinator"]).post(goals_path(private_cast), payload)
    assert response.status_code == 422, response.content
    assert field in response.json()["error"]["fields"]
    assert not Goal.objects.exists()


@pytest.mark.parametrize("field", ["baseline_value", "target_value"])
@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("1e3", "Enter a number, e.g. 12.5."),
        ("+5", "Enter a number, e.g. 12.5."),
        ("1_000", "Enter a number, e.g. 12.5."),
        ("1,000", "Enter a number, e.g. 12.5."),
        ("NaN", "Enter a number, e.g. 12.5."),
        ("\u0661\u0662", "Enter a number, e.g. 12.5."),  # Arabic-Indic digits
        ("", "Enter a number, e.g. 12.5."),
        (1.5, 'Enter the number as a decimal string, e.g. "12.5".'),
        (True, 'Enter the number as a decimal string, e.g. "12.5".'),
        ("1" * 41, "The number is too large."),
    ],
)
def test_figures_are_plain_decimal_strings(private_cast, field, number, message):
    """Given a baseline or target that is not written as the API takes numbers (docs/api.md:
    no exponent, plus sign or separators; no JSON float), then the goal is refused with a
    422 on that field, on create and on change, and nothing is saved."""
    api = Api(private_cast.people["coordinator"])
    response = api.post(goals_path(private_cast), {"title": "Figures", field: number})
    assert response.status_code == 422, response.content
    assert response.json()["error"]["fields"] == {field: [message]}
    assert not Goal.objects.exists()
    goal = add_goal(private_cast)
    response = api.patch(goals_path(private_cast, f"/{goal.pk}"), {field: number})
    assert response.status_code == 422, response.content
    assert response.json()["error"]["fields"] == {field: [message]}
    assert getattr(Goal.objects.get(), field) == getattr(goal, field)


def test_figures_are_read_as_the_finance_and_results_apis_read_them(private_cast):
    """Whole numbers, decimal strings with a minus sign or a leading point, and surrounding
    spaces (trimmed, as texts are) are read as the same figure."""
    api = Api(private_cast.people["coordinator"])
    response = api.post(
        goals_path(private_cast),
        {"title": "Figures", "baseline_value": " 5 ", "target_value": "-.5"},
    )
    assert response.status_code == 201, response.content
    assert (response.json()["baseline_value"], response.json()["target_value"]) == ("5", "-0.5")
    goal = Goal.objects.get()
    assert (goal.baseline_value, goal.target_value) == (Decimal(5), Decimal("-0.5"))


def test_figures_in_indonesian_are_told_in_indonesian(private_cast):
    api = Api(private_cast.people["coordinator"])
    response = api.client.post(
        f"/api/v1/partnerships{goals_path(private_cast)}",
        {"title": "Angka", "target_value": "1e3"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="id",
        **api.headers,
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {
        "target_value": ["Masukkan angka, misalnya 12.5."]
    }


def test_an_owner_that_is_not_a_partner_is_a_field_error(private_cast):
    stranger = OrganisationFactory()
    response = Api(private_cast.people["coordinator"]).post(
        goals_path(private_cast), {"title": "Owned", "owner": stranger.slug}
    )
    assert response.status_code == 422
    assert list(response.json()["error"]["fields"]) == ["owner"]


def test_patch_changes_only_the_given_fields(private_cast):
    goal = add_goal(private_cast)
    api = Api(private_cast.people["coordinator"])
    response = api.patch(goals_path(private_cast, f"/{goal.pk}"), {"target_value": 20000})
    assert response.status_code == 200
    assert response.json()["target_value"] == "20000"
    assert response.json()["title"] == goal.title
    response = api.patch(goals_path(private_cast, f"/{goal.pk}"), {"owner": None, "measure": None})
    assert response.json()["owner"] is None and response.json()["measure"] == ""
    assert response.json()["is_measurable"] is False


def test_a_rejected_patch_changes_nothing(private_cast):
    goal = add_goal(private_cast)
    response = Api(private_cast.people["coordinator"]).patch(
        goals_path(private_cast, f"/{goal.pk}"), {"title": "New", "sdg_targets": ["42.1"]}
    )
    assert response.status_code == 422
    goal.refresh_from_db()
    assert goal.title == "Zero-dose children halved"


def test_delete_removes_the_goal(private_cast):
    goal = add_goal(private_cast)
    response = Api(private_cast.people["coordinator"]).delete(
        goals_path(private_cast, f"/{goal.pk}")
    )
    assert response.status_code == 204
    assert not Goal.objects.exists()
    assert Entry.objects.filter(kind="goal.deleted").count() == 1


def test_reorder(private_cast):
    a, b = add_goal(private_cast, title="A"), add_goal(private_cast, title="B")
    response = Api(private_cast.people["coordinator"]).post(
        goals_path(private_cast, "/order"), {"order": [b.pk, a.pk]}
    )
    assert response.status_code == 200
    assert [g["title"] for g in response.json()] == ["B", "A"]
    bad = Api(private_cast.people["coordinator"]).post(
        goals_path(private_cast, "/order"), {"order": [b.pk]}
    )
    assert bad.status_code == 422 and list(bad.json()["error"]["fields"]) == ["order"]


def test_a_goal_of_another_partnership_is_not_found(private_cast, public_cast):
    other = add_goal(public_cast)
    api = Api(private_cast.people["coordinator"])
    assert api.get(goals_path(private_cast, f"/{other.pk}")).status_code == 404
    assert api.patch(goals_path(private_cast, f"/{other.pk}"), {"title": "x"}).status_code == 404
    assert api.delete(goals_path(private_cast, f"/{other.pk}")).status_code == 404


def test_the_list_is_paged_and_in_order(private_cast):
    add_goal(private_cast, title="First")
    add_goal(private_cast, title="Second")
    body = Api(private_cast.people["observer"]).get(goals_path(private_cast)).json()
    assert body["count"] == 2
    assert [g["title"] for g in body["items"]] == ["First", "Second"]


def test_sdg_alignment_lists_each_sdg_goal_with_the_linked_targets(private_cast):
    first = add_goal(private_cast, sdg_targets=["3.b", "3.8"])
    second = add_goal(private_cast, title="Data", sdg_targets=["17.18", "3.b"])
    body = (
        Api(private_cast.people["member"])
        .get(f"/{private_cast.partnership.slug}/sdg-alignment")
        .json()
    )
    assert [entry["goal"]["code"] for entry in body] == ["3", "17"]
    assert [t["code"] for t in body[0]["targets"]] == ["3.8", "3.b"]
    assert body[0]["goals"] == [first.pk, second.pk]
    assert body[0]["goal"]["colour"] == "#4C9F38"
    assert body[1]["goals"] == [second.pk]


# Permissions ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", READERS)
def test_everyone_in_the_partnership_reads_its_goals(private_cast, role):
    goal = add_goal(private_cast)
    api = Api(private_cast.people[role])
    assert api.get(goals_path(private_cast)).status_code == 200
    assert api.get(goals_path(private_cast, f"/{goal.pk}")).status_code == 200
    assert api.get(f"/{private_cast.partnership.slug}/sdg-alignment").status_code == 200


@pytest.mark.parametrize("role", ["anonymous", "outsider"])
def test_a_private_partnerships_goals_are_not_found_for_outsiders(private_cast, role):
    goal = add_goal(private_cast)
    api = Api(private_cast.people[role])
    slug = private_cast.partnership.slug
    for response in (
        api.get(goals_path(private_cast)),
        api.get(goals_path(private_cast, f"/{goal.pk}")),
        api.get(f"/{slug}/sdg-alignment"),
        api.post(goals_path(private_cast), {"title": "x"}),
        api.patch(goals_path(private_cast, f"/{goal.pk}"), {"title": "x"}),
        api.delete(goals_path(private_cast, f"/{goal.pk}")),
    ):
        assert response.status_code == 404
        assert goal.title not in response.content.decode()
    missing = api.get("/no-such-partnership/goals")
    assert (
        missing.status_code == 404 and missing.content == api.get(goals_path(private_cast)).content
    )


@pytest.mark.parametrize("role", ["anonymous", "outsider"])
def test_a_public_partnerships_goals_are_readable_by_anyone_but_not_writable(public_cast, role):
    goal = add_goal(public_cast)
    api = Api(public_cast.people[role])
    assert api.get(goals_path(public_cast)).json()["count"] == 1
    assert api.get(f"/{public_cast.partnership.slug}/sdg-alignment").status_code == 200
    expected = 401 if role == "anonymous" else 403
    assert api.post(goals_path(public_cast), {"title": "x"}).status_code == expected
    assert api.patch(goals_path(public_cast, f"/{goal.pk}"), {"title": "x"}).status_code == expected
    assert api.delete(goals_path(public_cast, f"/{goal.pk}")).status_code == expected


@pytest.mark.parametrize("role", NON_EDITORS)
def test_only_coordinators_and_staff_write(private_cast, role):
    goal = add_goal(private_cast)
    api = Api(private_cast.people[role])
    assert api.post(goals_path(private_cast), {"title": "x"}).status_code == 403
    assert api.patch(goals_path(private_cast, f"/{goal.pk}"), {"title": "x"}).status_code == 403
    assert api.delete(goals_path(private_cast, f"/{goal.pk}")).status_code == 403
    assert api.post(goals_path(private_cast, "/order"), {"order": [goal.pk]}).status_code == 403
    goal.refresh_from_db()
    assert goal.title == "Zero-dose children halved"


@pytest.mark.parametrize("role", ["coordinator", "staff"])
def test_coordinators_and_staff_write(private_cast, role):
    api = Api(private_cast.people[role])
    created = api.post(goals_path(private_cast), {"title": "Theirs"})
    assert created.status_code == 201
    pk = created.json()["id"]
    assert api.patch(goals_path(private_cast, f"/{pk}"), {"unit": "%"}).status_code == 200
    assert api.delete(goals_path(private_cast, f"/{pk}")).status_code == 204


def test_session_writes_need_the_csrf_token(private_cast):
    client = Client(enforce_csrf_checks=True)
    client.force_login(private_cast.people["coordinator"])
    response = client.post(
        f"/api/v1/partnerships{goals_path(private_cast)}",
        {"title": "x"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert not Goal.objects.exists()


def test_listing_goals_takes_a_fixed_number_of_queries(private_cast, django_assert_max_num_queries):
    for n in range(10):
        add_goal(
            private_cast, title=f"Goal {n}", owner=private_cast.people["coordinator"].organisation
        )
    api = Api(private_cast.people["observer"])
    with django_assert_max_num_queries(6):
        response = api.get(goals_path(private_cast))
    assert response.json()["count"] == 10
