"""Bad spreadsheets: every problem is named (by cell where it lies in one) and nothing is
written, in the preview and in the commit alike."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from django.core.exceptions import ValidationError

from sinergi.core.xlsx import Percent
from sinergi.results import services
from sinergi.results import spreadsheet as ss
from sinergi.results.models import Submission, SubmissionValue
from tests.factories import PartnershipFactory
from tests.results.spreadsheet_helpers import fill


def _template(m, actor=None, organisation=None) -> bytes:
    return ss.build_template(
        actor=actor or m.coordinator,
        partnership=m.partnership,
        period=m.q1,
        organisation=organisation or m.ngo,
    )


def _check(m, fileobj, actor=None, **kwargs) -> tuple[ss.SheetResult, ss.SheetResult]:
    """Preview and commit the same file; both must have written nothing."""
    results = []
    for commit in (False, True):
        fileobj.seek(0)
        results.append(
            ss.import_values(
                actor=actor or m.ngo_admin,
                partnership=m.partnership,
                fileobj=fileobj,
                filename="filled.xlsx",
                commit=commit,
                **kwargs,
            )
        )
    assert results[1].written == 0
    assert not Submission.objects.exists() and not SubmissionValue.objects.exists()
    return results[0], results[1]


def _file_error(m, fileobj, actor=None, **kwargs) -> str:
    for commit in (False, True):
        fileobj.seek(0)
        with pytest.raises(ValidationError) as error:
            ss.import_values(
                actor=actor or m.ngo_admin,
                partnership=m.partnership,
                fileobj=fileobj,
                filename="filled.xlsx",
                commit=commit,
                **kwargs,
            )
    assert not Submission.objects.exists()
    return " ".join(error.value.message_dict["file"])


GOOD = {
    ("1.1", ""): 100,
    ("1.1", "sex:female"): 60,
    ("1.1", "sex:male"): 40,
}


def _set_meta(key: str, value: object):
    def edit(workbook) -> None:
        for row in workbook["meta"].iter_rows():
            if row[0].value == key:
                row[1].value = value

    return edit


def test_given_an_old_template_version_when_uploaded_then_one_clear_error(monitored):
    m = monitored
    filled = fill(_template(m), GOOD, edit=_set_meta("template", "sinergi-results-template/0"))
    message = _file_error(m, filled)
    assert "sinergi-results-template/0" in message and ss.TEMPLATE_VERSION in message


def test_given_a_workbook_without_the_meta_sheet_when_uploaded_then_not_a_template(monitored):
    m = monitored
    filled = fill(_template(m), GOOD, edit=lambda wb: wb.remove(wb["meta"]))
    assert "not a Sinergi results template" in _file_error(m, filled)


def test_given_another_partnerships_template_when_uploaded_then_refused(monitored):
    m = monitored
    other = PartnershipFactory()
    filled = fill(_template(m), GOOD, edit=_set_meta("partnership", other.slug))
    assert "another partnership" in _file_error(m, filled)


def test_given_a_template_of_another_period_when_uploaded_for_q2_then_refused(monitored):
    m = monitored
    filled = fill(_template(m), GOOD)
    message = _file_error(m, filled, period=m.q2)
    assert "2025-Q1" in message and "2025-Q2" in message


def test_given_another_partners_template_when_uploaded_then_refused(monitored):
    m = monitored
    filled = fill(_template(m), GOOD)
    message = _file_error(m, filled, actor=m.coordinator, organisation=m.health)
    assert "another partner" in message
    # and a partner cannot use another partner's template at all
    assert "may not report" in _file_error(m, fill(_template(m), GOOD), actor=m.health_admin)


def test_given_swapped_columns_when_uploaded_then_the_column_is_named(monitored):
    m = monitored

    def swap(workbook) -> None:
        sheet = workbook.worksheets[0]
        sheet["H1"], sheet["I1"] = "Narrative", "Value"

    message = _file_error(m, fill(_template(m), GOOD, edit=swap))
    assert message == "Column H should be “Value” but is “Narrative”."


def test_given_an_inserted_column_when_uploaded_then_shifted_column_named(monitored):
    m = monitored

    def insert(workbook) -> None:
        workbook.worksheets[0].insert_cols(6)
        workbook.worksheets[0]["F1"] = "Notes"

    assert _file_error(m, fill(_template(m), GOOD, edit=insert)) == (
        "Column F should be “Target” but is “Notes”."
    )


def test_given_text_in_a_numeric_cell_when_uploaded_then_the_cell_is_named(monitored):
    m = monitored
    filled = fill(_template(m), {**GOOD, ("1.1", "sex:female"): "dua puluh"})
    preview, commit = _check(m, filled)
    assert [e.message for e in preview.errors] == ["H3: “dua puluh” is not a number."]
    assert preview.errors[0].cell == "H3" and preview.errors[0].column == "Value"
    assert commit.error_count == 1


def test_given_a_date_or_too_many_decimals_when_uploaded_then_cell_errors(monitored):
    m = monitored
    filled = fill(
        _template(m),
        {**GOOD, ("1.1", "sex:female"): datetime(2025, 3, 1), ("1.1", "sex:male"): "40.12345"},
    )
    preview, _commit = _check(m, filled)
    messages = [e.message for e in preview.errors]
    assert messages[0].startswith("H3: ") and "not a number" in messages[0]
    assert messages[1] == "H4: Use at most 4 digits after the decimal point."


def test_given_a_breakdown_that_does_not_add_up_then_error_at_the_total_row(monitored):
    m = monitored
    filled = fill(_template(m), {**GOOD, ("1.1", "sex:male"): 30})
    preview, _commit = _check(m, filled)
    assert [e.message for e in preview.errors] == ["H2: Sex adds up to 90, but the total is 100."]


def test_given_a_missing_category_of_an_exhaustive_dimension_then_error(monitored):
    m = monitored
    filled = fill(_template(m), {("1.1", ""): 100, ("1.1", "province:ID-JB"): 100})
    preview, _commit = _check(m, filled)
    assert preview.errors[0].cell == "H2" and "missing: Jawa Tengah" in preview.errors[0].message


def test_given_an_unknown_indicator_or_category_then_located_errors(monitored):
    m = monitored

    def edit(workbook) -> None:
        sheet = workbook.worksheets[0]
        sheet.append(["9.9", "Invented", None, "Total", None, None, None, 5])
        sheet["C3"] = "sex:other"

    preview, _commit = _check(m, fill(_template(m), GOOD, edit=edit))
    messages = [e.message for e in preview.errors]
    assert "C3: Indicator 1.1 is not broken down by “sex:other”." in messages
    assert "A7: No indicator has the code “9.9” in this partnership." in messages


def test_given_another_partners_indicator_in_the_sheet_then_refused_by_row(monitored):
    m = monitored

    def edit(workbook) -> None:
        workbook.worksheets[0].append(["2.1", "DTP3 coverage", None, "Total", "%", 75, 70, 76])

    preview, _commit = _check(m, fill(_template(m), GOOD, edit=edit))
    assert preview.errors[0].cell == "A7"
    assert "You may not report indicator 2.1" in preview.errors[0].message
    # a coordinator may report both, but not in the other partner's template
    preview, _commit = _check(m, fill(_template(m), GOOD, edit=edit), actor=m.coordinator)
    assert "is not in this partner's template" in preview.errors[0].message


def test_given_a_closed_period_when_uploaded_then_refused(monitored):
    m = monitored
    filled = fill(_template(m), GOOD)
    services.set_period_closed(actor=m.coordinator, period=m.q1, closed=True)
    assert "closed" in _file_error(m, filled)


def test_given_a_value_waiting_for_review_when_changed_then_error(monitored):
    m = monitored
    draft = services.save_draft(actor=m.ngo_admin, indicator=m.trained, period=m.q1, value="80")
    services.submit(actor=m.ngo_admin, submission=draft)
    filled = fill(_template(m), GOOD)
    preview = ss.import_values(
        actor=m.ngo_admin,
        partnership=m.partnership,
        fileobj=filled,
        filename="f.xlsx",
        commit=False,
    )
    assert "waiting for review" in preview.errors[0].message
    assert Submission.objects.get().value == 80


def test_given_a_percentage_over_100_then_error(monitored):
    m = monitored
    body = _template(m, organisation=m.health)
    preview, _commit = _check(m, fill(body, {("2.1", ""): 101}), actor=m.health_admin)
    assert preview.errors[0].message == "H2: A percentage is between 0 and 100."


def test_given_a_percentage_on_an_indicator_counted_in_units_then_cell_errors(monitored):
    """Given a unit indicator (people reached) with a cell formatted as a percentage and
    one typed "60%", then both cells are named: the importer does not guess a count."""
    m = monitored

    def percent_total(workbook) -> None:
        workbook.worksheets[0]["H2"].number_format = "0%"

    filled = fill(
        _template(m), {**GOOD, ("1.1", ""): 1, ("1.1", "sex:female"): "60%"}, edit=percent_total
    )
    preview, _commit = _check(m, filled)
    assert [e.message for e in preview.errors] == [
        "H2: “100%” is a percentage, but this indicator is counted in units; "
        "enter the number itself.",
        "H3: “60%” is a percentage, but this indicator is counted in units; "
        "enter the number itself.",
    ]


@pytest.mark.parametrize(
    ("value", "number_format", "message"),
    [
        (1.5, "0.00%", "H2: A percentage is between 0 and 100."),  # shows 150%
        (1e26, "0%", "H2: Enter at most 15 digits."),  # not a crash
    ],
)
def test_given_a_percent_cell_out_of_range_then_a_cell_error(
    monitored, value, number_format, message
):
    """Given a cell formatted as a percentage on a percentage indicator showing 150%, or
    a huge number, then the cell is named with what is wrong; nothing is written."""
    m = monitored

    def percent_total(workbook) -> None:
        workbook.worksheets[0]["H2"].number_format = number_format

    body = _template(m, organisation=m.health)
    filled = fill(body, {("2.1", ""): value}, edit=percent_total)
    preview, _commit = _check(m, filled, actor=m.health_admin)
    assert [e.message for e in preview.errors] == [message]


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan"), 1e300, -0.5])
def test_any_percent_cell_value_is_a_number_or_a_cell_error(value):
    """Given what a percent cell can hold beyond the ordinary (1E+309 reads as infinity),
    then the value cell is accepted or named with a message, never an exception."""
    result = ss.SheetResult(filename="filled.xlsx", sha256="")

    number = ss._number(Percent(value), (2, 7), result, "2")

    assert number is None
    assert [e.cell for e in result.errors] == ["H2"] and result.errors[0].message.strip()


def test_given_good_and_bad_rows_when_committed_then_nothing_is_written(monitored):
    m = monitored
    body = _template(m, organisation=m.health)

    def edit(workbook) -> None:
        workbook.worksheets[0].append(["2.1", "DTP3 coverage", "sex:female", "x", "%", 0, 0, 5])

    filled = fill(body, {("2.1", ""): 76}, edit=edit)
    _preview, commit = _check(m, filled, actor=m.health_admin)
    assert [e.message for e in commit.errors] == [
        "C5: This category is listed twice for indicator 2.1."
    ]


class _Huge(io.BytesIO):
    """Claims to be 50 MB and one byte, like an upload; reading it is an error."""

    size = ss.MAX_BYTES + 1

    def read(self, *args):  # pragma: no cover - must not be called
        raise AssertionError("the file was read")


def test_given_a_file_over_50_mb_then_refused_before_reading(monitored):
    m = monitored
    with pytest.raises(ValidationError) as error:
        ss.import_values(
            actor=m.ngo_admin,
            partnership=m.partnership,
            fileobj=_Huge(),
            filename="big.xlsx",
            commit=True,
        )
    assert error.value.message_dict["file"] == [
        "The file is larger than 50 MB; split it into smaller files."
    ]


def test_given_not_a_workbook_then_file_error(monitored):
    m = monitored
    fake = io.BytesIO(b"code,value\n1.1,5\n")
    assert "not an Excel workbook" in _file_error(m, fake)


def test_given_a_text_cell_with_a_thousands_point_then_a_cell_error_naming_both_readings(
    monitored,
):
    """Typed as text by a spreadsheet program set to Indonesian, "1.234" is one thousand
    two hundred and thirty-four; read plainly it would be 1.234. It is refused, saying how
    to write either (the UI review)."""
    m = monitored
    filled = fill(_template(m), {("1.1", ""): "1.234"})

    preview, _commit = _check(m, filled)

    assert len(preview.errors) == 1
    message = preview.errors[0].message
    assert message.startswith("H2:") and "1234" in message and "1.234" in message


@pytest.mark.parametrize(
    ("cell", "says"),
    [("1.000.000", "1000000"), (0.00005, "decimal point"), (1e16, "15 digits")],
)
def test_numbers_written_with_points_or_exponents_are_told_what_is_wrong(monitored, cell, says):
    """A text cell "1.000.000" was a 500; a number cell of 0.00005 (saved as 5e-05) was
    told "Enter a number" (the second read of the diff)."""
    m = monitored
    filled = fill(_template(m), {("1.1", ""): cell})

    preview, _commit = _check(m, filled)

    assert len(preview.errors) == 1
    assert preview.errors[0].message.startswith("H2:")
    assert says in preview.errors[0].message, preview.errors[0].message
