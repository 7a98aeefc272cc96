"""Transactions dated outside their budget line's period: allowed, and pointed out.

The funded partnership's budget line runs from 2026-01-01 to 2026-12-31 (conftest); here
it is first revised to end on 2026-06-30, so that dates outside it can be in the past
(a transaction cannot be dated after today).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from sinergi.finance import queries, services
from sinergi.finance.models import BudgetLine, Transaction
from tests.conftest import client_for
from tests.finance.import_helpers import csv_bytes, expenditure_row
from tests.finance.test_api_transactions import Api, error, ok
from tests.finance.test_services_transactions import expenditure

pytestmark = pytest.mark.django_db

INSIDE = [date(2026, 1, 1), date(2026, 3, 31), date(2026, 6, 30)]
OUTSIDE = [date(2025, 12, 31), date(2026, 7, 1), date(2026, 9, 5)]


@pytest.fixture(autouse=True)
def first_half(funded):
    funded.line = services.revise_budget_line(
        actor=funded.coordinator,
        line=funded.line,
        reason="The first half of the year",
        period_end=date(2026, 6, 30),
    )


def third_quarter_line(funded) -> BudgetLine:
    return services.create_budget_line(
        actor=funded.coordinator,
        partnership=funded.partnership,
        title="Training",
        amount=Decimal("5000000"),
        period_start=date(2026, 7, 1),
        period_end=date(2026, 9, 30),
    )


def flagged(funded) -> set[int]:
    rows = queries.transactions(funded.partnership, queries.TransactionFilter(outside_period=True))
    return set(rows.values_list("pk", flat=True))


@pytest.mark.parametrize("day", INSIDE)
def test_given_a_date_inside_the_period_or_on_its_edge_then_not_flagged(funded, day):
    tx = expenditure(funded, value_date=day)

    assert tx.outside_budget_period is False
    assert tx.budget_period_note() == ""
    assert flagged(funded) == set()


@pytest.mark.parametrize("day", OUTSIDE)
def test_given_a_date_outside_the_period_then_recorded_and_flagged_with_a_note(funded, day):
    tx = expenditure(funded, value_date=day)

    assert Transaction.objects.filter(pk=tx.pk).exists() and tx.ledger_index is not None
    assert tx.outside_budget_period is True
    note = tx.budget_period_note()
    assert day.isoformat() in note and "Cold-chain equipment" in note
    assert "2026-01-01" in note and "2026-06-30" in note
    assert flagged(funded) == {tx.pk}


def test_given_no_budget_line_or_a_reversed_pair_then_never_flagged(funded):
    """A reversal copies the date of what it reverses, and the two cancel out: neither is
    flagged, so reversing a misdated transaction clears the flag."""
    loose = expenditure(funded, value_date=date(2025, 6, 1), budget_line=None)
    outside = expenditure(funded, value_date=date(2026, 8, 1))
    assert flagged(funded) == {outside.pk}

    reversal = services.reverse_transaction(
        actor=funded.ngo_admin, transaction=outside, reason="Wrong supplier"
    )

    assert loose.outside_budget_period is False
    assert reversal.value_date == outside.value_date and reversal.outside_budget_period is False
    assert Transaction.objects.get(pk=outside.pk).outside_budget_period is False
    assert flagged(funded) == set()
    assert queries.outside_period_counts(funded.partnership) == {}


@pytest.mark.parametrize(
    ("corrected", "still_flagged"), [(date(2026, 6, 20), False), (date(2026, 7, 20), True)]
)
def test_given_a_correction_then_the_replacement_is_judged_by_its_own_date(
    funded, corrected, still_flagged
):
    outside = expenditure(funded, value_date=date(2026, 7, 5))

    _reversal, replacement = services.correct_transaction(
        actor=funded.ngo_admin, transaction=outside, reason="Typo", value_date=corrected
    )

    assert flagged(funded) == ({replacement.pk} if still_flagged else set())
    assert replacement.outside_budget_period is still_flagged


def test_given_a_rejected_expenditure_then_not_flagged(funded):
    services.set_approval_rule(
        actor=funded.coordinator,
        partnership=funded.partnership,
        threshold="1000000",
        required=1,
        approver_organisations=[funded.funder],
    )
    pending = expenditure(funded, value_date=date(2026, 9, 1))
    assert pending.status == "pending" and flagged(funded) == {pending.pk}  # it may count yet

    services.decide(
        actor=funded.funder_admin, transaction=pending, decision="reject", reason="No receipt"
    )

    assert flagged(funded) == set()
    assert Transaction.objects.get(pk=pending.pk).outside_budget_period is False


def test_given_many_dates_and_lines_then_the_query_agrees_with_the_property(funded):
    second = third_quarter_line(funded)
    made = [
        expenditure(funded, amount="1000", value_date=day, budget_line=line)
        for day in [*INSIDE, *OUTSIDE, date(2026, 7, 1), date(2026, 10, 1)]
        for line in (funded.line, second, None)
    ]
    assert made[15].value_date == date(2026, 9, 5) and made[15].budget_line == funded.line
    services.reverse_transaction(actor=funded.ngo_admin, transaction=made[15], reason="Twice")
    every = queries.transactions(funded.partnership)

    expected = {tx.pk for tx in every if tx.outside_budget_period}
    assert flagged(funded) == expected
    # The first line (to 2026-06-30): its 3 outside dates and the two Q3 edges; Q3: 5 of 8
    # days miss it; the reversed one (and its reversal) not at all.
    assert len(expected) == 5 + 5 - 1


def test_given_a_revised_period_then_the_flag_follows_the_line(funded):
    tx = expenditure(funded, value_date=date(2026, 5, 20))
    assert flagged(funded) == set()

    services.revise_budget_line(
        actor=funded.coordinator,
        line=funded.line,
        reason="Shortened to the first quarter",
        period_end=date(2026, 3, 31),
    )

    assert flagged(funded) == {tx.pk}
    assert Transaction.objects.get(pk=tx.pk).outside_budget_period is True


# ---------------------------------------------------------------- pages


def test_given_a_flagged_transaction_then_its_page_and_the_list_say_so_in_both_languages(funded):
    outside = expenditure(funded, value_date=date(2026, 7, 15))
    inside = expenditure(funded, value_date=date(2026, 5, 1))
    client = client_for(funded.ngo_admin)
    slug = funded.partnership.slug

    page = client.get(reverse("finance-transaction", args=[slug, outside.pk])).content.decode()
    assert 'id="budget-period-note"' in page and "outside the period of its budget line" in page
    page = client.get(reverse("finance-transaction", args=[slug, inside.pk])).content.decode()
    assert 'id="budget-period-note"' not in page
    with translation.override("id"):
        page = client.get(reverse("finance-transaction", args=[slug, outside.pk])).content
        listing = client.get(reverse("finance-transactions", args=[slug])).content
    assert "di luar periode" in page.decode() and "outside the period" not in page.decode()
    assert listing.decode().count("outside-period") == 1

    listing = client.get(reverse("finance-transactions", args=[slug])).content.decode()
    assert listing.count('class="badge warn outside-period"') == 1
    # The badge's explanation is text too, not only its title; each date link says which
    # transaction it opens.
    badge = listing.split('class="badge warn outside-period"')[1].split("</td>")[0]
    note = escape(outside.budget_period_note())
    assert f'<span class="visually-hidden">: {note}</span>' in badge
    assert f'<span class="visually-hidden">, transaction #{outside.pk}</span></a>' in listing
    assert f'id="tx-{outside.pk}"' in listing and f'id="tx-{inside.pk}"' in listing


def test_given_the_filter_then_the_list_and_exports_hold_only_flagged_transactions(funded):
    outside = expenditure(funded, value_date=date(2025, 11, 3))
    inside = expenditure(funded, value_date=date(2026, 5, 1))
    client = client_for(funded.ngo_admin)
    slug = funded.partnership.slug

    response = client.get(reverse("finance-transactions", args=[slug]), {"outside_period": "on"})
    page = response.content.decode()
    assert f'id="tx-{outside.pk}"' in page and f'id="tx-{inside.pk}"' not in page
    assert "outside_period=on" in page  # kept in the export and pagination links
    csv = client.get(reverse("finance-export-csv", args=[slug]), {"outside_period": "on"})
    body = b"".join(csv.streaming_content).decode() if csv.streaming else csv.content.decode()
    assert "2025-11-03" in body and "2026-05-01" not in body


# ---------------------------------------------------------------- API


def test_given_the_api_then_each_transaction_says_whether_it_is_flagged_and_can_be_filtered(
    funded,
):
    api = Api(funded.ngo_admin)
    url = api.url(funded, "/transactions")
    created = ok(
        api.post(
            url,
            {
                "transaction_type": "4",
                "amount": "1500000",
                "currency": "IDR",
                "value_date": "2026-08-01",
                "provider_organisation": funded.ngo.pk,
                "receiver_name": "PT Dingin Sejahtera",
                "budget_line": funded.line.pk,
            },
        ),
        201,
    )
    inside = expenditure(funded, value_date=date(2026, 2, 1))

    assert created["outside_budget_period"] is True
    assert "2026-08-01" in created["budget_period_note"]
    listed = ok(api.get(url))["items"]
    by_id = {item["id"]: item for item in listed}
    assert by_id[inside.pk]["outside_budget_period"] is False
    assert by_id[inside.pk]["budget_period_note"] == ""
    only = ok(api.get(url, {"outside_budget_period": "true"}))
    assert [item["id"] for item in only["items"]] == [created["id"]] and only["count"] == 1
    detail = ok(api.get(api.url(funded, f"/transactions/{created['id']}")))
    assert detail["outside_budget_period"] is True


def test_given_a_bad_filter_value_then_a_field_error(funded):
    api = Api(funded.ngo_admin)

    body = error(api.get(api.url(funded, "/transactions"), {"outside_budget_period": "maybe"}), 422)

    assert "outside_budget_period" in body["fields"]


# ---------------------------------------------------------------- import


def test_given_an_import_with_rows_outside_the_period_then_noted_and_still_all_imported(funded):
    rows = [
        expenditure_row(funded),
        expenditure_row(funded, value_date="2026-07-20", description="Late invoice"),
        expenditure_row(funded, value_date="2025-12-30", description="Early deposit"),
    ]
    data = csv_bytes(rows)
    client = client_for(funded.ngo_admin)
    slug = funded.partnership.slug
    upload = SimpleUploadedFile("books.csv", data)

    preview = client.post(reverse("finance-import", args=[slug]), {"file": upload})

    result = preview.context["result"]
    assert preview.status_code == 200 and result.ok
    assert result.warning_count == 2
    assert [(w.row, w.column) for w in result.warnings] == [(3, "value_date"), (4, "value_date")]
    page = preview.content.decode()
    assert 'id="import-warnings-table"' in page and "2026-07-20" in page
    assert not Transaction.objects.exists()

    done = client.post(
        reverse("finance-import-confirm", args=[slug]),
        {"sha256": result.sha256, "format": result.format, "filename": result.filename},
        follow=True,
    )

    assert Transaction.objects.count() == 3
    assert done.request["QUERY_STRING"] == "outside_period=on"
    shown = [str(m) for m in done.context["messages"]]
    assert any("2 of them are dated outside" in message for message in shown)
    assert {tx.value_date for tx in done.context["page"]} == {date(2026, 7, 20), date(2025, 12, 30)}


def test_given_the_import_api_then_warnings_come_with_rows_and_columns(funded):
    api = Api(funded.ngo_admin)
    data = csv_bytes([expenditure_row(funded, value_date="2026-10-01")])
    url = f"/api/v1/partnerships/{funded.partnership.slug}/finance/transactions/import"

    body = ok(api.upload(url, {"file": SimpleUploadedFile("books.csv", data)}))

    assert body["error_count"] == 0 and body["warning_count"] == 1
    (warning,) = body["warnings"]
    assert warning["row"] == 2 and warning["column"] == "value_date"
    assert "2026-10-01" in warning["message"]


def test_given_an_import_inside_the_period_then_no_warnings(funded):
    api = Api(funded.ngo_admin)
    data = csv_bytes([expenditure_row(funded), expenditure_row(funded, value_date="2026-06-30")])
    url = f"/api/v1/partnerships/{funded.partnership.slug}/finance/transactions/import"

    body = ok(api.upload(url, {"file": SimpleUploadedFile("books.csv", data)}))

    assert body["warning_count"] == 0 and body["warnings"] == []
    assert BudgetLine.objects.get(pk=funded.line.pk).period_end == date(2026, 6, 30)


def test_given_flagged_transactions_then_the_budget_page_counts_them_per_line(funded):
    second = third_quarter_line(funded)
    for day in (date(2026, 7, 2), date(2025, 6, 1), date(2026, 3, 3)):
        expenditure(funded, amount="1000", value_date=day)
    expenditure(funded, amount="1000", value_date=date(2026, 8, 8), budget_line=second)
    client = client_for(funded.coordinator)
    slug = funded.partnership.slug

    page = client.get(reverse("finance-budget", args=[slug])).content.decode()

    link = f"?line={funded.line.pk}&amp;outside_period=on"
    assert link in page and "2 transactions dated outside" in page
    assert f"?line={second.pk}&amp;outside_period=on" not in page
    listing = client.get(reverse("finance-transactions", args=[slug]) + link.replace("&amp;", "&"))
    assert len(listing.context["page"]) == 2

    expenditure(funded, amount="1000", value_date=date(2026, 10, 1), budget_line=second)
    page = client.get(reverse("finance-budget", args=[slug])).content.decode()
    assert "1 transaction dated outside" in page  # a new write is counted at once
