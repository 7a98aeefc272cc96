"""A hostile-input sweep over every server-rendered page, read from Django's URL resolver.

The routes are those under the language prefix (/en/…) whose URL configuration is one of
the project's own (sinergi.*), found by walking `get_resolver()` through its includes at
import time, so a new page is swept without touching this file. The admin, the JSON API
(/api/…, swept by tests/api/test_openapi_sweep.py), static and media files are left out;
the ledger's plain-text endpoints (/ledger/checkpoint, /ledger/vkey) live outside the
language prefix, so the walk never meets them. A path parameter the sweep cannot fill
fails that route's tests until PAGE_IDS names it.

The world is the API sweep's (`build_world()`: a private partnership with a little of
everything, coordinated by `caller`), built once for the module, plus the few objects that
only pages name (a document, an invitation, a password-reset link, a colleague without a
role). For each route:

- as the coordinator, GET with the real path arguments (in each language, and as htmx),
  then with each path argument in turn replaced by a non-numeric string, -1, 0, 2**63,
  2**64, 300 characters, a NUL byte, unicode and a slug that names nothing; then with
  hostile query strings: `page` and every parameter the view reads (found in the view's
  source and its helpers: `request.GET.get("…")`, forms bound to `request.GET`, and
  <form method="get"> on the pages that submit to it; QUERY_NAMES for names computed at
  run time) set in turn to letters, -1, 0, 10**20, 2**64, 300 and 10,000 characters, a
  NUL byte, unicode and an impossible date; all of them repeated, all of them at once,
  and undeclared ones;
- as the coordinator, for a route that takes POST: no fields; then the fields of its
  <form> (found, by the form's action, on every page of the site and on the previews its
  upload forms answer with; FORMS_NOT_SHOWN for the few no page shows), filled plausibly
  (the site's own templates as files), with each field in turn hostile for its kind
  (10,000 characters, a NUL byte, unicode; letters, 1e308, "1e999", 10**30 and a negative
  amount in number fields; 2025-02-30 and other impossible dates; values no select offers;
  empty and junk files); every field hostile at once (also as htmx and in Indonesian);
  every field repeated; the plausible fields with hostile path arguments; and last the
  plausible fields alone;
- anonymous and as an outsider (a signed-in person with no membership), GET with the real
  path arguments, and POST nothing and the plausible fields to the private partnership's
  pages.

Every answer must be below 500; a refused POST (a 4xx, a 200 that shows form errors, or a
redirect carrying an error message) must leave the row count of every table of the
project's apps, and the size of the ledger (`Head.size`), as they were; an outsider gets
404 from every page of the private partnership, the anonymous visitor 404 or the sign-in
page, and neither ever sees the private partnership's title. Each request runs in a
savepoint that is rolled back afterwards (and the client's cookies are put back), so every
case meets the same world.
"""

from __future__ import annotations

import copy
import inspect
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote, urlencode, urljoin, urlsplit

import pytest
from django import forms as django_forms
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.contrib.messages import constants as message_levels
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.http import HttpRequest
from django.test import Client, override_settings
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.resolvers import LocalePrefixPattern, RegexPattern, RoutePattern
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from sinergi.access.models import Invitation, hash_secret, new_secret
from sinergi.core import stored
from sinergi.finance import services as finance_services
from sinergi.finance.models import Transaction
from sinergi.ledger import checkpoints
from sinergi.results import services as result_services
from sinergi.results.models import Indicator
from tests.api.test_openapi_sweep import (
    HOSTILE_PARAMS,
    LONG,
    NUL,
    UNICODE,
    World,
    build_world,
    census,
    changes_since,
    last_frames,
)
from tests.factories import PASSWORD, PersonFactory
from tests.results.spreadsheet_helpers import fill as fill_template

LANGUAGES = [code for code, _name in settings.LANGUAGES]
DEFAULT_LANGUAGE = "en"

# The routes --------------------------------------------------------------------------------

PLACEHOLDER = re.compile(r"\{(\w+)\}")
ROUTE_PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>\w+)>")
LEFT_OUT_PREFIXES = ("admin/", "api/", "static/", "media/")


@dataclass(frozen=True)
class Param:
    name: str
    converter: str  # "id", "slug", "str", … or "regex:<pattern>"
    literal: str  # the path segment before it ("transactions" in transactions/{pk}/)


@dataclass(frozen=True)
class Route:
    name: str
    template: str  # "partnerships/{slug}/finance/transactions/{pk}/", without the language
    params: tuple[Param, ...]
    view: Callable[..., Any]
    unfillable: str = ""  # why the template could not be built, if it could not

    def __str__(self) -> str:
        return self.name

    def path(self, values: dict[str, str], language: str = DEFAULT_LANGUAGE) -> str:
        filled = PLACEHOLDER.sub(lambda m: quote(values[m.group(1)], safe=""), self.template)
        return f"/{language}/{filled}"

    @property
    def in_private_partnership(self) -> bool:
        """A page of one partnership (under partnerships/{slug}/)."""
        return any(p.literal == "partnerships" and p.name == "slug" for p in self.params)


def _regex_template(regex: str) -> tuple[str, list[tuple[str, str]], str]:
    """A re_path's regex as a template: ^(?P<code>[0-9]{1,2})/$ → "{code}/"."""
    body = regex.removeprefix("^").removesuffix("$").removesuffix(r"\Z")
    out, params, i = [], [], 0
    while i < len(body):
        if body.startswith("(?P<", i):
            end_name = body.index(">", i)
            name = body[i + 4 : end_name]
            depth, j = 1, end_name + 1
            while depth and j < len(body):
                depth += {"(": 1, ")": -1}.get(body[j], 0) if body[j - 1] != "\\" else 0
                j += 1
            params.append((name, f"regex:{body[end_name + 1 : j - 1]}"))
            out.append("{" + name + "}")
            i = j
        elif body[i] == "\\" and i + 1 < len(body):
            out.append(body[i + 1])
            i += 2
        else:
            out.append(body[i])
            i += 1
    template = "".join(out)
    leftover = re.sub(r"\{\w+\}", "", template)
    problem = (
        f"the regex {regex!r} is more than named groups"
        if set("()[]*+?|^$") & set(leftover)
        else ""
    )
    return template, params, problem


def _pattern_template(pattern: Any) -> tuple[str, list[tuple[str, str]], str]:
    if isinstance(pattern, RoutePattern):
        route = pattern._route
        params = [(m["name"], m["converter"] or "str") for m in ROUTE_PARAMETER.finditer(route)]
        return ROUTE_PARAMETER.sub(lambda m: "{" + m["name"] + "}", route), params, ""
    if isinstance(pattern, RegexPattern):
        return _regex_template(pattern._regex)
    return "", [], f"a pattern of type {type(pattern).__name__}"


def _literal_before(template: str, name: str) -> str:
    """The last path segment before {name} that is not itself a parameter."""
    before = template[: template.index("{" + name + "}")]
    segments = [s for s in before.split("/") if s and not PLACEHOLDER.fullmatch(s)]
    return PLACEHOLDER.sub("", segments[-1]) if segments else ""


def _module_name(urlconf: Any, inherited: str) -> str:
    if isinstance(urlconf, str):
        return urlconf
    return getattr(urlconf, "__name__", inherited)


def _walk(
    patterns: list, prefix: str, params: list[tuple[str, str]], urlconf: str, problem: str
) -> Iterator[Route]:
    for entry in patterns:
        template, found, trouble = _pattern_template(entry.pattern)
        here, here_params = prefix + template, params + found
        if isinstance(entry, URLResolver):
            if "admin" in (entry.app_name, entry.namespace):
                continue
            module = _module_name(entry.urlconf_name, urlconf)
            yield from _walk(entry.url_patterns, here, here_params, module, problem or trouble)
        elif isinstance(entry, URLPattern):
            if not urlconf.startswith("sinergi.") or here.startswith(LEFT_OUT_PREFIXES):
                continue
            yield Route(
                name=entry.name or here,
                template=here,
                params=tuple(Param(n, c, _literal_before(here, n)) for n, c in here_params),
                view=entry.callback,
                unfillable=problem or trouble,
            )


def page_routes() -> list[Route]:
    """Every route under the language prefix whose URL configuration is the project's."""
    root = get_resolver()
    routes = []
    for entry in root.url_patterns:
        if isinstance(entry, URLResolver) and isinstance(entry.pattern, LocalePrefixPattern):
            urlconf = _module_name(entry.urlconf_name, _module_name(root.urlconf_name, ""))
            routes += _walk(entry.url_patterns, "", [], urlconf, "")
    return routes


ROUTES = page_routes()


# Query parameters a view reads -------------------------------------------------------------

GET_NAME = re.compile(r"""\bGET\.get(?:list)?\(\s*["']([^"']+)["']""")
GET_COMPUTED = re.compile(r"""\bGET\.get(?:list)?\(\s*(?!["'\s])""")
GET_FORM = re.compile(r"([A-Za-z_][\w.]*)\(\s*request\.GET\b")
CALL = re.compile(r"\b([A-Za-z_]\w*)\(")


def _dotted(module: Any, dotted: str) -> Any:
    found: Any = module
    for part in dotted.split("."):
        found = getattr(found, part, None)
    return found


def view_query_reading(view: Callable[..., Any]) -> tuple[set[str], list[str]]:
    """The query parameters a view of the project reads — `request.GET.get("…")` and the
    fields of forms bound to `request.GET`, in the view and in the functions of its own
    module that it calls (and they call) — and the functions that read a parameter whose
    name the source does not spell out."""
    start = inspect.unwrap(view)
    if not getattr(start, "__module__", "").startswith("sinergi."):
        return set(), []
    names: set[str] = set()
    unseen: list[str] = []
    todo, seen = [start], set()
    while todo:
        function = todo.pop()
        if function in seen:
            continue
        seen.add(function)
        try:
            source = inspect.getsource(function)
        except (OSError, TypeError):
            continue
        module = sys.modules[function.__module__]
        where = f"{function.__module__}.{function.__qualname__}"
        names.update(GET_NAME.findall(source))
        if GET_COMPUTED.search(source):
            unseen.append(where)
        for dotted in GET_FORM.findall(source):
            form = _dotted(module, dotted)
            if isinstance(form, type) and issubclass(form, django_forms.BaseForm):
                names.update(form.base_fields)
            elif dotted.endswith("Form"):
                unseen.append(f"{where} ({dotted})")
        for name in CALL.findall(source):
            called = getattr(module, name, None)
            if inspect.isfunction(called) and called.__module__ == function.__module__:
                todo.append(called)
    return names, unseen


def view_query_names(view: Callable[..., Any]) -> set[str]:
    return view_query_reading(view)[0]


# Query parameters a view reads under names its source computes: route name → the names.
QUERY_NAMES = {
    "results-export-csv": {"period", "indicator", "status"},
    "results-export-xlsx": {"period", "indicator", "status"},
}


# The world ---------------------------------------------------------------------------------


@dataclass
class Site:
    """The API sweep's world, the objects only pages name, and a client per visitor."""

    world: World
    ids: dict[str, str]
    private_title: str
    coordinator: Client
    outsider: Client
    anonymous: Client
    forms: dict[str, list[Form]] = field(default_factory=dict)  # by route name (POST)
    get_forms: dict[str, set[str]] = field(default_factory=dict)  # query names by route
    first_get: dict[str, int] = field(default_factory=dict)  # the valid GET's status
    # Markup faults of the pages crawled (a repeated id, a label for no field), by path.
    markup: dict[str, list[str]] = field(default_factory=dict)
    # Files the pages take, from the pages' own templates: (route, field) → (name, bytes, type)
    files: dict[tuple[str, str], tuple[str, bytes, str]] = field(default_factory=dict)


def page_ids(world: World) -> dict[str, str]:
    """World.ids, and the objects only pages name."""
    caller = world.caller
    partnership = caller.memberships.get().partnership
    recorded = Transaction.objects.get(pk=world.ids["transaction"])
    document = finance_services.attach_document(
        actor=caller,
        transaction=recorded,
        uploaded_file=SimpleUploadedFile("invoice.csv", b"item,amount\nbox,150000\n"),
    )
    secret = new_secret()
    Invitation.objects.create(
        email="guest@example.org",
        organisation=world.refs["organisation"],
        partnership=partnership,
        role="member",
        token_hash=hash_secret(secret),
        invited_by=caller,
        expires_at=timezone.now() + timedelta(days=7),
    )
    # A colleague with no role yet, so that the members page shows its "grant" form.
    PersonFactory(organisation=world.refs["organisation"])
    indicator = Indicator.objects.get(partnership=partnership, code=world.ids["indicator"])
    period = result_services.find_period(partnership, "quarterly", "2025-Q1")
    return {
        **{kind: str(value) for kind, value in world.ids.items()},
        "indicator_pk": str(indicator.pk),
        "open_period": "2025-Q2",
        "period_pk": str(period.pk),
        "document": str(document.pk),
        "invitation": secret,
        "reset_uid": urlsafe_base64_encode(force_bytes(caller.pk)),
        "reset_token": default_token_generator.make_token(caller),
        # Django's reset page keeps a real token in the session and shows its form at
        # …/set-password/ (see `site`, which follows the real link once).
        "reset_session_token": "set-password",
    }


# (the path segment before the parameter, its name) → the kind of object in page_ids().
PAGE_IDS = {
    ("partnerships", "slug"): "partnership",
    ("organisations", "slug"): "organisation",
    ("partners", "pk"): "participation",
    ("participations", "pk"): "participation",  # the organisation's own, to confirm
    ("members", "pk"): "membership",
    ("transactions", "pk"): "transaction",
    ("documents", "pk"): "document",
    ("pledges", "pk"): "pledge",
    ("budget", "pk"): "budget_line",
    ("work-packages", "pk"): "work_package",
    ("goals", "pk"): "goal",
    ("goals", "goal"): "sdg",  # the portfolio of one SDG
    ("needs", "pk"): "need",
    ("capabilities", "pk"): "capability",
    ("expectations", "pk"): "participation",
    ("expectations", "eid"): "expectation",
    ("indicators", "pk"): "indicator_pk",
    ("values", "period"): "open_period",
    ("evidence", "pk"): "evidence",
    ("review", "pk"): "value",  # a submitted value
    ("results", "pk"): "result",
    ("periods", "pk"): "period_pk",
    ("tokens", "pk"): "token",
    ("invitations", "token"): "invitation",
    ("v", "number"): "draft_version",  # agreement/v{number}/
    ("sign", "organisation"): "organisation",
    ("sdg", "code"): "sdg",
    ("reset", "uidb64"): "reset_uid",
    ("reset", "token"): "reset_token",
}
# Routes that reach their forms only on another object of the same kind.
PAGE_ID_OVERRIDES = {
    "finance-transaction-decide": {"pk": "pending_transaction"},
    "agreement-sign": {"number": "open_version"},
    "agreement-adopt": {"number": "open_version"},
    "password_reset_confirm": {"token": "reset_session_token"},
}
# Pages the crawl also visits, for the forms they show only for another object.
MORE_PAGES = {
    "finance-transaction": [{"pk": "pending_transaction"}],  # the decision form
    "agreement-version": [{"number": "open_version"}],
}


def path_values(route: Route, ids: dict[str, str]) -> dict[str, str]:
    """The real value of each path parameter of `route`, or the test fails asking for the
    line that names it."""
    if route.unfillable:
        pytest.fail(
            f"{route} ({route.template}): the sweep cannot build its path: {route.unfillable}"
        )
    values = {}
    for param in route.params:
        kind = PAGE_ID_OVERRIDES.get(route.name, {}).get(param.name) or PAGE_IDS.get(
            (param.literal, param.name)
        )
        if kind is None:
            pytest.fail(
                f"{route} ({route.template}): say in PAGE_IDS which object "
                f"{{{param.name}}} ({param.converter}) after {param.literal!r} is, e.g. "
                f'({param.literal!r}, {param.name!r}): "<a key of page_ids()>",'
            )
        values[param.name] = ids[kind]
    return values


# Forms on the pages ------------------------------------------------------------------------


@dataclass
class Control:
    name: str
    kind: str  # an input type, "select", "textarea" or "button"
    values: list[str] = field(default_factory=list)  # as rendered: value, checked, selected
    options: list[str] = field(default_factory=list)  # of a select, radios, checkboxes, buttons
    multiple: bool = False
    numeric: bool = False  # a text input for numbers (inputmode decimal or numeric)
    required: bool = False


@dataclass
class Form:
    page: str  # where it was found
    action: str  # the path it posts to
    method: str
    multipart: bool
    htmx: bool
    controls: list[Control]

    @property
    def sends_files(self) -> bool:
        return self.multipart or any(c.kind == "file" for c in self.controls)

    def signature(self) -> tuple:
        return (self.method, tuple((c.name, c.kind) for c in self.controls))


class FormParser(HTMLParser):
    """The <form>s of a page with their inputs, selects, textareas and named buttons."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[dict, list]] = []
        self._form: tuple[dict, list] | None = None
        self._select: dict | None = None
        self._option: dict | None = None
        self._textarea: dict | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = (a, [])
        elif self._form is None:
            return
        elif tag in ("input", "button"):
            self._form[1].append((tag, a))
        elif tag == "select":
            self._select = {"attrs": a, "options": []}
        elif tag == "option" and self._select is not None:
            self._option = {"attrs": a, "text": ""}
            self._select["options"].append(self._option)
        elif tag == "textarea":
            self._textarea = {"attrs": a, "text": ""}

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea["text"] += data
        elif self._option is not None:
            self._option["text"] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None
        elif self._form is None:
            return
        elif tag == "select" and self._select is not None:
            self._form[1].append(("select", self._select))
            self._select = self._option = None
        elif tag == "option":
            self._option = None
        elif tag == "textarea" and self._textarea is not None:
            self._form[1].append(("textarea", self._textarea))
            self._textarea = None


NOT_SENT = {"submit", "reset", "image"}


def _controls(raw: list) -> list[Control]:
    by_name: dict[str, Control] = {}

    def control(name: str, kind: str) -> Control:
        if name not in by_name:
            by_name[name] = Control(name, kind)
        return by_name[name]

    plain_submit = False
    for tag, a in raw:
        if tag == "select":
            attrs = a["attrs"]
            if not attrs.get("name"):
                continue
            c = control(attrs["name"], "select")
            c.multiple = "multiple" in attrs
            c.required = "required" in attrs
            for option in a["options"]:
                value = option["attrs"].get("value", option["text"].strip())
                c.options.append(value)
                if "selected" in option["attrs"]:
                    c.values.append(value)
        elif tag == "textarea":
            if a["attrs"].get("name"):
                c = control(a["attrs"]["name"], "textarea")
                c.values.append(a["text"].lstrip("\n"))
                c.required = "required" in a["attrs"]
        else:
            name, kind = a.get("name"), (a.get("type") or "text").lower()
            if tag == "button" or kind in NOT_SENT:
                if (a.get("type") or "submit").lower() not in ("submit", "image"):
                    continue  # <button type="button"> and reset buttons send nothing
                if name:  # a named submit button says which action is meant
                    control(name, "button").options.append(a.get("value", ""))
                else:
                    plain_submit = True
                continue
            if not name or name == "csrfmiddlewaretoken":
                continue
            c = control(name, kind)
            c.required = c.required or "required" in a
            if kind in ("checkbox", "radio"):
                c.options.append(a.get("value", "on"))
                c.multiple = kind == "checkbox" and len(c.options) > 1
                if "checked" in a:
                    c.values.append(a.get("value", "on"))
            else:
                c.values.append(a.get("value", ""))
                c.numeric = a.get("inputmode") in ("decimal", "numeric")
    for c in by_name.values():
        if c.kind == "button":
            # A plain submit button sends nothing: the named ones are other actions (say
            # "preview"); when every button is named, the first is the usual one.
            c.values = [] if plain_submit else c.options[:1]
    return list(by_name.values())


def page_forms(page: str, html: str) -> list[Form]:
    parser = FormParser()
    parser.feed(html)
    found = []
    for attrs, raw in parser.forms:
        action = urlsplit(urljoin(page, attrs.get("action") or page)).path
        found.append(
            Form(
                page=page,
                action=action,
                method=(attrs.get("method") or "get").lower(),
                multipart="multipart" in attrs.get("enctype", ""),
                htmx="hx-post" in attrs,
                controls=_controls(raw),
            )
        )
    return found


def route_name_of(path: str) -> str | None:
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.url_name or match.route


def allowed_methods(view: Callable[..., Any]) -> set[str] | None:
    """The methods a view takes, from its class or its `require_http_methods` decorator
    (`require_GET`, `require_POST`); None for a view that does not say."""
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        return {m.upper() for m in view_class.http_method_names if hasattr(view_class, m)}
    function: Any = view
    while function is not None:
        try:
            nonlocals = inspect.getclosurevars(function).nonlocals
        except TypeError:
            break
        if "request_method_list" in nonlocals:
            return set(nonlocals["request_method_list"])
        function = getattr(function, "__wrapped__", None)
    return None


# Hostile values ----------------------------------------------------------------------------

QUERY_VALUES = (
    ("letters", "abc"),
    ("-1", "-1"),
    ("0", "0"),
    ("10**20", str(10**20)),
    ("2**64", str(2**64)),
    ("300 characters", "x" * 300),
    ("10,000 characters", LONG),
    ("NUL", NUL),
    ("unicode", UNICODE),
    ("2025-02-30", "2025-02-30"),
)
# `page` on a page that does not paginate: a few, to show it is ignored.
STRAY_PAGE_VALUES = (("letters", "abc"), ("-1", "-1"), ("10**20", str(10**20)))
UNDECLARED_QUERY = {
    "sort": "-no_such_column",
    "order": "'; DROP TABLE x;--",
    "filter": NUL,
    "ü漢字": LONG,
}

TEXT_VALUES = (("10,000 characters", LONG), ("NUL", NUL), ("unicode", UNICODE))
NUMBER_VALUES = (
    ("letters", "abc"),
    ("1e308", "1e308"),
    ('"1e999"', "1e999"),
    ("10**30", str(10**30)),
    ("negative amount", "-100.50"),
    ("NUL", NUL),
)
DATE_VALUES = (
    ("2025-02-30", "2025-02-30"),
    ("0000-00-00", "0000-00-00"),
    ("99999-12-31", "99999-12-31"),
    ("letters", "abc"),
    ("NUL", NUL),
)
CHOICE_VALUES = (
    ("no such option", "no-such-option"),
    ("-1", "-1"),
    ("2**64", str(2**64)),
    ("NUL", NUL),
    ("10,000 characters", LONG),
)
HIDDEN_VALUES = (
    ("letters", "abc"),
    ("-1", "-1"),
    ("2**64", str(2**64)),
    ("NUL", NUL),
    ("10,000 characters", LONG),
    ("unicode", UNICODE),
)
CHECK_VALUES = (("no such option", "no-such-option"), ("NUL", NUL))

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILES = {
    "an empty file": ("empty.csv", b"", "text/csv"),
    "a text file named .xlsx": ("data.xlsx", b"just some text, not a workbook\n", XLSX),
    "a zip that is no workbook": ("book.xlsx", b"PK\x03\x04" + b"\x00" * 64, XLSX),
    "binary junk named .csv": ("junk.csv", bytes(range(256)) * 8, "text/csv"),
    "a CSV of hostile cells": (
        "rows.csv",
        "a,b,c\n1e999,\x00,-1\n2025-02-30,ü漢字,100000000000000000000000000000\n".encode(),
        "text/csv",
    ),
}
PLAIN_FILE = ("sweep.csv", b"date,amount\n2026-03-02,1000\n", "text/csv")

TEXT_KINDS = {"text", "textarea", "search", "email", "url", "password", "tel"}
DATE_KINDS = {"date", "month", "week", "time", "datetime-local"}


def hostile_for(control: Control) -> tuple[tuple[str, str], ...]:
    kind = control.kind
    if kind == "number" or (kind == "text" and control.numeric):
        return NUMBER_VALUES
    if kind in DATE_KINDS:
        return DATE_VALUES
    if kind in TEXT_KINDS:
        return TEXT_VALUES
    if kind in ("select", "button"):
        return CHOICE_VALUES
    if kind in ("checkbox", "radio"):
        return CHECK_VALUES
    return HIDDEN_VALUES  # hidden, and types not named here


def wrong_type(control: Control) -> str:
    """Letters where a number, date or choice belongs; a number where text does."""
    return "-1e308" if control.kind in TEXT_KINDS and not control.numeric else "abc"


PLAUSIBLE = {
    "number": "10",
    "date": "2026-03-02",
    "month": "2026-03",
    "week": "2026-W10",
    "time": "10:00",
    "datetime-local": "2026-03-02T10:00",
    "email": "sweep@example.org",
    "url": "https://example.org/",
    "password": "Sweep-password-2468",
    "tel": "+62 21 555 0100",
}
# A required text field, by what its name says it holds (its prefix aside).
PLAUSIBLE_BY_NAME = (
    (re.compile(r"slug$"), "sweep-page"),
    (re.compile(r"currency$"), "USD"),
    (re.compile(r"code$"), "S9"),
    (re.compile(r"sdg_targets$"), "3.b"),
    (
        re.compile(r"amount|rate$|value$|quantity|threshold|percent|weight|position|importance"),
        "10",
    ),
)
# Fields only the world can fill: (route name, field) → its value.
PLAUSIBLE_FIELDS: dict[tuple[str, str], Callable[[Site], str]] = {
    ("login", "username"): lambda site: site.world.caller.username,
    ("login", "password"): lambda site: PASSWORD,
    ("password_change", "old_password"): lambda site: PASSWORD,
    ("partnership-partners", "organisation"): lambda site: site.world.refs["newcomer"].slug,
    ("finance-transaction-new", "transaction_type"): lambda site: "4",  # an expenditure
    ("finance-transaction-new", "provider_organisation"): lambda site: str(
        site.world.refs["organisation"].pk
    ),
    ("finance-transaction-new", "receiver_name"): lambda site: "Toko Es",
    ("finance-transaction-correct", "amount"): lambda site: "120000",
    ("finance-pledge-new", "amount"): lambda site: "1000",
}


def plausible(control: Control) -> list[str]:
    """What a careful person would send: the values as rendered, with the first option of
    a required choice and a likely value in a required empty field."""
    kind = control.kind
    if kind in ("button", "checkbox"):
        return control.values
    if kind == "radio":
        return control.values or control.options[:1]
    if kind == "select":
        if [v for v in control.values if v] or control.multiple:
            return control.values
        chosen = [o for o in control.options if o][:1] if control.required else []
        return chosen or control.values[:1] or control.options[:1]
    if kind == "file":
        return []
    values = [v for v in control.values if v]
    if values or kind == "hidden":
        return values[:1] or control.values[:1]
    if not control.required:
        return [""]
    for pattern, value in PLAUSIBLE_BY_NAME:
        if pattern.search(control.name):
            return [value]
    if control.numeric:
        return ["10"]
    return [PLAUSIBLE.get(kind, "Sweep value")]


# Requests ----------------------------------------------------------------------------------

Data = dict[str, Any]


@dataclass
class Case:
    """One request."""

    label: str
    method: str
    path: str
    query: list[tuple[str, str]] = field(default_factory=list)
    data: Data | None = None  # form fields (lists of values) and files
    multipart: bool = False
    htmx: bool = False

    def describe(self) -> str:
        query = f"?{urlencode(self.query)[:160]}" if self.query else ""
        shown = ""
        if self.data is not None:
            shown = " data=" + repr({k: _short(v) for k, v in self.data.items()})[:600]
        htmx = " (htmx)" if self.htmx else ""
        return f"{self.label}: {self.method} {self.path[:200]}{query}{htmx}{shown}"


def _short(value: Any) -> Any:
    if isinstance(value, list):
        return [_short(v) for v in value]
    if isinstance(value, str) and len(value) > 40:
        return f"{value[:12]}…({len(value)} characters)"
    if isinstance(value, SimpleUploadedFile):
        return f"<file {value.name!r}, {value.size} bytes>"
    return value


def _encoded(data: Data) -> str:
    return urlencode([(k, v) for k, vs in data.items() for v in _as_list(vs)])


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _files_fresh(data: Data) -> Data:
    """The data with its files rewound (a file is read by each request that sends it)."""
    fresh = {}
    for name, value in data.items():
        if isinstance(value, SimpleUploadedFile):
            value.seek(0)
        fresh[name] = value
    return fresh


def send(client: Client, case: Case):
    headers = {"HX-Request": "true"} if case.htmx else {}
    if case.method == "GET":
        return client.get(case.path, case.query, headers=headers)
    path = f"{case.path}?{urlencode(case.query)}" if case.query else case.path
    if case.data is None:
        return client.post(path, headers=headers)
    if case.multipart:
        return client.post(path, _files_fresh(case.data), headers=headers)
    return client.post(
        path,
        _encoded(case.data),
        content_type="application/x-www-form-urlencoded",
        headers=headers,
    )


ERROR_MARK = re.compile(
    rb'class="(?:[^"]* )?(?:errorlist|form-errors|has-error|import-errors|error)(?: [^"]*)?"'
    rb'|aria-invalid="true"'
)


def error_messages(response) -> list[str]:
    """The error-level messages a response sets for the next page."""
    cookie = response.cookies.get(CookieStorage.cookie_name)
    if cookie is None or not cookie.value:
        return []
    decoded = CookieStorage(HttpRequest())._decode(cookie.value) or []
    return [str(m) for m in decoded if m.level >= message_levels.ERROR]


def refused(response, body: bytes | None = None) -> bool:
    """A 4xx, a page re-rendered with its errors, or a redirect carrying an error."""
    status = response.status_code
    if 400 <= status < 500:
        return True
    if status == 200:
        content = response.content if body is None else body
        return bool(ERROR_MARK.search(content)) or bool(error_messages(response))
    if 300 <= status < 400:
        return bool(error_messages(response))
    return False


@dataclass
class Outcome:
    status: int
    content: bytes
    location: str
    problems: list[str]


def read_body(response) -> tuple[bytes, str]:
    """The whole body — a streamed one (a download) read to its end, where it may still
    fail — and what went wrong reading it."""
    if not getattr(response, "streaming", False):
        return response.content, ""
    # The test client closes the response when its stream ends (a close of our own would
    # send request_finished, whose handler closes a connection inside a transaction).
    try:
        return b"".join(response.streaming_content), ""
    except Exception as exc:  # a download that fails half-way is a server error too
        return b"", f"the streamed body failed: {exc!r:.300}"


def exchange(
    client: Client, case: Case, check: Callable[[int, bytes], list[str]] | None = None
) -> Outcome:
    """Send `case` in a savepoint rolled back afterwards, with the client's cookies put back;
    what went wrong, if anything."""
    problems: list[str] = []
    cookies = copy.deepcopy(client.cookies)
    wrote = False
    with transaction.atomic():
        before = census() if case.method == "POST" else None
        response = send(client, case)
        status = response.status_code
        body, trouble = read_body(response)
        if status >= 500:
            exc_info = getattr(response, "exc_info", None)
            detail = last_frames(exc_info) if exc_info else f"    {body[:300]!r}"
            problems.append(f"{status}\n{detail}")
        elif trouble:
            problems.append(f"{status}, but {trouble}")
        elif before is not None:
            changed, failure = changes_since(before)
            if failure:
                problems.append(f"{status}, and then {failure}")
            else:
                wrote = bool(changed)
                if changed and refused(response, body):
                    problems.append(f"refused with {status} but wrote rows: {changed}")
        if check is not None and status < 500:
            problems += check(status, body)
        transaction.set_rollback(True)
    client.cookies = cookies
    if wrote or (case.method == "POST" and status < 400):
        stored.clear()  # pages kept for a state that was rolled back
    return Outcome(
        status=status,
        content=body,
        location=response.get("Location", ""),
        problems=[f"  {case.describe()}\n    → {p}" for p in problems],
    )


# The module's world ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[Site]:
    """The world, built once in a transaction rolled back after the module; each test
    runs in a savepoint of it, each request in a savepoint of that."""
    key = tmp_path_factory.mktemp("ledger") / "ledger.key"
    with (
        override_settings(SINERGI_LEDGER_KEY=str(key)),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        checkpoints._signer_for.cache_clear()
        try:
            world = build_world()
            coordinator = Client(raise_request_exception=False)
            coordinator.force_login(world.caller)
            outsider = Client(raise_request_exception=False)
            outsider.force_login(world.refs["stranger"])
            ids = page_ids(world)  # after signing in, which changes the reset token
            # The real reset link puts its token in the coordinator's session.
            reset = reverse("password_reset_confirm", args=[ids["reset_uid"], ids["reset_token"]])
            assert coordinator.get(reset).status_code == 302
            partnership = world.caller.memberships.get().partnership
            found = Site(
                world=world,
                ids=ids,
                private_title=partnership.title,
                coordinator=coordinator,
                outsider=outsider,
                anonymous=Client(raise_request_exception=False),
            )
            crawl(found)
            found.files = page_files(found)
            follow_uploads(found)
            yield found
        finally:
            transaction.set_rollback(True)
            checkpoints._signer_for.cache_clear()
            stored.clear()


def crawl(site: Site) -> None:
    """GET every route once as the coordinator, with real path arguments, in each language,
    and keep the forms of the pages by the route they submit to."""
    seen: dict[str, set] = {}
    for route in ROUTES:
        try:
            values = path_values(route, site.ids)
        except pytest.fail.Exception:
            continue
        visits = [(values, language) for language in LANGUAGES]
        for more in MORE_PAGES.get(route.name, []):
            extra = {name: site.ids[kind] for name, kind in more.items()}
            visits.append(({**values, **extra}, DEFAULT_LANGUAGE))
        for number, (arguments, language) in enumerate(visits):
            path = route.path(arguments, language)
            outcome = exchange(site.coordinator, Case("crawl", "GET", path))
            if number == 0:
                site.first_get[route.name] = outcome.status
            if outcome.status == 200 and b"<html" in outcome.content[:200]:
                faults = markup_faults(outcome.content.decode("utf-8", "replace"))
                if faults:
                    site.markup[path] = faults
            if outcome.status != 200 or b"<form" not in outcome.content:
                continue
            html = outcome.content.decode("utf-8", "replace")
            for form in page_forms(path, html):
                name = route_name_of(form.action)
                if name is None:
                    continue
                if form.method == "get":
                    site.get_forms.setdefault(name, set()).update(c.name for c in form.controls)
                elif form.signature() not in seen.setdefault(name, set()):
                    seen[name].add(form.signature())
                    site.forms.setdefault(name, []).append(form)


class _Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.label_for: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.append(found["id"])
        if tag == "label" and found.get("for"):
            self.label_for.append(found["for"])


def markup_faults(html: str) -> list[str]:
    """Ids used twice (a label or a link then reaches the wrong field) and labels whose
    `for` names no element (a field without its label, for a screen reader)."""
    parser = _Ids()
    parser.feed(html)
    counts = Counter(parser.ids)
    faults = [f"id {name!r} used {n} times" for name, n in counts.items() if n > 1]
    faults += [
        f"<label for={name!r}> names no element" for name in parser.label_for if name not in counts
    ]
    return faults


def follow_uploads(site: Site) -> None:
    """Upload the plausible file of each upload form once, and keep the forms of the
    preview it answers with (the confirmations, with the hash of a file kept for them)."""
    by_name = {route.name: route for route in ROUTES}
    for name, forms in list(site.forms.items()):
        route = by_name.get(name)
        for form in forms:
            if route is None or not form.sends_files:
                continue
            path = route.path(path_values(route, site.ids))
            case = Case("upload", "POST", path, data=form_data(form, route, site), multipart=True)
            outcome = exchange(site.coordinator, case)
            if outcome.status != 200:
                continue
            for found in page_forms(path, outcome.content.decode("utf-8", "replace")):
                target = route_name_of(found.action)
                if found.method == "post" and target and target not in site.forms:
                    site.forms[target] = [found]


def page_files(site: Site) -> dict[tuple[str, str], tuple[str, bytes, str]]:
    """Files the upload forms take: the site's own templates (the finance template has an
    example row; the results one gets this quarter's values), and a table of rates."""
    slug = site.ids["partnership"]
    organisation = site.world.refs["organisation"].pk

    def download(name: str, query: dict[str, Any]) -> bytes:
        response = site.coordinator.get(reverse(name, args=[slug]), query)
        assert response.status_code == 200, (name, response.status_code)
        return b"".join(response.streaming_content) if response.streaming else response.content

    template = {"period": "2025-Q2", "organisation": organisation}
    return {
        ("finance-import", "file"): (
            "transactions.csv",
            download("finance-import-template-csv", {}),
            "text/csv",
        ),
        ("results-spreadsheet", "file"): (
            "results.xlsx",
            fill_template(
                download("results-spreadsheet-template", template),
                values={("2.1", ""): "78", ("2.1", "sex:female"): "39", ("2.1", "sex:male"): "39"},
            ).getvalue(),
            XLSX,
        ),
        ("finance-rates-import", "import-file"): (
            "rates.csv",
            b"currency,date,rate\nEUR,2026-01-02,17250.5\n",
            "text/csv",
        ),
    }


# The fields of forms no page shows the coordinator in this world, as their templates and
# views have them: a single goal has no "move" buttons; "adopt" waits for every signature;
# only staff delete organisations; the invitation is for another address, so its page
# says so instead of offering the Join button.
FORMS_NOT_SHOWN: dict[str, list[Control]] = {
    "goal-move": [Control("direction", "hidden", values=["up"])],
    "agreement-adopt": [],
    "organisation-delete": [],
    "invitation-accept": [],
}


def forms_for(route: Route, site: Site) -> list[Form]:
    if route.name in site.forms:
        return site.forms[route.name]
    if route.name in FORMS_NOT_SHOWN:
        return [Form("", "", "post", False, False, FORMS_NOT_SHOWN[route.name])]
    return []


# The cases ---------------------------------------------------------------------------------


def query_names(route: Route, site: Site) -> list[str]:
    """`page`, and the parameters the view reads (or the forms of the site submit to it);
    the test fails, asking for a line in QUERY_NAMES, when the view computes names."""
    names, unseen = view_query_reading(route.view)
    if unseen and route.name not in QUERY_NAMES:
        pytest.fail(
            f"{route} ({route.template}): {', '.join(unseen)} reads query parameters whose "
            f"names the sweep cannot see: say in QUERY_NAMES which they are"
        )
    names |= QUERY_NAMES.get(route.name, set()) | site.get_forms.get(route.name, set())
    return sorted(names)


def get_cases(route: Route, site: Site) -> Iterator[Case]:
    values = path_values(route, site.ids)
    path = route.path(values)
    for language in LANGUAGES:
        yield Case(f"real arguments ({language})", "GET", route.path(values, language))
    yield Case("real arguments (htmx)", "GET", path, htmx=True)
    for param in route.params:
        for hostile in HOSTILE_PARAMS:
            yield Case(
                f"path {param.name}={hostile.label}",
                "GET",
                route.path({**values, param.name: hostile.value}),
            )
    names = query_names(route, site)
    for name in names:
        for label, value in QUERY_VALUES:
            yield Case(f"query {name}={label}", "GET", path, query=[(name, value)])
    if "page" not in names:
        for label, value in STRAY_PAGE_VALUES:
            yield Case(f"query page={label} (not read)", "GET", path, query=[("page", value)])
    if names:
        yield Case(
            "every read parameter repeated",
            "GET",
            path,
            query=[(n, v) for n in names for v in ("1", "abc", NUL)],
        )
        for label, value in (("10,000 characters", LONG), ("NUL", NUL), ("letters", "abc")):
            yield Case(
                f"every read parameter = {label}", "GET", path, query=[(n, value) for n in names]
            )
    yield Case("undeclared parameters", "GET", path, query=list(UNDECLARED_QUERY.items()))
    yield Case(
        "htmx, every parameter junk",
        "GET",
        path,
        query=[(n, "abc") for n in [*names, "page"]],
        htmx=True,
    )


def form_data(form: Form, route: Route, site: Site) -> Data:
    """The form's plausible fields (see `plausible`), and a file the page takes."""
    data: Data = {}
    for control in form.controls:
        given = PLAUSIBLE_FIELDS.get((route.name, control.name))
        if given is not None:
            data[control.name] = [given(site)]
        elif control.kind == "file":
            name, content, content_type = site.files.get((route.name, control.name), PLAIN_FILE)
            data[control.name] = SimpleUploadedFile(name, content, content_type=content_type)
        else:
            data[control.name] = plausible(control)
    return data


def _with(data: Data, name: str, value: Any) -> Data:
    return {**data, name: value}


def _file(label: str) -> SimpleUploadedFile:
    name, content, content_type = FILES[label]
    return SimpleUploadedFile(name, content, content_type=content_type)


def post_cases(route: Route, site: Site, forms: list[Form]) -> Iterator[Case]:
    values = path_values(route, site.ids)
    path = route.path(values)
    yield Case("no fields", "POST", path, data={})
    for number, form in enumerate(forms, 1):
        tag = f"form {number}/{len(forms)}"
        base = form_data(form, route, site)
        multipart = form.sends_files

        def case(
            label: str,
            data: Data,
            *,
            htmx: bool = False,
            language: str = DEFAULT_LANGUAGE,
            tag: str = tag,
            multipart: bool = multipart,
        ) -> Case:
            return Case(
                f"{tag}: {label}",
                "POST",
                route.path(values, language),
                data=data,
                multipart=multipart,
                htmx=htmx,
            )

        for control in form.controls:
            if control.kind == "file":
                for label in FILES:
                    yield case(f"{control.name}={label}", _with(base, control.name, _file(label)))
                yield case(f"{control.name}=a string, no file", _with(base, control.name, "abc"))
                continue
            for label, value in hostile_for(control):
                sent = [value, value] if control.multiple else value
                yield case(f"{control.name}={label}", _with(base, control.name, sent))
        sendable = [c for c in form.controls if c.kind != "file"]
        for label, value in TEXT_VALUES:
            yield case(f"every field = {label}", {**base, **{c.name: value for c in sendable}})
        wrong = {**base, **{c.name: wrong_type(c) for c in sendable}}
        yield case("every field of the wrong type", wrong)
        yield case("every field of the wrong type, in Indonesian", wrong, language="id")
        if form.htmx:
            yield case("every field of the wrong type (htmx)", wrong, htmx=True)
        yield case(
            "every field repeated",
            {**base, **{c.name: [*plausible(c)[:1], "abc", NUL] for c in sendable}},
        )
        for param in route.params:
            for label, value in (("2**64", str(2**64)), ("NUL", NUL), ("nothing", "no-such-x")):
                yield Case(
                    f"{tag}: plausible fields, path {param.name}={label}",
                    "POST",
                    route.path({**values, param.name: value}),
                    data=base,
                    multipart=multipart,
                )
        # Last, as it may well be accepted, and use up what the others meet (a previewed
        # file that a confirmation imports, say).
        if form.htmx:
            yield case("plausible fields (htmx)", base, htmx=True)
        yield case("plausible fields", base)


def _report(route: Route, problems: list[str], count: int, what: str) -> str:
    return f"{route} ({route.template}): {len(problems)} of {count} {what} went wrong:\n" + (
        "\n".join(problems)
    )


# The sweep ---------------------------------------------------------------------------------


def test_the_walk_finds_every_page_of_the_project():
    """Given Django's URL resolver, the walk lists the project's pages under the language
    prefix — not the admin, the API or anything outside sinergi.* — with their parameters."""
    names = {r.name for r in ROUTES}
    assert len(ROUTES) >= 120
    assert len(names) == len(ROUTES)
    assert {
        "home",
        "login",
        "partnership-detail",
        "finance-transaction-decide",
        "agreement-sign",
        "results-value-edit",
        "sdg-goal",
        "capability-edit",
        "partnership-ledger",
    } <= names
    assert not any(r.template.startswith(("admin", "api")) for r in ROUTES)
    assert not {"ledger-checkpoint", "ledger-vkey", "healthz", "set_language"} & names
    by_name = {r.name: r for r in ROUTES}
    assert by_name["expectation-edit"].params == (
        Param("slug", "slug", "partnerships"),
        Param("pk", "id", "expectations"),
        Param("eid", "id", "expectations"),
    )
    assert by_name["sdg-goal"].params == (Param("code", "regex:[0-9]{1,2}", "sdg"),)
    assert by_name["sdg-goal"].template == "sdg/{code}/"


def test_the_views_query_parameters_are_found():
    """The reader of views' sources finds the parameters views read directly, through their
    helpers and through forms bound to the query string."""
    by_name = {r.name: r for r in ROUTES}
    assert view_query_names(by_name["partnership-list"].view) >= {
        "q",
        "status",
        "country",
        "visibility",
        "page",
    }
    assert view_query_names(by_name["finance-transactions"].view) >= {
        "type",
        "status",
        "partner",
        "line",
        "date_from",
        "date_to",
        "page",
    }
    assert view_query_names(by_name["results-dashboard"].view) >= {"progress", "partner", "page"}
    assert view_query_names(by_name["results-spreadsheet"].view) >= {"period", "organisation"}
    assert view_query_names(by_name["agreement-diff"].view) >= {"a", "b"}
    # Names computed at run time are told apart, so that QUERY_NAMES can name them.
    _names, unseen = view_query_reading(by_name["results-export-csv"].view)
    assert unseen == ["sinergi.results.export_views._rows"]
    assert view_query_reading(by_name["partnership-list"].view)[1] == []


def test_every_route_is_reached_with_real_arguments(site, db):
    """The coordinator's GET of each route, with the world's real path arguments, reaches
    the view (not a 404 for a wrong object), so the hostile cases start from a real page."""
    missing = sorted(
        f"{name}: {status}" for name, status in site.first_get.items() if status in (404, 500)
    )
    assert not missing, "GET with real arguments did not reach the view:\n" + "\n".join(missing)
    assert len(site.first_get) == len(ROUTES)


def test_every_page_has_unique_ids_and_labels_that_name_a_field(site, db):
    """Every page the crawl reads, in each language: no id is used twice and every label
    names an element (WCAG 1.3.1, 4.1.1): two forms on one page (the members page's grant
    and invite forms) must not both render `id_role`."""
    assert site.markup == {}


def test_the_markup_check_finds_a_repeated_id_and_a_stray_label():
    html = (
        '<html><label for="id_role">Role</label><select id="id_role"></select>'
        '<select id="id_role"></select><label for="id_gone">Gone</label></html>'
    )
    assert markup_faults(html) == [
        "id 'id_role' used 2 times",
        "<label for='id_gone'> names no element",
    ]


def sweep_gets(route: Route, site: Site) -> tuple[list[str], int]:
    problems: list[str] = []
    count = 0
    for case in get_cases(route, site):
        problems += exchange(site.coordinator, case).problems
        count += 1
    return problems, count


def sweep_posts(route: Route, site: Site) -> tuple[list[str], int]:
    methods = allowed_methods(route.view)
    if methods is not None and "POST" not in methods:
        return [], 0  # a GET-only page answers POST with 405 before any view code runs
    forms = forms_for(route, site)
    if not forms and methods is None:
        # A page that does not look at the method (the home page, say): posted anyway.
        forms = [Form("", "", "post", False, False, [Control("field", "text")])]
    if not forms:
        pytest.fail(
            f"{route} ({route.template}) takes POST, but no page shows a <form> that posts "
            f"to it: say in FORMS_NOT_SHOWN which fields it takes"
        )
    problems: list[str] = []
    count = 0
    for case in post_cases(route, site, forms):
        problems += exchange(site.coordinator, case).problems
        count += 1
    return problems, count


# Pages that may name the private partnership to someone who is not (yet) a member.
TITLE_SHOWN = {
    "invitation-accept": "the invitation's secret link names the partnership it invites to",
}


def _private_title_shown(site: Site, route: Route) -> Callable[[int, bytes], list[str]]:
    title = site.private_title.encode()

    def check(status: int, body: bytes) -> list[str]:
        if route.name not in TITLE_SHOWN and title in body:
            return [f"{status} shows the private partnership's title"]
        return []

    return check


def sweep_outsiders(route: Route, site: Site) -> tuple[list[str], int]:
    values = path_values(route, site.ids)
    path = route.path(values)
    problems: list[str] = []
    count = 0
    for who, client in (("outsider", site.outsider), ("anonymous", site.anonymous)):
        cases = [Case(f"{who} GET", "GET", path)]
        if route.in_private_partnership:
            cases.append(Case(f"{who} POST, no fields", "POST", path, data={}))
            cases += [
                Case(
                    f"{who} POST, plausible fields",
                    "POST",
                    path,
                    data=form_data(form, route, site),
                    multipart=form.sends_files,
                )
                for form in forms_for(route, site)[:1]
            ]
        for case in cases:
            outcome = exchange(client, case, _private_title_shown(site, route))
            problems += outcome.problems
            count += 1
            if not route.in_private_partnership or outcome.status >= 500:
                continue
            to_login = (
                300 <= outcome.status < 400
                and route_name_of(urlsplit(outcome.location).path) == "login"
            )
            if outcome.status not in (404, 405) and not (who == "anonymous" and to_login):
                where = f" to {outcome.location}" if outcome.location else ""
                problems.append(
                    f"  {case.describe()}\n    → {outcome.status}{where} on a private "
                    f"partnership's page (404 expected)"
                )
    return problems, count


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_hostile_gets_never_end_in_a_server_error(route, site, db):
    """Given the coordinator, when the route is fetched with hostile path arguments and
    query strings, no answer is a server error."""
    problems, count = sweep_gets(route, site)
    assert not problems, _report(route, problems, count, "hostile GETs")


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_hostile_posts_are_refused_without_writing(route, site, db):
    """Given the coordinator and the fields of the route's form, when it is posted with no
    fields, hostile fields and hostile path arguments, no answer is a server error and a
    refused request writes no row and appends nothing to the ledger."""
    problems, count = sweep_posts(route, site)
    assert not problems, _report(route, problems, count, "hostile POSTs")


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_outsiders_never_see_the_private_partnership(route, site, db):
    """Given a private partnership, when an outsider (signed in, no membership) or an
    anonymous visitor fetches the route with real path arguments — or posts the form's
    plausible fields to one of the partnership's pages — then no answer is a server error,
    the partnership's pages answer 404 (the anonymous visitor may be sent to sign in), no
    page shows its title, and nothing is written."""
    problems, count = sweep_outsiders(route, site)
    assert not problems, _report(route, problems, count, "outsider requests")


# The sweep can fail ------------------------------------------------------------------------

ROUTE = {route.name: route for route in ROUTES}


def test_the_sweep_reports_a_server_error(site, db, monkeypatch):
    """Given a home page that fails, the GET sweep reports its 500 with the frames."""

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ZeroDivisionError("planted")

    monkeypatch.setattr("sinergi.core.views.with_counts", broken)
    problems, count = sweep_gets(ROUTE["home"], site)
    # All but the request with a NUL byte, which the middleware refuses before the view.
    assert len(problems) == count - 1
    assert "→ 500" in problems[0]
    assert "ZeroDivisionError: planted" in problems[0]
    assert "sinergi/core/views.py" in problems[0]


def test_the_sweep_reports_a_refused_post_that_writes(site, db, monkeypatch):
    """Given a goal form that, when it refuses its input, still adds a goal (a row and a
    ledger entry), the POST sweep reports the refusal that wrote."""
    from sinergi.partnerships.goals import views as goal_views
    from sinergi.partnerships.goals.services import create_goal

    original = goal_views._goals_context  # built for the page that shows the refusal
    caller = site.world.caller

    def writes(*args: Any, **kwargs: Any) -> Any:
        partnership = caller.memberships.get().partnership
        create_goal(actor=caller, partnership=partnership, title="Planted", sdg_targets=[])
        return original(*args, **kwargs)

    monkeypatch.setattr(goal_views, "_goals_context", writes)
    route = ROUTE["goal-create"]
    refusal = next(
        c
        for c in post_cases(route, site, forms_for(route, site))
        if c.label.endswith("every field = NUL")
    )
    problems = exchange(site.coordinator, refusal).problems
    assert len(problems) == 1
    assert "refused with 422 but wrote rows" in problems[0]
    assert "'partnerships.Goal': '1 → 2'" in problems[0]
    assert "'ledger size (Head.size)': " in problems[0]


def test_the_sweep_reports_a_private_page_shown_to_an_outsider(site, db, monkeypatch):
    """Given a permission check that lets everyone see every partnership, the outsider
    sweep reports the 200 and the private title."""
    from sinergi.partnerships.models import Partnership

    monkeypatch.setattr(
        "sinergi.access.policy.get_partnership_for",
        lambda user, slug, action=None: Partnership.objects.get(slug=slug),
    )
    problems, _count = sweep_outsiders(ROUTE["partnership-detail"], site)
    shown = "\n".join(problems)
    assert "outsider GET: GET /en/partnerships/" in shown
    assert "→ 200 on a private partnership's page (404 expected)" in shown
    assert "→ 200 shows the private partnership's title" in shown


def test_a_route_the_sweep_cannot_fill_fails_asking_for_a_line():
    """A new page whose path parameter PAGE_IDS does not name fails, asking for the line;
    so does a re_path whose regex is more than named groups."""
    route = Route(
        "widget-edit",
        "partnerships/{slug}/widgets/{wid}/",
        (Param("slug", "slug", "partnerships"), Param("wid", "id", "widgets")),
        view=lambda request: None,
    )
    with pytest.raises(pytest.fail.Exception, match=r"say in PAGE_IDS .*\('widgets', 'wid'\)"):
        path_values(route, {"partnership": "a-partnership"})
    _template, params, problem = _regex_template(r"^(?P<code>[0-9]+)/(?:edit|view)/$")
    assert params == [("code", "regex:[0-9]+")]
    assert "more than named groups" in problem


def test_a_post_route_without_a_form_fails_asking_for_its_fields():
    """A view that takes POST, whose form no page shows, fails asking for FORMS_NOT_SHOWN."""
    from types import SimpleNamespace

    from django.views.decorators.http import require_POST

    @require_POST
    def poke(request: HttpRequest, slug: str) -> None:
        return None

    assert allowed_methods(poke) == {"POST"}
    route = Route("widget-poke", "partnerships/{slug}/poke/", (), poke)
    with pytest.raises(pytest.fail.Exception, match="say in FORMS_NOT_SHOWN"):
        sweep_posts(route, SimpleNamespace(forms={}))  # type: ignore[arg-type]


def test_a_refusal_is_told_from_an_acceptance():
    """A 4xx, a page with form errors and a redirect carrying an error message are
    refusals; a plain redirect and a page without errors are not."""
    from django.contrib.messages.storage.base import Message
    from django.http import HttpResponse, HttpResponseRedirect

    assert refused(HttpResponse(status=422))
    assert refused(HttpResponse('<ul class="errorlist"><li>No.</li></ul>'))
    assert refused(HttpResponse('<select name="x" aria-invalid="true">'))
    assert not refused(HttpResponse("<p>Saved.</p>"))
    assert not refused(HttpResponseRedirect("/en/"))
    redirect = HttpResponseRedirect("/en/")
    storage = CookieStorage(HttpRequest())
    redirect.set_cookie(
        CookieStorage.cookie_name,
        storage._encode([Message(message_levels.ERROR, "The file is gone.")]),
    )
    assert refused(redirect)
