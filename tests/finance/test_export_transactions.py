"""CSV and XLSX exports of a partnership's transactions: IATI-ish columns, formula-like
text neutralised, numbers kept as numbers, the CSV streamed."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.http import StreamingHttpResponse
from openpyxl import load_workbook

from sinergi.finance import export, services
from tests.conftest import client_for
from tests.finance.test_pages_read import url

pytestmark = pytest.mark.django_db

EVIL = "=cmd|' /C calc'!A0"


def record(funded):
    good = services.record_transaction(
        actor=funded.ngo_admin,
        partnership=funded.partnership,
        transaction_type="1",
        amount="10000.50",
        currency="USD",
        value_date=date(2026, 3, 15),
        provider_organisation=funded.funder,
        provider_activity_id="XM-DAC-1-FUND",
        receiver_organisation=funded.ngo,
        receiver_activity_id="ID-NGO-2026",
        budget_line=funded.line,
        description="First tranche",
    )
    evil = services.record_transaction(
        actor=funded.ngo_admin,
        partnership=funded.partnership,
        transaction_type="4",
        amount="2500000",
        currency="IDR",
        value_date=date(2026, 4, 2),
        provider_organisation=funded.ngo,
        receiver_name=EVIL,
        description="@SUM(A1:A9)",
    )
    reversal = services.reverse_transaction(
        actor=funded.ngo_admin, transaction=evil, reason="-2+3 typed by mistake"
    )
    return good, evil, reversal


def csv_rows(response) -> list[list[str]]:
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_the_csv_has_iati_columns_with_own_and_base_currency(funded):
    good, _evil, _reversal = record(funded)
    response = client_for(funded.observer).get(url(funded, "finance-export-csv"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment;" in response["Content-Disposition"]
    rows = csv_rows(response)
    header = rows[0]
    assert header[:10] == [
        "ID",
        "Type code",
        "Type",
        "Resource",
        "Value date",
        "Amount",
        "Currency",
        "Rate",
        "Rate date",
        "Amount in IDR",
    ]
    assert header[-3:] == ["Reverses", "Replaces", "Ledger entry"]
    line = next(r for r in rows[1:] if r[0] == str(good.pk))
    record_ = dict(zip(header, line, strict=True))
    assert record_["Type code"] == "1" and record_["Type"] == "Incoming funds"
    assert record_["Amount"] == "10000.50" and record_["Currency"] == "USD"
    assert record_["Rate"] == "15800" and record_["Rate date"] == "2026-01-01"
    assert record_["Amount in IDR"] == "158007900"
    assert record_["Provider"] == "Yayasan Dana Sehat"
    assert record_["Provider's IATI activity"] == "XM-DAC-1-FUND"
    assert record_["Receiver's IATI activity"] == "ID-NGO-2026"
    assert record_["Budget line"] == "Cold-chain equipment"
    assert record_["Status"] == "Recorded"
    assert record_["Ledger entry"] == str(good.ledger_index)


def test_formula_like_text_is_neutralised_in_the_csv_but_numbers_stay_numbers(funded):
    _good, evil, reversal = record(funded)
    rows = csv_rows(client_for(funded.observer).get(url(funded, "finance-export-csv")))
    header = rows[0]
    by_id = {r[0]: dict(zip(header, r, strict=True)) for r in rows[1:]}
    assert by_id[str(evil.pk)]["Receiver"] == "'" + EVIL
    assert by_id[str(evil.pk)]["Description"] == "'@SUM(A1:A9)"
    # The reversal's negative amount is a number, not text to neutralise.
    assert by_id[str(reversal.pk)]["Amount"] == "-2500000"
    assert by_id[str(reversal.pk)]["Reverses"] == str(evil.pk)


def test_formula_like_text_is_plain_text_in_the_xlsx_and_amounts_are_numbers(funded):
    good, evil, reversal = record(funded)
    response = client_for(funded.observer).get(url(funded, "finance-export-xlsx"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook.active
    rows = list(sheet.iter_rows(values_only=False))
    header = [c.value for c in rows[0]]
    by_id = {r[0].value: dict(zip(header, r, strict=True)) for r in rows[1:]}
    receiver = by_id[evil.pk]["Receiver"]
    assert receiver.value == "'" + EVIL and receiver.data_type == "s"
    assert by_id[evil.pk]["Description"].value == "'@SUM(A1:A9)"
    amount = by_id[reversal.pk]["Amount"]
    assert amount.data_type == "n" and amount.value == -2500000
    assert by_id[good.pk]["Amount"].value == pytest.approx(10000.5)
    assert by_id[good.pk]["Value date"].value.date() == date(2026, 3, 15)
    assert not any(c.data_type == "f" for row in rows for c in row), "no cell may be a formula"


def test_exports_follow_the_list_filters(funded):
    good, evil, reversal = record(funded)
    client = client_for(funded.observer)
    rows = csv_rows(client.get(url(funded, "finance-export-csv") + "?type=1"))
    assert [r[0] for r in rows[1:]] == [str(good.pk)]
    rows = csv_rows(client.get(url(funded, "finance-export-csv") + "?type=4&status=recorded"))
    assert sorted(r[0] for r in rows[1:]) == sorted([str(evil.pk), str(reversal.pk)])


def test_the_csv_reads_the_rows_in_chunks(funded, monkeypatch):
    """The body is produced while it is sent: the queryset is iterated in chunks and
    nothing is read before the response starts streaming."""
    record(funded)
    seen = []
    original = export.Transaction.objects.none().__class__.iterator

    def spy(self, chunk_size=None):
        seen.append(chunk_size)
        return original(self, chunk_size=chunk_size)

    monkeypatch.setattr(type(export.Transaction.objects.none()), "iterator", spy)
    response = client_for(funded.observer).get(url(funded, "finance-export-csv"))
    assert seen == []  # not read yet
    body = b"".join(response.streaming_content)
    assert seen == [export.CHUNK] and body.count(b"\n") == 4


def test_an_export_of_no_transactions_is_just_the_header(funded):
    rows = csv_rows(client_for(funded.observer).get(url(funded, "finance-export-csv")))
    assert len(rows) == 1
