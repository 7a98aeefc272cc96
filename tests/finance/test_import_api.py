"""POST /api/v1/partnerships/{slug}/finance/transactions/import: preview and commit."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from sinergi.finance import importer
from sinergi.finance.models import Transaction
from sinergi.ledger.models import Entry
from tests.conftest import client_for
from tests.finance.import_helpers import csv_bytes, expenditure_row, incoming_row, xlsx_bytes

pytestmark = pytest.mark.django_db


def post(person, funded, data: bytes, name: str = "books.csv", commit: str | None = None):
    path = f"/api/v1/partnerships/{funded.partnership.slug}/finance/transactions/import"
    if commit is not None:
        path += f"?commit={commit}"
    return client_for(person).post(path, {"file": SimpleUploadedFile(name, data)})


def test_given_a_good_file_when_previewed_then_rows_totals_and_nothing_written(funded):
    entries = Entry.objects.count()

    response = post(funded.ngo_admin, funded, csv_bytes([incoming_row(funded)] * 2))

    assert response.status_code == 200
    body = response.json()
    assert body["rows"] == 2 and body["errors"] == [] and body["imported"] == 0
    assert body["totals"]["base_currency"] == "IDR"
    assert body["totals"]["by_currency"] == [{"currency": "USD", "amount": "20000.00", "count": 2}]
    assert body["totals"]["by_type"] == [
        {"type": "1", "name": "Incoming funds", "amount": "316000000", "count": 2}
    ]
    assert not Transaction.objects.exists() and Entry.objects.count() == entries


def test_given_a_good_xlsx_when_committed_then_imported_with_its_ledger_record(funded):
    data = xlsx_bytes([list(expenditure_row(funded).values())])

    response = post(funded.ngo_admin, funded, data, "books.xlsx", commit="true")

    assert response.status_code == 200
    body = response.json()
    assert body["imported"] == 1 and body["ledger_index"] is not None
    assert Entry.objects.get(index=body["ledger_index"]).kind == importer.IMPORT_KIND
    assert Transaction.objects.count() == 1


def test_given_a_bad_row_when_previewed_or_committed_then_listed_and_nothing_written(funded):
    bad = incoming_row(funded, value_date="2026-02-30")
    data = csv_bytes([incoming_row(funded), bad, incoming_row(funded)])

    preview = post(funded.ngo_admin, funded, data)
    refused = post(funded.ngo_admin, funded, data, commit="true")

    expected = [{"row": 3, "column": "value_date", "message": "Enter a valid date (YYYY-MM-DD)."}]
    assert preview.status_code == 200 and preview.json()["errors"] == expected
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "invalid" and "file" in error["fields"]
    assert error["errors"] == expected and error["imported"] == 0 and error["rows"] == 3
    assert not Transaction.objects.exists()


def test_given_wrong_headers_or_a_non_spreadsheet_then_422_on_file(funded):
    for data, name in ((b"when,what\r\n1,2\r\n", "books.csv"), (b"MZ\x90\x00", "books.xlsx")):
        response = post(funded.ngo_admin, funded, data, name, commit="true")
        assert response.status_code == 422
        assert list(response.json()["error"]["fields"]) == ["file"]


def test_given_no_file_then_422_naming_the_field(funded):
    path = f"/api/v1/partnerships/{funded.partnership.slug}/finance/transactions/import"
    response = client_for(funded.ngo_admin).post(path, {})
    assert response.status_code == 422
    assert list(response.json()["error"]["fields"]) == ["file"]


def test_given_the_same_file_committed_twice_then_409_the_second_time(funded):
    data = csv_bytes([expenditure_row(funded)])
    assert post(funded.ngo_admin, funded, data, commit="true").status_code == 200

    response = post(funded.coordinator, funded, data, commit="true")

    assert response.status_code == 409
    assert response.json()["error"]["fields"]["file"]
    assert Transaction.objects.count() == 1


@pytest.mark.parametrize(
    ("who", "status"), [("outsider", 404), ("anonymous", 404), ("observer", 403)]
)
def test_given_someone_who_may_not_import_then_refused_and_nothing_written(funded, who, status):
    data = csv_bytes([incoming_row(funded)])
    response = post(getattr(funded, who, None), funded, data, commit="true")

    assert response.status_code == status
    assert not Transaction.objects.exists()


def test_given_rows_on_another_partners_books_then_row_errors_403_free(funded):
    data = csv_bytes([expenditure_row(funded, provider=funded.funder.name)])

    response = post(funded.ngo_admin, funded, data)

    assert response.status_code == 200
    [error] = response.json()["errors"]
    assert error["row"] == 2 and error["column"] == "provider"


def test_given_a_file_over_50_mb_when_uploaded_then_422_and_nothing_written(funded):
    data = csv_bytes([incoming_row(funded)])
    data += b"," * (importer.MAX_BYTES + 1 - len(data))

    response = post(funded.ngo_admin, funded, data, commit="true")

    assert response.status_code == 422
    assert "50 MB" in response.json()["error"]["fields"]["file"][0]
    assert not Transaction.objects.exists()
