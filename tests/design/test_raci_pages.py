"""The RACI page: matrix, in-place cell edits (HTMX and plain forms), work packages, exports."""

from __future__ import annotations

import io
import re

import pytest
from django.test import Client
from openpyxl import load_workbook

from sinergi.partnerships.models import RaciAssignment, WorkPackage
from sinergi.partnerships.raci import services
from tests.conftest import client_for
from tests.design.raci_fixtures import RaciSetup, add_wp, ledger, raci_setup
from tests.factories import MembershipFactory, PersonFactory
from tests.forms_on_page import form_on_page

pytestmark = pytest.mark.django_db


def url(s: RaciSetup, rest: str = "") -> str:
    return f"/en/partnerships/{s.partnership.slug}/raci/{rest}"


def member(s: RaciSetup, role: str):
    person = PersonFactory(organisation=s.ugm)
    MembershipFactory(partnership=s.partnership, person=person, role=role)
    return person


def cell_td(html: str, wp: str, org: str) -> str:
    """The <td> of one cell, found by its stable selector td[data-wp][data-org]."""
    match = re.search(rf'<td[^>]*data-wp="{wp}" data-org="{org}".*?</td>', html, flags=re.DOTALL)
    assert match, f"no cell {wp}/{org}"
    return match.group(0)


def filled(s: RaciSetup) -> WorkPackage:
    """WP1 with Kemenkes Accountable and Bio Farma Responsible."""
    wp = add_wp(s, "WP1", "Vaccine supply")
    for org, letter in ((s.kemenkes, "A"), (s.bio_farma, "R")):
        services.set_responsibility(
            actor=s.coordinator, work_package=wp, organisation=org, letter=letter
        )
    return wp


# ---------------------------------------------------------------- reading


def test_a_reader_sees_the_matrix_read_only_with_spoken_labels_and_problems():
    """Given a public partnership with WP1 (Kemenkes A, Bio Farma R), when an anonymous
    visitor opens the page, then the table shows the letters without form controls,
    each cell says "Bio Farma in WP1: Responsible", and UGM is flagged."""
    s = raci_setup("public")
    filled(s)
    response = Client().get(url(s))
    assert response.status_code == 200
    html = response.text
    assert '<table class="list raci" id="raci-matrix"' in html
    assert "data-raci-grid" not in html and 'name="letter"' not in html
    assert "raci.js" not in html
    td = cell_td(html, "WP1", "bio-farma")
    assert ">R<" in td and "Bio Farma in WP1: Responsible" in td
    assert 'data-org="ugm"' in html and "UGM has no responsibility" in html
    assert 'aria-current="page">Roles (RACI)</a>' in html
    assert "Add a work package" not in html


def test_a_coordinator_gets_an_editable_grid_with_stable_cell_selectors():
    s = raci_setup()
    wp = filled(s)
    html = client_for(s.coordinator).get(url(s)).text
    td = cell_td(html, "WP1", "kemenkes")
    assert f'id="cell-{wp.pk}-{s.kemenkes.pk}"' in td
    assert 'aria-label="Kemenkes in WP1: Accountable"' in td
    assert '<option value="A" title="Accountable" selected>A</option>' in td
    assert 'hx-post="' in td and f'hx-target="#wp-{wp.pk}"' in td
    assert "<noscript><button" in td  # works without JavaScript
    assert "data-raci-grid" in html and "/static/sinergi/raci.js" in html
    assert "Add a work package" in html


def test_a_complete_matrix_says_so_and_shows_no_badges():
    s = raci_setup()
    wp = filled(s)
    services.set_responsibility(
        actor=s.coordinator, work_package=wp, organisation=s.ugm, letter="R"
    )
    html = client_for(s.coordinator).get(url(s)).text
    assert "Complete: every work package" in html
    assert "badge warn" not in html


def test_row_badges_name_the_missing_roles():
    s = raci_setup()
    add_wp(s, "WP1")
    html = client_for(s.coordinator).get(url(s)).text
    assert 'data-problem="no_accountable">no Accountable' in html
    assert 'data-problem="no_responsible">no Responsible' in html


def test_the_page_takes_the_same_number_of_queries_for_many_work_packages(
    django_assert_max_num_queries,
):
    s = raci_setup()
    client = client_for(s.coordinator)
    filled(s)
    client.get(url(s))  # warm the session and caches
    # session, person, partnership and role, partners, work packages, cells, goals (form)
    with django_assert_max_num_queries(7) as few:
        client.get(url(s))
    for n in range(2, 15):
        wp = add_wp(s, f"WP{n}")
        services.set_responsibility(
            actor=s.coordinator, work_package=wp, organisation=s.ugm, letter="A"
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url(s))
    assert response.content.count(b'<tr id="wp-') == 14


# ---------------------------------------------------------------- one cell


def test_an_htmx_cell_change_saves_and_answers_with_the_row_header_and_problems():
    s = raci_setup()
    wp = filled(s)
    response = client_for(s.coordinator).post(
        url(s, "cell/"),
        {"work_package": wp.pk, "organisation": "ugm", "letter": "R"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.text
    assert html.lstrip().startswith(f'<tr id="wp-{wp.pk}"')
    assert 'aria-label="UGM in WP1: Responsible"' in html
    # Out-of-band parts come in <template>s: after a <tr> a bare <thead> would be dropped.
    # The problems replace the content of the live region, not the region itself (a new
    # live region is often not announced).
    assert '<template><thead id="raci-head" hx-swap-oob="true">' in html
    assert (
        '<template><section id="raci-problems" class="raci-problems" aria-live="polite" '
        'hx-swap-oob="innerHTML">' in html
    )
    assert "Complete: every work package" in html
    assert RaciAssignment.objects.get(work_package=wp, organisation=s.ugm).letter == "R"
    assert ledger("raci.changed")[-1] == {
        "work_package": "WP1",
        "organisation": "ugm",
        "old": None,
        "new": "R",
    }


def test_an_htmx_second_accountable_shows_the_error_in_the_cell_and_saves_nothing():
    s = raci_setup()
    wp = filled(s)
    response = client_for(s.coordinator).post(
        url(s, "cell/"),
        {"work_package": wp.pk, "organisation": "ugm", "letter": "A"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200  # HTMX swaps only successful answers
    td = cell_td(response.text, "WP1", "ugm")
    assert 'aria-invalid="true"' in td and 'role="alert"' in td
    assert "WP1 already has an Accountable partner: Ministry of Health (Kemenkes)" in td
    assert not RaciAssignment.objects.filter(organisation=s.ugm).exists()


def test_clearing_a_cell_with_an_empty_letter():
    s = raci_setup()
    wp = filled(s)
    response = client_for(s.coordinator).post(
        url(s, "cell/"),
        {"work_package": wp.pk, "organisation": "bio-farma", "letter": ""},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert 'data-problem="no_responsible"' in response.text
    assert not RaciAssignment.objects.filter(organisation=s.bio_farma).exists()


def test_without_javascript_a_cell_form_saves_and_comes_back_to_the_row():
    s = raci_setup()
    wp = filled(s)
    response = client_for(s.coordinator).post(
        url(s, "cell/"), {"work_package": wp.pk, "organisation": "ugm", "letter": "C"}
    )
    assert response.status_code == 302
    assert response["Location"] == url(s) + f"#wp-{wp.pk}"
    assert RaciAssignment.objects.get(organisation=s.ugm).letter == "C"


def test_without_javascript_an_error_is_a_422_page_with_the_error_at_the_cell():
    s = raci_setup()
    wp = filled(s)
    response = client_for(s.coordinator).post(
        url(s, "cell/"), {"work_package": wp.pk, "organisation": "ugm", "letter": "A"}
    )
    assert response.status_code == 422
    td = cell_td(response.text, "WP1", "ugm")
    assert "already has an Accountable partner" in td
    assert not RaciAssignment.objects.filter(organisation=s.ugm).exists()


def test_a_bad_letter_or_non_partner_in_a_cell_form_is_an_error():
    s = raci_setup()
    wp = filled(s)
    client = client_for(s.coordinator)
    response = client.post(
        url(s, "cell/"), {"work_package": wp.pk, "organisation": "ugm", "letter": "Z"}
    )
    assert response.status_code == 422
    assert "Select a valid choice" in cell_td(response.text, "WP1", "ugm")
    response = client.post(
        url(s, "cell/"), {"work_package": wp.pk, "organisation": "nobody", "letter": "R"}
    )
    assert response.status_code == 422
    assert response.text.count("nobody is not a partner in this partnership") == 1
    assert RaciAssignment.objects.count() == 2


def test_an_htmx_change_for_a_cell_not_on_the_page_shows_the_error_above_the_matrix():
    """Given a request for an organisation that is no column (not a partner), when it is
    sent with HTMX, then the answer is retargeted to the problems summary."""
    s = raci_setup()
    wp = filled(s)
    response = client_for(s.coordinator).post(
        url(s, "cell/"),
        {"work_package": wp.pk, "organisation": "nobody", "letter": "R"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#raci-problems"
    assert response["HX-Reswap"] == "innerHTML"  # the live region stays; its content changes
    assert "<section" not in response.text
    assert "nobody is not a partner in this partnership" in response.text


# ---------------------------------------------------------------- the whole matrix form


def test_the_whole_matrix_form_saves_all_cells_at_once():
    s = raci_setup()
    wp = filled(s)
    client = client_for(s.coordinator)
    assert client.get(url(s, "edit/")).status_code == 200
    k, b, u = (f"cell-{wp.pk}-{o.pk}" for o in (s.kemenkes, s.bio_farma, s.ugm))
    response = client.post(url(s, "edit/"), {k: "R", b: "A", u: "R"})
    assert response.status_code == 302
    assert dict(wp.assignments.values_list("organisation__slug", "letter")) == {
        "kemenkes": "R",
        "bio-farma": "A",
        "ugm": "R",
    }
    assert ledger("raci.updated") == [
        {"matrix": {"WP1": {"bio-farma": "A", "kemenkes": "R", "ugm": "R"}}, "changed_cells": 3}
    ]


def test_the_whole_matrix_form_with_two_accountables_saves_nothing_and_marks_the_cell():
    s = raci_setup()
    wp = filled(s)
    k, b, u = (f"cell-{wp.pk}-{o.pk}" for o in (s.kemenkes, s.bio_farma, s.ugm))
    response = client_for(s.coordinator).post(url(s, "edit/"), {k: "A", b: "R", u: "A"})
    assert response.status_code == 422
    td = cell_td(response.text, "WP1", "ugm")
    assert 'aria-invalid="true"' in td and "already has an Accountable partner" in td
    assert '<option value="A" title="Accountable" selected>' in td  # keeps what was typed
    assert not RaciAssignment.objects.filter(organisation=s.ugm).exists()
    assert not ledger("raci.updated")


def form_fields(html: str) -> dict[str, str]:
    """What the matrix form would post as it was read: each cell's selected letter and
    the hidden letter it showed."""
    return {name: values[0] for name, values in form_on_page(html).items() if values}


def test_a_stale_matrix_form_keeps_a_work_package_added_meanwhile():
    """Given the matrix form read before WP9 was added and two of its cells set, when
    the kept form is saved with one change, then WP9 keeps its cells and the ledger entry
    records only the changed cell."""
    s = raci_setup()
    wp1 = filled(s)
    client = client_for(s.coordinator)
    kept = form_fields(client.get(url(s, "edit/")).text)
    assert kept[f"initial-cell-{wp1.pk}-{s.kemenkes.pk}"] == "A"
    assert client.post(url(s), {"wp-code": "WP9", "wp-title": "Late"}).status_code == 302
    wp9 = WorkPackage.objects.get(code="WP9")
    for org, letter in (("kemenkes", "A"), ("ugm", "R")):
        client.post(
            url(s, "cell/"), {"work_package": wp9.pk, "organisation": org, "letter": letter}
        )
    assert dict(wp9.assignments.values_list("organisation__slug", "letter")) == {
        "kemenkes": "A",
        "ugm": "R",
    }

    kept[f"cell-{wp1.pk}-{s.ugm.pk}"] = "C"
    response = client.post(url(s, "edit/"), kept, follow=True)

    assert "The matrix is saved." in response.text
    assert dict(wp9.assignments.values_list("organisation__slug", "letter")) == {
        "kemenkes": "A",
        "ugm": "R",
    }
    assert dict(wp1.assignments.values_list("organisation__slug", "letter")) == {
        "kemenkes": "A",
        "bio-farma": "R",
        "ugm": "C",
    }
    assert ledger("raci.updated") == [{"matrix": {"WP1": {"ugm": "C"}}, "changed_cells": 1}]
    assert not ledger("raci.replaced")


def test_a_stale_matrix_form_keeps_cells_changed_meanwhile_that_the_reader_left_alone():
    """Given the matrix form read, and then Bio Farma made Consulted and UGM Informed by
    someone else, when the reader saves the form with only UGM changed (to R), then Bio
    Farma stays Consulted and UGM's letter is the reader's."""
    s = raci_setup()
    wp = filled(s)
    client = client_for(s.coordinator)
    kept = form_fields(client.get(url(s, "edit/")).text)
    for org in (s.bio_farma, s.ugm):
        services.set_responsibility(
            actor=s.coordinator,
            work_package=wp,
            organisation=org,
            letter="C" if org == s.bio_farma else "I",
        )

    kept[f"cell-{wp.pk}-{s.ugm.pk}"] = "R"
    assert client.post(url(s, "edit/"), kept).status_code == 302

    assert dict(wp.assignments.values_list("organisation__slug", "letter")) == {
        "kemenkes": "A",
        "bio-farma": "C",
        "ugm": "R",
    }
    assert ledger("raci.updated") == [{"matrix": {"WP1": {"ugm": "R"}}, "changed_cells": 1}]


def test_a_matrix_post_without_a_cell_leaves_that_cell_as_it_is():
    s = raci_setup()
    wp = filled(s)
    client = client_for(s.coordinator)
    kept = form_fields(client.get(url(s, "edit/")).text)
    del kept[f"cell-{wp.pk}-{s.kemenkes.pk}"]  # Accountable
    del kept[f"initial-cell-{wp.pk}-{s.bio_farma.pk}"]  # what it showed: the letter now

    response = client.post(url(s, "edit/"), kept, follow=True)

    assert "Nothing changed." in response.text
    assert dict(wp.assignments.values_list("organisation__slug", "letter")) == {
        "kemenkes": "A",
        "bio-farma": "R",
    }
    assert not ledger("raci.updated")


def test_a_refused_matrix_form_keeps_what_the_reader_was_shown():
    """Given the form read, and Bio Farma made Consulted meanwhile, when the reader's save
    is refused (a second Accountable), then the page shows their letter where they changed
    one, the letter it holds now elsewhere, and keeps the letters first shown with the
    changed cells only, so that saving again still changes only those."""
    s = raci_setup()
    wp = filled(s)
    client = client_for(s.coordinator)
    kept = form_fields(client.get(url(s, "edit/")).text)
    services.set_responsibility(
        actor=s.coordinator, work_package=wp, organisation=s.bio_farma, letter="C"
    )
    kept[f"cell-{wp.pk}-{s.ugm.pk}"] = "A"

    response = client.post(url(s, "edit/"), kept)

    assert response.status_code == 422
    again = form_fields(response.text)
    assert again[f"cell-{wp.pk}-{s.ugm.pk}"] == "A"
    assert again[f"initial-cell-{wp.pk}-{s.ugm.pk}"] == ""
    assert again[f"cell-{wp.pk}-{s.bio_farma.pk}"] == "C"
    assert again[f"initial-cell-{wp.pk}-{s.bio_farma.pk}"] == "C"
    assert not ledger("raci.updated")


# ---------------------------------------------------------------- work packages


def test_adding_a_work_package_with_a_taken_code_shows_the_error_inline():
    s = raci_setup()
    add_wp(s, "WP1")
    client = client_for(s.coordinator)
    response = client.post(url(s), {"wp-code": "WP1", "wp-title": "Again"})
    assert response.status_code == 422
    assert "Another work package already has this code." in response.text
    assert WorkPackage.objects.count() == 1
    response = client.post(url(s), {"wp-code": "WP2", "wp-title": "Outreach"})
    assert response.status_code == 302
    wp2 = WorkPackage.objects.get(code="WP2")
    assert response["Location"] == url(s) + f"#wp-{wp2.pk}"
    assert wp2.position == 1


def test_adding_a_work_package_without_a_title_is_an_inline_error():
    s = raci_setup()
    response = client_for(s.coordinator).post(url(s), {"wp-code": "WP1", "wp-title": ""})
    assert response.status_code == 422
    assert "This field is required." in response.text
    assert not WorkPackage.objects.exists()


def test_editing_a_work_package_keeps_the_saved_one_on_error():
    s = raci_setup()
    add_wp(s, "WP1")
    wp2 = add_wp(s, "WP2", "Outreach")
    client = client_for(s.coordinator)
    edit = url(s, f"work-packages/{wp2.pk}/edit/")
    assert client.get(edit).status_code == 200
    response = client.post(edit, {"code": "WP1", "title": "Renamed"})
    assert response.status_code == 422
    assert "Another work package already has this code." in response.text
    assert "Edit WP2 Outreach" in response.text
    response = client.post(edit, {"code": "WP2", "title": "Renamed", "position": ""})
    assert response.status_code == 302
    wp2.refresh_from_db()
    assert wp2.title == "Renamed" and wp2.position == 1


def test_deleting_a_work_package_asks_first():
    s = raci_setup()
    wp = filled(s)
    client = client_for(s.coordinator)
    delete = url(s, f"work-packages/{wp.pk}/delete/")
    assert "Delete “WP1 Vaccine supply”?" in client.get(delete).text
    assert client.post(delete).status_code == 302
    assert not WorkPackage.objects.exists()
    assert ledger("work_package.deleted")[0]["cells"] == {"kemenkes": "A", "bio-farma": "R"}


# ---------------------------------------------------------------- exports


def test_the_page_exports_csv_and_xlsx():
    s = raci_setup()
    filled(s)
    client = client_for(member(s, "observer"))
    response = client.get(url(s, "export.csv"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert re.match(
        rf'attachment; filename="raci-{s.partnership.slug}-\d{{4}}-\d\d-\d\d\.csv"',
        response["Content-Disposition"],
    )
    rows = response.content.decode("utf-8-sig").splitlines()
    assert rows[1].startswith("WP1,Vaccine supply,,R,A,,")
    response = client.get(url(s, "export.xlsx"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [sheet.cell(row=2, column=c).value for c in range(1, 7)] == [
        "WP1",
        "Vaccine supply",
        None,
        "R",
        "A",
        None,
    ]


# ---------------------------------------------------------------- permissions


PAGES = ["", "export.csv", "export.xlsx", "edit/"]


@pytest.mark.parametrize("who", ["anonymous", "outsider"])
@pytest.mark.parametrize("rest", PAGES)
def test_outsiders_of_a_private_partnership_get_not_found(who, rest):
    s = raci_setup("private")
    add_wp(s, "WP1")
    client = Client() if who == "anonymous" else client_for(PersonFactory())
    assert client.get(url(s, rest)).status_code == 404


@pytest.mark.parametrize("who", ["anonymous", "outsider"])
def test_outsiders_of_a_private_partnership_cannot_post_cells_or_work_packages(who):
    s = raci_setup("private")
    wp = add_wp(s, "WP1")
    client = Client() if who == "anonymous" else client_for(PersonFactory())
    cell = {"work_package": wp.pk, "organisation": "ugm", "letter": "R"}
    assert client.post(url(s, "cell/"), cell).status_code == 404
    assert client.post(url(s), {"wp-code": "X", "wp-title": "x"}).status_code == 404
    assert client.post(url(s, f"work-packages/{wp.pk}/delete/")).status_code == 404
    assert not RaciAssignment.objects.exists() and WorkPackage.objects.count() == 1


@pytest.mark.parametrize("role", ["partner_admin", "member", "observer"])
def test_readers_see_the_page_but_may_not_change_it(role):
    s = raci_setup("private")
    wp = add_wp(s, "WP1")
    client = client_for(member(s, role))
    response = client.get(url(s))
    assert response.status_code == 200 and 'name="letter"' not in response.text
    cell = {"work_package": wp.pk, "organisation": "ugm", "letter": "R"}
    assert client.post(url(s, "cell/"), cell, HTTP_HX_REQUEST="true").status_code == 403
    assert client.post(url(s), {"wp-code": "X", "wp-title": "x"}).status_code == 403
    assert client.get(url(s, "edit/")).status_code == 403
    assert client.get(url(s, f"work-packages/{wp.pk}/edit/")).status_code == 403
    assert client.post(url(s, f"work-packages/{wp.pk}/delete/")).status_code == 403
    assert not RaciAssignment.objects.exists() and WorkPackage.objects.count() == 1


def test_a_work_package_of_another_partnership_is_not_found_here():
    s = raci_setup()
    other = raci_setup(suffix="-2")
    theirs = add_wp(other, "WP1")
    client = client_for(s.coordinator)
    assert client.get(url(s, f"work-packages/{theirs.pk}/edit/")).status_code == 404
    cell = {"work_package": theirs.pk, "organisation": "ugm", "letter": "R"}
    assert client.post(url(s, "cell/"), cell).status_code == 404


@pytest.mark.parametrize("position", [2**31, 2**53, 10**30])
def test_a_position_beyond_the_column_is_an_inline_error(position):
    s = raci_setup()
    client = client_for(s.coordinator)
    client.raise_request_exception = False

    response = client.post(
        url(s), {"wp-code": "WP1", "wp-title": "Pipes", "wp-position": str(position)}
    )

    assert response.status_code == 422
    assert "Ensure this value is less than or equal to 2147483647." in response.text
    assert not WorkPackage.objects.exists()


def test_a_work_package_description_longer_than_the_api_takes_is_refused():
    """Given the add form, when the description has 10,001 characters (the API takes
    10,000), then the form says so and nothing is added or put on the ledger."""
    s = raci_setup()
    client = client_for(s.coordinator)

    response = client.post(
        url(s), {"wp-code": "WP1", "wp-title": "Long", "wp-description": "x" * 10_001}
    )

    assert response.status_code == 422
    assert "at most 10000 characters" in response.text
    assert not WorkPackage.objects.exists()
    assert not ledger("work_package.created")
