"""A password-reset mail goes out after the answer, so the answer's time does not tell
whether an address has an account (only such an address gets a mail).

Over real HTTP against a live server: the mail backend is held until the test has the
answer in hand, which it could not have if the request waited for the mail."""

from __future__ import annotations

import http.cookiejar
import re
import threading
import urllib.parse
import urllib.request

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.test import override_settings

from tests.factories import PersonFactory

RELEASE = threading.Event()
SENDING = threading.Event()


class HeldBackend(EmailBackend):
    """Django's in-memory backend that waits for the test before it delivers, as a slow
    mail server makes a request wait."""

    def send_messages(self, messages):  # type: ignore[no-untyped-def]
        SENDING.set()
        assert RELEASE.wait(timeout=30), "the test never released the mail"
        return super().send_messages(messages)


def post_reset(base: str, email: str, language: str) -> str:
    """Ask for a reset as a browser would; the page answered (after the redirect)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    address = f"{base}/{language}/accounts/password/reset/"
    page = opener.open(address, timeout=10).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "email": email}).encode()
    request = urllib.request.Request(address, data=data, headers={"Referer": address})
    with opener.open(request, timeout=10) as response:
        assert response.url.endswith(f"/{language}/accounts/password/reset/done/")
        return response.read().decode()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("in_thread", "language", "sent", "subject"),
    [
        (True, "id", "Periksa email Anda", "Pilih kata sandi Sinergi yang baru"),
        (False, "en", "Check your e-mail", "Choose a new Sinergi password"),
    ],
    ids=["worker-thread", "in-close"],
)
def test_the_answer_comes_before_the_mail_is_sent(live_server, in_thread, language, sent, subject):
    """In either mode the answer comes first, and the mail (written while answering, so
    in the reader's language) follows."""
    PersonFactory(username="ana", email="ana@example.org")
    held = override_settings(
        EMAIL_BACKEND=f"{__name__}.HeldBackend", AFTER_RESPONSE_IN_THREAD=in_thread
    )
    held.enable()
    try:
        message = answer_before_the_mail(live_server.url, language, sent)
    finally:
        RELEASE.set()
        held.disable()
    assert message.subject == subject


def answer_before_the_mail(base: str, language: str, sent: str) -> mail.EmailMessage:
    RELEASE.clear()
    SENDING.clear()
    mail.outbox = []

    answer = post_reset(base, "ana@example.org", language)

    assert sent in answer  # answered while the mail is still held
    assert mail.outbox == []
    assert SENDING.wait(timeout=10)  # … and the mail is on its way
    RELEASE.set()
    for _ in range(100):
        if mail.outbox:
            break
        threading.Event().wait(0.05)
    (message,) = mail.outbox
    assert message.to == ["ana@example.org"]
    assert sent in post_reset(base, "nobody@example.org", language)
    return message
