"""A request whose body ends before its declared Content-Length is refused with 400 and
writes nothing.

A client that stops sending part-way (its connection dropped, a proxy gave up) leaves the
server a body that simply ends. Django read such a body as whole: a form's last field was
stored cut short and logged on the ledger, and a JSON object that happened to be complete
created its partnership. These tests send real HTTP to a live server, close their sending
side early, and read the answer.
"""

from __future__ import annotations

import io
import json
import logging
import socket
from urllib.parse import urlencode, urlparse

import pytest
from django.conf import settings
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client

from sinergi.access.services import create_api_token
from sinergi.core.middleware import CutBody, WholeBody
from sinergi.ledger.models import Entry
from sinergi.partnerships.models import Partnership
from tests.factories import MembershipFactory, PartnershipFactory, PersonFactory
from tests.forms_on_page import form_on_page

LIVE = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _send_cut(live_url: str, head: str, body: bytes, missing: int) -> str:
    """Send `head` declaring len(body) + missing bytes, then `body`, close the sending
    side (the server reads the end of the stream) and return the whole answer."""
    address = urlparse(live_url)
    request = (
        head.replace("\n", "\r\n").format(host=address.netloc, length=len(body) + missing) + "\r\n"
    )
    with socket.create_connection((address.hostname, address.port), timeout=20) as conn:
        conn.sendall(request.encode("latin-1") + body)
        conn.shutdown(socket.SHUT_WR)
        reply = b""
        while chunk := conn.recv(65536):
            reply += chunk
    return reply.decode("utf-8", "replace")


@LIVE
def test_an_api_body_complete_as_json_but_shorter_than_declared_creates_nothing(live_server):
    """Given a JSON body that is a whole object but 40 bytes shorter than its
    Content-Length, then the API answers 400 `incomplete_body` in its envelope and no
    partnership or ledger entry is created; the same body with its true length creates
    one."""
    person = PersonFactory()
    _token, secret = create_api_token(actor=person, name="tests")
    entries = Entry.objects.count()
    body = json.dumps({"title": "Clean Rivers Java", "slug": "clean-rivers"}).encode()
    head = (
        "POST /api/v1/partnerships HTTP/1.1\nHost: {host}\n"
        f"Authorization: Bearer {secret}\n"
        "Content-Type: application/json\nContent-Length: {length}\nConnection: close\n"
    )

    reply = _send_cut(live_server.url, head, body, missing=40)

    assert reply.startswith("HTTP/1.1 400"), reply[:300]
    error = json.loads(reply.split("\r\n\r\n", 1)[1])["error"]
    assert (error["status"], error["code"]) == (400, "incomplete_body")
    assert "Content-Length" in error["message"]
    assert not Partnership.objects.filter(slug="clean-rivers").exists()
    assert Entry.objects.count() == entries

    whole = _send_cut(live_server.url, head, body, missing=0)
    assert whole.startswith("HTTP/1.1 201"), whole[:300]
    assert Partnership.objects.filter(slug="clean-rivers").exists()


@LIVE
def test_a_form_cut_inside_its_last_field_changes_nothing(live_server):
    """Given the partnership edit form sent with its last 30 bytes missing (the summary
    cut mid-sentence), then the page answers 400 and the stored summary and the ledger
    are as they were; the whole form saves the summary."""
    partnership = PartnershipFactory(summary="Before.")
    coordinator = PersonFactory()
    MembershipFactory(partnership=partnership, person=coordinator, role="coordinator")
    client = Client()
    client.force_login(coordinator)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    path = f"/en/partnerships/{partnership.slug}/edit/"
    form = form_on_page(client.get(path).content.decode())
    csrf = _get_new_csrf_string()
    entries = Entry.objects.count()
    summary = "The full summary text that should arrive entirely, ending here."
    form["csrfmiddlewaretoken"] = [csrf]
    form.pop("summary", None)
    form["summary"] = [summary]  # last, so that the cut falls inside it
    body = urlencode(form, doseq=True).encode()
    head = (
        f"POST {path} HTTP/1.1\nHost: {{host}}\n"
        f"Cookie: {settings.SESSION_COOKIE_NAME}={session}; "
        f"{settings.CSRF_COOKIE_NAME}={csrf}\n"
        "Content-Type: application/x-www-form-urlencoded\n"
        "Content-Length: {length}\nConnection: close\n"
    )

    reply = _send_cut(live_server.url, head, body[:-30], missing=30)

    assert reply.startswith("HTTP/1.1 400"), reply[:300]
    assert '<html lang="en">' in reply
    partnership.refresh_from_db()
    assert partnership.summary == "Before."
    assert Entry.objects.count() == entries

    whole = _send_cut(live_server.url, head, body, missing=0)
    assert whole.startswith("HTTP/1.1 302"), whole[:300]
    partnership.refresh_from_db()
    assert partnership.summary == summary


@LIVE
def test_an_upload_cut_short_is_400_and_stores_no_file(live_server):
    """Given a multipart upload whose body stops inside the file, then the answer is 400
    in the API's envelope (the multipart reader stops with it, rather than taking a
    shorter file)."""
    person = PersonFactory()
    _token, secret = create_api_token(actor=person, name="tests")
    boundary = "sinergi-boundary"
    body = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="a.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n" + "date,amount\r\n" * 2000
    ).encode()
    head = (
        "POST /api/v1/partnerships/no-such/finance/transactions/import HTTP/1.1\nHost: {host}\n"
        f"Authorization: Bearer {secret}\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\n"
        "Content-Length: {length}\nConnection: close\n"
    )

    reply = _send_cut(live_server.url, head, body, missing=500)

    assert reply.startswith("HTTP/1.1 400"), reply[:300]
    assert '"incomplete_body"' in reply


@pytest.mark.django_db
def test_a_cut_api_body_is_a_client_error_not_a_logged_server_error(caplog):
    """Given an API request whose body stream ends 40 bytes short, then the answer is the
    400 envelope, and nothing is logged as an internal server error (a dropped client
    connection is no alert for the operator)."""
    _token, secret = create_api_token(actor=PersonFactory(), name="tests")
    body = json.dumps({"title": "Clean Rivers Java", "slug": "clean-rivers"}).encode()

    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = Client().generic(
            "POST",
            "/api/v1/partnerships",
            data=body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {secret}",
            CONTENT_LENGTH=str(len(body) + 40),
            **{"wsgi.input": io.BytesIO(body)},
        )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "incomplete_body"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not Partnership.objects.filter(slug="clean-rivers").exists()


class _Trickle(io.RawIOBase):
    """A stream that gives at most `step` bytes a read, as a socket may."""

    def __init__(self, data: bytes, step: int) -> None:
        self._data, self._step = data, step

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        size = self._step if size is None or size < 0 else min(size, self._step)
        chunk, self._data = self._data[:size], self._data[size:]
        return chunk

    def readline(self, size: int = -1) -> bytes:
        return self.read(size)


def test_a_whole_body_read_in_short_pieces_is_not_taken_for_a_cut_one():
    """Given a stream that returns a few bytes at a time, then reads of any size give the
    whole body, and only a stream that ends before the declared length raises."""
    data = b"title=Clean+Rivers&summary=" + b"x" * 1000
    whole = WholeBody(_Trickle(data, 7), len(data))
    assert whole.read(10) == data[:10]
    assert whole.read() == data[10:]
    assert whole.read() == b""
    assert not whole.cut

    short = WholeBody(_Trickle(data[:-1], 7), len(data))
    with pytest.raises(CutBody):
        short.read(len(data) + 1)
    assert short.cut
