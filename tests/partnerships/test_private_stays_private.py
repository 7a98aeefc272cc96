"""A private partnership is invisible to outsiders and anonymous visitors, everywhere.

Lists, search, counts, organisation pages and every API endpoint behave as if it did not
exist — and a request for its slug is answered exactly like one for a slug that really
does not exist. Its own members (and staff) do see it.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client

from sinergi.access.services import create_api_token
from sinergi.partners.models import Person
from sinergi.partnerships.models import Partnership
from tests.conftest import Cast, client_for
from tests.factories import ParticipationFactory, PartnershipFactory

SECRET_TITLE = "Secret Mangrove Restoration Alliance"
SECRET_SUMMARY = "Confidential negotiation with coastal villages"
PUBLIC_TITLE = "Open Coral Reef Partnership"
MISSING_SLUG = "no-such-partnership-here"

OUTSIDERS = ["anonymous", "outsider"]
INSIDERS = ["observer", "member", "partner_admin", "coordinator", "staff"]

PAGES = ["", "partners/", "members/", "edit/", "delete/"]


@pytest.fixture
def world(private_cast: Cast) -> Cast:
    """The private cast's partnership under a distinctive title, plus one public partnership
    in which the same partner organisation takes part (so lists are not simply empty)."""
    secret = private_cast.partnership
    secret.title = SECRET_TITLE
    secret.summary = SECRET_SUMMARY
    secret.save()
    public = PartnershipFactory(title=PUBLIC_TITLE, visibility="public", countries=["ID"])
    ParticipationFactory(partnership=public, organisation=partner_org(private_cast), role="1")
    return private_cast


def partner_org(cast: Cast):
    return cast.people["coordinator"].organisation


def web_client(cast: Cast, role: str) -> Client:
    return client_for(cast.people[role])


def api_client(person: Person | None) -> Client:
    if person is None:
        return Client()
    _token, secret = create_api_token(actor=person, name="privacy")
    return Client(headers={"Authorization": f"Bearer {secret}"})


def assert_secret_absent(response, echoed: str = "") -> None:
    """Neither title nor summary is in the body (besides `echoed`, the search box's own
    value, which repeats what the visitor typed)."""
    body = response.content.decode()
    if echoed:
        body = body.replace(f'value="{echoed}"', "")
    assert SECRET_TITLE not in body
    assert SECRET_SUMMARY not in body


def normalised(response, slug: str) -> str:
    """The body with the requested slug and per-request CSRF tokens blanked out."""
    body = response.content.decode().replace(slug, "<slug>")
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "<csrf>", body)
    return re.sub(r'"X-CSRFToken": "[^"]+"', "<csrf>", body)


# Lists, search and counts -------------------------------------------------------------


@pytest.mark.parametrize("role", OUTSIDERS)
@pytest.mark.parametrize(
    "query",
    ["", f"?q={SECRET_TITLE}", "?q=Mangrove", "?q=coastal", "?visibility=private", "?country=ID"],
)
def test_list_page_hides_it(world, role, query):
    """Given an outsider, when they open or search the partnership list (even for its exact
    title), then the private partnership is neither listed nor counted."""
    response = web_client(world, role).get(f"/en/partnerships/{query}")

    assert response.status_code == 200
    assert_secret_absent(response, echoed=response.context["q"])
    listed = [p.pk for p in response.context["page"]]
    assert world.partnership.pk not in listed
    public_matches = query in ("", "?country=ID")
    assert response.context["page"].paginator.count == (1 if public_matches else 0)


@pytest.mark.parametrize("role", OUTSIDERS)
def test_search_for_its_title_looks_like_a_search_for_nothing(world, role):
    """Given an outsider, when they search for the private partnership's exact title, then
    the page is the same as for a search for a title nobody ever used."""
    client = web_client(world, role)
    made_up = "Xqzv Nonexistent Partnership Title Abc"

    secret = client.get("/en/partnerships/", {"q": SECRET_TITLE})
    nothing = client.get("/en/partnerships/", {"q": made_up})

    assert secret.status_code == nothing.status_code == 200
    secret_body = normalised(secret, SECRET_TITLE.replace(" ", "+")).replace(SECRET_TITLE, "<q>")
    nothing_body = normalised(nothing, made_up.replace(" ", "+")).replace(made_up, "<q>")
    assert secret_body == nothing_body


@pytest.mark.parametrize("role", OUTSIDERS)
def test_list_results_fragment_hides_it(world, role):
    """Given an outsider searching as-you-type (the HTMX results fragment), then the exact
    title finds nothing."""
    response = web_client(world, role).get(
        "/en/partnerships/",
        {"q": SECRET_TITLE},
        headers={"HX-Request": "true", "HX-Target": "results"},
    )

    assert response.status_code == 200
    assert b"<html" not in response.content
    assert b"No partnership matches." in response.content
    assert_secret_absent(response, echoed=SECRET_TITLE)


@pytest.mark.parametrize("role", OUTSIDERS)
def test_home_page_does_not_count_it(world, role):
    """Given an outsider on the home page, then "partnerships you can see" counts only the
    public one."""
    response = web_client(world, role).get("/en/")

    assert response.status_code == 200
    assert response.context["visible_count"] == 1
    assert b"See the 1 partnership you can see" in response.content
    assert_secret_absent(response)


@pytest.mark.parametrize("role", OUTSIDERS)
@pytest.mark.parametrize(
    "params,public_matches",
    [
        ({}, True),
        ({"q": SECRET_TITLE}, False),
        ({"q": "coastal"}, False),
        ({"visibility": "private"}, False),
        ({"status": "1"}, True),
        ({"country": "ID"}, True),
        ({"organisation": "__partner_org__"}, True),
    ],
)
def test_api_list_hides_it(world, role, params, public_matches):
    """Given an outsider calling GET /api/v1/partnerships with or without filters, then
    `count` and `items` never include the private partnership."""
    params = {
        k: partner_org(world).slug if v == "__partner_org__" else v for k, v in params.items()
    }

    response = api_client(world.people[role]).get("/api/v1/partnerships", params)

    assert response.status_code == 200
    data = response.json()
    assert data["count"] == (1 if public_matches else 0)
    assert [item["title"] for item in data["items"]] == ([PUBLIC_TITLE] if public_matches else [])
    assert_secret_absent(response)


@pytest.mark.parametrize("role", OUTSIDERS)
def test_organisation_page_does_not_list_it(world, role):
    """Given an outsider on the page of an organisation that takes part in both partnerships,
    then only the public partnership is listed."""
    response = web_client(world, role).get(f"/en/organisations/{partner_org(world).slug}/")

    assert response.status_code == 200
    assert PUBLIC_TITLE.encode() in response.content
    assert_secret_absent(response)
    assert world.partnership.slug.encode() not in response.content


@pytest.mark.parametrize("role", OUTSIDERS)
@pytest.mark.parametrize("path", ["/api/v1/organisations", "/api/v1/organisations/{org}"])
def test_organisation_api_does_not_mention_it(world, role, path):
    """Given an outsider reading the organisation API, then nothing of the private
    partnership appears."""
    response = api_client(world.people[role]).get(path.format(org=partner_org(world).slug))

    assert response.status_code == 200
    assert_secret_absent(response)
    assert world.partnership.slug not in response.content.decode()


# The same answer as for a partnership that does not exist -----------------------------


@pytest.mark.parametrize("role", OUTSIDERS)
@pytest.mark.parametrize("page", PAGES)
def test_pages_answer_as_if_it_did_not_exist(world, role, page):
    """Given an outsider, when they open any page of the private partnership, then the answer
    (status, redirect and body) is identical to the one for a slug that does not exist."""
    client = web_client(world, role)
    slug = world.partnership.slug

    private = client.get(f"/en/partnerships/{slug}/{page}")
    missing = client.get(f"/en/partnerships/{MISSING_SLUG}/{page}")

    # Pages that need a signed-in person send anonymous visitors to sign in before looking
    # anything up; everything else is a plain 404. Never a 403.
    signs_in_first = role == "anonymous" and page in ("members/", "edit/", "delete/")
    assert private.status_code == missing.status_code == (302 if signs_in_first else 404)
    if signs_in_first:
        assert private["Location"].startswith("/en/accounts/login/")
        assert private["Location"].replace(slug, "<slug>") == missing["Location"].replace(
            MISSING_SLUG, "<slug>"
        )
    assert normalised(private, slug) == normalised(missing, MISSING_SLUG)
    assert_secret_absent(private)


@pytest.mark.parametrize("role", OUTSIDERS)
@pytest.mark.parametrize(
    "method,suffix,body",
    [
        ("get", "", None),
        ("patch", "", {"title": "Taken over"}),
        ("delete", "", None),
        ("get", "/participations", None),
        ("post", "/participations", {"organisation": "x", "role": "1"}),
        ("get", "/memberships", None),
        ("post", "/memberships", {"person": "x", "role": "member"}),
    ],
)
def test_api_answers_as_if_it_did_not_exist(world, role, method, suffix, body):
    """Given an outsider, every partnership API endpoint answers 404 "not_found" for the
    private slug, with the same body as for a slug that does not exist, and changes nothing."""
    client = api_client(world.people[role])
    before = Partnership.objects.values().get(pk=world.partnership.pk)

    def call(slug: str):
        url = f"/api/v1/partnerships/{slug}{suffix}"
        if body is None:
            return getattr(client, method)(url)
        return getattr(client, method)(url, body, content_type="application/json")

    private = call(world.partnership.slug)
    missing = call(MISSING_SLUG)

    assert private.status_code == missing.status_code == 404
    assert private.json() == missing.json()
    assert private.json()["error"]["code"] == "not_found"
    assert_secret_absent(private)
    assert Partnership.objects.values().get(pk=world.partnership.pk) == before


# Members do see it --------------------------------------------------------------------


@pytest.mark.parametrize("role", INSIDERS)
def test_members_see_it_everywhere(world, role):
    """Given a member (any role) or staff, then the private partnership is in the list, in
    a search for its title, in the home page count, in the API list, on the partner
    organisation's page, and its partners and members are readable through the API."""
    client = web_client(world, role)
    api = api_client(world.people[role])
    slug = world.partnership.slug

    listing = client.get("/en/partnerships/", {"q": SECRET_TITLE})
    home = client.get("/en/")
    api_list = api.get("/api/v1/partnerships").json()
    organisation = client.get(f"/en/organisations/{partner_org(world).slug}/")
    detail = client.get(f"/en/partnerships/{slug}/")

    assert [p.title for p in listing.context["page"]] == [SECRET_TITLE]
    assert home.context["visible_count"] == 2
    assert api_list["count"] == 2
    assert SECRET_TITLE in [item["title"] for item in api_list["items"]]
    assert SECRET_TITLE.encode() in organisation.content
    assert detail.status_code == 200
    assert SECRET_TITLE.encode() in detail.content
    for suffix in ("", "/participations", "/memberships"):
        assert api.get(f"/api/v1/partnerships/{slug}{suffix}").status_code == 200
