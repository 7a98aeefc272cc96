"""Edits made from a copy read before someone else's change (two requests at once).

Each service re-reads what it changes under the ledger's lock (`ledger.log.hold_row`), so
the copy a request read earlier can neither undo a change logged meanwhile, nor bring a
deleted row back, nor pass a check that no longer holds. Where the other change must land
between a check and its write, it is made from inside the check (a patched hook), as a
request committing at that moment would.
"""

from __future__ import annotations

import threading
import time
from datetime import date
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.http import Http404

from sinergi.core.errors import Conflict
from sinergi.finance import services as finance
from sinergi.ledger.models import Entry, Head
from sinergi.partnerships import services as partnerships
from sinergi.partnerships.goals import services as goals
from sinergi.partnerships.lifecycle import services as lifecycle
from sinergi.partnerships.models import Goal, Membership, Participation, Partnership
from sinergi.results import services as results
from sinergi.results.models import Result, Submission
from tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    ParticipationFactory,
    PartnershipFactory,
    PersonFactory,
)
from tests.results.conftest import build_monitored

pytestmark = pytest.mark.django_db


def coordinated() -> tuple[Partnership, object, object]:
    partnership = PartnershipFactory(base_currency="IDR")
    organisation = OrganisationFactory()
    ParticipationFactory(partnership=partnership, organisation=organisation)
    coordinator = PersonFactory(organisation=organisation)
    MembershipFactory(partnership=partnership, person=coordinator, role="coordinator")
    return partnership, organisation, coordinator


def last_kinds(count: int) -> list[str]:
    kinds = Entry.objects.order_by("-index").values_list("kind", flat=True)[:count]
    return list(reversed(kinds))


def test_a_goal_deleted_meanwhile_is_not_brought_back():
    partnership, _organisation, coordinator = coordinated()
    goal = goals.create_goal(actor=coordinator, partnership=partnership, title="G", measure="m")
    stale = Goal.objects.get(pk=goal.pk)  # the edit form's read
    goals.delete_goal(actor=coordinator, goal=Goal.objects.get(pk=goal.pk))

    with pytest.raises(Http404):
        goals.update_goal(actor=coordinator, goal=stale, title="G2")

    assert not Goal.objects.filter(pk=goal.pk).exists()
    assert last_kinds(1) == ["goal.deleted"]


def test_editing_one_field_keeps_a_rename_and_a_reordering_made_meanwhile():
    partnership, _organisation, coordinator = coordinated()
    first = goals.create_goal(actor=coordinator, partnership=partnership, title="A", measure="m")
    second = goals.create_goal(actor=coordinator, partnership=partnership, title="B", measure="m")
    stale = Goal.objects.get(pk=first.pk)
    read_at = stale.updated_at
    goals.update_goal(actor=coordinator, goal=Goal.objects.get(pk=first.pk), title="A renamed")
    goals.reorder_goals(actor=coordinator, partnership=partnership, order=[second.pk, first.pk])

    goals.update_goal(actor=coordinator, goal=stale, measure="new measure")

    stored = Goal.objects.get(pk=first.pk)
    assert (stored.title, stored.measure, stored.position) == ("A renamed", "new measure", 2)
    assert Goal.objects.get(pk=second.pk).position == 1
    assert stale.title == "A renamed"  # the caller's copy is what was saved
    assert stored.updated_at == stale.updated_at > read_at


def test_a_partner_admin_is_not_granted_while_the_organisation_leaves():
    partnership, _organisation, coordinator = coordinated()
    other = OrganisationFactory()
    listing = ParticipationFactory(partnership=partnership, organisation=other)
    person = PersonFactory(organisation=other)
    check = partnerships.check_partner_admin
    calls = []

    def check_then_remove(*args, **kwargs):
        check(*args, **kwargs)
        if not calls:  # the removal commits between the first check and the grant
            calls.append(1)
            partnerships.remove_partner(
                actor=coordinator, participation=Participation.objects.get(pk=listing.pk)
            )

    with (
        mock.patch.object(partnerships, "check_partner_admin", check_then_remove),
        pytest.raises(ValidationError) as refused,
    ):
        partnerships.grant_membership(
            actor=coordinator, partnership=partnership, person=person, role="partner_admin"
        )

    assert "role" in refused.value.message_dict
    assert not Membership.objects.filter(partnership=partnership, person=person).exists()


def test_a_partner_admin_cannot_revoke_a_member_promoted_to_coordinator_meanwhile():
    partnership, organisation, coordinator = coordinated()
    partner_admin = PersonFactory(organisation=organisation)
    MembershipFactory(partnership=partnership, person=partner_admin, role="partner_admin")
    colleague = PersonFactory(organisation=organisation)
    membership = MembershipFactory(partnership=partnership, person=colleague, role="member")
    stale = Membership.objects.select_related("person", "partnership").get(pk=membership.pk)
    partnerships.change_membership_role(
        actor=coordinator, membership=Membership.objects.get(pk=membership.pk), role="coordinator"
    )

    with pytest.raises(PermissionDenied):
        partnerships.revoke_membership(actor=partner_admin, membership=stale)

    assert Membership.objects.get(pk=membership.pk).role == "coordinator"
    assert last_kinds(1) == ["membership.role_changed"]


def test_the_base_currency_stays_when_a_budget_is_recorded_meanwhile():
    partnership, _organisation, coordinator = coordinated()
    has_finance = partnerships._has_finance
    calls = []

    def check_then_record(checked):
        found = has_finance(checked)
        if not calls:  # a budget line in IDR commits between the first check and the save
            calls.append(1)
            finance.create_budget_line(
                actor=coordinator,
                partnership=Partnership.objects.get(pk=partnership.pk),
                title="Line",
                amount="1000000",
                period_start=date(2026, 1, 1),
                period_end=date(2026, 12, 31),
            )
        return found

    with (
        mock.patch.object(partnerships, "_has_finance", check_then_record),
        pytest.raises(ValidationError) as refused,
    ):
        partnerships.update_partnership(
            actor=coordinator, partnership=partnership, base_currency="USD"
        )

    assert "base_currency" in refused.value.message_dict
    assert Partnership.objects.get(pk=partnership.pk).base_currency == "IDR"


def test_two_results_moved_under_each_other_do_not_form_a_loop():
    m = build_monitored()
    a = results.create_result(actor=m.coordinator, partnership=m.partnership, type="9", title="A")
    b = results.create_result(actor=m.coordinator, partnership=m.partnership, type="9", title="B")
    a_read, b_read = Result.objects.get(pk=a.pk), Result.objects.get(pk=b.pk)
    results.update_result(actor=m.coordinator, result=Result.objects.get(pk=b.pk), parent=a_read)

    with pytest.raises(ValidationError) as refused:
        results.update_result(actor=m.coordinator, result=a_read, parent=b_read)

    assert "parent" in refused.value.message_dict
    assert Result.objects.get(pk=a.pk).parent_id is None
    assert Result.objects.get(pk=b.pk).parent_id == a.pk


def test_evidence_is_not_attached_to_a_value_approved_meanwhile():
    m = build_monitored()
    value = results.save_draft(actor=m.ngo_admin, indicator=m.trained, period=m.q1, value="10")
    stale = Submission.objects.get(pk=value.pk)
    results.submit(actor=m.ngo_admin, submission=Submission.objects.get(pk=value.pk))
    results.approve(actor=m.coordinator, submission=Submission.objects.get(pk=value.pk))

    with pytest.raises(Conflict):
        results.attach_evidence(
            actor=m.ngo_admin,
            submission=stale,
            uploaded_file=SimpleUploadedFile("report.pdf", b"%PDF-1.4"),
        )

    assert not Submission.objects.get(pk=value.pk).evidence.exists()


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL only: SQLite's writers take the one database lock at BEGIN IMMEDIATE",
)
def test_a_stage_change_and_a_deletion_at_once_do_not_deadlock(transactional_db):
    """Given a stage change holding its locks while the partnership is deleted, then the
    deletion waits for it and both finish. A stage change used to lock the partnership's
    row before the ledger's, a deletion the other way round: PostgreSQL's deadlock
    detector then failed one of them with a 500."""
    Head.objects.get_or_create(pk=1, defaults={"size": 0, "frontier": b""})
    partnership, _organisation, coordinator = coordinated()
    checking, go_on = threading.Event(), threading.Event()

    def slow_checklist(*args, **kwargs):  # the stage change, holding its locks
        checking.set()
        go_on.wait(10)
        return []

    errors: list[BaseException] = []

    def run(job) -> None:
        try:
            job()
        except BaseException as exc:  # reported in the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    with mock.patch.object(lifecycle, "evaluate", slow_checklist):
        stage = threading.Thread(
            target=run,
            args=(lambda: lifecycle.advance_stage(actor=coordinator, partnership=partnership),),
        )
        stage.start()
        assert checking.wait(10)
        deletion = threading.Thread(
            target=run,
            args=(
                lambda: partnerships.delete_partnership(actor=coordinator, partnership=partnership),
            ),
        )
        deletion.start()
        time.sleep(1)  # the deletion is now waiting on a lock the stage change holds
        go_on.set()
        stage.join(30)
        deletion.join(30)

    assert errors == []
    assert not Partnership.objects.filter(pk=partnership.pk).exists()
    assert last_kinds(2) == ["stage.advanced", "partnership.deleted"]
