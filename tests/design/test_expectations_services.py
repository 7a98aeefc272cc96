"""Services for a partner's commitment and expectations: who may change them, what is
rejected, and the ledger entries they leave."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from sinergi.ledger.models import Entry
from sinergi.partnerships.expectations import services
from sinergi.partnerships.models import Expectation
from tests.design.test_expectations_setup import build_design, capability, expectation, ledger

pytestmark = pytest.mark.django_db


@pytest.fixture
def design():
    return build_design()


# Permission matrix ----------------------------------------------------------------------

# who → may edit the company's participation?
COMPANY_MATRIX = [
    ("coordinator", "ok"),
    ("partner_admin", "ok"),  # the company's own partner admin
    ("ngo_admin", 403),  # a partner admin of another organisation
    ("member", 403),
    ("observer", 403),
    ("outsider", 404),
    ("staff", "ok"),
]


@pytest.mark.parametrize(("who", "outcome"), COMPANY_MATRIX)
def test_who_may_change_a_partners_commitment(design, who, outcome):
    """Given the company's participation, when each kind of person changes its contribution,
    then coordinators, its own partner admin and staff may; others are refused (404 for
    outsiders of a private partnership, so it does not leak)."""
    participation = design.parts["company"]
    call = lambda: services.update_commitment(  # noqa: E731
        actor=design.people[who], participation=participation, contribution="New", capabilities=[]
    )
    if outcome == "ok":
        call()
        participation.refresh_from_db()
        assert participation.contribution == "New"
    else:
        with pytest.raises(Http404 if outcome == 404 else PermissionDenied):
            call()
        participation.refresh_from_db()
        assert participation.contribution == "Lines"


@pytest.mark.parametrize(("who", "outcome"), COMPANY_MATRIX)
def test_who_may_add_an_expectation(design, who, outcome):
    """The same matrix holds for adding, changing and removing expectations."""
    participation = design.parts["company"]
    actor = design.people[who]
    if outcome == "ok":
        e = services.add_expectation(
            actor=actor, participation=participation, topic="market_access", horizon="short"
        )
        services.update_expectation(actor=actor, expectation=e, importance=5)
        services.delete_expectation(actor=actor, expectation=e)
        assert not Expectation.objects.exists()
    else:
        error = Http404 if outcome == 404 else PermissionDenied
        with pytest.raises(error):
            services.add_expectation(
                actor=actor, participation=participation, topic="market_access", horizon="short"
            )
        existing = expectation(participation, "reputation", "short")
        with pytest.raises(error):
            services.update_expectation(actor=actor, expectation=existing, importance=5)
        with pytest.raises(error):
            services.delete_expectation(actor=actor, expectation=existing)
        existing.refresh_from_db()
        assert existing.importance == 3
        assert not Entry.objects.filter(kind__startswith="expectation.").exists()


def test_anonymous_cannot_change_a_public_partnerships_expectations():
    """Given a public partnership, an anonymous visitor may see it but not change it."""
    from django.contrib.auth.models import AnonymousUser

    design = build_design("public")
    with pytest.raises(PermissionDenied):
        services.add_expectation(
            actor=AnonymousUser(),
            participation=design.parts["company"],
            topic="reputation",
            horizon="short",
        )


# Commitment -----------------------------------------------------------------------------


def test_commitment_links_own_capabilities_and_is_logged(design):
    """Given the company's two capabilities, when its admin states its contribution with
    them, then they are linked and the ledger records contribution, kinds and ids."""
    participation = design.parts["company"]
    finance = capability(design.orgs["company"], "finance")
    in_kind = capability(design.orgs["company"], "in_kind")
    services.update_commitment(
        actor=design.people["partner_admin"],
        participation=participation,
        contribution="  Two pilot lines  ",
        capabilities=[in_kind.pk, finance],
    )
    participation.refresh_from_db()
    assert participation.contribution == "Two pilot lines"
    assert set(participation.capabilities.all()) == {finance, in_kind}
    [payload] = ledger("participation.commitment_changed")
    assert payload == {
        "organisation": design.orgs["company"].slug,
        "participation": participation.pk,
        "role": "4",
        "contribution": "Two pilot lines",
        "capabilities": [
            {"id": finance.pk, "kind": "finance"},
            {"id": in_kind.pk, "kind": "in_kind"},
        ],
    }


def test_another_organisations_capability_is_a_field_error_and_nothing_is_saved(design):
    """Given the NGO's capability, when the company links it, then `capabilities` has an
    error, and neither the contribution nor any link nor a ledger entry is saved."""
    participation = design.parts["company"]
    foreign = capability(design.orgs["ngo"], "technical")
    with pytest.raises(ValidationError) as caught:
        services.update_commitment(
            actor=design.people["coordinator"],
            participation=participation,
            contribution="Changed",
            capabilities=[foreign.pk],
        )
    assert "capabilities" in caught.value.message_dict
    assert str(foreign.pk) in caught.value.message_dict["capabilities"][0]
    participation.refresh_from_db()
    assert participation.contribution == "Lines"
    assert not participation.capabilities.exists()
    assert not Entry.objects.filter(kind="participation.commitment_changed").exists()


def test_an_unknown_capability_id_is_a_field_error(design):
    with pytest.raises(ValidationError) as caught:
        services.update_commitment(
            actor=design.people["coordinator"],
            participation=design.parts["company"],
            contribution="Lines",
            capabilities=[987654],
        )
    assert "capabilities" in caught.value.message_dict


def test_a_too_long_contribution_is_a_field_error(design):
    participation = design.parts["company"]
    with pytest.raises(ValidationError) as caught:
        services.update_commitment(
            actor=design.people["coordinator"],
            participation=participation,
            contribution="x" * 301,
            capabilities=[],
        )
    assert "contribution" in caught.value.message_dict
    assert participation.contribution == "Lines"  # the caller's instance is restored


def test_an_unchanged_commitment_writes_no_ledger_entry(design):
    participation = design.parts["company"]
    services.update_commitment(
        actor=design.people["coordinator"],
        participation=participation,
        contribution="Lines",
        capabilities=[],
    )
    assert not Entry.objects.filter(kind="participation.commitment_changed").exists()


# Expectations ---------------------------------------------------------------------------


@pytest.mark.parametrize("importance", [0, 6, -1, True])
def test_importance_outside_1_to_5_is_a_field_error_and_nothing_is_saved(design, importance):
    with pytest.raises(ValidationError) as caught:
        services.add_expectation(
            actor=design.people["coordinator"],
            participation=design.parts["company"],
            topic="market_access",
            horizon="short",
            importance=importance,
        )
    assert list(caught.value.message_dict) == ["importance"]
    assert "1" in caught.value.message_dict["importance"][0]
    assert not Expectation.objects.exists()
    assert not Entry.objects.filter(kind="expectation.added").exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"topic": "world_peace"}, "topic"), ({"horizon": "forever"}, "horizon")],
)
def test_unknown_topic_or_horizon_is_a_field_error(design, changes, field):
    fields = {"topic": "reputation", "horizon": "short", **changes}
    with pytest.raises(ValidationError) as caught:
        services.add_expectation(
            actor=design.people["coordinator"], participation=design.parts["company"], **fields
        )
    assert field in caught.value.message_dict
    assert not Expectation.objects.exists()


def test_adding_changing_and_removing_an_expectation_is_on_the_ledger(design):
    """Given the company's admin, when they add, change and remove an expectation, then each
    step is one ledger entry naming the partner, the topic, horizon and importance."""
    actor = design.people["partner_admin"]
    participation = design.parts["company"]
    e = services.add_expectation(
        actor=actor,
        participation=participation,
        topic="market_access",
        horizon="short",
        importance=5,
        description="Orders from brands",
    )
    pk = e.pk
    services.update_expectation(actor=actor, expectation=e, horizon="long", importance=4)
    services.update_expectation(actor=actor, expectation=e, horizon="long")  # no change
    services.delete_expectation(actor=actor, expectation=e)

    [added] = ledger("expectation.added")
    assert added == {
        "organisation": design.orgs["company"].slug,
        "participation": participation.pk,
        "expectation": pk,
        "topic": "market_access",
        "horizon": "short",
        "importance": 5,
        "description": "Orders from brands",
    }
    [updated] = ledger("expectation.updated")
    assert updated["changed"] == ["horizon", "importance"]
    assert (updated["horizon"], updated["importance"]) == ("long", 4)
    [removed] = ledger("expectation.removed")
    assert removed["expectation"] == pk
    assert not Expectation.objects.exists()


def test_a_rejected_change_leaves_the_expectation_as_saved(design):
    e = expectation(design.parts["company"], "reputation", "short", 3)
    with pytest.raises(ValidationError):
        services.update_expectation(
            actor=design.people["coordinator"], expectation=e, topic="reputation", importance=9
        )
    with pytest.raises(ValidationError):
        services.update_expectation(actor=design.people["coordinator"], expectation=e, horizon="x")
    assert (e.horizon, e.importance) == ("short", 3)
    e.refresh_from_db()
    assert (e.horizon, e.importance) == ("short", 3)
    assert not Entry.objects.filter(kind="expectation.updated").exists()


def test_the_write_and_its_ledger_entry_commit_together(design, monkeypatch):
    """Given a ledger that fails, when an expectation is added, then it is not saved."""

    def broken(*args, **kwargs):
        raise RuntimeError("ledger down")

    monkeypatch.setattr(services, "record", broken)
    with pytest.raises(RuntimeError):
        services.add_expectation(
            actor=design.people["coordinator"],
            participation=design.parts["company"],
            topic="reputation",
            horizon="short",
        )
    assert not Expectation.objects.exists()
    finance = capability(design.orgs["company"])
    with pytest.raises(RuntimeError):
        services.update_commitment(
            actor=design.people["coordinator"],
            participation=design.parts["company"],
            contribution="Changed",
            capabilities=[finance],
        )
    participation = design.parts["company"]
    participation.refresh_from_db()
    assert participation.contribution == "Lines"
    assert not participation.capabilities.exists()
