"""Spreadsheet import: every row checked, nothing written on a preview, all or nothing."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from sinergi.core.errors import Conflict
from sinergi.finance import export, importer
from sinergi.finance.models import Rollup, Transaction, TransactionStatus
from sinergi.finance.services import set_approval_rule
from sinergi.ledger.models import Entry
from tests.finance.import_helpers import (
    HEADER,
    csv_bytes,
    expenditure_row,
    incoming_row,
    xlsx_bytes,
)


def run(funded, data: bytes, name: str = "books.csv", commit: bool = False, actor=None):
    return importer.import_transactions(
        actor or funded.ngo_admin, funded.partnership, io.BytesIO(data), name, commit
    )


def counts() -> tuple[int, int, int]:
    return Transaction.objects.count(), Entry.objects.count(), Rollup.objects.count()


def file_error(excinfo) -> str:
    return " ".join(excinfo.value.message_dict["file"])


# ---------------------------------------------------------------- happy paths


def test_given_a_good_csv_when_previewed_then_totals_shown_and_nothing_written(funded):
    before = counts()
    data = csv_bytes([incoming_row(funded), expenditure_row(funded)])

    result = run(funded, data)

    assert result.ok and result.rows == 2 and result.errors == []
    assert result.by_currency["USD"].amount == Decimal("10000.00")
    assert result.by_currency["IDR"].amount == Decimal("50000000")
    assert result.by_type["1"].amount == Decimal("158000000")  # at 15,800 IDR per USD
    assert result.by_type["4"].count == 1
    assert result.imported == 0
    assert counts() == before


def test_given_a_good_csv_when_committed_then_every_row_recorded_with_ledger_and_totals(funded):
    entries = Entry.objects.count()
    data = csv_bytes([incoming_row(funded), expenditure_row(funded)])

    result = run(funded, data, commit=True)

    assert result.imported == 2
    rows = list(Transaction.objects.order_by("pk"))
    assert [tx.transaction_type for tx in rows] == ["1", "4"]
    incoming, spent = rows
    assert incoming.provider_organisation == funded.funder
    assert incoming.receiver_organisation == funded.ngo
    assert incoming.budget_line == funded.line and incoming.base_amount == Decimal("158000000")
    assert spent.receiver_organisation is None and spent.receiver_name == "PT Dingin Sejahtera"
    assert spent.recorded_by == funded.ngo_admin
    assert all(tx.ledger_index for tx in rows)
    # two transactions and the import's own record, naming the file by its hash
    assert Entry.objects.count() == entries + 3
    record = Entry.objects.get(index=result.ledger_index)
    payload = json.loads(bytes(record.body))["payload"]
    assert record.kind == importer.IMPORT_KIND
    assert payload["sha256"] == result.sha256 and payload["transactions"] == 2
    assert Rollup.objects.get(transaction_type="4").amount == Decimal("50000000")


def test_given_an_xlsx_with_date_and_number_cells_when_committed_then_recorded(funded):
    funded.ngo.iati_identifier = "ID-KHH-0001"
    funded.ngo.save()
    data = xlsx_bytes(
        [
            ["1", datetime(2026, 3, 15), 10000.5, "usd", funded.funder.name, "ID-KHH-0001"],
            [4, date(2026, 4, 2), 50000000, "IDR", "ID-KHH-0001", "Toko Es", "Ice", ""],
        ]
    )

    result = run(funded, data, name="books.xlsx", commit=True)

    assert result.errors == [] and result.imported == 2
    incoming = Transaction.objects.get(transaction_type="1")
    assert incoming.amount == Decimal("10000.5") and incoming.currency == "USD"
    assert incoming.value_date == date(2026, 3, 15)
    assert incoming.receiver_organisation == funded.ngo
    assert Transaction.objects.get(transaction_type="4").provider_organisation == funded.ngo


def test_given_an_amount_cell_formatted_as_a_percentage_then_a_row_error(funded):
    """Given an amount whose cell shows 50% (stored as 0.5, as a spreadsheet program
    stores a typed "50%"), then the row is refused naming the cell's percentage rather
    than recording an amount of 0.50; a description cell formatted the same way is read
    as the text it shows."""
    from openpyxl import load_workbook

    workbook = load_workbook(
        io.BytesIO(
            xlsx_bytes(
                [
                    [4, date(2026, 4, 2), 0.5, "IDR", funded.ngo.name, "Toko Es", 0.25, ""],
                    [4, date(2026, 4, 3), 70000, "IDR", funded.ngo.name, "Toko Es", 0.25, ""],
                ]
            )
        )
    )
    sheet = workbook.active
    for cell in ("C2", "G2", "G3"):
        sheet[cell].number_format = "0%"
    buffer = io.BytesIO()
    workbook.save(buffer)
    before = counts()

    result = run(funded, buffer.getvalue(), name="books.xlsx", commit=True)

    assert [(e.row, e.column, e.message) for e in result.errors] == [
        (2, "amount", "“50%” is a percentage; enter the amount itself.")
    ]
    assert result.imported == 0 and counts() == before

    sheet.delete_rows(2)
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = run(funded, buffer.getvalue(), name="books.xlsx", commit=True)

    assert result.errors == [] and result.imported == 1
    assert Transaction.objects.get().description == "25%"


def test_given_headers_in_other_case_order_and_semicolons_when_read_then_accepted(funded):
    header = ["Receiver", "Provider", "AMOUNT", "Value date", "Type", "currency"]
    row = incoming_row(funded)
    data = csv_bytes(
        [
            {
                "Receiver": row["receiver"],
                "Provider": row["provider"],
                "AMOUNT": "10000",
                "Value date": row["value_date"],
                "Type": "Incoming funds",
                "currency": "USD",
            }
        ],
        header=header,
        delimiter=";",
    )

    result = run(funded, data)

    assert result.errors == [] and result.rows == 1


def test_given_blank_lines_when_read_then_skipped_and_row_numbers_kept(funded):
    text = csv_bytes([incoming_row(funded)]).decode("utf-8") + "\r\n,,,,,,,\r\n"
    text += csv_bytes([incoming_row(funded, amount="oops")]).decode("utf-8-sig").split("\r\n")[1]

    result = run(funded, text.encode("utf-8"))

    assert result.rows == 2
    assert [(e.row, e.column) for e in result.errors] == [(5, "amount")]  # 3, 4 blank


# ---------------------------------------------------------------- bad rows


def test_given_a_bad_row_in_the_middle_when_committed_then_listed_and_nothing_written(funded):
    before = counts()
    rows = [incoming_row(funded) for _ in range(5)]
    rows[2] = incoming_row(funded, currency="XYZ", value_date="15/03/2026")
    data = csv_bytes(rows)

    preview = run(funded, data)
    result = run(funded, data, commit=True)

    for outcome in (preview, result):
        assert outcome.rows == 5 and not outcome.ok
        assert {(e.row, e.column) for e in outcome.errors} == {
            (4, "currency"),
            (4, "value_date"),
        }
    assert result.imported == 0
    assert counts() == before


def test_given_a_bad_row_after_a_written_chunk_when_committed_then_nothing_kept(
    funded, monkeypatch
):
    monkeypatch.setattr(importer, "CHUNK", 2)
    before = counts()
    rows = [expenditure_row(funded) for _ in range(6)]
    rows[5] = expenditure_row(funded, amount="1000.50")  # IDR has no cents

    result = run(funded, csv_bytes(rows), commit=True)

    assert [(e.row, e.column) for e in result.errors] == [(7, "amount")]
    assert result.imported == 0
    assert counts() == before


def test_given_text_in_the_amount_when_read_then_a_cell_error(funded):
    rows = [
        incoming_row(funded, amount="ten thousand"),
        incoming_row(funded, amount="1,500.00"),
        incoming_row(funded, amount="+5"),
        incoming_row(funded, amount="1e3"),
        incoming_row(funded, amount="-5"),
        incoming_row(funded, amount="0"),
        incoming_row(funded, amount=""),
    ]

    result = run(funded, csv_bytes(rows))

    assert [(e.row, e.column) for e in result.errors] == [(n, "amount") for n in range(2, 9)]
    messages = [e.message for e in result.errors]
    assert "decimal number" in messages[0]
    assert "more than zero" in messages[4] and "more than zero" in messages[5]
    assert "required" in messages[6]


def test_given_a_shifted_column_when_read_then_the_row_is_refused(funded):
    good = incoming_row(funded)
    # the date is missing, so everything after it moved one cell to the left
    shifted = [good["type"], good["amount"], good["currency"], good["provider"], good["receiver"]]
    shifted += [good["description"], good["budget_line"], "extra"]
    text = csv_bytes([good]).decode("utf-8") + ",".join(shifted) + "\r\n"
    # and a row that is one cell longer than the header
    text += ",".join([*csv_bytes([good]).decode("utf-8-sig").split("\r\n")[1].split(","), "x"])

    result = run(funded, text.encode("utf-8"))

    assert result.rows == 3 and not result.ok
    by_row: dict[int, set] = {}
    for error in result.errors:
        by_row.setdefault(error.row, set()).add(error.column)
    assert {"value_date", "amount", "currency"} <= by_row[3]
    assert by_row[4] == {None}
    assert 2 not in by_row


def test_given_unknown_parties_budget_lines_and_pledges_when_read_then_named(funded):
    rows = [
        incoming_row(funded, receiver="Someone Else"),  # the books must be a partner
        incoming_row(funded, budget_line="No such line"),
        incoming_row(funded, provider=funded.ngo.name),  # provider equals receiver
        {**incoming_row(funded), "type": "99"},
    ]
    header = [*HEADER, "pledge", "kind"]
    rows.append({**incoming_row(funded), "pledge": "123456", "kind": "gold"})

    result = run(funded, csv_bytes(rows, header=header))

    assert [(e.row, e.column) for e in result.errors] == [
        (2, "receiver"),
        (3, "budget_line"),
        (4, "receiver"),
        (5, "type"),
        (6, "pledge"),
        (6, "kind"),
    ]


@pytest.mark.parametrize("written", ["²", "³", "1" * 4301, "1" * 20, "\u0661", "\u0663", " 1 1"])
def test_given_a_budget_line_or_pledge_id_in_other_digits_then_the_row_says_choose_one(
    funded, written
):
    """Only ASCII digits name a row by its id: "²" passed str.isdigit and then failed
    int() (a 500), 4,301 digits failed it with Python's own words, and Arabic-Indic "٣"
    was read as 3 and picked budget line or pledge 3."""
    header = [*HEADER, "pledge"]
    rows = [
        incoming_row(funded, budget_line=written),
        {**incoming_row(funded), "pledge": written},
    ]

    result = run(funded, csv_bytes(rows, header=header))

    assert [(e.row, e.column, e.message) for e in result.errors] == [
        (2, "budget_line", "Choose a budget line of this partnership (its id or exact title)."),
        (3, "pledge", "Choose a pledge of this partnership (its id)."),
    ]


def test_a_budget_line_id_is_taken_in_ascii_digits_only(funded):
    ascii_id = str(funded.line.pk)
    arabic_indic = ascii_id.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))

    assert run(funded, csv_bytes([incoming_row(funded, budget_line=ascii_id)])).ok
    refused = run(funded, csv_bytes([incoming_row(funded, budget_line=arabic_indic)]))
    assert [(e.row, e.column) for e in refused.errors] == [(2, "budget_line")]


def test_given_a_missing_rate_for_many_rows_when_read_then_each_row_says_so(funded):
    rows = [incoming_row(funded, currency="EUR") for _ in range(50)]

    result = run(funded, csv_bytes(rows))

    assert result.error_count == 50
    assert all(e.column == "currency" and "EUR" in e.message for e in result.errors)


def test_given_many_bad_rows_when_read_then_errors_capped_but_counted(funded, monkeypatch):
    monkeypatch.setattr(importer, "MAX_ERRORS", 3)
    rows = [incoming_row(funded, amount="x") for _ in range(10)]

    result = run(funded, csv_bytes(rows))

    assert len(result.errors) == 3 and result.error_count == 10 and result.errors_left_out == 7


def test_given_expenditures_above_the_threshold_when_imported_then_they_await_approval(funded):
    set_approval_rule(actor=funded.coordinator, partnership=funded.partnership, threshold="1000000")

    result = run(funded, csv_bytes([expenditure_row(funded)]), commit=True)

    assert result.pending == 1
    assert Transaction.objects.get().status == TransactionStatus.PENDING
    assert not Rollup.objects.filter(transaction_type="4").exists()


# ---------------------------------------------------------------- formula-like cells


FORMULAS = ["=cmd|' /C calc'!A0", "+SUM(1+1)", "-2+3", "@SUM(A1)"]


def test_given_formula_like_text_when_imported_then_stored_as_text_and_neutralised_on_export(
    funded,
):
    rows = [expenditure_row(funded, description=text, receiver=text) for text in FORMULAS]

    result = run(funded, csv_bytes(rows), commit=True)

    assert result.imported == 4
    stored = set(Transaction.objects.values_list("description", flat=True))
    assert stored == set(FORMULAS)
    assert set(Transaction.objects.values_list("receiver_name", flat=True)) == set(FORMULAS)
    lines = export.csv_lines(funded.partnership, Transaction.objects.all())
    exported = list(csv.reader(line.lstrip("\ufeff") for line in lines))[1:]
    cells = [cell for row in exported for cell in row]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "@")]
    assert sum(1 for cell in cells if cell.startswith("'")) == 8  # receiver and description


def test_given_real_formula_cells_in_xlsx_when_read_then_never_computed(funded):
    formula = "=cmd|' /C calc'!A0"
    bad = ["4", "2026-04-02", "=1+1", "IDR", funded.ngo.name, "Toko", "ok", ""]
    good = ["4", "2026-04-02", "1000", "IDR", funded.ngo.name, "Toko", formula, ""]

    preview = run(funded, xlsx_bytes([bad, good]), name="books.xlsx")
    result = run(funded, xlsx_bytes([good]), name="books.xlsx", commit=True)

    assert [(e.row, e.column) for e in preview.errors] == [(2, "amount")]
    assert result.imported == 1
    assert Transaction.objects.get().description == formula


# ---------------------------------------------------------------- whole-file problems


@pytest.mark.parametrize(
    ("header", "named"),
    [
        (["type", "date", "amount", "provider", "receiver"], ["value_date", "date"]),
        (["type", "value_date", "amount", "provider"], ["receiver"]),
        (["type", "value_date", "amount", "provider", "receiver", "amount"], ["amount"]),
        (["10000", "2026-01-01", "x", "y", "z"], ["type", "10000"]),
    ],
)
def test_given_wrong_or_missing_headers_when_read_then_one_error_naming_them(funded, header, named):
    before = counts()
    data = csv_bytes([dict.fromkeys(header, "1")], header=header)

    with pytest.raises(ValidationError) as excinfo:
        run(funded, data, commit=True)

    message = file_error(excinfo)
    assert len(excinfo.value.message_dict["file"]) == 1
    assert all(name in message for name in named)
    assert counts() == before


@pytest.mark.parametrize(
    ("data", "name", "words"),
    [
        (b"", "books.csv", "empty"),
        (b"\xef\xbb\xbf", "books.csv", "empty"),
        (b"type,value_date,amount,provider,receiver\r\n", "books.csv", "no transactions"),
        (b"%PDF-1.4 not a workbook", "books.xlsx", "not an Excel workbook"),
        (b"PK\x03\x04 truncated zip", "books.xlsx", "not an Excel workbook"),
        (b"type,amount\r\n", "books.pdf", ".csv"),
        (b"type,amount\r\n", "books.xls", ".xlsx"),
        (
            "type,value_date,amount,provider,receiver\r\n4,2026-01-01,1,caf\xe9,x".encode(
                "latin-1"
            ),
            "books.csv",
            "not UTF-8 text (line 2)",
        ),
        ("type,value_date".encode("utf-16"), "books.csv", "UTF-16"),
        (
            b'type,value_date,amount,provider,receiver\r\n4,2026-01-01,"1,x,y\r\n'
            b"4,2026-01-02,2,x,y\r\n",
            "books.csv",
            "a quote that opens a cell is never closed",
        ),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "books.csv", "UTF-8"),
    ],
)
def test_given_a_file_that_is_not_a_usable_spreadsheet_when_read_then_a_clear_error(
    funded, data, name, words
):
    with pytest.raises(ValidationError) as excinfo:
        run(funded, data, name=name)

    assert words in file_error(excinfo)


def test_given_an_xlsx_renamed_csv_when_read_then_told_to_name_it_xlsx(funded):
    with pytest.raises(ValidationError) as excinfo:
        run(funded, xlsx_bytes([]), name="books.csv")
    assert ".xlsx" in file_error(excinfo)


def test_given_a_file_over_50_mb_when_imported_then_refused_before_reading(funded):
    before = counts()
    with tempfile.TemporaryFile() as handle:
        handle.write(csv_bytes([incoming_row(funded)]))
        handle.truncate(importer.MAX_BYTES + 1)  # sparse: no 50 MB written
        with pytest.raises(ValidationError) as excinfo:
            importer.import_transactions(
                funded.ngo_admin, funded.partnership, handle, "books.csv", True
            )
    assert "50 MB" in file_error(excinfo)
    assert counts() == before


def test_given_more_rows_than_allowed_when_read_then_refused(funded, monkeypatch):
    monkeypatch.setattr(importer, "MAX_ROWS", 3)
    data = csv_bytes([incoming_row(funded) for _ in range(4)])

    with pytest.raises(ValidationError) as excinfo:
        run(funded, data, commit=True)

    assert "more than 3 rows" in file_error(excinfo)
    assert not Transaction.objects.exists()


# ---------------------------------------------------------------- permission


def test_given_a_partner_admin_when_rows_are_on_another_partners_books_then_row_errors(funded):
    rows = [
        expenditure_row(funded),
        expenditure_row(funded, provider=funded.company.name),  # the company's books
        incoming_row(funded, receiver=funded.company.name),
    ]

    result = run(funded, csv_bytes(rows), commit=True)

    assert [(e.row, e.column) for e in result.errors] == [(3, "provider"), (4, "receiver")]
    assert "own organisation" in result.errors[0].message
    assert result.imported == 0 and not Transaction.objects.exists()


def test_given_a_coordinator_when_rows_are_on_any_partners_books_then_imported(funded):
    rows = [expenditure_row(funded, provider=funded.company.name), expenditure_row(funded)]

    result = run(funded, csv_bytes(rows), commit=True, actor=funded.coordinator)

    assert result.imported == 2


@pytest.mark.parametrize("who", ["observer", "outsider"])
def test_given_an_observer_or_outsider_when_importing_then_refused(funded, who):
    with pytest.raises(PermissionDenied):
        run(funded, csv_bytes([incoming_row(funded)]), actor=getattr(funded, who))


# ---------------------------------------------------------------- twice, and failing writes


def test_given_a_file_already_imported_when_imported_again_then_refused(funded):
    data = csv_bytes([incoming_row(funded)])
    first = run(funded, data, commit=True)

    for commit in (False, True):
        with pytest.raises(Conflict) as excinfo:
            run(funded, data, commit=commit, actor=funded.coordinator)
        assert f"#{first.ledger_index}" in excinfo.value.message

    assert Transaction.objects.count() == 1


def _fail_inserts_described(text: str) -> None:
    """A database trigger that refuses rows with this description: a real write failure."""
    table = Transaction._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION refuse_row() RETURNS trigger AS $$ BEGIN "
                f"IF NEW.description = '{text}' THEN "
                "RAISE EXCEPTION USING ERRCODE = 'check_violation'; END IF; "
                "RETURN NEW; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                f"CREATE TRIGGER refuse BEFORE INSERT ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION refuse_row()"
            )
        else:
            cursor.execute(
                f"CREATE TRIGGER refuse BEFORE INSERT ON {table} "
                f"WHEN NEW.description = '{text}' BEGIN SELECT RAISE(ABORT, 'refused'); END"
            )


def test_given_a_write_failing_mid_way_when_committed_then_nothing_is_kept(funded, monkeypatch):
    monkeypatch.setattr(importer, "CHUNK", 2)
    head = Entry.objects.order_by("-index").values_list("index", flat=True).first()
    before = counts()
    rows = [expenditure_row(funded) for _ in range(5)]
    rows[4] = expenditure_row(funded, description="boom")
    _fail_inserts_described("boom")

    with pytest.raises(ValidationError) as excinfo:
        run(funded, csv_bytes(rows), commit=True)

    assert "none was imported" in file_error(excinfo)
    assert counts() == before
    assert Entry.objects.order_by("-index").values_list("index", flat=True).first() == head


# ---------------------------------------------------------------- reconciled with the ledger


def test_given_an_import_with_pledge_deliveries_when_checked_then_ledger_and_rows_match(
    funded, monkeypatch
):
    from sinergi.finance import reconcile
    from sinergi.finance.services import record_pledge

    monkeypatch.setattr(importer, "CHUNK", 2)
    pledge = record_pledge(
        actor=funded.funder_admin,
        partnership=funded.partnership,
        organisation=funded.funder,
        amount="20000.00",
        currency="USD",
        pledged_on=date(2026, 1, 10),
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
    )
    header = [*HEADER, "pledge"]
    rows = [{**incoming_row(funded), "pledge": str(pledge.pk)} for _ in range(2)]
    rows += [expenditure_row(funded) for _ in range(3)]

    result = run(funded, csv_bytes(rows, header=header), commit=True)

    assert result.imported == 5
    pledge.refresh_from_db()
    assert pledge.status == "fulfilled" and pledge.delivered_base == Decimal("316000000")
    assert reconcile.reconcile(funded.partnership) == []


def test_given_an_import_record_that_overstates_when_checked_then_a_mismatch(funded):
    from sinergi.finance import reconcile

    result = run(funded, csv_bytes([expenditure_row(funded)] * 2), commit=True)
    Transaction.objects.filter(ledger_index=result.ledger_index - 1).update(ledger_index=None)

    problems = [m.problem for m in reconcile.reconcile(funded.partnership)]

    assert any("names 2 transactions; 1 were written" in p for p in problems)


def test_given_partners_written_as_people_write_them_when_read_then_each_is_the_partner(funded):
    """A partner is found by its acronym, its short name, "Name (ACRONYM)" as the pickers
    show it, or its name in other case; a spelling two partners share is a cell error
    naming the way out, and nothing else about the row changes."""
    funded.funder.acronym = "YDS"
    funded.funder.save()
    funded.ngo.acronym = "LVN"
    funded.ngo.save()
    spellings = [
        ("YDS", "LVN"),
        (funded.funder.slug, funded.ngo.slug),
        (f"{funded.funder.name} (YDS)", f"{funded.ngo.name} (LVN)"),
        (funded.funder.name.upper(), funded.ngo.name.lower()),
    ]
    rows = [incoming_row(funded, provider=p, receiver=r) for p, r in spellings]

    result = run(funded, csv_bytes(rows), commit=True)

    assert result.errors == []
    assert result.imported == len(spellings)
    for tx in Transaction.objects.order_by("pk"):
        assert (tx.provider_organisation, tx.receiver_organisation) == (funded.funder, funded.ngo)
        assert (tx.provider_name, tx.receiver_name) == ("", "")

    funded.company.acronym = "YDS"  # now two partners answer to YDS
    funded.company.save()
    before = counts()
    shared = run(funded, csv_bytes([incoming_row(funded, provider="yds")]), commit=True)
    assert [(e.row, e.column) for e in shared.errors] == [(2, "provider")]
    assert "IATI identifier" in shared.errors[0].message
    assert counts() == before
