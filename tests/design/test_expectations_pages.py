"""The Expectations tab and a partner's edit page with its inline (HTMX) expectation list."""

from __future__ import annotations

import re

import pytest

from sinergi.partnerships.models import Expectation
from tests.design.test_expectations_setup import (
    build_design,
    capability,
    client_for,
    expectation,
    ledger,
)
from tests.factories import OrganisationFactory, ParticipationFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def design():
    return build_design()


def tab(design) -> str:
    return f"/en/partnerships/{design.partnership.slug}/expectations/"


def edit(design, key: str = "company") -> str:
    return f"{tab(design)}{design.parts[key].pk}/"


# The tab ----------------------------------------------------------------------------------


def test_the_tab_shows_partners_by_group_the_matrix_and_the_divergences(design):
    """Given expectations that diverge, when a member opens the tab, then it shows each
    partner under its group with role, contribution, capabilities and expectations (with an
    importance meter and its text), the matrix, its table alternative and the divergences."""
    finance = capability(design.orgs["company"], "finance")
    design.parts["company"].capabilities.add(finance)
    expectation(design.parts["company"], "market_access", "short", 5)
    expectation(design.parts["ministry"], "policy_change", "long", 4)
    response = client_for(design.people["member"]).get(tab(design))
    assert response.status_code == 200
    html = response.text
    assert 'aria-current="page">Expectations</a>' in html
    assert html.index("<h3>Government</h3>") < html.index("<h3>Private sector</h3>")
    assert "Acme Garments" in html and "Lines" in html and "Finance" in html
    assert '<meter min="0" max="5"' in html and "5 of 5" in html
    assert 'class="list alignment-matrix"' in html
    assert 'id="alignment-table"' in html
    assert "Market access is essential to Private sector (importance 5.0)" in html
    indonesian = client_for(design.people["member"]).get(tab(design).replace("/en/", "/id/"))
    assert "(tingkat kepentingan 5,0)" in indonesian.text and "5.0" not in indonesian.text
    assert "No expectations recorded yet for Fair Wages Foundation" in html
    assert "Fair Wages Foundation has not recorded its expectations." in html


@pytest.mark.parametrize(
    ("who", "editable"),
    [
        ("coordinator", {"ministry", "company", "ngo"}),
        ("partner_admin", {"company"}),
        ("ngo_admin", {"ngo"}),
        ("member", set()),
        ("observer", set()),
        ("staff", {"ministry", "company", "ngo"}),
    ],
)
def test_edit_links_only_for_partners_the_reader_may_edit(design, who, editable):
    html = client_for(design.people[who]).get(tab(design)).text
    shown = {key for key in design.parts if f'href="{edit(design, key)}"' in html}
    assert shown == editable


@pytest.mark.parametrize("who", ["outsider", "anonymous"])
def test_a_private_partnerships_tab_and_edit_pages_are_not_found_for_outsiders(design, who):
    client = client_for(design.people[who])
    assert client.get(tab(design)).status_code == 404
    if who == "outsider":
        assert client.get(edit(design)).status_code == 404
        assert client.post(f"{edit(design)}add/", {}).status_code == 404


def test_a_public_partnerships_tab_is_open_to_anonymous_visitors():
    design = build_design("public")
    response = client_for(None).get(tab(design))
    assert response.status_code == 200
    assert f'href="{edit(design)}"' not in response.text


def test_the_tab_costs_the_same_queries_for_3_and_9_partners(design, django_assert_max_num_queries):
    client = client_for(design.people["coordinator"])
    for part in design.parts.values():
        expectation(part, "social_impact", "long", 4)
        part.capabilities.add(capability(part.organisation))
    client.get(tab(design))
    with django_assert_max_num_queries(9) as few:
        client.get(tab(design))
    for org_type in ["40", "80", "90", "70", "10", "60"]:
        part = ParticipationFactory(
            partnership=design.partnership, organisation=OrganisationFactory(org_type=org_type)
        )
        expectation(part, "learning", "short", 2)
        part.capabilities.add(capability(part.organisation, "network"))
    with django_assert_max_num_queries(len(few)):
        response = client.get(tab(design))
    assert response.text.count('class="panel partner-expectations"') == 9


# The edit page -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("coordinator", 200),
        ("partner_admin", 200),
        ("staff", 200),
        ("ngo_admin", 403),
        ("member", 403),
        ("observer", 403),
        ("outsider", 404),
    ],
)
def test_who_may_open_the_companys_edit_page(design, who, status):
    assert client_for(design.people[who]).get(edit(design)).status_code == status


def test_the_edit_page_offers_only_the_organisations_own_capabilities(design):
    own = capability(design.orgs["company"], "in_kind", description="Two pilot lines")
    foreign = capability(design.orgs["ngo"], "technical", description="Wage studies")
    html = client_for(design.people["partner_admin"]).get(edit(design)).text
    assert f'value="{own.pk}"' in html and "Two pilot lines" in html
    assert "Wage studies" not in html
    assert 'type="checkbox"' in html
    assert foreign.pk != own.pk


def test_saving_the_commitment_links_capabilities(design):
    own = capability(design.orgs["company"], "in_kind")
    response = client_for(design.people["partner_admin"]).post(
        edit(design), {"contribution": "Two lines", "capabilities": [own.pk]}
    )
    assert response.status_code == 302
    part = design.parts["company"]
    part.refresh_from_db()
    assert part.contribution == "Two lines"
    assert list(part.capabilities.all()) == [own]
    assert len(ledger("participation.commitment_changed")) == 1


def test_a_foreign_capability_in_the_form_is_an_inline_error(design):
    foreign = capability(design.orgs["ngo"], "technical")
    response = client_for(design.people["coordinator"]).post(
        edit(design), {"contribution": "Changed", "capabilities": [foreign.pk]}
    )
    assert response.status_code == 422
    assert 'class="field has-error' in response.text
    assert "Select a valid choice" in response.text
    design.parts["company"].refresh_from_db()
    assert design.parts["company"].contribution == "Lines"


# Inline expectations (HTMX) ------------------------------------------------------------------


def test_adding_an_expectation_with_htmx_returns_the_list_with_it(design):
    client = client_for(design.people["partner_admin"])
    response = client.post(
        f"{edit(design)}add/",
        {"new-topic": "market_access", "new-horizon": "short", "new-importance": "5"},
        **HTMX,
    )
    assert response.status_code == 200
    html = response.text
    assert "<html" not in html
    assert html.startswith('<div id="expectations">')
    assert "Market access" in html and "5 of 5" in html
    assert "autofocus" in html  # back to the add form for the next one
    assert Expectation.objects.get().importance == 5


def test_an_invalid_expectation_comes_back_with_inline_errors_and_nothing_saved(design):
    client = client_for(design.people["partner_admin"])
    response = client.post(
        f"{edit(design)}add/",
        {"new-topic": "market_access", "new-horizon": "short", "new-importance": "6"},
        **HTMX,
    )
    assert response.status_code == 200  # HTMX swaps only 2xx responses
    assert 'class="field has-error' in response.text
    assert 'aria-invalid="true"' in response.text
    assert not Expectation.objects.exists()


def test_without_htmx_an_invalid_expectation_renders_the_page_with_422(design):
    response = client_for(design.people["partner_admin"]).post(
        f"{edit(design)}add/", {"new-topic": "", "new-horizon": "short", "new-importance": "3"}
    )
    assert response.status_code == 422
    assert "<html" in response.text and 'class="field has-error' in response.text


def test_without_htmx_adding_redirects_back_to_the_edit_page(design):
    response = client_for(design.people["partner_admin"]).post(
        f"{edit(design)}add/",
        {"new-topic": "reputation", "new-horizon": "short", "new-importance": "3"},
    )
    assert response.status_code == 302 and response["Location"] == edit(design)


def test_editing_inline_shows_a_form_then_the_saved_row(design):
    e = expectation(design.parts["company"], "reputation", "short", 3)
    client = client_for(design.people["partner_admin"])
    form = client.get(f"{edit(design)}{e.pk}/edit/", **HTMX)
    assert form.status_code == 200
    assert form.text.startswith(f'<tr id="expectation-{e.pk}">')
    assert f'name="e{e.pk}-topic"' in form.text and "autofocus" in form.text
    saved = client.post(
        f"{edit(design)}{e.pk}/edit/",
        {f"e{e.pk}-topic": "reputation", f"e{e.pk}-horizon": "long", f"e{e.pk}-importance": "4"},
        **HTMX,
    )
    assert saved.status_code == 200
    assert "<form" in saved.text and "Long-term impact" in saved.text and "4 of 5" in saved.text
    assert f'name="e{e.pk}-topic"' not in saved.text
    e.refresh_from_db()
    assert (e.horizon, e.importance) == ("long", 4)
    cancel = client.get(f"{edit(design)}{e.pk}/", **HTMX)
    assert cancel.text.startswith(f'<tr id="expectation-{e.pk}">')


def test_an_invalid_inline_edit_keeps_the_form_with_errors(design):
    e = expectation(design.parts["company"], "reputation", "short", 3)
    response = client_for(design.people["partner_admin"]).post(
        f"{edit(design)}{e.pk}/edit/",
        {f"e{e.pk}-topic": "nonsense", f"e{e.pk}-horizon": "short", f"e{e.pk}-importance": "3"},
        **HTMX,
    )
    assert response.status_code == 200
    assert 'class="field has-error' in response.text
    e.refresh_from_db()
    assert e.topic == "reputation"


def test_removing_inline_returns_the_list_without_it(design):
    e = expectation(design.parts["company"], "reputation", "short", 3)
    response = client_for(design.people["partner_admin"]).post(
        f"{edit(design)}{e.pk}/remove/", **HTMX
    )
    assert response.status_code == 200
    assert f'id="expectation-{e.pk}"' not in response.text
    assert "No expectations recorded yet." in response.text
    assert not Expectation.objects.exists()
    assert len(ledger("expectation.removed")) == 1


@pytest.mark.parametrize("who", ["member", "ngo_admin"])
def test_inline_endpoints_refuse_those_who_may_not_edit(design, who):
    e = expectation(design.parts["company"], "reputation", "short", 3)
    client = client_for(design.people[who])
    assert client.post(f"{edit(design)}add/", {}, **HTMX).status_code == 403
    assert client.get(f"{edit(design)}{e.pk}/edit/", **HTMX).status_code == 403
    assert client.post(f"{edit(design)}{e.pk}/remove/", **HTMX).status_code == 403
    assert Expectation.objects.count() == 1


def test_the_edit_page_without_htmx_opens_a_row_in_edit_mode(design):
    e = expectation(design.parts["company"], "reputation", "short", 3)
    response = client_for(design.people["partner_admin"]).get(f"{edit(design)}{e.pk}/edit/")
    assert response.status_code == 200
    assert "<html" in response.text and f'name="e{e.pk}-topic"' in response.text


def test_the_contribution_form_posts_to_the_partners_page_from_the_row_edit_page(design):
    """Given the page opened with one expectation row in edit mode (another address),
    the contribution form still posts to the partner's page, and saving it there works:
    without its action it posted to the row's address and answered 422."""
    e = expectation(design.parts["company"], "reputation", "short", 3)
    client = client_for(design.people["partner_admin"])
    html = client.get(f"{edit(design)}{e.pk}/edit/").text
    action = re.search(r'<form method="post" action="([^"]+)" class="stack commitment-form"', html)
    assert action is not None
    assert action.group(1) == edit(design)

    response = client.post(action.group(1), {"contribution": "Three lines"})

    assert response.status_code == 302
    design.parts["company"].refresh_from_db()
    assert design.parts["company"].contribution == "Three lines"
