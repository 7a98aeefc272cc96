"""The finance API's pledges, budget lines, exchange rates, approval rule and summary."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from sinergi.finance import services
from sinergi.finance.models import (
    ApprovalRule,
    BudgetLine,
    ExchangeRate,
    Pledge,
    PledgeStatus,
)
from sinergi.ledger.models import Entry
from sinergi.partnerships.models import WorkPackage
from tests.conftest import client_for
from tests.finance.test_api_transactions import Api, error, fields_of, ok, record

pytestmark = pytest.mark.django_db


def entries() -> int:
    return Entry.objects.count()


# ---------------------------------------------------------------- pledges


def pledge_body(funded, **changes):
    body = {
        "organisation": funded.funder.pk,
        "amount": "250000.00",
        "currency": "USD",
        "pledged_on": "2026-02-01",
        "period_start": "2026-02-01",
        "period_end": "2026-06-30",
        "budget_line": funded.line.pk,
        "description": "Cold-chain grant",
    }
    body.update(changes)
    return body


def test_given_a_partner_admin_when_pledging_then_201_converted(funded):
    api = Api(funded.funder_admin)

    body = ok(api.post(api.url(funded, "/pledges"), pledge_body(funded)), 201)

    assert body["organisation"] == {"id": funded.funder.pk, "name": "Yayasan Dana Sehat"}
    assert body["amount"] == "250000.00" and body["currency"] == "USD"
    assert body["rate"] == "15800" and body["rate_date"] == "2026-01-01"
    assert body["base_amount"] == "3950000000" and body["base_currency"] == "IDR"
    assert body["status"] == "pledged" and body["kind"] == "cash"
    assert body["delivered"] == "0" and body["quantity"] is None
    assert body["budget_line"]["id"] == funded.line.pk
    assert Entry.objects.get(index=body["ledger_index"]).kind == "finance.pledge.recorded"


def test_given_an_in_kind_pledge_with_its_basis_then_the_value_is_computed(funded):
    api = Api(funded.ngo_admin)
    body = ok(
        api.post(
            api.url(funded, "/pledges"),
            pledge_body(
                funded,
                organisation=funded.ngo.pk,
                kind="personnel",
                amount=None,
                currency="IDR",
                quantity="120",
                unit="person-days",
                unit_rate="1500000",
            ),
        ),
        201,
    )
    assert body["amount"] == "180000000" and body["quantity"] == "120"
    assert body["unit"] == "person-days" and body["unit_rate"] == "1500000"
    assert body["kind_name"] == "Personnel time"


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        (120.5, 'Enter the quantity as a decimal string, e.g. "120".'),
        ("1" * 41, "The quantity is too large."),
    ],
    ids=["json-float", "too-long"],
)
def test_a_refused_quantity_is_called_a_quantity_not_an_amount(funded, quantity, message):
    """A pledge's quantity sent as a JSON float, or longer than any number, gets a 422 on
    `quantity` that speaks of a quantity (it said "Enter the amount …"), in both
    languages, and no pledge is made."""
    api = Api(funded.ngo_admin)
    body = pledge_body(
        funded,
        organisation=funded.ngo.pk,
        kind="personnel",
        amount=None,
        currency="IDR",
        quantity=quantity,
        unit="person-days",
        unit_rate="1500000",
    )
    before = Pledge.objects.count()

    english = error(api.post(api.url(funded, "/pledges"), body), 422)
    indonesian = error(
        api.client.generic(
            "POST",
            api.url(funded, "/pledges"),
            json.dumps(body),
            content_type="application/json",
            HTTP_ACCEPT_LANGUAGE="id",
            **api.headers,
        ),
        422,
    )

    assert english["fields"] == {"quantity": [message]}
    assert list(indonesian["fields"]) == ["quantity"]
    assert indonesian["fields"]["quantity"] != [message]
    assert Pledge.objects.count() == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"amount": 1.5}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"currency": "ABC"}, "currency"),
        ({"organisation": 987654321}, "organisation"),
        ({"organisation": 0}, "organisation"),
        ({"period_end": "2026-01-01"}, "period_end"),
        ({"pledged_on": "2025-06-01"}, "currency"),
        ({"kind": "gold"}, "kind"),
        ({"quantity": "3"}, "quantity"),
        ({"budget_line": 987654321}, "budget_line"),
        ({"description": "x\x00"}, "description"),
        ({"period_start": "9999-01-01"}, "period_start"),
        ({"amount": "250_000"}, "amount"),
        ({"amount": "\uff11\uff12\uff13"}, "amount"),  # full-width digits
        ({"amount": "\u0663"}, "amount"),  # an Arabic-Indic three
        # In kind: a value that rounds to nothing was a 500 (the database's check).
        (
            {
                "amount": None,
                "currency": "IDR",
                "kind": "personnel",
                "quantity": "0.4",
                "unit": "day",
                "unit_rate": "1",
            },
            "quantity",
        ),
        (
            {
                "amount": None,
                "kind": "personnel",
                "quantity": "1.00001",
                "unit": "day",
                "unit_rate": "100",
            },
            "quantity",
        ),
    ],
)
def test_given_a_bad_pledge_then_422_and_nothing_written(funded, changes, field):
    api = Api(funded.coordinator)
    before = entries()
    assert field in fields_of(api.post(api.url(funded, "/pledges"), pledge_body(funded, **changes)))
    assert entries() == before and not Pledge.objects.exists()


def test_given_a_partner_admin_pledging_for_another_partner_or_an_observer_then_403(funded):
    before = entries()
    error(Api(funded.ngo_admin).post(Api().url(funded, "/pledges"), pledge_body(funded)), 403)
    error(Api(funded.observer).post(Api().url(funded, "/pledges"), pledge_body(funded)), 403)
    error(
        Api(funded.observer).post(Api().url(funded, "/pledges"), pledge_body(funded, amount="x")),
        403,
    )
    assert entries() == before and not Pledge.objects.exists()


def pledge(funded) -> Pledge:
    return services.record_pledge(
        actor=funded.funder_admin,
        partnership=funded.partnership,
        organisation=funded.funder,
        amount="250000.00",
        currency="USD",
        pledged_on=date(2026, 2, 1),
        period_start=date(2026, 2, 1),
        period_end=date(2026, 6, 30),
    )


def test_given_pledges_when_listed_and_read_then_status_history_shown(funded):
    promised = pledge(funded)
    api = Api(funded.funder_admin)
    url = api.url(funded, f"/pledges/{promised.pk}/status")

    moved = ok(api.post(url, {"status": "committed", "reason": "Board approved"}))

    assert moved["status"] == "committed"
    assert [(c["from_status"], c["to_status"], c["reason"]) for c in moved["status_history"]] == [
        ("pledged", "committed", "Board approved")
    ]
    assert moved["status_history"][0]["by"]["id"] == funded.funder_admin.pk
    listed = ok(Api(funded.observer).get(api.url(funded, "/pledges")))
    assert listed["count"] == 1 and listed["items"][0]["status"] == "committed"
    assert (
        ok(Api(funded.observer).get(api.url(funded, "/pledges"), {"status": "pledged"}))["count"]
        == 0
    )
    assert "status" in fields_of(
        Api(funded.observer).get(api.url(funded, "/pledges"), {"status": "x"})
    )
    read = ok(Api(funded.observer).get(api.url(funded, f"/pledges/{promised.pk}")))
    assert read["status_history"] == moved["status_history"]


def test_given_a_pledge_when_a_bad_status_change_then_409_or_422_and_nothing_written(funded):
    promised = pledge(funded)
    api = Api(funded.funder_admin)
    url = api.url(funded, f"/pledges/{promised.pk}/status")
    before = entries()
    response = api.post(url, {"status": "fulfilled"})
    assert error(response, 409)["fields"]["status"] == [
        "A pledge that is pledged cannot become fulfilled."
    ]
    assert "status" in fields_of(api.post(url, {"status": "lost"}))
    assert "reason" in fields_of(api.post(url, {"status": "cancelled"}))
    error(Api(funded.ngo_admin).post(url, {"status": "committed"}), 403)
    error(Api(funded.observer).post(url, {"status": "committed"}), 403)
    assert entries() == before
    promised.refresh_from_db()
    assert promised.status == PledgeStatus.PLEDGED


def test_given_a_late_pledge_then_its_timing_is_late(funded):
    services.record_pledge(
        actor=funded.funder_admin,
        partnership=funded.partnership,
        organisation=funded.funder,
        amount="1000000",
        currency="IDR",
        pledged_on=date(2026, 1, 5),
        period_start=date(2026, 1, 5),
        period_end=timezone.localdate() - timedelta(days=1),
    )
    body = ok(Api(funded.observer).get(Api().url(funded, "/pledges")))
    assert body["items"][0]["timing"] == "late"


# ---------------------------------------------------------------- budget lines


def test_given_budget_lines_when_listed_then_spent_and_remaining_from_the_totals(funded):
    services.record_transaction(
        actor=funded.ngo_admin,
        partnership=funded.partnership,
        transaction_type="4",
        amount="250000000",
        currency="IDR",
        value_date=date(2026, 4, 2),
        provider_organisation=funded.ngo,
        receiver_name="PT Dingin Sejahtera",
        budget_line=funded.line,
    )
    body = ok(Api(funded.observer).get(Api().url(funded, "/budget-lines")))
    assert body["count"] == 1
    assert body["items"][0] == {
        "id": funded.line.pk,
        "title": "Cold-chain equipment",
        "work_package": None,
        "period_start": "2026-01-01",
        "period_end": "2026-12-31",
        "amount": "1000000000",
        "currency": "IDR",
        "spent": "250000000",
        "remaining": "750000000",
        "revision": 1,
    }


def test_given_a_coordinator_when_adding_and_revising_a_line_then_history_kept(funded):
    package = WorkPackage.objects.create(
        partnership=funded.partnership, code="WP2", title="Training", position=1
    )
    api = Api(funded.coordinator)

    created = ok(
        api.post(
            api.url(funded, "/budget-lines"),
            {
                "title": "Training",
                "amount": "0",
                "period_start": "2026-01-01",
                "period_end": "2026-06-30",
                "work_package": package.pk,
            },
        ),
        201,
    )
    assert created["work_package"]["code"] == "WP2" and created["amount"] == "0"
    url = api.url(funded, f"/budget-lines/{created['id']}")
    revised = ok(api.send("PATCH", url, {"reason": "Donor top-up", "amount": "50000000"}))

    assert revised["revision"] == 2 and revised["amount"] == "50000000"
    assert [(r["number"], r["amount"], r["reason"]) for r in revised["revisions"]] == [
        (2, "50000000", "Donor top-up"),
        (1, "0", ""),
    ]
    cleared = ok(api.send("PATCH", url, {"reason": "Cross-cutting", "work_package": None}))
    assert cleared["work_package"] is None and cleared["revision"] == 3
    assert ok(Api(funded.observer).get(url))["revisions"][0]["reason"] == "Cross-cutting"


def test_given_bad_budget_input_then_422_403_404_and_nothing_written(funded):
    from tests.finance.conftest import build_funded

    other = build_funded()
    api = Api(funded.coordinator)
    url = api.url(funded, f"/budget-lines/{funded.line.pk}")
    before = entries()
    assert "reason" in fields_of(api.send("PATCH", url, {"amount": "1"}))
    assert "reason" in fields_of(api.send("PATCH", url, {"reason": "  ", "amount": "1"}))
    assert "amount" in fields_of(api.send("PATCH", url, {"reason": "x", "amount": "-1"}))
    assert "amount" in fields_of(api.send("PATCH", url, {"reason": "x", "amount": 2.5}))
    # Zero is a budget amount, written as the API takes numbers: not "0_0" nor other digits.
    for zero in ("0_0", "\u0660", "\uff10"):
        assert "amount" in fields_of(api.send("PATCH", url, {"reason": "x", "amount": zero}))
    assert "amount" in fields_of(api.send("PATCH", url, {"reason": "x"}))  # nothing revised
    assert "period_end" in fields_of(
        api.send("PATCH", url, {"reason": "x", "period_end": "2025-01-01"})
    )
    assert "work_package" in fields_of(
        api.send("PATCH", url, {"reason": "x", "work_package": 987654321})
    )
    new = {"title": "", "amount": "1", "period_start": "2026-01-01", "period_end": "2026-02-01"}
    assert "title" in fields_of(api.post(api.url(funded, "/budget-lines"), new))
    error(Api(funded.ngo_admin).send("PATCH", url, {"reason": "x", "amount": "1"}), 403)
    error(Api(funded.observer).post(api.url(funded, "/budget-lines"), {**new, "title": "T"}), 403)
    error(
        api.send("PATCH", api.url(funded, f"/budget-lines/{other.line.pk}"), {"reason": "x"}), 404
    )
    error(api.get(api.url(funded, f"/budget-lines/{other.line.pk}")), 404)
    assert entries() == before
    assert BudgetLine.objects.get(pk=funded.line.pk).revision == 1


# ---------------------------------------------------------------- rates


def test_given_a_coordinator_when_setting_a_rate_then_201_and_listed(funded):
    api = Api(funded.coordinator)
    body = ok(
        api.post(
            api.url(funded, "/rates"),
            {"currency": "eur", "date": "2026-01-01", "rate": "17250.5", "source": "BI"},
        ),
        201,
    )
    assert body["currency"] == "EUR" and body["rate"] == "17250.5"
    assert body["base_currency"] == "IDR" and body["source"] == "BI"
    listed = ok(Api(funded.observer).get(api.url(funded, "/rates")))
    assert [(r["currency"], r["rate"]) for r in listed["items"]] == [
        ("EUR", "17250.5"),
        ("USD", "15800"),
    ]
    only = ok(Api(funded.observer).get(api.url(funded, "/rates"), {"currency": "usd"}))
    assert only["count"] == 1
    for bad in ("usdollars", "US", "U$D"):  # not cut to its first three letters
        wrong = Api(funded.observer).get(api.url(funded, "/rates"), {"currency": bad})
        assert "currency" in fields_of(wrong)


def test_given_bad_rates_then_422_409_403(funded):
    record(funded)  # uses the USD rate of 2026-01-01
    api = Api(funded.coordinator)
    url = api.url(funded, "/rates")
    before = entries()
    for body, field in (
        ({"currency": "IDR", "date": "2026-01-01", "rate": "1"}, "currency"),
        ({"currency": "XXX1", "date": "2026-01-01", "rate": "1"}, "currency"),
        ({"currency": "EUR", "date": "2026-01-01", "rate": "0"}, "rate"),
        ({"currency": "EUR", "date": "2026-01-01", "rate": 1.5}, "rate"),
        ({"currency": "EUR", "date": "2026-13-01", "rate": "1"}, "date"),
    ):
        assert field in fields_of(api.post(url, body)), body
    used = api.post(url, {"currency": "USD", "date": "2026-01-01", "rate": "16000"})
    assert error(used, 409)["fields"]["rate"]
    # In a file, the same refusal names its row, and nothing of the file is kept.
    csv = "currency,date,rate\nEUR,2031-01-01,17000\nUSD,2026-01-01,16000\n"
    imported = api.client.post(url + "/import", csv, content_type="text/csv", **api.headers)
    (message,) = fields_of(imported)["file"]
    assert message.startswith("Row 3:") and "already used" in message
    assert not ExchangeRate.objects.filter(partnership=funded.partnership, currency="EUR")
    error(
        Api(funded.ngo_admin).post(url, {"currency": "EUR", "date": "2026-01-01", "rate": "1"}),
        403,
    )
    assert entries() == before


CSV = "currency,date,rate,source\nEUR,2026-01-01,17250,BI\nSGD,2026-01-01,11800,BI\n"


def test_given_a_csv_body_or_file_when_importing_rates_then_all_written(funded):
    api = Api(funded.coordinator)
    url = api.url(funded, "/rates/import")
    response = api.client.post(url, CSV, content_type="text/csv", **api.headers)
    body = ok(response, 201)
    assert body["imported"] == 2
    assert [r["currency"] for r in body["rates"]] == ["EUR", "SGD"]
    upload = SimpleUploadedFile(
        "rates.csv", b"currency,date,rate\nJPY,2026-01-01,105.5\n", content_type="text/csv"
    )
    body = ok(api.upload(url, {"file": upload}), 201)
    assert body["rates"][0]["rate"] == "105.5"
    assert ExchangeRate.objects.filter(partnership=funded.partnership).count() == 4


def test_given_a_bad_csv_then_422_names_the_rows_and_nothing_written(funded):
    api = Api(funded.coordinator)
    url = api.url(funded, "/rates/import")
    before = entries()
    bad = "currency,date,rate\nEUR,2026-01-01,17250\nXYZ,2026-01-01,1\nSGD,2026-02-30,1\n"
    fields = fields_of(api.client.post(url, bad, content_type="text/csv", **api.headers))
    assert fields["file"][0].startswith("Row 3:") and fields["file"][1].startswith("Row 4:")
    for raw in ("", "a,b\n1,2\n", "currency,date,rate\nEUR,2026-01-01,1\x00\n"):
        response = api.client.post(url, raw, content_type="text/csv", **api.headers)
        assert "file" in fields_of(response), raw
    assert "file" in fields_of(api.upload(url, {}))
    error(
        Api(funded.ngo_admin).client.post(
            url, CSV, content_type="text/csv", **Api(funded.ngo_admin).headers
        ),
        403,
    )
    assert entries() == before
    assert ExchangeRate.objects.filter(partnership=funded.partnership).count() == 1


def test_given_a_csv_with_bare_cr_line_ends_then_read_like_any_other(funded):
    api = Api(funded.coordinator)
    url = api.url(funded, "/rates/import")
    mac = b"currency,date,rate\rEUR,2026-01-01,17250\rSGD,2026-01-01,11800\r"

    body = ok(api.upload(url, {"file": SimpleUploadedFile("mac.csv", mac)}), 201)

    assert [r["currency"] for r in body["rates"]] == ["EUR", "SGD"]


@pytest.mark.parametrize(
    ("raw", "start"),
    [
        (
            "currency,date,rate,source\nEUR,2026-01-01,17250," + "x" * 200_000 + "\n",
            "The CSV file cannot be read near line 2: a cell holds more text than a "
            "spreadsheet cell can",
        ),
        # A stray CR inside a number ends the line there: row 2 lacks its rate digits
        # and row 3 is the rest.
        ("currency,date,rate\nEUR,2026-11-26,17\r00\n", "Row 3:"),
    ],
    ids=["field-over-the-csv-limit", "carriage-return-in-a-field"],
)
def test_given_an_unreadable_csv_then_422_on_file_and_nothing_written(funded, raw, start):
    api = Api(funded.coordinator)
    url = api.url(funded, "/rates/import")
    before = entries()

    response = api.client.post(url, raw, content_type="text/csv", **api.headers)
    page = client_for(funded.coordinator).post(
        reverse("finance-rates-import", args=[funded.partnership.slug]),
        {"import-file": SimpleUploadedFile("r.csv", raw.encode())},
    )

    (message,) = fields_of(response)["file"]
    assert message.startswith(start)
    assert page.status_code == 422 and start in page.text
    assert entries() == before
    assert ExchangeRate.objects.filter(partnership=funded.partnership).count() == 1


# ---------------------------------------------------------------- approval rule


def test_given_no_rule_then_inactive_and_a_coordinator_sets_one(funded):
    url = Api().url(funded, "/approval-rule")
    assert ok(Api(funded.observer).get(url)) == {
        "active": False,
        "threshold": None,
        "currency": "IDR",
        "required": 1,
        "approver_organisations": [],
        "updated_at": None,
        "ledger_index": None,
    }
    body = ok(
        Api(funded.coordinator).send(
            "PUT",
            url,
            {
                "threshold": "10000000",
                "required": 2,
                "approver_organisations": [funded.funder.pk, funded.company.pk],
            },
        )
    )
    assert body["active"] is True and body["threshold"] == "10000000"
    assert body["required"] == 2
    assert [o["name"] for o in body["approver_organisations"]] == [
        "PT Tekstil Hijau",
        "Yayasan Dana Sehat",
    ]
    assert Entry.objects.get(index=body["ledger_index"]).kind == "finance.approval_rule.set"


def test_given_a_bad_rule_then_422_or_403_and_nothing_written(funded):
    from tests.factories import OrganisationFactory

    url = Api().url(funded, "/approval-rule")
    api = Api(funded.coordinator)
    before = entries()
    outside = OrganisationFactory()
    for body, field in (
        ({"threshold": "-1"}, "threshold"),
        ({"threshold": 1.5}, "threshold"),
        ({"threshold": "1", "required": 0}, "required"),
        (
            {"threshold": "1", "required": 3, "approver_organisations": [funded.funder.pk]},
            "required",
        ),
        ({"threshold": "1", "approver_organisations": [987654321]}, "approver_organisations"),
        ({"threshold": "1", "approver_organisations": [outside.pk]}, "approver_organisations"),
        ({"threshold": "1", "approver_organisations": [0]}, "approver_organisations.0"),
    ):
        assert field in fields_of(api.send("PUT", url, body)), body
    error(Api(funded.funder_admin).send("PUT", url, {"threshold": "1"}), 403)
    assert entries() == before and not ApprovalRule.objects.exists()


# ---------------------------------------------------------------- summary


def test_given_activity_when_the_summary_is_read_then_figures_from_the_totals(
    funded, django_assert_max_num_queries
):
    promised = pledge(funded)
    services.change_pledge_status(actor=funded.funder_admin, pledge=promised, status="committed")
    record(funded, pledge=promised)  # 10,000 USD received against the pledge
    services.record_transaction(
        actor=funded.ngo_admin,
        partnership=funded.partnership,
        transaction_type="4",
        amount="58000000",
        currency="IDR",
        value_date=date(2026, 4, 2),
        provider_organisation=funded.ngo,
        receiver_name="PT Dingin Sejahtera",
        budget_line=funded.line,
    )
    services.record_pledge(
        actor=funded.ngo_admin,
        partnership=funded.partnership,
        organisation=funded.ngo,
        kind="personnel",
        currency="IDR",
        quantity="10",
        unit="person-days",
        unit_rate="1000000",
        pledged_on=date(2026, 2, 1),
        period_start=date(2026, 2, 1),
        period_end=date(2099, 1, 1),
    )
    api = Api(funded.observer)
    url = api.url(funded, "/summary")
    api.get(url)

    with django_assert_max_num_queries(12):
        body = ok(api.get(url))

    assert body["currency"] == "IDR"
    assert body["budget"] == "1000000000"
    assert body["pledged"] == str(Decimal("3950000000") + 10000000)
    assert body["committed"] == "3950000000"
    assert body["funding_gap"] == "-2950000000"
    assert body["received"] == "158000000" and body["spent"] == "58000000"
    assert body["balance"] == "100000000"
    assert body["pending_approval"] == {"count": 0, "amount": "0"}
    kinds = {row["kind"]: row for row in body["kinds"]}
    assert kinds["cash"]["pledged"] == "3950000000"
    assert kinds["personnel"]["pledged"] == "10000000"
    assert kinds["in_kind"]["pledged"] == "10000000"
    assert kinds["total"]["received"] == "158000000"
    partners = {row["organisation"]["name"]: row for row in body["partners"]}
    assert partners["Yayasan Dana Sehat"]["delivered"] == "158000000"
    assert partners["Lembaga Vaksin Nusantara"]["open"] == 1
    assert body["budget_lines"] == [
        {
            "budget_line": {"id": funded.line.pk, "title": "Cold-chain equipment"},
            "budget": "1000000000",
            "spent": "58000000",
        }
    ]
    assert body["spending_by_partner"] == [
        {
            "organisation": {"id": funded.ngo.pk, "name": "Lembaga Vaksin Nusantara"},
            "spent": "58000000",
        }
    ]
    assert len(body["monthly_spending"]) == 12


def test_given_an_empty_partnership_then_the_summary_is_zeros(funded):
    body = ok(Api(funded.observer).get(Api().url(funded, "/summary")))
    assert body["spent"] == "0" and body["funding_gap"] == "1000000000"
    assert body["partners"] == [] and body["months_left"] is None


def test_a_quantity_with_too_many_decimals_is_told_as_a_quantity(funded):
    api = Api(funded.coordinator)
    body = pledge_body(
        funded, amount=None, kind="personnel", quantity="1.00001", unit="day", unit_rate="100"
    )
    messages = fields_of(api.post(api.url(funded, "/pledges"), body))["quantity"]
    assert messages == ["A quantity has at most 4 digits after the point."]
