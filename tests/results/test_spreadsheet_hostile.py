"""Hostile input to the results spreadsheet round trip: odd digits and labels in the
query or the meta sheet, crafted workbooks, and values changed by someone else between
the check and the write. Each gets a clear error (never a 500), quickly, and nothing is
written."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from sinergi.results import spreadsheet as ss
from sinergi.results.models import Submission
from tests.conftest import client_for
from tests.results.spreadsheet_helpers import fill

pytestmark = pytest.mark.django_db

GOOD = {("1.1", ""): 100, ("1.1", "sex:female"): 60, ("1.1", "sex:male"): 40}


def _api(m) -> str:
    return f"/api/v1/partnerships/{m.partnership.slug}/results/spreadsheet"


def _page(m, name: str = "results-spreadsheet-template") -> str:
    return reverse(name, args=[m.partnership.slug])


def _template(m) -> bytes:
    return ss.build_template(
        actor=m.ngo_admin, partnership=m.partnership, period=m.q1, organisation=m.ngo
    )


def _set_meta(key: str, value: object):
    def edit(workbook) -> None:
        for row in workbook["meta"].iter_rows():
            if row[0].value == key:
                row[1].value = value

    return edit


def _file_error(m, fileobj, **kwargs) -> str:
    """The file error of both the preview and the commit; nothing written."""
    for commit in (False, True):
        fileobj.seek(0)
        with pytest.raises(ValidationError) as error:
            ss.import_values(
                actor=m.ngo_admin,
                partnership=m.partnership,
                fileobj=fileobj,
                filename="filled.xlsx",
                commit=commit,
                **kwargs,
            )
    assert not Submission.objects.exists()
    return " ".join(error.value.message_dict["file"])


# ---------------------------------------------------------------- digits


@pytest.mark.parametrize("organisation", ["²", "١٢", "1" * 40, "-1", "1e3"])
def test_given_odd_digits_for_the_partner_when_getting_the_template_then_422_not_500(
    monitored, organisation
):
    m = monitored
    client = client_for(m.coordinator)
    params = {"period": "2025-Q1", "organisation": organisation}
    response = client.get(f"{_api(m)}/template", params)
    assert response.status_code == 422
    assert "organisation" in response.json()["error"]["fields"]
    assert client.get(_page(m), params).status_code == 422


@pytest.mark.parametrize("organisation", ["²", "1" * 40])
def test_given_odd_digits_for_the_partner_in_the_meta_sheet_then_a_file_error(
    monitored, organisation
):
    m = monitored
    filled = fill(_template(m), GOOD, edit=_set_meta("organisation", organisation))
    assert "partner that is not in this partnership" in _file_error(m, filled)


# ---------------------------------------------------------------- period labels

FULL_WIDTH = "\uff12\uff10\uff12\uff15-Q1"  # "2025-Q1" in full-width digits
ODD_PERIODS = ["9999", "9999-Q4", "9999-12", "0000-Q1", "1899-Q4", "2201", FULL_WIDTH, "2025-Q²"]


@pytest.mark.parametrize("period", ODD_PERIODS)
def test_given_an_extreme_period_label_when_getting_the_template_then_422_on_period(
    monitored, period
):
    m = monitored
    client = client_for(m.coordinator)
    params = {"period": period, "organisation": str(m.ngo.pk)}
    response = client.get(f"{_api(m)}/template", params)
    assert response.status_code == 422
    assert "period" in response.json()["error"]["fields"]
    assert client.get(_page(m), params).status_code == 422


@pytest.mark.parametrize("period", ["9999-Q4", FULL_WIDTH])
def test_given_an_extreme_period_label_when_uploading_then_422_on_period(monitored, period):
    from django.core.files.uploadedfile import SimpleUploadedFile

    m = monitored
    data = fill(_template(m), GOOD).getvalue()
    for action in ("preview", "import"):
        response = client_for(m.ngo_admin).post(
            f"{_api(m)}/{action}",
            {"file": SimpleUploadedFile("filled.xlsx", data), "period": period},
        )
        assert response.status_code == 422
        assert "period" in response.json()["error"]["fields"]
    assert not Submission.objects.exists()


@pytest.mark.parametrize("period", ["9999-Q4", "9999", "0001-01", FULL_WIDTH])
def test_given_an_extreme_period_in_the_meta_sheet_then_a_file_error(monitored, period):
    m = monitored
    filled = fill(_template(m), GOOD, edit=_set_meta("period", period))
    assert "which this partnership does not have" in _file_error(m, filled)


# ---------------------------------------------------------------- a new responsible partner


def test_given_a_new_responsible_partner_then_the_former_ones_draft_is_not_in_its_template(
    monitored,
):
    from decimal import Decimal

    from sinergi.results import services
    from sinergi.results.models import Indicator
    from tests.results.spreadsheet_helpers import rows_of

    m = monitored
    services.save_draft(
        actor=m.health_admin,
        indicator=m.coverage,
        period=m.q1,
        value="55",
        narrative="Health's own notes",
        values={"sex:female": "50"},
    )
    services.save_draft(actor=m.ngo_admin, indicator=m.trained, period=m.q1, value="9")
    Indicator.objects.filter(pk=m.coverage.pk).update(responsible=m.ngo)

    body = _template(m)
    rows = {(row[0], row[2] or ""): row for row in rows_of(body)[1:]}
    assert rows[("2.1", "")][7] is None and rows[("2.1", "")][8] is None
    assert rows[("2.1", "sex:female")][7] is None
    assert rows[("1.1", "")][7] == 9  # the partner's own draft is pre-filled

    filled = fill(body, {("2.1", ""): 60})
    filled.seek(0)
    result = ss.import_values(
        actor=m.ngo_admin,
        partnership=m.partnership,
        fileobj=filled,
        filename="filled.xlsx",
        commit=True,
    )
    assert result.written == 1 and result.changed_drafts == 1
    draft = Submission.objects.get(indicator=m.coverage)
    assert draft.value == Decimal("60") and draft.organisation_id == m.ngo.pk


# ---------------------------------------------------------------- changed meanwhile


def _health_template(m) -> bytes:
    return ss.build_template(
        actor=m.health_admin, partnership=m.partnership, period=m.q1, organisation=m.health
    )


@pytest.mark.parametrize("submit", [False, True])
def test_given_a_returned_draft_approved_meanwhile_when_committed_then_conflict_and_untouched(
    monitored, monkeypatch, submit
):
    from decimal import Decimal

    from sinergi.core.errors import Conflict
    from sinergi.results import services
    from sinergi.results.models import Status

    m = monitored
    draft = services.save_draft(
        actor=m.health_admin,
        indicator=m.coverage,
        period=m.q1,
        value="70",
        narrative="first",
        values={"sex:female": "71"},
    )
    services.submit(actor=m.health_admin, submission=draft)
    services.return_submission(actor=m.coordinator, submission=draft, comment="Check it")
    filled = fill(_health_template(m), {("2.1", ""): 72}, narrative={"2.1": "second"})

    load = ss._load_context

    def load_then_approved_meanwhile(*args, **kwargs):
        context = load(*args, **kwargs)  # the import plans on the returned draft...
        services.submit(actor=m.health_admin, submission=draft)
        services.approve(actor=m.coordinator, submission=draft)  # ...which is now in force
        return context

    monkeypatch.setattr(ss, "_load_context", load_then_approved_meanwhile)
    with pytest.raises(Conflict) as error:
        ss.import_values(
            actor=m.health_admin,
            partnership=m.partnership,
            fileobj=filled,
            filename="filled.xlsx",
            commit=True,
            submit=submit,
        )
    assert error.value.field == "file"
    assert error.value.message == (
        "Someone else changed the value of 2.1 at the same time; check the file again."
    )
    # The import's transaction is undone, the concurrent approval with it (one transaction
    # here); on PostgreSQL the approval commits apart and its row is left alone.
    submission = Submission.objects.get()
    assert submission.value == Decimal("70") and submission.narrative == "first"
    assert submission.status == Status.RETURNED


def test_given_an_approval_meanwhile_when_imported_through_the_api_then_409(monitored, monkeypatch):
    from sinergi.results import services

    m = monitored
    draft = services.save_draft(actor=m.health_admin, indicator=m.coverage, period=m.q1, value="70")
    filled = fill(_health_template(m), {("2.1", ""): 72})
    load = ss._load_context

    def load_then_approved_meanwhile(*args, **kwargs):
        context = load(*args, **kwargs)
        services.submit(actor=m.health_admin, submission=draft)
        services.approve(actor=m.coordinator, submission=draft)
        return context

    monkeypatch.setattr(ss, "_load_context", load_then_approved_meanwhile)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client_for(m.health_admin).post(
        f"{_api(m)}/import", {"file": SimpleUploadedFile("filled.xlsx", filled.getvalue())}
    )
    assert response.status_code == 409
    assert "2.1 at the same time" in response.json()["error"]["message"]


# ---------------------------------------------------------------- crafted workbooks

SHEET = "xl/worksheets/sheet1.xml"
STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


def _repack(fileobj, parts: dict[str, bytes]):
    """The workbook with `parts` replaced or added (a new shared strings part is entered
    in the manifest, as a spreadsheet program would)."""
    import io
    import zipfile

    fileobj.seek(0)
    out = io.BytesIO()
    with zipfile.ZipFile(fileobj) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        names = source.namelist()
        for name in names:
            data = parts.get(name, source.read(name))
            if name == "[Content_Types].xml" and "xl/sharedStrings.xml" in parts:
                override = (
                    f'<Override PartName="/xl/sharedStrings.xml" ContentType="{STRINGS_TYPE}"/>'
                )
                data = data.replace(b"</Types>", override.encode() + b"</Types>")
            z.writestr(name, data)
        for name, data in parts.items():
            if name not in names:
                z.writestr(name, data)
    out.seek(0)
    return out


def _sheet(fileobj) -> bytes:
    import zipfile

    fileobj.seek(0)
    with zipfile.ZipFile(fileobj) as archive:
        return archive.read(SHEET)


def _with_cell(fileobj, row: int, cell: str):
    """The workbook with `cell` (XML) added at the end of sheet row `row`."""
    xml = _sheet(fileobj)
    at = xml.index(b"</row>", xml.index(f'<row r="{row}"'.encode()))
    return _repack(fileobj, {SHEET: xml[:at] + cell.encode() + xml[at:]})


def _with_rows(fileobj, rows: bytes):
    xml = _sheet(fileobj)
    at = xml.index(b"</sheetData>")
    return _repack(fileobj, {SHEET: xml[:at] + rows + xml[at:]})


def _quick_file_error(m, fileobj, seconds: float = 3.0) -> str:
    import time

    began = time.perf_counter()
    message = _file_error(m, fileobj)
    assert time.perf_counter() - began < seconds
    return message


def _strings(count: int, text: bytes = b"x") -> bytes:
    main = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    return b"".join(
        [b'<sst xmlns="', main, b'">', (b"<si><t>" + text + b"</t></si>") * count, b"</sst>"]
    )


def test_given_more_shared_strings_than_a_template_can_have_then_refused_before_loading(
    monitored,
):
    m = monitored
    # 1,000,001 one-letter strings: 17 MB of XML in a 40 KB upload.
    crafted = _repack(
        fill(_template(m), GOOD), {"xl/sharedStrings.xml": _strings(ss.MAX_STRINGS + 1)}
    )
    assert crafted.getbuffer().nbytes < 200_000
    # Counted, not loaded: openpyxl alone takes over 12 s to load them, twice here.
    message = _quick_file_error(m, crafted, seconds=8.0)
    assert message.startswith("The workbook holds more than 1,000,000 different texts")


def test_given_shared_strings_over_20_mb_of_xml_then_refused_unread(monitored, monkeypatch):
    m = monitored
    monkeypatch.setattr(ss, "MAX_SHARED_STRINGS", 10_000)
    crafted = _repack(fill(_template(m), GOOD), {"xl/sharedStrings.xml": _strings(3, b"y" * 5000)})
    assert "different texts" in _quick_file_error(m, crafted)


def test_given_a_few_shared_strings_then_they_are_read(monitored):
    m = monitored
    # The data sheet's code 1.1 on row 2 as shared string 0 instead of inline text.
    xml = _sheet(fill(_template(m), GOOD))
    inline = b'<c r="A2" t="inlineStr"><is><t>1.1</t></is></c>'
    assert inline in xml
    crafted = _repack(
        fill(_template(m), GOOD),
        {
            SHEET: xml.replace(inline, b'<c r="A2" t="s"><v>0</v></c>'),
            "xl/sharedStrings.xml": _strings(1, b"1.1"),
        },
    )
    result = ss.import_values(
        actor=m.ngo_admin,
        partnership=m.partnership,
        fileobj=crafted,
        filename="f.xlsx",
        commit=False,
    )
    assert result.error_count == 0 and result.new_drafts == 1


def test_given_empty_row_elements_past_the_row_limit_then_refused(monitored, monkeypatch):
    m = monitored
    monkeypatch.setattr(ss, "MAX_ROWS", 20_000)  # as 500,000, ten times faster
    rows = b"".join(b'<row r="%d"/>' % number for number in range(10, 10 + 20_001))
    crafted = _with_rows(fill(_template(m), GOOD), rows)
    assert crafted.getbuffer().nbytes < 100_000
    message = _quick_file_error(m, crafted)
    assert message == "The file has more than 20,000 rows; split it into smaller files."


def test_given_blank_rows_then_they_count_toward_the_row_limit(monitored, monkeypatch):
    m = monitored
    monkeypatch.setattr(ss, "MAX_ROWS", 100)
    rows = b"".join(
        b'<row r="%d"><c r="B%d" t="inlineStr"><is><t> </t></is></c></row>' % (n, n)
        for n in range(10, 200)
    )
    message = _quick_file_error(m, _with_rows(fill(_template(m), GOOD), rows))
    assert message == "The file has more than 100 rows; split it into smaller files."


def test_given_a_filled_cell_at_column_xfd_then_the_file_is_refused_naming_it(monitored):
    m = monitored
    cell = '<c r="XFD3" t="inlineStr"><is><t>stray</t></is></c>'
    message = _quick_file_error(m, _with_cell(fill(_template(m), GOOD), 3, cell))
    assert message.startswith(
        "Cell XFD3 is right of the template's last column (I) but holds “stray”"
    )
    header = '<c r="XFD1" t="inlineStr"><is><t>Notes</t></is></c>'
    message = _quick_file_error(m, _with_cell(fill(_template(m), GOOD), 1, header))
    assert message == "Column XFD should be empty but is “Notes”; a column may be shifted."


def test_given_a_filled_cell_in_column_j_then_refused_naming_it(monitored):
    m = monitored

    def stray(workbook) -> None:
        workbook.worksheets[0]["J4"] = 7

    message = _quick_file_error(m, fill(_template(m), GOOD, edit=stray))
    assert message.startswith("Cell J4 is right of the template's last column (I) but holds “7”")


def test_given_empty_formatted_cells_far_right_then_ignored_and_never_padded(monitored):
    m = monitored
    filled = fill(_template(m), GOOD)
    xml = _sheet(filled)
    for row in (1, 2, 3, 4):
        at = xml.index(b"</row>", xml.index(f'<row r="{row}"'.encode()))
        xml = xml[:at] + f'<c r="XFD{row}" s="0"/>'.encode() + xml[at:]
    crafted = _repack(filled, {SHEET: xml})
    with ss.zipfile.ZipFile(crafted) as archive, archive.open(SHEET) as source:
        widths = {len(cells) for _number, cells in ss.fast_rows(source, [], width=9)}
    assert max(widths) <= 9
    result = ss.import_values(
        actor=m.ngo_admin,
        partnership=m.partnership,
        fileobj=crafted,
        filename="f.xlsx",
        commit=True,
    )
    assert result.error_count == 0 and result.written == 1


def test_given_a_cell_longer_than_a_spreadsheet_cell_can_be_then_refused_naming_it(monitored):
    m = monitored
    xml = _sheet(fill(_template(m), GOOD))
    long = b"z" * (ss.MAX_CELL_CHARS + 1)
    old = b'<c r="D2" t="inlineStr"><is><t>Total</t></is></c>'
    assert old in xml
    crafted = _repack(
        fill(_template(m), GOOD),
        {SHEET: xml.replace(old, b'<c r="D2" t="inlineStr"><is><t>' + long + b"</t></is></c>")},
    )
    assert _quick_file_error(m, crafted) == (
        "Cell D2 holds more than 32,767 characters; a cell cannot."
    )


def test_given_a_sheet_or_part_over_its_limit_unpacked_then_refused_unread(monitored, monkeypatch):
    m = monitored
    filled = fill(_template(m), GOOD)
    monkeypatch.setattr(ss, "MAX_SHEET", 1000)
    assert _quick_file_error(m, filled) == (
        "The sheet is larger than 0 MB once unpacked; split it."
    )
    monkeypatch.setattr(ss, "MAX_SHEET", 512 * 1024 * 1024)
    monkeypatch.setattr(ss, "MAX_PART", 1000)
    assert _quick_file_error(m, filled) == "The workbook is too large once unpacked; split it."


def _preview_file_error(m, data: bytes) -> str:
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client_for(m.ngo_admin).post(
        f"{_api(m)}/preview", {"file": SimpleUploadedFile("filled.xlsx", data)}
    )
    assert response.status_code == 422, response.content[:300]
    return " ".join(response.json()["error"]["fields"]["file"])


def _without_dimension(xml: bytes, rows: bytes) -> bytes:
    """The sheet's XML with `rows` added and no <dimension> (openpyxl's read-only opening
    then reads the whole sheet looking for one); the XML is cut short after the rows, so
    a reader that reaches their end fails."""
    import re

    xml = re.sub(rb"<dimension [^>]*/>", b"", xml)
    return xml[: xml.index(b"</sheetData>")] + rows + b"<row><c"


def test_given_no_meta_sheet_then_refused_before_the_data_sheet_is_read(monitored):
    import io

    from openpyxl import Workbook

    m = monitored
    workbook = Workbook()
    workbook.active.title = "Data"
    plain = io.BytesIO()
    workbook.save(plain)
    # The review's file had two million one-cell rows (44 MB of XML, 111 KB zipped).
    rows = b'<row><c r="A1"/></row>' * 200_000
    crafted = _repack(plain, {SHEET: _without_dimension(_sheet(plain), rows)})

    assert _preview_file_error(m, crafted.getvalue()).startswith(
        "This is not a Sinergi results template (it has no “meta” sheet)."
    )


def test_given_blank_rows_past_the_limit_in_a_sheet_without_dimension_then_counted(monitored):
    m = monitored
    filled = fill(_template(m), GOOD)
    rows = b"<row/>" * (ss.MAX_ROWS + 1)
    crafted = _repack(filled, {SHEET: _without_dimension(_sheet(filled), rows)})

    assert _preview_file_error(m, crafted.getvalue()) == (
        "The file has more than 500,000 rows; split it into smaller files."
    )
