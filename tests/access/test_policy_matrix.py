"""The permission matrix: every role and every action on a public and a private partnership.

The same expectations are checked at three levels — the policy function, the web pages
and the JSON API — so that no layer can quietly disagree with the rules:

* private partnership, anonymous or outsider → 404 everywhere (never 403: its very
  existence is private);
* public partnership, action not allowed → 403 for a signed-in person (API: 401
  "unauthenticated" for an anonymous caller, 403 "forbidden" otherwise);
* allowed → success, and the change is really in the database;
* not allowed → the database is unchanged.

Web pages that need a signed-in person (edit, members, delete) send anonymous visitors
to the sign-in page before looking the partnership up at all, so a private slug and a
slug that does not exist get the very same redirect; tests/partnerships/
test_private_stays_private.py checks that sameness.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import Client

from sinergi.access import policy
from sinergi.access.policy import Action
from sinergi.access.services import create_api_token
from sinergi.partners.models import Person
from sinergi.partnerships import services
from sinergi.partnerships.models import Membership, Participation, Partnership
from tests.conftest import Cast, client_for
from tests.factories import OrganisationFactory, ParticipationFactory, PersonFactory

# The cast fixture is looked up by name inside each test, so ask for the database up front.
pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "outsider", "observer", "member", "partner_admin", "coordinator", "staff")


Table = dict[str, dict[str, str]]


def matrix(table: Table) -> list[Any]:
    """Expand each table row — one outcome per role, in ROLES order — into one case per cell."""
    cases = []
    for visibility, rows in table.items():
        for action, row in rows.items():
            outcomes = row.split()
            assert len(outcomes) == len(ROLES), f"{visibility}/{action} needs {len(ROLES)} cells"
            for role, outcome in zip(ROLES, outcomes, strict=True):
                case_id = f"{visibility}-{action}-{role}-{outcome}"
                cases.append(pytest.param(visibility, action, role, outcome, id=case_id))
    return cases


def cell(table: Table, visibility: str, action: str, role: str) -> str:
    """One cell of an expectation table."""
    return table[visibility][action].split()[ROLES.index(role)]


# fmt: off
# (a) policy.can(user, action, partnership)
POLICY = {
    "public": {
        #                   anonymous outsider observer member partner_admin coordinator staff
        "view":            "yes       yes      yes      yes    yes           yes         yes",
        "edit":            "no        no       no       no     no            yes         yes",
        "manage_members":  "no        no       no       no     yes           yes         yes",
        "manage_partners": "no        no       no       no     no            yes         yes",
        "delete":          "no        no       no       no     no            yes         yes",
    },
    "private": {
        #                   anonymous outsider observer member partner_admin coordinator staff
        "view":            "no        no       yes      yes    yes           yes         yes",
        "edit":            "no        no       no       no     no            yes         yes",
        "manage_members":  "no        no       no       no     yes           yes         yes",
        "manage_partners": "no        no       no       no     no            yes         yes",
        "delete":          "no        no       no       no     no            yes         yes",
    },
}

# (b) web pages. ok = the page works and the change is saved; login = sent to sign in.
WEB = {
    "public": {
        #                   anonymous outsider observer member partner_admin coordinator staff
        "view":            "ok        ok       ok       ok     ok            ok          ok",
        "edit":            "login     403      403      403    403           ok          ok",
        "manage_members":  "login     403      403      403    ok            ok          ok",
        "manage_partners": "403       403      403      403    403           ok          ok",
        "delete":          "login     403      403      403    403           ok          ok",
    },
    "private": {
        #                   anonymous outsider observer member partner_admin coordinator staff
        "view":            "404       404      ok       ok     ok            ok          ok",
        "edit":            "login     404      403      403    403           ok          ok",
        "manage_members":  "login     404      403      403    ok            ok          ok",
        "manage_partners": "404       404      403      403    403           ok          ok",
        "delete":          "login     404      403      403    403           ok          ok",
    },
}

# (c) JSON API under /api/v1/partnerships.
API = {
    "public": {
        #                   anonymous outsider observer member partner_admin coordinator staff
        "view":            "ok        ok       ok       ok     ok            ok          ok",
        "edit":            "401       403      403      403    403           ok          ok",
        "manage_members":  "401       403      403      403    ok            ok          ok",
        "manage_partners": "401       403      403      403    403           ok          ok",
        "delete":          "401       403      403      403    403           ok          ok",
    },
    "private": {
        #                   anonymous outsider observer member partner_admin coordinator staff
        "view":            "404       404      ok       ok     ok            ok          ok",
        "edit":            "404       404      403      403    403           ok          ok",
        "manage_members":  "404       404      403      403    ok            ok          ok",
        "manage_partners": "404       404      403      403    403           ok          ok",
        "delete":          "404       404      403      403    403           ok          ok",
    },
}

# Who may see the roster of people at /members/ (GET), and who sees the forms to manage
# partners (/partners/) and members (/members/) on those pages.
READ_PAGES = {
    "public": {
        #                 anonymous outsider observer member partner_admin coordinator staff
        "members_page":  "login     403      ok       ok     ok            ok          ok",
        "partners_page": "ok        ok       ok       ok     ok            ok          ok",
    },
    "private": {
        #                 anonymous outsider observer member partner_admin coordinator staff
        "members_page":  "login     404      ok       ok     ok            ok          ok",
        "partners_page": "404       404      ok       ok     ok            ok          ok",
    },
}
# fmt: on

API_ERROR_CODES = {"401": "unauthenticated", "403": "forbidden", "404": "not_found"}
NEW_TITLE = "Renamed By The Matrix"


def cast_for(request: pytest.FixtureRequest, visibility: str) -> Cast:
    return request.getfixturevalue(f"{visibility}_cast")


def snapshot(partnership_pk: int) -> dict[str, Any]:
    """Everything an action could change about one partnership, as plain data."""
    return {
        "partnership": Partnership.objects.filter(pk=partnership_pk)
        .values("title", "slug", "visibility", "summary")
        .first(),
        "participations": set(
            Participation.objects.filter(partnership_id=partnership_pk).values_list(
                "organisation_id", "role"
            )
        ),
        "memberships": set(
            Membership.objects.filter(partnership_id=partnership_pk).values_list(
                "person_id", "role"
            )
        ),
    }


def partner_org(cast: Cast):
    return cast.people["coordinator"].organisation


def grant_candidate(cast: Cast) -> Person:
    """Someone from the partner organisation without a role yet: anyone managing may add them."""
    return PersonFactory(organisation=partner_org(cast))


def assert_login_redirect(response) -> None:
    assert response.status_code == 302, response.status_code
    assert response["Location"].startswith("/en/accounts/login/?next=")


# (a) The policy itself ----------------------------------------------------------------


@pytest.mark.parametrize("visibility,action,role,outcome", matrix(POLICY))
def test_policy_can(request, visibility, action, role, outcome):
    """Given a partnership and a person in one role, policy.can answers per the table."""
    cast = cast_for(request, visibility)
    user = cast.people[role] or AnonymousUser()

    allowed = policy.can(user, Action(action), cast.partnership)

    assert allowed is (outcome == "yes")


@pytest.mark.parametrize("visibility,action,role,outcome", matrix(POLICY))
def test_get_partnership_for_hides_or_denies(request, visibility, action, role, outcome):
    """Given the table, the lookup every page uses returns, 404s when unseen, else 403s."""
    cast = cast_for(request, visibility)
    user = cast.people[role] or AnonymousUser()
    may_view = cell(POLICY, visibility, "view", role) == "yes"

    if outcome == "yes":
        found = policy.get_partnership_for(user, cast.partnership.slug, Action(action))
        assert found.pk == cast.partnership.pk
    elif not may_view:
        with pytest.raises(Http404):
            policy.get_partnership_for(user, cast.partnership.slug, Action(action))
    else:
        with pytest.raises(PermissionDenied):
            policy.get_partnership_for(user, cast.partnership.slug, Action(action))


@pytest.mark.parametrize("role", ["coordinator", "staff"])
def test_deactivated_people_lose_every_right(private_cast, role):
    """Given a coordinator or staff person who is deactivated, they may no longer see or act."""
    person = private_cast.people[role]
    person.is_active = False
    person.save()
    person = Person.objects.get(pk=person.pk)

    rights = {action: policy.can(person, action, private_cast.partnership) for action in Action}

    assert rights == dict.fromkeys(Action, False)


# (b) Web pages ------------------------------------------------------------------------


def expect_web(response, outcome: str, ok_status: int, ok_location: str | None = None) -> None:
    if outcome == "ok":
        assert response.status_code == ok_status, response.content[:300]
        if ok_location is not None:
            assert response["Location"] == ok_location
    elif outcome == "login":
        assert_login_redirect(response)
    else:
        assert response.status_code == int(outcome), response.status_code


def web_view(client: Client, cast: Cast, outcome: str) -> None:
    response = client.get(f"/en/partnerships/{cast.partnership.slug}/")
    expect_web(response, outcome, 200)
    assert (cast.partnership.title.encode() in response.content) is (outcome == "ok")


def web_edit(client: Client, cast: Cast, outcome: str) -> None:
    url = f"/en/partnerships/{cast.partnership.slug}/edit/"
    expect_web(client.get(url), outcome, 200)
    form = {
        "title": NEW_TITLE,
        "slug": cast.partnership.slug,
        "summary": "",
        "vision": "",
        "start_date": "",
        "end_date": "",
        "activity_status": "2",
        "base_currency": "IDR",
        "countries": ["ID"],
        "visibility": cast.partnership.visibility,
    }
    response = client.post(url, form)
    expect_web(response, outcome, 302, f"/en/partnerships/{cast.partnership.slug}/")
    if outcome == "ok":
        assert Partnership.objects.get(pk=cast.partnership.pk).title == NEW_TITLE


def web_manage_members(client: Client, cast: Cast, outcome: str) -> None:
    person = grant_candidate(cast)
    url = f"/en/partnerships/{cast.partnership.slug}/members/"
    response = client.post(url, {"form": "grant", "person": person.pk, "role": "member"})
    expect_web(response, outcome, 302, url)
    if outcome == "ok":
        assert Membership.objects.get(partnership=cast.partnership, person=person).role == "member"


def web_manage_partners(client: Client, cast: Cast, outcome: str) -> None:
    organisation = OrganisationFactory()
    url = f"/en/partnerships/{cast.partnership.slug}/partners/"
    response = client.post(url, {"organisation": organisation.slug, "role": "1"})
    expect_web(response, outcome, 302, url)
    if outcome == "ok":
        assert Participation.objects.filter(
            partnership=cast.partnership, organisation=organisation, role="1"
        ).exists()


def web_delete(client: Client, cast: Cast, outcome: str) -> None:
    url = f"/en/partnerships/{cast.partnership.slug}/delete/"
    expect_web(client.get(url), outcome, 200)
    response = client.post(url)
    expect_web(response, outcome, 302, "/en/partnerships/")
    if outcome == "ok":
        assert not Partnership.objects.filter(pk=cast.partnership.pk).exists()


WEB_ACTIONS: dict[str, Callable[[Client, Cast, str], None]] = {
    "view": web_view,
    "edit": web_edit,
    "manage_members": web_manage_members,
    "manage_partners": web_manage_partners,
    "delete": web_delete,
}


@pytest.mark.parametrize("visibility,action,role,outcome", matrix(WEB))
def test_web_pages(request, visibility, action, role, outcome):
    """Given a role, when it uses a partnership's pages, it gets the table's answer.

    Allowed actions really change the database; refused ones leave it exactly as it was.
    """
    cast = cast_for(request, visibility)
    client = client_for(cast.people[role])
    before = snapshot(cast.partnership.pk)

    WEB_ACTIONS[action](client, cast, outcome)

    after = snapshot(cast.partnership.pk)
    if outcome == "ok" and action != "view":
        assert after != before
    else:
        assert after == before


@pytest.mark.parametrize("visibility,page,role,outcome", matrix(READ_PAGES))
def test_web_read_pages_and_their_forms(request, visibility, page, role, outcome):
    """Given a role, the partners and members pages open per the table, and each shows its
    management form only to the people the policy lets manage."""
    cast = cast_for(request, visibility)
    person = cast.people[role]
    path = "members" if page == "members_page" else "partners"
    action = "manage_members" if page == "members_page" else "manage_partners"
    grant_candidate(cast)  # someone to give a role to, or the grant form has nothing to offer

    response = client_for(person).get(f"/en/partnerships/{cast.partnership.slug}/{path}/")

    expect_web(response, outcome, 200)
    if outcome == "ok":
        may_manage = cell(POLICY, visibility, action, role) == "yes"
        marker = b'name="form" value="grant"' if path == "members" else b'id="add-partner"'
        assert (marker in response.content) is may_manage


# (c) JSON API -------------------------------------------------------------------------


def api_client(person: Person | None) -> Client:
    """A client calling as `person` with a personal API token, or anonymously."""
    if person is None:
        return Client()
    _token, secret = create_api_token(actor=person, name="matrix")
    return Client(headers={"Authorization": f"Bearer {secret}"})


def expect_api(response, outcome: str, ok_status: int) -> None:
    if outcome == "ok":
        assert response.status_code == ok_status, response.content[:300]
        return
    assert response.status_code == int(outcome), response.content[:300]
    error = response.json()["error"]
    assert error["status"] == int(outcome)
    assert error["code"] == API_ERROR_CODES[outcome]


def api_view(client: Client, cast: Cast, outcome: str) -> None:
    response = client.get(f"/api/v1/partnerships/{cast.partnership.slug}")
    expect_api(response, outcome, 200)
    if outcome == "ok":
        assert response.json()["title"] == cast.partnership.title
    else:
        assert cast.partnership.title not in response.content.decode()


def api_edit(client: Client, cast: Cast, outcome: str) -> None:
    response = client.patch(
        f"/api/v1/partnerships/{cast.partnership.slug}",
        {"title": NEW_TITLE},
        content_type="application/json",
    )
    expect_api(response, outcome, 200)
    if outcome == "ok":
        assert response.json()["title"] == NEW_TITLE
        assert Partnership.objects.get(pk=cast.partnership.pk).title == NEW_TITLE


def api_manage_members(client: Client, cast: Cast, outcome: str) -> None:
    person = grant_candidate(cast)
    response = client.post(
        f"/api/v1/partnerships/{cast.partnership.slug}/memberships",
        {"person": person.username, "role": "observer"},
        content_type="application/json",
    )
    expect_api(response, outcome, 201)
    if outcome == "ok":
        assert response.json()["person"]["username"] == person.username
        assert Membership.objects.get(partnership=cast.partnership, person=person).role == (
            "observer"
        )


def api_manage_partners(client: Client, cast: Cast, outcome: str) -> None:
    organisation = OrganisationFactory()
    response = client.post(
        f"/api/v1/partnerships/{cast.partnership.slug}/participations",
        {"organisation": organisation.slug, "role": "1", "contribution": "Money"},
        content_type="application/json",
    )
    expect_api(response, outcome, 201)
    if outcome == "ok":
        assert response.json()["organisation"]["slug"] == organisation.slug
        assert Participation.objects.filter(
            partnership=cast.partnership, organisation=organisation, role="1"
        ).exists()


def api_delete(client: Client, cast: Cast, outcome: str) -> None:
    response = client.delete(f"/api/v1/partnerships/{cast.partnership.slug}")
    expect_api(response, outcome, 204)
    if outcome == "ok":
        assert not Partnership.objects.filter(pk=cast.partnership.pk).exists()


API_ACTIONS: dict[str, Callable[[Client, Cast, str], None]] = {
    "view": api_view,
    "edit": api_edit,
    "manage_members": api_manage_members,
    "manage_partners": api_manage_partners,
    "delete": api_delete,
}


@pytest.mark.parametrize("visibility,action,role,outcome", matrix(API))
def test_api(request, visibility, action, role, outcome):
    """Given a role calling the API, it gets the table's status and error code.

    Allowed calls really change the database; refused ones leave it exactly as it was.
    """
    cast = cast_for(request, visibility)
    client = api_client(cast.people[role])
    before = snapshot(cast.partnership.pk)

    API_ACTIONS[action](client, cast, outcome)

    after = snapshot(cast.partnership.pk)
    if outcome == "ok" and action != "view":
        assert after != before
    else:
        assert after == before


def test_api_session_writes_need_csrf(public_cast):
    """Given a coordinator signed in by session, a PATCH without the CSRF token is refused
    and nothing changes (a bearer token is not needed, but the CSRF check is)."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(public_cast.people["coordinator"])

    response = client.patch(
        f"/api/v1/partnerships/{public_cast.partnership.slug}",
        {"title": NEW_TITLE},
        content_type="application/json",
    )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert Partnership.objects.get(pk=public_cast.partnership.pk).title != NEW_TITLE


# Partner admins: only their own organisation's people, never "coordinator" -------------


def person_from(cast: Cast, whose: str) -> Person:
    """A person without a role yet: from the actor's partner organisation, from a second
    organisation that also takes part, or from no organisation at all."""
    if whose == "own_org":
        return PersonFactory(organisation=partner_org(cast))
    if whose == "other_partner_org":
        other = OrganisationFactory()
        ParticipationFactory(partnership=cast.partnership, organisation=other, role="1")
        return PersonFactory(organisation=other)
    assert whose == "no_org"
    return PersonFactory(organisation=None)


# fmt: off
GRANTS = [
    #  actor            person from           role             allowed
    ("partner_admin",  "own_org",            "member",        True),
    ("partner_admin",  "own_org",            "observer",      True),
    ("partner_admin",  "own_org",            "partner_admin", True),
    ("partner_admin",  "own_org",            "coordinator",   False),
    ("partner_admin",  "other_partner_org",  "member",        False),
    ("partner_admin",  "other_partner_org",  "observer",      False),
    ("partner_admin",  "no_org",             "observer",      False),
    ("coordinator",    "own_org",            "coordinator",   True),
    ("coordinator",    "other_partner_org",  "member",        True),
    ("coordinator",    "no_org",             "observer",      True),
    ("staff",          "other_partner_org",  "coordinator",   True),
]
# fmt: on


@pytest.mark.parametrize("actor_role,whose,role,allowed", GRANTS)
def test_grant_membership_service(private_cast, actor_role, whose, role, allowed):
    """Given an actor and a candidate, grant_membership gives the role only as the table says;
    a refused grant raises PermissionDenied and creates no membership."""
    actor = private_cast.people[actor_role]
    person = person_from(private_cast, whose)

    if allowed:
        membership = services.grant_membership(
            actor=actor, partnership=private_cast.partnership, person=person, role=role
        )
        assert Membership.objects.get(pk=membership.pk).role == role
    else:
        with pytest.raises(PermissionDenied):
            services.grant_membership(
                actor=actor, partnership=private_cast.partnership, person=person, role=role
            )
        assert not Membership.objects.filter(person=person).exists()


@pytest.mark.parametrize("actor_role,whose,role,allowed", GRANTS)
def test_grant_membership_api(private_cast, actor_role, whose, role, allowed):
    """Given the same table through POST /memberships: 201 and a membership, or 403
    "forbidden" and none."""
    person = person_from(private_cast, whose)

    response = api_client(private_cast.people[actor_role]).post(
        f"/api/v1/partnerships/{private_cast.partnership.slug}/memberships",
        {"person": person.username, "role": role},
        content_type="application/json",
    )

    if allowed:
        assert response.status_code == 201, response.content
        assert Membership.objects.get(person=person).role == role
    else:
        assert response.status_code == 403, response.content
        assert response.json()["error"]["code"] == "forbidden"
        assert not Membership.objects.filter(person=person).exists()


@pytest.mark.parametrize(
    "whose,role",
    [("own_org", "coordinator"), ("other_partner_org", "member"), ("no_org", "observer")],
)
def test_partner_admin_grant_form_refuses(private_cast, whose, role):
    """Given a partner admin on the members page, when they post a grant the table refuses,
    then the form is rejected (422) and no membership is made."""
    person = person_from(private_cast, whose)
    client = client_for(private_cast.people["partner_admin"])
    url = f"/en/partnerships/{private_cast.partnership.slug}/members/"

    response = client.post(url, {"form": "grant", "person": person.pk, "role": role})

    assert response.status_code == 422
    assert not Membership.objects.filter(person=person).exists()


def test_partner_admin_form_offers_only_own_people_and_no_coordinator(private_cast):
    """Given a partner admin, the grant form lists only people of their organisation and
    does not offer the coordinator role; a coordinator's form offers both."""
    own = person_from(private_cast, "own_org")
    other = person_from(private_cast, "other_partner_org")
    url = f"/en/partnerships/{private_cast.partnership.slug}/members/"

    as_admin = client_for(private_cast.people["partner_admin"]).get(url).context["grant_form"]
    as_coordinator = client_for(private_cast.people["coordinator"]).get(url).context["grant_form"]

    assert set(as_admin.fields["person"].queryset) == {own}
    assert "coordinator" not in dict(as_admin.fields["role"].choices)
    assert set(as_coordinator.fields["person"].queryset) == {own, other}
    assert "coordinator" in dict(as_coordinator.fields["role"].choices)


def test_partner_admin_may_not_promote_to_coordinator(private_cast):
    """Given a member of the partner admin's own organisation, when the partner admin makes
    them coordinator, then it is refused and the role stays "member"."""
    membership = Membership.objects.get(
        partnership=private_cast.partnership, person=private_cast.people["member"]
    )

    with pytest.raises(PermissionDenied):
        services.change_membership_role(
            actor=private_cast.people["partner_admin"], membership=membership, role="coordinator"
        )

    assert Membership.objects.get(pk=membership.pk).role == "member"


def test_partner_admin_may_not_remove_a_coordinator(private_cast):
    """Given the coordinator, when a partner admin takes their role away via the API, then
    it is refused with 403 and the coordinator keeps the role."""
    membership = Membership.objects.get(
        partnership=private_cast.partnership, person=private_cast.people["coordinator"]
    )

    response = api_client(private_cast.people["partner_admin"]).delete(
        f"/api/v1/partnerships/{private_cast.partnership.slug}/memberships/{membership.pk}"
    )

    assert response.status_code == 403
    assert Membership.objects.get(pk=membership.pk).role == "coordinator"


def test_partner_admin_may_not_change_other_organisations_people(private_cast):
    """Given a member from another partner organisation, when the partner admin changes
    their role via the API, then it is refused with 403 and the role is unchanged."""
    other = person_from(private_cast, "other_partner_org")
    membership = Membership.objects.create(
        partnership=private_cast.partnership, person=other, role="member"
    )

    response = api_client(private_cast.people["partner_admin"]).patch(
        f"/api/v1/partnerships/{private_cast.partnership.slug}/memberships/{membership.pk}",
        {"role": "observer"},
        content_type="application/json",
    )

    assert response.status_code == 403
    assert Membership.objects.get(pk=membership.pk).role == "member"
