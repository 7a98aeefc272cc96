"""The results spreadsheet round trip through the module: download, fill, preview, commit."""

from __future__ import annotations

import io
import re
import tracemalloc
import zipfile
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from openpyxl import Workbook

from sinergi.results import services
from sinergi.results import spreadsheet as ss
from sinergi.results.models import Indicator, IndicatorStatus, Status, Submission, SubmissionValue
from tests.results.spreadsheet_helpers import fill, meta_of, rows_of


def _template(m, actor=None, organisation=None, period=None) -> bytes:
    return ss.build_template(
        actor=actor or m.health_admin,
        partnership=m.partnership,
        period=period or m.q1,
        organisation=organisation or m.health,
    )


def _run(m, fileobj, actor=None, commit=False, submit=False, **kwargs) -> ss.SheetResult:
    return ss.import_values(
        actor=actor or m.health_admin,
        partnership=m.partnership,
        fileobj=fileobj,
        filename="filled.xlsx",
        commit=commit,
        submit=submit,
        **kwargs,
    )


def test_given_a_partner_when_downloading_then_only_its_indicators_total_first(monitored):
    m = monitored
    body = _template(m)
    rows = rows_of(body)
    assert rows[0] == ss.headers()
    assert [(r[0], r[2]) for r in rows[1:]] == [
        ("2.1", None),
        ("2.1", "sex:female"),
        ("2.1", "sex:male"),
    ]
    total = rows[1]
    assert total[3] == "Total" and total[4] == "%" and total[5] == 75 and total[6] == 70
    assert total[7] is None
    meta = meta_of(body)
    assert meta["template"] == ss.TEMPLATE_VERSION
    assert meta["partnership"] == m.partnership.slug
    assert meta["period"] == "2025-Q1" and meta["frequency"] == "quarterly"
    assert meta["organisation"] == str(m.health.pk)


def test_given_the_coordinator_when_picking_the_ngo_then_its_indicator_by_sex_and_province(
    monitored,
):
    m = monitored
    rows = rows_of(_template(m, actor=m.coordinator, organisation=m.ngo))
    assert [r[2] for r in rows[1:]] == [
        None,
        "sex:female",
        "sex:male",
        "province:ID-JB",
        "province:ID-JT",
    ]
    assert rows[1][0] == "1.1" and rows[1][5] == 100


def test_given_a_filled_template_when_previewed_then_nothing_is_written_and_commit_writes(
    monitored,
):
    m = monitored
    filled = fill(
        _template(m),
        {("2.1", ""): 76, ("2.1", "sex:female"): 77.5, ("2.1", "sex:male"): "74.5"},
        {"2.1": "Catch-up campaign in Bandung"},
    )
    preview = _run(m, filled)
    assert preview.ok and preview.new_drafts == 1 and preview.error_count == 0
    assert not Submission.objects.exists()

    result = _run(m, filled, commit=True)
    assert result.written == 1
    submission = Submission.objects.get()
    assert submission.status == Status.DRAFT and submission.value == Decimal("76")
    assert submission.narrative == "Catch-up campaign in Bandung"
    assert submission.created_by == m.health_admin and submission.organisation == m.health
    assert dict(submission.values.values_list("category", "value")) == {
        "sex:female": Decimal("77.5"),
        "sex:male": Decimal("74.5"),
    }
    # The next download is pre-filled with the draft.
    rows = rows_of(_template(m))
    assert [r[7] for r in rows[1:]] == [76, 77.5, 74.5]
    assert rows[1][8] == "Catch-up campaign in Bandung"


def _percent_cells(*codes_and_formats: tuple[str, str, str]):
    """An edit for `fill`: give the Value cells of (code, category key) a number format,
    as a spreadsheet program does when someone types "88%" into a cell."""

    def edit(workbook) -> None:
        wanted = {(code, key): number_format for code, key, number_format in codes_and_formats}
        for row in workbook.worksheets[0].iter_rows(min_row=2):
            key = (row[0].value, row[2].value or "")
            if key in wanted:
                row[7].number_format = wanted[key]

    return edit


def _with_cell_text(body: bytes, cell: str, text: str) -> bytes:
    """The workbook with the stored text of one numeric cell of its first sheet replaced,
    as another spreadsheet program would write it."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(body)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data, count = re.subn(
                    rf'(<c r="{cell}"[^>]*><v>)[^<]*(</v>)'.encode(),
                    rb"\g<1>" + text.encode() + rb"\g<2>",
                    data,
                )
                assert count == 1
            target.writestr(item, data)
    return out.getvalue()


def test_given_percent_formatted_cells_on_a_percentage_indicator_then_the_shown_numbers(
    monitored,
):
    """Given a percentage indicator whose cells show 76%, 77.5% and 74.5% (stored as 0.76,
    0.775 and 0.745, as spreadsheet programs store a typed "76%"), then the values are 76,
    77.5 and 74.5, not 0.76; a custom percent format and the text "74.5%" count too."""
    m = monitored
    filled = fill(
        _template(m),
        {("2.1", ""): 0.76, ("2.1", "sex:female"): 0.775, ("2.1", "sex:male"): "74.5 %"},
        edit=_percent_cells(("2.1", "", "0%"), ("2.1", "sex:female", '[Blue]0.0%;"-"')),
    )
    # As Excel saves a computed 76%: 0.76000000000000001 (17 digits), shown as 76%.
    filled = io.BytesIO(_with_cell_text(filled.getvalue(), "H2", "0.76000000000000001"))
    filled.name = "filled.xlsx"

    result = _run(m, filled, commit=True)

    assert result.error_count == 0 and result.written == 1
    submission = Submission.objects.get()
    assert submission.value == Decimal("76")
    assert dict(submission.values.values_list("category", "value")) == {
        "sex:female": Decimal("77.5"),
        "sex:male": Decimal("74.5"),
    }


def test_given_a_percent_sign_that_is_only_text_in_the_format_then_the_number_itself(monitored):
    """Given a format that prints a literal percent sign without scaling (`0"%"`), then
    the cell's number is read as it is: 76 stays 76."""
    m = monitored
    filled = fill(_template(m), {("2.1", ""): 76}, edit=_percent_cells(("2.1", "", '0"%"')))

    result = _run(m, filled, commit=True)

    assert result.error_count == 0
    assert Submission.objects.get().value == Decimal("76")


def test_given_submit_for_review_when_committed_then_submitted_and_approvable(monitored):
    m = monitored
    filled = fill(
        _template(m, actor=m.coordinator, organisation=m.ngo),
        {
            ("1.1", ""): 90,
            ("1.1", "sex:female"): 50,
            ("1.1", "sex:male"): 40,
            ("1.1", "province:ID-JB"): 60,
            ("1.1", "province:ID-JT"): 30,
        },
    )
    result = _run(m, filled, actor=m.ngo_admin, commit=True, submit=True)
    assert result.written == 1
    submission = Submission.objects.get(indicator=m.trained)
    assert submission.status == Status.SUBMITTED and submission.submitted_by == m.ngo_admin
    approved = services.approve(actor=m.coordinator, submission=submission)
    assert approved.is_current
    assert IndicatorStatus.objects.get(indicator=m.trained).actual == Decimal("90")


def test_given_an_approved_value_when_changed_in_the_sheet_then_a_new_revision(monitored):
    m = monitored
    draft = services.save_draft(actor=m.health_admin, indicator=m.coverage, period=m.q1, value="76")
    services.submit(actor=m.health_admin, submission=draft)
    services.approve(actor=m.coordinator, submission=draft)
    body = _template(m)
    unchanged = _run(m, fill(body))
    assert unchanged.unchanged == 1 and not unchanged.ok
    assert _run(m, fill(body), commit=True).written == 0

    changed = fill(body, {("2.1", ""): 78})
    preview = _run(m, changed)
    assert preview.new_revisions == 1
    _run(m, changed, commit=True)
    latest = services.current_draft(m.coverage, m.q1)
    assert latest.revision == 2 and latest.status == Status.DRAFT
    assert latest.value == Decimal("78")
    assert Submission.objects.get(revision=1).is_current  # the approved one stays in force


def test_given_a_draft_when_changed_in_the_sheet_then_the_same_draft_changes(monitored):
    m = monitored
    services.save_draft(
        actor=m.health_admin,
        indicator=m.coverage,
        period=m.q1,
        value="70",
        values={"sex:female": "71", "sex:male": "69"},
    )
    filled = fill(_template(m), {("2.1", ""): 72, ("2.1", "sex:male"): None})
    result = _run(m, filled, commit=True)
    assert result.changed_drafts == 1 and result.written == 1
    submission = Submission.objects.get()
    assert submission.revision == 1 and submission.value == Decimal("72")
    assert dict(submission.values.values_list("category", "value")) == {"sex:female": Decimal("71")}


def test_given_a_blank_template_when_uploaded_then_nothing_to_write(monitored):
    m = monitored
    result = _run(m, fill(_template(m)))
    assert result.blank == 1 and result.to_write == 0 and not result.ok


def test_given_an_observer_or_outsider_when_downloading_then_refused(monitored):
    m = monitored
    for person in (m.observer, m.outsider):
        with pytest.raises(PermissionDenied):
            _template(m, actor=person)


def test_given_a_partner_when_downloading_another_partners_template_then_refused(monitored):
    m = monitored
    with pytest.raises(PermissionDenied):
        _template(m, actor=m.health_admin, organisation=m.ngo)


def _big_template(m, indicators: int) -> bytes:
    """`indicators` count indicators of the health partner, each by sex (3 rows)."""
    for i in range(indicators):
        indicator = Indicator.objects.create(
            partnership=m.partnership,
            result=m.output,
            code=f"X{i}",
            title=f"Indicator {i}",
            measure="1",
            unit="people",
            frequency="quarterly",
            accumulation="cumulative",
            responsible=m.health,
        )
        indicator.dimensions.add(m.sex)
    return _template(m)


def _filled_big(body: bytes) -> io.BytesIO:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Results")
    source = rows_of(body)
    sheet.append(source[0])
    for row in source[1:]:
        if row[0].startswith("X"):
            row[7] = {None: 30, "sex:female": 10, "sex:male": 20}[row[2]]
        sheet.append(row)
    meta = workbook.create_sheet("meta")
    for key, value in meta_of(body).items():
        meta.append([key, value])
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    return out


def test_given_thousands_of_rows_when_committed_then_few_queries_and_bounded_memory(
    monitored, django_assert_max_num_queries
):
    m = monitored
    filled = _filled_big(_big_template(m, 1500))  # 4,500 rows
    tracemalloc.start()
    # A dozen reads, then inserts of as many rows as SQLite takes per statement (999
    # parameters: ~55 submissions or ~330 breakdown values): never a query per row.
    with django_assert_max_num_queries(60):
        result = _run(m, filled, commit=True)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert result.error_count == 0 and result.written == 1500
    assert SubmissionValue.objects.count() == 3000
    assert peak < 60 * 1024 * 1024


def test_given_a_qualitative_indicator_when_filled_then_its_text_is_the_value(monitored):
    m = monitored
    services.create_indicator(
        actor=m.coordinator,
        partnership=m.partnership,
        result=m.output,
        code="Q.1",
        title="Referral pathway agreed",
        measure="5",
        frequency="quarterly",
        responsible=m.health,
    )
    body = _template(m)
    assert [(r[0], r[2]) for r in rows_of(body)[1:]][-1] == ("Q.1", None)
    result = _run(m, fill(body, {("Q.1", ""): "Agreed with 3 districts"}), commit=True)
    assert result.written == 1
    submission = Submission.objects.get(indicator__code="Q.1")
    assert submission.text == "Agreed with 3 districts" and submission.value is None


def test_given_a_narrative_that_looks_like_a_formula_then_it_round_trips_as_text(monitored):
    m = monitored
    services.save_draft(
        actor=m.health_admin,
        indicator=m.coverage,
        period=m.q1,
        value="76",
        narrative="=HYPERLINK(1) is not run",
    )
    body = _template(m)
    assert rows_of(body)[1][8] == "'=HYPERLINK(1) is not run"
    assert _run(m, fill(body)).unchanged == 1


def test_given_a_formula_saved_without_its_result_then_a_located_error(monitored):
    m = monitored
    filled = fill(
        _template(m),
        {("2.1", ""): "=H3+H4", ("2.1", "sex:female"): 77, ("2.1", "sex:male"): 75},
    )
    result = _run(m, filled)
    assert result.errors[0].cell == "H2" and "formula" in result.errors[0].message


def test_given_a_template_downloaded_in_indonesian_then_its_header_is_read(monitored):
    m = monitored
    from django.utils import translation

    with translation.override("id"):
        body = _template(m)
    assert meta_of(body)["language"] == "id"
    result = _run(m, fill(body, {("2.1", ""): 76}), commit=True)
    assert result.error_count == 0 and result.written == 1
