"""The "Vision and goals" tab, its HTMX partials and the overview's SDG tiles."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from itertools import pairwise

import pytest
from django.test import Client

from sinergi.ledger.models import Entry
from sinergi.partnerships.goals import services
from sinergi.partnerships.models import Goal
from tests.conftest import Cast, client_for
from tests.factories import OrganisationFactory

HTMX = {"HX-Request": "true"}


def design(cast: Cast, suffix: str = "") -> str:
    return f"/en/partnerships/{cast.partnership.slug}/design/{suffix}"


def add_goal(cast: Cast, **fields) -> Goal:
    values = {
        "title": "Full basic immunisation in NTT",
        "measure": "Share of children 12-23 months fully immunised",
        "baseline_value": Decimal("61.5000"),
        "target_value": Decimal("95"),
        "unit": "%",
        "target_date": date(2029, 12, 31),
        "owner": cast.people["coordinator"].organisation,
        "sdg_targets": ["3.b", "3.8"],
        **fields,
    }
    return services.create_goal(
        actor=cast.people["coordinator"], partnership=cast.partnership, **values
    )


def goal_form(**fields) -> dict:
    return {
        "title": "Zero-dose children halved",
        "measure": "Children with no DTP1 dose",
        "baseline_value": "48000",
        "target_value": "24000",
        "unit": "children",
        "target_date": "2028-12-31",
        "owner": "",
        "sdg_targets": "3.b, 3.2",
        **fields,
    }


# Reading --------------------------------------------------------------------------------


def test_the_tab_shows_vision_alignment_and_smart_goals(public_cast):
    public_cast.partnership.vision = "Every child immunised."
    public_cast.partnership.save()
    add_goal(public_cast)
    add_goal(public_cast, title="Cold chain", measure="", sdg_targets=["9.1"])
    response = Client().get(design(public_cast))
    assert response.status_code == 200
    body = response.text
    assert 'aria-current="page">Vision and goals</a>' in body
    assert "Every child immunised." in body
    assert re.findall(r'class="sdg-tile" href="/en/sdg/(\d+)/"', body) == ["3", "9"]
    assert "3.8, 3.b" in body  # the targets under the goal tile, in official order
    assert "61.5 %" in body and "95 %" in body and "31 Dec 2029" in body
    assert '<span class="badge measurable">measurable</span>' in body
    assert '<span class="badge not-measurable">not yet measurable</span>' in body
    assert 'href="/en/sdg/3/#target-3.b"' in body


@pytest.mark.parametrize("role", ["anonymous", "outsider", "observer", "member", "partner_admin"])
def test_viewers_see_the_tab_read_only(public_cast, role):
    add_goal(public_cast)
    body = client_for(public_cast.people[role]).get(design(public_cast)).text
    assert "Full basic immunisation in NTT" in body
    assert "<form" not in body.split('<main id="main"', 1)[1]
    assert "Edit the vision" not in body and "Add a goal" not in body


@pytest.mark.parametrize("role", ["coordinator", "staff"])
def test_coordinators_see_the_editing_controls(public_cast, role):
    add_goal(public_cast)
    body = client_for(public_cast.people[role]).get(design(public_cast)).text
    assert "Edit the vision" in body and "Add a goal" in body
    assert 'list="new-goal-sdg_targets-options"' in body
    assert 'hx-get="/en/sdg/target-options/"' in body
    assert '<datalist id="new-goal-sdg_targets-options">' in body


@pytest.mark.parametrize("role", ["anonymous", "outsider"])
def test_a_private_partnerships_tab_is_not_found_for_outsiders(private_cast, role):
    add_goal(private_cast)
    client = client_for(private_cast.people[role])
    goal = Goal.objects.get()
    for path in ("", "vision/", f"goals/{goal.pk}/"):
        response = client.get(design(private_cast, path))
        assert response.status_code == 404
        assert "Full basic immunisation" not in response.text
    for path in ("goals/", f"goals/{goal.pk}/delete/", f"goals/{goal.pk}/move/"):
        assert client.post(design(private_cast, path), goal_form()).status_code == 404
    assert Goal.objects.count() == 1


@pytest.mark.parametrize("role", ["observer", "member", "partner_admin"])
def test_viewers_may_not_post(private_cast, role):
    goal = add_goal(private_cast)
    client = client_for(private_cast.people[role])
    assert client.post(design(private_cast, "goals/"), goal_form()).status_code == 403
    assert client.post(design(private_cast, f"goals/{goal.pk}/delete/")).status_code == 403
    assert client.post(design(private_cast, "vision/"), {"vision": "x"}).status_code == 403
    assert Goal.objects.count() == 1


def test_the_tab_takes_a_fixed_number_of_queries(public_cast, django_assert_max_num_queries):
    for n in range(12):
        add_goal(public_cast, title=f"Goal {n}")
    client = client_for(public_cast.people["coordinator"])
    with django_assert_max_num_queries(12):
        response = client.get(design(public_cast))
    assert response.text.count('class="goal-list"') == 1
    assert response.text.count('<li id="goal-') == 12


# Adding ---------------------------------------------------------------------------------


def test_a_coordinator_adds_a_goal_with_htmx_and_gets_the_refreshed_region(private_cast):
    client = client_for(private_cast.people["coordinator"])
    response = client.post(design(private_cast, "goals/"), goal_form(), headers=HTMX)
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#design-goals"
    assert "<html" not in response.text
    assert "The goal is added." in response.text
    assert "Zero-dose children halved" in response.text
    assert re.findall(r'class="sdg-tile" href="/en/sdg/(\d+)/"', response.text) == ["3"]
    goal = Goal.objects.get()
    assert goal.sdg_targets == ["3.b", "3.2"] and goal.is_measurable
    assert Entry.objects.filter(kind="goal.created").count() == 1


def test_an_unknown_sdg_code_shows_inline_and_saves_nothing_with_htmx(private_cast):
    client = client_for(private_cast.people["coordinator"])
    response = client.post(
        design(private_cast, "goals/"), goal_form(sdg_targets="3.b, 3.z"), headers=HTMX
    )
    assert response.status_code == 200  # htmx swaps only 2xx responses in
    assert "“3.z” is not an SDG target code" in response.text
    assert 'aria-invalid="true"' in response.text
    assert 'value="3.b, 3.z"' in response.text  # what was typed stays
    assert re.search(r'<input[^>]*name="sdg_targets"[^>]*autofocus', response.text)
    assert not Goal.objects.exists()


def test_targets_written_with_an_sdg_prefix_are_read_as_their_codes(private_cast):
    """Given "SDG 13.1, SDG 3.B" (as the guide writes them), then the goal links 13.1 and
    3.b (before, "SDG" was split off as a code of its own: '“” is not an SDG target
    code')."""
    client = client_for(private_cast.people["coordinator"])

    response = client.post(
        design(private_cast, "goals/"), goal_form(sdg_targets="SDG 13.1, SDG 3.B"), headers=HTMX
    )

    assert response.status_code == 200
    assert "is not an SDG target code" not in response.text
    assert Goal.objects.get().sdg_targets == ["13.1", "3.b"]


def test_without_javascript_a_rejected_goal_is_the_whole_page_with_422(private_cast):
    client = client_for(private_cast.people["coordinator"])
    stranger = OrganisationFactory()
    response = client.post(
        design(private_cast, "goals/"),
        goal_form(owner=str(stranger.pk), target_value="1.234567", title=""),
    )
    assert response.status_code == 422
    assert "<html" in response.text
    assert "This field is required." in response.text
    assert "Select a valid choice." in response.text  # only partners can be chosen
    assert "Ensure that there are no more than 4 decimal places." in response.text
    assert not Goal.objects.exists()


def test_without_javascript_an_added_goal_redirects_to_the_tab(private_cast):
    client = client_for(private_cast.people["coordinator"])
    owner = private_cast.people["coordinator"].organisation
    response = client.post(design(private_cast, "goals/"), goal_form(owner=str(owner.pk)))
    goal = Goal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == design(private_cast) + f"#goal-{goal.pk}"
    assert goal.owner == owner


# Editing, deleting, moving ------------------------------------------------------------------


def test_the_edit_form_replaces_the_goal_in_place_with_its_values(private_cast):
    goal = add_goal(private_cast)
    client = client_for(private_cast.people["coordinator"])
    response = client.get(design(private_cast, f"goals/{goal.pk}/"), headers=HTMX)
    assert response.status_code == 200
    assert response.text.startswith(f'<li id="goal-{goal.pk}">')
    assert 'value="61.5"' in response.text and 'value="3.b, 3.8"' in response.text
    assert f'id="goal-{goal.pk}-title"' in response.text
    cancel = client.get(design(private_cast, f"goals/{goal.pk}/?cancel=1"), headers=HTMX)
    assert cancel.text.startswith(f'<li id="goal-{goal.pk}">') and "<form" in cancel.text


def heading_levels(html: str) -> list[int]:
    return [int(level) for level in re.findall(r"<h([1-6])[\s>]", html)]


def test_the_edit_page_without_javascript_has_no_gap_in_its_headings(private_cast):
    """The standalone edit page puts the form's heading right under the page's h1 (an h2),
    while the form swapped in place on the tab keeps the goals' level (h3, under h2)."""
    goal = add_goal(private_cast)
    client = client_for(private_cast.people["coordinator"])
    page = client.get(design(private_cast, f"goals/{goal.pk}/")).text
    levels = heading_levels(page.split("<main", 1)[1])
    assert levels[0] == 1
    assert all(b - a <= 1 for a, b in pairwise(levels)), levels
    assert f'<h2 id="goal-{goal.pk}-edit-title">' in page
    inline = client.get(design(private_cast, f"goals/{goal.pk}/"), headers=HTMX).text
    assert f'<h3 id="goal-{goal.pk}-edit-title">' in inline


def test_the_edit_page_is_titled_by_its_goal_and_says_when_it_comes_back_wrong(private_cast):
    goal = add_goal(private_cast)
    client = client_for(private_cast.people["coordinator"])
    expected = f"Edit goal: {goal.title} · {private_cast.partnership.title} · Sinergi"
    page = client.get(design(private_cast, f"goals/{goal.pk}/")).text
    assert f"<title>{expected}</title>" in page
    wrong = client.post(design(private_cast, f"goals/{goal.pk}/"), goal_form(sdg_targets="3.z"))
    assert wrong.status_code == 422
    assert f"<title>Error: {expected}</title>" in wrong.text


def test_the_keyboard_follows_an_inline_edit_and_its_cancel(private_cast):
    """Given goals edited in place, then opening the form puts the keyboard on its first
    field (title), and Cancel puts it back on the goal's Edit link; the goal that comes
    back has the list's moves (no Move up for the first goal, no Move down for the last)."""
    first = add_goal(private_cast, title="First goal")
    last = add_goal(private_cast, title="Last goal")
    client = client_for(private_cast.people["coordinator"])

    opened = client.get(design(private_cast, f"goals/{first.pk}/"), headers=HTMX)
    cancelled = [
        client.get(design(private_cast, f"goals/{goal.pk}/?cancel=1"), headers=HTMX).text
        for goal in (first, last)
    ]

    assert re.findall(r"<(?:input|textarea|select)[^>]*autofocus[^>]*>", opened.text) == [
        re.search(r'<input[^>]*name="title"[^>]*>', opened.text).group(0)
    ]
    for text in cancelled:
        assert re.findall(r"<[a-z]+[^>]*autofocus[^>]*>", text) == [
            re.search(r'<a href="[^"]*" hx-get="[^"]*/goals/\d+/"[^>]*>', text).group(0)
        ]
    assert 'value="up"' not in cancelled[0] and 'value="down"' in cancelled[0]
    assert 'value="up"' in cancelled[1] and 'value="down"' not in cancelled[1]


def test_saving_an_edit_with_htmx_refreshes_the_region(private_cast):
    goal = add_goal(private_cast)
    client = client_for(private_cast.people["coordinator"])
    response = client.post(
        design(private_cast, f"goals/{goal.pk}/"),
        goal_form(title="Renamed", sdg_targets="17.18"),
        headers=HTMX,
    )
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#design-goals"
    assert "Renamed" in response.text
    assert re.findall(r'class="sdg-tile" href="/en/sdg/(\d+)/"', response.text) == ["17"]
    goal.refresh_from_db()
    assert goal.title == "Renamed"


def test_a_rejected_edit_keeps_the_form_in_place_and_the_goal_unchanged(private_cast):
    goal = add_goal(private_cast)
    client = client_for(private_cast.people["coordinator"])
    response = client.post(
        design(private_cast, f"goals/{goal.pk}/"),
        goal_form(title="Renamed", target_date="1850-01-01"),
        headers=HTMX,
    )
    assert response.status_code == 200
    assert "HX-Retarget" not in response
    assert response.text.startswith(f'<li id="goal-{goal.pk}">')
    assert "Choose a target date between 2000 and 2100." in response.text
    goal.refresh_from_db()
    assert goal.title == "Full basic immunisation in NTT"
    plain = client.post(design(private_cast, f"goals/{goal.pk}/"), goal_form(sdg_targets="3.z"))
    assert plain.status_code == 422 and "<html" in plain.text


def test_deleting_a_goal(private_cast):
    goal = add_goal(private_cast)
    client = client_for(private_cast.people["coordinator"])
    response = client.post(design(private_cast, f"goals/{goal.pk}/delete/"), headers=HTMX)
    assert response.status_code == 200
    assert "The goal was removed." in response.text
    assert "No goals yet." in response.text
    assert not Goal.objects.exists()


def test_moving_a_goal_up_keeps_the_keyboard_on_its_button(private_cast):
    first, second, third = (add_goal(private_cast, title=t) for t in ("One", "Two", "Three"))
    client = client_for(private_cast.people["coordinator"])
    response = client.post(
        design(private_cast, f"goals/{third.pk}/move/"), {"direction": "up"}, headers=HTMX
    )
    assert response.status_code == 200
    assert list(Goal.objects.order_by("position").values_list("pk", flat=True)) == [
        first.pk,
        third.pk,
        second.pk,
    ]
    assert re.search(r'value="up"><button[^>]*autofocus', response.text)
    # At the top there is no "Move up": the focus goes to "Move down".
    response = client.post(
        design(private_cast, f"goals/{third.pk}/move/"), {"direction": "up"}, headers=HTMX
    )
    assert re.search(r'value="down"><button[^>]*autofocus', response.text)
    plain = client.post(design(private_cast, f"goals/{third.pk}/move/"), {"direction": "down"})
    assert plain.status_code == 302


# Vision ---------------------------------------------------------------------------------------


def test_the_vision_is_edited_in_place(private_cast):
    client = client_for(private_cast.people["coordinator"])
    editor = client.get(design(private_cast, "vision/"), headers=HTMX)
    assert editor.status_code == 200
    assert editor.text.startswith('<section id="vision"')
    assert "<textarea" in editor.text and "autofocus" in editor.text
    saved = client.post(
        design(private_cast, "vision/"), {"vision": "Every child, everywhere."}, headers=HTMX
    )
    assert saved.status_code == 200
    assert "The shared vision is saved." in saved.text
    assert "Every child, everywhere." in saved.text
    private_cast.partnership.refresh_from_db()
    assert private_cast.partnership.vision == "Every child, everywhere."
    entry = Entry.objects.filter(kind="partnership.updated").get()
    assert entry.partnership_ref == private_cast.partnership.pk


def test_the_vision_editor_works_without_javascript(private_cast):
    client = client_for(private_cast.people["coordinator"])
    page = client.get(design(private_cast, "vision/"))
    assert page.status_code == 200 and "<html" in page.text
    response = client.post(design(private_cast, "vision/"), {"vision": "Shared."})
    assert response.status_code == 302
    assert response["Location"] == design(private_cast) + "#vision"
    too_long = client.post(design(private_cast, "vision/"), {"vision": "x" * 10001})
    assert too_long.status_code == 422
    private_cast.partnership.refresh_from_db()
    assert private_cast.partnership.vision == "Shared."


# Overview -------------------------------------------------------------------------------------


def test_the_overview_shows_the_sdg_alignment_at_a_glance(public_cast):
    add_goal(public_cast, sdg_targets=["3.b"])
    add_goal(public_cast, title="Data", sdg_targets=["17.18", "3.8"])
    body = Client().get(f"/en/partnerships/{public_cast.partnership.slug}/").text
    assert re.findall(r'class="sdg-tile" href="/en/sdg/(\d+)/"', body) == ["3", "17"]
    assert "SDG alignment" in body
    assert f'href="/en/partnerships/{public_cast.partnership.slug}/design/"' in body


def test_the_overview_without_goals_has_no_alignment_section(public_cast):
    body = Client().get(f"/en/partnerships/{public_cast.partnership.slug}/").text
    assert "SDG alignment" not in body


def test_in_indonesian_the_tiles_use_the_tpb_names(public_cast):
    add_goal(public_cast)
    body = Client().get(f"/id/partnerships/{public_cast.partnership.slug}/design/").text
    assert "Kehidupan Sehat dan Sejahtera" in body


def test_the_edit_page_of_its_own_sends_its_form_as_a_page(private_cast):
    """The Edit link opened in a tab of its own gives a page whose form is not sent in
    place: in place it named a region that page does not have, and saving showed nothing
    (HTMX: "Invalid re-target #design-goals"; the Indonesian UI review found it)."""
    goal = add_goal(private_cast)
    client = client_for(private_cast.people["coordinator"])
    page = client.get(design(private_cast, f"goals/{goal.pk}/")).text
    form_tag = page.split('class="goal-list"', 1)[1].split("<form", 1)[1].split(">", 1)[0]
    assert "hx-post" not in form_tag and "hx-target" not in form_tag
    assert "?cancel=1" not in page  # its Cancel is a plain link back to the tab
    inline = client.get(design(private_cast, f"goals/{goal.pk}/"), headers=HTMX).text
    assert "hx-post" in inline.split("<form", 1)[1].split(">", 1)[0]  # in place on the tab
