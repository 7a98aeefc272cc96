"""Writes made from a copy read before the row, or the partnership it belongs to, was
changed or deleted by someone else (two requests at once).

A deletion reads its row again under the ledger's lock (`ledger.log.hold_row`) and logs
it as it is then: of two deletions at once the second finds it gone (Http404) and logs
nothing. A write under a partnership (or a partner, a goal) reads that parent again under
the same lock, so one deleted meanwhile is Http404, not a database error at the commit
or a misleading field error.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import contextmanager
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from sinergi.access import policy
from sinergi.access import services as access
from sinergi.access.models import Invitation
from sinergi.core.errors import Conflict
from sinergi.ledger.models import Entry
from sinergi.partnerships import services as partnerships
from sinergi.partnerships.agreements import services as agreements
from sinergi.partnerships.expectations import services as expectations
from sinergi.partnerships.goals import services as goals
from sinergi.partnerships.models import Expectation, Goal, Participation, Partnership, WorkPackage
from sinergi.partnerships.needs import services as needs
from sinergi.partnerships.raci import services as raci
from sinergi.results import services as results
from sinergi.results.models import Indicator, Result
from tests.conftest import client_for
from tests.factories import (
    OrganisationFactory,
    ParticipationFactory,
    PersonFactory,
)
from tests.partnerships.test_stale_edits import coordinated
from tests.results.conftest import add_qualitative_indicator, build_monitored

pytestmark = pytest.mark.django_db


def fresh(row):
    """The row as another request reads it now."""
    return type(row)._default_manager.get(pk=row.pk)


@contextmanager
def meanwhile(change: Callable[[], object], target: object = policy, name: str = "require"):
    """`change` commits just after the request's call of `target.name` (its permission
    check unless said), as another request finishing at that moment would. (Made before
    the check, a deletion would be refused by the check itself: the coordinator's role
    goes with the partnership.)"""
    original = getattr(target, name)
    done: list[int] = []

    def call_then_change(*args, **kwargs):
        answer = original(*args, **kwargs)
        if not done:
            done.append(1)
            change()
        return answer

    with mock.patch.object(target, name, call_then_change):
        yield


def logged(kind: str) -> list[dict]:
    entries = Entry.objects.filter(kind=kind).order_by("index")
    return [json.loads(bytes(entry.body))["payload"] for entry in entries]


def deleting(partnership: Partnership, coordinator) -> Callable[[], None]:
    return lambda: partnerships.delete_partnership(
        actor=coordinator, partnership=fresh(partnership)
    )


def test_a_partnership_deleted_twice_is_logged_once():
    partnership, _organisation, coordinator = coordinated()
    delete = partnerships.delete_partnership

    with (
        meanwhile(lambda: delete(actor=coordinator, partnership=fresh(partnership))),
        pytest.raises(Http404),
    ):
        delete(actor=coordinator, partnership=fresh(partnership))

    assert len(logged("partnership.deleted")) == 1


def test_a_partnership_is_logged_deleted_under_the_title_it_has_then():
    partnership, _organisation, coordinator = coordinated()
    stale = fresh(partnership)
    partnerships.update_partnership(
        actor=coordinator, partnership=fresh(partnership), title="Renamed meanwhile"
    )

    partnerships.delete_partnership(actor=coordinator, partnership=stale)

    assert logged("partnership.deleted")[-1]["title"] == "Renamed meanwhile"


def test_a_partnership_deleted_meanwhile_is_not_updated():
    partnership, _organisation, coordinator = coordinated()
    delete = partnerships.delete_partnership

    with (
        meanwhile(lambda: delete(actor=coordinator, partnership=fresh(partnership))),
        pytest.raises(Http404),
    ):
        partnerships.update_partnership(
            actor=coordinator, partnership=fresh(partnership), summary="New"
        )

    assert not Partnership.objects.filter(pk=partnership.pk).exists()
    assert not logged("partnership.updated")


def test_an_update_is_compared_with_the_partnership_as_it_is_then():
    partnership, _organisation, coordinator = coordinated()
    stale = fresh(partnership)  # the form's read, before someone else's change
    partnerships.update_partnership(actor=coordinator, partnership=fresh(partnership), summary="B")

    partnerships.update_partnership(
        actor=coordinator, partnership=stale, summary=partnership.summary, vision="Seen"
    )

    stored = fresh(partnership)
    assert (stored.summary, stored.vision) == (partnership.summary, "Seen")
    assert logged("partnership.updated")[-1]["changed"] == {
        "summary": partnership.summary,
        "vision": "Seen",
    }


def test_a_partner_is_not_added_to_a_partnership_deleted_meanwhile():
    partnership, _organisation, coordinator = coordinated()
    delete = partnerships.delete_partnership
    newcomer = OrganisationFactory()
    deleted = lambda: delete(actor=coordinator, partnership=fresh(partnership))  # noqa: E731

    with (
        meanwhile(deleted, Participation, "full_clean"),
        pytest.raises(Http404),
    ):
        partnerships.add_partner(
            actor=coordinator, partnership=fresh(partnership), organisation=newcomer, role="4"
        )

    assert not logged("partner.joined")


def test_a_partner_leaves_logged_in_the_role_it_has_then():
    partnership, _organisation, coordinator = coordinated()
    other = OrganisationFactory()
    listing = partnerships.add_partner(
        actor=coordinator, partnership=partnership, organisation=other, role="4"
    )
    stale = Participation.objects.select_related("partnership", "organisation").get(pk=listing.pk)
    partnerships.change_partner_role(actor=coordinator, participation=fresh(listing), role="2")

    partnerships.remove_partner(actor=coordinator, participation=stale)

    assert logged("partner.left")[-1] == {"organisation": other.slug, "role": "2"}


# ---------------------------------------------------------------- goals


def new_goal(partnership: Partnership, coordinator, title: str = "G") -> Goal:
    return goals.create_goal(actor=coordinator, partnership=partnership, title=title, measure="m")


def test_a_goal_deleted_twice_is_logged_once():
    partnership, _organisation, coordinator = coordinated()
    goal = new_goal(partnership, coordinator)
    stale = fresh(goal)
    goals.delete_goal(actor=coordinator, goal=fresh(goal))

    with pytest.raises(Http404):
        goals.delete_goal(actor=coordinator, goal=stale)

    assert len(logged("goal.deleted")) == 1


def test_a_goal_is_logged_deleted_as_it_is_then():
    partnership, _organisation, coordinator = coordinated()
    goal = new_goal(partnership, coordinator, "T0")
    stale = fresh(goal)
    goals.update_goal(actor=coordinator, goal=fresh(goal), title="T1")

    goals.delete_goal(actor=coordinator, goal=stale)

    assert logged("goal.deleted")[-1]["title"] == "T1"


def test_a_goal_is_not_added_to_a_partnership_deleted_meanwhile():
    partnership, _organisation, coordinator = coordinated()

    with meanwhile(deleting(partnership, coordinator)), pytest.raises(Http404):
        new_goal(fresh(partnership), coordinator)

    assert not logged("goal.created")


# ---------------------------------------------------------------- work packages and RACI


def test_a_work_package_deleted_twice_is_logged_once_as_it_is_then():
    partnership, organisation, coordinator = coordinated()
    wp = raci.create_work_package(actor=coordinator, partnership=partnership, code="W1", title="A")
    first, second = fresh(wp), fresh(wp)  # two deletions' reads
    raci.update_work_package(actor=coordinator, work_package=fresh(wp), title="B")
    raci.set_responsibility(
        actor=coordinator, work_package=fresh(wp), organisation=organisation, letter="A"
    )

    raci.delete_work_package(actor=coordinator, work_package=first)
    with pytest.raises(Http404):
        raci.delete_work_package(actor=coordinator, work_package=second)

    assert logged("work_package.deleted") == [
        {"code": "W1", "title": "B", "cells": {organisation.slug: "A"}}
    ]


def test_a_work_package_is_not_added_to_a_partnership_deleted_meanwhile():
    partnership, _organisation, coordinator = coordinated()

    with (
        meanwhile(deleting(partnership, coordinator), WorkPackage, "full_clean"),
        pytest.raises(Http404),
    ):
        raci.create_work_package(
            actor=coordinator, partnership=fresh(partnership), code="W1", title="A"
        )

    assert not logged("work_package.created")


def test_a_work_package_for_a_goal_deleted_meanwhile_is_refused_on_the_goal():
    partnership, _organisation, coordinator = coordinated()
    goal = new_goal(partnership, coordinator)

    deleted = lambda: goals.delete_goal(actor=coordinator, goal=fresh(goal))  # noqa: E731

    with (
        meanwhile(deleted, WorkPackage, "full_clean"),
        pytest.raises(ValidationError) as refused,
    ):
        raci.create_work_package(
            actor=coordinator, partnership=partnership, code="W1", title="A", goal=goal
        )

    assert list(refused.value.message_dict) == ["goal"]
    assert not WorkPackage.objects.exists()


def test_a_cell_is_not_set_in_a_work_package_deleted_meanwhile():
    partnership, organisation, coordinator = coordinated()
    wp = raci.create_work_package(actor=coordinator, partnership=partnership, code="W1", title="A")
    stale = fresh(wp)
    raci.delete_work_package(actor=coordinator, work_package=fresh(wp))

    with pytest.raises(Http404):
        raci.set_responsibility(
            actor=coordinator, work_package=stale, organisation=organisation, letter="R"
        )

    assert not logged("raci.changed")


# ---------------------------------------------------------------- needs and expectations


def test_a_need_deleted_twice_is_logged_once():
    partnership, _organisation, coordinator = coordinated()
    need = needs.add_need(actor=coordinator, partnership=partnership, kind="finance")
    stale = fresh(need)
    needs.update_need(actor=coordinator, need=fresh(need), weight=5)
    needs.delete_need(actor=coordinator, need=fresh(need))

    with pytest.raises(Http404):
        needs.delete_need(actor=coordinator, need=stale)

    assert [payload["weight"] for payload in logged("need.removed")] == [5]


def test_a_need_is_not_added_to_a_partnership_deleted_meanwhile():
    partnership, _organisation, coordinator = coordinated()

    with meanwhile(deleting(partnership, coordinator)), pytest.raises(Http404):
        needs.add_need(actor=coordinator, partnership=fresh(partnership), kind="finance")

    assert not logged("need.added")


def test_an_expectation_deleted_twice_is_logged_once_as_it_is_then():
    partnership, organisation, coordinator = coordinated()
    listing = Participation.objects.get(partnership=partnership, organisation=organisation)
    wish = expectations.add_expectation(
        actor=coordinator, participation=listing, topic="market_access", horizon="short"
    )
    first, second = fresh(wish), fresh(wish)  # two deletions' reads
    expectations.update_expectation(actor=coordinator, expectation=fresh(wish), importance=5)
    expectations.delete_expectation(actor=coordinator, expectation=first)

    with pytest.raises(Http404):
        expectations.delete_expectation(actor=coordinator, expectation=second)

    assert [payload["importance"] for payload in logged("expectation.removed")] == [5]


def test_an_expectation_is_not_added_to_a_partner_removed_meanwhile():
    partnership, _organisation, coordinator = coordinated()
    listing = partnerships.add_partner(
        actor=coordinator, partnership=partnership, organisation=OrganisationFactory(), role="4"
    )
    removing = lambda: partnerships.remove_partner(  # noqa: E731
        actor=coordinator, participation=fresh(listing)
    )

    with meanwhile(removing, Expectation, "full_clean"), pytest.raises(Http404):
        expectations.add_expectation(
            actor=coordinator, participation=listing, topic="market_access", horizon="short"
        )

    assert not logged("expectation.added")


# ---------------------------------------------------------------- agreements and results


def test_a_draft_agreement_is_not_started_in_a_partnership_deleted_meanwhile():
    partnership, _organisation, coordinator = coordinated()

    with meanwhile(deleting(partnership, coordinator)), pytest.raises(Http404):
        agreements.create_draft(actor=coordinator, partnership=fresh(partnership))

    assert not logged("agreement.drafted")


def test_an_indicator_deleted_twice_is_logged_once():
    m = build_monitored()
    indicator = add_qualitative_indicator(m)
    first, second = fresh(indicator), fresh(indicator)
    results.delete_indicator(actor=m.coordinator, indicator=first)

    with pytest.raises(Http404):
        results.delete_indicator(actor=m.coordinator, indicator=second)

    assert len(logged("results.indicator.deleted")) == 1


def test_an_indicator_under_a_result_deleted_meanwhile_is_refused_on_the_result():
    m = build_monitored()
    result = results.create_result(
        actor=m.coordinator, partnership=m.partnership, type="1", title="Spare", parent=m.outcome
    )
    deleted = lambda: results.delete_result(actor=m.coordinator, result=fresh(result))  # noqa: E731

    with (
        meanwhile(deleted, results, "_clean_dimensions"),
        pytest.raises(ValidationError) as refused,
    ):
        results.create_indicator(
            actor=m.coordinator,
            partnership=m.partnership,
            result=result,
            code="9",
            title="T",
            measure="5",
            responsible=m.health,
        )

    assert list(refused.value.message_dict) == ["result"]
    assert not Indicator.objects.filter(partnership=m.partnership, code="9").exists()


def test_a_result_for_a_goal_deleted_meanwhile_is_refused_on_the_goal():
    m = build_monitored()
    goal = new_goal(m.partnership, m.coordinator)
    deleted = lambda: goals.delete_goal(actor=m.coordinator, goal=fresh(goal))  # noqa: E731

    with (
        meanwhile(deleted, results, "_clean_result"),
        pytest.raises(ValidationError) as refused,
    ):
        results.create_result(
            actor=m.coordinator, partnership=m.partnership, type="3", title="New", goal=goal
        )

    assert list(refused.value.message_dict) == ["goal"]
    assert not Result.objects.filter(partnership=m.partnership, title="New").exists()


def test_a_dimension_is_kept_once_an_indicator_is_broken_down_by_it_meanwhile():
    m = build_monitored()
    dimension = results.create_dimension(
        actor=m.coordinator, partnership=m.partnership, name="Age", kind="age"
    )

    def broken_down() -> None:
        results.create_indicator(
            actor=m.coordinator,
            partnership=m.partnership,
            result=m.impact,
            code="3.9",
            title="By age",
            measure="5",
            responsible=m.health,
            dimensions=[dimension],
        )

    with meanwhile(broken_down, results, "_atomic"), pytest.raises(Conflict):
        results.delete_dimension(actor=m.coordinator, dimension=fresh(dimension))

    indicator = Indicator.objects.get(partnership=m.partnership, code="3.9")
    assert list(indicator.dimensions.all()) == [dimension]


def test_a_partner_s_role_changed_on_the_page_after_its_removal_meanwhile_is_404():
    """Given the Partners tab's role form sent while another request removes that partner,
    then the page answers 404 (removed meanwhile), not a 500 from reloading the row."""
    partnership, _organisation, coordinator = coordinated()
    participation = ParticipationFactory(
        partnership=partnership, organisation=OrganisationFactory(), role="4"
    )
    client = client_for(coordinator)

    def removed() -> None:
        Participation.objects.filter(pk=participation.pk).delete()

    with meanwhile(removed):
        response = client.post(
            f"/en/partnerships/{partnership.slug}/partners/{participation.pk}/role/",
            {"role": "1"},
        )

    assert response.status_code == 404
    assert not Participation.objects.filter(pk=participation.pk).exists()


def test_a_membership_in_a_partnership_deleted_meanwhile_is_404_and_stores_nothing():
    """Given a grant whose partnership another request deletes after the checks, then
    the grant is Http404 (not a foreign-key error at the commit, which was answered as
    "already a member") and no membership or entry is stored."""
    partnership, organisation, coordinator = coordinated()
    newcomer = PersonFactory(organisation=organisation)

    with (
        meanwhile(deleting(partnership, coordinator), partnerships, "check_partner_admin"),
        pytest.raises(Http404),
    ):
        partnerships.grant_membership(
            actor=coordinator, partnership=partnership, person=newcomer, role="member"
        )

    assert not newcomer.memberships.exists()
    assert logged("membership.granted") == []


def test_an_invitation_to_a_partnership_deleted_meanwhile_is_404_and_stores_nothing():
    """Given an invitation whose partnership another request deletes after the checks,
    then it is Http404 and no invitation (no working link) is stored."""
    partnership, organisation, coordinator = coordinated()

    with (
        meanwhile(deleting(partnership, coordinator), access, "check_partner_admin"),
        pytest.raises(Http404),
    ):
        access.invite_person(
            actor=coordinator,
            email="new@example.org",
            organisation=organisation,
            partnership=partnership,
            role="member",
            accept_url_template="https://sinergi.example/invitations/{token}/",
        )

    assert not Invitation.objects.exists()
