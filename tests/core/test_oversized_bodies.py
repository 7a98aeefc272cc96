"""A request body longer than SINERGI_MAX_UPLOAD_BYTES is refused with 413 before it is read.

Uploaded files do not count towards Django's DATA_UPLOAD_MAX_MEMORY_SIZE; without this
cap a multipart body is spooled to disk in full before any view or permission check runs.
"""

from __future__ import annotations

import socket
import time
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from sinergi.finance.models import Transaction
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

OVER = str(settings.SINERGI_MAX_UPLOAD_BYTES + 1)


def test_an_api_upload_over_the_cap_is_413_in_the_envelope_before_any_check():
    """Given an anonymous upload declaring more than the cap, then the answer is 413 in the
    JSON error envelope (not the 404 the path would get after reading the body)."""
    response = Client().post(
        "/api/v1/partnerships/no-such/finance/transactions/1/documents",
        {"file": SimpleUploadedFile("a.pdf", b"%PDF-1.4")},
        CONTENT_LENGTH=OVER,
    )

    assert response.status_code == 413
    error = response.json()["error"]
    assert error["status"] == 413
    assert error["code"] == "too_large"
    assert "52.0\xa0MB" in error["message"]


def test_a_page_upload_over_the_cap_is_a_413_page_in_the_reader_s_language(private_cast):
    """Given a signed-in partner posting more than the cap to a page, then a 413 page in
    the address's language says nothing was saved; the same request under the cap is
    answered by the page itself."""
    coordinator = client_for(private_cast.people["coordinator"])
    path = f"/id/partnerships/{private_cast.partnership.slug}/finance/import/"

    response = coordinator.post(
        path, {"file": SimpleUploadedFile("a.csv", b"x")}, CONTENT_LENGTH=OVER
    )

    assert response.status_code == 413
    page = response.content.decode()
    assert '<html lang="id">' in page
    assert "Tidak ada yang disimpan" in page
    assert not Transaction.objects.exists()
    assert coordinator.post(path, {"file": SimpleUploadedFile("a.csv", b"x")}).status_code != 413


def test_a_body_sent_in_chunks_is_411_not_an_empty_body(private_cast):
    """Given a request whose body comes in chunks with no Content-Length (which Django does
    not read), then the API answers 411 in its envelope and a page 411, rather than the
    "this field is required" an empty body would get; a body with its length is read as
    before."""
    chunked = {"HTTP_TRANSFER_ENCODING": "chunked", "CONTENT_LENGTH": ""}
    api = Client().post(
        "/api/v1/ledger/cosignatures", data="{}", content_type="application/json", **chunked
    )
    page = client_for(private_cast.people["coordinator"]).post(
        "/id/accounts/password/change/",
        data="old_password=x",
        content_type="application/x-www-form-urlencoded",
        **chunked,
    )
    sized = Client().post("/api/v1/ledger/cosignatures", data="{}", content_type="application/json")

    assert api.status_code == 411
    error = api.json()["error"]
    assert (error["status"], error["code"]) == (411, "length_required")
    assert "Content-Length" in error["message"]
    assert page.status_code == 411 and '<html lang="id">' in page.content.decode()
    assert sized.status_code == 422 and "checkpoint" in sized.json()["error"]["fields"]


# Transactional (the live server needs committed data) with serialized rollback, as the
# browser tests are: its flush then leaves the database as they expect to find it.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_server_answers_413_without_waiting_for_the_body(live_server):
    """Given a raw HTTP request that declares 60 MB but sends only its headers, then the
    live server answers 413 at once: the body is never read."""
    address = urlparse(live_server.url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as conn:
        started = time.monotonic()
        conn.sendall(
            b"POST /api/v1/partnerships/x/finance/transactions/1/documents HTTP/1.1\r\n"
            b"Host: " + address.netloc.encode() + b"\r\n"
            b"Content-Type: multipart/form-data; boundary=b\r\n"
            b"Content-Length: 62914560\r\n\r\n"
        )
        reply = ""
        while '"too_large"' not in reply and (chunk := conn.recv(4096)):
            reply += chunk.decode("latin-1")
        elapsed = time.monotonic() - started

    assert reply.startswith("HTTP/1.1 413"), reply[:200]
    assert '"too_large"' in reply
    assert elapsed < 5
