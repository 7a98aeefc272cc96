"""A JSON body's values are read as JSON says them, and what no database can store is a
422 on its field, never a 500 or a silent guess.

pydantic's lax mode would read `true` as the number 1 (as an id, row 1), a number or a
string of digits as a date (a Unix timestamp: "0" is 1970-01-01), and pass on a lone
surrogate (`"\\ud800"`) or a number beyond what the column or the ledger's RFC 8785 bytes
can hold, which failed in the database or in the ledger with a 500. A body sent to an
operation that takes none is read as one that takes it would be. Every body schema
derives from `sinergi.core.bodies.InputSchema`, which does the reading for all of them.
"""

from __future__ import annotations

from typing import Any

import pytest

from sinergi.core.bodies import MAX_WHOLE
from sinergi.ledger.models import Entry
from sinergi.partnerships.models import Goal, Membership, Participation, WorkPackage
from tests.api.test_crud import ApiClient
from tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    ParticipationFactory,
    PartnershipFactory,
    PersonFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def coordinated(db):
    person = PersonFactory(organisation=OrganisationFactory(slug="air-kupang"))
    partnership = PartnershipFactory(title="Clean Water for Kupang")
    ParticipationFactory(partnership=partnership, organisation=person.organisation, role="1")
    MembershipFactory(partnership=partnership, person=person, role="coordinator")
    return ApiClient(person), partnership


def send(api: ApiClient, method: str, path: str, raw: str | bytes):
    """`raw` as the body, exactly: json.dumps would not write a lone surrogate's escape."""
    return api.client.generic(
        method, f"/api/v1{path}", raw, content_type="application/json", **api.headers
    )


def fields(response) -> dict[str, list[str]]:
    assert response.status_code == 422, response.content[:500]
    return response.json()["error"]["fields"]


# ---------------------------------------------------------------- lone surrogates


@pytest.mark.parametrize(
    ("path", "raw", "field"),
    [
        ("goals", '{"title": "Safe water", "owner": "a\\ud800"}', "owner"),
        ("participations", '{"organisation": "a\\ud800", "role": "4"}', "organisation"),
        ("memberships", '{"person": "a\\udfff", "role": "member"}', "person"),
    ],
)
def test_a_lone_surrogate_in_a_text_is_a_422_on_its_field_and_nothing_is_written(
    coordinated, path, raw, field
):
    api, partnership = coordinated
    before = (
        Goal.objects.count(),
        Participation.objects.count(),
        Membership.objects.count(),
        Entry.objects.count(),
    )

    response = send(api, "POST", f"/partnerships/{partnership.slug}/{path}", raw)

    assert fields(response) == {field: ["Enter text."]}
    after = (
        Goal.objects.count(),
        Participation.objects.count(),
        Membership.objects.count(),
        Entry.objects.count(),
    )
    assert after == before


def test_a_lone_surrogate_inside_a_list_names_its_place(coordinated):
    api, partnership = coordinated
    raw = '{"cells": [{"work_package": "a\\ud800", "organisation": "air-kupang", "letter": "R"}]}'

    response = send(api, "PUT", f"/partnerships/{partnership.slug}/raci", raw)

    assert fields(response) == {"cells.0.work_package": ["Enter text."]}
    one = raw.removeprefix('{"cells": [').removesuffix("]}")
    response = send(api, "PUT", f"/partnerships/{partnership.slug}/raci/cells", one)
    assert fields(response) == {"work_package": ["Enter text."]}


def test_a_surrogate_pair_is_an_ordinary_character(coordinated):
    api, partnership = coordinated
    raw = '{"title": "Safe water \\ud83d\\udca7"}'

    response = send(api, "POST", f"/partnerships/{partnership.slug}/goals", raw)

    assert response.status_code == 201, response.content[:500]
    assert Goal.objects.get().title == "Safe water \U0001f4a7"


# ---------------------------------------------------------------- whole numbers


@pytest.mark.parametrize(
    "position", [2**53, MAX_WHOLE + 1, 2**63 - 1, 10**30, "3000000000", 3e9, " 2147483648"]
)
def test_a_position_beyond_the_column_is_a_422_and_nothing_is_made(coordinated, position):
    api, partnership = coordinated
    path = f"/partnerships/{partnership.slug}/work-packages"

    response = api.post(path, {"code": "BIG", "title": "Too far", "position": position})

    assert fields(response) == {"position": [f"Must be at most {MAX_WHOLE}."]}
    assert not WorkPackage.objects.exists()
    highest = api.post(path, {"code": "TOP", "title": "Last", "position": MAX_WHOLE})
    assert highest.status_code == 201, highest.content[:500]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "WP1", "title": "Pipes", "goal": True}, "goal"),
        ({"code": "WP1", "title": "Pipes", "position": True}, "position"),
        ({"code": "WP1", "title": "Pipes", "position": False}, "position"),
    ],
)
def test_true_or_false_is_not_a_number(coordinated, body, field):
    api, partnership = coordinated
    Goal.objects.create(partnership=partnership, title="Safe water", position=1)

    response = api.post(f"/partnerships/{partnership.slug}/work-packages", body)

    assert fields(response) == {field: ["Enter a whole number."]}
    assert not WorkPackage.objects.exists()


def test_true_in_a_list_of_ids_is_not_id_1(coordinated):
    api, partnership = coordinated
    participation = Participation.objects.get(partnership=partnership)

    response = api.client.patch(
        f"/api/v1/partnerships/{partnership.slug}/participations/{participation.pk}/commitment",
        {"capabilities": [True]},
        content_type="application/json",
        **api.headers,
    )

    assert fields(response) == {"capabilities": ["Enter a whole number."]}


def test_a_key_of_a_client_object_is_named_by_its_start_only():
    from sinergi.api import _unstorable_text

    found: dict[str, list[str]] = {}
    _unstorable_text({"k" * 200_000 + "\x00": "1", "ok": "a\x00"}, "values", found)

    assert sorted(found) == ["values." + "k" * 99 + "…", "values.ok"]


# ---------------------------------------------------------------- dates


@pytest.mark.parametrize(
    "start",
    [
        0,
        "0",
        "1767225600",
        "-86400",
        1.5,
        "2026-11-01T00:00:00+14:00",
        "2026-1-1",
        "\uff12\uff10\uff12\uff16-01-01",  # full-width digits
    ],
)
def test_a_date_is_written_yyyy_mm_dd_and_nothing_else(coordinated, start):
    api, partnership = coordinated
    before = partnership.start_date

    response = api.patch(f"/partnerships/{partnership.slug}", {"start_date": start})

    assert fields(response) == {"start_date": ["Enter a date as YYYY-MM-DD."]}
    partnership.refresh_from_db()
    assert partnership.start_date == before


def test_a_date_written_yyyy_mm_dd_is_taken_and_null_still_clears_it(coordinated):
    api, partnership = coordinated
    path = f"/partnerships/{partnership.slug}"

    assert api.patch(path, {"start_date": "2026-01-05"}).json()["start_date"] == "2026-01-05"
    assert api.patch(path, {"start_date": None}).json()["start_date"] is None


def test_a_goal_target_date_given_as_a_timestamp_is_refused(coordinated):
    api, partnership = coordinated

    response = api.post(
        f"/partnerships/{partnership.slug}/goals",
        {"title": "Safe water", "target_date": 1767225600},
    )

    assert fields(response) == {"target_date": ["Enter a date as YYYY-MM-DD."]}
    assert not Goal.objects.exists()


# ---------------------------------------------------------------- operations without a body


def _goal(partnership) -> Goal:
    return Goal.objects.create(partnership=partnership, title="Safe water", position=1)


@pytest.mark.parametrize(
    ("raw", "status", "said"),
    [
        ('{"force": true}', 422, {"force": ["Unknown field."]}),
        ("[]", 400, "The request body must be a JSON object, in braces."),
        ('{"a": 1, "a": 2}', 400, "The request body names “a” twice: send each field once."),
        ("{oops", 400, "The request body is not valid JSON."),
    ],
)
def test_a_body_sent_to_an_operation_that_takes_none_is_refused_and_nothing_done(
    coordinated, raw, status, said
):
    api, partnership = coordinated
    goal = _goal(partnership)
    entries = Entry.objects.count()

    response = send(api, "DELETE", f"/partnerships/{partnership.slug}/goals/{goal.pk}", raw)

    assert response.status_code == status, response.content[:500]
    error: dict[str, Any] = response.json()["error"]
    assert (error["fields"] if status == 422 else error["message"]) == said
    assert Goal.objects.filter(pk=goal.pk).exists()
    assert Entry.objects.count() == entries


@pytest.mark.parametrize("raw", ["", "{}", "  \n"])
def test_no_body_or_an_empty_object_is_what_an_operation_without_a_body_takes(coordinated, raw):
    api, partnership = coordinated
    goal = _goal(partnership)

    response = send(api, "DELETE", f"/partnerships/{partnership.slug}/goals/{goal.pk}", raw)

    assert response.status_code == 204, response.content[:500]
    assert not Goal.objects.filter(pk=goal.pk).exists()
