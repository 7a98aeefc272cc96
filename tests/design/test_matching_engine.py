"""Unmet needs, recommendations (scores and explanations) and team assembly."""

from __future__ import annotations

import pytest

from sinergi.partners.matching import queries, rules
from sinergi.partners.matching.queries import assemble_team, need_statuses, recommend
from tests.design.matching_fixtures import capability, need, organisation
from tests.factories import ParticipationFactory, PartnershipFactory


@pytest.fixture
def partnership(db):
    """Immunisation in Papua and East Nusa Tenggara, with a ministry and a national NGO."""
    partnership = PartnershipFactory(countries=["ID"], regions=["ID-PA", "ID-NT"])
    ministry = organisation("Ministry of Health", "10")
    ngo = organisation("Yayasan Sehat", "22")
    capability(ministry, "policy", "7:3", ["ID"])
    capability(ngo, "community", "", ["ID-NT"])
    ParticipationFactory(partnership=partnership, organisation=ministry, role="2")
    ParticipationFactory(partnership=partnership, organisation=ngo, role="4")
    return partnership


def test_needs_the_partners_cover_are_met_and_show_who_covers_them(partnership):
    # Given needs the partners cover (policy for SDG 3 in Papua: the ministry works in all
    # of Indonesia) and one they do not (community mobilisation in Papua)
    policy = need(partnership, "policy", "7:3", ["ID-PA"], weight=4)
    community = need(partnership, "community", "", ["ID-PA"], weight=5)
    # When the needs are listed with their coverage
    statuses = {status.need.pk: status for status in need_statuses(partnership)}
    # Then the ministry covers the first and nobody the second
    assert [o.name for o in statuses[policy.pk].partners] == ["Ministry of Health"]
    assert statuses[community.pk].partners == [] and not statuses[community.pk].covered


def test_a_recommendation_scores_coverage_diversity_and_presence_and_says_why(partnership):
    # Given an unmet need for local knowledge in Papua (weight 5)
    need(partnership, "local_knowledge", "", ["ID-PA"], weight=5)
    # and a telecom company that has it and works in East Nusa Tenggara
    telecom = organisation("Telkom Papua", "70", subdivisions=["ID-NT"])
    capability(telecom, "local_knowledge", "", ["ID-PA"])
    # and an NGO (a group the partnership has) that has it too, based elsewhere
    ngo = organisation("Another NGO", "22", country="MY")
    capability(ngo, "local_knowledge", "", ["ID"])
    # When recommendations are made
    [first, second] = recommend(partnership)
    # Then the company comes first: 5 + new partner group + presence
    assert first.organisation.pk == telecom.pk
    assert first.score == 5 + rules.DIVERSITY_BONUS + rules.PRESENCE_BONUS
    assert first.explanation == (
        "covers local knowledge in Papua; adds the private sector; works in Papua and "
        "Nusa Tenggara Timur"
    )
    assert second.organisation.pk == ngo.pk and second.score == 5
    assert second.reasons == ["covers local knowledge in Papua"]


def test_partners_and_organisations_that_cover_no_unmet_need_are_not_recommended(partnership):
    need(partnership, "finance", "7:3", weight=3)
    ministry = partnership.participations.get(role="2").organisation
    capability(ministry, "finance", "7:3")  # a partner: the need is met
    outsider = organisation("Unrelated", "70")
    capability(outsider, "technical", "2:121")
    assert recommend(partnership) == []


def test_only_unmet_needs_count_towards_the_score(partnership):
    need(partnership, "community", "", ["ID-NT"], weight=5)  # the NGO partner covers it
    need(partnership, "finance", "", [], weight=2)
    donor = organisation("Donor Foundation", "60")
    capability(donor, "community", "", ["ID-NT"])
    capability(donor, "finance")
    [only] = recommend(partnership)
    assert only.coverage_points == 2
    assert [spec.kind for spec in only.covers] == ["finance"]


def test_equal_scores_go_by_name_and_the_limit_holds(partnership):
    need(partnership, "technical", "2:121", weight=3)
    for name in ("Charlie Institute", "Alpha Institute", "Bravo Institute"):
        capability(organisation(name, "22", country="MY"), "technical", "2:121")
    names = [item.organisation.name for item in recommend(partnership, limit=2)]
    assert names == ["Alpha Institute", "Bravo Institute"]


def test_a_candidate_covering_more_weight_outranks_one_with_bonuses(partnership):
    need(partnership, "technical", "", [], weight=5)
    need(partnership, "finance", "", [], weight=4)
    both = organisation("Zeta NGO", "22", country="MY")
    capability(both, "technical")
    capability(both, "finance")
    single = organisation("Alpha Bank", "70", subdivisions=["ID-PA"])
    capability(single, "finance")
    ranked = [(item.organisation.name, item.score) for item in recommend(partnership)]
    assert ranked == [("Zeta NGO", 9), ("Alpha Bank", 4 + 2 + 1)]


def test_the_team_covers_every_coverable_need_greedily_and_lists_the_rest(partnership):
    # Given four unmet needs, one of which nobody in the registry covers
    finance = need(partnership, "finance", "7:3", weight=5)
    local = need(partnership, "local_knowledge", "", ["ID-PA"], weight=4)
    data = need(partnership, "data_tech", "", [], weight=2)
    nobody = need(partnership, "in_kind", "2:313", ["ID-PA"], weight=1)
    met = need(partnership, "policy", "7:3", ["ID-PA"], weight=3)  # the ministry covers it
    # and a foundation covering finance and data, a Papuan NGO, and a bank with finance only
    foundation = organisation("Filantropi Foundation", "60")
    capability(foundation, "finance", "7:3")
    capability(foundation, "data_tech", "2:220")
    papua = organisation("Papua Lokal", "22", subdivisions=["ID-PA"])
    capability(papua, "local_knowledge", "", ["ID-PA"])
    bank = organisation("Bank Rakyat", "70")
    capability(bank, "finance", "")
    # When a team is assembled
    team = assemble_team(partnership)
    # Then the foundation comes first (7 points), then the Papuan NGO (4)
    assert [m.organisation.pk for m in team.members] == [foundation.pk, papua.pk]
    assert [spec.id for spec in team.members[0].covers] == [finance.pk, data.pk]
    assert [spec.id for spec in team.members[1].covers] == [local.pk]
    assert team.members[0].gain == 7
    assert [spec.id for spec in team.uncoverable] == [nobody.pk]
    assert [spec.id for spec in team.already_covered] == [met.pk]


def test_team_ties_go_to_a_new_partner_group_then_by_name(partnership):
    need(partnership, "technical", "2:140", weight=3)
    capability(organisation("Aaa NGO", "22"), "technical", "2:140")  # NGOs: already partners
    capability(organisation("Zed Water Company", "70"), "technical", "2:140")
    capability(organisation("Yon Water Company", "72"), "technical", "2:140")
    team = assemble_team(partnership)
    assert [m.organisation.name for m in team.members] == ["Yon Water Company"]
    assert team.members[0].adds_group == "private"


def test_a_team_for_a_partnership_whose_needs_are_all_met_is_empty(partnership):
    need(partnership, "community", "", ["ID-NT"])
    team = assemble_team(partnership)
    assert team.members == [] and team.uncoverable == [] and len(team.already_covered) == 1


def _registry(size: int) -> None:
    for n in range(size):
        member = organisation(f"Registry {n:04d}", ["22", "70", "10", "80"][n % 4])
        capability(member, ["technical", "finance", "local_knowledge"][n % 3], "", ["ID-PA"])
        capability(member, "community", "7:3", ["ID"])


@pytest.mark.parametrize("size", [5, 60])
def test_recommend_and_team_use_a_fixed_number_of_queries_whatever_the_registry_size(
    partnership, size, django_assert_max_num_queries
):
    # Given four needs and a registry of `size` candidates
    need(partnership, "technical", "", ["ID-PA"], weight=5)
    need(partnership, "finance", "", [], weight=4)
    need(partnership, "community", "7:3", ["ID-PA"], weight=3)
    need(partnership, "data_tech", "2:220", [], weight=1)
    _registry(size)
    # Then: needs, partners, partners' index rows, one for all needs, details, places
    with django_assert_max_num_queries(6):
        assert recommend(partnership)
    # and the page's overview adds the names of the covering partners
    with django_assert_max_num_queries(7):
        queries.overview(partnership)
    # and a team: details once per greedy step (at most one per need)
    with django_assert_max_num_queries(4 + 4):
        assemble_team(partnership)
