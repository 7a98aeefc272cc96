"""The lifecycle page, its HTMX partial, the forms and the indicator on the overview."""

from __future__ import annotations

import pytest

from sinergi.ledger.models import Entry
from sinergi.partnerships.lifecycle import checklist as checklist_module
from sinergi.partnerships.models import Partnership, Stage
from tests.conftest import Cast, client_for
from tests.design.test_lifecycle_checklist import TODAY, build_design
from tests.factories import MembershipFactory, PersonFactory

MISSING_SLUG = "no-such-partnership-here"
HTMX = {"HX-Request": "true", "HX-Target": "lifecycle"}


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr(checklist_module, "today", lambda: TODAY)


@pytest.fixture
def design(db):
    return build_design()


def page(slug: str, suffix: str = "") -> str:
    return f"/en/partnerships/{slug}/lifecycle/{suffix}"


def test_page_shows_the_stages_and_the_current_checklist(design):
    response = client_for(design.coordinator).get(page(design.partnership.slug))

    assert response.status_code == 200
    body = response.content.decode()
    assert '<ol class="stages"' in body
    assert body.count('aria-current="step"') == 1
    assert 'aria-current="step">Scoping' in body
    assert "4 of 4 done" in body
    assert "At least two partner organisations" in body
    assert "✓" in body
    assert "Move to Building" in body
    assert "disabled" not in body.split("Move to Building")[0].rsplit("<button", 1)[1]
    # The later stages' checklists are there, collapsed.
    assert body.count('<details class="stage-checklist">') == 3
    assert 'aria-current="page">Lifecycle' in body


def test_missing_items_disable_the_button_and_say_why(design):
    Partnership.objects.filter(pk=design.partnership.pk).update(vision="")

    response = client_for(design.coordinator).get(page(design.partnership.slug))

    body = response.content.decode()
    assert "3 of 4 done" in body
    assert "✗" in body
    assert 'disabled aria-describedby="advance-blocked"' in body
    assert "Still missing:" in body
    assert "No vision statement has been written yet." in body
    # The vision is fixed on the design page, or on the edit page while there is none.
    link = checklist_module._link(
        ("partnership-design", "partnership-edit"), design.partnership.slug
    )
    assert link is not None
    assert f'href="{link}"' in body


def test_readers_see_the_checklist_without_forms(design):
    observer = PersonFactory()
    MembershipFactory(partnership=design.partnership, person=observer, role="observer")
    Partnership.objects.filter(pk=design.partnership.pk).update(stage=Stage.BUILDING)

    response = client_for(observer).get(page(design.partnership.slug))

    assert response.status_code == 200
    body = response.content.decode()
    assert "Move to" not in body
    assert "Move back" not in body
    assert "Every goal is measurable" in body


def test_advancing_redirects_back_with_a_message(design):
    response = client_for(design.coordinator).post(page(design.partnership.slug, "advance/"))

    assert response.status_code == 302
    assert response["Location"] == page(design.partnership.slug)
    assert Partnership.objects.get(pk=design.partnership.pk).stage == Stage.BUILDING


def test_advancing_anyway_shows_the_inline_error(design):
    """Given missing items, when the form is submitted anyway, then the page answers 422
    with the reasons next to the button, and the stage stays."""
    Partnership.objects.filter(pk=design.partnership.pk).update(vision="")

    response = client_for(design.coordinator).post(page(design.partnership.slug, "advance/"))

    assert response.status_code == 422
    body = response.content.decode()
    assert 'id="advance-errors"' in body
    assert "The partnership cannot move to “Building” yet." in body
    assert "A shared vision: No vision statement has been written yet." in body
    assert Partnership.objects.get(pk=design.partnership.pk).stage == Stage.SCOPING
    assert not Entry.objects.filter(kind__startswith="stage.").exists()


def test_htmx_advance_re_renders_the_checklist(design):
    """Given HTMX, when the coordinator advances, then only the lifecycle section comes back,
    now at building with the building checklist."""
    response = client_for(design.coordinator).post(
        page(design.partnership.slug, "advance/"), headers=HTMX
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body
    assert body.startswith('<section id="lifecycle"')
    # The section is replaced, so the keyboard would be lost and a new status region
    # is often not announced: the notice takes the focus.
    assert (
        '<p class="notice" role="status" tabindex="-1" autofocus>'
        "The partnership moved to “Building”.</p>"
    ) in body
    assert 'aria-current="step">Building' in body
    assert "Every goal is measurable" in body
    assert "Move to Implementing" in body


def test_htmx_advance_blocked_shows_the_error_in_the_partial(design):
    Partnership.objects.filter(pk=design.partnership.pk).update(vision="")

    response = client_for(design.coordinator).post(
        page(design.partnership.slug, "advance/"), headers=HTMX
    )

    assert response.status_code == 200  # so that HTMX swaps it in
    body = response.content.decode()
    assert "<html" not in body
    assert 'role="alert" id="advance-errors" tabindex="-1" autofocus' in body


def test_moving_back_needs_a_reason(design):
    Partnership.objects.filter(pk=design.partnership.pk).update(stage=Stage.IMPLEMENTING)
    client = client_for(design.coordinator)
    url = page(design.partnership.slug, "stage/")

    response = client.post(url, {"back-stage": "building", "back-reason": ""})

    assert response.status_code == 422
    body = response.content.decode()
    assert '<details class="move-back" open>' in body
    assert "This field is required." in body
    assert Partnership.objects.get(pk=design.partnership.pk).stage == Stage.IMPLEMENTING

    response = client.post(
        url, {"back-stage": "building", "back-reason": "Renegotiate"}, headers=HTMX
    )
    assert response.status_code == 200
    assert "The partnership moved back to “Building”." in response.content.decode()
    assert Partnership.objects.get(pk=design.partnership.pk).stage == Stage.BUILDING


def test_the_back_form_offers_only_earlier_stages(design):
    Partnership.objects.filter(pk=design.partnership.pk).update(stage=Stage.BUILDING)
    client = client_for(design.coordinator)

    response = client.post(
        page(design.partnership.slug, "stage/"),
        {"back-stage": "reviewing", "back-reason": "Skip"},
    )

    assert response.status_code == 422
    assert Partnership.objects.get(pk=design.partnership.pk).stage == Stage.BUILDING
    body = client.get(page(design.partnership.slug)).content.decode()
    assert '<option value="scoping">Scoping</option>' in body
    assert '<option value="implementing"' not in body


def test_scoping_has_no_back_form(design):
    body = client_for(design.coordinator).get(page(design.partnership.slug)).content.decode()
    assert "Move back" not in body


def test_the_last_stage_says_so(design):
    Partnership.objects.filter(pk=design.partnership.pk).update(stage=Stage.SUSTAINING)
    body = client_for(design.coordinator).get(page(design.partnership.slug)).content.decode()
    assert "This is the last stage of the lifecycle." in body
    assert "Move to" not in body


@pytest.mark.parametrize(
    "role,status",
    [
        ("coordinator", 302),
        ("staff", 302),
        ("partner_admin", 403),
        ("member", 403),
        ("observer", 403),
        ("outsider", 404),
        ("anonymous", 404),
    ],
)
def test_private_permission_matrix_for_pages(private_cast: Cast, role, status):
    """Members see the page; only coordinators and staff move the stage; outsiders of a
    private partnership get the same 404 as for a partnership that does not exist."""
    slug = private_cast.partnership.slug
    Partnership.objects.filter(slug=slug).update(stage=Stage.BUILDING)
    client = client_for(private_cast.people[role])

    read = client.get(page(slug))
    assert read.status_code == (404 if status == 404 else 200)
    back = client.post(page(slug, "stage/"), {"back-stage": "scoping", "back-reason": "x"})
    assert back.status_code == status
    advance = client.post(page(slug, "advance/"))
    assert advance.status_code == (422 if status == 302 else status)
    if status == 404:
        assert client.get(page(MISSING_SLUG)).status_code == 404
        assert client.post(page(MISSING_SLUG, "advance/")).status_code == 404
    expected = Stage.SCOPING if status == 302 else Stage.BUILDING
    assert Partnership.objects.get(slug=slug).stage == expected


def test_overview_shows_the_stage_indicator(design):
    Partnership.objects.filter(pk=design.partnership.pk).update(vision="")

    response = client_for(design.coordinator).get(f"/en/partnerships/{design.partnership.slug}/")

    body = response.content.decode()
    assert 'class="stage-indicator"' in body
    assert 'aria-current="step">Scoping' in body
    assert "2 of 4 done" not in body
    assert "3 of 4 done" in body
    assert f'href="{page(design.partnership.slug)}"' in body


def test_page_queries_do_not_grow_with_the_design(
    db, django_assert_max_num_queries, django_assert_num_queries
):
    """Given a small and a three times larger design, the page costs the same queries."""
    small = build_design(partners=2, goals=2, work_packages=2)
    large = build_design(partners=6, goals=6, work_packages=6)
    client_for(small.coordinator).get(page(small.partnership.slug))  # warm up
    small_client = client_for(small.coordinator)
    large_client = client_for(large.coordinator)
    with django_assert_max_num_queries(15) as counted:
        small_client.get(page(small.partnership.slug))
    with django_assert_num_queries(len(counted)):
        large_client.get(page(large.partnership.slug))
