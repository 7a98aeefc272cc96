"""Deleting a partnership: plans go with it, history stops it.

A partnership that holds only plans (partners, members, goals, work packages, a results
framework with targets, a budget, an agreement nobody has signed) is deleted whole, even
where those plans stand on one another. Once it holds records (a recorded transaction, a
pledge, a reported value, a signature) it is history: the API answers 409 with the
records named, the page says so inline, and nothing is deleted or logged.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.apps import apps
from django.test import Client

from sinergi.access.services import create_api_token
from sinergi.finance import services as finance_services
from sinergi.ledger.models import Entry, Head
from sinergi.partnerships.agreements import services as agreement_services
from sinergi.partnerships.goals import services as goal_services
from sinergi.partnerships.models import Partnership
from sinergi.partnerships.raci import services as raci_services
from sinergi.results import services as result_services
from tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    ParticipationFactory,
    PartnershipFactory,
    PersonFactory,
)

pytestmark = pytest.mark.django_db


class Plans:
    """A partnership with plans only, its coordinator and an API header for them."""

    def __init__(self) -> None:
        self.organisation = OrganisationFactory(name="Lembaga Air Bersih", org_type="22")
        self.partnership = PartnershipFactory(
            title="Clean water Flores",
            visibility="private",
            base_currency="IDR",
            start_date=date(2025, 1, 1),
        )
        ParticipationFactory(partnership=self.partnership, organisation=self.organisation, role="4")
        self.coordinator = PersonFactory(organisation=self.organisation)
        MembershipFactory(partnership=self.partnership, person=self.coordinator, role="coordinator")
        _token, secret = create_api_token(actor=self.coordinator, name="delete")
        self.header = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
        actor, partnership = self.coordinator, self.partnership

        goal = goal_services.create_goal(
            actor=actor, partnership=partnership, title="Safe water", sdg_targets=["6.1"]
        )
        package = raci_services.create_work_package(
            actor=actor, partnership=partnership, code="WP1", title="Wells", goal=goal
        )
        self.line = finance_services.create_budget_line(
            actor=actor,
            partnership=partnership,
            title="Drilling",
            amount="250000000",
            period_start=date(2026, 1, 1),
            period_end=date(2026, 12, 31),
            work_package=package,
        )
        outcome = result_services.create_result(
            actor=actor, partnership=partnership, type="2", title="More households served"
        )
        result_services.create_result(
            actor=actor, partnership=partnership, type="1", title="Wells built", parent=outcome
        )
        self.indicator = result_services.create_indicator(
            actor=actor,
            partnership=partnership,
            result=outcome,
            code="1.1",
            title="Households with safe water",
            measure="1",
            unit="households",
            frequency="quarterly",
            accumulation="level",
            responsible=self.organisation,
        )
        result_services.set_targets(
            actor=actor, indicator=self.indicator, targets={"2025-Q1": "100"}
        )
        self.agreement = agreement_services.create_draft(
            actor=actor,
            partnership=partnership,
            text="We share the work.",
            decision_rule="consensus",
            meeting_cadence="quarterly",
        )
        agreement_services.open_for_signature(actor=actor, version=self.agreement)


def record_transaction(plans: Plans) -> None:
    finance_services.record_transaction(
        actor=plans.coordinator,
        partnership=plans.partnership,
        transaction_type="4",
        currency="IDR",
        value_date=date(2026, 3, 1),
        amount="1500000",
        description="Drill bits",
        provider_organisation=plans.organisation,
        receiver_name="Toko Bor",
        budget_line=plans.line,
    )


def record_pledge(plans: Plans) -> None:
    finance_services.record_pledge(
        actor=plans.coordinator,
        partnership=plans.partnership,
        organisation=plans.organisation,
        amount="1000.00",
        currency="IDR",
        pledged_on=date(2026, 2, 1),
        period_start=date(2026, 2, 1),
        period_end=date(2026, 6, 30),
    )


def report_value(plans: Plans) -> None:
    period = result_services.find_period(plans.partnership, "quarterly", "2025-Q1")
    result_services.save_draft(
        actor=plans.coordinator, indicator=plans.indicator, period=period, value="40"
    )


def sign_agreement(plans: Plans) -> None:
    agreement_services.sign(
        actor=plans.coordinator, version=plans.agreement, organisation=plans.organisation
    )


HISTORY: dict[str, tuple[Callable[[Plans], None], str, str]] = {
    "a recorded transaction": (record_transaction, "transactions", "transaksi"),
    "a pledge": (record_pledge, "pledges", "janji kontribusi"),
    "a reported value": (report_value, "submissions", "pengajuan"),
    "a signature": (sign_agreement, "agreement signatures", "tanda tangan perjanjian"),
}


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model.__module__.startswith("sinergi.")
    }


def test_a_partnership_with_plans_only_is_deleted_whole() -> None:
    """Given plans that stand on one another (an indicator on a result, a child result,
    a budget line on a work package), when the coordinator deletes the partnership over
    the API, then it answers 204, no row of the partnership is left, and the deletion is
    on the ledger."""
    plans = Plans()
    before = row_counts()

    response = Client().delete(f"/api/v1/partnerships/{plans.partnership.slug}", **plans.header)

    assert response.status_code == 204, response.content[:500]
    assert not Partnership.objects.filter(pk=plans.partnership.pk).exists()
    after = row_counts()
    for label in (
        "results.Indicator",
        "results.Target",
        "results.Result",
        "finance.BudgetLine",
        "partnerships.WorkPackage",
        "partnerships.Goal",
        "partnerships.AgreementVersion",
        "partnerships.Participation",
        "partnerships.Membership",
    ):
        assert before[label] > 0, label
        assert after[label] == 0, label
    last = json.loads(bytes(Entry.objects.order_by("-index").first().body))
    assert last["kind"] == "partnership.deleted"
    assert last["payload"]["slug"] == plans.partnership.slug


@pytest.mark.parametrize("make, plural, _plural_id", HISTORY.values(), ids=HISTORY.keys())
def test_a_partnership_with_history_is_refused_over_the_api_and_nothing_changes(
    make: Callable[[Plans], None], plural: str, _plural_id: str
) -> None:
    """Given a partnership that holds a record, when the coordinator deletes it over the
    API, then the answer is 409 naming the record, and no row and no ledger entry is
    added or removed."""
    plans = Plans()
    make(plans)
    before, size = row_counts(), Head.objects.get(pk=1).size

    response = Client().delete(f"/api/v1/partnerships/{plans.partnership.slug}", **plans.header)

    assert response.status_code == 409, response.content[:500]
    error = response.json()["error"]
    assert error["status"] == 409
    assert error["code"] == "conflict"
    assert plural in error["message"]
    assert "Closed or Cancelled" in error["message"]
    assert row_counts() == before
    assert Head.objects.get(pk=1).size == size


@pytest.mark.parametrize("make, plural, plural_id", HISTORY.values(), ids=HISTORY.keys())
@pytest.mark.parametrize("language", ["en", "id"])
def test_the_delete_page_says_inline_why_a_partnership_with_history_stays(
    make: Callable[[Plans], None], plural: str, plural_id: str, language: str
) -> None:
    """Given a partnership that holds a record, when the coordinator confirms its
    deletion on the page, then the page answers 409 with the reason inline, in the
    reader's language, and the partnership is still there."""
    plans = Plans()
    make(plans)
    client = Client()
    client.force_login(plans.coordinator)
    url = f"/{language}/partnerships/{plans.partnership.slug}/delete/"

    response = client.post(url)

    assert response.status_code == 409
    page = response.content.decode()
    expected: dict[str, Any] = {
        "en": ("cannot be deleted", plural),
        "id": ("tidak dapat dihapus", plural_id),
    }
    for text in expected[language]:
        assert text in page
    assert 'role="alert"' in page
    assert Partnership.objects.filter(pk=plans.partnership.pk).exists()


def test_the_delete_page_deletes_a_partnership_with_plans_only() -> None:
    """Given plans only, when the coordinator confirms on the page, then the partnership
    is gone and the list says so."""
    plans = Plans()
    client = Client()
    client.force_login(plans.coordinator)

    response = client.post(f"/en/partnerships/{plans.partnership.slug}/delete/", follow=True)

    assert response.status_code == 200
    assert "The partnership was deleted." in response.content.decode()
    assert not Partnership.objects.filter(pk=plans.partnership.pk).exists()
