"""The RACI API: /api/v1/partnerships/{slug}/work-packages and /raci."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from sinergi.partnerships.models import Goal, RaciAssignment, WorkPackage
from sinergi.partnerships.raci import services
from tests.api.test_crud import ApiClient as CrudClient
from tests.api.test_crud import ok
from tests.design.raci_fixtures import RaciSetup, add_wp, ledger, raci_setup
from tests.factories import MembershipFactory, OrganisationFactory, PersonFactory

pytestmark = pytest.mark.django_db


class ApiClient(CrudClient):
    """The API test client, with PUT."""

    def put(self, path: str, data: object):
        return self.client.put(
            f"/api/v1{path}", data, content_type="application/json", **self.headers
        )


def person_as(s: RaciSetup, who: str):
    """A person relating to the partnership as `who` (None for anonymous)."""
    if who == "anonymous":
        return None
    if who == "coordinator":
        return s.coordinator
    if who == "outsider":
        return PersonFactory()
    if who == "staff":
        return PersonFactory(is_staff=True)
    person = PersonFactory(organisation=s.bio_farma)
    MembershipFactory(partnership=s.partnership, person=person, role=who)
    return person


def api_as(s: RaciSetup, who: str) -> ApiClient:
    return ApiClient(person_as(s, who))


def path(s: RaciSetup, rest: str) -> str:
    return f"/partnerships/{s.partnership.slug}{rest}"


# ---------------------------------------------------------------- reading


def test_the_matrix_reads_with_partners_cells_problems_and_flags():
    s = raci_setup("public")
    wp = add_wp(s, "WP1", "Vaccine supply")
    services.set_responsibility(
        actor=s.coordinator, work_package=wp, organisation=s.kemenkes, letter="A"
    )
    body = ok(ApiClient().get(path(s, "/raci")))
    assert body["complete"] is False
    assert [p["slug"] for p in body["partners"]] == ["bio-farma", "kemenkes", "ugm"]
    assert body["partners"][0] == {
        "id": s.bio_farma.pk,
        "slug": "bio-farma",
        "name": "PT Bio Farma",
        "short_name": "Bio Farma",
        "org_type": "72",
        "org_type_name": "Private Sector in Aid Recipient Country",
        "flagged": True,
    }
    assert body["flagged_partners"] == ["bio-farma", "ugm"]
    (row,) = body["work_packages"]
    assert row["code"] == "WP1" and row["id"] == wp.pk
    assert row["cells"] == {"kemenkes": "A"}
    assert row["accountable"] == "kemenkes"
    assert [p["code"] for p in row["problems"]] == ["no_responsible"]
    assert {p["code"] for p in body["problems"]} == {"no_responsible", "no_responsibility"}


def test_work_packages_list_in_their_order():
    s = raci_setup("public")
    add_wp(s, "WP2", position=5)
    add_wp(s, "WP1", position=1)
    body = ok(ApiClient().get(path(s, "/work-packages")))
    assert body["count"] == 2
    assert [w["code"] for w in body["items"]] == ["WP1", "WP2"]


# ---------------------------------------------------------------- work packages


def test_a_coordinator_adds_changes_and_deletes_a_work_package():
    s = raci_setup()
    goal = Goal.objects.create(partnership=s.partnership, title="Full immunisation")
    api = ApiClient(s.coordinator)
    created = ok(
        api.post(
            path(s, "/work-packages"),
            {"code": "WP1", "title": "Vaccine supply", "goal": goal.pk},
        ),
        201,
    )
    assert created["code"] == "WP1" and created["goal"] == goal.pk and created["position"] == 0
    changed = ok(api.patch(path(s, f"/work-packages/{created['id']}"), {"title": "Supply"}))
    assert changed["title"] == "Supply"
    assert ok(api.get(path(s, f"/work-packages/{created['id']}")))["title"] == "Supply"
    ok(api.delete(path(s, f"/work-packages/{created['id']}")), 204)
    assert not WorkPackage.objects.exists()
    assert [len(ledger(k)) for k in ("work_package.created", "work_package.updated")] == [1, 1]
    assert len(ledger("work_package.deleted")) == 1


def test_a_taken_code_and_a_foreign_goal_are_field_errors():
    s = raci_setup()
    add_wp(s, "WP1")
    api = ApiClient(s.coordinator)
    response = api.post(path(s, "/work-packages"), {"code": "WP1", "title": "Again"})
    assert response.status_code == 422
    assert "code" in response.json()["error"]["fields"]
    other = raci_setup(suffix="-2")
    theirs = Goal.objects.create(partnership=other.partnership, title="Theirs")
    response = api.post(path(s, "/work-packages"), {"code": "WP2", "title": "x", "goal": theirs.pk})
    assert response.status_code == 422
    assert "goal" in response.json()["error"]["fields"]
    assert WorkPackage.objects.filter(partnership=s.partnership).count() == 1


def test_a_work_package_of_another_partnership_is_not_found():
    s = raci_setup()
    other = raci_setup(suffix="-2")
    theirs = add_wp(other, "WP1")
    response = ApiClient(s.coordinator).patch(
        path(s, f"/work-packages/{theirs.pk}"), {"title": "x"}
    )
    assert response.status_code == 404


# ---------------------------------------------------------------- one cell


def test_setting_a_cell_answers_with_the_whole_matrix():
    s = raci_setup()
    wp = add_wp(s, "WP1")
    api = ApiClient(s.coordinator)
    body = ok(
        api.put(
            path(s, "/raci/cells"), {"work_package": wp.pk, "organisation": "ugm", "letter": "r"}
        )
    )
    assert body["work_packages"][0]["cells"] == {"ugm": "R"}
    body = ok(
        api.put(
            path(s, "/raci/cells"),
            {"work_package": "WP1", "organisation": s.kemenkes.pk, "letter": "A"},
        )
    )
    assert body["work_packages"][0]["cells"] == {"ugm": "R", "kemenkes": "A"}
    body = ok(
        api.put(
            path(s, "/raci/cells"), {"work_package": wp.pk, "organisation": "ugm", "letter": None}
        )
    )
    assert body["work_packages"][0]["cells"] == {"kemenkes": "A"}
    assert [e["new"] for e in ledger("raci.changed")] == ["R", "A", None]


def test_a_second_accountable_is_a_422_naming_the_current_one_and_nothing_is_saved():
    """Given Kemenkes Accountable for WP1, when Bio Farma is made Accountable through the
    API, then the answer is 422 with a letter field error naming Kemenkes, and the
    matrix and the ledger are unchanged."""
    s = raci_setup()
    wp = add_wp(s, "WP1")
    services.set_responsibility(
        actor=s.coordinator, work_package=wp, organisation=s.kemenkes, letter="A"
    )
    response = ApiClient(s.coordinator).put(
        path(s, "/raci/cells"), {"work_package": wp.pk, "organisation": "bio-farma", "letter": "A"}
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert "Kemenkes" in error["fields"]["letter"][0]
    assert dict(wp.assignments.values_list("organisation__slug", "letter")) == {"kemenkes": "A"}
    assert len(ledger("raci.changed")) == 1


@pytest.mark.parametrize(
    ("cell", "field"),
    [
        ({"organisation": "stranger", "letter": "R"}, "organisation"),
        ({"organisation": "no-such-org", "letter": "R"}, "organisation"),
        ({"organisation": "ugm", "letter": "X"}, "letter"),
        ({"organisation": "ugm", "letter": 7}, "letter"),
        ({"organisation": "ugm", "letter": "R", "work_package": 999999}, "work_package"),
        ({"organisation": "ugm", "letter": "R", "work_package": "WP9"}, "work_package"),
    ],
)
def test_bad_cells_are_field_errors(cell, field):
    s = raci_setup()
    wp = add_wp(s, "WP1")
    OrganisationFactory(slug="stranger")
    response = ApiClient(s.coordinator).put(path(s, "/raci/cells"), {"work_package": wp.pk, **cell})
    assert response.status_code == 422, response.content
    assert field in response.json()["error"]["fields"]
    assert not RaciAssignment.objects.exists()


# ---------------------------------------------------------------- the whole matrix


def test_putting_a_whole_matrix_saves_it_and_answers_complete():
    s = raci_setup()
    wp1, wp2 = add_wp(s, "WP1"), add_wp(s, "WP2")
    cells = [
        {"work_package": wp1.pk, "organisation": "kemenkes", "letter": "A"},
        {"work_package": wp1.pk, "organisation": "bio-farma", "letter": "R"},
        {"work_package": wp2.pk, "organisation": "ugm", "letter": "A"},
        {"work_package": wp2.pk, "organisation": "bio-farma", "letter": "R"},
        {"work_package": wp2.pk, "organisation": "kemenkes", "letter": "I"},
    ]
    body = ok(ApiClient(s.coordinator).put(path(s, "/raci"), {"cells": cells}))
    assert body["complete"] is True and body["problems"] == [] and body["flagged_partners"] == []
    assert len(ledger("raci.replaced")) == 1


def test_a_whole_matrix_with_two_accountables_is_refused_cell_by_cell():
    s = raci_setup()
    wp = add_wp(s, "WP1")
    services.set_responsibility(
        actor=s.coordinator, work_package=wp, organisation=s.ugm, letter="R"
    )
    cells = [
        {"work_package": wp.pk, "organisation": "kemenkes", "letter": "A"},
        {"work_package": wp.pk, "organisation": "bio-farma", "letter": "A"},
        {"work_package": wp.pk, "organisation": "ugm", "letter": "Q"},
    ]
    response = ApiClient(s.coordinator).put(path(s, "/raci"), {"cells": cells})
    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"cells[1].letter", "cells[2].letter"}
    assert "Kemenkes" in fields["cells[1].letter"][0]
    assert dict(wp.assignments.values_list("organisation__slug", "letter")) == {"ugm": "R"}
    assert not ledger("raci.replaced")


# ---------------------------------------------------------------- exports


def test_the_csv_export_has_a_header_partner_columns_and_a_legend():
    s = raci_setup("public")
    wp = add_wp(s, "WP1", "=cmd|' /C calc'!A0")
    services.set_responsibility(
        actor=s.coordinator, work_package=wp, organisation=s.kemenkes, letter="A"
    )
    response = ApiClient().get(path(s, "/raci.csv"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="raci-')
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "Code,Work package,Goal,Bio Farma,Kemenkes,UGM,Problems"
    assert lines[1].startswith("WP1,'=cmd|' /C calc'!A0,,,A,,")
    assert "Legend" in lines
    assert "A,Accountable: answers for the result; one per work package" in lines


def test_the_xlsx_export_opens_with_the_letters_in_their_cells():
    s = raci_setup("public")
    wp = add_wp(s, "WP1", "=SUM(1,1)")
    services.set_responsibility(
        actor=s.coordinator, work_package=wp, organisation=s.ugm, letter="R"
    )
    response = ApiClient().get(path(s, "/raci.xlsx"))
    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(response.content)).active
    header = [c.value for c in sheet[1]]
    assert header == ["Code", "Work package", "Goal", "Bio Farma", "Kemenkes", "UGM", "Problems"]
    assert sheet["A2"].value == "WP1"
    # neutralised as in the CSV and the other exports: text, never a formula
    assert sheet["B2"].value == "'=SUM(1,1)" and sheet["B2"].data_type == "s"
    assert sheet["F2"].value == "R"
    assert sheet["E2"].value is None
    assert sheet["A4"].value == "Legend"
    assert sheet["A6"].value == "A"


def test_the_xlsx_export_holds_the_csv_cells_formula_like_text_neutralised_alike():
    import csv

    s = raci_setup("public")
    goal = Goal.objects.create(partnership=s.partnership, title="@SUM(A1)")
    wp = add_wp(s, "+WP1", '=HYPERLINK("http://evil.example","Click")', goal=goal)
    services.set_responsibility(
        actor=s.coordinator, work_package=wp, organisation=s.ugm, letter="R"
    )
    s.ugm.name = "-2+3"
    s.ugm.save()
    text = ApiClient().get(path(s, "/raci.csv")).content.decode("utf-8-sig")
    workbook = load_workbook(io.BytesIO(ApiClient().get(path(s, "/raci.xlsx")).content))

    from_csv = [row for row in csv.reader(io.StringIO(text)) if row]
    from_xlsx = [
        ["" if v is None else v for v in row]
        for row in workbook.active.iter_rows(values_only=True)
        if any(v is not None for v in row)
    ]
    assert [row[: len(line)] for row, line in zip(from_xlsx, from_csv, strict=True)] == from_csv
    assert from_xlsx[1][:3] == [
        "'+WP1",
        '\'=HYPERLINK("http://evil.example","Click")',
        "'@SUM(A1)",
    ]
    assert "'-2+3" in from_xlsx[-1]
    assert not any(cell.data_type == "f" for row in workbook.active.iter_rows() for cell in row)


# ---------------------------------------------------------------- permissions


READS = ["/raci", "/work-packages", "/raci.csv", "/raci.xlsx"]


@pytest.mark.parametrize("who", ["anonymous", "outsider"])
@pytest.mark.parametrize("rest", READS)
def test_outsiders_of_a_private_partnership_get_not_found(who, rest):
    s = raci_setup("private")
    add_wp(s, "WP1")
    assert api_as(s, who).get(path(s, rest)).status_code == 404


@pytest.mark.parametrize("who", ["anonymous", "outsider"])
def test_outsiders_of_a_private_partnership_cannot_write_either(who):
    s = raci_setup("private")
    wp = add_wp(s, "WP1")
    api = api_as(s, who)
    cell = {"work_package": wp.pk, "organisation": "ugm", "letter": "R"}
    assert api.put(path(s, "/raci/cells"), cell).status_code == 404
    assert api.put(path(s, "/raci"), {"cells": [cell]}).status_code == 404
    assert api.post(path(s, "/work-packages"), {"code": "X", "title": "x"}).status_code == 404
    assert api.delete(path(s, f"/work-packages/{wp.pk}")).status_code == 404


@pytest.mark.parametrize("who", ["coordinator", "partner_admin", "member", "observer", "staff"])
@pytest.mark.parametrize("rest", READS)
def test_everyone_who_may_see_a_private_partnership_reads_its_raci(who, rest):
    s = raci_setup("private")
    add_wp(s, "WP1")
    assert api_as(s, who).get(path(s, rest)).status_code == 200


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("partner_admin", 403),
        ("member", 403),
        ("observer", 403),
        ("outsider", 403),
        ("anonymous", 401),
        ("staff", 200),
        ("coordinator", 200),
    ],
)
def test_only_coordinators_and_staff_change_the_matrix(who, status):
    s = raci_setup("public")
    wp = add_wp(s, "WP1")
    response = api_as(s, who).put(
        path(s, "/raci/cells"), {"work_package": wp.pk, "organisation": "ugm", "letter": "R"}
    )
    assert response.status_code == status
    assert RaciAssignment.objects.exists() == (status == 200)


@pytest.mark.parametrize("who", ["member", "observer", "partner_admin"])
def test_readers_cannot_add_or_delete_work_packages(who):
    s = raci_setup("public")
    wp = add_wp(s, "WP1")
    api = api_as(s, who)
    assert api.post(path(s, "/work-packages"), {"code": "X", "title": "x"}).status_code == 403
    assert api.delete(path(s, f"/work-packages/{wp.pk}")).status_code == 403
    assert api.patch(path(s, f"/work-packages/{wp.pk}"), {"title": "y"}).status_code == 403
    assert api.put(path(s, "/raci"), {"cells": []}).status_code == 403
