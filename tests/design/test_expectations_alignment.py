"""The alignment rule: where partner groups' expectations diverge, and when they do not;
and the completeness check used by the lifecycle checklist."""

from __future__ import annotations

import pytest

from sinergi.partnerships.expectations import queries
from tests.design.test_expectations_setup import build_design, expectation
from tests.factories import OrganisationFactory, ParticipationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def design():
    return build_design()


def kinds(result) -> list[str]:
    return [d.kind for d in result.divergences]


def only(result, kind: str):
    found = [d for d in result.divergences if d.kind == kind]
    assert len(found) <= 1, found
    return found[0] if found else None


# Groups and cells -------------------------------------------------------------------------


def test_each_group_present_lists_its_partners_and_per_topic_mean_and_horizon_mix(design):
    """Given two NGOs naming social impact at 5 (long) and 4 (short), then the NGO group's
    cell has mean 4.5, half short and half long, and names both partners."""
    second_ngo = OrganisationFactory(name="Another Foundation", org_type="60")
    second = ParticipationFactory(
        partnership=design.partnership, organisation=second_ngo, role="4", contribution="x"
    )
    expectation(design.parts["ngo"], "social_impact", "long", 5)
    expectation(second, "social_impact", "short", 4)
    result = queries.alignment(design.partnership)
    assert [g.group for g in result.groups] == ["government", "private", "ngo"]
    ngo = result.groups[2]
    assert {o.name for o in ngo.partners} == {"Fair Wages Foundation", "Another Foundation"}
    cell = ngo.cell("social_impact")
    assert cell.mean_importance == 4.5
    assert (cell.short, cell.long, cell.short_share, cell.long_share) == (1, 1, 0.5, 0.5)
    assert cell.horizon == "mixed"
    assert result.topics == ["social_impact"]
    assert result.groups[0].cell("social_impact") is None


def test_two_participations_of_one_organisation_count_as_one_partner(design):
    funding = ParticipationFactory(
        partnership=design.partnership, organisation=design.orgs["company"], role="1"
    )
    expectation(funding, "risk_sharing", "short", 4)
    result = queries.alignment(design.partnership)
    private = next(g for g in result.groups if g.group == "private")
    assert private.partners == [design.orgs["company"]]
    assert design.orgs["company"] not in result.unrecorded


# (a) Horizon divergence ------------------------------------------------------------------


def test_mostly_short_term_against_mostly_long_term_is_a_horizon_divergence(design):
    """Given the company with two of three expectations short-term (exactly two thirds) and
    the NGO with all long-term, then a horizon divergence names both sides."""
    expectation(design.parts["company"], "market_access", "short", 3)
    expectation(design.parts["company"], "reputation", "short", 3)
    expectation(design.parts["company"], "social_impact", "long", 3)
    expectation(design.parts["ngo"], "social_impact", "long", 3)
    expectation(design.parts["ministry"], "social_impact", "long", 3)
    result = queries.alignment(design.partnership)
    horizon = only(result, "horizon")
    assert horizon is not None
    assert horizon.groups == ["private"]
    assert horizon.other_groups == ["government", "ngo"]
    assert "Private sector (2 of 3)" in horizon.message
    assert "short-term" in horizon.message and "long-term" in horizon.message


def test_a_mixed_group_does_not_make_a_horizon_divergence(design):
    """Given the company half short, half long (below two thirds), then no horizon divergence."""
    expectation(design.parts["company"], "market_access", "short", 3)
    expectation(design.parts["company"], "social_impact", "long", 3)
    expectation(design.parts["ngo"], "social_impact", "long", 3)
    expectation(design.parts["ministry"], "social_impact", "long", 3)
    result = queries.alignment(design.partnership)
    assert only(result, "horizon") is None
    assert result.groups[1].leaning == ""


def test_all_groups_on_the_same_horizon_do_not_diverge(design):
    for key in ("ministry", "company", "ngo"):
        expectation(design.parts[key], "social_impact", "long", 3)
    assert only(queries.alignment(design.partnership), "horizon") is None


# (b) Priority divergence ------------------------------------------------------------------


def test_a_topic_essential_to_one_group_and_not_named_by_another_diverges(design):
    """Given the ministry rating policy change 5 and the others not naming it, then a
    priority divergence explains that the private sector and NGOs do not name it."""
    expectation(design.parts["ministry"], "policy_change", "long", 5)
    expectation(design.parts["company"], "market_access", "short", 3)
    expectation(design.parts["ngo"], "social_impact", "long", 3)
    result = queries.alignment(design.partnership)
    [priority] = [d for d in result.divergences if d.kind == "priority"]
    assert priority.topic == "policy_change"
    assert priority.groups == ["government"]
    assert priority.other_groups == ["private", "ngo"]
    assert priority.message == (
        "Policy change is essential to Government (importance 5.0); "
        "Private sector, NGO or foundation do not name it."
    )


def test_a_topic_essential_to_one_group_and_rated_2_by_another_diverges(design):
    expectation(design.parts["ngo"], "social_impact", "long", 5)
    expectation(design.parts["company"], "social_impact", "long", 2)
    expectation(design.parts["ministry"], "social_impact", "long", 4)
    result = queries.alignment(design.partnership)
    [priority] = [d for d in result.divergences if d.kind == "priority"]
    assert priority.groups == ["government", "ngo"]
    assert priority.other_groups == ["private"]
    assert "Private sector (importance 2.0) rate it low" in priority.message


def test_a_middling_rating_elsewhere_is_no_divergence(design):
    """Given social impact at 5, 3 and 4, then nobody rates it low or leaves it out."""
    expectation(design.parts["ngo"], "social_impact", "long", 5)
    expectation(design.parts["company"], "social_impact", "long", 3)
    expectation(design.parts["ministry"], "social_impact", "long", 4)
    assert "priority" not in kinds(queries.alignment(design.partnership))


def test_a_group_mean_below_4_is_not_essential(design):
    """Given NGO ratings 4 and 3 (mean 3.5), the topic is not essential to that group."""
    second = ParticipationFactory(
        partnership=design.partnership,
        organisation=OrganisationFactory(org_type="21"),
        role="4",
    )
    expectation(design.parts["ngo"], "learning", "long", 4)
    expectation(second, "learning", "long", 3)
    expectation(design.parts["company"], "reputation", "short", 3)
    expectation(design.parts["ministry"], "reputation", "short", 3)
    result = queries.alignment(design.partnership)
    assert "priority" not in kinds(result)


def test_groups_without_any_expectation_are_not_compared_on_priorities(design):
    """Given only the ministry recorded expectations, then its essential topic is no
    priority divergence (nobody to compare with) but the others are unrecorded."""
    expectation(design.parts["ministry"], "policy_change", "long", 5)
    result = queries.alignment(design.partnership)
    assert kinds(result) == ["unrecorded"]


# (c) Unrecorded ---------------------------------------------------------------------------


def test_partners_without_expectations_are_flagged_as_not_comparable(design):
    expectation(design.parts["ministry"], "policy_change", "long", 3)
    result = queries.alignment(design.partnership)
    unrecorded = only(result, "unrecorded")
    assert unrecorded.partners == [design.orgs["company"], design.orgs["ngo"]]
    assert "Acme Garments, Fair Wages Foundation" in unrecorded.message
    assert result.unrecorded == [design.orgs["company"], design.orgs["ngo"]]


def test_a_partnership_without_partners_has_an_empty_alignment():
    from tests.factories import PartnershipFactory

    result = queries.alignment(PartnershipFactory())
    assert (result.groups, result.topics, result.divergences) == ([], [], [])


# Status for the lifecycle checklist --------------------------------------------------------


def test_status_is_complete_when_every_partner_has_a_contribution_and_an_expectation(design):
    for key in ("ministry", "company", "ngo"):
        expectation(design.parts[key], "social_impact", "long", 3)
    assert queries.expectations_status(design.partnership) == {"complete": True, "missing": []}


def test_status_lists_what_each_partner_still_lacks(design):
    design.parts["company"].contribution = "  "
    design.parts["company"].save()
    design.parts["ngo"].contribution = ""
    design.parts["ngo"].save()
    expectation(design.parts["ministry"], "social_impact", "long", 3)
    expectation(design.parts["ngo"], "social_impact", "long", 3)
    status = queries.expectations_status(design.partnership)
    assert status["complete"] is False
    assert status["missing"] == [
        {
            "organisation": design.orgs["company"].slug,
            "name": "Acme Garments",
            "participation": design.parts["company"].pk,
            "lacks": ["contribution", "expectations"],
            "message": "Acme Garments has stated neither its contribution nor its expectations.",
        },
        {
            "organisation": design.orgs["ngo"].slug,
            "name": "Fair Wages Foundation",
            "participation": design.parts["ngo"].pk,
            "lacks": ["contribution"],
            "message": "Fair Wages Foundation has not stated its contribution.",
        },
    ]


def test_a_partnership_without_partners_is_not_complete():
    from tests.factories import PartnershipFactory

    assert queries.expectations_status(PartnershipFactory()) == {
        "complete": False,
        "missing": [],
    }


# Queries ----------------------------------------------------------------------------------


def test_alignment_and_status_cost_three_queries_whatever_the_number_of_partners(
    design, django_assert_num_queries
):
    for key in ("ministry", "company", "ngo"):
        expectation(design.parts[key], "social_impact", "long", 3)
    with django_assert_num_queries(3):
        queries.alignment(design.partnership)
    for i in range(6):
        extra = ParticipationFactory(
            partnership=design.partnership,
            organisation=OrganisationFactory(org_type=["10", "70", "22", "40", "80", "90"][i]),
        )
        expectation(extra, "learning", "short", 4)
    with django_assert_num_queries(3):
        result = queries.alignment(design.partnership)
    assert len(result.groups) == 6
    with django_assert_num_queries(3):
        queries.expectations_status(design.partnership)
