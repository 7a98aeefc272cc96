"""The happy paths of the API: organisations, partnerships, their partners and members.

Some tests call with a personal API token (`Authorization: Bearer …`), others with a
signed-in session, as scripts and the browser do.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from sinergi.access.services import create_api_token
from sinergi.partners.models import Organisation, Person
from sinergi.partnerships.models import Membership, Participation, Partnership
from tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    ParticipationFactory,
    PartnershipFactory,
    PersonFactory,
)


class ApiClient:
    """A django.test.Client that sends JSON, signed in with a token or a session."""

    def __init__(self, person: Person | None = None, *, token: bool = True) -> None:
        self.client = Client()
        self.headers: dict[str, str] = {}
        if person is not None and token:
            _token, secret = create_api_token(actor=person, name="tests")
            self.headers["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
        elif person is not None:
            self.client.force_login(person)

    def get(self, path: str, params: dict[str, Any] | None = None):
        return self.client.get(f"/api/v1{path}", params or {}, **self.headers)

    def post(self, path: str, data: Any):
        return self.client.post(
            f"/api/v1{path}", data, content_type="application/json", **self.headers
        )

    def patch(self, path: str, data: Any):
        return self.client.patch(
            f"/api/v1{path}", data, content_type="application/json", **self.headers
        )

    def delete(self, path: str):
        return self.client.delete(f"/api/v1{path}", **self.headers)


def ok(response, status: int = 200) -> Any:
    assert response.status_code == status, response.content[:1000]
    return response.json() if response.content else None


def slugs(page: dict[str, Any]) -> list[str]:
    return [item["slug"] for item in page["items"]]


@pytest.fixture
def person(db) -> Person:
    return PersonFactory()


# Organisations --------------------------------------------------------------------------


@pytest.fixture
def registry(db) -> dict[str, Organisation]:
    return {
        "bappenas": OrganisationFactory(
            name="Badan Perencanaan Pembangunan Nasional",
            acronym="Bappenas",
            slug="bappenas",
            org_type="10",
            country="ID",
            iati_identifier="ID-BAP-01",
        ),
        "wwf": OrganisationFactory(
            name="World Wide Fund for Nature", slug="wwf", org_type="21", country="CH"
        ),
        "unicef": OrganisationFactory(
            name="UNICEF", slug="unicef", org_type="40", country="US", iati_identifier="XM-DAC"
        ),
        "walhi": OrganisationFactory(
            name="Wahana Lingkungan Hidup", slug="walhi", org_type="22", country="ID"
        ),
        "telkom": OrganisationFactory(
            name="Telkom Indonesia", slug="telkom", org_type="70", country="ID"
        ),
    }


def test_organisation_list_is_paginated_by_limit_and_offset(registry):
    """Given five organisations, limit/offset pages through them by name and `count`
    always gives the total."""
    api = ApiClient()

    first = ok(api.get("/organisations", {"limit": 2, "offset": 0}))
    second = ok(api.get("/organisations", {"limit": 2, "offset": 2}))
    last = ok(api.get("/organisations", {"limit": 2, "offset": 4}))

    assert first["count"] == second["count"] == last["count"] == 5
    assert slugs(first) == ["bappenas", "telkom"]
    assert slugs(second) == ["unicef", "walhi"]
    assert slugs(last) == ["wwf"]


@pytest.mark.parametrize(
    "params,expected",
    [
        ({"q": "lingkungan"}, ["walhi"]),
        ({"q": "BAPPENAS"}, ["bappenas"]),
        ({"q": "XM-DAC"}, ["unicef"]),
        ({"org_type": "10"}, ["bappenas"]),
        ({"country": "ID"}, ["bappenas", "telkom", "walhi"]),
        ({"country": "ID", "org_type": "22"}, ["walhi"]),
        ({"q": "nature", "country": "ID"}, []),
    ],
)
def test_organisation_list_filters(registry, params, expected):
    """Given a registry, q searches name, acronym and IATI identifier; org_type and
    country filter; filters combine and `count` counts the matches."""
    page = ok(ApiClient().get("/organisations", params))

    assert slugs(page) == expected
    assert page["count"] == len(expected)


def test_read_organisation(registry):
    """Given an organisation, anyone can read it by slug, with its type's name."""
    body = ok(ApiClient().get("/organisations/bappenas"))

    assert body["name"] == "Badan Perencanaan Pembangunan Nasional"
    assert body["acronym"] == "Bappenas"
    assert body["org_type"] == "10"
    assert body["org_type_name"] == "Government"
    assert body["iati_identifier"] == "ID-BAP-01"
    assert body["country"] == "ID"
    assert body["id"] == registry["bappenas"].pk


def test_create_organisation_with_token(person):
    """Given a signed-in person with a token, registering an organisation answers 201 with
    it; its slug comes from the acronym and it is stored as sent."""
    payload = {
        "name": "Yayasan Kesehatan Perempuan",
        "acronym": "YKP",
        "org_type": "21",
        "iati_identifier": "ID-AHU-123",
        "country": "ID",
        "subdivisions": ["ID-JK", "ID-JB"],
        "website": "https://ykp.example.org",
        "description_en": "Women's health foundation.",
    }

    body = ok(ApiClient(person).post("/organisations", payload), 201)

    assert body["slug"] == "ykp"
    stored = Organisation.objects.get(slug="ykp")
    assert body["id"] == stored.pk
    for name, value in payload.items():
        assert getattr(stored, name) == value
        assert body[name] == value


def test_patch_organisation_by_its_admin(db):
    """Given an organisation admin (session), PATCH changes only the fields sent."""
    organisation = OrganisationFactory(name="Old Name", acronym="ON", country="ID")
    admin = PersonFactory(organisation=organisation, is_organisation_admin=True)

    body = ok(
        ApiClient(admin, token=False).patch(
            f"/organisations/{organisation.slug}",
            {"name": "New Name", "subdivisions": ["ID-BA"]},
        )
    )

    assert body["name"] == "New Name"
    organisation.refresh_from_db()
    assert organisation.name == "New Name"
    assert organisation.subdivisions == ["ID-BA"]
    assert organisation.acronym == "ON"
    assert organisation.country == "ID"


def test_delete_organisation_by_staff(db):
    """Given an organisation that takes part in nothing, staff delete it: 204, gone."""
    organisation = OrganisationFactory()
    staff = PersonFactory(is_staff=True)

    response = ApiClient(staff).delete(f"/organisations/{organisation.slug}")

    assert response.status_code == 204
    assert response.content == b""
    assert not Organisation.objects.filter(pk=organisation.pk).exists()


def test_organisation_taking_part_cannot_be_deleted(db):
    """Given an organisation that takes part in a partnership, deleting it is 409
    "conflict" and it and its participation stay."""
    participation = ParticipationFactory()
    staff = PersonFactory(is_staff=True)

    response = ApiClient(staff).delete(f"/organisations/{participation.organisation.slug}")

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "conflict"
    assert error["status"] == 409
    assert Organisation.objects.filter(pk=participation.organisation_id).exists()
    assert Participation.objects.filter(pk=participation.pk).exists()


# Partnerships ---------------------------------------------------------------------------


@pytest.fixture
def portfolio(db, person) -> dict[str, Partnership]:
    """Four partnerships; `person` is a member of the private one in Kenya."""
    walhi = OrganisationFactory(slug="walhi")
    found = {
        "rivers": PartnershipFactory(
            title="Clean Rivers Java",
            slug="rivers",
            summary="Water quality along the Citarum.",
            visibility="public",
            activity_status="2",
            countries=["ID"],
        ),
        "reefs": PartnershipFactory(
            title="Coral Reefs Sulawesi",
            slug="reefs",
            visibility="public",
            activity_status="1",
            countries=["ID", "PH"],
        ),
        "schools": PartnershipFactory(
            title="Schools Kenya",
            slug="schools",
            visibility="private",
            activity_status="2",
            countries=["KE"],
        ),
        "secret": PartnershipFactory(
            title="Secret Water Deal", slug="secret", visibility="private", countries=["ID"]
        ),
    }
    ParticipationFactory(partnership=found["rivers"], organisation=walhi, role="4")
    ParticipationFactory(partnership=found["schools"], organisation=walhi, role="1")
    MembershipFactory(partnership=found["schools"], person=person, role="member")
    return found


def test_partnership_list_is_paginated(portfolio, person):
    """Given three partnerships the member may see, limit/offset page through them by
    title ("Clean…", "Coral…", "Schools…") and `count` gives the total of the visible ones only."""
    api = ApiClient(person)

    first = ok(api.get("/partnerships", {"limit": 2}))
    rest = ok(api.get("/partnerships", {"limit": 2, "offset": 2}))

    assert first["count"] == rest["count"] == 3
    assert slugs(first) == ["rivers", "reefs"]
    assert slugs(rest) == ["schools"]


@pytest.mark.parametrize(
    "params,expected",
    [
        ({}, ["rivers", "reefs", "schools"]),
        ({"q": "citarum"}, ["rivers"]),
        ({"q": "water"}, ["rivers"]),
        ({"status": "2"}, ["rivers", "schools"]),
        ({"country": "PH"}, ["reefs"]),
        ({"country": "id"}, ["rivers", "reefs"]),
        ({"visibility": "private"}, ["schools"]),
        ({"organisation": "walhi"}, ["rivers", "schools"]),
        ({"organisation": "walhi", "visibility": "public"}, ["rivers"]),
    ],
)
def test_partnership_list_filters(portfolio, person, params, expected):
    """Given partnerships of several statuses, countries and visibilities, q, status,
    country, visibility and organisation filter what the caller may see (never the
    private partnership they are not a member of)."""
    page = ok(ApiClient(person, token=False).get("/partnerships", params))

    assert slugs(page) == expected
    assert page["count"] == len(expected)


def test_anonymous_list_shows_public_partnerships_only(portfolio):
    """Given public and private partnerships, an anonymous caller lists the public ones."""
    page = ok(ApiClient().get("/partnerships"))

    assert slugs(page) == ["rivers", "reefs"]
    assert page["count"] == 2


def test_read_partnership(portfolio, person):
    """Given a member of a private partnership, they can read it."""
    body = ok(ApiClient(person).get("/partnerships/schools"))

    assert body["title"] == "Schools Kenya"
    assert body["visibility"] == "private"
    assert body["countries"] == ["KE"]


def test_create_partnership_makes_the_creator_coordinator(person):
    """Given a signed-in person, creating a partnership answers 201; its slug comes from
    the title and the creator is its one coordinator."""
    payload = {
        "title": "Mangroves for the Coast",
        "summary": "Replanting mangroves.",
        "start_date": "2025-01-01",
        "end_date": "2027-12-31",
        "countries": ["ID"],
        "regions": ["ID-JT"],
        "visibility": "public",
        "base_currency": "USD",
        "activity_status": "2",
    }

    body = ok(ApiClient(person).post("/partnerships", payload), 201)

    assert body["slug"] == "mangroves-for-the-coast"
    partnership = Partnership.objects.get(slug=body["slug"])
    assert partnership.created_by == person
    assert str(partnership.start_date) == "2025-01-01"
    assert partnership.regions == ["ID-JT"]
    assert partnership.base_currency == "USD"
    memberships = list(Membership.objects.filter(partnership=partnership))
    assert [(m.person, m.role) for m in memberships] == [(person, "coordinator")]

    roles = ok(ApiClient(person).get("/me"))["roles"]
    assert roles == {"mangroves-for-the-coast": "coordinator"}


def test_create_partnership_with_chosen_slug(person):
    """Given a free slug in the request, the partnership gets it."""
    body = ok(
        ApiClient(person, token=False).post(
            "/partnerships", {"title": "Anything", "slug": "my-slug"}
        ),
        201,
    )

    assert body["slug"] == "my-slug"
    assert Partnership.objects.filter(slug="my-slug", title="Anything").exists()


def test_patch_partnership_by_coordinator(private_cast):
    """Given a coordinator, PATCH changes the fields sent; `end_date: null` clears it."""
    partnership = private_cast.partnership
    partnership.end_date = "2030-01-01"
    partnership.save()
    api = ApiClient(private_cast.people["coordinator"])

    body = ok(
        api.patch(
            f"/partnerships/{partnership.slug}",
            {"title": "Renamed", "visibility": "public", "end_date": None},
        )
    )

    assert body["title"] == "Renamed"
    assert body["end_date"] is None
    partnership.refresh_from_db()
    assert partnership.title == "Renamed"
    assert partnership.visibility == "public"
    assert partnership.end_date is None
    assert partnership.countries == ["ID"]


def test_delete_partnership_by_coordinator(private_cast):
    """Given a coordinator, DELETE answers 204 and removes the partnership with its
    participations and memberships, but not the organisations."""
    partnership = private_cast.partnership
    organisation_ids = list(partnership.participations.values_list("organisation_id", flat=True))

    response = ApiClient(private_cast.people["coordinator"], token=False).delete(
        f"/partnerships/{partnership.slug}"
    )

    assert response.status_code == 204
    assert not Partnership.objects.filter(pk=partnership.pk).exists()
    assert not Participation.objects.filter(partnership_id=partnership.pk).exists()
    assert not Membership.objects.filter(partnership_id=partnership.pk).exists()
    assert Organisation.objects.filter(pk__in=organisation_ids).count() == len(organisation_ids)


# Participations -------------------------------------------------------------------------


def test_participation_lifecycle(private_cast):
    """Given a coordinator, they add an organisation as funder (201), list the partners,
    change its role and contribution, and remove it again (204)."""
    partnership = private_cast.partnership
    newcomer = OrganisationFactory(name="Aaa Development Bank", slug="adb", org_type="40")
    api = ApiClient(private_cast.people["coordinator"])
    base = f"/partnerships/{partnership.slug}/participations"

    created = ok(api.post(base, {"organisation": "adb", "role": "1", "contribution": "Money"}), 201)

    assert created["organisation"]["slug"] == "adb"
    assert created["role"] == "1"
    assert created["role_name"] == "Funding"
    assert created["contribution"] == "Money"
    stored = Participation.objects.get(pk=created["id"])
    assert (stored.organisation, stored.role) == (newcomer, "1")

    listed = ok(api.get(base))
    assert listed["count"] == 2
    partner = partnership.participations.get(role="4").organisation
    assert [(p["organisation"]["slug"], p["role"]) for p in listed["items"]] == [
        ("adb", "1"),
        (partner.slug, "4"),
    ]

    changed = ok(api.patch(f"{base}/{stored.pk}", {"role": "2", "contribution": "Oversight"}))
    assert (changed["role"], changed["contribution"]) == ("2", "Oversight")
    stored.refresh_from_db()
    assert (stored.role, stored.contribution) == ("2", "Oversight")

    response = api.delete(f"{base}/{stored.pk}")
    assert response.status_code == 204
    assert not Participation.objects.filter(pk=stored.pk).exists()
    assert Organisation.objects.filter(pk=newcomer.pk).exists()


def test_patch_participation_contribution_only_keeps_role(private_cast):
    """Given a PATCH with only a contribution, the role stays as it was."""
    participation = private_cast.partnership.participations.get()
    api = ApiClient(private_cast.people["coordinator"], token=False)

    ok(
        api.patch(
            f"/partnerships/{private_cast.partnership.slug}/participations/{participation.pk}",
            {"contribution": "Trainers"},
        )
    )

    participation.refresh_from_db()
    assert (participation.role, participation.contribution) == ("4", "Trainers")


def test_members_may_list_partners_and_members(private_cast):
    """Given an observer of a private partnership, they can list its partners and members."""
    api = ApiClient(private_cast.people["observer"])
    slug = private_cast.partnership.slug

    partners = ok(api.get(f"/partnerships/{slug}/participations"))
    members = ok(api.get(f"/partnerships/{slug}/memberships"))

    assert partners["count"] == 1
    assert members["count"] == 4
    assert {m["role"] for m in members["items"]} == {
        "coordinator",
        "partner_admin",
        "member",
        "observer",
    }


# Memberships ----------------------------------------------------------------------------


def test_membership_lifecycle(private_cast):
    """Given a coordinator, they give a colleague a role (201), change it and take it
    away (204)."""
    cast = private_cast
    colleague = PersonFactory(organisation=cast.people["member"].organisation)
    api = ApiClient(cast.people["coordinator"], token=False)
    base = f"/partnerships/{cast.partnership.slug}/memberships"

    created = ok(api.post(base, {"person": colleague.username, "role": "observer"}), 201)

    assert created["person"]["username"] == colleague.username
    assert created["person"]["organisation"] == colleague.organisation.slug
    assert created["role"] == "observer"
    membership = Membership.objects.get(pk=created["id"])
    assert (membership.person, membership.role) == (colleague, "observer")

    changed = ok(api.patch(f"{base}/{membership.pk}", {"role": "partner_admin"}))
    assert changed["role"] == "partner_admin"
    membership.refresh_from_db()
    assert membership.role == "partner_admin"

    response = api.delete(f"{base}/{membership.pk}")
    assert response.status_code == 204
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_partner_admin_grants_roles_to_own_colleagues(private_cast):
    """Given a partner admin, they may make a colleague of their own organisation a member."""
    cast = private_cast
    colleague = PersonFactory(organisation=cast.people["partner_admin"].organisation)

    created = ok(
        ApiClient(cast.people["partner_admin"]).post(
            f"/partnerships/{cast.partnership.slug}/memberships",
            {"person": colleague.username, "role": "member"},
        ),
        201,
    )

    assert Membership.objects.get(pk=created["id"]).role == "member"


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_last_coordinator_cannot_be_demoted_or_removed(private_cast, method):
    """Given a partnership with one coordinator, demoting or removing them is 409
    "conflict" on the role and they stay coordinator."""
    cast = private_cast
    membership = Membership.objects.get(partnership=cast.partnership, role="coordinator")
    api = ApiClient(cast.people["coordinator"])
    path = f"/partnerships/{cast.partnership.slug}/memberships/{membership.pk}"

    response = api.patch(path, {"role": "member"}) if method == "patch" else api.delete(path)

    assert response.status_code == 409, response.content
    error = response.json()["error"]
    assert (error["status"], error["code"]) == (409, "conflict")
    assert "role" in error["fields"]
    membership.refresh_from_db()
    assert membership.role == "coordinator"


def test_staff_cannot_remove_the_last_coordinator_either(private_cast):
    """Given platform staff, the one-coordinator rule still holds."""
    cast = private_cast
    membership = Membership.objects.get(partnership=cast.partnership, role="coordinator")

    response = ApiClient(cast.people["staff"]).delete(
        f"/partnerships/{cast.partnership.slug}/memberships/{membership.pk}"
    )

    assert response.status_code == 409
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_coordinator_may_step_down_once_there_is_another(private_cast):
    """Given a second coordinator, the first may demote themself and then the second may
    remove them."""
    cast = private_cast
    first = Membership.objects.get(partnership=cast.partnership, role="coordinator")
    second = Membership.objects.get(partnership=cast.partnership, role="member")
    base = f"/partnerships/{cast.partnership.slug}/memberships"

    ok(ApiClient(cast.people["coordinator"]).patch(f"{base}/{second.pk}", {"role": "coordinator"}))
    ok(ApiClient(cast.people["coordinator"]).patch(f"{base}/{first.pk}", {"role": "observer"}))
    response = ApiClient(cast.people["member"]).delete(f"{base}/{first.pk}")

    assert response.status_code == 204
    assert list(
        Membership.objects.filter(partnership=cast.partnership, role="coordinator").values_list(
            "person", flat=True
        )
    ) == [cast.people["member"].pk]
