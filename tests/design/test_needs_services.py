"""Need services: validated, coordinators only, every change on the ledger."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from sinergi.ledger.models import Entry
from sinergi.partnerships.models import CapabilityNeed
from sinergi.partnerships.needs import services
from tests.conftest import Cast
from tests.design.matching_fixtures import entries


@pytest.fixture
def cast(private_cast: Cast) -> Cast:
    return private_cast


@pytest.fixture
def coordinator(cast: Cast):
    return cast.people["coordinator"]


def add(cast: Cast, **fields):
    values = {"kind": "local_knowledge", "regions": ["ID-PA"], "weight": 5} | fields
    return services.add_need(
        actor=cast.people["coordinator"], partnership=cast.partnership, **values
    )


def test_a_coordinator_adds_a_need_and_the_ledger_records_it(cast):
    need = add(cast, sector_vocabulary="7", sector_code="3", regions=["id-pa", "ID-PA", " ID-NT"])
    need.refresh_from_db()
    assert need.regions == ["ID-PA", "ID-NT"]
    assert entries(cast.partnership, "need.added") == [
        {
            "need": need.pk,
            "kind": "local_knowledge",
            "sector_vocabulary": "7",
            "sector_code": "3",
            "regions": ["ID-PA", "ID-NT"],
            "weight": 5,
            "note": "",
        }
    ]


def test_a_vocabulary_without_a_code_means_any_sector(cast):
    need = add(cast, sector_vocabulary="2", sector_code="")
    assert (need.sector_vocabulary, need.sector_code) == ("", "")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"weight": 0}, "weight"),
        ({"weight": 6}, "weight"),
        ({"sector_vocabulary": "2", "sector_code": "999"}, "sector_code"),
        ({"sector_vocabulary": "7", "sector_code": "18"}, "sector_code"),
        ({"sector_vocabulary": "", "sector_code": "121"}, "sector_vocabulary"),
        ({"regions": ["ID-XX"]}, "regions"),
        ({"regions": "ID-PA"}, "regions"),
        ({"kind": "magic"}, "kind"),
    ],
)
def test_bad_input_is_a_field_error_and_nothing_is_saved(cast, fields, field):
    with pytest.raises(ValidationError) as caught:
        add(cast, **fields)
    assert field in caught.value.message_dict
    assert not CapabilityNeed.objects.exists()
    assert entries(cast.partnership, "need.added") == []


def test_an_update_records_what_changed(cast):
    need = add(cast)
    services.update_need(actor=cast.people["coordinator"], need=need, weight=2, note="Papua first")
    need.refresh_from_db()
    assert (need.weight, need.note) == (2, "Papua first")
    assert entries(cast.partnership, "need.updated") == [
        {"need": need.pk, "changed": {"weight": [5, 2], "note": ["", "Papua first"]}}
    ]


def test_an_update_without_changes_writes_no_entry(cast):
    need = add(cast)
    services.update_need(actor=cast.people["coordinator"], need=need, weight=5)
    assert entries(cast.partnership, "need.updated") == []


def test_a_rejected_update_leaves_the_need_as_it_was(cast):
    need = add(cast)
    with pytest.raises(ValidationError) as caught:
        services.update_need(actor=cast.people["coordinator"], need=need, weight=6, note="x")
    assert "weight" in caught.value.message_dict
    assert (need.weight, need.note) == (5, "")
    need.refresh_from_db()
    assert (need.weight, need.note) == (5, "")
    with pytest.raises(TypeError):
        services.update_need(actor=cast.people["coordinator"], need=need, partnership=None)


def test_removing_a_need_is_recorded(cast):
    need = add(cast)
    pk = need.pk
    services.delete_need(actor=cast.people["coordinator"], need=need)
    assert not CapabilityNeed.objects.exists()
    [payload] = entries(cast.partnership, "need.removed")
    assert payload["kind"] == "local_knowledge" and payload["need"] == pk


@pytest.mark.parametrize(
    ("role", "error"),
    [
        ("partner_admin", PermissionDenied),
        ("member", PermissionDenied),
        ("observer", PermissionDenied),
        ("outsider", Http404),
    ],
)
def test_only_coordinators_and_staff_edit_needs(cast, role, error):
    with pytest.raises(error):
        services.add_need(
            actor=cast.people[role], partnership=cast.partnership, kind="finance", weight=3
        )
    need = add(cast)
    with pytest.raises(error):
        services.update_need(actor=cast.people[role], need=need, weight=1)
    with pytest.raises(error):
        services.delete_need(actor=cast.people[role], need=need)
    services.add_need(actor=cast.people["staff"], partnership=cast.partnership, kind="finance")


def test_the_need_and_its_ledger_entry_commit_together(cast):
    with (
        mock.patch("sinergi.partnerships.needs.services.record", side_effect=RuntimeError),
        pytest.raises(RuntimeError),
    ):
        add(cast)
    assert not CapabilityNeed.objects.exists()
    assert not Entry.objects.filter(kind="need.added").exists()
