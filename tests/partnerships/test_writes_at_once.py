"""Several requests writing to one partnership at the same moment, each in its own thread
and database connection.

On SQLite a writer takes the one database lock at BEGIN IMMEDIATE, so these meet only on
PostgreSQL, where each service takes the ledger's lock before it reads what it writes
(the next goal's place, the row it deletes).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable

import pytest
from django.db import connection, connections
from django.http import Http404

from sinergi.ledger.models import Entry, Head
from sinergi.partnerships import services as partnerships
from sinergi.partnerships.goals import services as goals
from sinergi.partnerships.models import Goal, Partnership, WorkPackage
from sinergi.partnerships.raci import services as raci
from tests.factories import MembershipFactory, PartnershipFactory, PersonFactory

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL only: SQLite's writers take the one database lock at BEGIN IMMEDIATE",
)

AT_ONCE = 8


@pytest.fixture
def coordinated(transactional_db) -> tuple[Partnership, object]:
    Head.objects.get_or_create(pk=1, defaults={"size": 0, "frontier": b""})
    partnership = PartnershipFactory(base_currency="IDR")
    coordinator = PersonFactory()
    MembershipFactory(partnership=partnership, person=coordinator, role="coordinator")
    return partnership, coordinator


def at_once(job: Callable[[int], object], count: int = AT_ONCE) -> list[object]:
    """Run `job(i)` for each i in `count` threads started together; each one's answer or
    the exception it raised."""
    answers: list[object] = [None] * count
    start = threading.Barrier(count)

    def run(i: int) -> None:
        try:
            start.wait(10)
            answers[i] = job(i)
        except BaseException as exc:  # reported in the test's thread
            answers[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return answers


def logged(kind: str) -> list[dict]:
    entries = Entry.objects.filter(kind=kind).order_by("index")
    return [json.loads(bytes(entry.body))["payload"] for entry in entries]


def test_goals_added_at_once_each_take_their_own_place(coordinated):
    partnership, coordinator = coordinated

    answers = at_once(
        lambda i: goals.create_goal(
            actor=coordinator,
            partnership=Partnership.objects.get(pk=partnership.pk),
            title=f"G{i}",
            measure="m",
        )
    )

    assert all(isinstance(answer, Goal) for answer in answers), answers
    positions = Goal.objects.filter(partnership=partnership).values_list("position", flat=True)
    assert sorted(positions) == list(range(1, AT_ONCE + 1))


def test_work_packages_added_at_once_each_take_their_own_place(coordinated):
    partnership, coordinator = coordinated

    answers = at_once(
        lambda i: raci.create_work_package(
            actor=coordinator,
            partnership=Partnership.objects.get(pk=partnership.pk),
            code=f"W{i}",
            title="W",
        )
    )

    assert all(isinstance(answer, WorkPackage) for answer in answers), answers
    positions = WorkPackage.objects.filter(partnership=partnership).values_list(
        "position", flat=True
    )
    assert sorted(positions) == list(range(AT_ONCE))


def test_a_partnership_deleted_by_several_at_once_is_logged_deleted_once(coordinated):
    partnership, coordinator = coordinated
    reads = [Partnership.objects.get(pk=partnership.pk) for _ in range(AT_ONCE)]

    answers = at_once(
        lambda i: partnerships.delete_partnership(actor=coordinator, partnership=reads[i])
    )

    assert answers.count(None) == 1
    assert all(isinstance(answer, Http404) for answer in answers if answer is not None), answers
    assert len(logged("partnership.deleted")) == 1


def test_a_goal_deleted_by_several_at_once_is_logged_deleted_once(coordinated):
    partnership, coordinator = coordinated
    goal = goals.create_goal(actor=coordinator, partnership=partnership, title="G", measure="m")
    reads = [Goal.objects.get(pk=goal.pk) for _ in range(AT_ONCE)]

    answers = at_once(lambda i: goals.delete_goal(actor=coordinator, goal=reads[i]))

    assert answers.count(None) == 1
    assert all(isinstance(answer, Http404) for answer in answers if answer is not None), answers
    assert len(logged("goal.deleted")) == 1


def test_goals_added_while_the_partnership_is_deleted_are_refused_with_404(coordinated):
    partnership, coordinator = coordinated

    def job(i: int) -> object:
        read = Partnership.objects.get(pk=partnership.pk)
        if i == 0:
            return partnerships.delete_partnership(actor=coordinator, partnership=read)
        return goals.create_goal(actor=coordinator, partnership=read, title=f"G{i}", measure="m")

    answers = at_once(job)

    assert answers[0] is None
    assert all(isinstance(answer, Goal | Http404) for answer in answers[1:]), answers
    assert not Partnership.objects.filter(pk=partnership.pk).exists()
