"""Middleware shared by the whole site."""

from __future__ import annotations

import logging
from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.core.exceptions import BadRequest, RequestDataTooBig
from django.db import DatabaseError, OperationalError
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

API_PREFIX = "/api/"
logger = logging.getLogger("django.request")


class ContentSecurityPolicyMiddleware:
    """Send CONTENT_SECURITY_POLICY with every answer: scripts only from the site's own
    files (no inline script, no eval), so markup that slipped past escaping still runs
    nothing. Inline styles stay allowed: templates set colours as custom properties, and
    HTMX adds its indicator style."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if settings.CONTENT_SECURITY_POLICY:
            response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response


class HeadAsGetMiddleware:
    """Answer HEAD as the same GET would be answered, without its body (RFC 9110 §9.3.2):
    status and headers, Content-Length included. Outermost, so that every view, API
    route and static file that answers GET answers HEAD too (a link checker, a monitor,
    `curl -I`), and those that refuse GET refuse HEAD the same way."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.method != "HEAD":
            return self.get_response(request)
        request.method = request.META["REQUEST_METHOD"] = "GET"
        response = self.get_response(request)
        if isinstance(response, StreamingHttpResponse | FileResponse):
            response.streaming_content = []  # the file is closed with the response
        else:
            length = len(response.content)
            response.content = b""
            response["Content-Length"] = str(length)
        return response


class ErrorBodyMiddleware:
    """Give the API's 404 and 405 answers the same JSON error envelope as every other
    error, and a page's 405 (an address that takes a form's submission, visited) a page
    that says so in the reader's language.

    Django answers unknown API paths, and ninja unsupported methods, before any API
    exception handler runs; this turns those HTML or plain-text replies into the envelope.
    Django's method decorators answer a page's 405 with no body at all, which a browser
    shows as its own error page, in its own language.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code not in (404, 405):
            return response
        if not request.path.startswith(API_PREFIX):
            if response.status_code == 405 and not response.content:
                replacement = render(request, "405.html", status=405)
                if "Allow" in response:
                    replacement["Allow"] = response["Allow"]
                return replacement
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        if response.status_code == 404:
            body = {"status": 404, "code": "not_found", "message": _("Not found.")}
        else:
            body = {
                "status": 405,
                "code": "method_not_allowed",
                "message": _("This method is not allowed here."),
            }
        replacement = JsonResponse({"error": body}, status=response.status_code)
        if "Allow" in response:
            replacement["Allow"] = response["Allow"]
        return replacement


class RefuseNullCharactersMiddleware:
    """Answer 400 to a page request with a NUL character in its path or query string.

    Pages read filters and search terms straight from the query string, and PostgreSQL
    fails (a 500) on any text holding NUL, even in a look-up. Forms refuse NUL in posted
    fields themselves; the API names the field in its own 422 (see sinergi.api).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_PREFIX) and _has_null_character(request):
            raise BadRequest("NUL character in the path or query string")
        return self.get_response(request)


def _has_null_character(request: HttpRequest) -> bool:
    if "\x00" in request.path:
        return True
    return any(
        "\x00" in key or any("\x00" in value for value in values)
        for key, values in request.GET.lists()
    )


class RefuseOversizedBodiesMiddleware:
    """Answer 413 to a request whose declared body is larger than SINERGI_MAX_UPLOAD_BYTES,
    before anything reads it.

    Django's DATA_UPLOAD_MAX_MEMORY_SIZE does not count uploaded files: a multipart body is
    otherwise spooled to disk in full before any view (or permission check) runs, even for
    an anonymous caller. Each upload keeps its own, smaller limit; this one bounds them all.
    A body without a declared length is not read by Django at all, so one sent in chunks
    (`Transfer-Encoding: chunked`, no Content-Length) is answered 411 Length Required
    rather than being taken for an empty body ("this field is required").
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower() and not (
            request.META.get("CONTENT_LENGTH")
        ):
            return _length_required(request)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django reads such a body as empty
        limit = settings.SINERGI_MAX_UPLOAD_BYTES
        if length <= 0:
            return self.get_response(request)
        if length <= limit:
            # Django's own stream stops at Content-Length but reads a body that ends
            # sooner as if it were whole; this one refuses it (see WholeBody).
            body = WholeBody(request._stream, length)  # type: ignore[attr-defined]
            request._stream = body  # type: ignore[attr-defined]
            response = self.get_response(request)
            return _cut_body_response(request) if body.cut else response
        if request.path.startswith(API_PREFIX):
            message = _("The request is larger than the %(size)s this site accepts.") % {
                "size": filesizeformat(limit)
            }
            body = {"status": 413, "code": "too_large", "message": message}
            response: HttpResponse = JsonResponse({"error": body}, status=413)
        else:
            response = render(request, "413.html", {"limit": limit}, status=413)
        return response


class CutBody(BadRequest):
    """The request's body ended before the length its Content-Length header declared."""


class WholeBody:
    """A request body stream that raises CutBody when the client's stream ends before the
    declared Content-Length.

    A client that stops sending part-way (a dropped connection, a proxy giving up) leaves
    the server a body that simply ends; Django read it as whole: a form's last field
    stored cut short ("…should a"), a JSON object complete by chance created twice over,
    each logged on the ledger for good. Reading stops with CutBody instead, so the view
    writes nothing, and the middleware answers 400 (to whoever is still listening).
    """

    def __init__(self, stream: object, length: int) -> None:
        self._stream = stream
        self._left = length
        self.cut = False

    def read(self, size: int | None = -1, /) -> bytes:
        """Up to `size` bytes (all that is left when -1 or None), fewer only at the
        declared end: a stream that ends sooner raises CutBody."""
        wanted = self._left if size is None or size < 0 else min(size, self._left)
        chunks = []
        while wanted > 0:
            chunk = self._stream.read(wanted)  # type: ignore[attr-defined]
            if not chunk:
                self.cut = True
                raise CutBody("The request body ended before its declared length.")
            chunks.append(chunk)
            wanted -= len(chunk)
            self._left -= len(chunk)
        return b"".join(chunks)

    def readline(self, size: int | None = -1, /) -> bytes:
        if self._left <= 0 or size == 0:
            return b""
        line = self._stream.readline(-1 if size is None else size)  # type: ignore[attr-defined]
        if not line:
            self.cut = True
            raise CutBody("The request body ended before its declared length.")
        self._left -= len(line)
        return line

    def close(self) -> None:
        self._stream.close()  # type: ignore[attr-defined]


def cut_body_message() -> str:
    return _(
        "The request ended before the length its Content-Length header declares. "
        "Nothing was saved: send it again."
    )


def _cut_body_response(request: HttpRequest) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        body = {"status": 400, "code": "incomplete_body", "message": cut_body_message()}
        return JsonResponse({"error": body}, status=400)
    return render(request, "400.html", status=400)


def _length_required(request: HttpRequest) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        message = _(
            "Send the request with a Content-Length header: a body sent in chunks is not read."
        )
        body = {"status": 411, "code": "length_required", "message": message}
        return JsonResponse({"error": body}, status=411)
    return render(request, "400.html", status=411)


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class RefuseForeignCharsetsMiddleware:
    """Answer 400 to a form posted in a character set other than UTF-8, or whose bytes are
    not UTF-8 under that name, before the CSRF check reads it.

    Django refuses such a body with BadRequest when the body is first read, and the
    CSRF check reads it again while the 400 page is made: the client got an empty 500.
    Every form of the site is UTF-8; the API takes JSON, which is UTF-8 by definition.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.content_type in FORM_TYPES:
            charset = (request.content_params or {}).get("charset", "utf-8")
            if charset.strip().strip('"').lower().replace("_", "-") not in ("utf-8", "utf8"):
                return render(request, "400.html", status=400)
            if request.content_type == FORM_TYPES[0] and not _utf8_form(request):
                return render(request, "400.html", status=400)
        return self.get_response(request)


def _utf8_form(request: HttpRequest) -> bool:
    """Whether a URL-encoded form's bytes, percent escapes decoded, are UTF-8. Django reads
    any other byte as U+FFFD: "Caf%E9" (Latin-1's é, escaped) was saved, and logged on
    the ledger for good, as "Caf\ufffd". A body over the upload limit is left to the
    handler that answers it (413)."""
    try:
        body = request.body
    except RequestDataTooBig:
        return True
    try:
        unquote_to_bytes(body).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# What SQLite and PostgreSQL say when the database cannot store anything: a full disk
# (or PRAGMA max_page_count reached), a read-only file or standby, a failing disk.
STORAGE_WORDS = (
    "database or disk is full",
    "readonly database",
    "disk i/o error",
    "no space left on device",
    "read-only transaction",
)
STORAGE_SQLSTATES = ("53100", "25006")  # PostgreSQL: disk_full, read_only_sql_transaction


def database_problem(error: BaseException) -> str | None:
    """ "busy" when SQLite gave up waiting for its write lock after the busy timeout (a
    long write, such as a large import, holds it: the request may be sent again
    shortly); "storage" when the database cannot write at all (a full disk, a read-only
    file): nothing can be saved until the operator frees space or makes it writable.
    None for any other error. Either way the request's transaction was rolled back."""
    if not isinstance(error, DatabaseError):
        return None
    text = str(error).lower()
    if isinstance(error, OperationalError) and ("locked" in text or "busy" in text):
        return "busy"
    sqlstate = getattr(error.__cause__, "sqlstate", None)
    if sqlstate in STORAGE_SQLSTATES or any(words in text for words in STORAGE_WORDS):
        return "storage"
    return None


BUSY_RETRY_SECONDS = 10


class DatabaseBusyMiddleware:
    """Answer 503, not 500, when the database could not take the request's writes: busy
    with another write for longer than the busy timeout (with Retry-After: send it again
    shortly), or unable to store anything (a full or read-only disk; logged, since the
    operator has to act). The request's own transaction was rolled back, so nothing of it
    was saved, and the answer says so."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        problem = database_problem(exception)
        if problem is None:
            return None
        return unavailable_response(request, problem, exception)


def unavailable_response(
    request: HttpRequest, problem: str, exception: BaseException | None = None
) -> HttpResponse:
    """The 503 page, or the API's error envelope, for a `database_problem`."""
    if problem == "storage":
        logger.error("The database cannot store anything: %s", request.path, exc_info=exception)
    if request.path.startswith(API_PREFIX):
        body = {"status": 503, "code": problem, "message": problem_message(problem)}
        response: HttpResponse = JsonResponse({"error": body}, status=503)
    elif problem == "busy":
        response = render(request, "503.html", status=503)
    else:
        context = {"title": _("Cannot save now"), "message": problem_message(problem)}
        response = render(request, "503.html", context, status=503)
    if problem == "busy":
        response["Retry-After"] = str(BUSY_RETRY_SECONDS)
    return response


def problem_message(problem: str) -> str:
    if problem == "busy":
        return busy_message()
    return _(
        "The server cannot store anything right now: its storage is full or read-only. "
        "Nothing was saved. Try again later, and tell the site's operator if this lasts."
    )


def busy_message() -> str:
    return _(
        "The database is busy with another large change. Nothing was saved; "
        "try again in a few seconds."
    )
