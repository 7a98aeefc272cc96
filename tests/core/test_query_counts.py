"""No N+1 queries: list-like pages and API endpoints cost the same number of queries for
N rows as for 3N rows.

Each test makes N rows, warms the page up once, counts the queries of one request (which
must stay below a small bound), adds 2N more rows and asserts that the next request makes
exactly as many queries. Every row is given the relations its template or schema shows
(organisations, people, counts), so a missing select_related or annotation would show up
as a growing count.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import Client

from sinergi.access.services import invite_person
from sinergi.core import stored
from sinergi.partners.models import Organisation, Person
from sinergi.partnerships.models import Partnership
from tests.conftest import Cast, client_for
from tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    ParticipationFactory,
    PartnershipFactory,
    PersonFactory,
)

N = 4  # 3N = 12 rows stays on the first page of every list (page sizes 20, 25 and 50)
BOUND = 12  # queries per request, including session and user look-ups


@pytest.fixture
def constant_queries(django_assert_max_num_queries, django_assert_num_queries):
    """Run `fetch` with N rows, then 3N rows (made by `grow`), and demand equal query counts.

    Returns the two responses so that each test can check they really had N and 3N rows.
    """

    def run(fetch: Callable[[], object], grow: Callable[[int], None], bound: int = BOUND) -> tuple:
        grow(N)
        fetch()  # warm up one-off caches (content types, translations, ...)
        with django_assert_max_num_queries(bound) as few_rows:
            small = fetch()
        grow(2 * N)
        with django_assert_num_queries(len(few_rows)):
            large = fetch()
        return small, large

    return run


def partner_with_person(partnership: Partnership, role: str = "member") -> Person:
    """A new organisation taking part in `partnership` and one of its people as a member."""
    organisation = OrganisationFactory(acronym="ORG")
    ParticipationFactory(partnership=partnership, organisation=organisation, role="4")
    person = PersonFactory(organisation=organisation, last_name="Doe")
    MembershipFactory(partnership=partnership, person=person, role=role)
    return person


def computed(client: Client, url: str) -> Callable[[], object]:
    """A read of `url` that computes what the page shows: kept pages and their parts
    (`sinergi.core.pages`, tests/partnerships/test_kept_pages.py) are forgotten
    first, for it is the computing that must not grow with the rows."""

    def fetch() -> object:
        stored.clear()
        return client.get(url)

    return fetch


def assert_ok(response) -> None:
    assert response.status_code == 200, getattr(response, "content", b"")[:300]


# Pages --------------------------------------------------------------------------------


def test_partnership_list_page(private_cast: Cast, constant_queries):
    """Given a member of many public and private partnerships, each with partners and
    members, the list page costs the same number of queries for N and 3N rows."""
    reader = private_cast.people["member"]
    client = client_for(reader)

    def grow(count: int) -> None:
        for i in range(count):
            partnership = PartnershipFactory(visibility="private" if i % 2 else "public")
            partner_with_person(partnership)
            partner_with_person(partnership)
            MembershipFactory(partnership=partnership, person=reader, role="observer")

    small, large = constant_queries(computed(client, "/en/partnerships/"), grow)

    assert_ok(small)
    assert f">{N + 1} partnerships</p>".encode() in small.content
    assert f">{3 * N + 1} partnerships</p>".encode() in large.content
    rows = re.findall(
        rb"<tr><td><a href=[^>]*>[^<]*</a></td>.*?<td>(\d+)</td>", large.content, re.S
    )
    assert sorted(int(count) for count in rows) == [1] + [2] * 3 * N


def test_home_page(private_cast: Cast, constant_queries):
    """Given a member of many partnerships, the home page ("your partnerships" with partner
    counts) costs the same number of queries for N and 3N of them."""
    reader = private_cast.people["member"]
    client = client_for(reader)

    def grow(count: int) -> None:
        for _ in range(count):
            partnership = PartnershipFactory(visibility="public")
            partner_with_person(partnership)
            MembershipFactory(partnership=partnership, person=reader, role="member")

    small, large = constant_queries(lambda: client.get("/en/"), grow)

    assert_ok(small)
    assert len(small.context["mine"]) == N + 1
    assert len(large.context["mine"]) == 3 * N + 1


@pytest.mark.parametrize("role", ["coordinator", "member", "staff"])
def test_partnership_detail_page(private_cast: Cast, constant_queries, role):
    """Given a partnership whose partners and members grow, its overview page (which lists
    both, with each person's organisation) costs the same number of queries."""
    client = client_for(private_cast.people[role])
    partnership = private_cast.partnership

    def grow(count: int) -> None:
        for _ in range(count):
            partner_with_person(partnership)

    url = f"/en/partnerships/{partnership.slug}/"
    small, large = constant_queries(computed(client, url), grow)

    assert_ok(small)
    partners = re.compile(rb'<tr><td><a href="/en/organisations/')
    assert len(partners.findall(small.content)) == N + 1
    assert len(partners.findall(large.content)) == 3 * N + 1
    people = large.content.split(b"<h2>People</h2>")[1].split(b"</ul>")[0]
    assert people.count(b"<li>") == 3 * N + 4
    assert large.content.count(b"(ORG)") == 2 * 3 * N  # once as a partner, once per person


@pytest.mark.parametrize("role", ["coordinator", "observer"])
def test_partners_page(private_cast: Cast, constant_queries, role):
    """Given a partnership whose partners grow, the partners page (with role selects for a
    coordinator, read-only for an observer) costs the same number of queries."""
    client = client_for(private_cast.people[role])
    partnership = private_cast.partnership

    def grow(count: int) -> None:
        for _ in range(count):
            ParticipationFactory(partnership=partnership, organisation=OrganisationFactory())

    url = f"/en/partnerships/{partnership.slug}/partners/"
    small, large = constant_queries(lambda: client.get(url), grow)

    assert_ok(small)
    assert large.content.count(b'<tr id="participation-') == 3 * N + 1


@pytest.mark.parametrize("role", ["coordinator", "partner_admin", "member"])
def test_members_page(private_cast: Cast, constant_queries, role):
    """Given a partnership whose members, partner organisations, people without a role and
    open invitations all grow, the members page costs the same number of queries."""
    actor = private_cast.people[role]
    client = client_for(actor)
    partnership = private_cast.partnership

    def grow(count: int) -> None:
        for i in range(count):
            person = partner_with_person(partnership)
            PersonFactory(organisation=person.organisation)  # grantable by a coordinator
            PersonFactory(organisation=actor.organisation)  # grantable by a partner admin
            if role != "member":
                invite_person(
                    actor=actor,
                    email=f"invitee{i}-{count}@example.org",
                    organisation=actor.organisation,
                    partnership=partnership,
                    role="observer",
                    accept_url_template="https://example.org/{token}",
                )

    url = f"/en/partnerships/{partnership.slug}/members/"
    small, large = constant_queries(lambda: client.get(url), grow)

    assert_ok(small)
    assert large.content.count(b'<tr id="membership-') == 3 * N + 4
    if role != "member":
        assert len(large.context["open_invitations"]) == 3 * N
        assert large.context["grant_form"].fields["person"].queryset.count() >= 3 * N


def test_organisation_list_page(db, constant_queries):
    """Given a growing registry, the organisation list page costs the same number of
    queries for N and 3N organisations."""
    client = Client()

    def grow(count: int) -> None:
        for _ in range(count):
            organisation = OrganisationFactory(acronym="ORG", iati_identifier="")
            PersonFactory(organisation=organisation)
            ParticipationFactory(organisation=organisation)

    small, large = constant_queries(lambda: client.get("/en/organisations/"), grow)

    assert_ok(small)
    assert small.context["page"].paginator.count == N
    assert large.context["page"].paginator.count == 3 * N


def test_organisation_detail_page(private_cast: Cast, constant_queries):
    """Given an organisation taking part in more and more partnerships and employing more
    people, its page costs the same number of queries."""
    reader = private_cast.people["member"]
    client = client_for(reader)
    organisation = reader.organisation

    def grow(count: int) -> None:
        for _ in range(count):
            partnership = PartnershipFactory(visibility="public")
            ParticipationFactory(partnership=partnership, organisation=organisation)
            PersonFactory(organisation=organisation)

    url = f"/en/organisations/{organisation.slug}/"
    small, large = constant_queries(lambda: client.get(url), grow)

    assert_ok(small)
    assert len(large.context["participations"]) == 3 * N + 1


@pytest.fixture
def signing_key(settings, tmp_path):
    """A throw-away key for the ledger's checkpoints (never the developer's own)."""
    from sinergi.ledger import checkpoints

    settings.SINERGI_LEDGER_KEY = str(tmp_path / "ledger.key")
    checkpoints._signer_for.cache_clear()
    yield
    checkpoints._signer_for.cache_clear()


@pytest.mark.parametrize("role", ["coordinator", "observer", "anonymous"])
def test_partnership_ledger_page(public_cast: Cast, constant_queries, signing_key, role):
    """Given a partnership whose ledger grows with entries by ever more people that name
    ever more people, organisations, budget lines and indicators, the ledger tab (which
    names them) costs the same number of queries for N and 3N groups of entries."""
    from django.db import transaction

    from sinergi.ledger import checkpoints, log

    client = client_for(public_cast.people[role])
    partnership = public_cast.partnership

    def grow(count: int) -> None:
        for _ in range(count):
            actor = partner_with_person(partnership, role="coordinator")
            with transaction.atomic():
                log.append(
                    "membership.granted",
                    {"person": PersonFactory().username, "role": "observer"},
                    partnership,
                    actor,
                )
                log.append(
                    "finance.transaction.recorded",
                    {"books": actor.organisation_id, "budget_line": 1, "transaction": 1},
                    partnership,
                    actor,
                )
                log.append(
                    "results.targets.set",
                    {
                        "indicator": 1,
                        "organisation": actor.organisation.slug,
                        "targets": [{"period": "2026", "category": "sex:female", "value": "1"}],
                    },
                    partnership,
                    actor,
                )
        checkpoints.issue_checkpoint()  # the page would sign one otherwise

    url = f"/en/partnerships/{partnership.slug}/ledger/"
    # Besides the session, the reader and the partnership: the page of entries and their
    # count, one query per kind of record they name (people, organisations, budget lines,
    # indicators, categories), the checkpoint (and whether to sign one) and the witnesses.
    small, large = constant_queries(lambda: client.get(url), grow, bound=16)

    assert_ok(small)
    assert len(small.context["rows"]) == 3 * N
    assert len(large.context["rows"]) == 9 * N
    assert large.content.count(b'<dt title="books">Books of</dt><dd>Organisation ') == 3 * N
    named = large.content.count(b" (ORG)</span>")
    assert named == (0 if role == "anonymous" else 9 * N)  # "By", on every entry


# API ----------------------------------------------------------------------------------


def test_api_partnership_list(private_cast: Cast, constant_queries):
    """Given a member of many partnerships, GET /api/v1/partnerships costs the same number
    of queries for N and 3N of them."""
    reader = private_cast.people["member"]
    client = client_for(reader)

    def grow(count: int) -> None:
        for i in range(count):
            partnership = PartnershipFactory(visibility="private" if i % 2 else "public")
            partner_with_person(partnership)
            MembershipFactory(partnership=partnership, person=reader, role="observer")

    # The list is kept between reads (tests/partnerships/test_api_list_kept.py).
    small, large = constant_queries(computed(client, "/api/v1/partnerships"), grow)

    assert_ok(small)
    assert small.json()["count"] == N + 1
    assert len(large.json()["items"]) == 3 * N + 1


def test_api_partnership_detail(private_cast: Cast, constant_queries):
    """Given a partnership whose partners and members grow, GET /api/v1/partnerships/<slug>
    costs the same number of queries."""
    client = client_for(private_cast.people["member"])
    partnership = private_cast.partnership

    def grow(count: int) -> None:
        for _ in range(count):
            partner_with_person(partnership)

    url = f"/api/v1/partnerships/{partnership.slug}"
    small, large = constant_queries(lambda: client.get(url), grow)

    assert_ok(small)
    assert large.json()["slug"] == partnership.slug


@pytest.mark.parametrize("suffix", ["participations", "memberships"])
def test_api_partners_and_members(private_cast: Cast, constant_queries, suffix):
    """Given a partnership whose partners and members grow, listing them through the API
    (with each organisation, and each person's organisation) costs the same queries."""
    client = client_for(private_cast.people["member"])
    partnership = private_cast.partnership

    def grow(count: int) -> None:
        for _ in range(count):
            partner_with_person(partnership)

    url = f"/api/v1/partnerships/{partnership.slug}/{suffix}"
    small, large = constant_queries(lambda: client.get(url), grow)

    assert_ok(small)
    base = 1 if suffix == "participations" else 4
    assert large.json()["count"] == 3 * N + base
    if suffix == "memberships":
        organisations = {item["person"]["organisation"] for item in large.json()["items"]}
        assert len(organisations) == 3 * N + 1


def test_api_organisation_list(db, constant_queries):
    """Given a growing registry, GET /api/v1/organisations costs the same number of
    queries for N and 3N organisations."""
    client = Client()

    def grow(count: int) -> None:
        for _ in range(count):
            ParticipationFactory(organisation=OrganisationFactory())

    small, large = constant_queries(lambda: client.get("/api/v1/organisations"), grow)

    assert_ok(small)
    assert small.json()["count"] == N
    assert large.json()["count"] == 3 * N
    assert Organisation.objects.count() == 3 * N
