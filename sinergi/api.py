"""The JSON API at /api/v1/: one NinjaAPI, one router per app, one error envelope.

Every error has the shape
    {"error": {"status": 422, "code": "invalid", "message": "...", "fields": {"name": ["..."]}}}
with `fields` present when the problem lies in particular input fields.
"""

from __future__ import annotations

import inspect
import json
import logging
import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.signals import got_request_exception
from django.core.validators import ProhibitNullCharactersValidator
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationErrorContext
from ninja.errors import ValidationError as NinjaValidationError
from ninja.params.models import File as FileParam
from ninja.params.models import Form as FormParam
from ninja.parser import Parser
from ninja.security.base import AuthBase
from ninja.utils import check_csrf
from pydantic import BaseModel

from sinergi.access.services import person_for_token, token_refusal
from sinergi.core.bodies import InputSchema
from sinergi.core.errors import Conflict, LikelyDuplicate, RetryLater
from sinergi.core.middleware import (
    BUSY_RETRY_SECONDS,
    CutBody,
    cut_body_message,
    database_problem,
    problem_message,
)
from sinergi.ledger.log import DamagedLog

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class Reader(AuthBase):
    """Who is calling: a bearer token's person, the signed-in session user, or anonymous.

    Anonymous callers are let through (public data is public); each operation's
    permission check decides. Session writes must carry the CSRF token.
    """

    openapi_type = "http"
    openapi_scheme = "bearer"

    def __call__(self, request: HttpRequest) -> Any:
        header = request.headers.get("Authorization", "")
        if header:
            scheme, _sep, secret = header.partition(" ")
            if scheme.lower() != "bearer" or not secret.strip():
                raise AuthenticationError(message=_("Use “Authorization: Bearer <token>”."))
            person = person_for_token(secret.strip())
            if person is None:
                raise AuthenticationError(message=token_refusal(secret.strip()))
            if person.token_read_only and request.method not in SAFE_METHODS:
                raise HttpError(
                    403,
                    _("This API token may only read. Use a read and write token to change data."),
                )
            request.user = person
            return person
        user = request.user
        unsafe = request.method not in SAFE_METHODS
        if user.is_authenticated and unsafe and check_csrf(request) is not None:
            raise HttpError(403, _("CSRF check failed: send the X-CSRFToken header."))
        return user if user.is_authenticated else _ANONYMOUS


class _Anonymous(AnonymousUser):
    # AnonymousUser is truthy already; this subclass only makes that explicit for ninja.
    def __bool__(self) -> bool:
        return True


_ANONYMOUS = _Anonymous()


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


class DuplicateName(ValueError):
    """A JSON object names one member twice."""

    def __init__(self, name: str) -> None:
        super().__init__(f"{name!r} is named twice")
        self.name = name


def _unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object's members, refusing a name given twice: RFC 8259 leaves such an
    object's meaning to each parser (Python keeps the last), so the sender and Sinergi
    could read different requests from the same bytes."""
    members = dict(pairs)
    if len(members) != len(pairs):
        seen: set[str] = set()
        for name, _value in pairs:
            if name in seen:
                raise DuplicateName(name)
            seen.add(name)
    return members


def _parse(body: bytes) -> Any:
    return json.loads(body, parse_constant=_no_constant, object_pairs_hook=_unique_members)


class ObjectParser(Parser):
    """JSON bodies must be objects, in strict JSON (no NaN or Infinity, no member named
    twice).

    Without this, ninja reads a body of `[]`, `"x"` or `1` as an empty object (its schemas
    also accept any object's attributes), so e.g. a POST of `[]` would start an empty draft.
    Refusing here answers 400 "malformed".
    """

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        data = _parse(request.body)
        if not isinstance(data, dict):
            raise ValueError("the body is not a JSON object")
        return data


def _unstorable_text(value: Any, place: str, found: dict[str, list[str]]) -> None:
    """Collect the places (e.g. "title", "cells.0.letter") of strings holding a NUL or a
    lone surrogate (JSON's "\\ud800" escape reads as one, and no UTF-8 can hold it)."""
    if isinstance(value, str):
        if "\x00" in value:
            found.setdefault(place or "body", []).append(
                str(ProhibitNullCharactersValidator.message)
            )
        elif not value.isascii() and _SURROGATE.search(value):
            found.setdefault(place or "body", []).append(_("Enter text."))
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            _unstorable_text(getattr(value, name), f"{place}.{name}" if place else name, found)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _unstorable_text(item, f"{place}.{index}", found)
    elif isinstance(value, dict):
        for key, item in value.items():
            # The client's key, shown at most MAX_NAME_SHOWN long (as `_field_name` does).
            here = f"{place}.{_field_name([key])}"
            _unstorable_text(key, here, found)
            _unstorable_text(item, here, found)


_SURROGATE = re.compile("[\ud800-\udfff]")
#: Content types whose body ninja reads as a form (an upload), not as JSON.
_FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


class UnwantedBody(Exception):
    """A body sent to an operation that takes none, and not an empty JSON object."""


def _refuse_unwanted_body(request: HttpRequest, kwargs: dict[str, Any]) -> None:
    """An operation that takes no body (submit, open, delete, …; not an upload) reads a
    body sent to it as one that takes a JSON body would: a field in it is a 422 "Unknown
    field." and nothing is done, a body that is not a JSON object a 400, as docs/api.md
    promises; ignoring it would do what the client may not have meant
    (`{"submit": false}`)."""
    if request.method in ("GET", "HEAD", "OPTIONS") or request.content_type in _FORM_TYPES:
        return
    if any(isinstance(value, InputSchema) for value in kwargs.values()):
        return  # the operation read it
    body = request.body
    if not body.strip():
        return
    try:
        data = _parse(body)
    except (ValueError, RecursionError):
        raise UnwantedBody from None
    if not isinstance(data, dict):
        raise UnwantedBody
    if data:
        unknown = [_field_name([key]) for key in list(data)[:MAX_FIELDS_LISTED]]
        raise DjangoValidationError({name: [_("Unknown field.")] for name in unknown})


def refuse_unstorable_text(operation: Callable[..., Any]) -> Callable[..., Any]:
    """A 422 field error for any NUL character or lone surrogate in a path, query or body
    value, and the answer to a body sent to an operation that takes none.

    PostgreSQL cannot store or even compare text holding NUL, and neither database takes
    a lone surrogate (both fail with a 500); models do not check for either, so every
    operation is guarded here, after ninja parsed its input. Body and query schemas name
    their own fields, as ninja's errors do.
    """

    # An upload (a File or Form parameter) reads its own body, a form or a file as the
    # body (the rates CSV), after its permission check.
    reads_its_body = any(
        isinstance(parameter.default, FileParam | FormParam)
        for parameter in inspect.signature(operation).parameters.values()
    )

    @wraps(operation)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        found: dict[str, list[str]] = {}
        for name, value in kwargs.items():
            _unstorable_text(value, "" if isinstance(value, BaseModel) else name, found)
        if found:
            raise DjangoValidationError(found)
        if not reads_its_body:
            _refuse_unwanted_body(request, kwargs)
        return operation(request, *args, **kwargs)

    return checked


#: Fields whose errors one answer lists at most: a body of a hundred thousand unknown
#: fields gets a short answer.
MAX_FIELDS_LISTED = 100


class SinergiAPI(NinjaAPI):
    def validation_error_from_error_contexts(
        self, error_contexts: list[ValidationErrorContext]
    ) -> NinjaValidationError:
        """ninja's, keeping the errors of the first MAX_FIELDS_LISTED fields only (what an
        answer lists): a 1 MiB body of unknown fields gave 78,000 errors, which ninja
        copied one by one (0.65 s here) before the 422."""
        errors: list[dict[str, Any]] = []
        places: set[tuple] = set()
        for context in error_contexts:
            model = context.model
            for error in context.pydantic_validation_error.errors(include_url=False):
                loc = model.__ninja_flatten_map_reverse__.get(error["loc"], error["loc"])
                if loc not in places and len(places) >= MAX_FIELDS_LISTED:
                    continue
                places.add(loc)
                error = dict(error, loc=(model.__ninja_param_source__, *loc))
                error.pop("input", None)
                if isinstance((error.get("ctx") or {}).get("error"), Exception):
                    error["ctx"] = dict(error["ctx"], error=str(error["ctx"]["error"]))
                errors.append(error)
        return NinjaValidationError(errors)


api = SinergiAPI(
    title="Sinergi API",
    version="1",
    description=(
        "Partner registry and partnerships. Authenticate with a personal API token "
        "(`Authorization: Bearer sng_…`) or a signed-in session. Anonymous callers see "
        "public partnerships only."
    ),
    auth=Reader(),
    urls_namespace="api",
    docs_url="/docs",
    parser=ObjectParser(),
)
api.add_decorator(refuse_unstorable_text)


def error_response(
    request: HttpRequest,
    status: int,
    code: str,
    message: str,
    fields: dict[str, list[str]] | None = None,
    **extra: Any,
) -> HttpResponse:
    body: dict[str, Any] = {"status": status, "code": code, "message": message}
    if fields:
        body["fields"] = fields
    body.update(extra)
    return api.create_response(request, {"error": body}, status=status)


#: The characters of one name in a field's place an error answer repeats: an unknown field
#: is named by what the client sent, which may be a megabyte long.
MAX_NAME_SHOWN = 100


def _field_name(loc: list[Any]) -> str:
    # ninja locations look like ["body", "payload", "name"] or ["query", "limit"].
    parts = [str(p) for p in loc if p not in ("body", "payload", "query", "path", "form")]
    parts = [p if len(p) <= MAX_NAME_SHOWN else p[: MAX_NAME_SHOWN - 1] + "…" for p in parts]
    return ".".join(parts) or "body"


def _schema_messages() -> dict[str, str]:
    """Pydantic's error types, worded for people in the reader's language; the %(…)s
    names are the error's context values (ge, max_length, expected, …)."""
    whole, number = _("Enter a whole number."), _("Enter a number.")
    day, moment = _("Enter a date as YYYY-MM-DD."), _("Enter a date and time (ISO 8601).")
    return {
        "missing": _("This field is required."),
        "extra_forbidden": _("Unknown field."),
        "int_parsing": whole,
        "int_type": whole,
        "int_from_float": whole,
        "int_parsing_size": whole,
        "float_parsing": number,
        "float_type": number,
        "decimal_parsing": number,
        "decimal_type": number,
        "finite_number": number,
        "greater_than_equal": _("Must be at least %(ge)s."),
        "greater_than": _("Must be more than %(gt)s."),
        "less_than_equal": _("Must be at most %(le)s."),
        "less_than": _("Must be less than %(lt)s."),
        "string_too_short": _("Must be at least %(min_length)s characters long."),
        "string_too_long": _("Must be at most %(max_length)s characters long."),
        "too_short": _("Give at least %(min_length)s items."),
        "too_long": _("Give at most %(max_length)s items."),
        "string_type": _("Enter text."),
        "string_unicode": _("Enter text."),
        "string_pattern_mismatch": _("Does not have the expected form (%(pattern)s)."),
        "bool_parsing": _("Enter true or false."),
        "bool_type": _("Enter true or false."),
        "date_parsing": day,
        "date_from_datetime_parsing": day,
        "date_from_datetime_inexact": day,
        "date_type": day,
        "datetime_parsing": moment,
        "datetime_from_date_parsing": moment,
        "datetime_type": moment,
        "enum": _("Choose one of: %(expected)s."),
        "literal_error": _("Choose one of: %(expected)s."),
        "uuid_parsing": _("Enter a valid UUID."),
        "decimal_max_digits": _("Enter at most %(max_digits)s digits."),
        "decimal_max_places": _("Enter at most %(decimal_places)s decimal places."),
        "decimal_whole_digits": _("Enter at most %(whole_digits)s digits before the point."),
        "list_type": _("Give a list."),
        "dict_type": _("Give an object."),
        "model_type": _("Give an object."),
        "model_attributes_type": _("Give an object."),
    }


def _schema_message(error: dict[str, Any], messages: dict[str, str]) -> str:
    """One pydantic error in the reader's language (`messages`: `_schema_messages()`), or
    pydantic's own words when the type is not one we word (custom validators already
    raise translated text)."""
    template = messages.get(error.get("type", ""))
    if template is None:
        return str(error.get("msg", ""))
    try:
        return template % {k: str(v) for k, v in (error.get("ctx") or {}).items()}
    except (KeyError, TypeError, ValueError):
        return str(error.get("msg", ""))


def _malformed(request: HttpRequest) -> HttpResponse:
    """The 400 for a body that is not a JSON object, saying which way it is not."""
    try:
        body = request.body
    except RequestDataTooBig:  # pragma: no cover - the middleware answers 413 first
        body = b"x"
    if not body.strip():
        message = _("The request body is empty: send a JSON object.")
    else:
        try:
            _parse(body)
        except DuplicateName as error:
            message = _("The request body names “%(name)s” twice: send each field once.") % {
                "name": error.name[:60]
            }
        except (ValueError, RecursionError):  # RecursionError: nested too deep to read
            message = _("The request body is not valid JSON.")
        else:
            message = _("The request body must be a JSON object, in braces.")
    return error_response(request, 400, "malformed", message)


@api.exception_handler(UnwantedBody)
def _unwanted_body(request: HttpRequest, exc: UnwantedBody) -> HttpResponse:
    return _malformed(request)


@api.exception_handler(CutBody)
def _cut_body(request: HttpRequest, exc: CutBody) -> HttpResponse:
    """The body ended before its declared length (the client stopped sending): a client
    error, not one of ours, so it is answered here rather than logged as a 500."""
    return error_response(request, 400, "incomplete_body", cut_body_message())


@api.exception_handler(MultiPartParserError)
def _bad_multipart(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
    """A file upload whose multipart body cannot be read (no or a broken boundary)."""
    return error_response(
        request,
        400,
        "malformed",
        _(
            "The request body is not a readable multipart form; send the file as the form "
            "field the documentation names."
        ),
    )


@api.exception_handler(NinjaValidationError)
def _schema_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    fields: dict[str, list[str]] = {}
    messages = _schema_messages()  # once per answer, not once per error
    for error in exc.errors:
        loc = list(error.get("loc", []))
        empty_body = loc == ["body", "payload"] and error.get("type") == "missing"
        if error.get("type") == "json_invalid" or loc == ["body"] or empty_body:
            return _malformed(request)
        # At most MAX_FIELDS_LISTED places come here (SinergiAPI keeps no more).
        fields.setdefault(_field_name(loc), []).append(_schema_message(error, messages))
    return error_response(request, 422, "invalid", _("Some fields are not valid."), fields)


@api.exception_handler(DjangoValidationError)
def _domain_error(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    if hasattr(exc, "error_dict"):
        fields = {
            ("non_field" if name == "__all__" else name): messages
            for name, messages in exc.message_dict.items()
        }
    else:
        fields = {"non_field": exc.messages}
    return error_response(request, 422, "invalid", _("Some fields are not valid."), fields)


@api.exception_handler(RetryLater)
def _retry_later(request: HttpRequest, exc: RetryLater) -> HttpResponse:
    response = _domain_error(request, exc.error)
    response["Retry-After"] = str(exc.seconds)
    return response


@api.exception_handler(LikelyDuplicate)
def _duplicate(request: HttpRequest, exc: LikelyDuplicate) -> HttpResponse:
    candidates = [
        {"slug": o.slug, "name": o.name, "acronym": o.acronym, "iati_identifier": o.iati_identifier}
        for o in exc.candidates
    ]
    return error_response(
        request,
        409,
        "likely_duplicate",
        _(
            "This organisation may already be registered. Send confirm_duplicate=true to add it anyway."  # noqa: E501
        ),
        {"name": [_("Looks like an organisation that is already registered.")]},
        candidates=candidates,
    )


@api.exception_handler(Conflict)
def _conflict(request: HttpRequest, exc: Conflict) -> HttpResponse:
    fields = {exc.field: [exc.message]} if exc.field else None
    return error_response(request, 409, "conflict", exc.message, fields)


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    if not request.user.is_authenticated:
        return error_response(request, 401, "unauthenticated", _("Sign in or send an API token."))
    # A refusal that says why (the services raise translated reasons) keeps its words.
    reason = exc.args[0] if exc.args and isinstance(exc.args[0], str) else ""
    return error_response(request, 403, "forbidden", reason or _("You may not do this."))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, 404, "not_found", _("Not found."))


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400:
        # ninja raises HttpError(400) itself when it cannot parse the request body.
        return _malformed(request)
    codes = {401: "unauthenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}
    return error_response(request, exc.status_code, codes.get(exc.status_code, "error"), str(exc))


@api.exception_handler(DamagedLog)
def _damaged_log(request: HttpRequest, exc: DamagedLog) -> HttpResponse:
    logging.getLogger("sinergi.ledger").critical(
        "the ledger's storage is damaged (%s), answering %s; run `sinergi ledger verify`",
        exc,
        request.path,
    )
    return error_response(
        request,
        503,
        "ledger_damaged",
        _(
            "The ledger cannot answer this: a hash it needs is missing from its storage. "
            "The operator has been alerted."
        ),
    )


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return error_response(request, 413, "too_large", _("The request body is too large."))


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    """Anything no handler above expects: the error envelope (JSON, as docs/api.md
    promises) instead of Django's HTML page; 503 when SQLite stayed busy with another
    write or the database cannot store anything (a full or read-only disk). The error is
    logged and signalled as Django does for a 500."""
    problem = database_problem(exc)
    if problem == "storage":
        logging.getLogger("django.request").error(
            "The database cannot store anything: %s", request.path, exc_info=exc
        )
    if problem is not None:
        response = error_response(request, 503, problem, problem_message(problem))
        if problem == "busy":
            response["Retry-After"] = str(BUSY_RETRY_SECONDS)
        return response
    logging.getLogger("django.request").error(
        "Internal Server Error: %s", request.path, exc_info=exc
    )
    got_request_exception.send(sender=None, request=request)
    return error_response(
        request, 500, "server_error", _("Something went wrong on the server; it was logged.")
    )


def _register_routers() -> None:
    from sinergi.access.api import router as access_router
    from sinergi.finance.api import router as finance_router
    from sinergi.finance.import_api import router as finance_import_router
    from sinergi.ledger.api import router as ledger_router
    from sinergi.partners.api import router as partners_router
    from sinergi.partners.capabilities.api import router as capabilities_router
    from sinergi.partners.matching.api import router as matching_router
    from sinergi.partnerships.agreements.api import router as agreements_router
    from sinergi.partnerships.api import router as partnerships_router
    from sinergi.partnerships.expectations.api import router as expectations_router
    from sinergi.partnerships.goals.api import router as goals_router
    from sinergi.partnerships.lifecycle.api import router as lifecycle_router
    from sinergi.partnerships.needs.api import router as needs_router
    from sinergi.partnerships.raci.api import router as raci_router
    from sinergi.partnerships.sdg.api import router as sdg_router
    from sinergi.results.api import router as results_router
    from sinergi.results.portfolio_api import router as results_portfolio_router
    from sinergi.results.spreadsheet_api import router as results_spreadsheet_router

    # Django tries the URL patterns in order: the busiest routes first. Each part of a
    # partnership is its own router under /partnerships/{slug}/…; the imports come
    # before their parts, whose {pk} would also match "import".
    for part_router in (
        partnerships_router,
        finance_import_router,
        finance_router,
        results_spreadsheet_router,
        results_router,
        goals_router,
        expectations_router,
        raci_router,
        agreements_router,
        lifecycle_router,
        needs_router,
        matching_router,
    ):
        api.add_router("/partnerships", part_router)
    api.add_router("/organisations", partners_router)
    api.add_router("/organisations", capabilities_router)
    api.add_router("/sdg", sdg_router)
    api.add_router("/ledger", ledger_router)
    api.add_router("/results", results_portfolio_router)
    api.add_router("/", access_router)


_register_routers()
