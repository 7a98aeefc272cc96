"""`ledger.append_many` stores exactly what one `append` per entry would have stored."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from django.db import connection, transaction

from sinergi.ledger import audit, log, merkle
from sinergi.ledger.models import Entry, Head, Node

pytestmark = pytest.mark.django_db


def ticking_clock(start: datetime) -> Iterator[datetime]:
    moment = start
    while True:
        yield moment
        moment += timedelta(milliseconds=1, microseconds=7)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch):
    """Replace the ledger clock and salts with deterministic ones; return a function that
    rewinds both."""

    def rewind() -> None:
        ticks = ticking_clock(datetime(2026, 1, 2, 3, 4, 5, 123000, tzinfo=UTC))
        monkeypatch.setattr(log, "now", lambda: next(ticks))
        salts = (f"salt-{n}" for n in itertools.count())
        monkeypatch.setattr(log, "new_salt", lambda: next(salts))

    rewind()
    return rewind


PARTNERSHIP = SimpleNamespace(pk=42, slug="clean-water")


@pytest.fixture(autouse=True)
def _the_partnership(db) -> None:
    """PARTNERSHIP's row: `verify` checks that an entry's partnership exists (or has its
    deletion logged) and is named as the log says."""
    from tests.factories import PartnershipFactory

    PartnershipFactory(pk=PARTNERSHIP.pk, slug=PARTNERSHIP.slug)


ACTOR = SimpleNamespace(username="ana")


def events(start: int, count: int) -> list[tuple]:
    items: list[tuple] = []
    for i in range(start, start + count):
        payload = {"n": i, "title": f"Partnership {i}", "tags": ["a", "ü"][: i % 3]}
        if i % 3 == 0:
            items.append(("partnership.updated", payload, PARTNERSHIP, ACTOR))
        elif i % 3 == 1:
            items.append(("membership.granted", payload, PARTNERSHIP))
        else:
            items.append(("governance.note", payload))
    return items


def snapshot() -> tuple[list, list, tuple]:
    """Every stored value as the database holds it (raw SQL: no ORM conversion hides a
    difference in, say, how a time was written)."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {quote('index')}, kind, partnership_ref, time, body, leaf_hash"  # noqa: S608
            f" FROM {Entry._meta.db_table} ORDER BY 1"
        )
        entries = [(*row[:4], bytes(row[4]), bytes(row[5])) for row in cursor.fetchall()]
        cursor.execute(f"SELECT key, hash FROM {Node._meta.db_table} ORDER BY key")  # noqa: S608
        nodes = [(key, bytes(h)) for key, h in cursor.fetchall()]
    head = Head.objects.get(pk=1)
    return entries, nodes, (head.size, bytes(head.frontier))


def wipe() -> None:
    Entry.objects.all().delete()
    Node.objects.all().delete()
    Head.objects.filter(pk=1).update(size=0, frontier=b"")


def one_by_one(items: list[tuple]) -> None:
    for item in items:
        with transaction.atomic():
            log.append(*item)


@pytest.mark.parametrize(("before", "count", "batch_size"), [(0, 1, 5), (0, 300, 7), (5, 133, 64)])
def test_same_entries_nodes_and_head_as_one_by_one(clock, before, count, batch_size):
    items = events(0, before + count)

    one_by_one(items)
    expected = snapshot()

    wipe()
    clock()
    one_by_one(items[:before])
    with transaction.atomic():
        appended = log.append_many(iter(items[before:]), batch_size=batch_size)

    assert appended == range(before, before + count)
    assert snapshot() == expected
    size = before + count
    leaves = [merkle.leaf_hash(body) for _i, _k, _p, _t, body, _leaf in expected[0]]
    assert [leaf for *_columns, leaf in expected[0]] == leaves
    assert log.current_head() == log.TreeHead(size=size, root=merkle.root_of(leaves))
    report = audit.verify_log()
    assert report.ok, report.problems
    assert report.size == size


def test_proofs_over_a_bulk_appended_log_verify(clock):
    with transaction.atomic():
        log.append_many(events(0, 1000), batch_size=128)
    head = log.current_head()
    for index in (0, 1, 511, 512, 999):
        proof = log.inclusion(index, head.size)
        merkle.verify_inclusion(index, head.size, proof.leaf_hash, proof.hashes, head.root)
    proof = log.consistency(700, head.size)
    merkle.verify_consistency(700, head.size, proof.hashes, proof.first_root, head.root)


def test_nothing_to_append(clock):
    with transaction.atomic():
        assert log.append_many([]) == range(0, 0)
    assert snapshot() == ([], [], (0, b""))


def test_a_rejected_entry_keeps_none_of_the_batch(clock):
    one_by_one(events(0, 3))
    before = snapshot()
    bad = [*events(3, 10), ("", {"n": -1}), *events(13, 2)]
    with transaction.atomic():
        with pytest.raises(log.LedgerError):
            log.append_many(bad, batch_size=4)
        # The caller's transaction goes on, with nothing of the batch in it.
        assert snapshot() == before
    assert snapshot() == before
    assert audit.verify_log().ok


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC),  # a whole second: no fraction
        datetime(2026, 3, 4, 5, 6, 7, 8, tzinfo=UTC),
        datetime(2026, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
        datetime(2026, 3, 4, 12, 6, 7, 250_000, tzinfo=timezone(timedelta(hours=7))),
        datetime(2026, 3, 4, 5, 6, 7, 8, tzinfo=timezone(timedelta(0))),  # UTC, not the same object
    ],
)
def test_entry_times_are_written_as_the_orm_writes_them(moment):
    """The column value `append` and `append_many` write for an entry's time (a shortcut,
    not the ORM's conversion) is the one Django itself would write."""
    field = Entry._meta.get_field("time")
    expected = field.get_db_prep_save(moment, connection)
    assert log._time_adapter(connection.vendor)(moment) == expected
    assert log._time_adapter(connection.vendor)(moment.astimezone(UTC)) == expected
