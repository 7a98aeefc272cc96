"""What is waiting for a person (`sinergi.core.waiting`, GET /waiting/ and
GET /api/v1/me/waiting): each kind of work is listed for exactly the people the service
that does it would let do it, disappears once done, and nothing of a partnership one is not
a member of is ever counted."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.test import Client

from sinergi.core.errors import Conflict
from sinergi.core.waiting import waiting_for
from sinergi.finance import services as finance
from sinergi.partners.models import Person
from sinergi.partnerships.agreements import services as agreements
from sinergi.partnerships.models import Membership
from sinergi.partnerships.services import revoke_membership
from sinergi.results import reminders
from sinergi.results import services as results
from tests.conftest import client_for
from tests.design.test_agreements_services import CONTENT, build_agreement
from tests.factories import (
    MembershipFactory,
    ParticipationFactory,
    PartnershipFactory,
    PersonFactory,
)
from tests.finance.conftest import Funded, build_funded
from tests.results.conftest import build_monitored

# As in the reminder tests: 2025-Q1 is overdue (due 30 April), 2025-Q2 due within a week.
TODAY = date(2025, 7, 25)


def listed(person, kind: str, today: date = TODAY) -> dict[int, int]:
    """partnership id → count of `kind` waiting for `person`."""
    return {w.partnership.pk: w.count for w in waiting_for(person, today) if w.kind == kind}


def would_succeed(action) -> bool:
    """Whether the service call `action()` is allowed now; whatever it writes is undone."""
    try:
        with transaction.atomic():
            action()
            transaction.set_rollback(True)
    except (PermissionDenied, Conflict, ValidationError):
        return False
    return True


def everyone(f: Funded) -> list:
    return [
        f.coordinator,
        f.funder_admin,
        f.ngo_admin,
        f.ngo_admin_2,
        f.company_admin,
        f.observer,
        f.outsider,
    ]


def expenditure(f: Funded, actor=None, amount: str = "50000000"):
    return finance.record_transaction(
        actor=actor or f.ngo_admin,
        partnership=f.partnership,
        transaction_type="4",
        amount=amount,
        currency="IDR",
        value_date=date(2026, 4, 2),
        provider_organisation=f.ngo,
        receiver_name="PT Dingin Sejahtera",
        budget_line=f.line,
    )


def coordinators_rule(f: Funded) -> None:
    """Every expenditure awaits one coordinator's approval."""
    finance.set_approval_rule(
        actor=f.coordinator, partnership=f.partnership, threshold="0", required=1
    )


# Approvals --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_expenditure_waits_for_exactly_those_who_may_decide_on_it():
    """Under a two-of-three partners' rule, the expenditure is listed for each person the
    approval service would let decide, and for no one else; an approving partner that has
    decided no longer sees it, and once approved it waits for nobody."""
    f = build_funded()
    finance.set_approval_rule(
        actor=f.coordinator,
        partnership=f.partnership,
        threshold="10000000",
        required=2,
        approver_organisations=[f.funder, f.company, f.ngo],
    )
    tx = expenditure(f)
    pk = f.partnership.pk

    def check() -> None:
        for person in everyone(f):
            may = would_succeed(
                lambda p=person: finance.decide(actor=p, transaction=tx, decision="approve")
            )
            assert listed(person, "approval") == ({pk: 1} if may else {}), person.username

    check()
    assert listed(f.funder_admin, "approval") == {pk: 1}
    assert listed(f.ngo_admin, "approval") == {}  # the one who recorded it
    assert listed(f.observer, "approval") == {}
    assert listed(f.outsider, "approval") == {}

    finance.decide(actor=f.funder_admin, transaction=tx, decision="approve")
    assert listed(f.funder_admin, "approval") == {}
    assert listed(f.company_admin, "approval") == {pk: 1}
    check()

    finance.decide(actor=f.company_admin, transaction=tx, decision="approve")
    for person in everyone(f):
        assert listed(person, "approval") == {}


@pytest.mark.django_db
def test_under_the_coordinators_rule_only_coordinators_are_asked_and_counts_add_up():
    f = build_funded()
    coordinators_rule(f)
    for _ in range(3):
        expenditure(f)
    expenditure(f, actor=f.coordinator)  # the coordinator's own: not theirs to decide
    [item] = [w for w in waiting_for(f.coordinator, TODAY) if w.kind == "approval"]
    assert item.count == 3
    assert item.due == date(2026, 4, 2)
    assert item.url == f"/en/partnerships/{f.partnership.slug}/finance/transactions/?status=pending"
    for person in (f.funder_admin, f.company_admin, f.ngo_admin, f.observer):
        assert listed(person, "approval") == {}


# Agreement --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_agreement_waits_for_each_partners_signers_until_their_partner_signed():
    ag = build_agreement()
    draft = agreements.create_draft(actor=ag.coordinator, partnership=ag.partnership, **CONTENT)
    people = [ag.coordinator, ag.ngo_admin, ag.company_admin, ag.member, ag.outsider]
    assert all(listed(p, "agreement") == {} for p in people)  # a draft is not for signing

    version = agreements.open_for_signature(actor=ag.coordinator, version=draft)
    signers = {ag.coordinator: ag.ministry, ag.ngo_admin: ag.ngo, ag.company_admin: ag.company}
    for person in people:
        items = [w for w in waiting_for(person, TODAY) if w.kind == "agreement"]
        if person in signers:
            [item] = items
            assert (item.version, item.organisation) == (1, signers[person].name)
            assert item.url == f"/en/partnerships/{ag.partnership.slug}/agreement/v1/"
            assert would_succeed(
                lambda p=person: agreements.sign(actor=p, version=version, organisation=signers[p])
            )
        else:
            assert items == []

    agreements.sign(actor=ag.ngo_admin, version=version, organisation=ag.ngo)
    assert listed(ag.ngo_admin, "agreement") == {}
    assert listed(ag.company_admin, "agreement") == {ag.partnership.pk: 1}
    agreements.sign(actor=ag.company_admin, version=version, organisation=ag.company)
    agreements.sign(actor=ag.coordinator, version=version, organisation=ag.ministry)
    assert all(listed(p, "agreement") == {} for p in people)  # adopted, signed by all


# Review -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_submitted_values_wait_for_the_coordinators_who_did_not_enter_them():
    m = build_monitored()
    pk = m.partnership.pk
    draft = results.save_draft(actor=m.ngo_admin, indicator=m.trained, period=m.q1, value="90")
    assert listed(m.coordinator, "review") == {}  # a draft is not for review
    results.submit(actor=m.ngo_admin, submission=draft)
    assert listed(m.coordinator, "review") == {pk: 1}
    assert listed(m.coordinator_2, "review") == {pk: 1}
    for person in (m.ngo_admin, m.health_admin, m.health_member, m.observer, m.outsider):
        assert listed(person, "review") == {}

    own = results.save_draft(actor=m.coordinator, indicator=m.trained, period=m.q2, value="95")
    results.submit(actor=m.coordinator, submission=own)
    assert listed(m.coordinator, "review") == {pk: 1}  # not their own
    assert listed(m.coordinator_2, "review") == {pk: 2}
    assert not would_succeed(lambda: results.approve(actor=m.coordinator, submission=own))

    results.approve(actor=m.coordinator_2, submission=draft)
    results.approve(actor=m.coordinator_2, submission=own)
    assert listed(m.coordinator_2, "review") == {}


# Reports ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_values_to_report_are_those_of_the_reminder_emails():
    """Everyone with a reminder digest sees the same values as due, overdue counted, and
    nobody else sees any."""
    m = build_monitored()
    digests = {d.person.pk: d for d in reminders.digests(TODAY)}
    assert len(digests) == 5
    people = [
        m.coordinator,
        m.coordinator_2,
        m.health_admin,
        m.health_member,
        m.ngo_admin,
        m.observer,
        m.outsider,
    ]
    for person in people:
        items = [w for w in waiting_for(person, TODAY) if w.kind == "report"]
        digest = digests.get(person.pk)
        if digest is None:
            assert items == [], person.username
            continue
        [item] = items
        assert item.count == len(digest.items) == 2
        assert item.overdue == len(digest.overdue) == 1
        assert item.due == min(v.period.due for v in digest.items)
        assert item.url == f"/en/partnerships/{m.partnership.slug}/results/reporting/"

    submitted = results.save_draft(actor=m.ngo_admin, indicator=m.trained, period=m.q1, value="90")
    results.submit(actor=m.ngo_admin, submission=submitted)
    [item] = [w for w in waiting_for(m.ngo_admin, TODAY) if w.kind == "report"]
    assert (item.count, item.overdue) == (1, 0)
    assert listed(m.ngo_admin, "report", today=m.q1.start - timedelta(days=1)) == {}


# Privacy ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_nothing_of_a_partnership_one_is_not_a_member_of_is_listed():
    """An outsider, a member of another partnership and someone whose membership was
    revoked see nothing, the partnership being public or private."""
    f = build_funded("public")
    coordinators_rule(f)
    expenditure(f)
    other = PartnershipFactory(visibility="public")
    ParticipationFactory(partnership=other, organisation=f.funder, role="1")
    stranger = f.outsider
    MembershipFactory(partnership=other, person=stranger, role="coordinator")
    assert waiting_for(stranger, TODAY) == []
    assert waiting_for(f.coordinator, TODAY) != []

    membership = Membership.objects.get(partnership=f.partnership, person=f.coordinator)
    colleague = PersonFactory(organisation=f.ngo)
    MembershipFactory(partnership=f.partnership, person=colleague, role="coordinator")
    revoke_membership(actor=colleague, membership=membership)
    assert waiting_for(Person.objects.get(pk=f.coordinator.pk), TODAY) == []


# Pages and API ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_page_lists_it_in_english_and_indonesian_and_asks_the_signed_out_to_sign_in():
    f = build_funded()
    coordinators_rule(f)
    expenditure(f)
    expenditure(f)

    assert Client().get("/en/waiting/")["Location"].startswith("/en/accounts/login/")

    client = client_for(f.coordinator)
    page = client.get("/en/waiting/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "2 expenditures await your approval" in text
    assert f.partnership.title in text
    assert "?status=pending" in text
    assert "<h2>" in text  # under the page's h1

    indonesian = client.get("/id/waiting/").content.decode()
    assert "2 pengeluaran menunggu persetujuan Anda" in indonesian
    assert "await your approval" not in indonesian

    nothing = client_for(f.observer).get("/en/waiting/").content.decode()
    assert "Nothing is waiting for you." in nothing
    assert f.partnership.title not in nothing


@pytest.mark.django_db
def test_the_home_page_loads_the_list_after_itself():
    f = build_funded()
    client = client_for(f.coordinator)
    home = client.get("/en/").content.decode()
    assert 'hx-get="/en/waiting/"' in home
    coordinators_rule(f)
    expenditure(f)
    fragment = client.get("/en/waiting/", HTTP_HX_REQUEST="true")
    text = fragment.content.decode()
    assert "<html" not in text
    assert "<h3>" in text  # under the home page's h2
    assert "1 expenditure awaits your approval" in text


@pytest.mark.django_db
def test_the_api_lists_it_for_the_signed_in_and_refuses_the_signed_out():
    f = build_funded()
    coordinators_rule(f)
    expenditure(f)
    assert Client().get("/api/v1/me/waiting").status_code == 401
    answer = client_for(f.coordinator).get("/api/v1/me/waiting")
    assert answer.status_code == 200
    assert answer.json() == [
        {
            "partnership": f.partnership.slug,
            "partnership_title": f.partnership.title,
            "kind": "approval",
            "count": 1,
            "overdue": 0,
            "due": "2026-04-02",
            "version": None,
            "organisation": "",
            "role": "",
            "role_name": "",
            "organisation_slug": "",
            "participation": None,
            "url": f"/en/partnerships/{f.partnership.slug}/finance/transactions/?status=pending",
        }
    ]
    assert client_for(f.outsider).get("/api/v1/me/waiting").json() == []


@pytest.mark.django_db
def test_the_list_takes_the_same_number_of_queries_for_more_partnerships(
    django_assert_num_queries,
):
    """A coordinator of N and then 3N partnerships, each with an expenditure to approve,
    values to review and to report and an agreement to sign, costs the same queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    first = build_monitored()
    person = first.coordinator

    def grow(count: int) -> None:
        for _ in range(count):
            m = build_monitored()
            MembershipFactory(partnership=m.partnership, person=person, role="coordinator")
            ParticipationFactory(partnership=m.partnership, organisation=person.organisation)
            draft = results.save_draft(
                actor=m.ngo_admin, indicator=m.trained, period=m.q1, value="9"
            )
            results.submit(actor=m.ngo_admin, submission=draft)
            version = agreements.create_draft(
                actor=m.coordinator, partnership=m.partnership, **CONTENT
            )
            agreements.open_for_signature(actor=m.coordinator, version=version)

    def fresh() -> Person:  # as each request has: its roles are read once per person object
        return Person.objects.select_related("organisation").get(pk=person.pk)

    grow(2)
    waiting_for(fresh(), TODAY)
    reader = fresh()
    with CaptureQueriesContext(connection) as few:
        small = waiting_for(reader, TODAY)
    grow(4)
    reader = fresh()
    with django_assert_num_queries(len(few)):
        large = waiting_for(reader, TODAY)
    assert len(few) <= 15
    kinds = {w.kind for w in large}
    assert {"agreement", "review", "report"} <= kinds
    assert len({w.partnership.pk for w in large}) > len({w.partnership.pk for w in small})


# Partnerships that list one's organisation ---------------------------------------------------


def listing(title: str = "Quiet Harbour Talks") -> tuple:
    """A private partnership whose coordinator listed an organisation, an admin of that
    organisation (in no partnership) and a colleague who is not its admin."""
    from sinergi.partnerships.services import add_partner

    partnership = PartnershipFactory(title=title, visibility="private")
    coordinator = PersonFactory()
    MembershipFactory(partnership=partnership, person=coordinator, role="coordinator")
    admin = PersonFactory(is_organisation_admin=True)
    participation = add_partner(
        actor=coordinator, partnership=partnership, organisation=admin.organisation, role="1"
    )
    return partnership, participation, admin, PersonFactory(organisation=admin.organisation)


@pytest.mark.django_db
def test_an_organisation_admin_in_no_partnership_is_asked_to_confirm_until_they_answer():

    partnership, participation, admin, colleague = listing()
    [item] = waiting_for(admin, TODAY)
    assert (item.kind, item.partnership) == ("confirmation", partnership)
    assert (item.role, item.role_name) == ("1", "Funding")
    assert item.url == f"/en/organisations/{admin.organisation.slug}/#consent"
    for other in (colleague, PersonFactory(is_organisation_admin=True), PersonFactory()):
        assert waiting_for(other, TODAY) == []
    assert waiting_for(PersonFactory(is_staff=True), TODAY) == []

    page = client_for(admin).get("/en/waiting/").content.decode()
    assert "Quiet Harbour Talks" in page
    assert f"Confirm or decline that {admin.organisation.name} takes part (Funding)" in page
    assert f'href="/en/partnerships/{partnership.slug}/"' not in page  # they cannot open it
    indonesian = client_for(admin).get("/id/waiting/").content.decode()
    assert "Konfirmasi atau tolak" in indonesian
    [answer] = client_for(admin).get("/api/v1/me/waiting").json()
    assert answer["kind"] == "confirmation"
    assert answer["partnership_title"] == "Quiet Harbour Talks"
    assert answer["organisation"] == admin.organisation.name
    assert (answer["role"], answer["role_name"]) == ("1", "Funding")
    # Enough to answer through the API, as the page's buttons do.
    slug, listing_id = answer["organisation_slug"], answer["participation"]
    assert (slug, listing_id) == (admin.organisation.slug, participation.pk)
    # The code stays the same in every language; the name is the reader's.
    [indonesian_answer] = (
        client_for(admin).get("/api/v1/me/waiting", HTTP_ACCEPT_LANGUAGE="id").json()
    )
    assert (indonesian_answer["role"], indonesian_answer["role_name"]) == ("1", "Pendanaan")
    assert "Quiet Harbour Talks" not in client_for(colleague).get("/en/waiting/").content.decode()
    # The home page loads the list for them too, though they hold no role anywhere.
    assert 'hx-get="/en/waiting/"' in client_for(admin).get("/en/").content.decode()
    assert 'hx-get="/en/waiting/"' not in client_for(colleague).get("/en/").content.decode()
    confirmed = client_for(admin).post(
        f"/api/v1/organisations/{slug}/participations/{listing_id}/confirm"
    )
    assert confirmed.status_code == 200, confirmed.content[:300]
    assert client_for(admin).get("/api/v1/me/waiting").json() == []
    assert waiting_for(Person.objects.get(pk=admin.pk), TODAY) == []


@pytest.mark.django_db
def test_confirmations_add_one_query_however_many_partnerships_list_the_organisation(
    django_assert_num_queries,
):
    from sinergi.access import policy
    from sinergi.partnerships.services import add_partner

    partnership, _participation, admin, _colleague = listing()
    coordinator = partnership.memberships.get().person

    def fresh() -> Person:
        return Person.objects.select_related("organisation").get(pk=admin.pk)

    reader = fresh()
    with django_assert_num_queries(2):  # the roles (none) and the listings
        assert len(waiting_for(reader, TODAY)) == 1
    for _ in range(4):
        other = PartnershipFactory()
        MembershipFactory(partnership=other, person=coordinator, role="coordinator")
        policy.forget_roles(coordinator)
        add_partner(actor=coordinator, partnership=other, organisation=admin.organisation, role="4")
    reader = fresh()
    with django_assert_num_queries(2):
        assert len(waiting_for(reader, TODAY)) == 5
