"""Who may read and write the finance API, over every finance endpoint of the schema."""

from __future__ import annotations

import re
from typing import Any

import pytest

from sinergi.api import api
from sinergi.finance import services
from sinergi.finance.models import Pledge, Rollup, Transaction
from sinergi.ledger.models import Entry
from tests.finance.test_api_transactions import Api, record

pytestmark = pytest.mark.django_db

SCHEMA = api.get_openapi_schema()
# This module's endpoints (the spreadsheet import of transactions is tested on its own).
FINANCE = [
    (method.upper(), path)
    for path, methods in SCHEMA["paths"].items()
    for method, spec in methods.items()
    if "finance" in spec.get("tags", []) and not path.endswith("/transactions/import")
]
READS = [(m, p) for m, p in FINANCE if m == "GET"]
WRITES = [(m, p) for m, p in FINANCE if m != "GET"]


def test_the_finance_endpoints_are_all_found():
    paths = {path.split("/finance", 1)[1] for _method, path in FINANCE}
    assert {
        "/summary",
        "/transactions",
        "/transactions/{pk}",
        "/transactions/{pk}/reverse",
        "/transactions/{pk}/correct",
        "/transactions/{pk}/decision",
        "/transactions/{pk}/documents",
        "/pledges",
        "/pledges/{pk}",
        "/pledges/{pk}/status",
        "/budget-lines",
        "/budget-lines/{pk}",
        "/rates",
        "/rates/import",
        "/approval-rule",
    } <= paths
    assert len(FINANCE) >= 21


def world(funded) -> dict[str, Any]:
    tx = record(funded)
    promised = services.record_pledge(
        actor=funded.funder_admin,
        partnership=funded.partnership,
        organisation=funded.funder,
        amount="1000",
        currency="USD",
        pledged_on="2026-02-01",
        period_start="2026-02-01",
        period_end="2026-06-30",
    )
    return {"transactions": tx.pk, "pledges": promised.pk, "budget-lines": funded.line.pk}


def fill(path: str, slug: str, ids: dict[str, Any]) -> str:
    path = path.replace("{slug}", slug)
    return re.sub(r"/([\w-]+)/\{pk\}", lambda m: f"/{m.group(1)}/{ids[m.group(1)]}", path)


BODIES: dict[str, dict[str, Any]] = {
    "/transactions": {
        "transaction_type": "4",
        "amount": "5",
        "value_date": "2026-04-01",
        "provider_organisation": 1,
        "receiver_name": "Shop",
    },
    "/reverse": {"reason": "x"},
    "/correct": {"reason": "x", "amount": "3.00"},
    "/decision": {"decision": "approve"},
    "/pledges": {
        "organisation": 1,
        "amount": "1",
        "period_start": "2026-01-01",
        "period_end": "2026-02-01",
    },
    "/status": {"status": "committed"},
    "/budget-lines": {
        "title": "T",
        "amount": "1",
        "period_start": "2026-01-01",
        "period_end": "2026-02-01",
    },
    "/rates": {"currency": "EUR", "date": "2026-01-01", "rate": "1"},
    "/approval-rule": {"threshold": "1"},
}


def body_for(path: str) -> dict[str, Any]:
    for ending, body in BODIES.items():
        if path.endswith(ending):
            return body
    return {"reason": "x"}


def state() -> tuple[int, int, int, int]:
    return (
        Entry.objects.count(),
        Transaction.objects.count(),
        Pledge.objects.count(),
        Rollup.objects.count(),
    )


@pytest.mark.parametrize("who", ["anonymous", "outsider"])
def test_given_a_private_partnership_then_every_endpoint_answers_like_a_missing_one(funded, who):
    """Existence must not leak: same 404 body as a slug that does not exist, nothing
    written, for reads and writes alike."""
    ids = world(funded)
    client = Api(None if who == "anonymous" else funded.outsider)
    before = state()
    for method, path in FINANCE:
        private = client.send(method, fill(path, funded.partnership.slug, ids), body_for(path))
        missing = client.send(method, fill(path, "no-such-partnership", ids), body_for(path))
        assert private.status_code == missing.status_code == 404, (method, path)
        assert private.json() == missing.json()
        assert funded.partnership.title not in private.content.decode()
    assert state() == before


def test_given_a_public_partnership_then_anyone_reads_and_nobody_outside_writes(public_funded):
    funded = public_funded
    ids = world(funded)
    before = state()
    for person in (None, funded.outsider):
        client = Api(person)
        for _method, path in READS:
            response = client.get(fill(path, funded.partnership.slug, ids))
            assert response.status_code == 200, (path, response.content[:200])
        for method, path in WRITES:
            response = client.send(method, fill(path, funded.partnership.slug, ids), body_for(path))
            expected = 401 if person is None else 403
            assert response.status_code == expected, (method, path, response.content[:300])
            assert response.json()["error"]["status"] == expected
    assert state() == before


def test_given_an_observer_then_reads_and_every_write_is_403(funded):
    ids = world(funded)
    client = Api(funded.observer)
    before = state()
    for _method, path in READS:
        assert client.get(fill(path, funded.partnership.slug, ids)).status_code == 200, path
    for method, path in WRITES:
        response = client.send(method, fill(path, funded.partnership.slug, ids), body_for(path))
        assert response.status_code == 403, (method, path, response.content[:300])
    assert state() == before


def test_given_a_session_without_the_csrf_token_then_writes_are_refused(funded):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(funded.coordinator)
    before = state()
    response = client.post(
        f"/api/v1/partnerships/{funded.partnership.slug}/finance/rates",
        {"currency": "EUR", "date": "2026-01-01", "rate": "1"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert state() == before


@pytest.mark.parametrize("value", ["abc", "-1", "0", str(10**30), "1.5"])
def test_given_a_hostile_id_in_a_path_then_404_or_422_never_500(funded, value):
    client = Api(funded.coordinator)
    before = state()
    for method, path in FINANCE:
        if "{pk}" not in path:
            continue
        url = path.replace("{slug}", funded.partnership.slug).replace("{pk}", value)
        response = client.send(method, url, body_for(path) if method != "GET" else None)
        assert response.status_code in (404, 422), (method, url, response.status_code)
    assert state() == before
