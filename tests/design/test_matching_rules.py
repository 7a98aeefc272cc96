"""When a capability covers a need: kind, sector and region, checked in SQL and in Python.

Every case runs through the indexed look-up (`organisations_covering`) and through
`NeedSpec.covered_by` (used for the partners' own coverage); both must agree.
"""

from __future__ import annotations

import pytest

from sinergi.partners.matching import rules
from sinergi.partners.matching.index import key_group, key_id, org_key, organisations_covering
from sinergi.partners.matching.rules import NeedSpec
from sinergi.partners.models import CapabilityCoverage
from tests.design.matching_fixtures import capability, need, organisation
from tests.factories import PartnershipFactory

CASES = [
    # (need kind, need sector, need regions, capability kind, sector, regions, covered)
    ("finance", "", [], "finance", "", [], True),
    ("finance", "", [], "technical", "", [], False),
    ("finance", "2:121", [], "finance", "", [], True),  # capability: any sector
    ("finance", "2:121", [], "finance", "2:121", [], True),
    ("finance", "2:121", [], "finance", "2:122", [], False),
    ("finance", "", [], "finance", "2:122", [], True),  # need: any sector
    ("finance", "7:3", [], "finance", "2:121", [], False),  # another vocabulary
    ("local_knowledge", "", ["ID-PA"], "local_knowledge", "", ["ID-PA"], True),
    ("local_knowledge", "", ["ID-PA"], "local_knowledge", "", ["ID"], True),  # its country
    ("local_knowledge", "", ["ID-PA"], "local_knowledge", "", ["ID-PP"], True),  # its unit
    ("local_knowledge", "", ["ID-PA"], "local_knowledge", "", [], True),  # anywhere
    ("local_knowledge", "", ["ID-PA"], "local_knowledge", "", ["ID-NT"], False),
    ("local_knowledge", "", ["ID-PA"], "local_knowledge", "", ["PG"], False),
    ("local_knowledge", "", ["ID"], "local_knowledge", "", ["ID-PA"], False),  # not all of ID
    ("local_knowledge", "", [], "local_knowledge", "", ["ID-PA"], True),  # need: anywhere
    ("network", "", ["ID-PA", "TL"], "network", "", ["TL"], True),
    ("network", "", ["ID-PA", "TL"], "network", "", ["MY", "ID-NT"], False),
    ("data_tech", "2:121", ["ID-NT"], "data_tech", "", ["ID", "TL"], True),
    ("data_tech", "2:121", ["ID-NT"], "data_tech", "2:121", ["ID-JB"], False),
]


@pytest.mark.parametrize(
    ("need_kind", "need_sector", "need_regions", "kind", "sector", "regions", "covered"), CASES
)
def test_a_capability_covers_a_need_by_kind_sector_and_region(
    db, need_kind, need_sector, need_regions, kind, sector, regions, covered
):
    # Given an organisation with one capability and a partnership need
    candidate = organisation("Candidate")
    made = capability(candidate, kind, sector, regions)
    spec = NeedSpec.of(need(PartnershipFactory(), need_kind, need_sector, need_regions))
    # When matching looks the need up in the index, and checks the index rows in Python
    found = {key_id(key) for key in organisations_covering([spec])[0]}
    rows = CapabilityCoverage.objects.filter(capability=made)
    in_python = any(spec.covered_by(row.kind, row.sector, row.region) for row in rows)
    # Then both say the same
    assert (candidate.pk in found) is covered
    assert in_python is covered


def test_a_province_lies_in_its_unit_and_its_country():
    assert rules.containing("ID-PA") == ["ID-PP", "ID"]
    assert rules.containing("ID") == []
    assert "ID-PA" in rules.inside("ID") and "ID-PA" in rules.inside("ID-PP")


def test_presence_counts_a_place_inside_a_target_region():
    assert rules.present_in(["ID", "ID-PA"], ["ID-PA", "ID-NT"]) == ["ID-PA"]
    assert rules.present_in(["ID-PA"], ["ID"]) == ["ID"]
    assert rules.present_in(["ID"], ["ID-NT"]) == []


def test_a_need_describes_itself_in_plain_words(db):
    partnership = PartnershipFactory()
    assert NeedSpec.of(need(partnership, "local_knowledge", "", ["ID-PA"])).describe() == (
        "local knowledge in Papua"
    )
    assert NeedSpec.of(need(partnership, "finance", "7:3")).describe() == "finance for SDG 3"
    assert NeedSpec.of(need(partnership, "network", "2:121", ["ID-PA", "TL"])).describe() == (
        "network for Health, General in Papua and Timor-Leste"
    )
    assert NeedSpec.of(need(partnership, "data_tech")).describe() == "data and technology"


def test_the_index_key_carries_the_partner_group_and_follows_a_type_change(db):
    # Given a foundation (an NGO-group type) with a capability in the index
    foundation = organisation("Filantropi", "60")
    capability(foundation, "finance")
    row = CapabilityCoverage.objects.get(organisation=foundation)
    assert key_id(row.org_key) == foundation.pk and key_group(row.org_key) == "ngo"
    # When its index rows get another type (as the capability services do on a type change)
    CapabilityCoverage.objects.filter(organisation=foundation).update(org_type="70")
    # Then the key says private sector, with no other write
    row.refresh_from_db()
    assert key_id(row.org_key) == foundation.pk and key_group(row.org_key) == "private"
    assert row.org_key == org_key(foundation.pk, "70")
