"""The transactions list and the summary are encoded once per partnership version and
reused: the same JSON as ninja's own rendering of the same schema, and never stale."""

from __future__ import annotations

from datetime import date

import pytest

from sinergi.finance.api import TransactionOut, TransactionPage
from tests.finance.test_api_transactions import Api, ok, record

pytestmark = pytest.mark.django_db


def test_listed_items_equal_the_same_transactions_read_one_by_one(funded):
    record(funded, value_date=date(2026, 3, 1))
    record(funded, value_date=date(2026, 5, 1), amount="500.00", currency="IDR")
    record(
        funded,
        actor=funded.funder_admin,
        transaction_type="4",
        amount="1234.5",
        value_date=date(2026, 6, 2),
    )
    api = Api(funded.observer)
    page = ok(api.get(api.url(funded, "/transactions")))
    assert page["count"] == 3
    fields = TransactionOut.model_fields.keys()
    for item in page["items"]:
        detail = ok(api.get(api.url(funded, f"/transactions/{item['id']}")))
        # The detail is rendered by ninja for each request; the list from the kept bytes.
        assert item == {name: detail[name] for name in fields}
    assert set(TransactionPage.model_fields) == {"items", "count"}


def test_a_repeat_read_is_the_same_bytes_and_a_write_shows_at_once(funded):
    record(funded, value_date=date(2026, 3, 1))
    api = Api(funded.observer)
    url = api.url(funded, "/transactions")
    first = api.get(url, {"limit": 5})
    assert first["Content-Type"] == "application/json; charset=utf-8"
    assert api.get(url, {"limit": 5}).content == first.content
    summary = ok(api.get(api.url(funded, "/summary")))
    added = record(funded, value_date=date(2026, 7, 1), amount="250.00")
    again = ok(api.get(url, {"limit": 5}))
    assert again["count"] == 2 and again["items"][0]["id"] == added.pk
    assert ok(api.get(api.url(funded, "/summary")))["received"] != summary["received"]


def test_pages_and_filters_are_kept_apart(funded):
    for month in range(1, 5):
        record(funded, value_date=date(2026, month, 1))
    api = Api(funded.observer)
    url = api.url(funded, "/transactions")
    one = ok(api.get(url, {"limit": 2}))
    two = ok(api.get(url, {"limit": 2, "offset": 2}))
    assert {i["id"] for i in one["items"]}.isdisjoint(i["id"] for i in two["items"])
    assert ok(api.get(url, {"type": "4"}))["count"] == 0
    assert ok(api.get(url))["count"] == 4


@pytest.mark.parametrize("params", [{"limit": 0}, {"offset": -1}, {"limit": "many"}])
def test_bad_page_parameters_are_422(funded, params):
    api = Api(funded.observer)
    response = api.get(api.url(funded, "/transactions"), params)
    assert response.status_code == 422
    assert response.json()["error"]["fields"]


def test_a_huge_page_is_answered_but_not_kept(funded):
    from django.core.cache import caches

    from sinergi.finance.api import KEEP_PAGE_LIMIT

    record(funded, value_date=date(2026, 3, 1))
    api = Api(funded.observer)
    url = api.url(funded, "/transactions")
    shared = caches["pages"]
    before = len(shared._list_cache_files())
    assert ok(api.get(url, {"limit": KEEP_PAGE_LIMIT + 1}))["count"] == 1
    assert len(shared._list_cache_files()) == before + 1  # the count only, not the page
    assert ok(api.get(url, {"limit": KEEP_PAGE_LIMIT}))["count"] == 1
    assert len(shared._list_cache_files()) == before + 2
