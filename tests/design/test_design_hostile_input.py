"""Hostile input against the partnership design, over every endpoint and page at once.

The endpoints come from the OpenAPI schema and the pages from the URL resolver, so a new
design endpoint or page is covered without touching this file — or fails here until its
ids, its valid body or its free-text fields are described in the tables below.

1. Object-level access: an id of another partnership (goal, work package, need,
   participation, expectation, agreement version) under the slug of a partnership the
   actor coordinates answers 404 and changes nothing; so does a capability of
   organisation B under organisation A. Ids in bodies (a goal, an owner, a work package,
   capabilities) that belong elsewhere are refused with a 4xx and change nothing.
2. Private stays private: anonymous visitors, outsiders and the coordinator of another
   partnership get the answer of a slug that does not exist on every design endpoint
   and page of a private partnership; nothing of it appears in lists, on SDG pages, in
   other partnerships' matching, on organisation pages or in the ledger.
3. Hostile input (malformed JSON, wrong types, nulls, 100k strings, NUL bytes, unknown
   codes, out-of-range numbers, huge lists) answers a 4xx in the error envelope naming
   the field, never a 500, and saves nothing. NUL bytes and over-long values must be
   refused by validation: PostgreSQL (in CI) would otherwise fail with a 500.
4. Ledger atomicity: when the ledger append fails, the domain change is rolled back.
"""

from __future__ import annotations

import base64
import itertools
import pkgutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import get_resolver, reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sinergi.partners
import sinergi.partnerships
from sinergi.finance import services as finance_services
from sinergi.finance.models import (
    Approval,
    ApprovalRule,
    BudgetLine,
    BudgetRevision,
    ExchangeRate,
    Pledge,
    PledgeStatusChange,
    Rollup,
    Transaction,
    TransactionDocument,
)
from sinergi.ledger import log
from sinergi.ledger.models import Entry
from sinergi.partners.capabilities import services as capability_services
from sinergi.partners.models import Capability, CapabilityCoverage, Organisation, Person
from sinergi.partnerships.agreements import services as agreement_services
from sinergi.partnerships.expectations import services as expectation_services
from sinergi.partnerships.goals import services as goal_services
from sinergi.partnerships.models import (
    AgreementSignature,
    AgreementStatus,
    AgreementVersion,
    CapabilityNeed,
    Expectation,
    Goal,
    Participation,
    Partnership,
    RaciAssignment,
    Stage,
    WorkPackage,
)
from sinergi.partnerships.needs import services as need_services
from sinergi.partnerships.raci import services as raci_services
from tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    ParticipationFactory,
    PartnershipFactory,
    PersonFactory,
)
from tests.hostile import (
    BIG,
    ERROR_MARKERS,
    HUGE,
    NUL,
    REJECTED,
    UNICODE,
    UNKNOWN_CODE,
    Mutation,
    Page,
    api_client,
    call,
    envelope_problem,
    fill,
    normalised,
    set_path,
    walk,
    web_client,
)
from tests.openapi import COMPONENTS, Operation, operations, parameters, ref_name

# The design packages: their routers' tags, and the modules their pages live in.
DESIGN_TAGS = {
    "goals",
    "expectations",
    "raci",
    "agreement",
    "lifecycle",
    "needs",
    "matching",
    "capabilities",
    "sdg",
    "finance",
}
# Results has its own hostile-input test: tests/results/test_results_hostile_input.py.
CORE_TAGS = {"partnerships", "organisations", "account", "ledger", "results"}
DESIGN_MODULES = tuple(
    f"{package.__name__}.{info.name}."
    for package in (sinergi.partnerships, sinergi.partners)
    for info in pkgutil.iter_modules(package.__path__)
    if info.ispkg and info.name != "migrations"
)

# What marks the private partnership: none of it may show outside.
SECRET_TITLE = "Secret Mangrove Restoration Alliance"
SECRET_GOAL = "Secretly replant 900 hectares"
SECRET_WP = "Confidential nursery sites"
SECRET_NEED = "Quiet land-title lawyers"
SECRET_EXPECTATION = "Exclusive carbon credits"
SECRET_CONTRIBUTION = "Undisclosed seedling fund"
SECRET_AGREEMENT = "Clause on the undisclosed land swap"
SECRET_BUDGET = "Hidden mangrove land fund"
SECRET_PAYMENT = "Quiet payment to the land broker"
SECRETS = (
    SECRET_TITLE,
    SECRET_GOAL,
    SECRET_WP,
    SECRET_NEED,
    SECRET_EXPECTATION,
    SECRET_CONTRIBUTION,
    SECRET_AGREEMENT,
    SECRET_BUDGET,
    SECRET_PAYMENT,
)
SECRET_SLUG = "secret-mangrove"
MISSING_SLUG = "no-such-partnership-here"


# The world: partnership A (public) coordinated by the actor, and B (private) of others ---


@dataclass
class Side:
    partnership: Partnership
    coordinator: Person
    organisation: Organisation
    participation: Participation
    goal: Goal
    work_package: WorkPackage
    expectation: Expectation
    need: CapabilityNeed
    capability: Capability
    version: int  # a version number only this side has
    books: Books  # its finance


@dataclass
class Books:
    """A side's finance: a budget line, a USD rate, an expenditure, a pledge, and a partner
    admin (besides the coordinator) who records what the coordinator may approve."""

    recorder: Person
    line: BudgetLine
    transaction: Transaction
    pledge: Pledge


def _books(
    partnership: Partnership, coordinator: Person, organisation: Organisation, secret: bool
) -> Books:
    recorder = PersonFactory(organisation=organisation)
    MembershipFactory(partnership=partnership, person=recorder, role="partner_admin")
    line = finance_services.create_budget_line(
        actor=coordinator,
        partnership=partnership,
        title=SECRET_BUDGET if secret else "Cold boxes",
        amount="500000000",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
    )
    finance_services.set_rate(
        actor=coordinator,
        partnership=partnership,
        currency="USD",
        date=date(2026, 1, 1),
        rate="15800",
    )
    return Books(
        recorder=recorder,
        line=line,
        transaction=_expenditure(partnership, recorder, organisation, line, secret),
        pledge=_pledge(partnership, coordinator, organisation),
    )


def _expenditure(
    partnership: Partnership,
    recorder: Person,
    organisation: Organisation,
    line: BudgetLine | None = None,
    secret: bool = False,
) -> Transaction:
    return finance_services.record_transaction(
        actor=recorder,
        partnership=partnership,
        transaction_type="4",
        amount="150000",
        currency="IDR",
        value_date=date(2026, 3, 1),
        provider_organisation=organisation,
        receiver_name="Toko Dingin",
        description=SECRET_PAYMENT if secret else "Cool boxes",
        budget_line=line,
    )


def _pledge(partnership: Partnership, actor: Person, organisation: Organisation) -> Pledge:
    return finance_services.record_pledge(
        actor=actor,
        partnership=partnership,
        organisation=organisation,
        amount="1000.00",
        currency="USD",
        pledged_on=date(2026, 2, 1),
        period_start=date(2026, 2, 1),
        period_end=date(2026, 6, 30),
    )


@dataclass
class World:
    a: Side
    b: Side
    partner_a2: Organisation  # A's second partner
    participation_a2: Participation
    expectation_a2: Expectation
    shared: Organisation  # a partner of both A and B
    outside: Organisation  # in no partnership; its capability covers A's need
    outsider: Person
    staff: Person

    def people(self) -> dict[str, Person | None]:
        return {
            "anonymous": None,
            "outsider": self.outsider,
            "other_coordinator": self.a.coordinator,
        }


def _side(
    *, title: str, slug: str, visibility: str, shared: Organisation, staff: Person, secret: bool
) -> Side:
    partnership = PartnershipFactory(
        title=title, slug=slug, visibility=visibility, countries=["ID"]
    )
    organisation = OrganisationFactory(org_type="10")
    participation = ParticipationFactory(
        partnership=partnership, organisation=organisation, role="4"
    )
    ParticipationFactory(partnership=partnership, organisation=shared, role="1")
    coordinator = PersonFactory(organisation=organisation, is_organisation_admin=True)
    MembershipFactory(partnership=partnership, person=coordinator, role="coordinator")
    capability = capability_services.add_capability(
        actor=staff,
        organisation=organisation,
        kind="technical",
        sector_vocabulary="2",
        sector_code="122",
        regions=["ID"],
        description="Cold chain engineering",
    )
    goal = goal_services.create_goal(
        actor=coordinator,
        partnership=partnership,
        title=SECRET_GOAL if secret else "Every child fully immunised",
        sdg_targets=["14.2"] if secret else ["3.b"],
    )
    work_package = raci_services.create_work_package(
        actor=coordinator,
        partnership=partnership,
        code="WP1",
        title=SECRET_WP if secret else "Cold chain",
        goal=goal,
    )
    raci_services.set_responsibility(
        actor=coordinator, work_package=work_package, organisation=organisation, letter="A"
    )
    expectation = expectation_services.add_expectation(
        actor=coordinator,
        participation=participation,
        topic="social_impact",
        horizon="long",
        importance=4,
        description=SECRET_EXPECTATION if secret else "Healthier children",
    )
    expectation_services.update_commitment(
        actor=coordinator,
        participation=participation,
        contribution=SECRET_CONTRIBUTION if secret else "Vaccines and staff",
        capabilities=[capability],
    )
    need = need_services.add_need(
        actor=coordinator,
        partnership=partnership,
        kind="finance" if secret else "data_tech",
        sector_vocabulary="7",
        sector_code="3",
        regions=["ID"],
        weight=4,
        note=SECRET_NEED if secret else "Dashboards for district health offices",
    )
    text = SECRET_AGREEMENT if secret else "We work together on immunisation."
    drafts = 3 if secret else 2
    for number in range(1, drafts + 1):
        version = agreement_services.create_draft(
            actor=coordinator,
            partnership=partnership,
            text=f"{text} (version {number})",
            decision_rule="consensus",
            meeting_cadence="quarterly",
        )
        if number < drafts:
            agreement_services.open_for_signature(actor=coordinator, version=version)
    return Side(
        partnership=partnership,
        coordinator=coordinator,
        organisation=organisation,
        participation=participation,
        goal=goal,
        work_package=work_package,
        expectation=expectation,
        need=need,
        capability=capability,
        version=drafts,
        books=_books(partnership, coordinator, organisation, secret),
    )


@pytest.fixture
def world(db) -> World:
    """A: public, coordinated by `a.coordinator` (also its organisation's admin), with a
    goal, work package, RACI cell, expectation, commitment, need, capability, version 1
    open and version 2 a draft. B: private, of other people, with the same kinds of rows
    (full of secrets) and versions 1 to 3. One organisation is a partner of both."""
    staff = PersonFactory(is_staff=True)
    shared = OrganisationFactory(name="Shared Partner Foundation", slug="shared-partner")
    a = _side(
        title="Open Reef Partnership",
        slug="open-reef",
        visibility="public",
        shared=shared,
        staff=staff,
        secret=False,
    )
    b = _side(
        title=SECRET_TITLE,
        slug=SECRET_SLUG,
        visibility="private",
        shared=shared,
        staff=staff,
        secret=True,
    )
    partner_a2 = OrganisationFactory(org_type="22")
    participation_a2 = ParticipationFactory(
        partnership=a.partnership, organisation=partner_a2, role="2"
    )
    expectation_a2 = expectation_services.add_expectation(
        actor=a.coordinator,
        participation=participation_a2,
        topic="learning",
        horizon="short",
    )
    outside = OrganisationFactory(name="Data Outside Foundation", org_type="21")
    capability_services.add_capability(
        actor=staff, organisation=outside, kind="data_tech", regions=["ID"]
    )
    capability_services.add_capability(
        actor=staff, organisation=outside, kind="finance", regions=["ID"]
    )
    return World(
        a=a,
        b=b,
        partner_a2=partner_a2,
        participation_a2=participation_a2,
        expectation_a2=expectation_a2,
        shared=shared,
        outside=outside,
        outsider=PersonFactory(),
        staff=staff,
    )


# Clients, snapshots and the error envelope -------------------------------------------------


SNAPSHOT_MODELS = (
    Partnership,
    Participation,
    Participation.capabilities.through,
    Goal,
    Expectation,
    WorkPackage,
    RaciAssignment,
    AgreementVersion,
    AgreementSignature,
    CapabilityNeed,
    Capability,
    CapabilityCoverage,
    BudgetLine,
    BudgetRevision,
    ExchangeRate,
    Pledge,
    PledgeStatusChange,
    Transaction,
    TransactionDocument,
    ApprovalRule,
    Approval,
    Rollup,
)


def snapshot() -> dict[str, Any]:
    """Every row of every design table (and the ledger's size): what "nothing saved" means."""
    rows: dict[str, Any] = {
        model._meta.label: list(model.objects.order_by("pk").values()) for model in SNAPSHOT_MODELS
    }
    rows["ledger"] = Entry.objects.count()
    return rows


def changed_tables(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return [name for name in before if before[name] != after[name]]


def secrets_in(text: str, *, echoed: str = "") -> list[str]:
    """The secrets of B in `text`, besides `echoed` (what the visitor typed: a 404 page
    repeats the path asked for, a search box its query)."""
    if echoed:
        text = text.replace(echoed, "")
    return [secret for secret in (*SECRETS, SECRET_SLUG) if secret in text]


# The OpenAPI schema: design operations, their bodies and their ids --------------------------


def required_query(op: Operation) -> dict[str, Any]:
    """A value for each required query parameter of `op`."""
    return {
        name: 1 if schema.get("type") == "integer" else "3"
        for name, schema, required in op.query_params
        if required
    }


ALL_OPERATIONS = operations()
DESIGN_OPERATIONS = [op for op in ALL_OPERATIONS if set(op.tags) & DESIGN_TAGS]
WRITES = [op for op in DESIGN_OPERATIONS if op.method in ("POST", "PUT", "PATCH")]
WRITES_WITH_BODY = [op for op in WRITES if op.body]
PARTNERSHIP_OPERATIONS = [op for op in DESIGN_OPERATIONS if op.under_partnership]
WITH_IDS = [op for op in DESIGN_OPERATIONS if set(op.path_params) - {"slug", "code"}]


def test_every_operation_belongs_to_a_known_part():
    """A router with a new tag must be added to DESIGN_TAGS (and so to these tests) or be
    one of the core routers."""
    unknown = {tag for op in ALL_OPERATIONS for tag in op.tags} - DESIGN_TAGS - CORE_TAGS
    assert not unknown
    assert len(DESIGN_OPERATIONS) >= 45


# Which object an id in a path stands for: (the path segment before it, its name) → kind.
ID_KINDS = {
    ("goals", "pk"): "goal",
    ("work-packages", "pk"): "work_package",
    ("participations", "pk"): "participation",
    ("expectations", "pk"): "participation",  # pages: expectations/<pk>/ is a partner's
    ("expectations", "eid"): "expectation",
    ("versions", "number"): "version",
    ("v", "number"): "version",
    ("needs", "pk"): "need",
    ("capabilities", "pk"): "capability",
    ("sign", "organisation"): "signer",
    ("sdg", "code"): "sdg_code",
    ("transactions", "pk"): "transaction",
    ("pledges", "pk"): "pledge",
    ("budget-lines", "pk"): "budget_line",
}


def id_kinds(route: str) -> dict[str, str]:
    """name → kind for each id in an API path or URL route, from the literal before it."""
    kinds = {}
    for literal, name in parameters(route):
        if name == "slug":
            continue
        kind = ID_KINDS.get((literal, name))
        if kind is None:
            pytest.fail(f"{route}: describe what {{{name}}} after {literal!r} is in ID_KINDS")
        kinds[name] = kind
    return kinds


def ids_of(side: Side) -> dict[str, Any]:
    return {
        "goal": side.goal.pk,
        "work_package": side.work_package.pk,
        "participation": side.participation.pk,
        "expectation": side.expectation.pk,
        "version": side.version,
        "need": side.need.pk,
        "capability": side.capability.pk,
        "signer": side.organisation.slug,
        "sdg_code": "3",
        "transaction": side.books.transaction.pk,
        "pledge": side.books.pledge.pk,
        "budget_line": side.books.line.pk,
    }


def slug_for(op: Operation, side: Side) -> str:
    if op.under_organisation:
        return side.organisation.slug
    return side.partnership.slug


# Valid bodies for A, per request body component: the base that each mutation alters.
_codes = itertools.count(100)


def valid_body(name: str, world: World) -> dict[str, Any]:
    a = world.a
    bodies: dict[str, Callable[[], dict[str, Any]]] = {
        "GoalIn": lambda: {
            "title": "Measles cases halved",
            "measure": "Confirmed cases",
            "baseline_value": "1200",
            "target_value": 600,
            "unit": "cases",
            "target_date": "2029-12-31",
            "owner": a.organisation.slug,
            "sdg_targets": ["3.3", "3.b"],
        },
        "GoalPatch": lambda: {"title": "Measles cases down by two thirds", "unit": "cases"},
        "GoalOrder": lambda: {
            "order": list(
                Goal.objects.filter(partnership=a.partnership)
                .order_by("-position")
                .values_list("pk", flat=True)
            )
        },
        "CommitmentIn": lambda: {
            "contribution": "Vaccines, staff and trucks",
            "capabilities": [a.capability.pk],
        },
        "ExpectationIn": lambda: {
            "topic": "reputation",
            "horizon": "short",
            "importance": 2,
            "description": "Being seen",
        },
        "ExpectationPatch": lambda: {"importance": 5, "description": "Seen widely"},
        "WorkPackageIn": lambda: {
            "code": f"WP{next(_codes)}",
            "title": "Training",
            "description": "Train vaccinators",
            "goal": a.goal.pk,
            "position": 3,
        },
        "WorkPackagePatch": lambda: {"title": "Cold chain and storage", "position": 1},
        "CellIn": lambda: {
            "work_package": a.work_package.pk,
            "organisation": world.partner_a2.slug,
            "letter": "R",
        },
        "MatrixIn": lambda: {
            "cells": [
                {
                    "work_package": a.work_package.pk,
                    "organisation": a.organisation.slug,
                    "letter": "A",
                },
                {"work_package": "WP1", "organisation": world.partner_a2.pk, "letter": "C"},
            ]
        },
        "VersionIn": lambda: {"text": "New text", "decision_rule": "consent"},
        "VersionPatch": lambda: {
            "text": "Better text",
            "decision_rule": "qualified_majority",
            "majority_percent": 67,
            "meeting_cadence": "monthly",
        },
        "SignatureIn": lambda: {"organisation": a.organisation.slug},
        "StageIn": lambda: {"stage": "scoping", "reason": "The agreement is renegotiated."},
        "NeedIn": lambda: {
            "kind": "network",
            "sector_vocabulary": "7",
            "sector_code": "3",
            "regions": ["ID-PA"],
            "weight": 5,
            "note": "Village health volunteers",
        },
        "NeedPatch": lambda: {"weight": 2, "note": "Fewer needed"},
        "CapabilityIn": lambda: {
            "kind": "finance",
            "sector_vocabulary": "2",
            "sector_code": "121",
            "regions": ["ID-JK"],
            "description": "Grants",
            "evidence": "Annual report",
        },
        "CapabilityPatch": lambda: {"description": "Small grants", "regions": ["ID"]},
        "TransactionIn": lambda: {
            "transaction_type": "4",
            "amount": "150000",
            "currency": "",
            "value_date": "2026-03-02",
            "kind": "cash",
            "provider_organisation": a.organisation.pk,
            "receiver_name": "Toko Es",
            "description": "Ice packs",
            "budget_line": a.books.line.pk,
        },
        "ReasonIn": lambda: {"reason": "Recorded twice"},
        "CorrectionIn": lambda: {"reason": "Wrong amount", "amount": "120000"},
        "DecisionIn": lambda: {"decision": "approve", "reason": "Quotes attached"},
        "PledgeIn": lambda: {
            "organisation": a.organisation.pk,
            "kind": "personnel",
            "currency": "",
            "quantity": "10",
            "unit": "person-days",
            "unit_rate": "150000",
            "pledged_on": "2026-02-01",
            "period_start": "2026-02-01",
            "period_end": "2026-06-30",
            "description": "Vaccinators' time",
            "budget_line": a.books.line.pk,
        },
        "PledgeStatusIn": lambda: {"status": "committed", "reason": "Board approved"},
        "BudgetLineIn": lambda: {
            "title": "Training",
            "amount": "25000000",
            "period_start": "2026-01-01",
            "period_end": "2026-06-30",
            "work_package": a.work_package.pk,
            "reason": "First budget",
        },
        "BudgetLinePatch": lambda: {"reason": "Donor top-up", "amount": "600000000"},
        "RateIn": lambda: {
            "currency": "EUR",
            "date": "2026-01-01",
            "rate": "17250.5",
            "source": "BI",
        },
        "ApprovalRuleIn": lambda: {
            "threshold": "100000",
            "required": 1,
            "approver_organisations": [],
        },
    }
    if name not in bodies:
        pytest.fail(f"describe a valid {name} body in valid_body()")
    return bodies[name]()


def _draft_number(partnership: Partnership) -> int:
    draft = AgreementVersion.objects.filter(
        partnership=partnership, status=AgreementStatus.DRAFT
    ).first()
    if draft is None:
        draft = agreement_services.create_draft(
            actor=partnership.memberships.get(role="coordinator").person,
            partnership=partnership,
            text="Draft",
            decision_rule="consensus",
            meeting_cadence="yearly",
        )
    return draft.number


def _open_number(partnership: Partnership) -> int:
    return AgreementVersion.objects.get(partnership=partnership, status=AgreementStatus.OPEN).number


def prepare(op: Operation, world: World) -> dict[str, Any]:
    """Put A in the state in which the operation's valid body succeeds; the path values."""
    a = world.a
    partnership = a.partnership
    values = {
        "slug": slug_for(op, a),
        **{k: ids_of(a)[v] for k, v in id_kinds(op.path).items()},
    }
    if op.path.endswith("/agreement/versions") and op.method == "POST":
        AgreementVersion.objects.filter(
            partnership=partnership, status=AgreementStatus.DRAFT
        ).delete()
    elif op.path.endswith("/versions/{number}") and op.method == "PATCH":
        values["number"] = _draft_number(partnership)
    elif "/versions/{number}/" in op.path:
        values["number"] = _open_number(partnership)
        if op.path.endswith("/signatures") and op.method == "POST":
            AgreementSignature.objects.filter(version__partnership=partnership).delete()
    elif op.path.endswith("/lifecycle/stage"):
        Partnership.objects.filter(pk=partnership.pk).update(stage=Stage.BUILDING)
    elif op.path.endswith(("/transactions/{pk}/reverse", "/transactions/{pk}/correct")):
        # A transaction is reversed or corrected once: each attempt gets a fresh one.
        values["pk"] = _expenditure(partnership, a.books.recorder, a.organisation).pk
    elif op.path.endswith("/transactions/{pk}/decision"):
        # An expenditure above the coordinators' threshold, recorded by someone else.
        if not ApprovalRule.objects.filter(partnership=partnership).exists():
            finance_services.set_approval_rule(
                actor=a.coordinator, partnership=partnership, threshold="100000"
            )
        values["pk"] = _expenditure(partnership, a.books.recorder, a.organisation).pk
    elif op.path.endswith("/pledges/{pk}/status"):
        values["pk"] = _pledge(partnership, a.coordinator, a.organisation).pk
    return values


def test_every_write_has_a_valid_body_that_succeeds(world):
    """The base of every mutation below is accepted, so a refusal there is the mutation's."""
    client = api_client(world.a.coordinator)
    for op in WRITES_WITH_BODY:
        values = prepare(op, world)
        response = call(client, op.method, fill(op.path, values), valid_body(op.body, world))
        assert response.status_code in (200, 201), (op.id, response.content[:300])


# Pages: the design packages' URL patterns -------------------------------------------------


def _pages() -> list[Page]:
    pages = []
    for route, pattern in walk(get_resolver().url_patterns):
        module = getattr(pattern.callback, "__module__", "")
        if module.startswith(DESIGN_MODULES) and pattern.name:
            pages.append(Page(name=pattern.name, route=route))
    return pages


DESIGN_PAGES = _pages()
PARTNERSHIP_PAGES = [page for page in DESIGN_PAGES if page.under_partnership]
# (The SDG pages take an SDG goal number, not an id; they are read in the privacy tests.)
PAGES_WITH_IDS = [page for page in DESIGN_PAGES if "(?P" not in page.route and id_kinds(page.route)]


def test_the_design_pages_are_found():
    names = {page.name for page in DESIGN_PAGES}
    assert {
        "partnership-design",
        "partnership-raci",
        "partnership-agreement",
        "partnership-lifecycle",
        "partnership-matching",
        "partnership-alignment",
        "capability-edit",
        "sdg-index",
        "need-edit",
    } <= names
    assert len(PARTNERSHIP_PAGES) >= 35


def page_values(page: Page, side: Side, world: World) -> dict[str, Any]:
    slug = side.partnership.slug if page.under_partnership else side.organisation.slug
    ids = ids_of(side)
    return {"slug": slug, **{name: ids[kind] for name, kind in id_kinds(page.route).items()}}


# 1. Object-level access ------------------------------------------------------------------


def _variants(kinds: dict[str, str]) -> list[set[str]]:
    """Each id alone, then all of them together."""
    names = [name for name, kind in kinds.items() if kind != "sdg_code"]
    variants = [{name} for name in names]
    if len(names) > 1:
        variants.append(set(names))
    return variants


@pytest.mark.parametrize("op", WITH_IDS, ids=lambda op: op.id)
def test_api_an_id_of_another_partnership_is_not_found(world, op):
    """Given the coordinator of A (and admin of A's organisation), when they put an id of
    B's (goal, work package, participation, expectation, need, version, capability) in an
    A path — each id alone and all together — then the answer is 404 and nothing changes."""
    client = api_client(world.a.coordinator)
    kinds = id_kinds(op.path)
    foreign = ids_of(world.b)
    for names in _variants(kinds):
        values = prepare(op, world)
        values.update({name: foreign[kinds[name]] for name in names})
        body = valid_body(op.body, world) if op.body else None
        before = snapshot()

        response = call(client, op.method, fill(op.path, values), body)

        assert response.status_code == 404, (names, response.content[:300])
        assert response.json()["error"]["code"] == "not_found"
        assert secrets_in(response.content.decode()) == []
        assert changed_tables(before, snapshot()) == []


@pytest.mark.parametrize("page", PAGES_WITH_IDS, ids=lambda page: page.id)
def test_pages_an_id_of_another_partnership_is_not_found(world, page):
    """Given A's coordinator, when they open or post to a design page of A with an id of
    B's, then the page is 404 (405 for a method the page does not take; 403 when signing
    for an organisation they do not work for) and nothing changes."""
    client = web_client(world.a.coordinator)
    kinds = id_kinds(page.route)
    foreign = ids_of(world.b)
    own = page_values(page, world.a, world)
    for names in _variants(kinds):
        values = {**own, **{name: foreign[kinds[name]] for name in names}}
        url = page.url(values)
        before = snapshot()
        answers = {client.get(url).status_code, client.post(url, {}).status_code}
        allowed = {403, 404, 405} if "signer" in {kinds[n] for n in names} else {404, 405}
        assert answers <= allowed, (url, answers)
        assert answers & (allowed - {405}), (url, answers)
        assert changed_tables(before, snapshot()) == []


def test_pages_a_work_package_of_another_partnership_in_the_raci_cell_form_is_not_found(world):
    """The RACI cell form names its work package in the POST body: B's is 404 under A."""
    client = web_client(world.a.coordinator)
    before = snapshot()
    url = reverse("partnership-raci-cell", args=[world.a.partnership.slug])
    for headers in ({}, {"HX-Request": "true"}):
        response = client.post(
            url,
            {
                "work_package": world.b.work_package.pk,
                "organisation": world.b.organisation.slug,
                "letter": "I",
            },
            headers=headers,
        )
        assert response.status_code == 404
    assert changed_tables(before, snapshot()) == []


@pytest.mark.parametrize("client_kind", ["api", "page"])
def test_diff_with_a_version_number_only_another_partnership_has_is_not_found(world, client_kind):
    """A has versions 1 and 2, B also 3: A's diff of 1 and 3 is 404 and shows none of B."""
    slug = world.a.partnership.slug
    if client_kind == "api":
        response = api_client(world.a.coordinator).get(
            f"/api/v1/partnerships/{slug}/agreement/diff", {"a": 1, "b": world.b.version}
        )
    else:
        response = web_client(world.a.coordinator).get(
            reverse("agreement-diff", args=[slug]), {"a": 1, "b": world.b.version}
        )
    assert response.status_code == 404
    assert secrets_in(response.content.decode()) == []


def _foreign_references(world: World) -> list[tuple[str, str, str, dict[str, Any], str]]:
    """(method, path under A, body component, changes, field) with an id of B's in the body."""
    a, b = world.a, world.b
    return [
        ("POST", "/goals", "GoalIn", {"owner": b.organisation.slug}, "owner"),
        ("PATCH", "/goals/{goal}", "GoalPatch", {"owner": b.organisation.slug}, "owner"),
        ("POST", "/goals/order", "GoalOrder", {"order": [a.goal.pk, b.goal.pk]}, "order"),
        ("POST", "/work-packages", "WorkPackageIn", {"goal": b.goal.pk}, "goal"),
        ("PATCH", "/work-packages/{wp}", "WorkPackagePatch", {"goal": b.goal.pk}, "goal"),
        ("PUT", "/raci/cells", "CellIn", {"work_package": b.work_package.pk}, "work_package"),
        ("PUT", "/raci/cells", "CellIn", {"organisation": b.organisation.slug}, "organisation"),
        ("PUT", "/raci/cells", "CellIn", {"organisation": b.organisation.pk}, "organisation"),
        (
            "PUT",
            "/raci",
            "MatrixIn",
            {
                "cells": [
                    {
                        "work_package": b.work_package.pk,
                        "organisation": a.organisation.slug,
                        "letter": "R",
                    }
                ]
            },
            "cells",
        ),
        (
            "PATCH",
            "/participations/{participation}/commitment",
            "CommitmentIn",
            {"capabilities": [b.capability.pk]},
            "capabilities",
        ),
        (
            "POST",
            "/agreement/versions/{open}/signatures",
            "SignatureIn",
            {"organisation": b.organisation.slug},
            "organisation",
        ),
    ]


def test_api_an_id_of_another_partnership_in_a_body_is_refused(world):
    """Given A's coordinator, when a body names B's goal, work package, organisation or
    capability, then the answer is a 4xx (a field error, or 403 for signing for B's
    organisation) and neither A nor B changes."""
    client = api_client(world.a.coordinator)
    a = world.a
    places = {
        "goal": a.goal.pk,
        "wp": a.work_package.pk,
        "participation": a.participation.pk,
        "open": _open_number(a.partnership),
    }
    for method, path, component, changes, field in _foreign_references(world):
        url = f"/api/v1/partnerships/{a.partnership.slug}" + path.format(**places)
        before = snapshot()

        response = call(client, method, url, {**valid_body(component, world), **changes})

        assert response.status_code in (403, 422), (path, changes, response.content[:300])
        if response.status_code == 422:
            assert envelope_problem(response, field=field) is None, (path, response.json())
        assert changed_tables(before, snapshot()) == []


# 2. Private stays private ------------------------------------------------------------------

OUTSIDERS = ["anonymous", "outsider", "other_coordinator"]


@pytest.mark.parametrize("who", OUTSIDERS)
def test_api_every_design_endpoint_of_a_private_partnership_answers_as_if_it_did_not_exist(
    world, who
):
    """Given someone who is not in private partnership B (anonymous, an outsider, the
    coordinator of another partnership), every design endpoint under B's slug — with B's
    own ids and valid bodies — answers exactly as for a slug that does not exist: 404
    not_found, nothing of B in the body, nothing changed."""
    client = api_client(world.people()[who])
    ids = ids_of(world.b)
    problems = []
    for op in PARTNERSHIP_OPERATIONS:
        values = {"slug": SECRET_SLUG, **{n: ids[k] for n, k in id_kinds(op.path).items()}}
        body = valid_body(op.body, world) if op.body else None
        query = required_query(op)
        before = snapshot()
        private = call(client, op.method, fill(op.path, values), body, query=query)
        missing = call(
            client, op.method, fill(op.path, {**values, "slug": MISSING_SLUG}), body, query=query
        )
        if not private.status_code == missing.status_code == 404:
            problems.append((op.id, private.status_code, missing.status_code))
        elif private.json() != missing.json() or private.json()["error"]["code"] != "not_found":
            problems.append((op.id, private.json(), missing.json()))
        if secrets_in(private.content.decode()):
            problems.append((op.id, "shows", secrets_in(private.content.decode())))
        if changed_tables(before, snapshot()):
            problems.append((op.id, "changed", changed_tables(before, snapshot())))
    assert problems == []
    assert len(PARTNERSHIP_OPERATIONS) >= 40


@pytest.mark.parametrize("who", OUTSIDERS)
def test_pages_every_design_page_of_a_private_partnership_answers_as_if_it_did_not_exist(
    world, who
):
    """Given someone who is not in B, every design page of B (GET and POST, with B's own
    ids) answers as for a slug that does not exist: 404 (405 for a method the page does
    not take; pages that need a signed-in person send anonymous visitors to sign in first),
    the same body, nothing of B, nothing changed. Never a 403 or a 200."""
    client = web_client(world.people()[who])
    problems = []
    for page in PARTNERSHIP_PAGES:
        values = page_values(page, world.b, world)
        for method in ("get", "post"):
            before = snapshot()
            private = getattr(client, method)(page.url(values))
            missing = getattr(client, method)(page.url({**values, "slug": MISSING_SLUG}))
            allowed = {404, 405} | ({302} if who == "anonymous" else set())
            if private.status_code != missing.status_code or private.status_code not in allowed:
                problems.append((page.name, method, private.status_code, missing.status_code))
                continue
            if private.status_code == 302 and not private["Location"].startswith(
                "/en/accounts/login/"
            ):
                problems.append((page.name, method, private["Location"]))
            if normalised(private, SECRET_SLUG) != normalised(missing, MISSING_SLUG):
                problems.append((page.name, method, "body differs"))
            shown = secrets_in(private.content.decode(), echoed=page.url(values))
            if shown:
                problems.append((page.name, method, shown))
            if changed_tables(before, snapshot()):
                problems.append((page.name, method, "changed"))
    assert problems == []


def _elsewhere(world: World) -> tuple[list[str], list[str]]:
    """Pages and API reads outside B that could mention it."""
    a = world.a
    shared = world.shared.slug
    b_org = world.b.organisation.slug
    pages = [
        "/en/",
        "/en/partnerships/",
        f"/en/partnerships/?q={SECRET_TITLE}",
        "/en/partnerships/?q=mangrove",
        "/en/organisations/",
        f"/en/organisations/{shared}/",
        f"/en/organisations/{b_org}/",
        "/en/sdg/",
        "/en/sdg/14/",
        "/en/sdg/?q=mangrove",
    ]
    for page in DESIGN_PAGES:
        if "(?P" in page.route or page.name.endswith(("-delete", "-remove", "-move")):
            continue
        pages.append(page.url(page_values(page, a, world)))
    reads = [
        "/api/v1/partnerships",
        f"/api/v1/partnerships?q={SECRET_TITLE}",
        f"/api/v1/partnerships?organisation={shared}",
        "/api/v1/organisations",
        f"/api/v1/organisations/{shared}",
        f"/api/v1/organisations/{b_org}",
        "/api/v1/sdg/goals",
        "/api/v1/sdg/14",
        "/api/v1/sdg/search?q=mangrove",
        "/api/v1/ledger/entries?start=0&end=1000",
    ]
    ids = {**ids_of(a), "version": _open_number(a.partnership)}  # drafts are A's own
    for op in DESIGN_OPERATIONS:
        if op.method == "GET" and op.path_params:
            values = {"slug": slug_for(op, a), **{n: ids[k] for n, k in id_kinds(op.path).items()}}
            query = required_query(op)
            url = fill(op.path, values)
            reads.append(f"{url}?{urlencode(query)}" if query else url)
    return pages, reads


def _ledger_bodies(response) -> str:
    items = response.json().get("items", [])
    return " ".join(base64.b64decode(item["body"]).decode() for item in items if item.get("body"))


@pytest.mark.parametrize("who", OUTSIDERS)
def test_nothing_of_a_private_partnership_shows_anywhere_else(world, who):
    """Given someone who is not in B, then nothing of B — title, slug, goal, work package,
    need, expectation, contribution, agreement text — appears in the partnership and
    organisation lists, the pages and API of the organisations that take part in it, the
    SDG pages, every design page and API read of public partnership A (its matching,
    recommendations and team included), or the ledger's entry bodies."""
    person = world.people()[who]
    web, client = web_client(person), api_client(person)
    pages, reads = _elsewhere(world)
    problems = []
    for url in pages:
        response = web.get(url)
        if response.status_code >= 500:
            problems.append((url, response.status_code))
        typed = url.partition("?q=")[2]
        shown = secrets_in(response.content.decode(errors="replace"), echoed=typed)
        if shown:
            problems.append((url, shown))
    for url in reads:
        response = client.get(url)
        if response.status_code != 200:
            problems.append((url, response.status_code))
        text = response.content.decode(errors="replace")
        if url.startswith("/api/v1/ledger/"):
            text += _ledger_bodies(response)
        if secrets_in(text):
            problems.append((url, secrets_in(text)))
    assert problems == []
    assert len(pages) > 30
    assert len(reads) > 25


def test_the_private_partnership_shows_its_secrets_to_its_own_coordinator(world):
    """The check above can see: B's coordinator reads B's secrets on B's pages and in the
    ledger (so their absence elsewhere is not an artefact)."""
    coordinator = world.b.coordinator
    design = web_client(coordinator).get(reverse("partnership-design", args=[SECRET_SLUG]))
    matching = api_client(coordinator).get(f"/api/v1/partnerships/{SECRET_SLUG}/needs")
    ledger = api_client(coordinator).get("/api/v1/ledger/entries?start=0&end=1000")
    assert SECRET_GOAL in design.content.decode()
    assert SECRET_NEED in matching.content.decode()
    assert SECRET_GOAL in _ledger_bodies(ledger)


# 3. Hostile input --------------------------------------------------------------------------

# String fields that take free text; every other string field takes a code, a slug or a
# hash, so an unknown value (or emoji) there must be refused.
FREE_TEXT = {
    "title",
    "measure",
    "unit",
    "description",
    "evidence",
    "note",
    "contribution",
    "text",
    "joining",
    "leaving",
    "dispute_resolution",
    "exit_strategy",
    "reason",
    "code",  # a work package's own code, e.g. "Output 1.2"
    "provider_name",  # an outside party's name
    "receiver_name",
    "provider_activity_id",  # IATI activity identifiers are the publisher's own strings
    "receiver_activity_id",
    "source",  # where an exchange rate comes from
}
# (body, field) where 0 is a legitimate integer.
ZERO_ALLOWED = {
    ("WorkPackageIn", "position"),
    ("WorkPackagePatch", "position"),
    ("BudgetLineIn", "amount"),  # a budget line may start at zero
    ("BudgetLinePatch", "amount"),
    ("ApprovalRuleIn", "threshold"),  # every expenditure needs approval
}
# Decimal strings (a string or a whole number, as the finance amounts) that may be zero or
# negative: a goal's baseline and target.
SIGNED_DECIMALS = {
    ("GoalIn", "baseline_value"),
    ("GoalIn", "target_value"),
    ("GoalPatch", "baseline_value"),
    ("GoalPatch", "target_value"),
}
# Integer fields with a documented range: just outside it is refused, its ends are not.
RANGES = {"importance": (1, 5), "weight": (1, 5), "majority_percent": (51, 100)}


def _kind(prop: dict[str, Any]) -> tuple[str, bool, dict[str, Any]]:
    """("string" | "date" | "integer" | "decimal" | "id_or_key" | "strings" | "integers" |
    "objects" | "boolean", nullable, the non-null schema)."""
    options = []
    for option in prop.get("anyOf", [prop]):
        # A nullable type of its own (e.g. an amount: string or integer) nests its anyOf.
        options.extend(option.get("anyOf", [option]))
    nullable = any(option.get("type") == "null" for option in options)
    options = [option for option in options if option.get("type") != "null"]
    types = {option.get("type") for option in options}
    main = options[0]
    if types == {"string"}:
        return ("date" if main.get("format") == "date" else "string"), nullable, main
    if types == {"integer"}:
        return "integer", nullable, main
    if types == {"number", "string"}:
        return "decimal", nullable, main
    if types == {"integer", "string"}:
        return "id_or_key", nullable, main
    if types == {"boolean"}:
        return "boolean", nullable, main
    if types == {"array"}:
        items = main["items"]
        if "$ref" in items:
            return "objects", nullable, main
        return {"string": "strings", "integer": "integers"}[items["type"]], nullable, main
    raise AssertionError(f"describe how to attack a property shaped {prop}")


def _values(body: str, name: str, prop: dict[str, Any]) -> Iterator[tuple[str, Any, bool]]:
    """(label, value, must_reject) for one property."""
    kind, nullable, main = _kind(prop)
    if (body, name) in SIGNED_DECIMALS:
        kind = "decimal"
    yield "null", None, not nullable
    yield "object", {"x": 1}, True
    if kind in ("string", "date", "id_or_key"):
        yield "list", ["x"], True
        yield "NUL", NUL, True
        yield "100k chars", HUGE, True
    if kind in ("string", "date"):
        yield "number", 12345, True
        yield "true", True, True
    if kind == "string":
        free = name in FREE_TEXT
        yield "unicode", UNICODE, not free
        if not free:
            yield "unknown code", UNKNOWN_CODE, True
        if main.get("minLength"):
            yield "blank", "   ", True
            yield "empty", "", True
    if kind == "date":
        for value in ("not-a-date", "2024-02-30", "10000-01-01", "0001-01-01", "9999-12-31"):
            yield value, value, True
    if kind in ("integer", "id_or_key"):
        yield "1.5", 1.5, True
        yield "-1", -1, True
        yield "0", 0, (body, name) not in ZERO_ALLOWED
        yield "10**30", BIG, True
        yield "-10**30", -BIG, True
    if kind == "integer":
        yield "text", "abc", True
        yield "list", [1], True
        if name in RANGES:
            low, high = RANGES[name]
            yield f"{low - 1}", low - 1, True
            yield f"{high + 1}", high + 1, True
            yield f"{low}", low, False
            yield f"{high}", high, False
    if kind == "id_or_key":
        yield "unknown code", UNKNOWN_CODE, True
    if kind == "decimal":
        for value in ("abc", "NaN", "Infinity", "-Infinity", "1e400", "1e-10", BIG, [1]):
            yield repr(value)[:20], value, True
        for value in (-1, 0, "0.0001"):
            yield repr(value), value, False
    if kind in ("strings", "integers", "objects"):
        yield "text", "x", True
        yield "[null]", [None], True
        yield "[[]]", [[]], True
    if kind == "strings":
        yield "[1]", [1], True
        yield "[NUL]", [NUL], True
        yield "[100k chars]", [HUGE], True
        yield "[unknown]", [UNKNOWN_CODE], True
        yield "[unicode]", [UNICODE], True
        yield "100001 items", ["3"] * 100_001, True
    if kind == "integers":
        for value in ("abc", 1.5, -1, 0, BIG):
            yield f"[{value!r:.10}]", [value], True
        yield "100001 ids", list(range(1, 100_002)), True


def mutations(body: str) -> list[Mutation]:
    """Every hostile variation of a valid `body`: the whole body, then each property
    (and each property of the objects in a list, e.g. RACI cells) in turn."""
    schema = COMPONENTS[body]
    first = next(iter(schema["properties"])).encode()
    found = [
        Mutation("malformed JSON", None, True, raw=b'{"' + first + b'": "Air'),
        Mutation("single quotes", None, True, raw=b"{'" + first + b"': 'x'}"),
        Mutation("a JSON list", None, True, raw=b"[]"),
        Mutation("a JSON string", None, True, raw=b'"x"'),
        Mutation("JSON null", None, True, raw=b"null"),
        Mutation("a number", None, True, raw=b"1"),
        Mutation("not UTF-8", None, True, raw=b'{"' + first + b'": "\xff\xfe"}'),
        Mutation("a raw NUL", None, True, raw=b'{"' + first + b'": "a\x00b"}'),
        Mutation("NaN", None, True, raw=b'{"' + first + b'": NaN}'),
        Mutation("Infinity", None, True, raw=b'{"' + first + b'": -Infinity}'),
        Mutation("over 1 MiB", None, True, raw=b'{"' + first + b'": "' + b"x" * 2**20 + b'"}'),
        Mutation("empty", None, False, raw=b""),
    ]
    for name, prop in schema.get("properties", {}).items():
        for label, value, must_reject in _values(body, name, prop):
            found.append(Mutation(f"{name}={label}", set_path((name,), value), must_reject, name))
        kind, _nullable, main = _kind(prop)
        if kind == "objects":
            item = ref_name(main["items"]["$ref"])
            for inner, inner_prop in COMPONENTS[item]["properties"].items():
                for label, value, must_reject in _values(item, inner, inner_prop):
                    found.append(
                        Mutation(
                            f"{name}[0].{inner}={label}",
                            set_path((name, 0, inner), value),
                            must_reject,
                            name,
                        )
                    )
    return found


def attack(client: Client, op: Operation, world: World) -> list[tuple[str, str]]:
    """Send every mutation of the operation's valid body; what went wrong, by mutation."""
    problems = []
    for mutation in mutations(op.body):
        values = prepare(op, world)
        url = fill(op.path, values)
        before = snapshot()
        if mutation.change is None:
            response = call(client, op.method, url, raw=mutation.raw)
        else:
            response = call(client, op.method, url, mutation.change(valid_body(op.body, world)))
        status = response.status_code
        if status >= 500:
            problems.append((mutation.label, f"{status}"))
            continue
        if status < 400:
            if mutation.must_reject:
                problems.append((mutation.label, f"accepted with {status}"))
            continue
        expected = {422} if mutation.field else REJECTED
        if status not in expected:
            problems.append((mutation.label, f"{status} {response.content[:200]!r}"))
        problem = envelope_problem(response, field=mutation.field)
        if problem:
            problems.append((mutation.label, problem))
        changed = changed_tables(before, snapshot())
        if changed:
            problems.append((mutation.label, f"refused but changed {changed}"))
    return problems


def test_api_a_nul_character_is_a_field_error_naming_its_place(world):
    """The NUL check names where the NUL was: a body field, a field inside a list of
    objects, a query parameter, a path segment."""
    client = api_client(world.a.coordinator)
    base = f"/api/v1/partnerships/{world.a.partnership.slug}"
    cell = {"work_package": world.a.work_package.pk, "organisation": "x", "letter": "a\x00"}
    cases = [
        (call(client, "POST", f"{base}/goals", {"title": NUL}), "title"),
        (call(client, "PUT", f"{base}/raci", {"cells": [cell]}), "cells.0.letter"),
        (
            call(client, "POST", f"{base}/needs", {"kind": "network", "regions": ["ID", NUL]}),
            "regions.1",
        ),
        (client.get("/api/v1/sdg/search", {"q": NUL}), "q"),
        (client.get("/api/v1/partnerships/a%00b/goals"), "slug"),
    ]
    before = snapshot()
    for response, place in cases:
        assert response.status_code == 422
        assert response.json()["error"]["fields"] == {place: ["Null characters are not allowed."]}
    assert changed_tables(before, snapshot()) == []


@pytest.mark.parametrize("op", WRITES_WITH_BODY, ids=lambda op: op.id)
def test_api_hostile_bodies_are_refused_with_a_field_error_and_nothing_saved(world, op):
    """Given A's coordinator and the operation's valid body, when one part of it is made
    hostile (malformed JSON, wrong types, null, 100k characters, NUL bytes, unknown codes,
    out-of-range numbers, 100 001 list items…), then the answer is a 4xx in the error
    envelope (a 422 names the field), never a 500, and nothing is saved. Legitimate
    oddities (emoji and right-to-left text in free text, 0 for a position, negative
    baselines) may be accepted, but never answer with a 500."""
    problems = attack(api_client(world.a.coordinator), op, world)
    assert not problems, "\n".join(f"{label}: {problem}" for label, problem in problems)


HOSTILE_PATH_VALUES = ["abc", "-1", "0", str(BIG), "a%00b", "x" * 300, "%F0%9F%92%A7"]
HOSTILE_INTEGERS = ["abc", "-1", "0", "1.5", str(BIG), "1e3", ""]
HOSTILE_STRINGS = [NUL, "x" * 5000, UNICODE, "", "%"]


def _query_values(schema: dict[str, Any]) -> list[str]:
    kind, _nullable, _main = _kind(schema) if schema else ("string", True, {})
    return HOSTILE_INTEGERS if kind == "integer" else HOSTILE_STRINGS


def test_api_hostile_paths_and_query_strings_never_fail_with_a_500(world):
    """Given A's coordinator, when any design endpoint is called with a hostile value in
    a path segment (slug, id, SDG code) or a query parameter (limit, offset, a version
    number, a search), then the answer is 200, 404 or 422 in the error envelope — never a
    500 — and nothing changes. (Ids too large for a 64-bit integer and pages beyond it
    used to crash the database driver; NUL bytes crash PostgreSQL.)"""
    client = api_client(world.a.coordinator)
    problems = []
    for op in DESIGN_OPERATIONS:
        kinds = id_kinds(op.path)
        base = {
            "slug": slug_for(op, world.a),
            **{n: ids_of(world.a)[k] for n, k in kinds.items()},
        }
        body = valid_body(op.body, world) if op.body else None
        attempts = [
            (fill(op.path, {**base, name: value}), required_query(op))
            for name in ("slug", *kinds)
            if "{" + name + "}" in op.path
            for value in HOSTILE_PATH_VALUES
        ]
        attempts += [
            (fill(op.path, base), {**required_query(op), name: value})
            for name, schema, _required in op.query_params
            for value in _query_values(schema)
        ]
        writes = op.method != "GET"
        for url, query in attempts:
            before = snapshot() if writes else None
            response = call(client, op.method, url, body, query=query)
            status = response.status_code
            if status >= 500 or (status >= 400 and status not in (404, 405, 409, 422)):
                problems.append((op.id, url, query, status))
            elif status >= 400:
                problem = envelope_problem(response)
                if problem:
                    problems.append((op.id, url, query, problem))
                if writes and changed_tables(before, snapshot()):
                    problems.append((op.id, url, query, "refused but changed"))
            elif writes:
                # A hostile path or query never reaches a write: the ids are not A's.
                problems.append((op.id, url, query, f"write accepted with {status}"))
    assert problems == []


def test_pages_a_nul_in_the_path_or_query_string_is_a_bad_request(world):
    """Given a NUL character in a page's query string (a search, a filter such as the
    registry's capability filter, an SDG look-up) or path, then the page answers 400 —
    PostgreSQL would fail on it with a 500 — and nothing changes."""
    client = web_client(world.a.coordinator)
    urls = [
        "/en/partnerships/?q=a%00b",
        "/en/organisations/?capability=a%00b",
        "/en/organisations/?q=%00",
        "/en/sdg/?q=a%00b",
        "/en/sdg/target-options/?sdg_targets=3.b,%00",
        "/en/accounts/invitations/a%00b/",
    ]
    for page in DESIGN_PAGES:
        if "(?P" not in page.route:
            urls.append(page.url(page_values(page, world.a, world)) + "?a=1&b=%00&q=%00")
    before = snapshot()
    answers = {url: (client.get(url).status_code, client.post(url).status_code) for url in urls}
    assert {url: codes for url, codes in answers.items() if codes != (400, 400)} == {}
    assert changed_tables(before, snapshot()) == []


# Pages: a few representative hostile posts per form ---------------------------------------


@dataclass(frozen=True)
class Form:
    page: str  # URL name
    kwargs: Callable[[World], dict[str, Any]]
    valid: Callable[[World], dict[str, Any]]
    hostile: list[dict[str, Any]]
    htmx: bool = True


def _a(**extra: Callable[[World], Any]) -> Callable[[World], dict[str, Any]]:
    return lambda w: {"slug": w.a.partnership.slug, **{k: f(w) for k, f in extra.items()}}


def _matrix(w: World) -> dict[str, str]:
    return {f"cell-{w.a.work_package.pk}-{w.a.organisation.pk}": "A"}


FORMS = [
    Form(
        "goal-create",
        _a(),
        lambda w: {"title": "Measles halved", "sdg_targets": "3.3"},
        [
            {"title": NUL},
            {"title": HUGE},
            {"title": "   "},
            {"measure": "x\x00"},
            {"baseline_value": "1e400"},
            {"target_value": "NaN"},
            {"target_date": "99999-01-01"},
            {"target_date": "1900-01-01"},
            {"owner": "__b_org_pk__"},
            {"owner": str(BIG)},
            {"sdg_targets": "99.z"},
            {"sdg_targets": "3.b\x00"},
        ],
    ),
    Form(
        "goal-edit",
        _a(pk=lambda w: w.a.goal.pk),
        lambda w: {"title": "Every child immunised"},
        [{"title": NUL}, {"title": ""}, {"unit": "u" * 41}, {"owner": "abc"}],
    ),
    Form(
        "partnership-vision",
        _a(),
        lambda w: {"vision": "Healthy children"},
        [{"vision": NUL}, {"vision": "v" * 10_001}],
    ),
    Form(
        "partnership-raci",
        _a(),
        lambda w: {"wp-code": "WP77", "wp-title": "Training", "wp-description": ""},
        [
            {"wp-code": NUL},
            {"wp-code": "c" * 21},
            {"wp-code": "WP1"},  # taken
            {"wp-code": " WP1 "},  # taken, once trimmed
            {"wp-title": ""},
            {"wp-position": "-1"},
            {"wp-position": str(BIG)},
            {"wp-goal": "__b_goal_pk__"},
            {"wp-description": "d\x00"},
        ],
        htmx=False,
    ),
    Form(
        "partnership-raci-cell",
        _a(),
        lambda w: {
            "work_package": w.a.work_package.pk,
            "organisation": w.partner_a2.slug,
            "letter": "R",
        },
        [
            {"work_package": "abc"},
            {"work_package": "-1"},
            {"work_package": str(BIG), "__status__": 404},  # no such work package
            {"organisation": "x\x00"},
            {"organisation": "__b_org_slug__"},
            {"letter": "Z"},
            {"letter": "\x00"},
            {"letter": "A"},  # a second Accountable
        ],
    ),
    Form(
        "partnership-raci-edit",
        _a(),
        _matrix,
        [{"__cell__": "Z"}, {"__cell__": "\x00"}, {"__cell__": "R" * 5000}],
        htmx=False,
    ),
    Form(
        "work-package-edit",
        _a(pk=lambda w: w.a.work_package.pk),
        lambda w: {"code": "WP1", "title": "Cold chain", "position": "0"},
        [{"code": NUL}, {"title": HUGE}, {"position": str(BIG)}, {"goal": "__b_goal_pk__"}],
        htmx=False,
    ),
    Form(
        "expectation-add",
        _a(pk=lambda w: w.a.participation.pk),
        lambda w: {"new-topic": "learning", "new-horizon": "short", "new-importance": "3"},
        [
            {"new-topic": "bogus"},
            {"new-horizon": "\x00"},
            {"new-importance": "9"},
            {"new-importance": str(BIG)},
            {"new-importance": "abc"},
            {"new-description": NUL},
            {"new-description": "d" * 5001},
        ],
    ),
    Form(
        "expectation-edit",
        _a(pk=lambda w: w.a.participation.pk, eid=lambda w: w.a.expectation.pk),
        lambda w: {
            f"e{w.a.expectation.pk}-topic": "learning",
            f"e{w.a.expectation.pk}-horizon": "long",
            f"e{w.a.expectation.pk}-importance": "2",
        },
        [{"__prefix__-importance": "0"}, {"__prefix__-description": NUL}],
    ),
    Form(
        "participation-expectations",
        _a(pk=lambda w: w.a.participation.pk),
        lambda w: {"contribution": "Vaccines", "capabilities": [w.a.capability.pk]},
        [
            {"contribution": NUL},
            {"contribution": "c" * 301},
            {"capabilities": ["__b_capability_pk__"]},
            {"capabilities": [str(BIG)]},
            {"capabilities": ["abc"]},
            {"capabilities": ["-1"]},
        ],
        htmx=False,
    ),
    Form(
        "need-create",
        _a(),
        lambda w: {"kind": "network", "weight": "3", "other_regions": "ID-PA"},
        [
            {"kind": "bogus"},
            {"weight": "0"},
            {"weight": "6"},
            {"weight": str(BIG)},
            {"weight": "abc"},
            {"other_regions": "XX-ZZ"},
            {"other_regions": "ID\x00"},
            {"sector": "9:999"},
            {"sector": "2:999"},
            {"note": NUL},
            {"note": "n" * 301},
        ],
    ),
    Form(
        "need-edit",
        _a(pk=lambda w: w.a.need.pk),
        lambda w: {"kind": "data_tech", "weight": "4", "sector": "7:3"},
        [{"weight": "-1"}, {"note": NUL}, {"sector": "7:99"}],
    ),
    Form(
        "agreement-draft",
        _a(),
        lambda w: {
            "text": "Better text",
            "decision_rule": "consensus",
            "meeting_cadence": "yearly",
        },
        [
            {"text": NUL},
            {"text": ""},
            {"joining": "j\x00"},
            {"decision_rule": "bogus"},
            {"decision_rule": "qualified_majority", "majority_percent": "5"},
            {"decision_rule": "qualified_majority", "majority_percent": str(BIG)},
            {"decision_rule": "qualified_majority"},
            {"majority_percent": "67"},
            {"meeting_cadence": ""},
        ],
        htmx=False,
    ),
    Form(
        "agreement-sign",
        _a(
            number=lambda w: _open_number(w.a.partnership),
            organisation=lambda w: w.a.organisation.slug,
        ),
        lambda w: {
            "content_hash": AgreementVersion.objects.get(
                partnership=w.a.partnership, status=AgreementStatus.OPEN
            ).content_hash
        },
        [{"content_hash": "h\x00"}, {"content_hash": "0" * 64}, {"content_hash": "x" * 65}],
        htmx=False,
    ),
    Form(
        "lifecycle-stage",
        _a(),
        lambda w: {"back-stage": "scoping", "back-reason": "Renegotiate the agreement"},
        [
            {"back-stage": "bogus"},
            {"back-stage": "implementing"},
            {"back-stage": "building"},
            {"back-reason": NUL},
            {"back-reason": "   "},
            {"back-reason": "r" * 501},
        ],
    ),
    Form(
        "capability-add",
        lambda w: {"slug": w.a.organisation.slug},
        lambda w: {"kind": "finance", "countries": ["ID"]},
        [
            {"kind": "bogus"},
            {"description": NUL},
            {"evidence": "e" * 5001},
            {"countries": ["ZZ"]},
            {"subdivisions": ["ID-ZZ"]},
            {"sector": "2:999"},
            {"countries": ["ID\x00"]},
        ],
    ),
    Form(
        "capability-edit",
        lambda w: {"slug": w.a.organisation.slug, "pk": w.a.capability.pk},
        lambda w: {"kind": "technical", "countries": ["ID"]},
        [{"description": NUL}, {"kind": ""}],
    ),
]


def _hostile_data(form: Form, world: World, changes: dict[str, Any]) -> dict[str, Any]:
    placeholders = {
        "__b_org_pk__": str(world.b.organisation.pk),
        "__b_org_slug__": world.b.organisation.slug,
        "__b_goal_pk__": str(world.b.goal.pk),
        "__b_capability_pk__": str(world.b.capability.pk),
    }
    data = form.valid(world)
    for key, value in changes.items():
        if key == "__status__":
            continue
        if key == "__cell__":
            key = next(iter(data))
        key = key.replace("__prefix__", f"e{world.a.expectation.pk}")
        if isinstance(value, list):
            data[key] = [placeholders.get(item, item) for item in value]
        else:
            data[key] = placeholders.get(value, value)
    return data


def _prepare_page(form: Form, world: World) -> None:
    if form.page == "lifecycle-stage":
        Partnership.objects.filter(pk=world.a.partnership.pk).update(stage=Stage.BUILDING)


@pytest.mark.parametrize("form", FORMS, ids=lambda form: form.page)
def test_pages_hostile_form_posts_show_an_inline_error_and_save_nothing(world, form):
    """Given A's coordinator (and its organisation's admin), when a design form is posted
    with one hostile field (NUL bytes, 100k characters, unknown choices, out-of-range or
    foreign ids, duplicates), then the form comes back with an inline error — 422, or 200
    with the error for HTMX — never a 500 or a redirect, and nothing is saved. The valid
    post itself goes through (so the refusals above are the hostile field's)."""
    client = web_client(world.a.coordinator)
    problems = []
    for changes, htmx in itertools.product(form.hostile, (False, True) if form.htmx else (False,)):
        _prepare_page(form, world)
        url = reverse(form.page, kwargs=form.kwargs(world))
        before = snapshot()
        headers = {"HX-Request": "true"} if htmx else {}
        response = client.post(url, _hostile_data(form, world, changes), headers=headers)
        text = response.content.decode(errors="replace")
        label = (changes, "htmx" if htmx else "page")
        if "__status__" in changes:
            if response.status_code != changes["__status__"]:
                problems.append((label, response.status_code))
        # htmx swaps only a 2xx answer in: an inline error in a 4xx would never show.
        elif response.status_code != (200 if htmx else 422):
            problems.append((label, response.status_code))
        elif not any(marker in text for marker in ERROR_MARKERS):
            problems.append((label, "no inline error shown"))
        if changed_tables(before, snapshot()):
            problems.append((label, f"saved {changed_tables(before, snapshot())}"))
    _prepare_page(form, world)
    valid = client.post(reverse(form.page, kwargs=form.kwargs(world)), form.valid(world))
    assert valid.status_code == 302, valid.content.decode()[:2000]
    assert problems == []


# Legitimate oddities, duplicates and fuzzing ------------------------------------------------


def test_api_emoji_right_to_left_and_combining_text_is_kept_exactly(world):
    """Free text is free: emoji, right-to-left marks, combining accents and CJK come back
    exactly as sent, wherever the design takes free text."""
    client = api_client(world.a.coordinator)
    a = world.a
    slug = a.partnership.slug
    base = f"/api/v1/partnerships/{slug}"
    writes = [
        ("POST", f"{base}/goals", {"title": UNICODE, "measure": UNICODE}, ["title", "measure"]),
        (
            "POST",
            f"{base}/work-packages",
            {"code": "WP 💧", "title": UNICODE, "description": UNICODE},
            ["code", "title"],
        ),
        ("POST", f"{base}/needs", {"kind": "network", "note": UNICODE}, ["note"]),
        (
            "POST",
            f"{base}/participations/{a.participation.pk}/expectations",
            {"topic": "learning", "horizon": "short", "description": UNICODE},
            ["description"],
        ),
        (
            "PATCH",
            f"{base}/agreement/versions/{_draft_number(a.partnership)}",
            {"text": UNICODE, "joining": UNICODE},
            ["text", "joining"],
        ),
        (
            "POST",
            f"/api/v1/organisations/{a.organisation.slug}/capabilities",
            {"kind": "finance", "description": UNICODE, "evidence": UNICODE},
            ["description", "evidence"],
        ),
    ]
    for method, url, body, fields in writes:
        response = call(client, method, url, body)
        assert response.status_code in (200, 201), (url, response.content)
        for field in fields:
            assert response.json()[field] == body[field]
    commitment = call(
        client,
        "PATCH",
        f"{base}/participations/{a.participation.pk}/commitment",
        {"contribution": UNICODE},
    )
    assert commitment.json()["contribution"] == UNICODE
    assert Goal.objects.filter(title=UNICODE).exists()


XSS = '<script>alert(1)</script>"><img src=x onerror=alert(2)>[x](javascript:alert(3))'


def test_markup_in_free_text_is_shown_as_text_on_every_page(world):
    """Given script and markup stored in every free-text field (through the API), then no
    design page of A, nor its organisations' pages, runs it: the markup arrives escaped
    (and the agreement's Markdown is sanitised)."""
    client = api_client(world.a.coordinator)
    a = world.a
    base = f"/api/v1/partnerships/{a.partnership.slug}"
    writes = [
        ("POST", f"{base}/goals", {"title": XSS, "measure": XSS, "unit": "<b>u</b>"}),
        ("POST", f"{base}/work-packages", {"code": "<i>W</i>", "title": XSS, "description": XSS}),
        ("POST", f"{base}/needs", {"kind": "network", "note": XSS}),
        (
            "POST",
            f"{base}/participations/{a.participation.pk}/expectations",
            {"topic": "learning", "horizon": "short", "description": XSS},
        ),
        ("PATCH", f"{base}/participations/{a.participation.pk}/commitment", {"contribution": XSS}),
        (
            "PATCH",
            f"{base}/agreement/versions/{_draft_number(a.partnership)}",
            {"text": XSS, "joining": XSS, "exit_strategy": XSS},
        ),
        (
            "POST",
            f"/api/v1/organisations/{a.organisation.slug}/capabilities",
            {"kind": "finance", "description": XSS, "evidence": XSS},
        ),
    ]
    for method, url, body in writes:
        assert call(client, method, url, body).status_code in (200, 201), url
    web = web_client(a.coordinator)
    urls = [
        page.url(page_values(page, a, world))
        for page in DESIGN_PAGES
        if "(?P" not in page.route and not page.name.endswith(("-delete", "-remove", "-move"))
    ]
    urls += [f"/en/organisations/{a.organisation.slug}/", f"/en/partnerships/{a.partnership.slug}/"]
    shown = []
    for url in urls:
        response = web.get(url)
        if not response.get("Content-Type", "").startswith("text/html"):
            continue  # the CSV and XLSX exports carry the text as data, not markup
        text = response.content.decode(errors="replace")
        for raw in ("<script>alert", "<img src=x", 'href="javascript:', "<i>W</i>"):
            if raw in text:
                shown.append((url, raw))
    assert shown == []


def test_api_duplicates_are_refused_or_folded_never_stored_twice(world):
    """Duplicates: a work package code taken (also with spaces around it), a partner twice
    in one RACI row, two Accountables, a goal twice in the order, a second signature and a
    second draft are refused; repeated SDG targets, regions and capability ids are folded
    into one."""
    client = api_client(world.a.coordinator)
    a = world.a
    base = f"/api/v1/partnerships/{a.partnership.slug}"
    wp, org, org2 = a.work_package.pk, a.organisation.slug, world.partner_a2.slug
    refused = [
        ("POST", "/work-packages", {"code": "WP1", "title": "Again"}, 422, "code"),
        ("POST", "/work-packages", {"code": "  WP1 ", "title": "Again"}, 422, "code"),
        (
            "PUT",
            "/raci",
            {
                "cells": [
                    {"work_package": wp, "organisation": org, "letter": "R"},
                    {"work_package": "WP1", "organisation": org, "letter": "C"},
                ]
            },
            422,
            "cells",
        ),
        (
            "PUT",
            "/raci",
            {
                "cells": [
                    {"work_package": wp, "organisation": org, "letter": "A"},
                    {"work_package": wp, "organisation": org2, "letter": "A"},
                ]
            },
            422,
            "cells",
        ),
        (
            "PUT",
            "/raci/cells",
            {"work_package": wp, "organisation": org2, "letter": "A"},
            422,
            "letter",
        ),
        ("POST", "/goals/order", {"order": [a.goal.pk, a.goal.pk]}, 422, "order"),
        ("POST", "/agreement/versions", {"text": "Another draft"}, 409, None),
    ]
    for method, path, body, status, field in refused:
        before = snapshot()
        response = call(client, method, base + path, body)
        assert response.status_code == status, (path, body, response.content)
        assert envelope_problem(response, field=field) is None
        assert changed_tables(before, snapshot()) == []

    open_number = _open_number(a.partnership)
    sign = f"{base}/agreement/versions/{open_number}/signatures"
    assert call(client, "POST", sign, {"organisation": org}).status_code == 201
    before = snapshot()
    again = call(client, "POST", sign, {"organisation": org})
    assert again.status_code == 409
    assert envelope_problem(again) is None
    assert changed_tables(before, snapshot()) == []

    goal = call(
        client,
        "POST",
        f"{base}/goals",
        {"title": "Twice", "sdg_targets": ["3.b", "SDG 3.B", " 3.b "]},
    )
    assert goal.json()["sdg_targets"] == ["3.b"]
    need = call(
        client,
        "POST",
        f"{base}/needs",
        {"kind": "network", "regions": ["ID-PA", "id-pa", " ID-PA"]},
    )
    assert need.json()["regions"] == ["ID-PA"]
    commitment = call(
        client,
        "PATCH",
        f"{base}/participations/{a.participation.pk}/commitment",
        {"capabilities": [a.capability.pk, a.capability.pk]},
    )
    assert [c["id"] for c in commitment.json()["capabilities"]] == [a.capability.pk]


def test_services_refuse_more_capabilities_than_a_commitment_takes(world):
    """The commitment service bounds the capability list itself (forms and scripts call it
    too) and treats ids beyond a 64-bit integer as foreign, without asking the database."""
    from django.core.exceptions import ValidationError

    a = world.a
    for capabilities in (list(range(1, 102)), [BIG], [-1, a.capability.pk]):
        with pytest.raises(ValidationError) as caught:
            expectation_services.update_commitment(
                actor=a.coordinator,
                participation=a.participation,
                contribution="x",
                capabilities=capabilities,
            )
        assert "capabilities" in caught.value.message_dict


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
    | st.sampled_from([NUL, UNICODE, UNKNOWN_CODE, "3.b", "ID-PA", "R", "A", "WP1", "", "   "]),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
@given(data=st.data())
def test_api_random_bodies_never_fail_with_a_500(world, data):
    """Fuzzing: any JSON body — the valid one with random values in random fields — sent to
    any design write answers 2xx or a 4xx in the error envelope, never a 500; and a
    refused body changes nothing."""
    op = data.draw(st.sampled_from(WRITES_WITH_BODY), label="operation")
    properties = list(COMPONENTS[op.body]["properties"])
    body = valid_body(op.body, world)
    changes = data.draw(
        st.dictionaries(st.sampled_from([*properties, "unknown"]), JSON_VALUES, max_size=3),
        label="changes",
    )
    body.update(changes)
    values = prepare(op, world)
    before = snapshot()
    response = call(api_client(world.a.coordinator), op.method, fill(op.path, values), body)
    assert response.status_code < 500
    if response.status_code >= 400:
        assert response.status_code in REJECTED | {403, 404}
        assert envelope_problem(response) is None
        assert changed_tables(before, snapshot()) == []


# 4. Ledger atomicity -------------------------------------------------------------------------


def _ledger_writes(world: World) -> list[tuple[str, str, dict[str, Any]]]:
    a = world.a
    base = f"/api/v1/partnerships/{a.partnership.slug}"
    return [
        ("POST", f"{base}/goals", {"title": "Lost with the ledger"}),
        ("PATCH", f"{base}/goals/{a.goal.pk}", {"title": "Renamed without a trace"}),
        (
            "PUT",
            f"{base}/raci/cells",
            {
                "work_package": a.work_package.pk,
                "organisation": world.partner_a2.slug,
                "letter": "R",
            },
        ),
        ("PATCH", f"{base}/needs/{a.need.pk}", {"weight": 1}),
        (
            "PATCH",
            f"{base}/participations/{a.participation.pk}/commitment",
            {"contribution": "Changed", "capabilities": []},
        ),
        ("POST", f"{base}/lifecycle/stage", {"stage": "scoping", "reason": "Renegotiate"}),
        (
            "POST",
            f"{base}/agreement/versions/{_open_number(a.partnership)}/signatures",
            {"organisation": a.organisation.slug},
        ),
    ]


def test_a_failing_ledger_append_rolls_the_design_change_back(world, monkeypatch):
    """Given the ledger cannot append (its clock fails after the domain row is written),
    when A's coordinator makes a governance change through the API — add or rename a goal,
    set a RACI cell, change a need, a commitment, the stage, sign the agreement — then the
    request fails and neither the change nor an entry stays."""
    Partnership.objects.filter(pk=world.a.partnership.pk).update(stage=Stage.BUILDING)
    client = api_client(world.a.coordinator)

    def broken_clock():
        raise RuntimeError("ledger clock unavailable")

    monkeypatch.setattr(log, "now", broken_clock)
    for method, url, body in _ledger_writes(world):
        before = snapshot()
        response = call(client, method, url, body)
        assert response.status_code == 500, (url, response.content[:300])
        assert changed_tables(before, snapshot()) == [], url


def test_the_same_writes_go_through_with_a_working_ledger(world):
    """The writes above do change the design and the ledger when the ledger works (so the
    rollback is the ledger's doing)."""
    Partnership.objects.filter(pk=world.a.partnership.pk).update(stage=Stage.BUILDING)
    client = api_client(world.a.coordinator)
    for method, url, body in _ledger_writes(world):
        before = snapshot()
        response = call(client, method, url, body)
        assert response.status_code in (200, 201), (url, response.content[:300])
        assert "ledger" in changed_tables(before, snapshot()), url


def test_a_failing_ledger_append_rolls_a_page_post_back_too(world, monkeypatch):
    """The same through a page: a goal added on the design tab is not kept."""
    monkeypatch.setattr(log, "now", lambda: (_ for _ in ()).throw(RuntimeError("down")))
    before = snapshot()
    response = web_client(world.a.coordinator).post(
        reverse("goal-create", args=[world.a.partnership.slug]), {"title": "Lost"}
    )
    assert response.status_code == 500
    assert changed_tables(before, snapshot()) == []
