"""Faults in finance writes answer with a clear status and save nothing: a database still
busy with another write after the busy timeout (503 with Retry-After), and an unexpected
error in the API (500 in the JSON error envelope, not Django's HTML page)."""

from __future__ import annotations

from django.db import OperationalError
from django.test import Client

from sinergi.access.services import create_api_token
from sinergi.finance import services as finance_services
from sinergi.finance.models import Transaction
from tests.conftest import client_for


def _busy(**kwargs):
    raise OperationalError("database is locked")


def _api_record(funded):
    """The NGO's admin records an expenditure through the API, errors as responses."""
    _token, secret = create_api_token(actor=funded.ngo_admin, name="faults")
    api = Client(raise_request_exception=False, headers={"Authorization": f"Bearer {secret}"})
    return api.post(
        f"/api/v1/partnerships/{funded.partnership.slug}/finance/transactions",
        {"transaction_type": "4", "amount": "1000", "currency": "IDR",
         "value_date": "2026-03-01", "provider_organisation": funded.ngo.pk,
         "receiver_name": "Toko"},
        content_type="application/json",
    )  # fmt: skip


def test_a_busy_database_is_a_503_with_retry_after_on_pages_and_in_the_api(funded, monkeypatch):
    """Given SQLite stays locked by another writer (a large import) past the busy timeout,
    then a page post answers 503 with Retry-After in the reader's language, and the API
    answers 503 in its error envelope; nothing was saved."""
    monkeypatch.setattr(finance_services, "record_transaction", _busy)
    before = Transaction.objects.count()
    slug = funded.partnership.slug
    page = client_for(funded.ngo_admin)
    page.raise_request_exception = False
    response = page.post(
        f"/id/partnerships/{slug}/finance/transactions/new/",
        {"transaction_type": "4", "kind": "cash", "amount": "1000", "currency": "IDR",
         "value_date": "2026-03-01", "provider_organisation": funded.ngo.pk,
         "receiver_name": "Toko"},
    )  # fmt: skip
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assert "Tidak ada yang disimpan" in response.text

    response = _api_record(funded)
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assert response.json()["error"]["code"] == "busy"
    assert Transaction.objects.count() == before


def test_an_unexpected_api_error_is_a_500_in_the_json_envelope(funded, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(finance_services, "record_transaction", broken)
    response = _api_record(funded)
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == "server_error"


def test_a_partnership_deleted_while_a_transaction_waited_is_not_found(funded):
    """Given a request holding a partnership that was deleted while it waited for the
    ledger's lock (deleting takes the same lock), then recording in it is a 404 — not a
    500 from the foreign key — and nothing is written."""
    from datetime import date

    import pytest
    from django.http import Http404

    from tests.factories import ParticipationFactory, PartnershipFactory

    plans_only = PartnershipFactory(base_currency="IDR")
    ParticipationFactory(partnership=plans_only, organisation=funded.ngo)
    stale = type(plans_only).objects.get(pk=plans_only.pk)
    plans_only.delete()
    with pytest.raises(Http404):
        finance_services.record_transaction(
            actor=funded.coordinator, partnership=stale, transaction_type="4", amount="1000",
            currency="IDR", value_date=date(2026, 3, 1), provider_organisation=funded.ngo,
            receiver_name="Toko",
        )  # fmt: skip
    assert not Transaction.objects.filter(partnership_id=stale.pk).exists()
