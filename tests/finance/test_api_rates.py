"""The exchange-rate endpoints' messages: a rate is called a rate."""

from __future__ import annotations

import json

import pytest

from sinergi.finance.models import ExchangeRate
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def _set_rate(funded, rate: object):
    return client_for(funded.coordinator).post(
        f"/api/v1/partnerships/{funded.partnership.slug}/finance/rates",
        json.dumps({"currency": "EUR", "date": "2026-01-01", "rate": rate}),
        "application/json",
    )


@pytest.mark.parametrize(
    ("rate", "message"),
    [
        (17500.5, 'Enter the rate as a decimal string, e.g. "15800".'),
        ("1" * 41, "The rate is too large."),
    ],
    ids=["json-float", "too-long"],
)
def test_a_refused_rate_is_called_a_rate_not_an_amount(funded, rate, message):
    """Given a rate sent as a JSON float, or longer than any rate, the 422 on `rate`
    speaks of a rate (it said "Enter the amount …" and "The amount is too large.") and
    no rate is set."""
    before = ExchangeRate.objects.count()

    response = _set_rate(funded, rate)

    assert response.status_code == 422, response.content[:300]
    assert response.json()["error"]["fields"] == {"rate": [message]}
    assert ExchangeRate.objects.count() == before


def test_a_rate_as_a_decimal_string_or_a_whole_number_is_set(funded):
    assert _set_rate(funded, "17500.5").status_code == 201
    response = client_for(funded.coordinator).post(
        f"/api/v1/partnerships/{funded.partnership.slug}/finance/rates",
        json.dumps({"currency": "USD", "date": "2026-01-01", "rate": 16000}),
        "application/json",
    )
    assert response.status_code == 201, response.content[:300]
    assert response.json()["rate"] == "16000"
