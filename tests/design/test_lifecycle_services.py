"""Moving through the lifecycle: forward only when the checklist is met, back with a reason,
each move on the ledger in the same transaction."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from sinergi.ledger.models import Entry
from sinergi.partnerships.lifecycle import checklist as checklist_module
from sinergi.partnerships.lifecycle.services import StageBlocked, advance_stage, set_stage
from sinergi.partnerships.models import Membership, Partnership, Stage
from tests.design.test_lifecycle_checklist import TODAY, build_design
from tests.factories import MembershipFactory, PersonFactory


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr(checklist_module, "today", lambda: TODAY)


@pytest.fixture
def design(db):
    return build_design()


def stage_entries(partnership: Partnership) -> list[dict]:
    entries = Entry.objects.filter(partnership_ref=partnership.pk, kind__startswith="stage.")
    return [json.loads(bytes(e.body)) for e in entries.order_by("index")]


def test_advance_moves_to_the_next_stage_and_records_it(design):
    """Given a complete scoping checklist, when the coordinator advances, then the stage is
    building and the ledger holds stage.advanced with from, to and the checklist ids."""
    partnership = advance_stage(actor=design.coordinator, partnership=design.partnership)

    assert partnership.stage == Stage.BUILDING
    assert Partnership.objects.get(pk=partnership.pk).stage == Stage.BUILDING
    [entry] = stage_entries(partnership)
    assert entry["kind"] == "stage.advanced"
    assert entry["actor"] == design.coordinator.username
    assert entry["payload"]["from"] == "scoping"
    assert entry["payload"]["to"] == "building"
    assert entry["payload"]["checklist"] == {
        "stage": "scoping",
        "done": ["vision", "sdg_goal", "partners", "coordinator", "needs"],
        "open": [],
    }


def test_a_complete_design_advances_to_implementing_and_no_further_before_time(design):
    """Given a complete design that started, then it goes to implementing and reviewing;
    reviewing waits for the end date or the goals' target dates."""
    advance_stage(actor=design.coordinator, partnership=design.partnership)
    advance_stage(actor=design.coordinator, partnership=design.partnership)
    assert design.partnership.stage == Stage.IMPLEMENTING
    advance_stage(actor=design.coordinator, partnership=design.partnership)
    assert design.partnership.stage == Stage.REVIEWING
    with pytest.raises(StageBlocked) as caught:
        advance_stage(actor=design.coordinator, partnership=design.partnership)
    assert [item.id for item in caught.value.missing] == ["review_due"]


def test_advisory_items_do_not_block(design):
    """Given no capability needs (advisory), then scoping can still be left, and the
    snapshot says the item was open."""
    design.partnership.needs.all().delete()
    advance_stage(actor=design.coordinator, partnership=design.partnership)
    [entry] = stage_entries(design.partnership)
    assert entry["payload"]["checklist"]["open"] == ["needs"]


def test_advance_blocked_lists_what_is_missing_and_changes_nothing(design):
    """Given no vision and no coordinator, when advancing, then a ValidationError on `stage`
    lists both, the stage stays and nothing goes on the ledger."""
    Partnership.objects.filter(pk=design.partnership.pk).update(vision="")
    Membership.objects.filter(partnership=design.partnership).update(role="member")
    design.partnership.refresh_from_db()
    staff = PersonFactory(is_staff=True)
    before = Entry.objects.count()

    with pytest.raises(ValidationError) as caught:
        advance_stage(actor=staff, partnership=design.partnership)

    messages = caught.value.message_dict["stage"]
    assert messages[0] == "The partnership cannot move to “Building” yet."
    assert messages[1] == "A shared vision: No vision statement has been written yet."
    assert messages[2] == "A coordinator: Nobody coordinates the partnership yet."
    assert [item.id for item in caught.value.missing] == ["vision", "coordinator"]
    assert Partnership.objects.get(pk=design.partnership.pk).stage == Stage.SCOPING
    assert Entry.objects.count() == before


def test_the_last_stage_has_no_next_one(design):
    Partnership.objects.filter(pk=design.partnership.pk).update(stage=Stage.SUSTAINING)
    design.partnership.refresh_from_db()
    with pytest.raises(ValidationError) as caught:
        advance_stage(actor=design.coordinator, partnership=design.partnership)
    assert "last stage" in caught.value.message_dict["stage"][0]


def test_going_back_needs_a_reason_and_is_recorded(design):
    """Given an implementing partnership whose agreement must be renegotiated, when the
    coordinator sets it back to building with a reason, then stage.changed records it."""
    Partnership.objects.filter(pk=design.partnership.pk).update(stage=Stage.IMPLEMENTING)
    design.partnership.refresh_from_db()

    with pytest.raises(ValidationError) as caught:
        set_stage(
            actor=design.coordinator, partnership=design.partnership, stage="building", reason=" "
        )
    assert "reason" in caught.value.message_dict
    assert Partnership.objects.get(pk=design.partnership.pk).stage == Stage.IMPLEMENTING
    assert stage_entries(design.partnership) == []

    set_stage(
        actor=design.coordinator,
        partnership=design.partnership,
        stage="building",
        reason="The agreement must be renegotiated.",
    )

    assert Partnership.objects.get(pk=design.partnership.pk).stage == Stage.BUILDING
    [entry] = stage_entries(design.partnership)
    assert entry["kind"] == "stage.changed"
    payload = entry["payload"]
    assert (payload["from"], payload["to"]) == ("implementing", "building")
    assert payload["reason"] == "The agreement must be renegotiated."
    assert payload["checklist"]["stage"] == "implementing"
    assert payload["checklist"]["done"] == ["started"]


@pytest.mark.parametrize("target", ["implementing", "reviewing", "building"])
def test_set_stage_refuses_to_go_forward_or_stay(design, target):
    """Given a building partnership, then set_stage refuses its own and later stages."""
    Partnership.objects.filter(pk=design.partnership.pk).update(stage=Stage.BUILDING)
    design.partnership.refresh_from_db()
    with pytest.raises(ValidationError) as caught:
        set_stage(
            actor=design.coordinator, partnership=design.partnership, stage=target, reason="x"
        )
    assert list(caught.value.message_dict) == ["stage"]
    assert Partnership.objects.get(pk=design.partnership.pk).stage == Stage.BUILDING
    assert stage_entries(design.partnership) == []


def test_set_stage_refuses_an_unknown_stage(design):
    with pytest.raises(ValidationError) as caught:
        set_stage(actor=design.coordinator, partnership=design.partnership, stage="done", reason="")
    assert set(caught.value.message_dict) == {"stage", "reason"}


@pytest.mark.parametrize(
    "role,error", [("observer", PermissionDenied), ("member", PermissionDenied)]
)
def test_only_coordinators_and_staff_move_the_stage(design, role, error):
    person = PersonFactory()
    MembershipFactory(partnership=design.partnership, person=person, role=role)
    with pytest.raises(error):
        advance_stage(actor=person, partnership=design.partnership)
    with pytest.raises(error):
        set_stage(actor=person, partnership=design.partnership, stage="scoping", reason="x")
    assert Partnership.objects.get(pk=design.partnership.pk).stage == Stage.SCOPING


def test_outsiders_of_a_private_partnership_get_not_found(design):
    with pytest.raises(Http404):
        advance_stage(actor=PersonFactory(), partnership=design.partnership)


def test_the_stage_and_its_ledger_entry_commit_together(design, monkeypatch):
    """Given the ledger fails to append, then the stage does not change either."""
    from sinergi.partnerships.lifecycle import services

    def broken(*args, **kwargs):
        raise RuntimeError("ledger unavailable")

    monkeypatch.setattr(services, "record", broken)
    with pytest.raises(RuntimeError):
        advance_stage(actor=design.coordinator, partnership=design.partnership)
    assert Partnership.objects.get(pk=design.partnership.pk).stage == Stage.SCOPING
