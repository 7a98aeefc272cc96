"""The lifecycle checklist: every rule, both ways, computed from the data alone."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import pytest

from sinergi.partners.models import Organisation
from sinergi.partnerships.lifecycle import checklist as checklist_module
from sinergi.partnerships.lifecycle.checklist import Check, Facts, rule
from sinergi.partnerships.lifecycle.queries import checklist, stage_indicator, stage_overview
from sinergi.partnerships.models import (
    AgreementSignature,
    AgreementStatus,
    AgreementVersion,
    CapabilityNeed,
    Expectation,
    Goal,
    Membership,
    Participation,
    Partnership,
    RaciAssignment,
    Stage,
    WorkPackage,
)
from tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    ParticipationFactory,
    PartnershipFactory,
    PersonFactory,
)

TODAY = date(2026, 3, 1)


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    """Every test sees the same "today" (the checklist's clock seam)."""
    monkeypatch.setattr(checklist_module, "today", lambda: TODAY)


@dataclass
class Design:
    """A partnership whose scoping and building checklists are complete."""

    partnership: Partnership
    coordinator: object
    organisations: list[Organisation]
    participations: list[Participation]
    goals: list[Goal] = field(default_factory=list)
    work_packages: list[WorkPackage] = field(default_factory=list)
    agreement: AgreementVersion | None = None


def build_design(
    *,
    partners: int = 3,
    goals: int = 2,
    work_packages: int = 2,
    stage: str = Stage.SCOPING,
    visibility: str = "private",
) -> Design:
    """Model rows for a complete design: vision, SDG-linked measurable owned goals, partners
    with contributions and expectations, a full RACI and an adopted agreement signed by all."""
    partnership = PartnershipFactory(
        vision="Every child immunised.",
        start_date=date(2025, 1, 1),
        end_date=date(2029, 12, 31),
        stage=stage,
        visibility=visibility,
    )
    organisations = [
        OrganisationFactory(acronym=f"P{i}", name=f"Partner {i} Org") for i in range(partners)
    ]
    participations = [
        ParticipationFactory(
            partnership=partnership, organisation=org, role="4", contribution="Outreach"
        )
        for org in organisations
    ]
    coordinator = PersonFactory(organisation=organisations[0])
    MembershipFactory(partnership=partnership, person=coordinator, role="coordinator")
    for participation in participations:
        Expectation.objects.create(
            participation=participation, topic="social_impact", horizon="long"
        )
    CapabilityNeed.objects.create(partnership=partnership, kind="finance", weight=3)
    design = Design(partnership, coordinator, organisations, participations)
    for i in range(goals):
        design.goals.append(
            Goal.objects.create(
                partnership=partnership,
                title=f"Goal {i}",
                measure="Coverage (%)",
                target_value=Decimal("95"),
                target_date=date(2028, 12, 31),
                owner=organisations[i % partners],
                sdg_targets=["3.b"],
                position=i,
            )
        )
    for i in range(work_packages):
        wp = WorkPackage.objects.create(
            partnership=partnership, code=f"WP{i}", title=f"Work {i}", position=i
        )
        design.work_packages.append(wp)
        for j, org in enumerate(organisations):
            letter = "A" if j == i % partners else "R"
            RaciAssignment.objects.create(work_package=wp, organisation=org, letter=letter)
    version = AgreementVersion.objects.create(
        partnership=partnership,
        number=1,
        status=AgreementStatus.ADOPTED,
        text="We agree.",
        decision_rule="consensus",
        meeting_cadence="quarterly",
        content_hash="a" * 64,
    )
    for org in organisations:
        signer = PersonFactory(organisation=org)
        AgreementSignature.objects.create(
            version=version, organisation=org, signed_by=signer, content_hash="a" * 64
        )
    design.agreement = version
    return design


def item(partnership: Partnership, stage: str, item_id: str):
    partnership.refresh_from_db()
    items = {i.id: i for i in checklist(partnership, stage)}
    return items[item_id]


@pytest.fixture
def design(db) -> Design:
    return build_design()


def test_a_complete_design_meets_scoping_and_building(design):
    """Given a complete design, then every item for leaving scoping and building is done."""
    for stage in (Stage.SCOPING, Stage.BUILDING):
        items = checklist(design.partnership, stage)
        assert items, stage
        assert [i.id for i in items if not i.done] == [], stage


def test_each_item_has_an_id_a_label_a_detail_and_a_link_when_the_page_exists(design):
    """Items carry a translatable label and a link to the page where they are fixed, or no
    link while that page does not exist yet."""
    items = checklist(design.partnership, Stage.SCOPING)
    partners = next(i for i in items if i.id == "partners")
    assert partners.label == "At least two partner organisations"
    assert partners.link == f"/en/partnerships/{design.partnership.slug}/partners/"
    assert partners.detail == "3 partner organisations."
    coordinator = next(i for i in items if i.id == "coordinator")
    assert coordinator.link == f"/en/partnerships/{design.partnership.slug}/members/"
    for i in items:
        assert i.link is None or i.link.startswith("/en/partnerships/")


# Leaving scoping ----------------------------------------------------------------------


def test_vision_missing(design):
    Partnership.objects.filter(pk=design.partnership.pk).update(vision="   ")
    result = item(design.partnership, Stage.SCOPING, "vision")
    assert not result.done
    assert result.detail == "No vision statement has been written yet."
    assert result.blocking


def test_no_goal_linked_to_an_sdg_target(design):
    Goal.objects.filter(partnership=design.partnership).update(sdg_targets=[])
    result = item(design.partnership, Stage.SCOPING, "sdg_goal")
    assert not result.done
    assert result.detail == "No goal is linked to an SDG target yet."


def test_no_goals_at_all(design):
    Goal.objects.filter(partnership=design.partnership).delete()
    result = item(design.partnership, Stage.SCOPING, "sdg_goal")
    assert not result.done
    assert result.detail == "There are no goals yet."


def test_one_sdg_linked_goal_is_enough(design):
    Goal.objects.filter(pk=design.goals[0].pk).update(sdg_targets=[])
    result = item(design.partnership, Stage.SCOPING, "sdg_goal")
    assert result.done
    assert result.detail == "1 goal is linked to SDG targets."


def test_one_organisation_in_two_roles_is_one_partner(db):
    """Given two participations of the same organisation, then there is one partner."""
    partnership = PartnershipFactory()
    org = OrganisationFactory()
    ParticipationFactory(partnership=partnership, organisation=org, role="1")
    ParticipationFactory(partnership=partnership, organisation=org, role="4")
    result = item(partnership, Stage.SCOPING, "partners")
    assert not result.done
    assert result.detail == "1 partner organisation."

    ParticipationFactory(partnership=partnership, role="4")
    assert item(partnership, Stage.SCOPING, "partners").done


def test_no_coordinator(design):
    Membership.objects.filter(partnership=design.partnership).delete()
    result = item(design.partnership, Stage.SCOPING, "coordinator")
    assert not result.done
    assert result.detail == "Nobody coordinates the partnership yet."


def test_listed_needs_are_advisory(design):
    """Given no capability needs, then the item is open but advisory: it does not block."""
    CapabilityNeed.objects.filter(partnership=design.partnership).delete()
    result = item(design.partnership, Stage.SCOPING, "needs")
    assert not result.done
    assert not result.blocking
    assert "matching cannot suggest partners" in result.detail


# Leaving building ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [{"measure": ""}, {"target_value": None}, {"target_date": None}],
)
def test_a_goal_without_measure_target_value_or_date_is_not_measurable(design, change):
    Goal.objects.filter(pk=design.goals[1].pk).update(**change)
    result = item(design.partnership, Stage.BUILDING, "goals_measurable")
    assert not result.done
    assert result.detail == "Not measurable yet: Goal 1."


def test_building_needs_goals(design):
    Goal.objects.filter(partnership=design.partnership).delete()
    for item_id in ("goals_measurable", "goals_owned"):
        result = item(design.partnership, Stage.BUILDING, item_id)
        assert not result.done
        assert result.detail == "There are no goals yet."


def test_a_goal_without_owner_or_owned_by_a_non_partner(design):
    Goal.objects.filter(pk=design.goals[0].pk).update(owner=None)
    Goal.objects.filter(pk=design.goals[1].pk).update(owner=OrganisationFactory())
    result = item(design.partnership, Stage.BUILDING, "goals_owned")
    assert not result.done
    assert result.detail == "No owner among the partners: Goal 0, Goal 1."


def test_a_partner_without_contribution(design):
    Participation.objects.filter(pk=design.participations[2].pk).update(contribution=" ")
    result = item(design.partnership, Stage.BUILDING, "contributions")
    assert not result.done
    assert result.detail == "No contribution stated: P2."


def test_contribution_names_the_role_when_an_organisation_has_two(design):
    ParticipationFactory(
        partnership=design.partnership, organisation=design.organisations[0], role="1"
    )
    result = item(design.partnership, Stage.BUILDING, "contributions")
    assert not result.done
    assert result.detail == "No contribution stated: P0 (Funding)."


def test_a_partner_without_expectation(design):
    Expectation.objects.filter(participation=design.participations[1]).delete()
    result = item(design.partnership, Stage.BUILDING, "expectations")
    assert not result.done
    assert result.detail == "No expectation yet: P1."


def test_no_work_packages(design):
    WorkPackage.objects.filter(partnership=design.partnership).delete()
    result = item(design.partnership, Stage.BUILDING, "raci_work_packages")
    assert not result.done
    assert result.detail == "There are no work packages yet."
    assert not item(design.partnership, Stage.BUILDING, "raci_partners").done


def test_a_work_package_without_accountable_or_responsible(design):
    wp0, wp1 = design.work_packages
    RaciAssignment.objects.filter(work_package=wp0, letter="A").update(letter="C")
    RaciAssignment.objects.filter(work_package=wp1, letter="R").update(letter="I")
    result = item(design.partnership, Stage.BUILDING, "raci_work_packages")
    assert not result.done
    assert result.detail == "No Accountable: WP0. No Responsible: WP1."


def test_an_accountable_partner_that_left_does_not_count(design):
    """Given the Accountable of WP0 leaves the partnership, then WP0 has no Accountable."""
    Participation.objects.filter(pk=design.participations[0].pk).delete()
    result = item(design.partnership, Stage.BUILDING, "raci_work_packages")
    assert not result.done
    assert result.detail == "No Accountable: WP0."


def test_a_partner_only_consulted_has_no_responsibility(design):
    RaciAssignment.objects.filter(organisation=design.organisations[2]).update(letter="C")
    result = item(design.partnership, Stage.BUILDING, "raci_partners")
    assert not result.done
    assert result.detail == "No responsibility yet: P2."


def test_no_adopted_agreement(design):
    AgreementVersion.objects.filter(pk=design.agreement.pk).update(status=AgreementStatus.OPEN)
    result = item(design.partnership, Stage.BUILDING, "agreement_signed")
    assert not result.done
    assert result.detail == "No version of the agreement has been adopted yet."


def test_a_new_partner_has_not_signed_the_adopted_version(design):
    """Given a partner that joined after the agreement was adopted, then the item says it
    has not signed that version."""
    ugm = OrganisationFactory(acronym="UGM")
    ParticipationFactory(partnership=design.partnership, organisation=ugm, contribution="x")
    result = item(design.partnership, Stage.BUILDING, "agreement_signed")
    assert not result.done
    assert result.detail == "UGM has not signed version 1."


def test_the_latest_adopted_version_counts(design):
    """Given version 2 adopted with one signature, then version 1's signatures do not count."""
    AgreementVersion.objects.filter(pk=design.agreement.pk).update(
        status=AgreementStatus.SUPERSEDED
    )
    v2 = AgreementVersion.objects.create(
        partnership=design.partnership,
        number=2,
        status=AgreementStatus.ADOPTED,
        text="v2",
        decision_rule="consent",
        meeting_cadence="yearly",
    )
    AgreementSignature.objects.create(
        version=v2,
        organisation=design.organisations[0],
        signed_by=design.coordinator,
        content_hash="b" * 64,
    )
    result = item(design.partnership, Stage.BUILDING, "agreement_signed")
    assert not result.done
    assert result.detail == "P1, P2 have not signed version 2."


def test_signed_by_all(design):
    result = item(design.partnership, Stage.BUILDING, "agreement_signed")
    assert result.done
    assert result.detail == "Version 1 is signed by all 3 partners."


def test_long_lists_of_names_are_cut(db):
    design = build_design(partners=7, goals=1, work_packages=1)
    Participation.objects.filter(partnership=design.partnership).update(contribution="")
    result = item(design.partnership, Stage.BUILDING, "contributions")
    assert result.detail == "No contribution stated: P0, P1, P2, P3 and 3 more."


# Leaving implementing -----------------------------------------------------------------


def test_start_date_not_reached_or_missing(design):
    Partnership.objects.filter(pk=design.partnership.pk).update(start_date=date(2026, 6, 1))
    result = item(design.partnership, Stage.IMPLEMENTING, "started")
    assert not result.done
    assert result.detail == "The partnership starts on 1 Jun 2026."

    Partnership.objects.filter(pk=design.partnership.pk).update(start_date=None)
    assert item(design.partnership, Stage.IMPLEMENTING, "started").detail == (
        "No start date is set."
    )

    Partnership.objects.filter(pk=design.partnership.pk).update(start_date=TODAY)
    assert item(design.partnership, Stage.IMPLEMENTING, "started").done


def test_results_due_is_advisory_and_follows_target_and_end_dates(design):
    result = item(design.partnership, Stage.IMPLEMENTING, "results_due")
    assert not result.done
    assert not result.blocking

    Goal.objects.filter(pk=design.goals[0].pk).update(target_date=TODAY)
    result = item(design.partnership, Stage.IMPLEMENTING, "results_due")
    assert result.done
    assert "Goal 0" in result.detail

    Goal.objects.filter(pk=design.goals[0].pk).update(target_date=date(2028, 1, 1))
    Partnership.objects.filter(pk=design.partnership.pk).update(end_date=TODAY + timedelta(days=90))
    assert item(design.partnership, Stage.IMPLEMENTING, "results_due").done
    Partnership.objects.filter(pk=design.partnership.pk).update(end_date=TODAY + timedelta(days=91))
    assert not item(design.partnership, Stage.IMPLEMENTING, "results_due").done


# Leaving reviewing --------------------------------------------------------------------


def test_agreement_still_signed_when_reviewing(design):
    assert item(design.partnership, Stage.REVIEWING, "agreement_still_signed").done
    ParticipationFactory(partnership=design.partnership, organisation=OrganisationFactory())
    assert not item(design.partnership, Stage.REVIEWING, "agreement_still_signed").done


def test_review_due_when_the_end_date_or_every_goal_target_date_is_reached(design):
    result = item(design.partnership, Stage.REVIEWING, "review_due")
    assert not result.done
    assert result.detail == (
        "The partnership ends on 31 Dec 2029. Goals not yet due: Goal 0, Goal 1."
    )

    Goal.objects.filter(partnership=design.partnership).update(target_date=TODAY)
    result = item(design.partnership, Stage.REVIEWING, "review_due")
    assert result.done
    assert result.detail == "Every goal's target date has passed."

    Goal.objects.filter(partnership=design.partnership).update(target_date=None)
    Partnership.objects.filter(pk=design.partnership.pk).update(end_date=TODAY)
    result = item(design.partnership, Stage.REVIEWING, "review_due")
    assert result.done
    assert result.detail == "The partnership ended on 1 Mar 2026."


def test_sustaining_is_the_last_stage_without_a_checklist(design):
    assert checklist(design.partnership, Stage.SUSTAINING) == []


# Overview, indicator, registry and query counts -----------------------------------------


def test_stage_overview_marks_the_current_stage(design):
    Partnership.objects.filter(pk=design.partnership.pk).update(stage=Stage.BUILDING)
    design.partnership.refresh_from_db()
    overview = stage_overview(design.partnership)
    assert [s.value for s in overview.stages] == list(Stage.values)
    assert [s.current for s in overview.stages] == [False, True, False, False, False]
    assert overview.stages[0].passed
    assert overview.next_stage.value == Stage.IMPLEMENTING
    assert overview.can_advance
    assert [s.value for s in overview.upcoming] == ["implementing", "reviewing", "sustaining"]


def test_stage_indicator_counts_required_items_of_the_current_stage(design):
    Partnership.objects.filter(pk=design.partnership.pk).update(vision="")
    design.partnership.refresh_from_db()
    indicator = stage_indicator(design.partnership)
    assert indicator.stage == Stage.SCOPING
    assert (indicator.done, indicator.total) == (3, 4)
    assert len(indicator.stages) == 5


def test_other_parts_can_register_items(design, monkeypatch):
    """Given a rule registered for implementing by another part of Sinergi, then it shows in
    the checklist after the built-in items."""
    monkeypatch.setitem(
        checklist_module.REGISTRY,
        Stage.IMPLEMENTING,
        list(checklist_module.REGISTRY["implementing"]),
    )

    @rule(Stage.IMPLEMENTING, "budget_approved", "The budget is approved", links=("nowhere",))
    def budget_approved(facts: Facts) -> Check:
        return Check(False, "No budget yet.")

    items = checklist(design.partnership, Stage.IMPLEMENTING)
    assert items[-1].id == "budget_approved"
    assert items[-1].detail == "No budget yet."
    assert items[-1].link is None
    with pytest.raises(ValueError, match="already registered"):
        rule(Stage.IMPLEMENTING, "budget_approved", "Again")(budget_approved)


def test_overview_queries_do_not_grow_with_the_design(db, django_assert_num_queries):
    """Given a small and a three times larger design, then the overview of all stages costs
    the same, small number of queries."""
    small = build_design(partners=2, goals=2, work_packages=2)
    large = build_design(partners=6, goals=6, work_packages=6)
    ParticipationFactory(
        partnership=large.partnership, organisation=large.organisations[0], role="1"
    )
    with django_assert_num_queries(9) as counted:
        stage_overview(small.partnership)
    with django_assert_num_queries(len(counted)):
        stage_overview(large.partnership)
