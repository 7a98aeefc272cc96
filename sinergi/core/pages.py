"""Whole pages and API answers kept while nothing they show has changed: `render_kept`,
`json_kept`.

The finance overview and the results dashboard keep their computed body under a
version read from the database on every request (`sinergi.core.stored`). Around that
body each request still rendered the page: the layout, the tabs, the heading. On a busy
dashboard that frame cost as much CPU as everything else in the request. `render_kept`
keeps the whole page instead, rendered once for every reader who would see the same
text, and fills in the two things that differ between them on the way out:

- the CSRF token (`{% csrf_token %}` and `{{ csrf_token }}` render a placeholder, random
  for each kept page and kept with it, which is replaced by this request's masked token:
  the reader's cookie is set and renewed exactly as when the page is rendered);
- the reader's name in the navigation bar (`{{ reader_name|default:user }}` in
  `base.html`).

The page's key holds the template, the language, the path, whether the reader is signed
in and staff, every value of the context (a model row by all its columns), for each
part computed from many rows that part's versioned key, and the static files' manifest.
A value of another kind, a query string, an htmx request or a message waiting to be
shown, and the page is rendered as usual. The permission check stays in the view,
before `render_kept`, on every request.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from ninja.renderers import JSONRenderer
from pydantic import BaseModel

from sinergi.core import stored

Part = tuple[str | None, Callable[[], str]]

_PLAIN = (bool, int, str, Decimal, date, datetime)


HOLE_PREFIX = "sinergi-hole-"


def _hole() -> str:
    """A placeholder nobody can type on purpose: random, made afresh for every kept page
    and kept with it (never shown to anyone), letters, digits and hyphens only (HTML
    escaping leaves it as it is)."""
    return HOLE_PREFIX + secrets.token_hex(16)


@cache
def _static_version() -> str:
    """The collected static files' manifest digest: the layout links hashed file names,
    so a release that changes only a stylesheet or a script still keys new pages."""
    return str(getattr(staticfiles_storage, "manifest_hash", ""))


def _fingerprint(context: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """Every value of `context`, or None if one is of a kind we cannot tell apart."""
    found: list[Any] = []
    for name in sorted(context):
        value = context[name]
        if value is None or isinstance(value, _PLAIN):
            found.append((name, value))
        elif isinstance(value, Model):
            meta = value._meta
            row = tuple(getattr(value, field.attname) for field in meta.concrete_fields)
            found.append((name, meta.label, row))
        else:
            return None
    return tuple(found)


def _keepable(request: HttpRequest) -> bool:
    if request.method != "GET" or request.META.get("QUERY_STRING"):  # HEAD arrives as GET
        return False
    if request.headers.get("HX-Request"):
        return False
    waiting = getattr(request, "_messages", None)
    return waiting is None or len(waiting) == 0


def render_kept(
    request: HttpRequest,
    template_name: str,
    context: dict[str, Any],
    parts: Mapping[str, Part],
    *,
    fixed: Mapping[str, Any] | None = None,
    seconds: int = stored.LOCAL_SECONDS,
    shared_seconds: int | None = None,
    max_age: int | None = None,
) -> HttpResponse:
    """`render(request, template_name, context)` with `parts` and `fixed` added, kept whole.

    `parts` maps a context name to `(key, compute)`: `key` must hold a version that
    covers everything `compute()` shows (as for `stored.reuse`, which keeps the part
    itself too); a key of None computes the part afresh and keeps neither it nor the
    page (a request too unusual to be worth keeping). The other values of `context`
    must be all the page shows besides the layout: plain values and model rows
    (compared by all their columns; a row's related rows are not, so show them through
    a part). `fixed`: values that are the same for every request in one language (code
    lists, choices), added as they are and left out of the key. `max_age`: for parts
    whose version misses some change, nothing older than that many seconds is shown
    (`stored.reuse_dated`).
    """

    def with_parts(borns: list[float]) -> dict[str, Any]:
        found = {**(fixed or {}), **context}
        for name, (key, compute) in parts.items():
            if max_age is None or key is None:
                value = kept_part((key, compute), seconds=seconds, shared_seconds=shared_seconds)
            else:
                born, value = stored.reuse_dated(
                    key, lambda c=compute: (time.time(), c()), seconds, shared_seconds, max_age
                )
                borns.append(born)
            found[name] = mark_safe(value)  # noqa: S308
        return found

    fingerprint = _fingerprint(context)
    unkept = any(key is None for key, _compute in parts.values())
    if fingerprint is None or unkept or not _keepable(request):
        return render(request, template_name, with_parts([]))
    user = request.user
    state = (
        template_name,
        get_language(),
        request.path,
        user.is_authenticated,
        user.is_staff,
        fingerprint,
        tuple(sorted((name, key) for name, (key, _compute) in parts.items())),
        _static_version(),
    )
    key = "page:" + hashlib.sha256(repr(state).encode()).hexdigest()

    def compute() -> tuple[float, tuple[bytes, bytes, list[bytes]]]:
        born = time.time()
        borns: list[float] = []
        csrf_hole, name_hole = _hole(), _hole()
        page = {**with_parts(borns), "csrf_token": csrf_hole, "reader_name": name_hole}
        html = render_to_string(template_name, page, request).encode()
        # Cut at the placeholders once: each response joins the pieces with its own
        # token and name (one copy of the page, no search through it).
        holes = re.compile(b"(" + csrf_hole.encode() + b"|" + name_hole.encode() + b")")
        # As old as its oldest part.
        return min([born, *borns]), (csrf_hole.encode(), name_hole.encode(), holes.split(html))

    if max_age is None:
        kept = stored.reuse(key, lambda: compute()[1], seconds, shared_seconds)
    else:
        kept = stored.reuse_dated(key, compute, seconds, shared_seconds, max_age)[1]
    csrf_hole, name_hole, pieces = kept
    fill = {
        csrf_hole: get_token(request).encode(),
        name_hole: (escape(str(user)) if user.is_authenticated else "").encode(),
    }
    return HttpResponse(b"".join([fill.get(piece, piece) for piece in pieces]))


def kept_part(
    part: Part,
    *,
    seconds: int = stored.LOCAL_SECONDS,
    shared_seconds: int | None = None,
    max_age: int | None = None,
) -> str:
    """One part of a page on its own (an htmx request for it): kept under its key as
    `render_kept` keeps it (pass the same `max_age`), or computed afresh when the key is
    None."""
    key, compute = part
    if key is None:
        return compute()
    return stored.reuse(key, compute, seconds, shared_seconds, max_age)


def json_kept(
    request: HttpRequest,
    key: str,
    schema: type[BaseModel],
    compute: Callable[[], Any],
    *,
    keep: bool = True,
    seconds: int = stored.LOCAL_SECONDS,
    shared_seconds: int | None = None,
    max_age: int | None = None,
) -> HttpResponse:
    """The JSON response of `schema` for `compute()`, encoded once and kept under `key`
    (which must hold a version that covers everything `compute()` reads).

    Validated and rendered as ninja does for a declared response, so the bytes are the
    same; a repeat read skips both. `keep=False`: encoded afresh and not kept (an
    unusual request that would only fill the store)."""

    def encode() -> bytes:
        data = schema.model_validate(compute(), context={"request": request}).model_dump()
        return _RENDERER.render(request, data, response_status=200)

    content = stored.reuse(key, encode, seconds, shared_seconds, max_age) if keep else encode()
    return HttpResponse(content, content_type=_JSON_CONTENT_TYPE)


_RENDERER = JSONRenderer()
_JSON_CONTENT_TYPE = f"{JSONRenderer.media_type}; charset={settings.DEFAULT_CHARSET}"
