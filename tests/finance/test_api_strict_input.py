"""Yes/no values in a URL or a form are `true` or `false`: a mistyped `commit=yes` must not
run an import that cannot be undone."""

from __future__ import annotations

import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from sinergi.finance import importer
from sinergi.finance import services as finance
from sinergi.finance.models import ApprovalRule, ExchangeRate, Transaction
from tests.conftest import client_for
from tests.finance.import_helpers import HEADER, csv_bytes, expenditure_row, xlsx_bytes

pytestmark = pytest.mark.django_db


def _import(funded, commit: str):
    path = f"/api/v1/partnerships/{funded.partnership.slug}/finance/transactions/import"
    data = xlsx_bytes([[expenditure_row(funded)[name] for name in HEADER]])
    return client_for(funded.ngo_admin).post(
        f"{path}?commit={commit}", {"file": SimpleUploadedFile("books.xlsx", data)}
    )


@pytest.mark.parametrize("commit", ["yes", "on", "1", "no", "0", "", "maybe"])
def test_given_commit_other_than_true_or_false_then_refused_and_nothing_recorded(funded, commit):
    before = Transaction.objects.count()

    response = _import(funded, commit)

    assert response.status_code == 422, response.content[:300]
    assert response.json()["error"]["fields"]["commit"] == ["Enter true or false."]
    assert Transaction.objects.count() == before


@pytest.mark.parametrize(("commit", "recorded"), [("true", 1), ("TRUE", 1), ("false", 0)])
def test_given_commit_true_or_false_then_it_is_done_as_said(funded, commit, recorded):
    before = Transaction.objects.count()

    response = _import(funded, commit)

    assert response.status_code == 200, response.content[:300]
    assert Transaction.objects.count() == before + recorded


@pytest.mark.parametrize("flag", ["yes", "1", "off"])
def test_given_a_filter_flag_other_than_true_or_false_then_refused(funded, flag):
    path = f"/api/v1/partnerships/{funded.partnership.slug}/finance/transactions"

    response = client_for(funded.ngo_admin).get(path, {"outside_budget_period": flag})

    assert response.status_code == 422
    assert response.json()["error"]["fields"]["outside_budget_period"] == ["Enter true or false."]


def _rule(funded, body: dict):
    path = f"/api/v1/partnerships/{funded.partnership.slug}/finance/approval-rule"
    return client_for(funded.coordinator).put(path, json.dumps(body), "application/json")


@pytest.mark.parametrize("required", [True, 2])
def test_given_a_rule_that_could_not_be_met_then_refused_on_required(funded, required):
    """Given a flag for the number of approvals (read as 1), or more approvals from
    coordinators than the partnership has (one here), then a 422 on `required`, and no
    rule: an expenditure above it would have waited for ever."""
    response = _rule(funded, {"threshold": "1000", "required": required})

    assert response.status_code == 422, response.content[:300]
    assert "required" in response.json()["error"]["fields"]
    assert not ApprovalRule.objects.filter(partnership=funded.partnership).exists()


def test_given_as_many_approvals_as_coordinators_then_the_rule_is_set(funded):
    response = _rule(funded, {"threshold": "1000", "required": 1})

    assert response.status_code == 200, response.content[:300]
    assert ApprovalRule.objects.get(partnership=funded.partnership).required == 1


@pytest.mark.parametrize("amount", ["1e3", "+1000", "5e1", "1E3"])
def test_given_an_amount_with_an_exponent_or_a_plus_sign_then_422(funded, amount):
    path = f"/api/v1/partnerships/{funded.partnership.slug}/finance/transactions"
    before = Transaction.objects.count()
    body = {
        "transaction_type": "4",
        "amount": amount,
        "currency": "IDR",
        "value_date": "2026-04-02",
        "provider_organisation": funded.ngo.pk,
        "receiver_name": "PT Dingin Sejahtera",
    }

    response = client_for(funded.ngo_admin).post(path, json.dumps(body), "application/json")

    assert response.status_code == 422, response.content[:300]
    assert "amount" in response.json()["error"]["fields"]
    assert Transaction.objects.count() == before


def test_given_a_rate_written_with_a_thousands_point_in_a_file_then_the_row_is_refused(funded):
    """A spreadsheet program set to Indonesian writes sixteen thousand three hundred as
    16.300; read plainly that is 16.3, a rate 1,000 times too small (the UI review)."""
    with pytest.raises(ValidationError) as refused:
        finance.import_rates_csv(
            actor=funded.coordinator,
            partnership=funded.partnership,
            data="currency,date,rate\nUSD,2026-11-03,16.300\n",
        )

    message = " ".join(refused.value.message_dict["file"])
    assert "Row 2:" in message and "16300" in message and "16.3" in message
    assert (
        not ExchangeRate.objects.filter(partnership=funded.partnership, currency="USD")
        .filter(date="2026-11-03")
        .exists()
    )


def test_given_an_amount_written_with_a_thousands_point_in_a_file_then_a_cell_error(funded):
    rows = [expenditure_row(funded, amount="1.500", currency="USD")]

    result = importer.import_transactions(
        funded.ngo_admin, funded.partnership, io.BytesIO(csv_bytes(rows)), "books.csv", False
    )

    assert [(e.row, e.column) for e in result.errors] == [(2, "amount")]
    assert "1500" in result.errors[0].message


@pytest.mark.parametrize(("name", "value"), [("type", "abc"), ("status", "pendingx")])
def test_given_a_filter_code_that_is_none_then_the_message_says_choose(funded, name, value):
    path = f"/api/v1/partnerships/{funded.partnership.slug}/finance/transactions"

    response = client_for(funded.ngo_admin).get(path, {name: value})

    assert response.status_code == 422
    [message] = response.json()["error"]["fields"][name]
    assert message.startswith("Choose"), message


@pytest.mark.parametrize(
    ("rate", "hint"), [("16.300.000", "16300000"), ("1.085", "1.0850"), ("1.000.000", "1000000")]
)
def test_a_rate_with_thousands_points_is_told_how_to_write_it(funded, rate, hint):
    """ "1.000.000" was a 500 (the second read of the diff), and "1.085" was told to write
    "1.085"."""
    with pytest.raises(ValidationError) as refused:
        finance.import_rates_csv(
            actor=funded.coordinator,
            partnership=funded.partnership,
            data=f"currency,date,rate\nUSD,2026-11-03,{rate}\n",
        )

    message = " ".join(refused.value.message_dict["file"])
    assert "Row 2:" in message and hint in message


@pytest.mark.parametrize("activity", ["=cmd|' /C calc'!A0", "<script>x</script>", "has space"])
def test_an_activity_identifier_that_no_iati_identifier_could_be_is_refused(funded, activity):
    path = f"/api/v1/partnerships/{funded.partnership.slug}/finance/transactions"
    before = Transaction.objects.count()
    body = {
        "transaction_type": "4",
        "amount": "1000",
        "currency": "IDR",
        "value_date": "2026-04-02",
        "provider_organisation": funded.ngo.pk,
        "receiver_name": "PT Dingin Sejahtera",
        "receiver_activity_id": activity,
    }

    response = client_for(funded.ngo_admin).post(path, json.dumps(body), "application/json")

    assert response.status_code == 422, response.content[:300]
    assert "receiver_activity_id" in response.json()["error"]["fields"]
    assert Transaction.objects.count() == before


def test_a_rates_file_with_a_column_twice_is_refused(funded):
    with pytest.raises(ValidationError) as refused:
        finance.import_rates_csv(
            actor=funded.coordinator,
            partnership=funded.partnership,
            data="currency,date,rate,rate\nUSD,2025-07-20,1,2\n",
        )
    assert "rate" in " ".join(refused.value.message_dict["file"])
    assert not ExchangeRate.objects.filter(partnership=funded.partnership, rate=2).exists()
