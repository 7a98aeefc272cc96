"""Capability services: who may record them, what is refused, and the matching index
(`CapabilityCoverage`) that must always equal `rows_for` of every capability."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sinergi.partners import services as organisation_services
from sinergi.partners.capabilities import services
from sinergi.partners.models import Capability, CapabilityCoverage, Organisation, Person
from tests.factories import OrganisationFactory, ParticipationFactory, PersonFactory


def index_rows() -> list[tuple]:
    """The matching index as stored."""
    return sorted(
        CapabilityCoverage.objects.values_list(
            "capability_id", "organisation_id", "org_type", "kind", "sector", "region"
        )
    )


def expected_rows() -> list[tuple]:
    """The matching index as `rows_for` derives it from the capabilities."""
    rows = []
    for capability in Capability.objects.select_related("organisation"):
        for row in CapabilityCoverage.rows_for(capability, capability.organisation.org_type):
            rows.append(
                (row.capability_id, row.organisation_id, row.org_type, row.kind, row.sector,
                 row.region)
            )  # fmt: skip
    return sorted(rows)


def assert_index_matches() -> None:
    assert index_rows() == expected_rows()


def org_admin(organisation: Organisation) -> Person:
    return PersonFactory(organisation=organisation, is_organisation_admin=True)


@pytest.fixture
def organisation(db) -> Organisation:
    return OrganisationFactory(org_type="22")


@pytest.fixture
def admin(organisation) -> Person:
    return org_admin(organisation)


def add(actor: Person, organisation: Organisation, **fields) -> Capability:
    values = {"kind": "technical", "sector_vocabulary": "2", "sector_code": "122"}
    values.update(fields)
    return services.add_capability(actor=actor, organisation=organisation, **values)


# Permissions ----------------------------------------------------------------------------


def test_an_organisation_admin_records_a_capability_of_their_organisation(organisation, admin):
    """Given an admin of the organisation, when they add a capability, then it is saved
    with its index rows."""
    capability = add(admin, organisation, regions=["ID-NT", "ID-PA"], description="Outreach")

    assert capability.pk is not None
    assert capability.organisation == organisation
    assert sorted(r for *_, r in index_rows()) == ["ID-NT", "ID-PA"]
    assert_index_matches()


def test_staff_may_record_capabilities_of_any_organisation(organisation):
    staff = PersonFactory(is_staff=True)
    add(staff, organisation)
    assert organisation.capabilities.count() == 1


@pytest.mark.parametrize("who", ["admin_elsewhere", "plain_member", "inactive_admin"])
def test_others_may_not_add_change_or_delete_capabilities(organisation, admin, who):
    """Given an admin of another organisation, a non-admin of this one, or a deactivated
    admin, each of the three writes is refused and nothing changes."""
    capability = add(admin, organisation)
    before = index_rows()
    person = {
        "admin_elsewhere": lambda: org_admin(OrganisationFactory()),
        "plain_member": lambda: PersonFactory(organisation=organisation),
        "inactive_admin": lambda: PersonFactory(
            organisation=organisation, is_organisation_admin=True, is_active=False
        ),
    }[who]()

    with pytest.raises(PermissionDenied):
        add(person, organisation)
    with pytest.raises(PermissionDenied):
        services.update_capability(actor=person, capability=capability, kind="finance")
    with pytest.raises(PermissionDenied):
        services.delete_capability(actor=person, capability=capability)

    capability.refresh_from_db()
    assert capability.kind == "technical"
    assert organisation.capabilities.count() == 1
    assert index_rows() == before


# Bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"sector_vocabulary": "2", "sector_code": "999"}, "sector_code"),
        ({"sector_vocabulary": "7", "sector_code": "18"}, "sector_code"),
        ({"sector_vocabulary": "7", "sector_code": "3.b"}, "sector_code"),
        ({"sector_vocabulary": "2", "sector_code": ""}, "sector_code"),
        ({"sector_vocabulary": "", "sector_code": "122"}, "sector_vocabulary"),
        ({"sector_vocabulary": "9", "sector_code": "122"}, "sector_vocabulary"),
        ({"regions": ["XX-99"]}, "regions"),
        ({"regions": ["ID", "Atlantis"]}, "regions"),
        ({"regions": "ID"}, "regions"),
        ({"kind": "magic"}, "kind"),
    ],
)
def test_bad_input_is_a_field_error_and_nothing_is_saved(organisation, admin, fields, field):
    """Given an unknown DAC code, SDG 18, a target instead of a goal, a region that is no
    ISO 3166 code, or a kind that does not exist, then the error names the field and
    neither a capability nor an index row is written."""
    with pytest.raises(ValidationError) as caught:
        add(admin, organisation, **fields)

    assert field in caught.value.message_dict
    assert not Capability.objects.exists()
    assert not CapabilityCoverage.objects.exists()


def test_a_rejected_update_leaves_the_capability_and_its_index_as_they_were(organisation, admin):
    capability = add(admin, organisation, regions=["ID-JB"])
    before = index_rows()

    with pytest.raises(ValidationError) as caught:
        services.update_capability(
            actor=admin, capability=capability, regions=["ID-JT", "XX-99"], kind="finance"
        )

    assert "regions" in caught.value.message_dict
    capability.refresh_from_db()
    assert (capability.kind, capability.regions) == ("technical", ["ID-JB"])
    assert index_rows() == before


def test_an_unknown_field_is_a_programming_error(organisation, admin):
    capability = add(admin, organisation)
    with pytest.raises(TypeError):
        services.update_capability(actor=admin, capability=capability, organisation_id=1)


def test_codes_are_tidied_and_repeated_regions_kept_once(organisation, admin):
    capability = add(admin, organisation, sector_code=" 122 ", regions=["id-jb", "ID-JB", "ID"])

    assert capability.sector_code == "122"
    assert capability.regions == ["ID-JB", "ID"]
    assert len(index_rows()) == 2


def test_both_sector_fields_blank_means_any_sector_and_no_region_anywhere(organisation, admin):
    capability = add(admin, organisation, sector_vocabulary="", sector_code="", regions=[])

    assert capability.sector_label == "Any sector"
    assert index_rows() == [
        (capability.pk, organisation.pk, "22", "technical", "", ""),
    ]


# The matching index ---------------------------------------------------------------------


def test_the_index_follows_every_create_update_and_delete(organisation, admin):
    first = add(admin, organisation, regions=["ID-NT", "ID-PA"])
    second = add(admin, organisation, kind="finance", sector_vocabulary="7", sector_code="3")
    assert_index_matches()
    assert len(index_rows()) == 3

    services.update_capability(
        actor=admin, capability=first, kind="local_knowledge", regions=["ID-PA", "ID-PB", "TL"]
    )
    assert_index_matches()
    assert {row[3] for row in index_rows() if row[0] == first.pk} == {"local_knowledge"}

    services.update_capability(actor=admin, capability=second, sector_vocabulary="2",
                               sector_code="121")  # fmt: skip
    assert_index_matches()
    assert {row[4] for row in index_rows() if row[0] == second.pk} == {"2:121"}

    services.delete_capability(actor=admin, capability=first)
    assert_index_matches()
    assert {row[0] for row in index_rows()} == {second.pk}


def test_the_index_follows_the_organisation_type(organisation, admin):
    """Given capabilities indexed as an NGO's, when the organisation becomes a private
    company, then every index row carries the new type, in the same save."""
    add(admin, organisation, regions=["ID-JB", "ID-JT"])
    add(admin, organisation, kind="finance")
    other = OrganisationFactory(org_type="10")
    add(PersonFactory(is_staff=True), other)

    organisation_services.update_organisation(actor=admin, organisation=organisation, org_type="70")

    assert_index_matches()
    types = dict(CapabilityCoverage.objects.values_list("organisation_id", "org_type").distinct())
    assert types == {organisation.pk: "70", other.pk: "10"}


def test_a_rejected_organisation_change_leaves_the_index_type(organisation, admin):
    add(admin, organisation)
    with pytest.raises(ValidationError):
        organisation_services.update_organisation(
            actor=admin, organisation=organisation, org_type="70", country="XX"
        )
    assert set(CapabilityCoverage.objects.values_list("org_type", flat=True)) == {"22"}


def test_deleting_a_capability_a_partner_brings_only_drops_the_link(organisation, admin):
    """Given a capability linked to a partner's contribution, deleting it is allowed and
    the participation stays, without the link."""
    capability = add(admin, organisation)
    kept = add(admin, organisation, kind="finance")
    participation = ParticipationFactory(organisation=organisation)
    participation.capabilities.add(capability, kept)

    services.delete_capability(actor=admin, capability=capability)

    assert list(participation.capabilities.all()) == [kept]
    assert not Capability.objects.filter(pk=capability.pk).exists()
    assert_index_matches()


def test_rebuild_coverage_repairs_a_damaged_index(organisation, admin):
    add(admin, organisation, regions=["ID-NT", "ID-PA"])
    add(admin, organisation, kind="finance", regions=[])
    expected = index_rows()
    CapabilityCoverage.objects.filter(region="ID-PA").delete()
    CapabilityCoverage.objects.update(org_type="90")
    CapabilityCoverage.objects.create(
        capability=Capability.objects.first(), organisation=organisation, org_type="22",
        kind="network", sector="", region="ID-JB",
    )  # fmt: skip

    written = services.rebuild_coverage()

    assert written == 3
    assert index_rows() == expected


def test_rebuild_coverage_works_in_batches(organisation, admin, monkeypatch):
    monkeypatch.setattr(services, "REBUILD_BATCH", 3)
    for _ in range(4):
        add(admin, organisation, regions=["ID-NT", "ID-PA"])
    CapabilityCoverage.objects.all().delete()

    assert services.rebuild_coverage() == 8
    assert_index_matches()


def test_the_management_command_rebuilds_the_index(organisation, admin):
    add(admin, organisation, regions=["ID-NT"])
    CapabilityCoverage.objects.all().delete()
    out = io.StringIO()

    call_command("rebuild_capability_coverage", stdout=out)

    assert_index_matches()
    assert "1" in out.getvalue()


# A property: whatever the sequence of writes, the index equals rows_for -----------------

KINDS = ["finance", "technical", "local_knowledge", "community"]
SECTORS = [("", ""), ("2", "122"), ("2", "321"), ("7", "3"), ("7", "8")]
REGIONS = ["ID", "ID-JB", "ID-NT", "ID-PA", "TL", "CH"]
ORG_TYPES = ["10", "22", "40", "70", "80"]

capability_fields = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(KINDS),
        "sector": st.sampled_from(SECTORS),
        "regions": st.lists(st.sampled_from(REGIONS), max_size=4),
    }
)
operation = st.one_of(
    st.tuples(st.just("add"), st.integers(0, 1), capability_fields),
    st.tuples(st.just("update"), st.integers(0, 20), capability_fields),
    st.tuples(st.just("delete"), st.integers(0, 20), st.none()),
    st.tuples(st.just("org_type"), st.integers(0, 1), st.sampled_from(ORG_TYPES)),
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(operation, min_size=1, max_size=8))
def test_the_index_equals_rows_for_after_any_sequence_of_writes(db, operations):
    """Whatever mix of adds, updates, deletes and organisation type changes happens, the
    index afterwards equals `rows_for` of every capability with its organisation's type."""
    with transaction.atomic():
        organisations = [OrganisationFactory(org_type="22"), OrganisationFactory(org_type="40")]
        staff = PersonFactory(is_staff=True)
        for action, index, value in operations:
            existing = list(Capability.objects.order_by("pk"))
            if action == "add":
                vocabulary, code = value["sector"]
                services.add_capability(
                    actor=staff, organisation=organisations[index], kind=value["kind"],
                    sector_vocabulary=vocabulary, sector_code=code, regions=value["regions"],
                )  # fmt: skip
            elif action == "update" and existing:
                vocabulary, code = value["sector"]
                services.update_capability(
                    actor=staff, capability=existing[index % len(existing)], kind=value["kind"],
                    sector_vocabulary=vocabulary, sector_code=code, regions=value["regions"],
                )  # fmt: skip
            elif action == "delete" and existing:
                services.delete_capability(actor=staff, capability=existing[index % len(existing)])
            elif action == "org_type":
                organisation_services.update_organisation(
                    actor=staff, organisation=organisations[index], org_type=value
                )
            assert_index_matches()
        transaction.set_rollback(True)


# Demo --------------------------------------------------------------------------------


def test_the_demo_gives_every_organisation_capabilities_once(db):
    """Given the demo loaded twice, every demo organisation records two to four
    capabilities, entered by its own admin, and the second run adds nothing."""
    call_command("demo", "--quiet", stdout=io.StringIO())
    counts = {o.slug: o.capabilities.count() for o in Organisation.objects.all()}
    call_command("demo", "--quiet", stdout=io.StringIO())

    from sinergi.core.management.commands.demo import ORGANISATIONS

    # The twelve partner organisations; the matching demo adds registry organisations too.
    assert {row[0] for row in ORGANISATIONS} <= set(counts)
    assert all(2 <= counts[row[0]] <= 4 for row in ORGANISATIONS), counts
    assert all(counts.values()), counts
    assert {o.slug: o.capabilities.count() for o in Organisation.objects.all()} == counts
    assert_index_matches()
    gavi = Capability.objects.get(organisation__slug="gavi", kind="finance")
    assert (gavi.sector_vocabulary, gavi.sector_code, gavi.regions) == ("7", "3", [])
