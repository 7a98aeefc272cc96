"""What the hostile-input sweeps share (tests/design/test_design_hostile_input.py and
tests/results/test_results_hostile_input.py): hostile values, clients that keep a 500 as
a response, the API's error envelope check, request and URL helpers, and body mutations.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.test import Client
from django.urls import URLPattern, URLResolver, reverse

from sinergi.access.services import create_api_token
from sinergi.partners.models import Person
from tests.openapi import PARAMETER as PARAM

# Hostile values
NUL = "Air\x00bersih"
HUGE = "x" * 100_001
UNICODE = "Air 💧 مرحبا \u202ebersih\u202c 中文 a\u0301"
BIG = 10**30
UNKNOWN_CODE = "zz-not-a-code"


def api_client(person: Person | None) -> Client:
    """A client as scripts use the API: a bearer token (or none), errors as responses."""
    if person is None:
        return Client(raise_request_exception=False)
    _token, secret = create_api_token(actor=person, name="hostile")
    return Client(raise_request_exception=False, headers={"Authorization": f"Bearer {secret}"})


def web_client(person: Person | None) -> Client:
    client = Client(raise_request_exception=False)
    if person is not None:
        client.force_login(person)
    return client


def envelope_problem(response, *, field: str | None = None) -> str | None:
    """What is wrong with an error response's envelope, or None when it is right.

    With `field`, a 422 must name that field (or a place inside it) among its errors."""
    try:
        body = response.json()
    except ValueError:
        return f"not JSON: {response.content[:120]!r}"
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return f"no error envelope: {body!r:.200}"
    if error.get("status") != response.status_code:
        return f"error.status {error.get('status')} != HTTP {response.status_code}"
    if not isinstance(error.get("code"), str) or not isinstance(error.get("message"), str):
        return f"code/message missing: {error!r:.200}"
    if response.status_code == 422:
        fields = error.get("fields")
        if not isinstance(fields, dict) or not fields:
            return f"422 without fields: {error!r:.200}"
        for name, messages in fields.items():
            if not isinstance(messages, list) or not all(isinstance(m, str) for m in messages):
                return f"fields[{name}] is not a list of strings"
        if field is not None and not any(_names(key, field) for key in fields):
            return f"422 names {sorted(fields)}, not {field}"
    return None


def _names(key: str, field: str) -> bool:
    return key == field or key.startswith((f"{field}.", f"{field}["))


def fill(path: str, values: dict[str, Any]) -> str:
    return PARAM.sub(lambda m: str(values[m.group(1) or m.group(2)]), path)


def call(
    client: Client,
    method: str,
    url: str,
    body: Any = None,
    raw: bytes | None = None,
    query: dict[str, Any] | None = None,
):
    if query:
        url = f"{url}?{urlencode(query)}"
    if raw is None and body is not None:
        raw = json.dumps(body).encode()
    if raw is None:
        return client.generic(method, url)
    return client.generic(method, url, raw, content_type="application/json")


@dataclass(frozen=True)
class Page:
    name: str
    route: str

    @property
    def id(self) -> str:
        return self.name

    @property
    def under_partnership(self) -> bool:
        return "partnerships/<slug:slug>/" in self.route

    def url(self, values: dict[str, Any]) -> str:
        names = {m.group(1) or m.group(2) for m in PARAM.finditer(self.route)}
        return reverse(self.name, kwargs={name: values[name] for name in names})


def walk(patterns: list, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern


def normalised(response, slug: str) -> str:
    body = response.content.decode(errors="replace").replace(slug, "<slug>")
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "<csrf>", body)
    return re.sub(r'"X-CSRFToken": "[^"]+"', "<csrf>", body)


@dataclass(frozen=True)
class Mutation:
    label: str
    change: Callable[[dict[str, Any]], Any] | None  # base body → body; None: `raw` is sent
    must_reject: bool
    field: str | None = None
    raw: bytes | None = None


def set_path(path: tuple, value: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def change(body: dict[str, Any]) -> dict[str, Any]:
        body = json.loads(json.dumps(body))
        target = body
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        return body

    return change


REJECTED = {400, 409, 413, 422}


ERROR_MARKERS = ("has-error", "form-errors", 'class="error', "aria-invalid", "errorlist", "alert")
