"""Goal services: SMART fields validated, owners among the partners, every change on the ledger."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from sinergi.ledger.models import Entry
from sinergi.partnerships import sdg
from sinergi.partnerships.goals import services
from sinergi.partnerships.models import Goal
from tests.conftest import Cast
from tests.factories import OrganisationFactory, ParticipationFactory

GOOD = {
    "title": "Full basic immunisation in NTT",
    "measure": "Share of children 12-23 months fully immunised",
    "baseline_value": Decimal("61.5"),
    "target_value": Decimal("95"),
    "unit": "%",
    "target_date": date(2029, 12, 31),
    "sdg_targets": ["3.b", "3.8"],
}


def entries(partnership, kind: str) -> list[dict]:
    rows = Entry.objects.filter(partnership_ref=partnership.pk, kind=kind).order_by("index")
    return [json.loads(bytes(row.body))["payload"] for row in rows]


@pytest.fixture
def cast(private_cast: Cast) -> Cast:
    return private_cast


@pytest.fixture
def coordinator(cast: Cast):
    return cast.people["coordinator"]


@pytest.fixture
def partner(cast: Cast):
    return cast.people["coordinator"].organisation


def test_a_coordinator_adds_a_measurable_goal_and_the_ledger_records_its_smart_fields(
    cast, coordinator, partner
):
    goal = services.create_goal(
        actor=coordinator, partnership=cast.partnership, owner=partner, **GOOD
    )
    goal.refresh_from_db()
    assert goal.is_measurable
    assert goal.sdg_targets == ["3.b", "3.8"] and goal.sdg_goals == ["3"]
    assert goal.position == 1
    [payload] = entries(cast.partnership, "goal.created")
    assert payload == {
        "goal": goal.pk,
        "title": GOOD["title"],
        "measure": GOOD["measure"],
        "baseline_value": "61.5",
        "target_value": "95",
        "unit": "%",
        "target_date": "2029-12-31",
        "owner": partner.slug,
        "sdg_targets": ["3.b", "3.8"],
    }


def test_new_goals_come_after_the_existing_ones(cast, coordinator):
    first = services.create_goal(actor=coordinator, partnership=cast.partnership, title="One")
    second = services.create_goal(actor=coordinator, partnership=cast.partnership, title="Two")
    assert (first.position, second.position) == (1, 2)
    assert not second.is_measurable


def test_target_codes_are_trimmed_lower_cased_and_deduplicated(cast, coordinator):
    goal = services.create_goal(
        actor=coordinator,
        partnership=cast.partnership,
        title="Codes",
        sdg_targets=[" 3.B", "SDG 3.8", "3.b", ""],
    )
    assert goal.sdg_targets == ["3.b", "3.8"]


@pytest.mark.parametrize("codes", [["3.b", "3.z"], ["3"], ["3.b.1"], "3.b", [3], ["3.b", "99.1"]])
def test_an_unknown_sdg_code_is_a_field_error_and_nothing_is_saved(cast, coordinator, codes):
    before = Entry.objects.count()
    with pytest.raises(ValidationError) as caught:
        services.create_goal(
            actor=coordinator, partnership=cast.partnership, title="Bad", sdg_targets=codes
        )
    assert list(caught.value.message_dict) == ["sdg_targets"]
    assert not Goal.objects.exists()
    assert Entry.objects.count() == before


def test_too_many_sdg_targets_is_a_field_error(cast, coordinator):
    codes = [t.code for t in sdg.targets("3")]
    codes += ["4.1", "4.2", "4.3", "4.4", "4.5", "4.6", "4.7", "4.a"]
    with pytest.raises(ValidationError) as caught:
        services.create_goal(
            actor=coordinator, partnership=cast.partnership, title="Many", sdg_targets=codes
        )
    assert "sdg_targets" in caught.value.message_dict


def test_the_owner_must_be_one_of_the_partners(cast, coordinator):
    stranger = OrganisationFactory()
    with pytest.raises(ValidationError) as caught:
        services.create_goal(
            actor=coordinator, partnership=cast.partnership, title="Owned", owner=stranger
        )
    assert list(caught.value.message_dict) == ["owner"]
    assert "partner organisations" in caught.value.message_dict["owner"][0]
    assert not Goal.objects.exists()
    ParticipationFactory(partnership=cast.partnership, organisation=stranger, role="1")
    goal = services.create_goal(
        actor=coordinator, partnership=cast.partnership, title="Owned", owner=stranger
    )
    assert goal.owner == stranger


@pytest.mark.parametrize("when", [date(1999, 12, 31), date(2101, 1, 1)])
def test_a_target_date_out_of_reason_is_a_field_error(cast, coordinator, when):
    with pytest.raises(ValidationError) as caught:
        services.create_goal(
            actor=coordinator, partnership=cast.partnership, title="Dated", target_date=when
        )
    assert list(caught.value.message_dict) == ["target_date"]


def test_a_target_date_before_the_partnership_starts_is_a_field_error(cast, coordinator):
    cast.partnership.start_date = date(2025, 1, 1)
    cast.partnership.save()
    with pytest.raises(ValidationError) as caught:
        services.create_goal(
            actor=coordinator,
            partnership=cast.partnership,
            title="Dated",
            target_date=date(2024, 12, 31),
        )
    assert "2025-01-01" in caught.value.message_dict["target_date"][0]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("target_value", Decimal("1.23456")),
        ("baseline_value", Decimal("1e20")),
        ("target_value", Decimal("NaN")),
        ("baseline_value", "lots"),
    ],
)
def test_values_must_be_decimals_that_fit(cast, coordinator, field, value):
    with pytest.raises(ValidationError) as caught:
        services.create_goal(
            actor=coordinator, partnership=cast.partnership, title="Values", **{field: value}
        )
    assert field in caught.value.message_dict
    assert not Goal.objects.exists()


def test_several_problems_are_reported_together(cast, coordinator):
    with pytest.raises(ValidationError) as caught:
        services.create_goal(
            actor=coordinator,
            partnership=cast.partnership,
            title="",
            owner=OrganisationFactory(),
            sdg_targets=["3.z"],
        )
    assert set(caught.value.message_dict) == {"title", "owner", "sdg_targets"}


def test_an_unknown_field_is_a_programming_error(cast, coordinator):
    with pytest.raises(TypeError):
        services.create_goal(actor=coordinator, partnership=cast.partnership, title="x", colour=1)


@pytest.mark.parametrize("role", ["partner_admin", "member", "observer", "outsider"])
def test_only_coordinators_and_staff_change_goals(cast, role):
    expected = Http404 if role == "outsider" else PermissionDenied
    with pytest.raises(expected):
        services.create_goal(actor=cast.people[role], partnership=cast.partnership, title="No")
    assert not Goal.objects.exists()
    staff_goal = services.create_goal(
        actor=cast.people["staff"], partnership=cast.partnership, title="Staff may"
    )
    with pytest.raises(expected):
        services.update_goal(actor=cast.people[role], goal=staff_goal, title="Changed")
    with pytest.raises(expected):
        services.delete_goal(actor=cast.people[role], goal=staff_goal)
    with pytest.raises(expected):
        services.reorder_goals(
            actor=cast.people[role], partnership=cast.partnership, order=[staff_goal.pk]
        )


def test_the_goal_and_its_ledger_entry_are_written_together_or_not_at_all(cast, coordinator):
    with (
        mock.patch.object(services, "record", side_effect=RuntimeError("ledger down")),
        pytest.raises(RuntimeError),
    ):
        services.create_goal(actor=coordinator, partnership=cast.partnership, **GOOD)
    assert not Goal.objects.exists()
    goal = services.create_goal(actor=coordinator, partnership=cast.partnership, **GOOD)
    with (
        mock.patch.object(services, "record", side_effect=RuntimeError("ledger down")),
        pytest.raises(RuntimeError),
    ):
        services.update_goal(actor=coordinator, goal=goal, title="Changed")
    goal.refresh_from_db()
    assert goal.title == GOOD["title"]
    with (
        mock.patch.object(services, "record", side_effect=RuntimeError("ledger down")),
        pytest.raises(RuntimeError),
    ):
        services.delete_goal(actor=coordinator, goal=goal)
    assert Goal.objects.filter(pk=goal.pk).exists()


def test_an_update_records_the_new_fields_and_what_changed(cast, coordinator, partner):
    goal = services.create_goal(actor=coordinator, partnership=cast.partnership, **GOOD)
    services.update_goal(actor=coordinator, goal=goal, target_value=Decimal("97.50"), owner=partner)
    [payload] = entries(cast.partnership, "goal.updated")
    assert payload["target_value"] == "97.5"
    assert payload["owner"] == partner.slug
    assert payload["changed"] == ["target_value", "owner"]


def test_an_update_that_changes_nothing_records_nothing(cast, coordinator):
    goal = services.create_goal(actor=coordinator, partnership=cast.partnership, **GOOD)
    services.update_goal(
        actor=coordinator, goal=goal, title=GOOD["title"], sdg_targets=["3.B", "3.8"]
    )
    assert entries(cast.partnership, "goal.updated") == []


def test_a_rejected_update_saves_nothing(cast, coordinator):
    goal = services.create_goal(actor=coordinator, partnership=cast.partnership, **GOOD)
    with pytest.raises(ValidationError):
        services.update_goal(actor=coordinator, goal=goal, title="New", sdg_targets=["3.z"])
    goal.refresh_from_db()
    assert goal.title == GOOD["title"] and goal.sdg_targets == ["3.b", "3.8"]
    assert entries(cast.partnership, "goal.updated") == []


def test_deleting_a_goal_records_what_it_was(cast, coordinator):
    goal = services.create_goal(actor=coordinator, partnership=cast.partnership, **GOOD)
    pk = goal.pk
    services.delete_goal(actor=coordinator, goal=goal)
    assert not Goal.objects.filter(pk=pk).exists()
    [payload] = entries(cast.partnership, "goal.deleted")
    assert payload["goal"] == pk and payload["title"] == GOOD["title"]
    assert payload["sdg_targets"] == ["3.b", "3.8"]


def test_reordering_puts_goals_in_the_given_order_and_records_it(cast, coordinator):
    a, b, c = (
        services.create_goal(actor=coordinator, partnership=cast.partnership, title=t)
        for t in "ABC"
    )
    services.reorder_goals(
        actor=coordinator, partnership=cast.partnership, order=[c.pk, a.pk, b.pk]
    )
    assert list(Goal.objects.order_by("position").values_list("title", flat=True)) == [
        "C",
        "A",
        "B",
    ]
    assert entries(cast.partnership, "goal.reordered") == [{"order": [c.pk, a.pk, b.pk]}]
    services.reorder_goals(
        actor=coordinator, partnership=cast.partnership, order=[c.pk, a.pk, b.pk]
    )
    assert len(entries(cast.partnership, "goal.reordered")) == 1  # no change, no entry


@pytest.mark.parametrize("order", [[], "12", [1, 1, 1]])
def test_a_reordering_must_name_every_goal_once(cast, coordinator, order):
    a = services.create_goal(actor=coordinator, partnership=cast.partnership, title="A")
    services.create_goal(actor=coordinator, partnership=cast.partnership, title="B")
    order = order if order != [1, 1, 1] else [a.pk, a.pk]
    with pytest.raises(ValidationError) as caught:
        services.reorder_goals(actor=coordinator, partnership=cast.partnership, order=order)
    assert list(caught.value.message_dict) == ["order"]
