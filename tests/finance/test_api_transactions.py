"""The finance API's transactions: /api/v1/partnerships/{slug}/finance/transactions…"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from sinergi.access.services import create_api_token
from sinergi.finance import services
from sinergi.finance.models import Rollup, Transaction
from sinergi.ledger.models import Entry
from sinergi.partners.models import Person
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


class Api:
    """A JSON client for the finance API, signed in with a token (or anonymous)."""

    def __init__(self, person: Person | None = None) -> None:
        self.client = Client(raise_request_exception=False)
        self.headers: dict[str, str] = {}
        if person is not None:
            _token, secret = create_api_token(actor=person, name="tests")
            self.headers["HTTP_AUTHORIZATION"] = f"Bearer {secret}"

    def url(self, funded: Any, rest: str) -> str:
        return f"/api/v1/partnerships/{funded.partnership.slug}/finance{rest}"

    def get(self, url: str, params: dict[str, Any] | None = None):
        return self.client.get(url, params or {}, **self.headers)

    def send(self, method: str, url: str, data: Any = None):
        return self.client.generic(
            method,
            url,
            b"" if data is None else _json(data),
            content_type="application/json",
            **self.headers,
        )

    def post(self, url: str, data: Any):
        return self.send("POST", url, data)

    def upload(self, url: str, files: dict[str, Any]):
        return self.client.post(url, files, **self.headers)


def _json(data: Any) -> bytes:
    import json

    return json.dumps(data).encode()


def ok(response, status: int = 200) -> Any:
    assert response.status_code == status, response.content[:1000]
    return response.json()


def error(response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content[:1000]
    body = response.json()["error"]
    assert body["status"] == status
    return body


def fields_of(response) -> dict[str, list[str]]:
    return error(response, 422)["fields"]


def incoming_body(funded, **changes) -> dict[str, Any]:
    body = {
        "transaction_type": "1",
        "amount": "10000.00",
        "currency": "USD",
        "value_date": "2026-03-15",
        "provider_organisation": funded.funder.pk,
        "receiver_organisation": funded.ngo.pk,
        "budget_line": funded.line.pk,
        "description": "First tranche",
    }
    body.update(changes)
    return body


def expenditure_body(funded, **changes) -> dict[str, Any]:
    body = {
        "transaction_type": "4",
        "amount": "50000000",
        "currency": "IDR",
        "value_date": "2026-04-02",
        "provider_organisation": funded.ngo.pk,
        "receiver_name": "PT Dingin Sejahtera",
        "budget_line": funded.line.pk,
    }
    body.update(changes)
    return body


def record(funded, actor=None, **changes) -> Transaction:
    fields = {
        "transaction_type": "1",
        "amount": "10000.00",
        "currency": "USD",
        "value_date": date(2026, 3, 15),
        "provider_organisation": funded.funder,
        "receiver_organisation": funded.ngo,
        "budget_line": funded.line,
    }
    fields.update(changes)
    return services.record_transaction(
        actor=actor or funded.ngo_admin, partnership=funded.partnership, **fields
    )


def rule_two_of_three(funded) -> None:
    services.set_approval_rule(
        actor=funded.coordinator,
        partnership=funded.partnership,
        threshold="10000000",
        required=2,
        approver_organisations=[funded.funder, funded.company, funded.ngo],
    )


def counts() -> tuple[int, int]:
    return Entry.objects.count(), Transaction.objects.count()


# ---------------------------------------------------------------- recording


def test_given_a_partner_admin_when_posting_usd_funds_then_201_with_money_as_strings(funded):
    api = Api(funded.ngo_admin)

    body = ok(api.post(api.url(funded, "/transactions"), incoming_body(funded)), 201)

    assert body["amount"] == "10000.00" and body["currency"] == "USD"
    assert body["rate"] == "15800" and body["rate_date"] == "2026-01-01"
    assert body["base_amount"] == "158000000" and body["base_currency"] == "IDR"
    assert body["provider"] == {
        "organisation": {"id": funded.funder.pk, "name": "Yayasan Dana Sehat"},
        "name": "Yayasan Dana Sehat",
        "activity_id": "",
    }
    assert body["receiver"]["organisation"]["id"] == funded.ngo.pk
    assert body["organisation"] == {"id": funded.ngo.pk, "name": "Lembaga Vaksin Nusantara"}
    assert body["budget_line"] == {"id": funded.line.pk, "title": "Cold-chain equipment"}
    assert body["transaction_type"] == "1" and body["transaction_type_name"] == "Incoming funds"
    assert body["status"] == "recorded" and body["counts"] is True
    assert body["reversed_by"] is None and body["reverses"] is None
    tx = Transaction.objects.get(pk=body["id"])
    assert body["ledger_index"] == tx.ledger_index
    assert Entry.objects.get(index=tx.ledger_index).kind == "finance.transaction.recorded"


def test_given_an_outside_receiver_by_name_then_recorded_with_its_name(funded):
    api = Api(funded.ngo_admin)
    body = ok(api.post(api.url(funded, "/transactions"), expenditure_body(funded)), 201)
    assert body["receiver"] == {
        "organisation": None,
        "name": "PT Dingin Sejahtera",
        "activity_id": "",
    }
    assert body["amount"] == "50000000" and body["rate"] == "1" and body["rate_date"] is None


def test_given_a_whole_number_amount_then_accepted(funded):
    api = Api(funded.ngo_admin)
    body = ok(api.post(api.url(funded, "/transactions"), expenditure_body(funded, amount=7)), 201)
    assert body["amount"] == "7"


@pytest.mark.parametrize("amount", [1.1, 10000.0, 1e3, True])
def test_given_a_json_float_amount_then_422_on_amount_and_nothing_written(funded, amount):
    api = Api(funded.ngo_admin)
    before = counts()

    response = api.post(api.url(funded, "/transactions"), incoming_body(funded, amount=amount))

    assert "amount" in fields_of(response)
    assert counts() == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "-5"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"amount": "NaN"}, "amount"),
        ({"amount": "1" * 40}, "amount"),
        ({"amount": "1e30"}, "amount"),
        ({"amount": 10**30}, "amount"),
        ({"amount": "10.001"}, "amount"),
        ({"amount": "a\x00b"}, "amount"),
        ({"currency": "XYZ"}, "currency"),
        ({"currency": "US\x00"}, "currency"),
        ({"value_date": "2025-12-31"}, "currency"),  # no USD rate that early
        ({"value_date": "2026-02-30"}, "value_date"),
        ({"value_date": "0001-01-01"}, "value_date"),
        ({"value_date": 1767225600}, "value_date"),
        ({"transaction_type": "99"}, "transaction_type"),
        ({"kind": "gold"}, "kind"),
        ({"provider_organisation": "__ngo__"}, "receiver_organisation"),
        ({"provider_organisation": 10**30}, "provider_organisation"),
        ({"provider_organisation": 0}, "provider_organisation"),
        ({"provider_organisation": 987654321}, "provider_organisation"),
        ({"receiver_organisation": "__outside__"}, "receiver_organisation"),
        ({"budget_line": 987654321}, "budget_line"),
        ({"budget_line": "__other_line__"}, "budget_line"),
        ({"pledge": 987654321}, "pledge"),
        ({"pledge": True}, "pledge"),  # not read as pledge 1
        ({"budget_line": True}, "budget_line"),
        ({"receiver_organisation": True}, "receiver_organisation"),
        ({"description": "d" * 501}, "description"),
        ({"description": "a\x00b"}, "description"),
    ],
)
def test_given_bad_input_then_422_names_the_field_and_nothing_is_written(funded, changes, field):
    from tests.finance.conftest import build_funded

    replace = {
        "__ngo__": funded.ngo.pk,
        "__outside__": OrganisationFactory().pk,
        "__other_line__": build_funded().line.pk,
    }
    changes = {k: replace.get(v, v) if isinstance(v, str) else v for k, v in changes.items()}
    api = Api(funded.ngo_admin)
    before = counts()

    response = api.post(api.url(funded, "/transactions"), incoming_body(funded, **changes))

    assert field in fields_of(response), response.json()
    assert counts() == before
    assert not Rollup.objects.filter(partnership=funded.partnership).exists()


def test_given_malformed_json_or_a_list_then_400(funded):
    api = Api(funded.ngo_admin)
    url = api.url(funded, "/transactions")
    for raw in (b'{"amount": "1', b"[]", b'{"amount": NaN}'):
        response = api.client.generic(
            "POST", url, raw, content_type="application/json", **api.headers
        )
        assert response.status_code in (400, 422)
        assert response.status_code != 500
    assert Transaction.objects.count() == 0


def test_given_a_partner_admin_recording_for_another_partner_then_403(funded):
    api = Api(funded.funder_admin)
    before = counts()
    response = api.post(api.url(funded, "/transactions"), expenditure_body(funded))
    error(response, 403)
    assert counts() == before


def test_given_an_observer_then_403_even_with_a_bad_body(funded):
    api = Api(funded.observer)
    before = counts()
    error(api.post(api.url(funded, "/transactions"), expenditure_body(funded)), 403)
    error(api.post(api.url(funded, "/transactions"), expenditure_body(funded, amount="x")), 403)
    assert counts() == before


def test_given_an_expenditure_above_the_threshold_then_it_waits_for_approval(funded):
    rule_two_of_three(funded)
    api = Api(funded.ngo_admin)
    body = ok(api.post(api.url(funded, "/transactions"), expenditure_body(funded)), 201)
    assert body["status"] == "pending" and body["counts"] is False
    assert body["status_name"] == "Awaiting approval"


# ---------------------------------------------------------------- listing


def test_given_transactions_when_listed_then_paginated_newest_first(funded):
    first = record(funded, value_date=date(2026, 3, 1))
    second = record(funded, value_date=date(2026, 5, 1), amount="500.00")
    api = Api(funded.observer)

    page = ok(api.get(api.url(funded, "/transactions"), {"limit": 1}))

    assert page["count"] == 2
    assert [item["id"] for item in page["items"]] == [second.pk]
    rest = ok(api.get(api.url(funded, "/transactions"), {"limit": 1, "offset": 1}))
    assert [item["id"] for item in rest["items"]] == [first.pk]
    assert rest["items"][0]["amount"] == "10000.00"


def test_given_filters_then_the_list_is_narrowed(funded):
    usd = record(funded, value_date=date(2026, 3, 1))
    spent = record(
        funded,
        transaction_type="4",
        amount="1000000",
        currency="IDR",
        value_date=date(2026, 6, 1),
        provider_organisation=funded.ngo,
        receiver_organisation=None,
        receiver_name="Toko Es",
        budget_line=None,
    )
    api = Api(funded.observer)
    url = api.url(funded, "/transactions")

    def ids(**params):
        return [item["id"] for item in ok(api.get(url, params))["items"]]

    assert ids(type="4") == [spent.pk]
    assert ids(type="1") == [usd.pk]
    assert ids(status="recorded") == [spent.pk, usd.pk]
    assert ids(status="pending") == []
    assert ids(organisation=funded.funder.pk) == [usd.pk]
    assert ids(budget_line=funded.line.pk) == [usd.pk]
    assert ids(budget_line=0) == [spent.pk]
    assert ids(date_from="2026-04-01") == [spent.pk]
    assert ids(date_to="2026-04-01") == [usd.pk]
    for params, field in (
        ({"type": "9"}, "type"),
        ({"status": "lost"}, "status"),
        ({"date_from": "yesterday"}, "date_from"),
        ({"date_from": "0"}, "date_from"),  # not a Unix timestamp (1970-01-01)
        ({"date_to": "1767225600"}, "date_to"),
        ({"date_to": "2026-04-01T00:00:00"}, "date_to"),
        ({"organisation": "abc"}, "organisation"),
        ({"organisation": str(10**30)}, "organisation"),
        ({"limit": "0"}, "limit"),
        ({"type": "\x00"}, "type"),
    ):
        assert field in fields_of(api.get(url, params)), params


def test_given_200_transactions_when_listed_then_the_query_count_is_bounded(
    funded, django_assert_max_num_queries
):
    rows = [
        {
            "transaction_type": "1",
            "amount": f"{n + 1}.00",
            "currency": "USD",
            "value_date": date(2026, 1 + n % 11, 1 + n % 28),
            "provider_organisation": funded.funder.pk,
            "receiver_organisation": funded.ngo.pk,
            "budget_line": funded.line.pk,
        }
        for n in range(200)
    ]
    services.record_transactions(
        actor=funded.coordinator, partnership=funded.partnership, rows=rows
    )
    api = Api(funded.observer)
    url = api.url(funded, "/transactions")
    api.get(url)  # the token's first use is recorded once

    with django_assert_max_num_queries(6):
        page = ok(api.get(url, {"limit": 200}))

    assert page["count"] == 200 and len(page["items"]) == 200


# ---------------------------------------------------------------- reading one


def test_given_a_corrected_transaction_when_read_then_the_chain_is_shown(funded):
    original = record(funded)
    reversal, replacement = services.correct_transaction(
        actor=funded.ngo_admin, transaction=original, reason="Typo", amount="12000.00"
    )
    api = Api(funded.observer)

    body = ok(api.get(api.url(funded, f"/transactions/{original.pk}")))

    assert body["reversed_by"] == reversal.pk
    assert [(link["id"], link["role"]) for link in body["chain"]] == [
        (original.pk, "original"),
        (reversal.pk, "reversal"),
        (replacement.pk, "replacement"),
    ]
    assert body["chain"][1]["amount"] == "-10000.00"
    assert body["chain"][2]["amount"] == "12000.00"
    assert body["recorded_by"]["id"] == funded.ngo_admin.pk
    again = ok(api.get(api.url(funded, f"/transactions/{replacement.pk}")))
    assert again["corrects"] == original.pk and again["reason"] == "Typo"
    assert [link["id"] for link in again["chain"]] == [original.pk, reversal.pk, replacement.pk]


def test_given_an_unknown_or_foreign_transaction_then_404(funded):
    from tests.finance.conftest import build_funded

    other = build_funded()
    foreign = record(other, actor=other.ngo_admin)
    api = Api(funded.coordinator)
    for pk in (987654321, foreign.pk, 10**30, 0):
        error(api.get(api.url(funded, f"/transactions/{pk}")), 404)
    assert error(api.get(api.url(funded, "/transactions/abc")), 422)


# ---------------------------------------------------------------- reversing and correcting


def test_given_a_reason_when_reversing_then_201_with_the_reversal(funded):
    tx = record(funded)
    api = Api(funded.ngo_admin)

    body = ok(api.post(api.url(funded, f"/transactions/{tx.pk}/reverse"), {"reason": "Twice"}), 201)

    assert body["reverses"] == tx.pk and body["amount"] == "-10000.00"
    assert body["base_amount"] == "-158000000"
    assert Entry.objects.get(index=body["ledger_index"]).kind == "finance.transaction.reversed"
    before = counts()
    again = api.post(api.url(funded, f"/transactions/{tx.pk}/reverse"), {"reason": "Again"})
    assert error(again, 409)["fields"] == {
        "transaction": ["This transaction has already been reversed."]
    }
    assert counts() == before


def test_given_no_reason_then_422_and_nothing_written(funded):
    tx = record(funded)
    api = Api(funded.ngo_admin)
    before = counts()
    for body in ({}, {"reason": ""}, {"reason": "   "}, {"reason": "r" * 501}):
        assert "reason" in fields_of(
            api.post(api.url(funded, f"/transactions/{tx.pk}/reverse"), body)
        )
    assert counts() == before


def test_given_someone_else_when_reversing_then_403(funded):
    tx = record(funded)
    before = counts()
    for person in (funded.funder_admin, funded.observer):
        api = Api(person)
        error(api.post(api.url(funded, f"/transactions/{tx.pk}/reverse"), {"reason": "No"}), 403)
    assert counts() == before


def test_given_changed_fields_when_correcting_then_reversal_and_replacement(funded):
    tx = record(funded)
    api = Api(funded.ngo_admin)

    body = ok(
        api.post(
            api.url(funded, f"/transactions/{tx.pk}/correct"),
            {"reason": "Wrong amount", "amount": "12000.00", "description": ""},
        ),
        201,
    )

    assert body["reversal"]["reverses"] == tx.pk
    replacement = body["replacement"]
    assert replacement["corrects"] == tx.pk and replacement["amount"] == "12000.00"
    assert replacement["base_amount"] == "189600000"
    assert replacement["provider"]["organisation"]["id"] == funded.funder.pk
    rollup = Rollup.objects.get(partnership=funded.partnership, transaction_type="1")
    assert rollup.amount == Decimal("189600000")


def test_given_a_bad_correction_then_422_and_nothing_written(funded):
    tx = record(funded)
    api = Api(funded.ngo_admin)
    url = api.url(funded, f"/transactions/{tx.pk}/correct")
    before = counts()
    assert "amount" in fields_of(api.post(url, {"reason": "x", "amount": 1.5}))
    assert "amount" in fields_of(api.post(url, {"reason": "x", "amount": "-3"}))
    assert "reason" in fields_of(api.post(url, {"amount": "3.00"}))
    assert "provider_organisation" in fields_of(
        api.post(url, {"reason": "x", "provider_organisation": 987654321})
    )
    assert counts() == before


def test_given_an_approved_expenditure_when_correcting_then_409_locked(funded):
    rule_two_of_three(funded)
    tx = services.record_transaction(
        actor=funded.ngo_admin,
        partnership=funded.partnership,
        transaction_type="4",
        amount="50000000",
        currency="IDR",
        value_date=date(2026, 4, 2),
        provider_organisation=funded.ngo,
        receiver_name="PT Dingin Sejahtera",
    )
    services.decide(actor=funded.funder_admin, transaction=tx, decision="approve")
    services.decide(actor=funded.company_admin, transaction=tx, decision="approve")
    api = Api(funded.ngo_admin)
    before = counts()
    response = api.post(
        api.url(funded, f"/transactions/{tx.pk}/correct"), {"reason": "x", "amount": "1"}
    )
    assert error(response, 409)["fields"] == {"transaction": ["An approved expenditure is locked."]}
    assert counts() == before


# ---------------------------------------------------------------- approvals


def pending(funded) -> Transaction:
    rule_two_of_three(funded)
    return services.record_transaction(
        actor=funded.ngo_admin,
        partnership=funded.partnership,
        transaction_type="4",
        amount="50000000",
        currency="IDR",
        value_date=date(2026, 4, 2),
        provider_organisation=funded.ngo,
        receiver_name="PT Dingin Sejahtera",
    )


def test_given_two_approvers_when_both_approve_then_approved_and_shown(funded):
    tx = pending(funded)
    url = Api().url(funded, f"/transactions/{tx.pk}/decision")

    first = ok(Api(funded.funder_admin).post(url, {"decision": "approve"}))
    assert first["status"] == "pending" and first["approvals_required"] == 2
    assert first["approvals"][0]["organisation"] == {
        "id": funded.funder.pk,
        "name": "Yayasan Dana Sehat",
    }
    second = ok(Api(funded.company_admin).post(url, {"decision": "approve", "reason": "Fine"}))

    assert second["status"] == "approved" and second["counts"] is True
    assert [a["decision"] for a in second["approvals"]] == ["approve", "approve"]
    assert second["approvals"][1]["reason"] == "Fine"
    assert second["approvals_required"] is None


def test_given_the_author_when_deciding_then_403_and_nothing_written(funded):
    tx = pending(funded)
    before = counts()
    api = Api(funded.ngo_admin)
    url = api.url(funded, f"/transactions/{tx.pk}/decision")
    error(api.post(url, {"decision": "approve"}), 403)
    error(api.post(url, {"decision": "bogus"}), 403)
    assert counts() == before


def test_given_a_non_approver_when_deciding_then_403(funded):
    tx = pending(funded)
    before = counts()
    for person in (funded.observer, funded.coordinator):  # coordinator works for the ngo…
        api = Api(person)
        response = api.post(
            api.url(funded, f"/transactions/{tx.pk}/decision"), {"decision": "approve"}
        )
        if person is funded.coordinator:
            # …which is an approving partner: the coordinator counts for it.
            assert response.status_code == 200
        else:
            error(response, 403)
    assert counts()[0] == before[0] + 1


def test_given_a_rejection_without_reason_then_422_and_with_one_rejected(funded):
    tx = pending(funded)
    api = Api(funded.funder_admin)
    url = api.url(funded, f"/transactions/{tx.pk}/decision")
    before = counts()
    assert "reason" in fields_of(api.post(url, {"decision": "reject"}))
    assert "decision" in fields_of(api.post(url, {"decision": "maybe"}))
    assert counts() == before
    body = ok(api.post(url, {"decision": "reject", "reason": "No quote"}))
    assert body["status"] == "rejected"
    again = Api(funded.company_admin).post(url, {"decision": "approve"})
    assert error(again, 409)["fields"] == {
        "decision": ["This expenditure is not awaiting approval."]
    }


def test_given_a_recorded_transaction_when_deciding_then_409(funded):
    tx = record(funded)
    api = Api(funded.coordinator)
    response = api.post(api.url(funded, f"/transactions/{tx.pk}/decision"), {"decision": "approve"})
    error(response, 409)
    assert tx.approvals.count() == 0


# ---------------------------------------------------------------- documents


def test_given_a_file_when_attached_then_its_hash_is_shown_to_the_partnership_only(
    public_funded, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    funded = public_funded
    tx = record(funded)
    api = Api(funded.ngo_admin)
    upload = SimpleUploadedFile("invoice.pdf", b"%PDF-1.4 invoice", content_type="application/pdf")

    body = ok(
        api.upload(api.url(funded, f"/transactions/{tx.pk}/documents"), {"file": upload}), 201
    )

    import hashlib

    assert body["sha256"] == hashlib.sha256(b"%PDF-1.4 invoice").hexdigest()
    assert body["name"] == "invoice.pdf" and body["size"] == 16
    assert Entry.objects.get(index=body["ledger_index"]).kind == "finance.document.attached"
    inside = ok(Api(funded.observer).get(api.url(funded, f"/transactions/{tx.pk}")))
    assert inside["documents_visible"] is True
    assert [d["sha256"] for d in inside["documents"]] == [body["sha256"]]
    for person in (None, funded.outsider):
        outside = ok(Api(person).get(api.url(funded, f"/transactions/{tx.pk}")))
        assert outside["documents_visible"] is False and outside["documents"] == []


def test_given_no_file_or_an_empty_one_then_422_and_someone_else_403(funded, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    tx = record(funded)
    api = Api(funded.ngo_admin)
    url = api.url(funded, f"/transactions/{tx.pk}/documents")
    before = counts()
    assert "file" in fields_of(api.upload(url, {}))
    empty = SimpleUploadedFile("empty.pdf", b"", content_type="application/pdf")
    assert "file" in fields_of(api.upload(url, {"file": empty}))
    other = SimpleUploadedFile("x.pdf", b"x", content_type="application/pdf")
    error(Api(funded.funder_admin).upload(url, {"file": other}), 403)
    assert counts() == before
    assert tx.documents.count() == 0


def test_given_both_a_partner_and_a_name_for_one_side_then_422_and_nothing_recorded(funded):
    """One of the two used to be dropped without a word (the API's reviewer found it)."""
    api = Api(funded.ngo_admin)
    before = counts()

    response = api.post(
        api.url(funded, "/transactions"), expenditure_body(funded, provider_name="Also")
    )

    assert "provider_name" in fields_of(response)
    assert counts() == before


def test_given_a_correction_that_turns_a_named_side_into_a_partner_then_recorded(funded):
    """Only the changed side is sent: the name it had goes (it was refused as "a partner
    and a name" once that check came in; the second read of the diff)."""
    tx = record(funded, provider_organisation=None, provider_name="Some Foundation")
    api = Api(funded.ngo_admin)

    body = ok(
        api.post(
            api.url(funded, f"/transactions/{tx.pk}/correct"),
            {"reason": "It was our funder", "provider_organisation": funded.funder.pk},
        ),
        201,
    )

    assert body["replacement"]["provider"]["organisation"]["id"] == funded.funder.pk
    assert Transaction.objects.get(pk=body["replacement"]["id"]).provider_name == ""
