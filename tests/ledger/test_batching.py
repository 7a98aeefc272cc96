"""Checkpoints are batched: at most one a second under load, whoever asks.

Appends and readers (the public checkpoint, proofs, receipts and ledger pages, anonymous
ones included) sign the head when it has grown, but not within
SINERGI_LEDGER_CHECKPOINT_INTERVAL of the newest checkpoint, whatever process signed
it. The rest of the suite runs with the interval at 0; these tests use the real one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from sinergi.ledger import checkpoints, notes
from sinergi.ledger.models import Checkpoint, Head
from tests.ledger import support

READERS = ["/ledger/checkpoint", "/en/ledger/", "/api/v1/ledger/proof/inclusion?index=0"]


@pytest.fixture
def batched(ledger, settings):
    settings.SINERGI_LEDGER_CHECKPOINT_INTERVAL = 1.0
    support.append_events(1)
    checkpoints.issue_checkpoint()  # just signed: the interval starts now
    checkpoints._last_attempt = 0.0


def age_checkpoints(seconds: float) -> None:
    Checkpoint.objects.update(created_at=timezone.now() - timedelta(seconds=seconds))


def served_size(client: Client) -> int:
    note = client.get("/ledger/checkpoint").content.decode()
    return notes.parse_checkpoint_text(notes.split_note(note)[0]).size


def test_readers_and_appends_within_the_interval_sign_nothing_new(
    batched, django_capture_on_commit_callbacks, settings
):
    """Given a checkpoint signed just now, when 20 appends each come with an anonymous
    read of every page that signs a grown head, then no new checkpoint is signed (before,
    each read signed one: up to 36 a second were seen) and readers get the one there is.
    (An hour's interval, so that a slow machine's minute still falls within it.)"""
    settings.SINERGI_LEDGER_CHECKPOINT_INTERVAL = 3600.0
    client = Client()
    for n in range(20):
        checkpoints._last_attempt = 0.0  # as if each append ran in another process
        with django_capture_on_commit_callbacks(execute=True):
            support.append_events(1, first=n + 1)
        for path in READERS:
            assert client.get(path).status_code == 200

    assert Checkpoint.objects.count() == 1
    assert served_size(client) == 1


def test_a_read_after_the_interval_signs_the_grown_head(batched):
    """Given the newest checkpoint a second and more old and 5 entries since, then the
    next anonymous read of the checkpoint signs one covering them all."""
    support.append_events(5, first=1)
    age_checkpoints(1.5)

    assert served_size(Client()) == 6
    assert Checkpoint.objects.count() == 2


def test_an_append_after_the_interval_signs_the_grown_head(
    batched, django_capture_on_commit_callbacks
):
    """Given the newest checkpoint over a second old, then an append signs its head once
    committed."""
    age_checkpoints(1.5)

    with django_capture_on_commit_callbacks(execute=True):
        support.append_events(1, first=1)

    assert Checkpoint.objects.order_by("-size").first().size == 2


def test_a_clock_that_went_back_does_not_stop_signing(batched):
    """Given a newest checkpoint dated an hour ahead (the clock was set back since), then
    a read still signs the grown head rather than wait an hour."""
    Checkpoint.objects.update(created_at=timezone.now() + timedelta(hours=1))
    support.append_events(1, first=1)

    assert served_size(Client()) == 2


def test_an_entry_waiting_for_its_checkpoint_is_asked_for_again_a_second_later(batched):
    """Given an entry appended within the interval (no checkpoint covers it yet), then its
    receipt and its inclusion proof against the latest checkpoint answer 422 with
    Retry-After: 1 (a script that writes and fetches the receipt at once knows to wait);
    an index nobody appended is a plain 422; a second later the receipt is there."""
    support.append_events(1, first=1)
    client = Client()

    for path in ("/api/v1/ledger/entries/1/receipt", "/api/v1/ledger/proof/inclusion?index=1"):
        waiting = client.get(path)
        assert waiting.status_code == 422, path
        assert waiting["Retry-After"] == "1"
    never = client.get("/api/v1/ledger/entries/7/receipt")
    assert never.status_code == 422
    assert "Retry-After" not in never
    age_checkpoints(1.5)
    assert client.get("/api/v1/ledger/entries/1/receipt").status_code == 200


def test_the_checkpoint_command_signs_at_once(batched):
    """Given a checkpoint signed just now, then `sinergi ledger checkpoint` (an operator's
    explicit request) and the export sign the grown head all the same."""
    support.append_events(2, first=1)

    assert checkpoints.issue_checkpoint().size == 3


@contextmanager
def head_held_elsewhere() -> Iterator[None]:
    """Another connection holds the log's head row, as a writer does until its commit (an
    import, for seconds)."""
    import psycopg

    settings_dict = connection.settings_dict
    with psycopg.connect(
        dbname=settings_dict["NAME"],
        user=settings_dict["USER"],
        password=settings_dict["PASSWORD"],
        host=settings_dict["HOST"],
        port=settings_dict["PORT"],
    ) as other:
        other.execute("SELECT size FROM ledger_head WHERE id = 1 FOR UPDATE")
        yield
        other.rollback()


@pytest.mark.django_db(transaction=True)
def test_readers_do_not_wait_for_a_writer_holding_the_log(ledger_key, settings):
    """Given a grown head (3 entries, a checkpoint of 1 an hour old) held by another
    connection's open write, then every reader that would sign it answers 200 at once with
    the checkpoint there is, signing nothing (before, each waited SQLite's 20-second busy
    timeout and answered 503, or on PostgreSQL waited for the writer's commit); once the
    writer is gone, the next reader signs the head.

    On PostgreSQL only: the suite's SQLite database is shared-cache memory, whose locks
    are per table and do not wait, unlike the file's write lock that a server's SQLite
    readers wait for (there the reader waits `checkpoints.READER_WAIT_MS`, checked by hand
    against a served file database, docs/ledger.md)."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's row lock; the test SQLite database does not wait for locks")
    settings.SINERGI_LEDGER_CHECKPOINT_INTERVAL = 1.0
    Head.objects.get_or_create(pk=1, defaults={"size": 0, "frontier": b""})
    support.append_events(1)
    checkpoints.issue_checkpoint()
    support.append_events(2, first=1)
    age_checkpoints(3600)
    client = Client()

    with head_held_elsewhere():
        for path in READERS:
            assert client.get(path).status_code == 200, path
        assert served_size(client) == 1
        assert Checkpoint.objects.count() == 1

    assert served_size(client) == 3
