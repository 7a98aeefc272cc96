"""Every API error has one shape, and a refused request writes nothing.

The envelope is
    {"error": {"status": 422, "code": "invalid", "message": "...", "fields": {name: [msgs]}}}
with `fields` only when particular inputs are at fault, and the HTTP status always equals
`error.status`. No request in this module may end in a server error.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from sinergi.access.models import ApiToken, Invitation
from sinergi.access.services import create_api_token, revoke_api_token
from sinergi.partners.models import Organisation, Person
from sinergi.partnerships.models import Membership, Participation, Partnership
from tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    ParticipationFactory,
    PartnershipFactory,
    PersonFactory,
)

MODELS = (Organisation, Person, Partnership, Participation, Membership, ApiToken, Invitation)
ENVELOPE_KEYS = {"status", "code", "message", "fields", "candidates"}


class StrictClient(Client):
    """The real test client, failing the test on any 5xx response."""

    def request(self, **request: Any):
        response = super().request(**request)
        assert response.status_code < 500, response.content[:1000]
        return response


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def assert_error(response, status: int, code: str) -> dict[str, Any]:
    """Check the envelope and return its `error` object."""
    assert response.status_code == status, response.content[:1000]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) <= ENVELOPE_KEYS
    assert error["status"] == response.status_code == status
    assert error["code"] == code
    assert isinstance(error["message"], str)
    assert error["message"].strip()
    if "fields" in error:
        assert isinstance(error["fields"], dict)
        assert error["fields"]
        for name, messages in error["fields"].items():
            assert isinstance(name, str)
            assert isinstance(messages, list)
            assert messages
            assert all(isinstance(m, str) and m.strip() for m in messages)
    return error


def bearer(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@pytest.fixture
def person(db) -> Person:
    return PersonFactory()


@pytest.fixture
def auth(person) -> dict[str, str]:
    _token, secret = create_api_token(actor=person, name="tests")
    return bearer(secret)


@pytest.fixture
def client() -> StrictClient:
    return StrictClient()


def post_json(client: Client, path: str, data: Any, **extra: Any):
    return client.post(path, data, content_type="application/json", **extra)


def patch_json(client: Client, path: str, data: Any, **extra: Any):
    return client.patch(path, data, content_type="application/json", **extra)


ORGANISATION = {"name": "Coral Reef Alliance", "org_type": "21", "country": "ID"}
PARTNERSHIP = {"title": "Clean Rivers Java"}


# Schema validation ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload,field",
    [
        ({"org_type": "21", "country": "ID"}, "name"),
        ({**ORGANISATION, "name": ""}, "name"),
        ({**ORGANISATION, "name": "x" * 201}, "name"),
        ({"name": "Coral Reef Alliance", "country": "ID"}, "org_type"),
        ({**ORGANISATION, "subdivisions": "ID-JK"}, "subdivisions"),
        ({**ORGANISATION, "confirm_duplicate": "perhaps"}, "confirm_duplicate"),
    ],
)
def test_schema_errors_name_each_field(client, auth, payload, field):
    """Given a body that does not fit the schema, the API answers 422 "invalid" and names
    the offending field; no row is written."""
    before = row_counts()

    response = post_json(client, "/api/v1/organisations", payload, **auth)

    error = assert_error(response, 422, "invalid")
    assert field in error["fields"]
    assert row_counts() == before


def test_schema_error_lists_every_missing_field(client, auth):
    """Given an empty JSON object, every required field is reported at once."""
    response = post_json(client, "/api/v1/organisations", {}, **auth)

    error = assert_error(response, 422, "invalid")
    assert {"name", "org_type", "country"} <= set(error["fields"])


def test_schema_error_in_query_parameters(client):
    """Given a non-numeric `limit`, the list answers 422 with fields.limit."""
    response = client.get("/api/v1/organisations", {"limit": "many"})

    error = assert_error(response, 422, "invalid")
    assert "limit" in error["fields"]


def test_schema_error_on_partnership_date(client, auth):
    """Given a start date that is not a date, the partnership is refused on that field."""
    before = row_counts()

    response = post_json(
        client, "/api/v1/partnerships", {**PARTNERSHIP, "start_date": "next spring"}, **auth
    )

    assert "start_date" in assert_error(response, 422, "invalid")["fields"]
    assert row_counts() == before


@pytest.mark.parametrize(
    "language,expected",
    [
        (
            "en",
            {
                "name": "This field is required.",
                "org_type": "This field is required.",
                "country": "This field is required.",
                "limit": "Enter a whole number.",
                "start": "Must be at least 0.",
                "title": "Must be at most 200 characters long.",
                "start_date": "Enter a date as YYYY-MM-DD.",
            },
        ),
        (
            "id",
            {
                "name": "Isian ini tidak boleh kosong.",
                "org_type": "Isian ini tidak boleh kosong.",
                "country": "Isian ini tidak boleh kosong.",
                "limit": "Masukkan bilangan bulat.",
                "start": "Minimal 0.",
                "title": "Paling banyak 200 karakter.",
                "start_date": "Masukkan tanggal dalam format YYYY-MM-DD.",
            },
        ),
    ],
)
def test_schema_field_messages_are_worded_in_the_reader_s_language(
    client, auth, language, expected
):
    """Given schema errors (a missing field, a non-number, a number under its minimum, a
    too-long text, a non-date) with Accept-Language en or id, then each field's message
    is a sentence in that language, with the bound filled in — not pydantic's English."""
    header = {"HTTP_ACCEPT_LANGUAGE": language}
    fields: dict[str, list[str]] = {}
    for response in (
        post_json(client, "/api/v1/organisations", {}, **auth, **header),
        client.get("/api/v1/organisations", {"limit": "many"}, **header),
        client.get("/api/v1/ledger/entries", {"start": -1}, **header),
    ):
        fields |= assert_error(response, 422, "invalid")["fields"]
    response = post_json(
        client,
        "/api/v1/partnerships",
        {"title": "x" * 201, "start_date": "next spring"},
        **auth,
        **header,
    )
    fields |= assert_error(response, 422, "invalid")["fields"]

    assert {name: fields[name] for name in expected} == {
        name: [message] for name, message in expected.items()
    }


def test_rarer_schema_errors_are_worded_in_the_reader_s_language_too(client, auth, person):
    """Given a kind that is not one, a 7,000-digit id and a lone UTF-16 surrogate in JSON
    text, with Accept-Language id, the messages are Indonesian."""
    header = {"HTTP_ACCEPT_LANGUAGE": "id"}
    public = PartnershipFactory(visibility="public")
    entries = f"/api/v1/ledger/partnerships/{public.slug}/entries"

    kind = assert_error(client.get(entries, {"kind": "BAD KIND!"}, **header), 422, "invalid")
    huge = client.get("/api/v1/organisations", {"limit": "9" * 7000}, **header)
    surrogate = client.post(
        "/api/v1/partnerships",
        b'{"title": "\\ud800", "base_currency": "IDR"}',
        content_type="application/json",
        **auth,
        **header,
    )

    (message,) = kind["fields"]["kind"]
    assert message.startswith("Berikan jenis entri, misalnya finance.transaction.recorded")
    assert assert_error(huge, 422, "invalid")["fields"]["limit"] == ["Masukkan bilangan bulat."]
    assert assert_error(surrogate, 422, "invalid")["fields"]["title"] == ["Masukkan teks."]


# Domain validation ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"org_type": "99"}, "org_type"),
        ({"country": "XX"}, "country"),
        ({"subdivisions": ["MY-01"]}, "subdivisions"),
        ({"subdivisions": ["ID-ZZ"]}, "subdivisions"),
        ({"website": "not a website"}, "website"),
    ],
)
def test_domain_errors_on_organisation(client, auth, changes, field):
    """Given well-formed JSON with a value the registry does not accept (an unknown IATI
    organisation type, an unknown country, a province of another country), the API answers
    422 with the field named and registers nothing."""
    before = row_counts()

    response = post_json(client, "/api/v1/organisations", {**ORGANISATION, **changes}, **auth)

    error = assert_error(response, 422, "invalid")
    assert field in error["fields"], error
    assert row_counts() == before


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"start_date": "2025-06-01", "end_date": "2025-05-31"}, "end_date"),
        ({"countries": ["XX"]}, "countries"),
        ({"countries": ["ID"], "regions": ["MY-01"]}, "regions"),
        ({"visibility": "secret"}, "visibility"),
        ({"activity_status": "9"}, "activity_status"),
        ({"base_currency": "QQQ"}, "base_currency"),
    ],
)
def test_domain_errors_on_partnership(client, auth, changes, field):
    """Given a partnership that ends before it starts, lies in an unknown country or a
    region outside its countries, or uses an unknown code, the API answers 422 with that
    field and creates neither the partnership nor a membership."""
    before = row_counts()

    response = post_json(client, "/api/v1/partnerships", {**PARTNERSHIP, **changes}, **auth)

    error = assert_error(response, 422, "invalid")
    assert field in error["fields"], error
    assert row_counts() == before


def test_domain_error_on_patch_leaves_row_unchanged(client, person):
    """Given a coordinator, when they PATCH an end date before the start date, the API
    answers 422 fields.end_date and the stored dates stay as they were."""
    partnership = PartnershipFactory(start_date="2025-01-01", end_date="2025-12-31")
    MembershipFactory(partnership=partnership, person=person, role="coordinator")
    client.force_login(person)

    response = patch_json(
        client, f"/api/v1/partnerships/{partnership.slug}", {"end_date": "2024-12-31"}
    )

    assert "end_date" in assert_error(response, 422, "invalid")["fields"]
    partnership.refresh_from_db()
    assert str(partnership.end_date) == "2025-12-31"


def test_organisation_patch_with_unknown_country_changes_nothing(client, db):
    """Given an organisation admin, when they PATCH country "XX", the API answers 422
    fields.country and the organisation keeps its country."""
    organisation = OrganisationFactory(country="ID")
    admin = PersonFactory(organisation=organisation, is_organisation_admin=True)
    client.force_login(admin)

    response = patch_json(client, f"/api/v1/organisations/{organisation.slug}", {"country": "XX"})

    assert "country" in assert_error(response, 422, "invalid")["fields"]
    organisation.refresh_from_db()
    assert organisation.country == "ID"


@pytest.mark.parametrize(
    "payload,field",
    [
        ({"organisation": "no-such-organisation", "role": "4"}, "organisation"),
        ({"organisation": "{partner}", "role": "9"}, "role"),
    ],
)
def test_domain_errors_on_participation(client, person, payload, field):
    """Given a coordinator adding an unknown organisation or an unknown IATI role, the API
    answers 422 on that field and the partnership keeps its partners."""
    partnership = PartnershipFactory()
    MembershipFactory(partnership=partnership, person=person, role="coordinator")
    partner = OrganisationFactory()
    payload = {k: v.format(partner=partner.slug) for k, v in payload.items()}
    client.force_login(person)
    before = row_counts()

    response = post_json(client, f"/api/v1/partnerships/{partnership.slug}/participations", payload)

    assert field in assert_error(response, 422, "invalid")["fields"]
    assert row_counts() == before


@pytest.mark.parametrize(
    "who,role,field",
    [
        ("nobody-by-this-name", "member", "person"),
        ("{candidate}", "boss", "role"),
        ("{candidate}", "partner_admin", "role"),
    ],
)
def test_domain_errors_on_membership(client, person, who, role, field):
    """Given a coordinator granting a role to an unknown person, an unknown role, or
    partner admin to someone whose organisation does not take part, the API answers 422
    on that field and grants nothing."""
    partnership = PartnershipFactory()
    MembershipFactory(partnership=partnership, person=person, role="coordinator")
    candidate = PersonFactory()
    client.force_login(person)
    before = row_counts()

    response = post_json(
        client,
        f"/api/v1/partnerships/{partnership.slug}/memberships",
        {"person": who.format(candidate=candidate.username), "role": role},
    )

    assert field in assert_error(response, 422, "invalid")["fields"]
    assert row_counts() == before


# Duplicates and taken names -------------------------------------------------------------


def test_taken_iati_identifier_is_refused_on_that_field(client, auth):
    """Given an organisation registered with IATI identifier XM-DAC-41122, registering
    another one with the same identifier (even with spaces around it and a different name)
    is a 422 on fields.iati_identifier, and nothing is written — also not when the caller
    confirms that it is not a duplicate."""
    OrganisationFactory(name="UNICEF", iati_identifier="XM-DAC-41122")
    before = row_counts()

    for confirm in (False, True):
        response = post_json(
            client,
            "/api/v1/organisations",
            {
                **ORGANISATION,
                "iati_identifier": " XM-DAC-41122 ",
                "confirm_duplicate": confirm,
            },
            **auth,
        )

        error = assert_error(response, 422, "invalid")
        assert list(error["fields"]) == ["iati_identifier"]
        assert row_counts() == before


def test_taken_iati_identifier_is_refused_on_patch(client, db):
    """Given two organisations, giving the second the first one's IATI identifier by PATCH
    is a 422 on fields.iati_identifier and the second keeps its own identifier."""
    OrganisationFactory(iati_identifier="XM-DAC-41122")
    second = OrganisationFactory(iati_identifier="ID-KMK-0001")
    client.force_login(PersonFactory(is_staff=True))

    response = patch_json(
        client, f"/api/v1/organisations/{second.slug}", {"iati_identifier": "XM-DAC-41122"}
    )

    assert list(assert_error(response, 422, "invalid")["fields"]) == ["iati_identifier"]
    second.refresh_from_db()
    assert second.iati_identifier == "ID-KMK-0001"


def test_likely_duplicate_needs_confirmation(client, auth):
    """Given "Ministry of Health" in the registry, registering "Ministry of Health of the
    Republic of Indonesia" answers 409 "likely_duplicate" listing the existing one as a
    candidate and writes nothing; resending with confirm_duplicate=true registers it."""
    existing = OrganisationFactory(name="Ministry of Health", org_type="10")
    payload = {"name": "Ministry of Health of the Republic of Indonesia", "org_type": "10"}
    payload["country"] = "ID"
    before = row_counts()

    response = post_json(client, "/api/v1/organisations", payload, **auth)

    error = assert_error(response, 409, "likely_duplicate")
    assert "name" in error["fields"]
    assert [c["slug"] for c in error["candidates"]] == [existing.slug]
    assert set(error["candidates"][0]) == {"slug", "name", "acronym", "iati_identifier"}
    assert row_counts() == before

    response = post_json(
        client, "/api/v1/organisations", {**payload, "confirm_duplicate": True}, **auth
    )

    assert response.status_code == 201, response.content
    assert Organisation.objects.filter(name=payload["name"]).count() == 1
    assert Organisation.objects.count() == before["Organisation"] + 1


@pytest.mark.parametrize("method", ["post", "patch"])
def test_taken_partnership_slug(client, person, method):
    """Given a partnership with slug "clean-rivers", creating or renaming another one to
    that slug answers 422 fields.slug and changes nothing."""
    PartnershipFactory(slug="clean-rivers")
    other = PartnershipFactory(slug="other")
    MembershipFactory(partnership=other, person=person, role="coordinator")
    client.force_login(person)
    before = row_counts()

    if method == "post":
        response = post_json(
            client, "/api/v1/partnerships", {**PARTNERSHIP, "slug": "clean-rivers"}
        )
    else:
        response = patch_json(client, "/api/v1/partnerships/other", {"slug": "clean-rivers"})

    assert "slug" in assert_error(response, 422, "invalid")["fields"]
    assert row_counts() == before
    assert Partnership.objects.filter(slug="other").exists()


# Bodies that cannot be read -------------------------------------------------------------


@pytest.mark.parametrize("body", ['{"name": "Coral Reef', "{'name': 'x'}", "name=x", "\x00"])
def test_malformed_json(client, auth, body):
    """Given a body that is not JSON, the API answers 400 "malformed" and writes nothing."""
    before = row_counts()

    response = client.post("/api/v1/organisations", body, content_type="application/json", **auth)

    assert_error(response, 400, "malformed")
    assert row_counts() == before


def test_oversized_body(client, auth):
    """Given a JSON body one byte over DATA_UPLOAD_MAX_MEMORY_SIZE (1 MiB), the API answers
    413 "too_large" without parsing it and writes nothing."""
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 1024 * 1024
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    filler = "x" * (limit + 1 - len(json.dumps({**ORGANISATION, "description_en": ""})))
    body = json.dumps({**ORGANISATION, "description_en": filler})
    assert len(body.encode()) == limit + 1
    before = row_counts()

    response = client.post("/api/v1/organisations", body, content_type="application/json", **auth)

    assert_error(response, 413, "too_large")
    assert row_counts() == before


def test_body_just_under_the_limit_is_read(client, auth):
    """Given a JSON body just under 1 MiB, the body is read and validated (here refused on
    the description's length), not refused as too large."""
    filler = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE - 200)
    body = json.dumps({**ORGANISATION, "description_en": filler})
    assert len(body.encode()) <= settings.DATA_UPLOAD_MAX_MEMORY_SIZE

    response = client.post("/api/v1/organisations", body, content_type="application/json", **auth)

    assert "description_en" in assert_error(response, 422, "invalid")["fields"]


# Not found ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method,path",
    [
        ("get", "/api/v1/organisations/no-such-organisation"),
        ("patch", "/api/v1/organisations/no-such-organisation"),
        ("delete", "/api/v1/organisations/no-such-organisation"),
        ("get", "/api/v1/partnerships/no-such-partnership"),
        ("get", "/api/v1/partnerships/no-such-partnership/participations"),
        ("get", "/api/v1/partnerships/no-such-partnership/memberships"),
        ("delete", "/api/v1/tokens/999999"),
    ],
)
def test_not_found(client, auth, method, path):
    """Given a slug or id that does not exist, the API answers 404 "not_found"."""
    before = row_counts()

    response = getattr(client, method)(path, {}, content_type="application/json", **auth)

    assert_error(response, 404, "not_found")
    assert row_counts() == before


def test_private_partnership_is_not_found_for_outsiders(client, private_cast):
    """Given a private partnership, an outsider gets the same 404 as for a missing one,
    for reading and for writing, so that its existence does not leak."""
    slug = private_cast.partnership.slug
    client.force_login(private_cast.people["outsider"])

    assert_error(client.get(f"/api/v1/partnerships/{slug}"), 404, "not_found")
    response = patch_json(client, f"/api/v1/partnerships/{slug}", {"title": "Mine now"})
    assert_error(response, 404, "not_found")
    private_cast.partnership.refresh_from_db()
    assert private_cast.partnership.title != "Mine now"


def test_other_peoples_participation_is_not_found(client, person):
    """Given a coordinator of one partnership, a participation id of another partnership
    is 404 under their partnership's path, and it is not removed."""
    mine = PartnershipFactory()
    MembershipFactory(partnership=mine, person=person, role="coordinator")
    foreign = ParticipationFactory()
    client.force_login(person)

    response = client.delete(f"/api/v1/partnerships/{mine.slug}/participations/{foreign.pk}")

    assert_error(response, 404, "not_found")
    assert Participation.objects.filter(pk=foreign.pk).exists()


# Unauthenticated and forbidden ----------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        "Bearer sng_not-a-real-token",
        "Bearer not-even-our-prefix",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "sng_token-without-scheme",
    ],
)
def test_bad_authorization_header(client, db, header):
    """Given an Authorization header with an unknown token or another scheme, the API
    answers 401 "unauthenticated" — also for reads that anonymous callers may do."""
    before = row_counts()

    read = client.get("/api/v1/organisations", HTTP_AUTHORIZATION=header)
    write = post_json(client, "/api/v1/organisations", ORGANISATION, HTTP_AUTHORIZATION=header)

    assert_error(read, 401, "unauthenticated")
    assert_error(write, 401, "unauthenticated")
    assert row_counts() == before


def test_revoked_token(client, person):
    """Given a token that worked, once it is revoked the same request is 401."""
    token, secret = create_api_token(actor=person, name="script")
    assert client.get("/api/v1/me", **bearer(secret)).status_code == 200

    revoke_api_token(actor=person, token=token)
    before = row_counts()
    read = client.get("/api/v1/me", **bearer(secret))
    write = post_json(client, "/api/v1/organisations", ORGANISATION, **bearer(secret))

    assert_error(read, 401, "unauthenticated")
    assert_error(write, 401, "unauthenticated")
    assert row_counts() == before


@pytest.mark.parametrize(
    "method,path,payload",
    [
        ("post", "/api/v1/organisations", ORGANISATION),
        ("post", "/api/v1/partnerships", PARTNERSHIP),
        ("post", "/api/v1/tokens", {"name": "mine"}),
        ("get", "/api/v1/me", None),
        ("get", "/api/v1/tokens", None),
    ],
)
def test_anonymous_writes_and_account_reads(client, db, method, path, payload):
    """Given no credentials at all, writing or reading one's own account is 401."""
    before = row_counts()

    response = post_json(client, path, payload) if method == "post" else client.get(path)

    assert_error(response, 401, "unauthenticated")
    assert row_counts() == before


def test_anonymous_change_of_public_data(client, public_cast):
    """Given a public partnership and a registered organisation, an anonymous caller may
    read them but PATCH and DELETE are 401 and change nothing."""
    slug = public_cast.partnership.slug
    organisation = OrganisationFactory()
    assert client.get(f"/api/v1/partnerships/{slug}").status_code == 200
    before = row_counts()

    responses = [
        patch_json(client, f"/api/v1/partnerships/{slug}", {"title": "Taken over"}),
        client.delete(f"/api/v1/partnerships/{slug}"),
        patch_json(client, f"/api/v1/organisations/{organisation.slug}", {"name": "Taken"}),
        client.delete(f"/api/v1/organisations/{organisation.slug}"),
    ]

    for response in responses:
        assert_error(response, 401, "unauthenticated")
    assert row_counts() == before


@pytest.mark.parametrize("role", ["member", "observer", "partner_admin"])
def test_forbidden_for_roles_without_the_right(client, private_cast, role):
    """Given members who may see a partnership but not change it, editing it, deleting it
    and adding partners are 403 "forbidden" and change nothing."""
    partnership = private_cast.partnership
    client.force_login(private_cast.people[role])
    organisation = OrganisationFactory()
    before = row_counts()

    responses = [
        patch_json(client, f"/api/v1/partnerships/{partnership.slug}", {"title": "Changed"}),
        client.delete(f"/api/v1/partnerships/{partnership.slug}"),
        post_json(
            client,
            f"/api/v1/partnerships/{partnership.slug}/participations",
            {"organisation": organisation.slug, "role": "1"},
        ),
    ]

    for response in responses:
        assert_error(response, 403, "forbidden")
    assert row_counts() == before
    partnership.refresh_from_db()
    assert partnership.title != "Changed"


def test_forbidden_organisation_changes(client, auth):
    """Given a signed-in person who is not the organisation's admin, changing or deleting
    it is 403 and it stays as it was."""
    organisation = OrganisationFactory(name="Coral Reef Alliance")
    before = row_counts()

    patch = patch_json(
        client, f"/api/v1/organisations/{organisation.slug}", {"name": "Mine"}, **auth
    )
    delete = client.delete(f"/api/v1/organisations/{organisation.slug}", **auth)

    assert_error(patch, 403, "forbidden")
    assert_error(delete, 403, "forbidden")
    assert row_counts() == before
    organisation.refresh_from_db()
    assert organisation.name == "Coral Reef Alliance"


def test_partner_admin_cannot_make_a_coordinator(client, private_cast):
    """Given a partner admin, granting the coordinator role (even to a colleague) is 403."""
    cast = private_cast
    colleague = PersonFactory(organisation=cast.people["partner_admin"].organisation)
    client.force_login(cast.people["partner_admin"])
    before = row_counts()

    response = post_json(
        client,
        f"/api/v1/partnerships/{cast.partnership.slug}/memberships",
        {"person": colleague.username, "role": "coordinator"},
    )

    assert_error(response, 403, "forbidden")
    assert row_counts() == before


# CSRF -----------------------------------------------------------------------------------


def csrf_token(client: Client) -> str:
    """Load a page with a form so that the CSRF cookie is set, and return its value."""
    assert client.get("/en/accounts/tokens/").status_code == 200
    return client.cookies[settings.CSRF_COOKIE_NAME].value


def test_session_write_without_csrf_token_is_refused(person):
    """Given a signed-in browser session that enforces CSRF, a JSON POST without the
    X-CSRFToken header is 403 "forbidden" and writes nothing; with the header it works."""
    client = StrictClient(enforce_csrf_checks=True)
    client.force_login(person)
    token = csrf_token(client)
    before = row_counts()

    refused = post_json(client, "/api/v1/partnerships", PARTNERSHIP)
    wrong = post_json(client, "/api/v1/partnerships", PARTNERSHIP, HTTP_X_CSRFTOKEN="x" * 32)

    assert_error(refused, 403, "forbidden")
    assert_error(wrong, 403, "forbidden")
    assert row_counts() == before

    accepted = post_json(client, "/api/v1/partnerships", PARTNERSHIP, HTTP_X_CSRFTOKEN=token)

    assert accepted.status_code == 201, accepted.content
    assert Partnership.objects.count() == before["Partnership"] + 1


def test_session_delete_without_csrf_token_is_refused(person):
    """Given a coordinator's browser session, DELETE without the CSRF header is 403 and the
    partnership survives."""
    partnership = PartnershipFactory()
    MembershipFactory(partnership=partnership, person=person, role="coordinator")
    client = StrictClient(enforce_csrf_checks=True)
    client.force_login(person)

    response = client.delete(f"/api/v1/partnerships/{partnership.slug}")

    assert_error(response, 403, "forbidden")
    assert Partnership.objects.filter(pk=partnership.pk).exists()


def test_bearer_token_needs_no_csrf_token(person, auth):
    """Given a client that enforces CSRF, a write with a bearer token (no cookies) works:
    CSRF protects sessions, not tokens."""
    client = StrictClient(enforce_csrf_checks=True)

    response = post_json(client, "/api/v1/partnerships", PARTNERSHIP, **auth)

    assert response.status_code == 201, response.content


def test_safe_session_reads_need_no_csrf_token(person):
    """Given a session that enforces CSRF, GET requests work without the header."""
    client = StrictClient(enforce_csrf_checks=True)
    client.force_login(person)

    assert client.get("/api/v1/me").status_code == 200


@pytest.mark.django_db
def test_unknown_api_path_and_method_use_the_envelope():
    """Given the API, when a path does not exist or a method is not supported,
    then the answer is the JSON error envelope too (404 not_found, 405 method_not_allowed)."""
    client = Client()
    missing = client.get("/api/v1/no-such-thing")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    wrong = client.put("/api/v1/organisations", data="{}", content_type="application/json")
    assert wrong.status_code == 405
    assert wrong.json()["error"] == {
        "status": 405,
        "code": "method_not_allowed",
        "message": "This method is not allowed here.",
    }


@pytest.mark.parametrize("flag", [True, False])
def test_a_flag_is_not_an_id(flag):
    """JSON `true` would read as id 1 (pydantic's lax mode): an id must be a number."""
    from pydantic import TypeAdapter, ValidationError

    from sinergi.core.schemas import Id

    with pytest.raises(ValidationError) as refused:
        TypeAdapter(Id).validate_python(flag)

    assert refused.value.errors()[0]["type"] == "int_type"
    assert TypeAdapter(Id).validate_python(7) == 7
