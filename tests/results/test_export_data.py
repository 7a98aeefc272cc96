"""CSV and XLSX exports of a partnership's indicator data: one row per value and
category, the values API's visibility, filters, formula-like text neutralised."""

from __future__ import annotations

import csv
import io

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse
from openpyxl import load_workbook

from sinergi.results import services
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

EVIL = "=cmd|' /C calc'!A0"


def url(m, name: str, lang: str = "en") -> str:
    from django.utils import translation

    with translation.override(lang):
        return reverse(name, kwargs={"slug": m.partnership.slug})


def world(m):
    approved = services.save_draft(
        actor=m.health_admin,
        indicator=m.coverage,
        period=m.q1,
        value="76",
        values={"sex:female": "77", "sex:male": "75"},
        narrative=EVIL,
    )
    services.submit(actor=m.health_admin, submission=approved)
    services.approve(actor=m.coordinator, submission=approved)
    approved.refresh_from_db()
    health_draft = services.save_draft(
        actor=m.health_admin, indicator=m.coverage, period=m.q2, value="78"
    )
    ngo_draft = services.save_draft(
        actor=m.ngo_admin,
        indicator=m.trained,
        period=m.q1,
        value="30",
        values={"sex:female": "20", "sex:male": "10"},
    )
    return approved, health_draft, ngo_draft


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_given_values_when_a_coordinator_exports_csv_then_one_row_per_value_and_category(
    monitored,
):
    m = monitored
    approved, _draft, _ngo = world(m)
    response = client_for(m.coordinator).get(url(m, "results-export-csv"))
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    head, *rows = csv_rows(response)
    assert head[:10] == [
        "Indicator code",
        "Indicator",
        "Result",
        "Unit",
        "Period",
        "Start",
        "End",
        "Category",
        "Value",
        "Target",
    ]
    assert len(rows) == 3 + 1 + 3  # approved (total + 2), health draft, NGO draft (total + 2)
    total = next(r for r in rows if r[0] == "2.1" and r[4] == "2025-Q1" and r[7] == "")
    column = dict(zip(head, total, strict=True))
    assert column["Value"] == "76" and column["Target"] == "75"
    assert column["Result"] == m.outcome.title and column["Unit"] == "%"
    assert column["Start"] == "2025-01-01" and column["End"] == "2025-03-31"
    assert column["Status"] == "Approved" and column["Revision"] == "1"
    assert column["Reporting partner"] == m.health.name
    assert column["Ledger entry"] == str(approved.ledger_index)
    assert column["Approved at"].startswith(str(approved.decided_at.year))
    # The narrative would run as a formula in a spreadsheet: it is neutralised.
    assert column["Narrative"] == "'" + EVIL
    female = next(r for r in rows if r[0] == "2.1" and r[7] == "sex:female")
    assert female[8] == "77"


def test_given_drafts_when_others_export_then_the_values_api_rule_holds(monitored):
    m = monitored
    world(m)

    def keys(person) -> set[tuple[str, str, str]]:
        rows = csv_rows(client_for(person).get(url(m, "results-export-csv")))[1:]
        return {(r[0], r[4], r[11]) for r in rows}

    approved = ("2.1", "2025-Q1", "Approved")
    assert keys(m.observer) == {approved}
    assert keys(m.health_member) == {approved, ("2.1", "2025-Q2", "Draft")}
    assert keys(m.ngo_admin) == {approved, ("1.1", "2025-Q1", "Draft")}
    assert client_for(m.outsider).get(url(m, "results-export-csv")).status_code == 404
    assert client_for(None).get(url(m, "results-export-xlsx")).status_code == 404


def test_given_a_public_partnership_when_anonymous_exports_then_approved_values_only(
    public_monitored,
):
    m = public_monitored
    world(m)
    rows = csv_rows(client_for(None).get(url(m, "results-export-csv")))[1:]
    assert {(r[0], r[4], r[11]) for r in rows} == {("2.1", "2025-Q1", "Approved")}


def test_when_filtered_then_only_matching_values_are_exported(monitored):
    m = monitored
    world(m)
    client = client_for(m.coordinator)
    export = url(m, "results-export-csv")
    rows = csv_rows(client.get(export, {"indicator": "1.1"}))[1:]
    assert {r[0] for r in rows} == {"1.1"}
    rows = csv_rows(client.get(export, {"period": "2025-Q2"}))[1:]
    assert [(r[0], r[4]) for r in rows] == [("2.1", "2025-Q2")]
    rows = csv_rows(client.get(export, {"status": "draft"}))[1:]
    assert {r[11] for r in rows} == {"Draft"} and len(rows) == 4
    # A filter naming nothing valid is left out.
    assert len(csv_rows(client.get(export, {"status": "lost", "period": "x"}))) == 1 + 7


def test_when_exported_as_xlsx_then_numbers_stay_numbers_and_text_is_not_a_formula(
    monitored,
):
    m = monitored
    world(m)
    response = client_for(m.coordinator).get(url(m, "results-export-xlsx"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook.active
    rows = list(sheet.iter_rows(values_only=True))
    head = rows[0]
    total = next(r for r in rows[1:] if r[0] == "2.1" and r[4] == "2025-Q1" and not r[7])
    column = dict(zip(head, total, strict=True))
    assert column["Value"] == 76 and column["Target"] == 75
    assert column["Narrative"] == "'" + EVIL
    assert column["Approved at"] is not None
    cells = {c.value: c for c in next(r for r in sheet.iter_rows() if r[0].value == "2.1")}
    assert all(c.data_type != "f" for c in cells.values())


def test_when_exported_in_indonesian_then_the_header_follows_the_language(monitored):
    m = monitored
    world(m)
    response = client_for(m.coordinator).get(url(m, "results-export-csv", "id"))
    head = csv_rows(response)[0]
    assert len(head) == 17


def test_given_many_values_when_exported_then_the_queries_stay_few(
    monitored, django_assert_max_num_queries
):
    m = monitored
    world(m)
    client = client_for(m.coordinator)
    with django_assert_max_num_queries(12):
        rows = csv_rows(client.get(url(m, "results-export-csv")))
    assert len(rows) == 8
