"""Spreadsheet import bounds: a sheet of empty rows, a row reaching column XFD or a sheet
too large unpacked costs no more than a real file, and the commit refuses such a file
before it takes the ledger's lock.

The files are real workbooks (openpyxl's, with the sheet's XML replaced) sent through the
API as a browser or a script would.
"""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from sinergi.finance import importer
from sinergi.finance.models import Transaction
from sinergi.ledger import log
from tests.conftest import client_for
from tests.finance.import_helpers import HEADER, csv_bytes, expenditure_row, xlsx_bytes

pytestmark = pytest.mark.django_db

SHEET = "xl/worksheets/sheet1.xml"


def post(person, funded, data: bytes, name: str = "books.xlsx", commit: bool = False):
    path = f"/api/v1/partnerships/{funded.partnership.slug}/finance/transactions/import"
    if commit:
        path += "?commit=true"
    return client_for(person).post(path, {"file": SimpleUploadedFile(name, data)})


def file_message(response) -> str:
    assert response.status_code == 422, response.content[:300]
    return " ".join(response.json()["error"]["fields"]["file"])


def repack(data: bytes, changes: dict, added: dict[str, bytes] | None = None) -> bytes:
    """The workbook `data` with each part named in `changes` passed through its function,
    and the parts `added`."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for name in source.namelist():
            part = source.read(name)
            target.writestr(name, changes[name](part) if name in changes else part)
        for name, part in (added or {}).items():
            target.writestr(name, part)
    return out.getvalue()


def edit_sheet(data: bytes, change, part_name: str = SHEET) -> bytes:
    """The workbook `data` with its sheet's XML (or the part `part_name`) passed through
    `change`."""
    return repack(data, {part_name: change})


def with_rows(data: bytes, rows: bytes, dimension: bool = True) -> bytes:
    """The workbook `data` with `rows` (SpreadsheetML) added at the end of its sheet; without
    its <dimension> when `dimension` is False, as some programs write."""

    def change(xml: bytes) -> bytes:
        at = xml.index(b"</sheetData>")
        xml = xml[:at] + rows + xml[at:]
        return xml if dimension else re.sub(rb"<dimension [^>]*/>", b"", xml)

    return edit_sheet(data, change)


def good_xlsx(funded) -> bytes:
    return xlsx_bytes([[expenditure_row(funded)[name] for name in HEADER]])


def test_given_more_empty_rows_than_the_row_limit_then_refused_naming_the_limit(funded):
    # The review's file: <row><c r="XFD1"/></row> over and over, a 20 KB upload.
    rows = b'<row><c r="XFD1"/></row>' * (importer.MAX_ROWS + 1)
    data = with_rows(good_xlsx(funded), rows)
    assert len(data) < 50_000

    message = file_message(post(funded.ngo_admin, funded, data))

    assert message == (
        "The file has more than 200,000 rows, empty ones included; delete empty rows, or "
        "split it into smaller files."
    )


def test_given_empty_csv_lines_past_the_row_limit_then_refused_naming_the_limit(funded):
    header = ",".join(HEADER).encode()
    data = header + b"\r\n" + b",,,\r\n" * (importer.MAX_ROWS + 1)

    message = file_message(post(funded.ngo_admin, funded, data, "books.csv"))

    assert message == (
        "The file has more than 200,000 rows, empty ones included; delete empty rows, or "
        "split it into smaller files."
    )


def test_given_empty_rows_up_to_the_limit_then_the_transactions_are_read(funded):
    rows = b"<row/>" * (importer.MAX_ROWS - 1)
    response = post(funded.ngo_admin, funded, with_rows(good_xlsx(funded), rows))

    assert response.status_code == 200
    assert response.json()["rows"] == 1 and response.json()["errors"] == []


def test_given_cells_out_to_column_xfd_then_only_the_template_columns_are_read(funded):
    rows = b"".join(b'<row r="%d"><c r="XFD%d" s="0"/></row>' % (n, n) for n in range(3, 1003))
    data = with_rows(good_xlsx(funded), rows)

    read = [cells for _number, cells in importer._xlsx_rows(io.BytesIO(data))]

    assert len(read) == 1002
    assert max(len(cells) for cells in read) <= len(importer.COLUMNS)
    response = post(funded.ngo_admin, funded, data)
    assert response.status_code == 200 and response.json()["rows"] == 1


def test_given_a_filled_cell_at_column_xfd_then_the_row_is_refused_as_shifted(funded):
    cell = b'<row r="3"><c r="XFD3" t="inlineStr"><is><t>stray</t></is></c></row>'
    data = with_rows(good_xlsx(funded), cell)

    read = [cells for _number, cells in importer._xlsx_rows(io.BytesIO(data))]
    body = post(funded.ngo_admin, funded, data).json()

    assert len(read[-1]) == len(importer.COLUMNS) + 1 and read[-1][-1] == "stray"
    assert body["errors"] == [
        {
            "row": 3,
            "column": None,
            "message": "This row has more cells than the header row has columns; "
            "a column may be shifted.",
        }
    ]


def test_given_a_header_reaching_past_the_template_columns_then_it_names_the_cell(funded):
    def change(xml: bytes) -> bytes:
        at = xml.index(b"</row>")  # the end of the header row
        return xml[:at] + b'<c r="XFD1" t="inlineStr"><is><t>notes</t></is></c>' + xml[at:]

    message = file_message(post(funded.ngo_admin, funded, edit_sheet(good_xlsx(funded), change)))

    assert "unknown: notes" in message


def test_given_a_column_named_right_of_the_template_columns_then_refused_naming_its_cell(funded):
    header = [*HEADER, "", "", "", "", "kind"]  # "kind" in column M, after empty columns
    row = [*(expenditure_row(funded)[name] for name in HEADER), "", "", "", "", "cash"]

    xlsx = post(funded.ngo_admin, funded, xlsx_bytes([row], header=header))
    csv = post(
        funded.ngo_admin, funded, csv_bytes([dict(zip(header, row, strict=True))], header), "b.csv"
    )

    assert file_message(xlsx) == (
        "The first row names “kind” in cell M1, right of the template's 12 columns; "
        "remove the empty columns before it."
    )
    assert csv.status_code == 200 and csv.json()["rows"] == 1  # CSV is read whole


def test_given_a_sheet_larger_unpacked_than_allowed_then_refused_before_a_row_is_read(
    funded, monkeypatch
):
    monkeypatch.setattr(importer, "MAX_SHEET", 1024 * 1024)
    rows = b"<row/>" * (1024 * 1024 // 6 + 1)
    data = with_rows(good_xlsx(funded), rows)

    message = file_message(post(funded.ngo_admin, funded, data))

    assert message == "The sheet is larger than 1 MB once unpacked; split it."
    assert importer.MAX_SHEET == 1024 * 1024  # the constant the results import uses too


STRINGS = "xl/sharedStrings.xml"
STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


def with_shared_strings(data: bytes, extra: bytes = b"") -> bytes:
    """The workbook `data` with the description "Cold boxes" moved from an inline string
    to shared string 0, as most spreadsheet programs write texts, and `extra` (<si>
    elements) after it in the shared strings part, entered in the manifest."""
    inline = b'<c r="G2" t="inlineStr"><is><t>Cold boxes</t></is></c>'
    override = f'<Override PartName="/{STRINGS}" ContentType="{STRINGS_TYPE}"/>'.encode()
    main = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"

    def shared(xml: bytes) -> bytes:
        assert inline in xml
        return xml.replace(inline, b'<c r="G2" t="s"><v>0</v></c>')

    return repack(
        data,
        {
            SHEET: shared,
            "[Content_Types].xml": lambda xml: xml.replace(b"</Types>", override + b"</Types>"),
        },
        {STRINGS: b'<sst xmlns="' + main + b'"><si><t>Cold boxes</t></si>' + extra + b"</sst>"},
    )


def test_given_a_workbook_with_shared_strings_then_they_are_read(funded):
    data = with_shared_strings(good_xlsx(funded), b"<si><t>unused</t></si>" * 1000)

    response = client_for(funded.ngo_admin).post(
        f"/api/v1/partnerships/{funded.partnership.slug}/finance/transactions/import?commit=true",
        {"file": SimpleUploadedFile("books.xlsx", data)},
    )

    assert response.status_code == 200, response.content[:300]
    assert list(Transaction.objects.values_list("description", flat=True)) == ["Cold boxes"]


def test_given_more_shared_strings_than_a_file_may_have_then_refused_before_loading(funded):
    # 1,000,001 one-letter strings: 17 MB of XML in a small upload, which openpyxl would
    # load whole (seconds and hundreds of MB) before a row is read.
    data = with_shared_strings(good_xlsx(funded), b"<si><t>x</t></si>" * importer.MAX_STRINGS)
    assert len(data) < 300_000

    message = file_message(post(funded.ngo_admin, funded, data))

    assert message == (
        "The workbook holds more than 1,000,000 different texts; split it into files of "
        "fewer transactions."
    )


def test_given_shared_strings_larger_than_allowed_then_refused_unread(funded, monkeypatch):
    monkeypatch.setattr(importer, "MAX_SHARED_STRINGS", 10_000)
    data = with_shared_strings(good_xlsx(funded), b"<si><t>" + b"y" * 20_000 + b"</t></si>")

    assert "different texts" in file_message(post(funded.ngo_admin, funded, data))


def test_shared_strings_have_their_own_limit_not_the_other_parts(funded, monkeypatch):
    # A large workbook's texts (descriptions) may take more than the 20 MB any other
    # part may: up to MAX_SHARED_STRINGS.
    monkeypatch.setattr(importer, "MAX_PART", 15_000)  # the theme part is 10 KB
    data = with_shared_strings(good_xlsx(funded), b"<si><t>" + b"y" * 20_000 + b"</t></si>")

    response = post(funded.ngo_admin, funded, data)

    assert response.status_code == 200, response.content[:300]
    assert response.json()["rows"] == 1


@pytest.mark.parametrize("part", ["xl/styles.xml", "xl/workbook.xml", "docProps/core.xml"])
def test_given_a_part_openpyxl_loads_whole_over_the_limit_then_refused(funded, monkeypatch, part):
    # openpyxl parses these whole into a tree: a styles part of hundreds of MB (a small
    # upload, zipped) would take gigabytes. A comment keeps the XML valid.
    monkeypatch.setattr(importer, "MAX_PART", 20_000)
    data = edit_sheet(good_xlsx(funded), lambda xml: xml + b"<!--" + b"z" * 30_000 + b"-->", part)

    message = file_message(post(funded.ngo_admin, funded, data))

    assert message == "The workbook is too large once unpacked; split it."


def test_the_sheet_limit_is_the_results_imports(funded):
    from sinergi.core import xlsx
    from sinergi.results import spreadsheet

    assert importer.MAX_SHEET is xlsx.MAX_SHEET is spreadsheet.MAX_SHEET


@pytest.mark.parametrize(
    ("rows", "words"),
    [
        (b"<row/>" * (importer.MAX_ROWS + 1), "more than 200,000 rows"),
        (b'<row><c r="A3" t="s"><v>99</v></c></row>', "Cell A3 points to text"),
    ],
)
def test_given_a_commit_of_a_file_that_cannot_be_read_then_refused_without_the_ledger_lock(
    funded, rows, words
):
    data = with_rows(good_xlsx(funded), rows, dimension=False)
    writes = log.writes()

    message = file_message(post(funded.ngo_admin, funded, data, commit=True))

    assert words in message
    assert log.writes() == writes  # neither the ledger's lock nor a write was taken
    assert not Transaction.objects.exists()


def test_given_a_good_file_without_a_dimension_when_committed_then_imported(funded):
    data = with_rows(good_xlsx(funded), b"<row/>" * 10, dimension=False)
    writes = log.writes()

    response = post(funded.ngo_admin, funded, data, commit=True)

    assert response.status_code == 200 and response.json()["imported"] == 1
    assert log.writes() > writes
    assert Transaction.objects.count() == 1
