"""Hostile input against results and monitoring, over every endpoint and page at once.

The endpoints come from the OpenAPI schema (tag "results") and the pages from the URL
resolver (views in `sinergi.results`), so a new results endpoint or page is covered
without touching this file — or fails here until its ids, its valid body or its fields
are described in the tables below.

1. Object-level access: an id or code of another partnership (indicator, result,
   dimension, value, period) under the slug of a partnership the actor coordinates
   answers 404 and changes nothing. Ids in bodies (parent result, goal, work package,
   result, responsible organisation, dimensions, category keys) that belong elsewhere
   are refused with a 4xx and change nothing.
2. Private stays private: anonymous visitors, outsiders and the coordinator of another
   partnership get exactly the answer of a slug that does not exist on every results
   endpoint and page of a private partnership; nothing of it shows in the SDG portfolio
   (counts, indicator codes, titles), in exports or in another partnership's pages.
   Observers and the public see approved values only: no draft, submitted or returned
   value, no narrative, site or evidence of one, anywhere.
3. Hostile input (malformed JSON, wrong types, nulls, floats, 100k strings, NUL bytes,
   unknown codes, 1e400, -0, NaN, Infinity, huge lists and dicts, period labels such as
   9999-Q4, 2026-Q0, 0000, bad query parameters) answers a 4xx naming the field (API)
   or an inline error (pages), never a 500, and saves nothing.
4. Ledger atomicity: when the ledger append fails during an approval, the value stays
   submitted and the progress roll-ups are unchanged.
"""

from __future__ import annotations

import io
import itertools
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import get_resolver, reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sinergi.ledger import log
from sinergi.ledger.models import Entry
from sinergi.partnerships.goals import services as goal_services
from sinergi.partnerships.models import Goal, Partnership, WorkPackage
from sinergi.partnerships.raci import services as raci_services
from sinergi.results import services
from sinergi.results.models import (
    Dimension,
    Evidence,
    Indicator,
    IndicatorStatus,
    Period,
    Result,
    SdgProgress,
    Site,
    Status,
    Submission,
    SubmissionValue,
    Target,
)
from tests.hostile import (
    BIG,
    ERROR_MARKERS,
    HUGE,
    NUL,
    PARAM,
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
from tests.openapi import COMPONENTS, Operation, operations
from tests.results.conftest import Monitored, build_monitored

# What marks the private partnership B: none of it may show outside it.
SECRET_TITLE = "Secret Vaccine Trial Alliance"
SECRET_SLUG = "secret-vaccine-trial"
SECRET_RESULT = "Covertly vaccinated island children"
SECRET_INDICATOR = "Doses given on the hidden island"
SECRET_CODE = "SEC-9"
SECRET_DIMENSION = "Secret clan"
SECRET_DIMENSION_CODE = "secret-clan"
SECRET_GOAL = "Quietly protect the island"
SECRET_WP = "Unmarked boat clinics"
SECRET_NARRATIVE = "Boat clinic reached the forbidden cove"
SECRET_EVIDENCE = "secret-cove-roster.pdf"
SECRET_SITE = "Forbidden Cove Jetty"
SECRETS = (
    SECRET_TITLE,
    SECRET_SLUG,
    SECRET_RESULT,
    SECRET_INDICATOR,
    SECRET_CODE,
    SECRET_DIMENSION,
    SECRET_GOAL,
    SECRET_WP,
    SECRET_NARRATIVE,
    SECRET_EVIDENCE,
    SECRET_SITE,
)
MISSING_SLUG = "no-such-partnership-here"

# What marks A's values that are not approved: observers and the public never see them.
UNAPPROVED = (
    "Draft narrative of unchecked doses",
    "Submitted narrative awaiting review",
    "Returned narrative with a typo",
    "Please recount the returned figure",  # the reviewer's comment on the returned value
    "draft-attendance.pdf",
    "submitted-attendance.pdf",
    "Draft Puskesmas Ciamis",
    "86421",  # the draft's value
    "97531",  # the returned value
    "86,421",  # the same, as pages group thousands (English)
    "97,531",
    "86.421",  # and in Indonesian
    "97.531",
    "67.13",  # the submitted value
)
APPROVED_NARRATIVE = "Approved narrative of the catch-up campaign"
APPROVED_EVIDENCE = "approved-attendance.pdf"


# The world: A (public) coordinated by the actor, B (private) of others -------------------


@dataclass
class Side:
    m: Monitored
    goal: Goal
    work_package: WorkPackage
    extra_dimension: Dimension  # a dimension code only this side has
    extra: Indicator  # an indicator code only this side has
    approved: Submission  # coverage 2025-Q1, approved, with evidence
    submitted: Submission  # coverage 2025-Q2, awaiting review, with evidence and a site
    draft: Submission  # trained 2025-Q1, a draft with evidence and a site
    returned: Submission  # trained 2025-Q2, returned with a comment
    evidence: list[Evidence]

    @property
    def partnership(self) -> Partnership:
        return self.m.partnership

    @property
    def coordinator(self):
        return self.m.coordinator


def _pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, f"%PDF {name}".encode(), "application/pdf")


def _side(*, visibility: str, slug: str, title: str, secret: bool) -> Side:
    m = build_monitored(visibility)
    Partnership.objects.filter(pk=m.partnership.pk).update(slug=slug, title=title)
    m.partnership.refresh_from_db()
    for row in (m.impact, m.outcome, m.output, m.coverage, m.trained, m.sex, m.province):
        row.partnership = m.partnership
    p, coordinator = m.partnership, m.coordinator
    goal = goal_services.create_goal(
        actor=coordinator,
        partnership=p,
        title=SECRET_GOAL if secret else "Every child immunised",
        sdg_targets=["3.b"],
    )
    work_package = raci_services.create_work_package(
        actor=coordinator,
        partnership=p,
        code="WP1",
        title=SECRET_WP if secret else "Cold chain",
        goal=goal,
    )
    if secret:
        services.update_result(
            actor=coordinator, result=m.impact, title=SECRET_RESULT, sdg_targets=["3.2", "14.2"]
        )
    extra_dimension = services.create_dimension(
        actor=coordinator,
        partnership=p,
        name=SECRET_DIMENSION if secret else "Age band",
        kind="custom",
        code=SECRET_DIMENSION_CODE if secret else "age-band",
        categories=[{"code": "x", "label": "X"}, {"code": "y", "label": "Y"}],
    )
    extra = services.create_indicator(
        actor=coordinator,
        partnership=p,
        result=m.impact,
        code=SECRET_CODE if secret else "3.1",
        title=SECRET_INDICATOR if secret else "Under-five deaths averted",
        measure="1",
        unit="children",
        frequency="yearly",
        accumulation="cumulative",
        responsible=m.ngo,
        dimensions=[extra_dimension],
    )
    services.set_targets(actor=coordinator, indicator=extra, targets={"2025": "500"})

    def value(actor, indicator, period, amount, narrative, evidence=None, site=None):
        sites = [{"name": site, "latitude": "-6.9", "longitude": "107.6"}] if site else None
        draft = services.save_draft(
            actor=actor,
            indicator=indicator,
            period=period,
            value=amount,
            narrative=SECRET_NARRATIVE if secret else narrative,
            sites=sites,
        )
        if evidence:
            services.attach_evidence(
                actor=actor,
                submission=draft,
                uploaded_file=_pdf(SECRET_EVIDENCE if secret else evidence),
            )
        return draft

    approved = value(m.health_admin, m.coverage, m.q1, "76", APPROVED_NARRATIVE, APPROVED_EVIDENCE)
    services.submit(actor=m.health_admin, submission=approved)
    approved = services.approve(actor=coordinator, submission=approved)
    submitted = value(
        m.health_admin,
        m.coverage,
        m.q2,
        "67.13",
        UNAPPROVED[1],
        "submitted-attendance.pdf",
        SECRET_SITE if secret else "Submitted Puskesmas Garut",
    )
    submitted = services.submit(actor=m.health_admin, submission=submitted)
    draft = value(
        m.ngo_admin,
        m.trained,
        m.q1,
        "86421",
        UNAPPROVED[0],
        "draft-attendance.pdf",
        SECRET_SITE if secret else "Draft Puskesmas Ciamis",
    )
    returned = value(m.ngo_admin, m.trained, m.q2, "97531", UNAPPROVED[2])
    services.submit(actor=m.ngo_admin, submission=returned)
    returned = services.return_submission(
        actor=m.coordinator_2, submission=returned, comment=UNAPPROVED[3]
    )
    extra_value = services.save_draft(
        actor=m.ngo_admin,
        indicator=extra,
        period=services.find_period(p, "yearly", "2025"),
        value="120",
        values={f"{extra_dimension.code}:x": "20", f"{extra_dimension.code}:y": "100"},
        narrative=SECRET_NARRATIVE if secret else "Counted at the clinics",
    )
    services.submit(actor=m.ngo_admin, submission=extra_value)
    services.approve(actor=coordinator, submission=extra_value)
    return Side(
        m=m,
        goal=goal,
        work_package=work_package,
        extra_dimension=extra_dimension,
        extra=extra,
        approved=approved,
        submitted=submitted,
        draft=draft,
        returned=returned,
        evidence=list(Evidence.objects.filter(submission__partnership=p)),
    )


@dataclass
class World:
    a: Side
    b: Side

    def people(self) -> dict[str, Any]:
        """Those outside B: nobody signed in, a stranger, A's coordinator."""
        return {
            "anonymous": None,
            "outsider": self.a.m.outsider,
            "other_coordinator": self.a.coordinator,
        }


@pytest.fixture
def world(db, settings, tmp_path) -> World:
    """A: public, coordinated by `a.coordinator`, with a framework (impact → outcome →
    output, indicators 2.1, 1.1 and 3.1), a goal and work package, an approved value with
    evidence, a submitted, a draft and a returned value. B: private, of other people, the
    same kinds of rows (full of secrets), an indicator SEC-9 and a dimension of its own,
    contributing to SDG 14 as well as 3."""
    settings.MEDIA_ROOT = tmp_path
    a = _side(
        visibility="public", slug="open-immunisation", title="Open Immunisation", secret=False
    )
    b = _side(visibility="private", slug=SECRET_SLUG, title=SECRET_TITLE, secret=True)
    return World(a=a, b=b)


SNAPSHOT_MODELS = (
    Dimension,
    Result,
    Indicator,
    Indicator.dimensions.through,
    Period,
    Target,
    Submission,
    SubmissionValue,
    Evidence,
    Site,
    IndicatorStatus,
    SdgProgress,
    Goal,
    WorkPackage,
)


def snapshot() -> dict[str, Any]:
    """Every row of every results table (and the ledger's size): what "nothing saved" means."""
    rows: dict[str, Any] = {
        model._meta.label: list(model.objects.order_by("pk").values()) for model in SNAPSHOT_MODELS
    }
    rows["ledger"] = Entry.objects.count()
    return rows


def changed_tables(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return [name for name in before if before[name] != after[name]]


def secrets_in(text: str, *, echoed: str = "") -> list[str]:
    if echoed:
        text = text.replace(echoed, "")
    return [secret for secret in SECRETS if secret in text]


def body_text(response) -> str:
    """A response's text: HTML, JSON, CSV — or every cell of an XLSX workbook."""
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    if response.get("Content-Type", "").startswith("application/vnd.openxmlformats"):
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
        cells = [
            str(value)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for value in row
            if value is not None
        ]
        return "\n".join(cells)
    return content.decode(errors="replace")


# The OpenAPI schema: results operations, their bodies and their ids -----------------------

RESULTS_OPERATIONS = [op for op in operations() if "results" in op.tags]
PARTNERSHIP_OPERATIONS = [op for op in RESULTS_OPERATIONS if op.under_partnership]
JSON_WRITES = [op for op in RESULTS_OPERATIONS if op.body]


def test_the_results_operations_are_found():
    paths = {op.path for op in RESULTS_OPERATIONS}
    assert "/api/v1/results/portfolio" in paths
    assert "/api/v1/partnerships/{slug}/results/values/{pk}/approve" in paths
    assert len(PARTNERSHIP_OPERATIONS) >= 23
    assert {op.body for op in JSON_WRITES} >= {
        "ResultIn",
        "ResultPatch",
        "DimensionIn",
        "DimensionPatch",
        "IndicatorIn",
        "IndicatorPatch",
        "TargetsIn",
        "ValueIn",
        "ValueDecisionIn",
        "ReturnIn",
    }


# Which object an id in a path stands for: (the path segment before it, its name) → kind.
ID_KINDS = {
    ("results", "pk"): "result",  # API /results/results/{pk}, page framework/results/<pk>/
    ("dimensions", "code"): "dimension_code",
    ("indicators", "code"): "indicator_code",
    ("indicators", "pk"): "indicator",
    ("values", "pk"): "submission",
    ("values", "period"): "period_label",  # a label, not an id: the same in every partnership
    ("review", "pk"): "submission",
    ("periods", "pk"): "period",
    ("goals", "goal"): "sdg_goal",
    ("evidence", "pk"): "evidence",
}
NOT_IDS = {"period_label", "sdg_goal"}


def id_kinds(route: str) -> dict[str, str]:
    """name → kind for each id in an API path or URL route, from the literal before it."""
    kinds = {}
    literal = ""
    for piece in re.split(r"(\{\w+\}|<[^>]+>)", route):
        match = PARAM.fullmatch(piece)
        if not match:
            segment = piece.strip("/").rsplit("/", 1)[-1]
            literal = segment or literal
            continue
        name = match.group(1) or match.group(2)
        if name == "slug":
            continue
        kind = ID_KINDS.get((literal, name))
        if kind is None:
            pytest.fail(f"{route}: describe what {{{name}}} after {literal!r} is in ID_KINDS")
        kinds[name] = kind
    return kinds


def ids_of(side: Side) -> dict[str, Any]:
    return {
        "result": side.m.output.pk,
        "dimension_code": side.extra_dimension.code,
        "indicator_code": side.extra.code,
        "indicator": side.extra.pk,
        "submission": side.submitted.pk,
        "period_label": "2025-Q3",
        "period": side.m.q2.pk,
        "sdg_goal": "3",
        "evidence": side.submitted.evidence.get().pk,
    }


WITH_IDS = [
    op
    for op in PARTNERSHIP_OPERATIONS
    if any(kind not in NOT_IDS for kind in id_kinds(op.path).values())
]

# Valid bodies for A, per request body component: the base that each mutation alters.
_codes = itertools.count(100)


def _site() -> dict[str, Any]:
    return {
        "name": "Puskesmas Tasik",
        "latitude": "-7.35",
        "longitude": "108.2",
        "subdivision": "ID-JB",
    }


def valid_body(name: str, world: World) -> dict[str, Any]:
    a = world.a
    m = a.m
    bodies: dict[str, Callable[[], dict[str, Any]]] = {
        "ResultIn": lambda: {
            "type": "1",
            "title": "Vaccinators trained",
            "description": "In every district",
            "parent": m.outcome.pk,
            "goal": a.goal.pk,
            "work_package": a.work_package.pk,
            "sdg_targets": ["3.b"],
        },
        "ResultPatch": lambda: {
            "title": "Health workers trained well",
            "description": "Cold chain and catch-up",
            "parent": m.outcome.pk,
            "goal": a.goal.pk,
            "work_package": a.work_package.pk,
            "sdg_targets": ["3.b"],
        },
        "DimensionIn": lambda: {
            "name": "Disability",
            "kind": "custom",
            "code": f"dim-{next(_codes)}",
            "categories": [{"code": "yes", "label": "Yes"}, {"code": "no", "label": "No"}],
            "exhaustive": True,
        },
        "DimensionPatch": lambda: {
            "name": "Disability status",
            "exhaustive": False,
            "categories": ["yes", "no", {"code": "unknown", "label": "Unknown"}],
        },
        "IndicatorIn": lambda: {
            "result": m.output.pk,
            "code": f"N{next(_codes)}",
            "title": "Nurses trained",
            "description": "Certified nurses",
            "measure": "1",
            "unit": "people",
            "ascending": True,
            "accumulation": "level",
            "frequency": "quarterly",
            "baseline_value": "10",
            "baseline_date": "2024-12-31",
            "responsible": m.ngo.pk,
            "sdg_indicator": "3.b.1",
            "dimensions": ["sex"],
        },
        "IndicatorPatch": lambda: {
            "result": m.outcome.pk,
            "title": "Midwives trained",
            "description": "Certified midwives",
            "unit": "people",
            "ascending": True,
            "baseline_value": "5",
            "baseline_date": "2024-06-30",
            "responsible": m.health.pk,
            "sdg_indicator": "3.c.1",
            "dimensions": ["sex", "province"],
        },
        "TargetsIn": lambda: {
            "targets": {"2025-Q1": "100", "2025-Q2": "120"},
            "by_category": {"2025-Q1": {"sex:female": "50", "sex:male": "50"}},
        },
        "ValueIn": lambda: {
            "indicator": "1.1",
            "period": "2025-Q3",
            "value": "12",
            "text": "",
            "narrative": "Twelve trained in Tasikmalaya",
            "sites": [_site()],
            "submit": False,
        },
        "ValueDecisionIn": lambda: {"comment": "Checked against the attendance lists"},
        "ReturnIn": lambda: {"comment": "Attach the attendance lists"},
    }
    if name not in bodies:
        pytest.fail(f"describe a valid {name} body in valid_body()")
    return bodies[name]()


def _awaiting_review(side: Side) -> Submission:
    """A value of A's coverage indicator for 2025-Q3 awaiting review, entered by the health
    partner (so A's coordinator may decide it): the latest revision, or a new one."""
    m = side.m
    period = services.find_period(side.partnership, "quarterly", "2025-Q3")
    latest = services.current_draft(m.coverage, period)
    if latest is not None and latest.status == Status.SUBMITTED:
        return latest
    draft = services.save_draft(
        actor=m.health_admin, indicator=m.coverage, period=period, value="81"
    )
    return services.submit(actor=m.health_admin, submission=draft)


def prepare(op: Operation, world: World) -> dict[str, Any]:
    """Put A in the state in which the operation's valid body succeeds; the path values."""
    a = world.a
    m = a.m
    values = {"slug": a.partnership.slug, **{k: ids_of(a)[v] for k, v in id_kinds(op.path).items()}}
    path, method = op.path, op.method
    if path.endswith("/results/results/{pk}"):
        if method == "DELETE":
            values["pk"] = services.create_result(
                actor=a.coordinator, partnership=a.partnership, type="9", title="Spare"
            ).pk
        else:
            values["pk"] = m.output.pk
    elif path.endswith("/dimensions/{code}"):
        values["code"] = services.create_dimension(
            actor=a.coordinator,
            partnership=a.partnership,
            name="Spare",
            kind="custom",
            code=f"spare-{next(_codes)}",
            categories=["yes", "no"],
        ).code
    elif path.endswith("/indicators/{code}") and method != "GET":
        values["code"] = services.create_indicator(
            actor=a.coordinator,
            partnership=a.partnership,
            result=m.output,
            code=f"S{next(_codes)}",
            title="Spare",
            responsible=m.ngo,
        ).code
    elif path.endswith("/indicators/{code}/targets"):
        values["code"] = m.trained.code
    elif path.endswith("/results/values") and method == "POST":
        period = services.find_period(a.partnership, "quarterly", "2025-Q3")
        Submission.objects.filter(indicator=m.trained, period=period).delete()
    elif path.endswith(("/values/{pk}/approve", "/values/{pk}/return")):
        values["pk"] = _awaiting_review(a).pk
    elif path.endswith("/values/{pk}/submit"):
        period = services.find_period(a.partnership, "quarterly", "2025-Q4")
        Submission.objects.filter(indicator=m.trained, period=period).delete()
        values["pk"] = services.save_draft(
            actor=m.ngo_admin, indicator=m.trained, period=period, value="3"
        ).pk
    return values


def test_every_write_has_a_valid_body_that_succeeds(world):
    """The base of every mutation below is accepted, so a refusal there is the mutation's."""
    client = api_client(world.a.coordinator)
    for op in JSON_WRITES:
        values = prepare(op, world)
        response = call(client, op.method, fill(op.path, values), valid_body(op.body, world))
        assert response.status_code in (200, 201), (op.id, response.content[:500])


# Pages: the results URL patterns ----------------------------------------------------------


def _pages() -> list[Page]:
    pages = []
    for route, pattern in walk(get_resolver().url_patterns):
        module = getattr(pattern.callback, "__module__", "")
        if module.startswith("sinergi.results.") and pattern.name and route.startswith("en/"):
            pages.append(Page(name=pattern.name, route=route))
    return pages


RESULTS_PAGES = _pages()
PARTNERSHIP_PAGES = [page for page in RESULTS_PAGES if page.under_partnership]
PAGES_WITH_IDS = [
    page
    for page in PARTNERSHIP_PAGES
    if any(kind not in NOT_IDS for kind in id_kinds(page.route).values())
]


def test_the_results_pages_are_found():
    names = {page.name for page in RESULTS_PAGES}
    assert {
        "results-dashboard",
        "results-indicator",
        "results-value-edit",
        "results-review-decide",
        "results-targets",
        "results-period-closed",
        "results-export-csv",
        "results-spreadsheet-template",
        "results-portfolio",
        "results-portfolio-goal",
    } <= names
    assert len(PARTNERSHIP_PAGES) >= 18


def page_values(page: Page, side: Side) -> dict[str, Any]:
    ids = ids_of(side)
    return {
        "slug": side.partnership.slug,
        **{name: ids[kind] for name, kind in id_kinds(page.route).items()},
    }


# 1. Object-level access ------------------------------------------------------------------


def _variants(kinds: dict[str, str]) -> list[set[str]]:
    """Each id alone, then all of them together."""
    names = [name for name, kind in kinds.items() if kind not in NOT_IDS]
    variants = [{name} for name in names]
    if len(names) > 1:
        variants.append(set(names))
    return variants


def _foreign_ids(world: World) -> dict[str, Any]:
    """B's ids, with ones A could not resolve to its own: B's extra indicator (code SEC-9),
    B's own dimension, B's submitted value, B's period and result."""
    return ids_of(world.b)


def test_api_an_id_of_another_partnership_is_not_found(world):
    """Given the coordinator of A, when they put an id or code of B's (result, dimension,
    indicator, value) in the path of any results endpoint of A — each alone and all
    together — then the answer is 404 and nothing changes."""
    client = api_client(world.a.coordinator)
    foreign = _foreign_ids(world)
    problems = []
    for op in WITH_IDS:
        kinds = id_kinds(op.path)
        for names in _variants(kinds):
            values = prepare(op, world)
            values.update({name: foreign[kinds[name]] for name in names})
            body = valid_body(op.body, world) if op.body else None
            before = snapshot()

            response = call(client, op.method, fill(op.path, values), body)

            if response.status_code != 404 or response.json()["error"]["code"] != "not_found":
                problems.append((op.id, names, response.status_code, response.content[:200]))
            if secrets_in(response.content.decode()):
                problems.append((op.id, names, secrets_in(response.content.decode())))
            if changed_tables(before, snapshot()):
                problems.append((op.id, names, "changed", changed_tables(before, snapshot())))
    assert problems == []
    assert len(WITH_IDS) >= 10


def test_pages_an_id_of_another_partnership_is_not_found(world):
    """Given A's coordinator, when they open or post to any results page of A with an id
    of B's (indicator, result, value under review, period), then the page is 404 (405 for
    a method the page does not take) and nothing changes."""
    client = web_client(world.a.coordinator)
    foreign = _foreign_ids(world)
    problems = []
    for page in PAGES_WITH_IDS:
        kinds = id_kinds(page.route)
        own = page_values(page, world.a)
        for names in _variants(kinds):
            values = {**own, **{name: foreign[kinds[name]] for name in names}}
            url = page.url(values)
            before = snapshot()
            answers = {
                client.get(url).status_code,
                client.post(url, {"action": "approve", "closed": "1", "value": "1"}).status_code,
            }
            if not answers <= {404, 405} or 404 not in answers:
                problems.append((url, answers))
            if changed_tables(before, snapshot()):
                problems.append((url, "changed", changed_tables(before, snapshot())))
    assert problems == []
    assert len(PAGES_WITH_IDS) >= 7


def _foreign_references(world: World) -> list[tuple[str, str, str, dict[str, Any], str]]:
    """(method, path under A, body component, changes, field) with something of B's."""
    b = world.b
    bm = b.m
    key = f"{SECRET_DIMENSION_CODE}:x"
    return [
        ("POST", "/results/results", "ResultIn", {"parent": bm.outcome.pk}, "parent"),
        ("POST", "/results/results", "ResultIn", {"goal": b.goal.pk}, "goal"),
        (
            "POST",
            "/results/results",
            "ResultIn",
            {"work_package": b.work_package.pk},
            "work_package",
        ),
        ("PATCH", "/results/results/{result}", "ResultPatch", {"parent": bm.outcome.pk}, "parent"),
        ("PATCH", "/results/results/{result}", "ResultPatch", {"goal": b.goal.pk}, "goal"),
        (
            "PATCH",
            "/results/results/{result}",
            "ResultPatch",
            {"work_package": b.work_package.pk},
            "work_package",
        ),
        ("POST", "/results/indicators", "IndicatorIn", {"result": bm.output.pk}, "result"),
        ("POST", "/results/indicators", "IndicatorIn", {"responsible": bm.ngo.pk}, "responsible"),
        (
            "POST",
            "/results/indicators",
            "IndicatorIn",
            {"dimensions": ["sex", SECRET_DIMENSION_CODE]},
            "dimensions",
        ),
        ("PATCH", "/results/indicators/2.1", "IndicatorPatch", {"result": bm.output.pk}, "result"),
        (
            "PATCH",
            "/results/indicators/2.1",
            "IndicatorPatch",
            {"responsible": bm.health.pk},
            "responsible",
        ),
        (
            "PATCH",
            "/results/indicators/2.1",
            "IndicatorPatch",
            {"dimensions": [SECRET_DIMENSION_CODE]},
            "dimensions",
        ),
        (
            "PUT",
            "/results/indicators/1.1/targets",
            "TargetsIn",
            {"by_category": {"2025-Q1": {key: "5"}}},
            "by_category",
        ),
        ("POST", "/results/values", "ValueIn", {"indicator": SECRET_CODE}, "indicator"),
        ("POST", "/results/values", "ValueIn", {"values": {key: "12"}}, "values"),
    ]


def test_api_an_id_of_another_partnership_in_a_body_is_refused(world):
    """Given A's coordinator, when a body names B's result, goal, work package, partner
    organisation, dimension, category or indicator, then the answer is a 422 naming the
    field and neither A nor B changes."""
    client = api_client(world.a.coordinator)
    a = world.a
    problems = []
    for method, path, component, changes, field in _foreign_references(world):
        Submission.objects.filter(indicator=a.m.trained, period__start__month=7).delete()
        url = f"/api/v1/partnerships/{a.partnership.slug}" + path.format(result=a.m.output.pk)
        before = snapshot()

        response = call(client, method, url, {**valid_body(component, world), **changes})

        if response.status_code != 422:
            problems.append((path, changes, response.status_code, response.content[:200]))
        elif envelope_problem(response, field=field):
            problems.append((path, changes, envelope_problem(response, field=field)))
        if changed_tables(before, snapshot()):
            problems.append((path, changes, "changed", changed_tables(before, snapshot())))
        if secrets_in(response.content.decode()):
            problems.append((path, changes, "shows", secrets_in(response.content.decode())))
    assert problems == []


def test_pages_an_id_of_another_partnership_in_a_form_is_refused(world):
    """The framework forms name their result, parent, responsible partner and dimensions
    by id: B's are refused inline (422) and nothing is saved."""
    a, b = world.a, world.b
    client = web_client(a.coordinator)
    indicator = {
        "result": a.m.output.pk,
        "code": "7.7",
        "title": "Vaccinators",
        "measure": "1",
        "accumulation": "level",
        "frequency": "quarterly",
        "responsible": a.m.ngo.pk,
    }
    cases = [
        ("results-result-new", {}, {"type": "1", "title": "X", "parent": b.m.outcome.pk}),
        (
            "results-result-edit",
            {"pk": a.m.output.pk},
            {"type": "1", "title": "X", "parent": b.m.outcome.pk},
        ),
        ("results-indicator-new", {}, {**indicator, "result": b.m.output.pk}),
        ("results-indicator-new", {}, {**indicator, "responsible": b.m.ngo.pk}),
        ("results-indicator-new", {}, {**indicator, "dimensions": [b.extra_dimension.pk]}),
        (
            "results-indicator-edit",
            {"pk": a.m.trained.pk},
            {**indicator, "code": "1.1", "result": b.m.output.pk},
        ),
    ]
    problems = []
    for name, kwargs, data in cases:
        before = snapshot()
        response = client.post(reverse(name, kwargs={"slug": a.partnership.slug, **kwargs}), data)
        text = response.content.decode()
        if response.status_code != 422 or not any(marker in text for marker in ERROR_MARKERS):
            problems.append((name, data, response.status_code))
        if secrets_in(text):
            problems.append((name, data, secrets_in(text)))
        if changed_tables(before, snapshot()):
            problems.append((name, data, "changed"))
    assert problems == []


# 2. Private stays private ------------------------------------------------------------------

OUTSIDERS = ["anonymous", "outsider", "other_coordinator"]


@pytest.mark.parametrize("who", OUTSIDERS)
def test_api_every_results_endpoint_of_a_private_partnership_answers_as_if_it_did_not_exist(
    world, who
):
    """Given someone who is not in private partnership B (anonymous, an outsider, the
    coordinator of another partnership), every results endpoint under B's slug — with B's
    own ids and valid bodies — answers exactly as for a slug that does not exist: 404
    not_found, nothing of B in the body, nothing changed."""
    client = api_client(world.people()[who])
    ids = ids_of(world.b)
    problems = []
    for op in PARTNERSHIP_OPERATIONS:
        values = {"slug": SECRET_SLUG, **{n: ids[k] for n, k in id_kinds(op.path).items()}}
        body = valid_body(op.body, world) if op.body else None
        query = {"period": "2025-Q1"} if "spreadsheet" in op.path else None
        before = snapshot()
        private = call(client, op.method, fill(op.path, values), body, query=query)
        missing = call(
            client, op.method, fill(op.path, {**values, "slug": MISSING_SLUG}), body, query=query
        )
        if not private.status_code == missing.status_code == 404:
            problems.append((op.id, private.status_code, missing.status_code))
        elif private.json() != missing.json() or private.json()["error"]["code"] != "not_found":
            problems.append((op.id, private.json(), missing.json()))
        if secrets_in(private.content.decode(errors="replace")):
            problems.append((op.id, "shows", secrets_in(private.content.decode())))
        if changed_tables(before, snapshot()):
            problems.append((op.id, "changed", changed_tables(before, snapshot())))
    assert problems == []


@pytest.mark.parametrize("who", OUTSIDERS)
def test_pages_every_results_page_of_a_private_partnership_answers_as_if_it_did_not_exist(
    world, who
):
    """Given someone who is not in B, every results page of B (GET and POST, with B's own
    ids; the exports and the spreadsheet template too) answers as for a slug that does not
    exist: 404 (405 for a method the page does not take), the same body, nothing of B,
    nothing changed. Never a 403, a redirect or a 200."""
    client = web_client(world.people()[who])
    problems = []
    for page in PARTNERSHIP_PAGES:
        values = page_values(page, world.b)
        for method in ("get", "post"):
            before = snapshot()
            private = getattr(client, method)(page.url(values), {"period": "2025-Q1"})
            missing = getattr(client, method)(
                page.url({**values, "slug": MISSING_SLUG}), {"period": "2025-Q1"}
            )
            if private.status_code != missing.status_code or private.status_code not in (404, 405):
                problems.append((page.name, method, private.status_code, missing.status_code))
                continue
            if normalised(private, SECRET_SLUG) != normalised(missing, MISSING_SLUG):
                problems.append((page.name, method, "body differs"))
            shown = secrets_in(body_text(private), echoed=page.url(values))
            if shown:
                problems.append((page.name, method, shown))
            if changed_tables(before, snapshot()):
                problems.append((page.name, method, "changed"))
    assert problems == []


def _portfolio_rows(body: dict[str, Any]) -> dict[str, tuple[int, int, int]]:
    rows = {}
    for row in body["goals"] + body["targets"]:
        rows[row["code"]] = (row["partnerships"], row["indicators"], row["scored"])
    return rows


def _expected_rows(partnership: Partnership, goal: str | None = None) -> dict[str, tuple]:
    rows = SdgProgress.objects.filter(partnership=partnership)
    return {
        r.target: (1, r.indicators, r.scored)
        for r in rows
        if r.target == r.goal or goal is None or r.goal == goal
    }


def _elsewhere(world: World) -> tuple[list[str], list[str]]:
    """Pages and API reads outside B that could mention it: the SDG portfolio, and every
    results page, export and API read of public partnership A."""
    a = world.a
    pages = ["/en/results/", "/en/results/goals/3/", "/en/results/goals/14/"]
    for page in PARTNERSHIP_PAGES:
        pages.append(page.url(page_values(page, a)))
    reads = [
        "/api/v1/results/portfolio",
        "/api/v1/results/portfolio?goal=3",
        "/api/v1/results/portfolio?goal=14",
    ]
    for op in PARTNERSHIP_OPERATIONS:
        if op.method == "GET":
            values = {
                "slug": a.partnership.slug,
                **{n: ids_of(a)[k] for n, k in id_kinds(op.path).items()},
            }
            if "values/{pk}" in op.path:
                values["pk"] = a.approved.pk
            reads.append(fill(op.path, values))
    return pages, reads


@pytest.mark.parametrize("who", OUTSIDERS)
def test_nothing_of_a_private_partnership_shows_anywhere_else(world, who):
    """Given someone who is not in B, nothing of B — title, slug, results, indicators and
    their codes, dimension, narratives, evidence, sites — appears in the SDG portfolio
    (page and API, overall and per goal) or in any results page, export or API read of
    public partnership A; the portfolio's figures are A's alone (B's indicators are not
    counted, its SDG 14 does not appear)."""
    person = world.people()[who]
    web, client = web_client(person), api_client(person)
    pages, reads = _elsewhere(world)
    problems = []
    for url in pages:
        response = web.get(url)
        if response.status_code >= 500:
            problems.append((url, response.status_code))
        shown = secrets_in(body_text(response))
        if shown:
            problems.append((url, shown))
    for url in reads:
        response = client.get(url)
        if response.status_code >= 500:
            problems.append((url, response.status_code))
        if secrets_in(body_text(response)):
            problems.append((url, secrets_in(body_text(response))))
    for goal in (None, "3", "14"):
        query = f"?goal={goal}" if goal else ""
        body = client.get(f"/api/v1/results/portfolio{query}").json()
        if _portfolio_rows(body) != _expected_rows(world.a.partnership, goal):
            problems.append(("portfolio", goal, _portfolio_rows(body)))
        contributing = {
            c["partnership"]["slug"] for t in body["partnerships"] for c in t["partnerships"]
        }
        if contributing - {world.a.partnership.slug}:
            problems.append(("portfolio partnerships", goal, contributing))
    if '<span class="sdg-code">14.2</span>' in web.get("/en/results/goals/14/").content.decode():
        problems.append(("the goal 14 page lists B's target",))
    if reverse("results-portfolio-goal", args=["14"]) in web.get("/en/results/").content.decode():
        problems.append(("the portfolio links to B's goal 14",))
    assert problems == []
    assert len(pages) > 20 and len(reads) > 6


def test_the_private_partnership_shows_in_its_own_coordinators_portfolio(world):
    """The checks above can see: B's coordinator finds B in the portfolio (SDG 14, B's
    indicator code, B's title) and B's pages show its secrets."""
    coordinator = world.b.coordinator
    body = api_client(coordinator).get("/api/v1/results/portfolio?goal=14").json()
    assert "14" in {row["code"] for row in body["goals"]}
    text = json.dumps(body)
    assert SECRET_TITLE in text
    page = web_client(coordinator).get(
        reverse("results-indicator", args=[SECRET_SLUG, world.b.extra.pk])
    )
    assert SECRET_INDICATOR in page.content.decode()
    assert SECRET_NARRATIVE in page.content.decode()


# Observers and the public of a public partnership see approved values only ---------------

READERS = ["anonymous", "observer", "outsider", "other_partnerships_coordinator"]


def _reader(world: World, who: str):
    return {
        "anonymous": None,
        "observer": world.a.m.observer,
        "outsider": world.a.m.outsider,
        "other_partnerships_coordinator": world.b.coordinator,
    }[who]


def unapproved_in(text: str) -> list[str]:
    return [marker for marker in UNAPPROVED if marker in text]


@pytest.mark.parametrize("who", READERS)
def test_observers_and_the_public_see_approved_values_only(world, who):
    """Given an observer of public partnership A, an anonymous visitor, an outsider or the
    coordinator of another partnership, then the values API lists approved values in force
    only (also when asked for drafts), each unapproved value is 404 to them, and no
    results page, export or API read of A shows a draft, submitted or returned value, its
    narrative, comment, site or evidence file; the approved value and its narrative do
    show (so the check can see)."""
    a = world.a
    person = _reader(world, who)
    web, client = web_client(person), api_client(person)
    base = f"/api/v1/partnerships/{a.partnership.slug}/results"
    problems = []

    listed = client.get(f"{base}/values", {"limit": 100}).json()["items"]
    if not listed or any(not (v["status"] == "approved" and v["is_current"]) for v in listed):
        problems.append(("values", [(v["id"], v["status"]) for v in listed]))
    for status in ("draft", "submitted", "returned"):
        if client.get(f"{base}/values", {"status": status}).json()["items"]:
            problems.append(("values filtered", status))
    for hidden in (a.draft, a.submitted, a.returned):
        for suffix in ("", "/submit", "/approve", "/return"):
            method = "GET" if not suffix else "POST"
            body = {"comment": "x"} if suffix in ("/approve", "/return") else None
            before = snapshot()
            response = call(client, method, f"{base}/values/{hidden.pk}{suffix}", body)
            if response.status_code != 404:
                problems.append((hidden.status, suffix, response.status_code))
            if changed_tables(before, snapshot()):
                problems.append((hidden.status, suffix, "changed"))

    texts = {}
    for url in [
        f"{base}/values?limit=100",
        f"{base}/values/{a.approved.pk}",
        base,
        f"{base}/indicators",
        f"{base}/indicators/1.1",
        f"{base}/indicators/2.1",
        f"{base}/progress",
        "/api/v1/results/portfolio?goal=3",
    ]:
        texts[url] = body_text(client.get(url))
    pages = [
        reverse("results-dashboard", args=[a.partnership.slug]),
        reverse("results-portfolio"),
        reverse("results-portfolio-goal", args=["3"]),
        *(
            reverse("results-indicator", args=[a.partnership.slug, indicator.pk])
            for indicator in (a.m.coverage, a.m.trained, a.extra)
        ),
    ]
    for export in ("results-export-csv", "results-export-xlsx"):
        url = reverse(export, args=[a.partnership.slug])
        pages += [url, f"{url}?status=draft", f"{url}?status=submitted", f"{url}?period=2025-Q2"]
    for url in pages:
        response = web.get(url)
        if response.status_code != 200:
            problems.append((url, response.status_code))
        texts[url] = body_text(response)
    for url, text in texts.items():
        if unapproved_in(text):
            problems.append((url, unapproved_in(text)))
    assert APPROVED_NARRATIVE in texts[f"{base}/values?limit=100"]
    assert APPROVED_NARRATIVE in texts[reverse("results-export-csv", args=[a.partnership.slug])]
    assert "76" in texts[reverse("results-indicator", args=[a.partnership.slug, a.m.coverage.pk])]
    assert problems == []


@pytest.mark.parametrize("who", READERS)
def test_observers_and_the_public_cannot_reach_the_reporting_pages(world, who):
    """The spreadsheet template (page and API), the upload and confirm pages, My reporting,
    the review queue and the value form are refused to those who only read (403, 401 or
    sign-in for the anonymous), with none of the unapproved values in the answer, and
    nothing changes."""
    a = world.a
    person = _reader(world, who)
    web, client = web_client(person), api_client(person)
    slug = a.partnership.slug
    period = {"period": "2025-Q1", "organisation": str(a.m.ngo.pk)}
    refused = {401, 403} | ({302} if person is None else set())
    problems = []
    before = snapshot()
    attempts = [
        web.get(reverse("results-spreadsheet-template", args=[slug]), period),
        web.get(reverse("results-spreadsheet", args=[slug])),
        web.post(reverse("results-spreadsheet", args=[slug]), period),
        web.post(reverse("results-spreadsheet-confirm", args=[slug]), {"sha256": "0" * 64}),
        web.get(reverse("results-reporting", args=[slug])),
        web.get(reverse("results-review", args=[slug])),
        web.post(
            reverse("results-review-decide", args=[slug, a.submitted.pk]), {"action": "approve"}
        ),
        web.get(reverse("results-value-edit", args=[slug, a.m.trained.pk, "2025-Q1"])),
        web.post(
            reverse("results-value-edit", args=[slug, a.m.trained.pk, "2025-Q1"]), {"value": "1"}
        ),
        web.get(reverse("results-framework", args=[slug])),
        client.get(f"/api/v1/partnerships/{slug}/results/spreadsheet/template", period),
        client.post(f"/api/v1/partnerships/{slug}/results/spreadsheet/preview", period),
        client.post(f"/api/v1/partnerships/{slug}/results/spreadsheet/import", period),
    ]
    for response in attempts:
        if response.status_code not in refused:
            problems.append((response.request["PATH_INFO"], response.status_code))
        if response.get("Content-Type", "").startswith("application/vnd.openxmlformats"):
            problems.append((response.request["PATH_INFO"], "a workbook was sent"))
        if unapproved_in(body_text(response)):
            problems.append((response.request["PATH_INFO"], unapproved_in(body_text(response))))
    assert changed_tables(before, snapshot()) == []
    assert problems == []


def test_evidence_files_are_never_served_as_media(world):
    """Evidence files are stored under their hash; no URL serves them (the values carry
    only their name, size and hash): /media/... is 404 for everyone."""
    for evidence in world.a.evidence + world.b.evidence:
        for person in (None, world.a.m.observer, world.a.coordinator):
            response = web_client(person).get(f"/media/{evidence.file.name}")
            assert response.status_code == 404
            assert b"%PDF" not in response.content


# 3. Hostile input --------------------------------------------------------------------------

# Free text: anything goes (within its length), so emoji and unknown words are accepted.
FREE_TEXT = {"title", "description", "narrative", "text", "comment", "unit", "name", "code"}
# Code-like strings: an unknown value is refused.
CODES = {
    "type",
    "kind",
    "measure",
    "accumulation",
    "frequency",
    "sdg_indicator",
    "subdivision",
    "indicator",
    "period",
}
NUMBER_ATTACKS: list[tuple[str, Any]] = [
    ("abc", "abc"),
    ("NaN", "NaN"),
    ("Infinity", "Infinity"),
    ("-Infinity", "-Infinity"),
    ("sNaN", "sNaN"),
    ("1e400", "1e400"),
    ("-1e400", "-1e400"),
    ("1e-10", "1e-10"),
    ("5 decimals", "1.12345"),
    ("comma", "12,5"),
    ("float 1.5", 1.5),
    ("float 1e308", 1.0e308),
    ("true", True),
    ("10**30", BIG),
    ("-10**30", -BIG),
    ("16 digits", "1234567890123456"),
    ("list", [1]),
    ("object", {"x": 1}),
    ("NUL", "1\x00"),
    ("100k chars", "9" * 100_001),
]
PERIOD_ATTACKS = [
    "9999-Q4",
    "2026-Q0",
    "2026-Q5",
    "0000",
    "0001",
    "10000",
    "2026-13",
    "abc",
    "",
    "²٠٢٦",
]


def _kind(prop: dict[str, Any]) -> tuple[str, bool, dict[str, Any]]:
    """("string" | "date" | "id" | "number" | "boolean" | "strings" | "anys" | "objects" |
    "number_map" | "number_map_map", nullable, the non-null schema)."""
    options = prop.get("anyOf", [prop])
    nullable = any(option.get("type") == "null" for option in options)
    options = [option for option in options if option.get("type") != "null"]
    types = {option.get("type") for option in options}
    main = options[0]
    if types == {"string", "integer"}:
        return "number", True, main  # a decimal string or a whole number; null clears
    if types == {"string"}:
        return ("date" if main.get("format") == "date" else "string"), nullable, main
    if types == {"integer"}:
        return "id", nullable, main
    if types == {"boolean"}:
        return "boolean", nullable, main
    if types == {"array"}:
        items = main["items"]
        if "$ref" in items:
            return "objects", nullable, main
        if not items:
            return "anys", nullable, main
        return {"string": "strings"}[items["type"]], nullable, main
    if types == {"object"}:
        inner = main.get("additionalProperties", {})
        if inner.get("type") == "object":
            return "number_map_map", nullable, main
        return "number_map", nullable, main
    raise AssertionError(f"describe how to attack a property shaped {prop}")


def _values(body: str, name: str, prop: dict[str, Any]) -> Iterator[tuple[str, Any, bool]]:
    """(label, value, must_reject) for one property."""
    kind, nullable, main = _kind(prop)
    yield "null", None, not nullable
    if kind != "number_map" and kind != "number_map_map":
        yield "object", {"x": 1}, True
    if kind in ("string", "date"):
        yield "list", ["x"], True
        yield "NUL", NUL, True
        yield "100k chars", HUGE, True
        yield "number", 12345, True
        yield "true", True, True
    if kind == "string":
        free = name in FREE_TEXT
        if name not in FREE_TEXT | CODES:
            pytest.fail(f"{body}.{name}: say whether it is free text or a code")
        yield "unicode", UNICODE, not free
        yield "right-to-left", "\u202e1.1", not free
        if not free:
            yield "unknown code", UNKNOWN_CODE, True
        if main.get("minLength") or name in ("title", "period", "indicator"):
            yield "blank", "   ", True
            yield "empty", "", True
        if name == "period":
            for label in PERIOD_ATTACKS:
                yield f"period {label!r}", label, True
        if body.startswith("Indicator") and name == "code":
            for code in ("=1+1", "@SUM(A1)", "a|b", "a:b", "a/b"):
                yield f"code {code}", code, True
    if kind == "date":
        for value in ("not-a-date", "2024-02-30", "10000-01-01", "2024-13-01", "0000-01-01"):
            yield value, value, True
    if kind == "id":
        yield "1.5", 1.5, True
        yield "-1", -1, True
        yield "0", 0, True
        yield "10**30", BIG, True
        yield "-10**30", -BIG, True
        yield "2**63", 2**63, True
        yield "text", "abc", True
        yield "no such id", 2**62, True
        yield "list", [1], True
    if kind == "boolean":
        for label, value in (("maybe", "maybe"), ("2", 2), ("1.5", 1.5), ("list", [True])):
            yield label, value, True
    if kind == "number":
        coordinate = name in ("latitude", "longitude")
        for label, value in NUMBER_ATTACKS:
            if not (coordinate and label == "5 decimals"):  # 6 decimals are ~10 cm
                yield label, value, True
        if coordinate:
            yield "7 decimals", "1.1234567", True
        for label, value in (("-0", "-0"), ("-0.0", "-0.0"), ("0", 0), ("spaces", " 12 ")):
            yield label, value, False
        if name == "latitude":
            yield "91", "91", True
            yield "-90.5", "-90.5", True
        if name == "longitude":
            yield "180.0001", "180.0001", True
        if name in ("value", "baseline_value"):
            yield "-1", "-1", True
    if kind in ("strings", "anys", "objects"):
        yield "text", "x", True
        yield "[null]", [None], True
        yield "[[]]", [[]], True
        yield "100001 items", ["3.b"] * 100_001, True
    if kind == "strings":
        yield "[1]", [1], True
        yield "[NUL]", [NUL], True
        yield "[100k chars]", [HUGE], True
        yield "[unknown]", [UNKNOWN_CODE], True
        yield "[unicode]", [UNICODE], True
    if kind == "anys":  # dimension categories: codes or {code, label}
        yield "[1, 2]", [1, 2], True
        yield "[NUL]", ["a\x00", "b"], True
        yield "[100k chars]", [HUGE, "b"], True
        yield "one", ["a"], True
        yield "twice", ["a", "a"], True
        yield "colon", ["a:b", "c"], True
        yield "{code: NUL}", [{"code": "a\x00", "label": "A"}, "b"], True
        yield "{label: NUL}", [{"code": "a", "label": "A\x00"}, "b"], True
        yield "{code: 100k}", [{"code": HUGE}, "b"], True
        yield "{code: list}", [{"code": ["a"]}, "b"], True
        yield "100001 categories", [f"c{i}" for i in range(100_001)], True
        yield "501 categories", [f"c{i}" for i in range(501)], True
    if kind == "objects":
        yield "501 sites", [_site()] * 501, True
        yield "[1]", [1], True
    if kind in ("number_map", "number_map_map"):
        yield "text", "x", True
        yield "list", [1], True
        # (100 001 entries would pass 1 MiB, which the API refuses with a 413 as a whole.)
        yield "20001 entries", {f"k{i}": "1" for i in range(20_001)}, True
    if kind == "number_map":
        keys_are_periods = name == "targets"
        key = "2025-Q1" if keys_are_periods else "sex:female"
        for label, value in NUMBER_ATTACKS:
            yield f"{{{key}: {label}}}", {key: value}, True
        if keys_are_periods:
            for label in PERIOD_ATTACKS:
                yield f"{{{label!r}: 1}}", {label: "1"}, True
            yield "{2025-Q1: -1}", {key: "-1"}, True
            yield "801 periods", {f"{2000 + i // 4}-Q{i % 4 + 1}": "1" for i in range(801)}, True
            yield "{2025-Q1: null}", {key: None}, False  # removes the target
        else:
            for category in ("sex:other", "sex", ":female", UNKNOWN_CODE, "a\x00", HUGE):
                yield f"{{{category[:12]!r}: 1}}", {category: "1"}, True
            yield "half a breakdown", {"sex:female": "5"}, True
            yield "does not add up", {"sex:female": "5", "sex:male": "5"}, True
            yield "501 categories", {f"sex:c{i}": "1" for i in range(501)}, True
    if kind == "number_map_map":
        yield "{2025-Q1: x}", {"2025-Q1": "x"}, True
        yield "{2025-Q1: [1]}", {"2025-Q1": [1]}, True
        for label, value in NUMBER_ATTACKS:
            yield f"{{2025-Q1: {{sex:female: {label}}}}}", {"2025-Q1": {"sex:female": value}}, True
        for label in PERIOD_ATTACKS:
            yield f"{{{label!r}: ...}}", {label: {"sex:female": "1"}}, True
        for category in ("sex:other", UNKNOWN_CODE, "a\x00", HUGE):
            yield f"{{2025-Q1: {{{category[:12]!r}: 1}}}}", {"2025-Q1": {category: "1"}}, True
        yield "501 categories", {"2025-Q1": {f"sex:c{i}": "1" for i in range(501)}}, True
        yield "601 periods", {f"{2000 + i // 4}-Q{i % 4 + 1}": {} for i in range(601)}, True


def mutations(body: str) -> list[Mutation]:
    """Every hostile variation of a valid `body`: the whole body, then each property (and
    each property of the objects in a list, e.g. sites) in turn."""
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
        Mutation("5000-digit number", None, True, raw=b'{"' + first + b'": ' + b"9" * 5000 + b"}"),
        Mutation("over 1 MiB", None, True, raw=b'{"' + first + b'": "' + b"x" * 2**20 + b'"}'),
    ]
    for name, prop in schema.get("properties", {}).items():
        for label, value, must_reject in _values(body, name, prop):
            found.append(Mutation(f"{name}={label}", set_path((name,), value), must_reject, name))
        kind, _nullable, main = _kind(prop)
        if kind == "objects":
            item = main["items"]["$ref"].rsplit("/", 1)[1]
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


@pytest.mark.parametrize("op", JSON_WRITES, ids=lambda op: op.id)
def test_api_hostile_bodies_are_refused_with_a_field_error_and_nothing_saved(world, op):
    """Given A's coordinator and the operation's valid body, when one part of it is made
    hostile (malformed JSON, wrong types, null, floats, 100k characters, NUL bytes,
    unknown codes, 1e400, NaN, Infinity, period labels such as 9999-Q4, 2026-Q0 and 0000,
    foreign or missing ids, 100 001 list items or dict entries…), then the answer is a 4xx
    in the error envelope (a 422 names the field), never a 500, and nothing is saved.
    Legitimate oddities (emoji in free text, -0, a target removed with null) may be
    accepted, but never answer with a 500."""
    problems = attack(api_client(world.a.coordinator), op, world)
    assert not problems, "\n".join(f"{label}: {problem}" for label, problem in problems)


def test_api_minus_zero_is_stored_as_zero(world):
    """-0 is a legitimate way to write 0: it is stored and shown as 0, never "-0"."""
    client = api_client(world.a.coordinator)
    base = f"/api/v1/partnerships/{world.a.partnership.slug}/results"
    response = call(
        client,
        "POST",
        f"{base}/values",
        {"indicator": "1.1", "period": "2025-Q3", "value": "-0.0", "narrative": "None"},
    )
    assert response.status_code == 201, response.content
    assert response.json()["value"] == "0"
    target = call(client, "PUT", f"{base}/indicators/1.1/targets", {"targets": {"2025-Q3": "-0"}})
    assert target.status_code == 200, target.content
    assert Target.objects.get(indicator=world.a.m.trained, period__start__month=7).value == 0
    assert "-0" not in [t["value"] for t in target.json()["targets"]]


def test_api_a_refused_value_for_a_period_not_stored_yet_leaves_no_period_behind(world):
    """A value for a period that has started but is not stored yet (2024-Q3) that is
    refused for its figure (or its breakdown, or its site) stores nothing — not even the
    period."""
    client = api_client(world.a.coordinator)
    base = f"/api/v1/partnerships/{world.a.partnership.slug}/results"
    for change in (
        {"value": "1e400"},
        {"value": "12", "values": {"sex:female": "1"}},
        {"value": "12", "sites": [{"name": "x", "latitude": "91", "longitude": "0"}]},
        {"value": "12", "narrative": "n" * 10_001},
    ):
        before = snapshot()
        response = call(
            client, "POST", f"{base}/values", {"indicator": "1.1", "period": "2024-Q3", **change}
        )
        assert response.status_code == 422, (change, response.content)
        assert changed_tables(before, snapshot()) == [], change


HOSTILE_PATH_VALUES = ["abc", "-1", "0", str(BIG), "a%00b", "x" * 300, "%F0%9F%92%A7", "%C2%B2"]
HOSTILE_INTEGERS = ["abc", "-1", "0", "1.5", str(BIG), "1e3", "", "²", "9" * 5000]
HOSTILE_STRINGS = [NUL, "x" * 5000, UNICODE, "", "%", "²", "9" * 5000, *PERIOD_ATTACKS]


def _query_values(schema: dict[str, Any]) -> list[str]:
    options = schema.get("anyOf", [schema])
    integer = any(option.get("type") == "integer" for option in options)
    return HOSTILE_INTEGERS if integer else HOSTILE_STRINGS


def test_api_hostile_paths_and_query_strings_never_fail_with_a_500(world):
    """Given A's coordinator, when any results endpoint is called with a hostile value in a
    path segment (slug, id, code) or a query parameter (filters, limit, offset, the
    portfolio's goal, the template's period and partner), then the answer is 200, 404 or
    a 4xx in the error envelope — never a 500 — and nothing changes."""
    client = api_client(world.a.coordinator)
    problems = []
    for op in RESULTS_OPERATIONS:
        kinds = id_kinds(op.path)
        base = {
            "slug": world.a.partnership.slug,
            **{n: ids_of(world.a)[k] for n, k in kinds.items()},
        }
        if "values/{pk}" in op.path:
            base["pk"] = world.a.approved.pk
        body = valid_body(op.body, world) if op.body else None
        attempts = [
            (fill(op.path, {**base, name: value}), {})
            for name in ("slug", *kinds)
            if "{" + name + "}" in op.path
            for value in HOSTILE_PATH_VALUES
        ]
        extra = [("period", {"type": "string"}), ("organisation", {"type": "integer"})]
        params = list(op.query_params) or (
            [(n, s, False) for n, s in extra] if "spreadsheet/template" in op.path else []
        )
        attempts += [
            (fill(op.path, base), {name: value})
            for name, schema, _required in params
            for value in _query_values(schema)
        ]
        writes = op.method != "GET"
        for url, query in attempts:
            before = snapshot() if writes else None
            response = call(client, op.method, url, body, query=query)
            status = response.status_code
            if status >= 500 or status not in (200, 404, 405, 409, 422, 400):
                problems.append((op.id, url[:120], str(query)[:80], status))
            elif status >= 400:
                problem = envelope_problem(response)
                if problem:
                    problems.append((op.id, url[:120], str(query)[:80], problem))
                if writes and changed_tables(before, snapshot()):
                    problems.append((op.id, url[:120], str(query)[:80], "refused but changed"))
            elif writes:
                problems.append(
                    (op.id, url[:120], str(query)[:80], f"write accepted with {status}")
                )
    assert problems == []


def test_api_bad_filters_and_pages_are_field_errors(world):
    """A wrong filter or page on the values list, a goal out of 1-17 on the portfolio and
    a bad period or partner on the template are 422s naming the parameter."""
    client = api_client(world.a.coordinator)
    base = f"/api/v1/partnerships/{world.a.partnership.slug}/results"
    cases = [
        (f"{base}/values", {"organisation": "abc"}, "organisation"),
        (f"{base}/values", {"organisation": "-1"}, "organisation"),
        (f"{base}/values", {"organisation": str(BIG)}, "organisation"),
        (f"{base}/values", {"organisation": "1.5"}, "organisation"),
        (f"{base}/values", {"limit": "abc"}, "limit"),
        (f"{base}/values", {"limit": "-1"}, "limit"),
        (f"{base}/values", {"limit": str(BIG)}, "limit"),
        (f"{base}/values", {"offset": "-5"}, "offset"),
        (f"{base}/values", {"offset": "1e3"}, "offset"),
        (f"{base}/values", {"indicator": UNKNOWN_CODE}, "indicator"),
        (f"{base}/values", {"indicator": "x" * 5000}, "indicator"),
        (f"{base}/values", {"period": "2026-Q0"}, "period"),
        (f"{base}/values", {"period": "0000"}, "period"),
        (f"{base}/values", {"period": "abc"}, "period"),
        (f"{base}/values", {"status": "bogus"}, "status"),
        (f"{base}/values", {"status": NUL}, "status"),
        ("/api/v1/results/portfolio", {"goal": "18"}, "goal"),
        ("/api/v1/results/portfolio", {"goal": "0"}, "goal"),
        ("/api/v1/results/portfolio", {"goal": "²"}, "goal"),
        ("/api/v1/results/portfolio", {"goal": "9" * 5000}, "goal"),
        ("/api/v1/results/portfolio", {"goal": "3.b"}, "goal"),
        (f"{base}/spreadsheet/template", {"period": "9999-Q4"}, "period"),
        (f"{base}/spreadsheet/template", {"period": "2026-Q0"}, "period"),
        (
            f"{base}/spreadsheet/template",
            {"period": "2025-Q1", "organisation": "²"},
            "organisation",
        ),
        (
            f"{base}/spreadsheet/template",
            {"period": "2025-Q1", "organisation": "9" * 5000},
            "organisation",
        ),
        (
            f"{base}/spreadsheet/template",
            {"period": "2025-Q1", "organisation": str(world.b.m.ngo.pk)},
            "organisation",
        ),
    ]
    problems = []
    for url, query, field in cases:
        response = client.get(url, query)
        if response.status_code != 422 or envelope_problem(response, field=field):
            problems.append((url, str(query)[:60], response.status_code, response.content[:200]))
    assert problems == []


def test_api_a_nul_in_a_spreadsheet_form_field_is_a_field_error(world):
    """The spreadsheet preview and import take form fields: a NUL, a bad period or a
    foreign partner there is a 422 naming it, and nothing is written."""
    client = api_client(world.a.coordinator)
    base = f"/api/v1/partnerships/{world.a.partnership.slug}/results/spreadsheet"
    upload = SimpleUploadedFile("values.xlsx", b"PK not really", "application/octet-stream")
    problems = []
    for action in ("preview", "import"):
        for data, field in (
            ({"period": "2025-Q1\x00"}, "period"),
            ({"period": "9999-Q4"}, "period"),
            ({"period": "2026-Q0"}, "period"),
            ({"organisation": "²"}, "organisation"),
            ({"organisation": "9" * 5000}, "organisation"),
            ({"organisation": str(world.b.m.ngo.pk)}, "organisation"),
            ({"organisation": "1\x00"}, "organisation"),
        ):
            upload.seek(0)
            before = snapshot()
            response = client.post(f"{base}/{action}", {**data, "file": upload})
            if response.status_code != 422 or envelope_problem(response, field=field):
                problems.append((action, data, response.status_code, response.content[:200]))
            if changed_tables(before, snapshot()):
                problems.append((action, data, "changed"))
    assert problems == []


def test_pages_a_nul_in_the_path_or_query_string_is_a_bad_request(world):
    """A NUL character in a results page's query string or path answers 400 (PostgreSQL
    would fail on it with a 500) and nothing changes."""
    client = web_client(world.a.coordinator)
    urls = ["/en/results/goals/3%00/", "/en/results/?goal=%00"]
    for page in RESULTS_PAGES:
        urls.append(page.url(page_values(page, world.a)) + "?period=%00&year=%00&q=%00")
    before = snapshot()
    answers = {url: (client.get(url).status_code, client.post(url).status_code) for url in urls}
    assert {url: codes for url, codes in answers.items() if codes != (400, 400)} == {}
    assert changed_tables(before, snapshot()) == []


def test_pages_hostile_paths_and_query_strings_never_fail_with_a_500(world):
    """Period labels such as 9999-Q4, 2026-Q0 or 0000, unknown SDG goals and wrong-typed
    filters in a page's path or query answer 200, 404 or an inline error — never a 500 —
    and a post to them saves nothing."""
    client = web_client(world.a.coordinator)
    slug = world.a.partnership.slug
    trained = world.a.m.trained.pk
    urls = [f"/en/results/goals/{goal}/" for goal in ("0", "18", "²", "9" * 300, "3.b", "abc")]
    urls += [
        reverse("results-value-edit", args=[slug, trained, label])
        for label in ("9999-Q4", "2026-Q0", "0000", "0001", "2026-Q9", "x" * 300, "²٠٢٦-Q1")
    ]
    urls += [
        reverse("results-targets", args=[slug, trained]) + f"?year={year}"
        for year in ("9999", "-1", "abc", "9" * 5000, "0", "²")
    ]
    for export in ("results-export-csv", "results-export-xlsx"):
        url = reverse(export, args=[slug])
        urls += [
            f"{url}?{urlencode({name: value})}"
            for name in ("period", "indicator", "status")
            for value in ("9999-Q4", "2026-Q0", "0000", "x" * 5000, UNICODE, "²")
        ]
    template = reverse("results-spreadsheet-template", args=[slug])
    urls += [
        f"{template}?{urlencode({'period': period, 'organisation': organisation})}"
        for period, organisation in (
            ("9999-Q4", "1"),
            ("2025-Q1", "²"),
            ("2025-Q1", "9" * 5000),
            ("2025-Q1", str(world.b.m.ngo.pk)),
            ("0000", "abc"),
        )
    ]
    problems = []
    for url in urls:
        before = snapshot()
        for method in ("get", "post"):
            response = getattr(client, method)(
                url, {"value": "5", "action": "draft"} if method == "post" else None
            )
            if response.status_code >= 500:
                problems.append((url[:100], method, response.status_code))
            if response.get("Content-Type", "").startswith("application/vnd.openxml") and (
                "template" in url
            ):
                problems.append((url[:100], method, "a template for a bad period or partner"))
        if changed_tables(before, snapshot()):
            problems.append((url[:100], "changed", changed_tables(before, snapshot())))
    assert problems == []


# Pages: hostile posts per form -------------------------------------------------------------


@dataclass(frozen=True)
class Form:
    page: str  # URL name
    kwargs: Callable[[World], dict[str, Any]]
    valid: Callable[[World], dict[str, Any]]
    hostile: list[dict[str, Any]]
    htmx: bool = False
    success: int = 302


def _a(**extra: Callable[[World], Any]) -> Callable[[World], dict[str, Any]]:
    return lambda w: {"slug": w.a.partnership.slug, **{k: f(w) for k, f in extra.items()}}


def _indicator_form(w: World) -> dict[str, Any]:
    return {
        "result": w.a.m.output.pk,
        "code": "7.7",
        "title": "Vaccinators trained",
        "measure": "1",
        "unit": "people",
        "ascending": "on",
        "accumulation": "cumulative",
        "frequency": "quarterly",
        "baseline_value": "0",
        "baseline_date": "2024-12-31",
        "responsible": w.a.m.ngo.pk,
        "sdg_indicator": "3.b.1",
        "dimensions": [w.a.m.sex.pk],
    }


# Many lines, yet under the 1 MiB a form post may carry (beyond it Django answers 400).
MANY_LINES = "\n".join(f"c{i}, C {i}" for i in range(20_001))
MANY_SITES = "\n".join(f"Site {i}, -6.9, 107.6" for i in range(20_001))

FORMS = [
    Form(
        "results-result-new",
        _a(),
        lambda w: {"type": "1", "title": "Vaccinators trained", "parent": w.a.m.outcome.pk},
        [
            {"title": NUL},
            {"title": HUGE},
            {"title": "   "},
            {"description": "d\x00"},
            {"type": "7"},
            {"type": "3"},  # an impact under an outcome
            {"parent": "__b_result__"},
            {"parent": str(BIG)},
            {"parent": "abc"},
            {"parent": "-1"},
            {"sdg_targets": "99.z"},
            {"sdg_targets": "3.b\x00"},
            {"sdg_targets": ",".join(["3.b"] * 5000) + ",zz"},
        ],
    ),
    Form(
        "results-result-edit",
        _a(pk=lambda w: w.a.m.output.pk),
        lambda w: {"type": "1", "title": "Workers trained", "parent": w.a.m.outcome.pk},
        [
            {"title": ""},
            {"parent": "__a_output__"},  # under itself
            {"type": "3"},
            {"parent": "__b_result__"},
        ],
    ),
    Form(
        "results-indicator-new",
        _a(),
        _indicator_form,
        [
            {"code": NUL},
            {"code": "c" * 21},
            {"code": "2.1"},  # taken
            {"code": "=1+1"},
            {"title": HUGE},
            {"measure": "9"},
            {"accumulation": "sideways"},
            {"frequency": "hourly"},
            {"baseline_value": "1e400"},
            {"baseline_value": "NaN"},
            {"baseline_value": "Infinity"},
            {"baseline_value": "-1"},
            {"baseline_value": "1.12345"},
            {"baseline_value": "9" * 5000},
            {"baseline_value": "1\x00"},
            {"baseline_date": "99999-01-01"},
            {"baseline_date": "2024-02-30"},
            {"sdg_indicator": "99.9.9"},
            {"result": "__b_result__"},
            {"result": str(BIG)},
            {"responsible": "__b_org__"},
            {"dimensions": ["__b_dimension__"]},
            {"dimensions": [str(BIG)]},
            {"dimensions": ["abc"]},
        ],
    ),
    Form(
        "results-indicator-edit",
        _a(pk=lambda w: w.a.m.trained.pk),
        lambda w: {**_indicator_form(w), "code": "1.1"},
        [
            {"frequency": "monthly"},  # values were reported
            {"measure": "2"},
            {"code": "2.1"},
            {"title": NUL},
            {"baseline_value": "-0.00001"},
        ],
    ),
    Form(
        "results-targets",
        _a(pk=lambda w: w.a.m.coverage.pk),
        lambda w: {"year": "2025", "t:2025-Q1": "75", "t:2025-Q1:sex:female": "76"},
        [
            {"t:2025-Q1": "1e400"},
            {"t:2025-Q1": "NaN"},
            {"t:2025-Q1": "Infinity"},
            {"t:2025-Q1": "101"},  # a percentage
            {"t:2025-Q1": "-1"},
            {"t:2025-Q1": "abc"},
            {"t:2025-Q1": "7\x00"},
            {"t:2025-Q1": "9" * 5000},
            {"t:2025-Q1:sex:female": "1.12345"},
            {"t:2025-Q1:sex:male": "-5"},
            {"year": "9999"},  # never saved under the default year instead
            {"year": "0000"},
            {"year": "²٠٢٥"},
            {"year": "9" * 5000},
        ],
    ),
    Form(
        "results-dimension-new",
        _a(),
        lambda w: {"name": "Disability", "kind": "custom", "categories": "yes, Yes\nno, No"},
        [
            {"name": NUL},
            {"name": "n" * 101},
            {"name": "   "},
            {"kind": "bogus"},
            {"categories": "a\x00, A\nb, B"},
            {"categories": "only, One"},
            {"categories": "a, A\na, Again"},
            {"categories": "a:b, A\nc, C"},
            {"categories": "c" * 41 + ", Long\nd, D"},
            {"categories": MANY_LINES},
            {"kind": "subdivision", "categories": "XX-ZZ, Nowhere\nID-JB, Jawa Barat"},
            {"name": "Sex"},  # its code is taken
        ],
    ),
    Form(
        "results-value-edit",
        _a(pk=lambda w: w.a.m.trained.pk, period=lambda w: "2025-Q3"),
        lambda w: {
            "value": "12",
            "cat:sex:female": "5",
            "cat:sex:male": "7",
            "narrative": "Twelve trained",
            "sites": "Puskesmas Tasik, -7.35, 108.2, ID-JB",
            "action": "draft",
        },
        [
            {"value": "1e400"},
            {"value": "NaN"},
            {"value": "Infinity"},
            {"value": "-Infinity"},
            {"value": "-1"},
            {"value": "abc"},
            {"value": "1.12345"},
            {"value": "9" * 5000},
            {"value": "1\x00"},
            {"value": "13"},  # sex does not add up
            {"cat:sex:female": "abc"},
            {"cat:sex:female": "NaN", "cat:sex:male": "12"},
            {"cat:sex:female": ""},  # half a breakdown
            {"narrative": "n" * 10_001},
            {"narrative": "n\x00"},
            {"sites": "Nowhere, 91, 0"},
            {"sites": "Nowhere, 0, 181"},
            {"sites": "Nowhere, 1e400, 0"},
            {"sites": "Nowhere, NaN, 0"},
            {"sites": "only a name"},
            {"sites": "Nowhere, 1, 1, XX-ZZ"},
            {"sites": "N\x00, 1, 1"},
            {"sites": MANY_SITES},
            {"sites": "s" * 201 + ", 1, 1"},
        ],
    ),
    Form(
        "results-review-decide",
        _a(pk=lambda w: w.a.submitted.pk),
        lambda w: {f"s{w.a.submitted.pk}-comment": "Checked", "action": "approve"},
        [
            {"action": "bogus"},
            {"action": ""},
            {"action": "return", "__comment__": ""},  # a return needs a comment
            {"action": "return", "__comment__": "   "},
            {"__comment__": "c" * 1001},
            {"__comment__": "c\x00"},
        ],
        htmx=True,
    ),
]


def _hostile_data(form: Form, world: World, changes: dict[str, Any]) -> dict[str, Any]:
    placeholders = {
        "__b_result__": str(world.b.m.outcome.pk),
        "__b_org__": str(world.b.m.ngo.pk),
        "__b_dimension__": str(world.b.extra_dimension.pk),
        "__a_output__": str(world.a.m.output.pk),
    }
    data = form.valid(world)
    for key, value in changes.items():
        if key == "__comment__":
            key = f"s{world.a.submitted.pk}-comment"
        if isinstance(value, list):
            data[key] = [placeholders.get(item, item) for item in value]
        else:
            data[key] = placeholders.get(value, value)
    return data


@pytest.mark.parametrize("form", FORMS, ids=lambda form: form.page)
def test_pages_hostile_form_posts_show_an_inline_error_and_save_nothing(world, form):
    """Given A's coordinator, when a results form is posted with one hostile field (NUL
    bytes, 100k characters or lines, 1e400, NaN, Infinity, negative or over-precise
    figures, unknown choices, out-of-range or foreign ids, breakdowns that do not add up,
    sites off the globe, duplicates), then the form comes back with an inline error —
    422 (200 to htmx, which swaps only a 2xx in), never a 500 or a redirect — and nothing
    is saved. The valid post itself goes
    through (so the refusals above are the hostile field's)."""
    client = web_client(world.a.coordinator)
    problems = []
    for changes, htmx in itertools.product(form.hostile, (False, True) if form.htmx else (False,)):
        url = reverse(form.page, kwargs=form.kwargs(world))
        before = snapshot()
        headers = {"HX-Request": "true"} if htmx else {}
        response = client.post(url, _hostile_data(form, world, changes), headers=headers)
        text = response.content.decode(errors="replace")
        label = (str(changes)[:80], "htmx" if htmx else "page")
        # htmx swaps only a 2xx answer in: an inline error in a 4xx would never show.
        if response.status_code != (200 if htmx else 422):
            problems.append((label, response.status_code))
        elif not any(marker in text for marker in ERROR_MARKERS):
            problems.append((label, "no inline error shown"))
        if changed_tables(before, snapshot()):
            problems.append((label, f"saved {changed_tables(before, snapshot())}"))
    valid = client.post(reverse(form.page, kwargs=form.kwargs(world)), form.valid(world))
    assert valid.status_code == form.success, valid.content.decode()[:2000]
    assert problems == []


def test_pages_a_post_over_the_size_limit_is_a_bad_request_and_saves_nothing(world):
    """100 001 categories or sites in a form pass the 1 MiB a post may carry: Django
    refuses the request as a whole (400), never a 500, and nothing is saved."""
    client = web_client(world.a.coordinator)
    slug = world.a.partnership.slug
    posts = [
        (
            reverse("results-dimension-new", args=[slug]),
            {"name": "Many", "kind": "custom", "categories": MANY_LINES * 6},
        ),
        (
            reverse("results-value-edit", args=[slug, world.a.m.trained.pk, "2025-Q3"]),
            {"value": "12", "sites": MANY_SITES * 5, "action": "draft"},
        ),
    ]
    before = snapshot()
    answers = [client.post(url, data).status_code for url, data in posts]
    assert answers == [400, 400]
    assert changed_tables(before, snapshot()) == []


def test_pages_evidence_with_a_nul_or_control_characters_in_its_name_is_not_stored_so(world):
    """An evidence file whose name holds a NUL or control characters (PostgreSQL refuses
    NUL) is refused or stored under a clean name — never a 500."""
    client = web_client(world.a.coordinator)
    url = reverse(
        "results-value-edit", args=[world.a.partnership.slug, world.a.m.trained.pk, "2025-Q3"]
    )
    for name in ("list\x00.pdf", "li\x07st\r\n.pdf", "\x00"):
        response = client.post(
            url,
            {"value": "12", "narrative": "x", "action": "draft", "evidence": _pdf(name)},
        )
        assert response.status_code in (302, 422), (name, response.status_code)
    names = list(Evidence.objects.values_list("name", flat=True))
    assert not any("\x00" in n or "\x07" in n or "\r" in n for n in names), names


# Fuzzing -------------------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | st.sampled_from(
        [
            NUL,
            UNICODE,
            UNKNOWN_CODE,
            "3.b",
            "ID-JB",
            "2025-Q1",
            "sex:female",
            "1e400",
            "-0",
            "NaN",
            *PERIOD_ATTACKS,
        ]
    ),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=3)
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
    """Fuzzing: the valid body of any results write with random JSON in random fields
    answers 2xx or a 4xx in the error envelope, never a 500; a refused body changes
    nothing."""
    op = data.draw(st.sampled_from(JSON_WRITES), label="operation")
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


def _progress_rows(partnership: Partnership) -> dict[str, Any]:
    return {
        "status": list(
            IndicatorStatus.objects.filter(partnership=partnership).order_by("pk").values()
        ),
        "sdg": list(SdgProgress.objects.filter(partnership=partnership).order_by("pk").values()),
    }


def _broken_append(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("the ledger cannot append")


def test_a_failing_ledger_append_leaves_the_value_submitted_and_progress_unchanged(
    world, monkeypatch
):
    """Given the ledger's append fails (the function the results services imported from
    `sinergi.ledger.log` raises), when a coordinator approves a submitted value — through
    the API, the review page (plain and HTMX) or the service — then the approval fails as
    a whole: the value stays submitted and not in force, the revision in force is still
    in force, no entry is added, and IndicatorStatus and SdgProgress are unchanged."""
    assert services.record is log.append  # the name the service calls the ledger by
    a = world.a
    submission = _awaiting_review(a)
    before_rows = snapshot()
    before_progress = _progress_rows(a.partnership)
    monkeypatch.setattr(services, "record", _broken_append)
    slug = a.partnership.slug

    with pytest.raises(RuntimeError):
        services.approve(actor=a.coordinator, submission=submission, comment="ok")
    api = call(
        api_client(a.coordinator),
        "POST",
        f"/api/v1/partnerships/{slug}/results/values/{submission.pk}/approve",
        {"comment": "ok"},
    )
    pages = [
        web_client(a.coordinator).post(
            reverse("results-review-decide", args=[slug, submission.pk]),
            {f"s{submission.pk}-comment": "ok", "action": "approve"},
            headers=headers,
        )
        for headers in ({}, {"HX-Request": "true"})
    ]

    assert [api.status_code] + [page.status_code for page in pages] == [500, 500, 500]
    submission.refresh_from_db()
    assert submission.status == Status.SUBMITTED
    assert not submission.is_current and submission.ledger_index is None
    assert Submission.objects.get(pk=a.approved.pk).is_current
    assert _progress_rows(a.partnership) == before_progress
    assert changed_tables(before_rows, snapshot()) == []


def test_the_same_approval_goes_through_with_a_working_ledger(world):
    """The approval above does change the value, the ledger and the roll-ups when the
    ledger works (so the rollback is the ledger's doing)."""
    a = world.a
    submission = _awaiting_review(a)
    before_progress = _progress_rows(a.partnership)
    entries = Entry.objects.count()
    response = call(
        api_client(a.coordinator),
        "POST",
        f"/api/v1/partnerships/{a.partnership.slug}/results/values/{submission.pk}/approve",
        {"comment": "ok"},
    )
    assert response.status_code == 200, response.content
    submission.refresh_from_db()
    assert submission.status == Status.APPROVED and submission.is_current
    assert Entry.objects.count() == entries + 1
    assert _progress_rows(a.partnership) != before_progress


def test_a_failing_ledger_append_rolls_back_a_new_indicator_too(world, monkeypatch):
    """The same for the framework: an indicator added while the ledger fails is not kept,
    nor are its roll-ups."""
    a = world.a
    monkeypatch.setattr(services, "record", _broken_append)
    before = snapshot()
    response = call(
        api_client(a.coordinator),
        "POST",
        f"/api/v1/partnerships/{a.partnership.slug}/results/indicators",
        valid_body("IndicatorIn", world),
    )
    assert response.status_code == 500
    assert changed_tables(before, snapshot()) == []
    with pytest.raises(RuntimeError):
        services.set_targets(actor=a.coordinator, indicator=a.m.trained, targets={"2025-Q3": "7"})
    assert changed_tables(before, snapshot()) == []


def test_services_refuse_unparseable_figures_without_touching_the_database(world):
    """The services (called by pages, the API and the spreadsheet) refuse hostile figures
    themselves."""
    a = world.a
    for raw in ("1e400", "NaN", "Infinity", "-Infinity", "sNaN", 1.5, True, "1.12345", "9" * 50):
        with pytest.raises(ValidationError):
            services.parse_value(raw)
    for label in PERIOD_ATTACKS:
        with pytest.raises(ValidationError):
            services.find_period(a.partnership, "quarterly", label)
        with pytest.raises(ValidationError):
            services.find_period(a.partnership, "yearly", label)
