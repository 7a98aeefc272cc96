"""An invitation whose e-mail fails is saved and said to be unsent (its link is never shown
to the inviter: whoever opens it makes that address's account); a silent mail server holds
the inviter for EMAIL_TIMEOUT, not for ever.

Real SMTP over a local socket (tests/smtp.py), real commits (the mail is sent once the
invitation is committed), real HTTP through Django's test client.
"""

from __future__ import annotations

import re
import time

import pytest
from django.test import Client

from sinergi.access.models import Invitation
from tests.smtp import SmtpServer, closed_port, use_smtp

pytestmark = pytest.mark.django_db(transaction=True)

LINK = re.compile(r"http://testserver(/en/accounts/invitations/[^/\s]+/)")


def invite(cast, email: str = "new2@example.org") -> tuple[object, float]:
    """The coordinator invites `email` from the members page; returns the page the
    redirect leads to and how long the invitation took."""
    coordinator = Client()
    coordinator.force_login(cast.people["coordinator"])
    members = f"/en/partnerships/{cast.partnership.slug}/members/"
    started = time.monotonic()
    response = coordinator.post(
        members,
        {
            "form": "invite",
            "email": email,
            "organisation": cast.people["coordinator"].organisation_id,
            "role": "member",
        },
    )
    took = time.monotonic() - started
    assert response.status_code == 302, response.content[:2000]
    return coordinator.get(response["Location"]), took


def test_given_a_refused_connection_the_inviter_is_told_without_the_link(
    private_cast, settings
) -> None:
    use_smtp(settings, closed_port())

    page, _took = invite(private_cast)

    text = page.content.decode()
    assert "An invitation was sent" not in text
    assert "was saved, but the e-mail could not be sent. Check the address" in text
    assert Invitation.objects.filter(email="new2@example.org", accepted_at=None).count() == 1
    assert not LINK.search(text)
    assert "/accounts/invitations/" not in text


def test_given_a_silent_mail_server_the_inviter_waits_only_email_timeout(
    private_cast, settings
) -> None:
    with SmtpServer(silent=True, silent_for=8) as smtp:
        use_smtp(settings, smtp.port, timeout=1)

        page, took = invite(private_cast)

    assert took < 4, f"the invitation took {took:.1f} s"
    assert "was saved, but the e-mail could not be sent" in page.content.decode()


def test_given_a_refused_address_the_inviter_is_told(private_cast, settings) -> None:
    with SmtpServer(refuse=["new2@example.org"]) as smtp:
        use_smtp(settings, smtp.port)

        page, _took = invite(private_cast)

    assert smtp.recipients() == []
    assert "could not be sent" in page.content.decode()
    assert not LINK.search(page.content.decode())


def test_given_a_working_mail_server_the_link_goes_only_by_mail(private_cast, settings) -> None:
    with SmtpServer() as smtp:
        use_smtp(settings, smtp.port)

        page, _took = invite(private_cast)

    text = page.content.decode()
    assert "An invitation was sent to new2@example.org." in text
    assert not LINK.search(text)
    [(address, message)] = smtp.delivered
    assert address == "new2@example.org"
    assert LINK.search(message.replace("=\n", ""))


def test_in_indonesian_the_failure_is_said_in_indonesian(private_cast, settings) -> None:
    use_smtp(settings, closed_port())
    coordinator = Client()
    coordinator.force_login(private_cast.people["coordinator"])
    members = f"/id/partnerships/{private_cast.partnership.slug}/members/"
    response = coordinator.post(
        members,
        {
            "form": "invite",
            "email": "new3@example.org",
            "organisation": private_cast.people["coordinator"].organisation_id,
            "role": "member",
        },
        follow=True,
    )
    text = response.content.decode()
    assert "tidak dapat dikirim" in text or "tidak bisa dikirim" in text, text[-3000:]
    assert "could not be sent" not in text
