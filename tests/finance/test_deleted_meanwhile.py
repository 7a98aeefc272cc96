"""Finance writes under a partnership (or a work package) deleted by another request while
this one was on its way: the write takes the ledger's lock, which a deletion takes too,
finds the partnership gone and answers Http404 (a work package gone: a field error),
rather than a foreign-key error at the commit (a 500) or a row under nothing.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from sinergi.finance import services
from sinergi.finance.models import BudgetLine, ExchangeRate
from sinergi.partnerships import services as partnerships
from sinergi.partnerships.models import Partnership, WorkPackage
from sinergi.partnerships.raci import services as raci
from tests.partnerships.test_deleted_meanwhile import coordinated, fresh, meanwhile

pytestmark = pytest.mark.django_db


def _deleted(partnership: Partnership, coordinator: object):
    return lambda: partnerships.delete_partnership(
        actor=coordinator, partnership=fresh(partnership)
    )


def test_a_budget_line_for_a_partnership_deleted_meanwhile_is_404_and_stores_nothing():
    partnership, _organisation, coordinator = coordinated()

    with (
        meanwhile(_deleted(partnership, coordinator), services, "_require"),
        pytest.raises(Http404),
    ):
        services.create_budget_line(
            actor=coordinator,
            partnership=partnership,
            title="Cold-chain equipment",
            amount=Decimal("1000"),
            period_start=date(2026, 1, 1),
            period_end=date(2026, 12, 31),
        )

    assert not Partnership.objects.filter(pk=partnership.pk).exists()
    assert not BudgetLine.objects.exists()


def test_a_budget_line_for_a_work_package_deleted_meanwhile_is_refused_on_its_field():
    partnership, _organisation, coordinator = coordinated()
    package = raci.create_work_package(
        actor=coordinator, partnership=partnership, code="WP1", title="Cold chain"
    )

    def delete_package() -> None:
        raci.delete_work_package(actor=coordinator, work_package=fresh(package))

    with meanwhile(delete_package, services, "_require"), pytest.raises(ValidationError) as refused:
        services.create_budget_line(
            actor=coordinator,
            partnership=partnership,
            title="Cold-chain equipment",
            amount=Decimal("1000"),
            period_start=date(2026, 1, 1),
            period_end=date(2026, 12, 31),
            work_package=package,
        )

    assert "work_package" in refused.value.message_dict
    assert not WorkPackage.objects.filter(pk=package.pk).exists()
    assert not BudgetLine.objects.exists()


def test_a_rate_for_a_partnership_deleted_meanwhile_is_404():
    partnership, _organisation, coordinator = coordinated()

    with (
        meanwhile(_deleted(partnership, coordinator), services, "_require"),
        pytest.raises(Http404),
    ):
        services.set_rate(
            actor=coordinator,
            partnership=partnership,
            currency="USD",
            date=date(2026, 1, 1),
            rate=Decimal("15800"),
        )
    assert not ExchangeRate.objects.exists()
