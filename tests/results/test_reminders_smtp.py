"""`sinergi results remind` against a real (local) SMTP server: a refused address fails
only its own digest, which the next run tries again while those sent are not sent twice;
a mail server out of reach is a clear command error, not a traceback."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from sinergi.results.models import ReminderSent
from tests.smtp import SmtpServer, closed_port, use_smtp

TODAY = "2025-07-25"


def remind(*args: str) -> str:
    out = StringIO()
    call_command("results", "remind", "--date", TODAY, "--days", "0", *args, stdout=out)
    return out.getvalue()


def test_given_a_refused_address_the_others_are_sent_once_and_it_is_retried(
    monitored, settings
) -> None:
    m = monitored
    everyone = sorted(
        p.email
        for p in (m.health_admin, m.health_member, m.coordinator_2, m.ngo_admin, m.coordinator)
    )
    refused = m.health_member.email
    with SmtpServer(refuse=[refused]) as smtp:
        use_smtp(settings, smtp.port, timeout=5)

        with pytest.raises(CommandError, match="1 digests not sent") as first:
            remind()
        assert refused in str(first.value) and "550" in str(first.value)
        assert sorted(smtp.recipients()) == [e for e in everyone if e != refused]

        # Run again: the four reminded today get nothing more; the refused one is tried.
        with pytest.raises(CommandError, match=refused):
            remind()
        assert sorted(smtp.recipients()) == [e for e in everyone if e != refused]

        m.health_member.email = "fixed@example.org"
        m.health_member.save(update_fields=["email"])
        out = remind()

    assert out.rstrip().splitlines()[-2:] == [
        "e-mailed 1 people",
        "4 people already reminded for 2025-07-25: not again",
    ]
    assert sorted(smtp.recipients()) == sorted(
        [e for e in everyone if e != refused] + ["fixed@example.org"]
    )
    assert ReminderSent.objects.filter(day=TODAY).count() == 5


def test_given_no_mail_server_remind_says_so_and_records_nothing(monitored, settings) -> None:
    use_smtp(settings, closed_port(), timeout=5)

    with pytest.raises(CommandError, match=r"cannot reach the mail server \(127\.0\.0\.1:\d+\)"):
        remind()

    assert not ReminderSent.objects.exists()


def test_given_a_silent_mail_server_remind_gives_up_after_the_timeout(monitored, settings) -> None:
    with SmtpServer(silent=True, silent_for=8) as smtp:
        use_smtp(settings, smtp.port, timeout=1)
        with pytest.raises(CommandError, match="cannot reach the mail server"):
            remind()
