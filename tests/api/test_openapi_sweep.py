"""A hostile-input sweep over every operation of the JSON API, read from its OpenAPI document.

The operations are those of `api.get_openapi_schema()` at import time, so a new endpoint is
swept without touching this file (an id in its path that the sweep cannot fill fails here
until ID_KINDS names it). For each operation the caller is a coordinator of a private
partnership (and admin of their organisation), so writes get past the permission checks
and reach validation; the hostile requests are

- each path parameter in turn replaced by a non-numeric string, -1, 0, 2**63, 2**64, 300
  characters, a NUL byte, unicode and a slug that names nothing;
- each query parameter in turn set to the same values;
- for a JSON body: no body, `[]`, `null`, a JSON string, invalid JSON, every field of the
  wrong type, every field nested 200 deep, an object nested 200 deep, a body over 1 MiB
  and one just under it; then, starting from a valid body, one field at a time: the wrong
  type, 1e308, "1e999", 10**30, negative amounts, impossible dates, 10,000 characters, a
  NUL byte, unicode;
- for a multipart body: no file, a text file named .xlsx, an empty file, binary junk named
  .csv, and hostile values in the other form fields.

Every answer must be below 500; a 4xx must be the JSON error envelope whose `status` is
the HTTP status, with a message; a request carrying a NUL byte or naming nothing must be
refused; and a refused request must leave the row count of every table of the project's
apps, and the size of the ledger, as they were. Each request runs in a savepoint that is
rolled back afterwards, so every case meets the same world.
"""

from __future__ import annotations

import copy
import json
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client

from sinergi.access.services import create_api_token
from sinergi.core import stored
from sinergi.finance import services as finance_services
from sinergi.ledger import checkpoints, notes
from sinergi.ledger.models import Head, Witness
from sinergi.partners.capabilities import services as capability_services
from sinergi.partnerships.agreements import services as agreement_services
from sinergi.partnerships.expectations import services as expectation_services
from sinergi.partnerships.goals import services as goal_services
from sinergi.partnerships.needs import services as need_services
from sinergi.partnerships.raci import services as raci_services
from sinergi.results import services as result_services
from tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    ParticipationFactory,
    PartnershipFactory,
    PersonFactory,
)
from tests.openapi import COMPONENTS, PARAMETER, Operation, operations, parameters, resolve

# The OpenAPI document ----------------------------------------------------------------------


def branches(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The non-null alternatives of a schema, `anyOf`s flattened and `$ref`s followed."""
    schema = resolve(schema)
    if "anyOf" in schema:
        return [b for part in schema["anyOf"] for b in branches(part)]
    if schema.get("type") == "null":
        return []
    return [schema]


def kinds(schema: dict[str, Any]) -> set[str]:
    """The JSON kinds a schema accepts: string, date, integer, number, boolean, array,
    object (with fixed properties) or map (free keys)."""
    found = set()
    for b in branches(schema):
        if b.get("format") == "date":
            found.add("date")
        elif "properties" in b:
            found.add("object")
        elif b.get("type") == "object":
            found.add("map")
        elif "type" in b:
            found.add(b["type"])
        else:
            found.add("any")
    return found


OPERATIONS = operations()


# The world --------------------------------------------------------------------------------


@dataclass
class World:
    """A private partnership coordinated by `caller`, with a little of everything."""

    caller: Any
    secret: str  # the caller's API token
    ids: dict[str, Any]  # what fills each kind of path parameter (see ID_KINDS)
    refs: dict[str, Any]  # what valid bodies refer to


def build_world() -> World:
    organisation = OrganisationFactory(name="Lembaga Vaksin Nusantara", org_type="22")
    funder = OrganisationFactory(name="Yayasan Dana Sehat", org_type="60")
    newcomer = OrganisationFactory(name="Koperasi Nelayan Baru", org_type="22")
    partnership = PartnershipFactory(
        title="Immunisation West Java",
        stage="building",
        visibility="private",
        countries=["ID"],
        base_currency="IDR",
        start_date=date(2025, 1, 1),
    )
    participation = ParticipationFactory(
        partnership=partnership, organisation=organisation, role="4"
    )
    ParticipationFactory(partnership=partnership, organisation=funder, role="1")
    caller = PersonFactory(organisation=organisation, is_organisation_admin=True)
    MembershipFactory(partnership=partnership, person=caller, role="coordinator")
    reporter = PersonFactory(organisation=organisation)
    MembershipFactory(partnership=partnership, person=reporter, role="partner_admin")
    colleague = PersonFactory(organisation=funder)
    membership = MembershipFactory(partnership=partnership, person=colleague, role="member")
    token, secret = create_api_token(actor=caller, name="sweep")

    capability = capability_services.add_capability(
        actor=caller,
        organisation=organisation,
        kind="technical",
        sector_vocabulary="2",
        sector_code="122",
        regions=["ID"],
        description="Cold chain engineering",
    )
    goal = goal_services.create_goal(
        actor=caller, partnership=partnership, title="Every child immunised", sdg_targets=["3.b"]
    )
    work_package = raci_services.create_work_package(
        actor=caller, partnership=partnership, code="WP1", title="Cold chain", goal=goal
    )
    raci_services.set_responsibility(
        actor=caller, work_package=work_package, organisation=organisation, letter="A"
    )
    expectation = expectation_services.add_expectation(
        actor=caller, participation=participation, topic="social_impact", horizon="long"
    )
    need = need_services.add_need(
        actor=caller, partnership=partnership, kind="data_tech", regions=["ID"], note="Data"
    )
    opened = agreement_services.create_draft(
        actor=caller,
        partnership=partnership,
        text="We work together.",
        decision_rule="consensus",
        meeting_cadence="quarterly",
    )
    agreement_services.open_for_signature(actor=caller, version=opened)
    draft = agreement_services.create_draft(
        actor=caller,
        partnership=partnership,
        text="We work closer.",
        decision_rule="consensus",
        meeting_cadence="quarterly",
    )

    line = finance_services.create_budget_line(
        actor=caller,
        partnership=partnership,
        title="Cold boxes",
        amount="500000000",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
    )
    finance_services.set_rate(
        actor=caller, partnership=partnership, currency="USD", date=date(2026, 1, 1), rate="15800"
    )
    expenditure = {
        "partnership": partnership,
        "transaction_type": "4",
        "currency": "IDR",
        "value_date": date(2026, 3, 1),
        "provider_organisation": organisation,
        "receiver_name": "Toko Dingin",
        "budget_line": line,
    }
    recorded = finance_services.record_transaction(
        actor=caller, amount="150000", description="Cool boxes", **expenditure
    )
    pledge = finance_services.record_pledge(
        actor=caller,
        partnership=partnership,
        organisation=organisation,
        amount="1000.00",
        currency="USD",
        pledged_on=date(2026, 2, 1),
        period_start=date(2026, 2, 1),
        period_end=date(2026, 6, 30),
    )
    finance_services.set_approval_rule(actor=caller, partnership=partnership, threshold="1000000")
    pending = finance_services.record_transaction(
        actor=reporter, amount="2000000", description="Freezer", **expenditure
    )

    sex = result_services.create_dimension(
        actor=caller, partnership=partnership, name="Sex", kind="sex"
    )
    outcome = result_services.create_result(
        actor=caller, partnership=partnership, type="2", title="More children immunised"
    )
    output = result_services.create_result(
        actor=caller, partnership=partnership, type="1", title="Nurses trained", parent=outcome
    )
    coverage = result_services.create_indicator(
        actor=caller,
        partnership=partnership,
        result=outcome,
        code="2.1",
        title="DTP3 coverage",
        measure="2",
        unit="%",
        frequency="quarterly",
        accumulation="level",
        responsible=organisation,
        dimensions=[sex],
    )
    result_services.set_targets(
        actor=caller, indicator=coverage, targets={"2025-Q1": "75", "2025-Q2": "80"}
    )
    q1 = result_services.find_period(partnership, "quarterly", "2025-Q1")
    value = result_services.save_draft(
        actor=reporter,
        indicator=coverage,
        period=q1,
        value="76",
        values={"sex:female": "38", "sex:male": "38"},
    )
    evidence = result_services.attach_evidence(
        actor=reporter,
        submission=value,
        uploaded_file=SimpleUploadedFile("register.csv", b"district,count\nBogor,76\n"),
    )
    result_services.submit(actor=reporter, submission=value)

    # A witness, and the log's checkpoint of all of the above that it cosigns: reads of the
    # ledger then find the head signed (they sign a grown head themselves otherwise).
    witness = notes.generate_signer("witness.example.org/sweep", notes.ALG_COSIGNATURE_V1)
    Witness.objects.create(name=witness.name, vkey=witness.vkey())
    checkpoint = checkpoints.latest_checkpoint()
    signed = checkpoint.note.split("\n\n", 1)[0] + "\n"
    cosignature = {
        "checkpoint": checkpoint.note,
        "cosignature": notes.cosign(signed, witness, int(time.time())),
    }

    return World(
        caller=caller,
        secret=secret,
        ids={
            "partnership": partnership.slug,
            "organisation": organisation.slug,
            "participation": participation.pk,
            "membership": membership.pk,
            "transaction": recorded.pk,
            "pending_transaction": pending.pk,
            "pledge": pledge.pk,
            "budget_line": line.pk,
            "result": output.pk,
            "dimension": sex.code,
            "indicator": coverage.code,
            "value": value.pk,
            "evidence": evidence.pk,
            "goal": goal.pk,
            "expectation": expectation.pk,
            "work_package": work_package.pk,
            "draft_version": draft.number,
            "open_version": opened.number,
            "need": need.pk,
            "capability": capability.pk,
            "sdg": "3",
            "ledger_index": 0,
            "token": token.pk,
        },
        refs={
            "organisation": organisation,
            "funder": funder,
            "newcomer": newcomer,
            "stranger": PersonFactory(),
            "goal": goal,
            "work_package": work_package,
            "capability": capability,
            "line": line,
            "outcome": outcome,
            "output": output,
            "sex": sex,
            "cosignature": cosignature,
        },
    )


@pytest.fixture
def ledger_key(settings, tmp_path) -> Iterator[None]:
    """The log signs its checkpoints with a key made for this test (as in tests/ledger)."""
    settings.SINERGI_LEDGER_KEY = str(tmp_path / "ledger.key")
    checkpoints._signer_for.cache_clear()
    yield
    checkpoints._signer_for.cache_clear()


@pytest.fixture
def world(db, ledger_key) -> World:
    return build_world()


# Path parameters: which object each one names ---------------------------------------------

# (the path segment before the parameter, its name) → the kind of object in World.ids.
ID_KINDS = {
    ("partnerships", "slug"): "partnership",
    ("organisations", "slug"): "organisation",
    ("participations", "pk"): "participation",
    ("memberships", "pk"): "membership",
    ("transactions", "pk"): "transaction",
    ("pledges", "pk"): "pledge",
    ("budget-lines", "pk"): "budget_line",
    ("results", "pk"): "result",
    ("dimensions", "code"): "dimension",
    ("indicators", "code"): "indicator",
    ("values", "pk"): "value",
    ("evidence", "pk"): "evidence",
    ("goals", "pk"): "goal",
    ("expectations", "eid"): "expectation",
    ("work-packages", "pk"): "work_package",
    ("versions", "number"): "draft_version",
    ("needs", "pk"): "need",
    ("capabilities", "pk"): "capability",
    ("sdg", "code"): "sdg",
    ("entries", "index"): "ledger_index",
    ("tokens", "pk"): "token",
}
# Operations that reach their validation only on another object of the same kind.
ID_OVERRIDES = {
    ("POST", "/api/v1/partnerships/{slug}/finance/transactions/{pk}/decision"): {
        "pk": "pending_transaction"
    },
    ("POST", "/api/v1/partnerships/{slug}/agreement/versions/{number}/signatures"): {
        "number": "open_version"
    },
    ("POST", "/api/v1/partnerships/{slug}/agreement/versions/{number}/open"): {
        "number": "draft_version"
    },
}


def path_values(op: Operation, world: World) -> dict[str, str]:
    """The real value of each path parameter of `op` in `world`."""
    values = {}
    for literal, name in parameters(op.path):
        kind = ID_OVERRIDES.get((op.method, op.path), {}).get(name) or ID_KINDS.get((literal, name))
        if kind is None:
            pytest.fail(f"{op}: say in ID_KINDS which object {{{name}}} after {literal!r} is")
        values[name] = str(world.ids[kind])
    return values


def fill(path: str, values: dict[str, str]) -> str:
    return PARAMETER.sub(lambda m: quote(values[m.group(1)], safe=""), path)


# Hostile values ---------------------------------------------------------------------------

NUL = "bad\x00value"
UNICODE = "ü漢字 💧 \u202eevil\u202c a\u0301"
LONG = "x" * 10_000


@dataclass(frozen=True)
class Hostile:
    label: str
    value: Any
    refused: bool = False  # must be answered with a 4xx


HOSTILE_PARAMS = (
    Hostile("non-numeric", "abc", refused=True),
    Hostile("negative", "-1", refused=True),
    Hostile("zero", "0", refused=True),
    Hostile("2**63", str(2**63), refused=True),
    Hostile("2**64", str(2**64), refused=True),
    Hostile("300 characters", "x" * 300, refused=True),
    Hostile("NUL", "\x00", refused=True),
    Hostile("unicode", "ü漢字", refused=True),
    Hostile("missing slug", "no-such-partnership-anywhere", refused=True),
)
# Query values are filters and search terms: most of them may find nothing and answer 200.
HOSTILE_QUERY = tuple(Hostile(h.label, h.value, refused=h.label == "NUL") for h in HOSTILE_PARAMS)

NUMBERS = (
    Hostile("1e308", 1e308),
    Hostile('"1e999"', "1e999"),
    Hostile("10**30", 10**30),
    Hostile("-1", -1),
    Hostile("negative amount", "-100.50"),
)
STRINGS = (
    Hostile("10,000 characters", LONG),
    Hostile("NUL", NUL, refused=True),
    Hostile("unicode", UNICODE),
)
DATES = (
    Hostile("9999-12-31", "9999-12-31"),
    Hostile("0001-01-01", "0001-01-01"),
    Hostile("2026-02-30", "2026-02-30"),
)
ARRAYS = (
    Hostile("[NUL]", [NUL], refused=True),
    Hostile("[10,000 characters]", [LONG]),
    Hostile("[10**30]", [10**30]),
)
MAPS = (
    Hostile("{NUL: 1}", {NUL: "1"}, refused=True),
    Hostile('{key: "1e999"}', {"2025-Q1": "1e999", "sex:female": "1e999"}),
    Hostile("{10,000 characters: 1}", {LONG: "1"}),
)


def nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(depth):
        value = {"a": value}
    return value


NESTED = nested(200)


def wrong_type(schema: dict[str, Any]) -> Any:
    """A value of a JSON kind the field does not take: a string for a number, a number for
    a string, an object for an array."""
    accepted = kinds(schema)
    if accepted & {"array"}:
        return {"not": "an array"}
    if accepted & {"integer", "number"} and not accepted & {"string", "date"}:
        return "not a number"
    if accepted & {"string", "date"} and not accepted & {"integer", "number"}:
        return 12345
    if accepted == {"boolean"}:
        return "perhaps"
    if accepted & {"map", "object"}:
        return ["not", "an", "object"]
    return {"not": "a scalar"}


def hostile_values(schema: dict[str, Any]) -> tuple[Hostile, ...]:
    accepted = kinds(schema)
    # A value of the wrong kind is refused, unless the field takes anything.
    found = [Hostile("wrong type", wrong_type(schema), refused="any" not in accepted)]
    if accepted & {"integer", "number"}:
        found += NUMBERS
    if "date" in accepted:
        found += DATES
    elif "string" in accepted:
        found += STRINGS
    if "array" in accepted:
        found += ARRAYS
    if "map" in accepted:
        found += MAPS
    return tuple(found)


# Valid bodies -----------------------------------------------------------------------------


def sample(schema: dict[str, Any]) -> Any:
    """A plausible value for a field of a component not described in BODIES."""
    options = branches(schema)
    if not options:
        return None
    first = options[0]
    kind = sorted(kinds(first))[0] if kinds(first) else "any"
    if kind == "object":
        return sample_body(first)
    if kind == "date":
        return "2026-03-02"
    if kind == "string":
        return first.get("enum", ["Sample"])[0][: first.get("maxLength", 100)]
    if kind in ("integer", "number"):
        return max(first.get("minimum", 1), 1)
    if kind == "boolean":
        return False
    if kind == "array":
        return []
    return {}


def sample_body(component: dict[str, Any]) -> dict[str, Any]:
    required = component.get("required", [])
    return {
        name: sample(s) for name, s in component.get("properties", {}).items() if name in required
    }


def _site() -> dict[str, Any]:
    return {
        "name": "Puskesmas Tasik",
        "latitude": "-7.35",
        "longitude": "108.2",
        "subdivision": "ID-JB",
    }


# Per request body component: a body the operation accepts in `world` (or refuses only for
# the state it meets), from which each single-field mutation starts.
BODIES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "PartnershipIn": lambda r: {
        "title": "Clean Rivers Java",
        "summary": "Less plastic in the Citarum",
        "vision": "Clean rivers",
        "start_date": "2026-01-01",
        "end_date": "2027-12-31",
        "activity_status": "2",
        "base_currency": "IDR",
        "countries": ["ID"],
        "regions": ["ID-JB"],
        "visibility": "private",
    },
    "PartnershipPatch": lambda r: {"title": "Immunisation for West Java", "end_date": "2028-12-31"},
    "ParticipationIn": lambda r: {
        "organisation": r["newcomer"].slug,
        "role": "2",
        "contribution": "Boats",
    },
    "ParticipationPatch": lambda r: {"role": "4", "contribution": "Vaccines"},
    "MembershipIn": lambda r: {"person": r["stranger"].username, "role": "member"},
    "MembershipPatch": lambda r: {"role": "observer"},
    "TransactionIn": lambda r: {
        "transaction_type": "4",
        "amount": "150000",
        "currency": "",
        "value_date": "2026-03-02",
        "kind": "cash",
        "provider_organisation": r["organisation"].pk,
        "receiver_name": "Toko Es",
        "description": "Ice packs",
        "budget_line": r["line"].pk,
    },
    "ReasonIn": lambda r: {"reason": "Recorded twice"},
    "CorrectionIn": lambda r: {"reason": "Wrong amount", "amount": "120000"},
    "DecisionIn": lambda r: {"decision": "approve", "reason": "Quotes attached"},
    "PledgeIn": lambda r: {
        "organisation": r["organisation"].pk,
        "kind": "cash",
        "amount": "1000",
        "currency": "USD",
        "pledged_on": "2026-02-01",
        "period_start": "2026-02-01",
        "period_end": "2026-06-30",
        "description": "Seed money",
        "budget_line": r["line"].pk,
    },
    "PledgeStatusIn": lambda r: {"status": "committed", "reason": "Board approved"},
    "BudgetLineIn": lambda r: {
        "title": "Training",
        "amount": "25000000",
        "period_start": "2026-01-01",
        "period_end": "2026-06-30",
        "work_package": r["work_package"].pk,
        "reason": "First budget",
    },
    "BudgetLinePatch": lambda r: {"reason": "Donor top-up", "amount": "600000000"},
    "RateIn": lambda r: {
        "currency": "EUR",
        "date": "2026-01-01",
        "rate": "17250.5",
        "source": "BI",
    },
    "ApprovalRuleIn": lambda r: {
        "threshold": "100000",
        "required": 1,
        "approver_organisations": [],
    },
    "ResultIn": lambda r: {
        "type": "1",
        "title": "Vaccinators trained",
        "description": "In every district",
        "parent": r["outcome"].pk,
        "goal": r["goal"].pk,
        "work_package": r["work_package"].pk,
        "sdg_targets": ["3.b"],
    },
    "ResultPatch": lambda r: {"title": "Nurses and midwives trained", "parent": r["outcome"].pk},
    "DimensionIn": lambda r: {
        "name": "Disability",
        "kind": "custom",
        "code": "disability",
        "categories": [{"code": "yes", "label": "Yes"}, {"code": "no", "label": "No"}],
        "exhaustive": True,
    },
    "DimensionPatch": lambda r: {"name": "Sex at birth", "exhaustive": True},
    "IndicatorIn": lambda r: {
        "result": r["output"].pk,
        "code": "1.1",
        "title": "Nurses trained",
        "measure": "1",
        "unit": "people",
        "ascending": True,
        "accumulation": "cumulative",
        "frequency": "quarterly",
        "baseline_value": "10",
        "baseline_date": "2024-12-31",
        "responsible": r["organisation"].pk,
        "sdg_indicator": "3.b.1",
        "dimensions": [r["sex"].code],
    },
    "IndicatorPatch": lambda r: {"title": "DTP3 coverage rate", "baseline_value": "71"},
    "TargetsIn": lambda r: {
        "targets": {"2025-Q3": "85", "2025-Q4": "90"},
        "by_category": {"2025-Q3": {"sex:female": "85", "sex:male": "85"}},
    },
    "ValueIn": lambda r: {
        "indicator": "2.1",
        "period": "2025-Q2",
        "value": "78",
        "values": {"sex:female": "39", "sex:male": "39"},
        "narrative": "Catch-up campaign in Bogor",
        "sites": [_site()],
        "submit": False,
    },
    "ValueDecisionIn": lambda r: {"comment": "Checked against the registers"},
    "ReturnIn": lambda r: {"comment": "Attach the registers"},
    "GoalIn": lambda r: {
        "title": "Measles cases halved",
        "measure": "Confirmed cases",
        "baseline_value": "1200",
        "target_value": 600,
        "unit": "cases",
        "target_date": "2029-12-31",
        "owner": r["organisation"].slug,
        "sdg_targets": ["3.3"],
    },
    "GoalPatch": lambda r: {"title": "Every child fully immunised", "unit": "children"},
    "GoalOrder": lambda r: {"order": [r["goal"].pk]},
    "CommitmentIn": lambda r: {
        "contribution": "Vaccines and trucks",
        "capabilities": [r["capability"].pk],
    },
    "ExpectationIn": lambda r: {
        "topic": "reputation",
        "horizon": "short",
        "importance": 2,
        "description": "Being seen",
    },
    "ExpectationPatch": lambda r: {"importance": 5, "description": "Seen widely"},
    "WorkPackageIn": lambda r: {
        "code": "WP2",
        "title": "Training",
        "description": "Train vaccinators",
        "goal": r["goal"].pk,
        "position": 2,
    },
    "WorkPackagePatch": lambda r: {"title": "Cold chain and storage", "position": 1},
    "MatrixIn": lambda r: {
        "cells": [
            {
                "work_package": r["work_package"].pk,
                "organisation": r["organisation"].slug,
                "letter": "A",
            },
            {"work_package": "WP1", "organisation": r["funder"].pk, "letter": "C"},
        ]
    },
    "CellIn": lambda r: {
        "work_package": r["work_package"].pk,
        "organisation": r["funder"].slug,
        "letter": "R",
    },
    "VersionIn": lambda r: {"text": "New text", "decision_rule": "consent"},
    "VersionPatch": lambda r: {
        "text": "Better text",
        "decision_rule": "qualified_majority",
        "majority_percent": 67,
        "meeting_cadence": "monthly",
    },
    "SignatureIn": lambda r: {"organisation": r["organisation"].slug},
    "StageIn": lambda r: {"stage": "scoping", "reason": "The agreement is renegotiated."},
    "NeedIn": lambda r: {
        "kind": "network",
        "sector_vocabulary": "7",
        "sector_code": "3",
        "regions": ["ID-PA"],
        "weight": 5,
        "note": "Village health volunteers",
    },
    "NeedPatch": lambda r: {"weight": 2, "note": "Fewer needed"},
    "OrganisationIn": lambda r: {
        "name": "Coral Reef Alliance",
        "acronym": "CRA",
        "org_type": "21",
        "country": "ID",
        "subdivisions": ["ID-JK"],
        "website": "https://coral.example.org",
        "description_en": "Reefs",
        "confirm_duplicate": True,
    },
    "OrganisationPatch": lambda r: {"acronym": "LVN", "description_en": "Vaccines"},
    "CapabilityIn": lambda r: {
        "kind": "finance",
        "sector_vocabulary": "2",
        "sector_code": "121",
        "regions": ["ID-JK"],
        "description": "Grants",
        "evidence": "Annual report",
    },
    "CapabilityPatch": lambda r: {"description": "Small grants", "regions": ["ID"]},
    "TokenIn": lambda r: {"name": "script"},
    "CosignatureIn": lambda r: dict(r["cosignature"]),
}


def valid_body(component: str, world: World) -> dict[str, Any]:
    if component in BODIES:
        return BODIES[component](world.refs)
    return sample_body(COMPONENTS[component])


def leaves(schema: dict[str, Any], body: Any, place: tuple = ()) -> Iterator[tuple[tuple, dict]]:
    """(place, schema) of every field of a body component, and of the fields of the first
    item of an array of components when the valid body has one."""
    for name, field_schema in resolve(schema).get("properties", {}).items():
        here = (*place, name)
        yield here, field_schema
        value = body.get(name) if isinstance(body, dict) else None
        for option in branches(field_schema):
            items = option.get("items", {})
            if option.get("type") == "array" and "$ref" in items and value:
                yield from leaves(items, value[0], (*here, 0))


def with_value(body: dict[str, Any], place: tuple, value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(body)
    target = changed
    for step in place[:-1]:
        target = target[step]
    target[place[-1]] = value
    return changed


def dotted(place: tuple) -> str:
    return ".".join(str(step) for step in place)


# Requests ---------------------------------------------------------------------------------


@dataclass
class Case:
    """One hostile request."""

    label: str
    path: str
    query: dict[str, Any] = field(default_factory=dict)
    raw: bytes | None = None  # a JSON body, sent as it is
    content_type: str = "application/json"
    multipart: dict[str, Any] | None = None
    refused: bool = False  # must be a 4xx

    def describe(self) -> str:
        shown = self.raw[:160] if self.raw is not None else self.multipart
        query = f"?{urlencode(self.query)[:120]}" if self.query else ""
        return f"{self.label}: {self.path[:160]}{query} body={shown!r}"


def json_bytes(value: Any) -> bytes:
    return json.dumps(value).encode()


def hostile_cases(op: Operation, world: World) -> Iterator[Case]:
    values = path_values(op, world)
    path = fill(op.path, values)
    base_query = {
        name: 1 if "integer" in kinds(s) else "3"
        for name, s, required in op.query_params
        if required
    }
    # A JSON body that passes validation, so that a hostile path or query is the only fault.
    body = json_bytes(valid_body(op.body, world)) if op.body else None

    for name in op.path_params:
        for hostile in HOSTILE_PARAMS:
            yield Case(
                f"path {name}={hostile.label}",
                fill(op.path, {**values, name: hostile.value}),
                query=base_query,
                raw=body,
                refused=hostile.refused and hostile.value != values[name],
            )
    for name, _schema, _required in op.query_params:
        for hostile in HOSTILE_QUERY:
            yield Case(
                f"query {name}={hostile.label}",
                path,
                query={**base_query, name: hostile.value},
                raw=body,
                refused=hostile.refused,
            )
    undeclared = {"x\x00": "\x00", "limit_": "x" * 300, "ü漢字": "-1"}
    yield Case(
        "valid path, undeclared query parameters",
        path,
        query={**base_query, **undeclared},
        raw=body,
    )
    if op.body:
        yield from body_cases(op, world, path, base_query)
    if op.form:
        yield from form_cases(op, path, base_query)


def body_cases(op: Operation, world: World, path: str, query: dict[str, Any]) -> Iterator[Case]:
    component = COMPONENTS[op.body]
    fields = resolve(component).get("properties", {})
    base = valid_body(op.body, world)
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    whole = {
        "empty body": b"",
        "[]": b"[]",
        "null": b"null",
        "a JSON string": b'"just a string"',
        "invalid JSON": b'{"title": "unfinished',
        "NaN": b'{"value": NaN}',
        "an object nested 200 deep": json_bytes(NESTED),
        "every field of the wrong type": json_bytes(
            {name: wrong_type(s) for name, s in fields.items()}
        ),
        "every field nested 200 deep": json_bytes(dict.fromkeys(fields, NESTED)),
        "a body over 1 MiB": json_bytes({**base, "padding": "x" * limit}),
    }
    for label, raw in whole.items():
        # Unknown fields are ignored: an object of them is no fault where none is required.
        if label == "an object nested 200 deep":
            refused = bool(resolve(component).get("required"))
        else:
            refused = label != "every field nested 200 deep" or bool(fields)
        yield Case(f"body: {label}", path, query=query, raw=raw, refused=refused)
    text_fields = [name for name, s in fields.items() if "string" in kinds(s)]
    if text_fields:
        filler = "x" * (limit - len(json_bytes(base)) - 200)
        yield Case(
            f"body: {text_fields[0]} just under 1 MiB",
            path,
            query=query,
            raw=json_bytes({**base, text_fields[0]: filler}),
        )
    for place, schema in leaves(component, base):
        for hostile in hostile_values(schema):
            yield Case(
                f"body {dotted(place)}={hostile.label}",
                path,
                query=query,
                raw=json_bytes(with_value(base, place, hostile.value)),
                refused=hostile.refused,
            )


def form_cases(op: Operation, path: str, query: dict[str, Any]) -> Iterator[Case]:
    files = [
        name
        for name, s in op.form
        if s.get("format") == "binary" or any(b.get("format") == "binary" for b in branches(s))
    ]
    others = [(name, s) for name, s in op.form if name not in files]
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    def upload(name: str, content: bytes, content_type: str) -> dict[str, Any]:
        return {f: SimpleUploadedFile(name, content, content_type=content_type) for f in files}

    yield Case("form: no file", path, query=query, multipart={}, refused=True)
    yield Case("form: no file, a JSON body", path, query=query, raw=b"{}", refused=True)
    uploads = {
        "a text file named .xlsx": ("data.xlsx", b"just some text, not a workbook\n", xlsx),
        "an empty .xlsx": ("empty.xlsx", b"", xlsx),
        "an empty .csv": ("empty.csv", b"", "text/csv"),
        "binary junk named .csv": ("junk.csv", bytes(range(256)) * 8, "text/csv"),
        "a zip that is no workbook": ("book.xlsx", b"PK\x03\x04" + b"\x00" * 64, xlsx),
        "a CSV of hostile cells": (
            "rows.csv",
            "a,b,c\n1e999,\x00,-1\n9999-12-31,ü漢字,10000000000000000000000000000000\n".encode()
            + b"x" * 10_000
            + b"\n",
            "text/csv",
        ),
        # Django's upload parser drops the unprintable characters of a file's name.
        "a file named with NUL": ("bad\x00name.csv", b"a,b\n1,2\n", "text/csv"),
    }
    for label, (name, content, content_type) in uploads.items():
        # A document may be any file, so only an empty one must be refused everywhere.
        yield Case(
            f"form: {label}",
            path,
            query=query,
            multipart=upload(name, content, content_type),
            refused=not content,
        )
    for name, schema in others:
        for hostile in (Hostile("wrong type", wrong_type(schema)), *STRINGS):
            if isinstance(hostile.value, dict | list):
                continue
            yield Case(
                f"form {name}={hostile.label}",
                path,
                query=query,
                multipart={
                    **upload("data.xlsx", b"just some text", xlsx),
                    name: str(hostile.value),
                },
                refused=hostile.refused,
            )


# Sending and checking ---------------------------------------------------------------------

CENSUS_MODELS = [
    model
    for config in apps.get_app_configs()
    if config.name.startswith("sinergi.")
    for model in config.get_models(include_auto_created=True)
    if not model._meta.proxy
]


def census() -> dict[str, int]:
    """The row count of every table of the project's apps, and the ledger's size, in one
    query."""
    quote_name = connection.ops.quote_name
    # Table and column names from the models, quoted: no input reaches this SQL.
    count = "(SELECT COUNT(*) FROM {})"
    columns = [count.format(quote_name(m._meta.db_table)) for m in CENSUS_MODELS]
    size = "(SELECT {} FROM {} WHERE id = 1)"
    columns.append(size.format(quote_name("size"), quote_name(Head._meta.db_table)))
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(columns))
        row = cursor.fetchone()
    names = [m._meta.label for m in CENSUS_MODELS] + ["ledger size (Head.size)"]
    return dict(zip(names, row, strict=True))


# Operations a token may not call: tokens are made by a signed-in session (else a stolen
# token could mint its successor). The sweep calls them as the caller's session.
SESSION_ONLY = {("POST", "/api/v1/tokens")}


def send(client: Client, op: Operation, case: Case):
    if (op.method, op.path) in SESSION_ONLY:
        client = client.session_client
    path = case.path
    if case.query and op.method != "GET":
        path = f"{path}?{urlencode(case.query)}"
    method = getattr(client, op.method.lower())
    if op.method == "GET":
        return method(path, case.query)
    if case.multipart is not None:
        return method(path, case.multipart) if op.method == "POST" else method(path)
    if case.raw is None:
        return method(path)
    return method(path, case.raw, content_type=case.content_type)


def changes_since(before: dict[str, int]) -> tuple[dict[str, str], str | None]:
    """The row counts (`census`) that differ from `before`, as "before → after", or the
    database's failure to count them (a broken transaction, say)."""
    try:
        after = census()
    except Exception as exc:
        return {}, f"the database failed: {exc!r:.200}"
    return {
        name: f"{before[name]} → {after[name]}" for name in before if before[name] != after[name]
    }, None


def last_frames(exc_info: Any) -> str:
    """The exception and the last frames of the project's code (or, when none is on the
    stack, of the library that failed, Django's own left out), then the last two."""
    stack = traceback.extract_tb(exc_info[2])
    ours = [f for f in stack if "/sinergi/" in f.filename][-3:]
    if not ours:
        ours = [f for f in stack if "/site-packages/django/" not in f.filename][-3:]
    seen, lines = set(), []
    for frame in [*ours, *stack[-2:]]:
        where = f"{frame.filename.split('/work/main/')[-1]}:{frame.lineno} in {frame.name}"
        if where not in seen:
            seen.add(where)
            lines.append(f"      {where}: {frame.line}")
    return f"    {exc_info[0].__name__}: {exc_info[1]}\n" + "\n".join(lines)


def envelope_problem(response) -> str | None:
    """What is wrong with a 4xx's error envelope, or None."""
    if not response.get("Content-Type", "").startswith("application/json"):
        return f"a {response.status_code} that is not JSON: {response.content[:120]!r}"
    try:
        body = json.loads(response.content)
    except ValueError:
        return f"a {response.status_code} whose JSON does not parse: {response.content[:120]!r}"
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return f"a {response.status_code} without the error envelope: {body!r:.160}"
    if error.get("status") != response.status_code:
        return f"error.status {error.get('status')!r} but HTTP {response.status_code}"
    if not isinstance(error.get("code"), str) or not error["code"]:
        return f"a {response.status_code} without an error code: {error!r:.160}"
    if not isinstance(error.get("message"), str) or not error["message"].strip():
        return f"a {response.status_code} without a message: {error!r:.160}"
    return None


def check(client: Client, op: Operation, case: Case) -> list[str]:
    """Send `case` in a savepoint rolled back afterwards; what went wrong, if anything."""
    problems: list[str] = []
    wrote = False
    with transaction.atomic():
        before = census()
        response = send(client, op, case)
        status = response.status_code
        if status >= 500:
            exc_info = getattr(response, "exc_info", None)
            detail = last_frames(exc_info) if exc_info else f"    {response.content[:300]!r}"
            problems.append(f"{status}\n{detail}")
        else:
            if status >= 400:
                problem = envelope_problem(response)
                if problem:
                    problems.append(problem)
                changed, failure = changes_since(before)
                if failure:
                    problems.append(f"{status}, and then {failure}")
                elif changed:
                    problems.append(f"refused with {status} but wrote rows: {changed}")
            elif case.refused:
                problems.append(f"accepted with {status}, though it must be refused")
            wrote = status < 400 and op.method != "GET"
        transaction.set_rollback(True)
    if wrote:
        stored.clear()  # pages kept for a state that was rolled back
    return [f"  {case.describe()}\n    → {p}" for p in problems]


@pytest.fixture
def client(world) -> Client:
    with_token = Client(
        raise_request_exception=False, headers={"Authorization": f"Bearer {world.secret}"}
    )
    session = Client(raise_request_exception=False)
    session.force_login(world.caller)
    with_token.session_client = session
    return with_token


# The sweep --------------------------------------------------------------------------------


def test_the_sweep_covers_every_operation_of_the_document():
    """Given the OpenAPI document, the sweep has one test per operation — all of the API's
    reads and writes under /api/v1/ — and every JSON and multipart body among them."""
    assert len(OPERATIONS) >= 126
    assert len({(op.method, op.path) for op in OPERATIONS}) == len(OPERATIONS)
    assert all(op.path.startswith("/api/v1/") for op in OPERATIONS)
    assert sum(1 for op in OPERATIONS if op.body) >= 48
    assert sum(1 for op in OPERATIONS if op.form) >= 5


@pytest.mark.parametrize("op", OPERATIONS, ids=str)
def test_hostile_input_never_ends_in_a_server_error(op, world, client):
    """Given a coordinator's token and a partnership with a little of everything, when the
    operation is sent hostile path parameters, query parameters and bodies, then no answer
    is a server error, every refusal is the JSON error envelope with its status and a
    message, input with a NUL byte or naming nothing is refused, and a refused request
    writes no row and appends nothing to the ledger."""
    problems: list[str] = []
    count = 0
    for case in hostile_cases(op, world):
        problems += check(client, op, case)
        count += 1
    assert not problems, f"{op}: {len(problems)} of {count} hostile requests went wrong:\n" + (
        "\n".join(problems)
    )


JSON_WRITES = [op for op in OPERATIONS if op.body]
# Valid bodies the world refuses for its state, not their fields: a draft is kept for the
# draft's PATCH, and a partnership has at most one draft.
STATE_CONFLICTS = {("POST", "/api/v1/partnerships/{slug}/agreement/versions"): 409}


@pytest.mark.parametrize("op", JSON_WRITES, ids=str)
def test_the_valid_bodies_are_accepted(op, world, client):
    """Given the valid body that the single-field mutations start from, the operation
    accepts it (or refuses it only for the state of the world, as listed), so that each
    mutation is refused for its own field and not for another one."""
    case = Case(
        "valid body",
        fill(op.path, path_values(op, world)),
        raw=json_bytes(valid_body(op.body, world)),
    )
    with transaction.atomic():
        response = send(client, op, case)
        transaction.set_rollback(True)
    stored.clear()

    expected = STATE_CONFLICTS.get((op.method, op.path))
    if expected:
        assert response.status_code == expected, response.content[:500]
    else:
        assert 200 <= response.status_code < 300, response.content[:500]
