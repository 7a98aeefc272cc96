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


IMPORT_TAKES_CSV = (
    "The rates import takes a CSV file, not JSON: send it as the request body with "
    "Content-Type: text/csv, or as a multipart upload in the field “file”."
)


@pytest.mark.parametrize(
    "body",
    [
        {"currency": "EUR", "date": "2026-01-01", "rate": "17500"},
        [{"currency": "EUR", "date": "2026-01-01", "rate": "17500"}],
    ],
    ids=["object", "list"],
)
def test_a_rates_import_sent_as_json_is_told_it_takes_a_csv_file(funded, body):
    """Given rates sent to the import as JSON, the 422 on `file` says the import takes a
    CSV file and how to send it (it said "The file needs the columns currency, date,
    rate."), and no rate is set."""
    before = ExchangeRate.objects.count()

    response = client_for(funded.coordinator).post(
        f"/api/v1/partnerships/{funded.partnership.slug}/finance/rates/import",
        json.dumps(body),
        "application/json",
    )

    assert response.status_code == 422, response.content[:300]
    assert response.json()["error"]["fields"] == {"file": [IMPORT_TAKES_CSV]}
    assert ExchangeRate.objects.count() == before


def test_a_rates_import_sent_as_csv_is_imported(funded):
    response = client_for(funded.coordinator).post(
        f"/api/v1/partnerships/{funded.partnership.slug}/finance/rates/import",
        "currency,date,rate\nEUR,2026-01-01,17500\n",
        "text/csv",
    )

    assert response.status_code == 201, response.content[:300]
    assert response.json()["imported"] == 1


def test_the_rate_and_import_messages_are_in_indonesian_when_asked(funded):
    """With Accept-Language: id, the rate's and the import's messages are Indonesian."""
    client = client_for(funded.coordinator)
    base = f"/api/v1/partnerships/{funded.partnership.slug}/finance"
    body = json.dumps({"currency": "EUR", "date": "2026-01-01", "rate": 17500.5})

    rate = client.post(f"{base}/rates", body, "application/json", HTTP_ACCEPT_LANGUAGE="id")
    imported = client.post(
        f"{base}/rates/import", body, "application/json", HTTP_ACCEPT_LANGUAGE="id"
    )

    assert rate.json()["error"]["fields"]["rate"] == [
        'Masukkan kurs sebagai string desimal, misalnya "15800".'
    ]
    assert imported.json()["error"]["fields"]["file"][0].startswith(
        "Impor kurs menerima berkas CSV, bukan JSON"
    )
