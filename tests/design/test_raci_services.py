"""RACI rules: one Accountable per work package, partners only, R/A/C/I, all on the ledger."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.http import Http404

from sinergi.ledger.models import Entry
from sinergi.partnerships.models import Goal, RaciAssignment, WorkPackage
from sinergi.partnerships.raci import queries, services
from tests.design.raci_fixtures import add_wp, ledger, raci_setup
from tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    PartnershipFactory,
    PersonFactory,
)

pytestmark = pytest.mark.django_db


def cells_of(wp: WorkPackage) -> dict[str, str]:
    return dict(wp.assignments.values_list("organisation__slug", "letter"))


# ---------------------------------------------------------------- work packages


def test_a_coordinator_adds_work_packages_in_order_and_each_goes_on_the_ledger():
    """Given a coordinator, when they add two work packages, then they get positions 0
    and 1 and two work_package.created entries name their codes."""
    s = raci_setup()
    first = add_wp(s, "WP1", "Vaccine supply")
    second = add_wp(s, " WP2 ", "Outreach")
    assert (first.position, second.position) == (0, 1)
    assert second.code == "WP2"
    assert [p["code"] for p in ledger("work_package.created")] == ["WP1", "WP2"]


def test_a_taken_code_is_a_field_error_and_nothing_is_saved():
    s = raci_setup()
    add_wp(s, "WP1")
    with pytest.raises(ValidationError) as exc:
        add_wp(s, "WP1", "Again")
    assert "code" in exc.value.message_dict
    assert WorkPackage.objects.filter(partnership=s.partnership).count() == 1
    assert len(ledger("work_package.created")) == 1


def test_a_goal_of_another_partnership_is_refused():
    s = raci_setup()
    other_goal = Goal.objects.create(partnership=PartnershipFactory(), title="Theirs")
    with pytest.raises(ValidationError) as exc:
        add_wp(s, "WP1", goal=other_goal)
    assert "goal" in exc.value.message_dict
    assert not WorkPackage.objects.exists()


def test_an_empty_title_is_a_field_error():
    s = raci_setup()
    with pytest.raises(ValidationError) as exc:
        services.create_work_package(
            actor=s.coordinator, partnership=s.partnership, code="WP1", title="  "
        )
    assert "title" in exc.value.message_dict


def test_updating_a_work_package_records_only_what_changed():
    s = raci_setup()
    goal = Goal.objects.create(partnership=s.partnership, title="Full coverage")
    wp = add_wp(s, "WP1", "Supply")
    services.update_work_package(
        actor=s.coordinator, work_package=wp, title="Supply and cold chain", goal=goal, code="WP1"
    )
    wp.refresh_from_db()
    assert wp.title == "Supply and cold chain" and wp.goal == goal
    assert ledger("work_package.updated") == [
        {"code": "WP1", "changed": {"title": "Supply and cold chain", "goal": goal.pk}}
    ]


def test_renaming_to_a_taken_code_is_refused():
    s = raci_setup()
    add_wp(s, "WP1")
    wp2 = add_wp(s, "WP2")
    with pytest.raises(ValidationError) as exc:
        services.update_work_package(actor=s.coordinator, work_package=wp2, code="WP1")
    assert "code" in exc.value.message_dict
    wp2.refresh_from_db()
    assert wp2.code == "WP2"


def test_deleting_a_work_package_removes_its_row_and_records_it():
    s = raci_setup()
    wp = add_wp(s, "WP1")
    services.set_responsibility(
        actor=s.coordinator, work_package=wp, organisation=s.kemenkes, letter="A"
    )
    services.delete_work_package(actor=s.coordinator, work_package=wp)
    assert not RaciAssignment.objects.exists()
    assert ledger("work_package.deleted") == [
        {"code": "WP1", "title": "Work package WP1", "cells": {"kemenkes": "A"}}
    ]


@pytest.mark.parametrize("role", ["partner_admin", "member", "observer"])
def test_only_coordinators_edit_work_packages(role):
    s = raci_setup()
    person = PersonFactory(organisation=s.bio_farma)
    MembershipFactory(partnership=s.partnership, person=person, role=role)
    with pytest.raises(PermissionDenied):
        services.create_work_package(actor=person, partnership=s.partnership, code="WP1", title="x")


def test_an_outsider_of_a_private_partnership_gets_not_found():
    s = raci_setup("private")
    with pytest.raises(Http404):
        services.create_work_package(
            actor=PersonFactory(), partnership=s.partnership, code="WP1", title="x"
        )


# ---------------------------------------------------------------- one cell


def test_setting_changing_and_clearing_a_cell_each_go_on_the_ledger():
    """Given WP1, when the coordinator makes Bio Farma R, then C, then clears it, then
    three raci.changed entries give the old and new letter each time."""
    s = raci_setup()
    wp = add_wp(s, "WP1")
    cell = services.set_responsibility(
        actor=s.coordinator, work_package=wp, organisation=s.bio_farma, letter="r"
    )
    assert cell.letter == "R"
    services.set_responsibility(
        actor=s.coordinator, work_package=wp, organisation=s.bio_farma, letter="C"
    )
    assert cells_of(wp) == {"bio-farma": "C"}
    assert (
        services.set_responsibility(
            actor=s.coordinator, work_package=wp, organisation=s.bio_farma, letter=None
        )
        is None
    )
    assert cells_of(wp) == {}
    assert ledger("raci.changed") == [
        {"work_package": "WP1", "organisation": "bio-farma", "old": None, "new": "R"},
        {"work_package": "WP1", "organisation": "bio-farma", "old": "R", "new": "C"},
        {"work_package": "WP1", "organisation": "bio-farma", "old": "C", "new": None},
    ]


def test_setting_the_same_letter_again_changes_nothing():
    s = raci_setup()
    wp = add_wp(s, "WP1")
    for _ in range(2):
        services.set_responsibility(
            actor=s.coordinator, work_package=wp, organisation=s.ugm, letter="I"
        )
    assert len(ledger("raci.changed")) == 1


def test_a_second_accountable_is_a_field_error_naming_the_current_one():
    """Given Kemenkes Accountable in WP1, when Bio Farma is made Accountable too, then the
    letter field says WP1 already has Kemenkes as Accountable, and nothing is saved."""
    s = raci_setup()
    wp = add_wp(s, "WP1")
    services.set_responsibility(
        actor=s.coordinator, work_package=wp, organisation=s.kemenkes, letter="A"
    )
    before = Entry.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.set_responsibility(
            actor=s.coordinator, work_package=wp, organisation=s.bio_farma, letter="A"
        )
    message = exc.value.message_dict["letter"][0]
    assert "WP1" in message and "Ministry of Health (Kemenkes)" in message
    assert cells_of(wp) == {"kemenkes": "A"}
    assert Entry.objects.count() == before


def test_the_accountable_may_hand_over_after_stepping_down():
    s = raci_setup()
    wp = add_wp(s, "WP1")
    services.set_responsibility(
        actor=s.coordinator, work_package=wp, organisation=s.kemenkes, letter="A"
    )
    services.set_responsibility(
        actor=s.coordinator, work_package=wp, organisation=s.kemenkes, letter="R"
    )
    services.set_responsibility(
        actor=s.coordinator, work_package=wp, organisation=s.bio_farma, letter="A"
    )
    assert cells_of(wp) == {"kemenkes": "R", "bio-farma": "A"}


def test_when_the_database_refuses_a_second_accountable_the_user_gets_the_field_error():
    """Given a concurrent edit that slipped in an Accountable after our check, when the
    database constraint fires, then the caller gets the same field error, not a 500."""
    s = raci_setup()
    wp = add_wp(s, "WP1")
    RaciAssignment.objects.create(work_package=wp, organisation=s.kemenkes, letter="A")
    # Our read of the row misses the Accountable, as if it was written just after it.
    with (
        mock.patch("sinergi.partnerships.raci.services._cells_of", return_value={}),
        pytest.raises(ValidationError) as exc,
    ):
        services.set_responsibility(
            actor=s.coordinator, work_package=wp, organisation=s.bio_farma, letter="A"
        )
    assert "Kemenkes" in exc.value.message_dict["letter"][0]
    assert cells_of(wp) == {"kemenkes": "A"}
    assert not ledger("raci.changed")


def test_the_database_holds_one_accountable_per_work_package_as_the_last_line():
    s = raci_setup()
    wp = add_wp(s, "WP1")
    RaciAssignment.objects.create(work_package=wp, organisation=s.kemenkes, letter="A")
    with pytest.raises(IntegrityError):
        RaciAssignment.objects.create(work_package=wp, organisation=s.ugm, letter="A")


def test_an_organisation_that_is_not_a_partner_is_refused():
    s = raci_setup()
    wp = add_wp(s, "WP1")
    with pytest.raises(ValidationError) as exc:
        services.set_responsibility(
            actor=s.coordinator,
            work_package=wp,
            organisation=OrganisationFactory(name="Stranger Inc"),
            letter="R",
        )
    assert "not a partner" in exc.value.message_dict["organisation"][0]
    assert not RaciAssignment.objects.exists()


@pytest.mark.parametrize("letter", ["X", "RA", "responsible", 3])
def test_a_letter_other_than_r_a_c_or_i_is_refused(letter):
    s = raci_setup()
    wp = add_wp(s, "WP1")
    with pytest.raises(ValidationError) as exc:
        services.set_responsibility(
            actor=s.coordinator, work_package=wp, organisation=s.ugm, letter=letter
        )
    assert "letter" in exc.value.message_dict
    assert not RaciAssignment.objects.exists()


def test_an_accountable_left_by_a_former_partner_gives_way():
    """Given UGM Accountable in WP1 and then UGM leaving the partnership, when Kemenkes is
    made Accountable, then it is, and the ledger entry names the cleared former partner."""
    s = raci_setup()
    wp = add_wp(s, "WP1")
    services.set_responsibility(
        actor=s.coordinator, work_package=wp, organisation=s.ugm, letter="A"
    )
    s.partnership.participations.filter(organisation=s.ugm).delete()
    services.set_responsibility(
        actor=s.coordinator, work_package=wp, organisation=s.kemenkes, letter="A"
    )
    assert cells_of(wp) == {"kemenkes": "A"}
    assert ledger("raci.changed")[-1]["former_partner_cleared"] == "ugm"


@pytest.mark.parametrize("role", ["partner_admin", "member", "observer"])
def test_only_coordinators_set_cells(role):
    s = raci_setup()
    wp = add_wp(s, "WP1")
    person = PersonFactory(organisation=s.bio_farma)
    MembershipFactory(partnership=s.partnership, person=person, role=role)
    with pytest.raises(PermissionDenied):
        services.set_responsibility(
            actor=person, work_package=wp, organisation=s.bio_farma, letter="R"
        )


# ---------------------------------------------------------------- the whole matrix


def test_replacing_the_matrix_writes_every_cell_and_one_ledger_entry():
    s = raci_setup()
    wp1, wp2 = add_wp(s, "WP1"), add_wp(s, "WP2")
    services.set_responsibility(
        actor=s.coordinator, work_package=wp2, organisation=s.ugm, letter="I"
    )
    changed = services.replace_matrix(
        actor=s.coordinator,
        partnership=s.partnership,
        cells=[
            {"work_package": wp1.pk, "organisation": "kemenkes", "letter": "A"},
            {"work_package": "WP1", "organisation": s.bio_farma.pk, "letter": "R"},
            {"work_package": wp2, "organisation": s.bio_farma, "letter": "a"},
            {"work_package": wp2, "organisation": s.ugm, "letter": "R"},
            {"work_package": wp2, "organisation": s.kemenkes, "letter": None},
        ],
    )
    assert changed == 4
    assert cells_of(wp1) == {"kemenkes": "A", "bio-farma": "R"}
    assert cells_of(wp2) == {"bio-farma": "A", "ugm": "R"}
    assert ledger("raci.replaced") == [
        {
            "matrix": {
                "WP1": {"kemenkes": "A", "bio-farma": "R"},
                "WP2": {"bio-farma": "A", "ugm": "R"},
            },
            "changed_cells": 4,
        }
    ]


def test_replacing_with_the_same_matrix_records_nothing():
    s = raci_setup()
    wp = add_wp(s, "WP1")
    cells = [{"work_package": wp.pk, "organisation": "ugm", "letter": "R"}]
    services.replace_matrix(actor=s.coordinator, partnership=s.partnership, cells=cells)
    assert services.replace_matrix(actor=s.coordinator, partnership=s.partnership, cells=cells) == 0
    assert len(ledger("raci.replaced")) == 1


def test_a_bad_matrix_reports_every_bad_cell_by_place_and_saves_nothing():
    """Given a matrix with two Accountables in WP1, an outsider and a bad letter, when it
    is replaced, then each error names its cell (cells[1].letter …) and the old matrix
    stays."""
    s = raci_setup()
    wp = add_wp(s, "WP1")
    services.set_responsibility(
        actor=s.coordinator, work_package=wp, organisation=s.ugm, letter="C"
    )
    stranger = OrganisationFactory(slug="stranger")
    with pytest.raises(ValidationError) as exc:
        services.replace_matrix(
            actor=s.coordinator,
            partnership=s.partnership,
            cells=[
                {"work_package": wp.pk, "organisation": "kemenkes", "letter": "A"},
                {"work_package": wp.pk, "organisation": "bio-farma", "letter": "A"},
                {"work_package": wp.pk, "organisation": "stranger", "letter": "R"},
                {"work_package": wp.pk, "organisation": "ugm", "letter": "Z"},
                {"work_package": 999999, "organisation": "ugm", "letter": "R"},
                {"work_package": wp.pk, "organisation": "kemenkes", "letter": "R"},
                {"work_package": wp.pk, "organisation": stranger.pk, "letter": "R"},
            ],
        )
    errors = exc.value.message_dict
    assert set(errors) == {
        "cells[1].letter",
        "cells[2].organisation",
        "cells[3].letter",
        "cells[4].work_package",
        "cells[5].organisation",
        "cells[6].organisation",
    }
    assert "Kemenkes" in errors["cells[1].letter"][0]
    assert cells_of(wp) == {"ugm": "C"}
    assert not ledger("raci.replaced")


def test_changing_cells_sets_only_those_listed_and_records_only_what_changed():
    """Given WP1 (Kemenkes A, Bio Farma R) and WP2 (UGM I), when Kemenkes is made R, Bio
    Farma A, UGM's WP2 cell cleared and Bio Farma's WP2 cell "set" to what it holds,
    then those cells change, WP2's others stay, and one raci.updated entry lists the
    three changes."""
    s = raci_setup()
    wp1, wp2 = add_wp(s, "WP1"), add_wp(s, "WP2")
    for wp, org, letter in ((wp1, s.kemenkes, "A"), (wp1, s.bio_farma, "R"), (wp2, s.ugm, "I")):
        services.set_responsibility(
            actor=s.coordinator, work_package=wp, organisation=org, letter=letter
        )
    services.set_responsibility(
        actor=s.coordinator, work_package=wp2, organisation=s.kemenkes, letter="A"
    )

    changed = services.change_cells(
        actor=s.coordinator,
        partnership=s.partnership,
        cells=[
            {"work_package": wp1, "organisation": s.bio_farma, "letter": "a"},
            {"work_package": wp1, "organisation": "kemenkes", "letter": "R"},
            {"work_package": "WP2", "organisation": s.ugm.pk, "letter": ""},
            {"work_package": wp2, "organisation": s.kemenkes, "letter": "A"},
        ],
    )

    assert changed == 3
    assert cells_of(wp1) == {"kemenkes": "R", "bio-farma": "A"}
    assert cells_of(wp2) == {"kemenkes": "A"}
    assert ledger("raci.updated") == [
        {
            "matrix": {"WP1": {"bio-farma": "A", "kemenkes": "R"}, "WP2": {"ugm": None}},
            "changed_cells": 3,
        }
    ]


def test_changing_cells_to_what_they_hold_records_nothing():
    s = raci_setup()
    wp = add_wp(s, "WP1")
    cells = [{"work_package": wp.pk, "organisation": "ugm", "letter": None}]
    assert services.change_cells(actor=s.coordinator, partnership=s.partnership, cells=cells) == 0
    assert not ledger("raci.updated")


def test_changing_cells_checks_the_accountable_against_the_cells_left_alone():
    """Given Kemenkes Accountable in WP1, when Bio Farma is made Accountable without
    Kemenkes being changed, then the cell is refused naming Kemenkes and nothing is saved;
    of two new Accountables in one save, the second is refused."""
    s = raci_setup()
    wp = add_wp(s, "WP1")
    services.set_responsibility(
        actor=s.coordinator, work_package=wp, organisation=s.kemenkes, letter="A"
    )
    with pytest.raises(ValidationError) as exc:
        services.change_cells(
            actor=s.coordinator,
            partnership=s.partnership,
            cells=[
                {"work_package": wp, "organisation": "ugm", "letter": "R"},
                {"work_package": wp, "organisation": "bio-farma", "letter": "A"},
            ],
        )
    assert set(exc.value.message_dict) == {"cells[1].letter"}
    assert "Kemenkes" in exc.value.message_dict["cells[1].letter"][0]
    with pytest.raises(ValidationError) as exc:
        services.change_cells(
            actor=s.coordinator,
            partnership=s.partnership,
            cells=[
                {"work_package": wp, "organisation": "kemenkes", "letter": "I"},
                {"work_package": wp, "organisation": "ugm", "letter": "A"},
                {"work_package": wp, "organisation": "bio-farma", "letter": "A"},
            ],
        )
    assert set(exc.value.message_dict) == {"cells[2].letter"}
    assert cells_of(wp) == {"kemenkes": "A"}
    assert not ledger("raci.updated")


def test_changing_cells_clears_an_accountable_left_by_a_former_partner():
    s = raci_setup()
    wp = add_wp(s, "WP1")
    services.set_responsibility(
        actor=s.coordinator, work_package=wp, organisation=s.ugm, letter="A"
    )
    s.partnership.participations.filter(organisation=s.ugm).delete()

    services.change_cells(
        actor=s.coordinator,
        partnership=s.partnership,
        cells=[{"work_package": wp, "organisation": "kemenkes", "letter": "A"}],
    )

    assert cells_of(wp) == {"kemenkes": "A"}
    assert ledger("raci.updated") == [
        {"matrix": {"WP1": {"kemenkes": "A", "ugm": None}}, "changed_cells": 2}
    ]


def test_a_work_package_of_another_partnership_is_not_a_valid_cell():
    s = raci_setup()
    other = raci_setup(suffix="-2")
    theirs = add_wp(other, "WP9")
    with pytest.raises(ValidationError) as exc:
        services.replace_matrix(
            actor=s.coordinator,
            partnership=s.partnership,
            cells=[{"work_package": theirs.pk, "organisation": "kemenkes", "letter": "A"}],
        )
    assert "cells[0].work_package" in exc.value.message_dict


# ---------------------------------------------------------------- reading it


def test_the_matrix_shows_partners_once_and_reports_every_problem():
    """Given WP1 with R but no A, WP2 with A but no R and UGM with only C, then the matrix
    lists three partners (Bio Farma once though it has two roles), flags UGM, and reports
    no Accountable in WP1 and no Responsible in WP2."""
    s = raci_setup()
    wp1, wp2 = add_wp(s, "WP1"), add_wp(s, "WP2")
    set_ = services.set_responsibility
    set_(actor=s.coordinator, work_package=wp1, organisation=s.bio_farma, letter="R")
    set_(actor=s.coordinator, work_package=wp2, organisation=s.kemenkes, letter="A")
    set_(actor=s.coordinator, work_package=wp2, organisation=s.ugm, letter="C")
    found = queries.matrix(s.partnership)
    assert [p.slug for p in found.partners] == ["bio-farma", "kemenkes", "ugm"]
    assert [p.slug for p in found.flagged_partners] == ["ugm"]
    assert found.as_dict() == {"WP1": {"bio-farma": "R"}, "WP2": {"kemenkes": "A", "ugm": "C"}}
    assert [(p.code, p.work_package, p.organisation) for p in found.problems] == [
        ("no_accountable", "WP1", None),
        ("no_responsible", "WP2", None),
        ("no_responsibility", None, "ugm"),
    ]
    assert found.rows[1].cells[2].label == "UGM in WP2: Consulted"
    assert not found.complete


def test_raci_status_is_complete_when_every_rule_holds():
    s = raci_setup()
    wp = add_wp(s, "WP1")
    for org, letter in ((s.kemenkes, "A"), (s.bio_farma, "R"), (s.ugm, "R")):
        services.set_responsibility(
            actor=s.coordinator, work_package=wp, organisation=org, letter=letter
        )
    status = queries.raci_status(s.partnership)
    assert status.complete and status.problems == []


def test_raci_status_without_work_packages_is_not_complete():
    s = raci_setup()
    status = queries.raci_status(s.partnership)
    assert not status.complete
    assert status.problems == ["No work packages yet."]


def test_more_than_one_accountable_is_reported_should_it_ever_happen():
    s = raci_setup()
    wp = add_wp(s, "WP1")
    row = queries._row_problems(wp, ["A", "A", "R"])
    assert [p.code for p in row] == ["several_accountable"]


def test_reading_the_matrix_takes_the_same_queries_for_any_size(django_assert_num_queries):
    s = raci_setup()
    for n in range(12):
        wp = add_wp(s, f"WP{n}")
        services.set_responsibility(
            actor=s.coordinator, work_package=wp, organisation=s.kemenkes, letter="A"
        )
    with django_assert_num_queries(3):
        found = queries.matrix(s.partnership)
        assert len(found.rows) == 12


# ---------------------------------------------------------------- demo


def test_the_demo_gives_both_partnerships_a_complete_matrix_once():
    from django.core.management import call_command

    call_command("demo", "--quiet")
    from sinergi.partnerships.models import Partnership

    for slug in ("immunisation-indonesia", "sustainable-textiles-indonesia"):
        partnership = Partnership.objects.get(slug=slug)
        status = queries.raci_status(partnership)
        assert status.complete, status.problems
        assert 4 <= partnership.work_packages.count() <= 6
    entries = Entry.objects.filter(kind__startswith="raci.").count()
    call_command("demo", "--quiet")
    assert Entry.objects.filter(kind__startswith="raci.").count() == entries
    assert WorkPackage.objects.count() == 10
