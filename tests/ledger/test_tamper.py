"""Tampering with the stored ledger is found, and named by the first entry it touches.

Each test builds a log of 40 entries with checkpoints at sizes 10, 25 and 40, changes the
database behind the ledger's back (queryset updates or raw SQL, as an operator could),
and checks that both `sinergi ledger verify` and audit.verify_log() fail, reporting the
first bad index; and that the log refuses to sign a checkpoint of a rewritten history.
"""

from __future__ import annotations

import io
import os

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.test import Client

from sinergi.ledger import audit, checkpoints, log, notes
from sinergi.ledger.models import LEVEL_SHIFT, Checkpoint, Entry, Node, node_key
from tests.ledger import support

SIZE = 40
CHECKPOINT_SIZES = (10, 25, 40)
INCLUSION = "/api/v1/ledger/proof/inclusion"


@pytest.fixture
def log40(ledger) -> list[bytes]:
    """40 entries, checkpoints at 10, 25 and 40; returns the bodies as logged."""
    for size in CHECKPOINT_SIZES:
        support.append_events(size - log.current_head().size)
        checkpoints.issue_checkpoint()
    assert list(Checkpoint.objects.values_list("size", flat=True)) == list(CHECKPOINT_SIZES)
    return support.stored_bodies()


def verify_fails_at(index: int) -> audit.Report:
    """Assert that the command and the function both fail and name `index`."""
    err = io.StringIO()
    with pytest.raises(CommandError, match=rf"first bad index: {index}$"):
        call_command("ledger", "verify", stdout=io.StringIO(), stderr=err)
    assert "FAIL:" in err.getvalue()
    report = audit.verify_log()
    assert not report.ok
    assert report.first_bad_index == index, report.problems
    return report


def test_an_untouched_log_verifies(log40):
    """Given the log as written, then `sinergi ledger verify` reports every entry and
    checkpoint verified."""
    out = io.StringIO()

    call_command("ledger", "verify", stdout=out)

    assert out.getvalue().strip() == "OK: 40 entries, 3 checkpoints, 0 cosignatures verified"
    report = audit.verify_log()
    assert report.ok
    assert (report.size, report.checkpoints, report.first_bad_index) == (40, 3, None)


@pytest.mark.parametrize("index", [0, 13, 24, 25, 39])
def test_an_altered_body_is_found_at_its_index(log40, index):
    """Given one entry's body rewritten (still valid canonical JSON), then verification
    fails and names that entry, not the subtrees or checkpoints above it."""
    Entry.objects.filter(index=index).update(body=support.changed_body(log40[index], n="forged"))

    report = verify_fails_at(index)

    assert f"entry {index} does not match its logged hash" in report.problems


@pytest.mark.parametrize(("index", "first"), [(33, 32), (39, 32), (17, 0), (5, 0)])
def test_a_body_altered_with_its_leaf_hash_is_found_under_the_right_edge(log40, index, first):
    """Given a body and its stored leaf hash rewritten to agree (what an operator would
    do), then the entry itself looks whole, and verification names the first entry of
    the smallest subtree whose stored hash no longer matches: a node from level 4 up, or
    for the last entries (32 to 39, under no stored node) the head's right edge. Never
    the log size, which would say every entry before it is sound."""
    forged = support.changed_body(log40[index], n="forged")
    Entry.objects.filter(index=index).update(body=forged, leaf_hash=support.leaf(forged))

    report = verify_fails_at(first)

    assert f"entry {index} does not match its logged hash" not in report.problems


def test_a_short_log_altered_with_its_leaf_hash_is_found_from_its_first_entry(ledger):
    """Given a log of 10 entries (no stored node at all) with entry 3's body and leaf
    hash rewritten together, then verification names entry 0, the first under the
    head's first right-edge subtree (entries 0 to 7), not the log size."""
    support.append_events(10)
    checkpoints.issue_checkpoint()
    forged = support.changed_body(support.stored_bodies()[3], n="forged")
    Entry.objects.filter(index=3).update(body=forged, leaf_hash=support.leaf(forged))

    report = verify_fails_at(0)

    assert "the log head does not match the entries" in report.problems


def test_a_body_altered_with_raw_sql_is_found(log40):
    """Given a body changed by a raw SQL UPDATE, then index 30 is reported."""
    table = connection.ops.quote_name(Entry._meta.db_table)
    column = connection.ops.quote_name("index")
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET body = %s WHERE {column} = %s",  # noqa: S608
            [support.changed_body(log40[30], amount=1_000_000), 30],
        )

    verify_fails_at(30)


@pytest.mark.parametrize("index", [0, 13, 39])
def test_a_deleted_entry_is_found_at_its_index(log40, index):
    """Given one entry row deleted, then verification names its index."""
    Entry.objects.filter(index=index).delete()

    report = verify_fails_at(index)

    assert f"entry {index} is missing" in report.problems


def test_an_extra_entry_at_the_end_is_found_at_the_old_size(log40):
    """Given a row inserted after the last entry without going through append, then the
    index reported is the log's size."""
    extra = log.canonical_entry("partnership.created", None, None, "2025-01-01T00:00:00.000Z", {})
    Entry.objects.create(
        index=SIZE,
        kind="partnership.created",
        time=log.now(),
        body=extra,
        leaf_hash=support.leaf(extra),
    )

    report = verify_fails_at(SIZE)

    assert any("beyond the log size" in p for p in report.problems)


def test_two_swapped_bodies_are_found_at_the_earlier_index(log40):
    """Given the bodies of entries 7 and 20 exchanged, then the first bad index is 7."""
    Entry.objects.filter(index=7).update(body=log40[20])
    Entry.objects.filter(index=20).update(body=log40[7])

    report = verify_fails_at(7)

    assert "entry 7 does not match its logged hash" in report.problems
    assert "entry 20 does not match its logged hash" in report.problems


@pytest.mark.parametrize("index", [0, 5, 39])
def test_an_altered_leaf_hash_is_found(log40, index):
    """Given one entry's stored leaf hash overwritten (its body unchanged), then
    verification fails at that entry: proofs would give the stored hash."""
    assert Entry.objects.filter(index=index).update(leaf_hash=os.urandom(32)) == 1

    report = verify_fails_at(index)

    assert f"entry {index} does not match its logged hash" in report.problems


@pytest.mark.parametrize(("level", "index", "first"), [(4, 1, 16), (4, 0, 0), (5, 0, 0)])
def test_an_altered_tree_node_is_found(log40, level, index, first):
    """Given one stored subtree hash overwritten, then verification fails and points at
    the first entry under that subtree."""
    assert Node.objects.filter(key=node_key(level, index)).update(hash=os.urandom(32)) == 1

    verify_fails_at(first)


def test_two_tree_nodes_trading_a_byte_are_found(log40):
    """Given two neighbouring stored hashes rewritten as 31 and 33 bytes whose
    concatenation is unchanged, then verification still fails at the first of them (the
    stored hashes are compared joined, so their lengths are checked too)."""
    first, second = (Node.objects.get(key=node_key(4, i)) for i in (0, 1))
    joined = bytes(first.hash) + bytes(second.hash)
    Node.objects.filter(pk=first.pk).update(hash=joined[:31])
    Node.objects.filter(pk=second.pk).update(hash=joined[31:])

    verify_fails_at(0)


def test_a_node_stored_below_the_stored_levels_is_found(log40):
    """Given a row added at level 1 (subtrees of 2 entries are hashed from their leaves,
    never stored), holding the true hash of entries 8 and 9, then verification reports
    it as extra; no proof reads it, so it names no entry."""
    leaves = [support.leaf(b) for b in log40]
    Node.objects.create(key=node_key(1, 4), hash=support.node(leaves[8], leaves[9]))

    report = audit.verify_log()

    assert not report.ok
    assert "an extra tree node (1, 4) is stored below level 4" in report.problems


@pytest.mark.parametrize(("level", "index", "first"), [(4, 1, 16), (4, 0, 0), (5, 0, 0)])
def test_a_deleted_tree_node_is_found_at_its_first_entry(log40, level, index, first):
    """Given one stored subtree hash deleted, then verification fails and names the
    first entry under it, as for an altered one."""
    assert Node.objects.filter(key=node_key(level, index)).delete()[0] == 1

    report = verify_fails_at(first)

    assert f"tree nodes are missing at level {level}" in report.problems


def test_a_proof_that_needs_a_deleted_tree_node_is_refused_not_made_up(log40):
    """Given the subtree hash of entries 16..31 deleted, then a proof that needs it is
    refused (the stored hashes are read by key; a missing one is not taken as empty),
    while one that does not need it is still given."""
    assert Node.objects.filter(key=node_key(4, 1)).delete()[0] == 1

    with pytest.raises(log.LedgerError, match="missing nodes"):
        log.inclusion(0, SIZE)
    with pytest.raises(log.LedgerError, match="missing nodes"):
        log.consistency(10, SIZE)
    proof = log.inclusion(20, 32)  # the path from 20 to the root of 32 avoids (4, 1)
    assert len(proof.hashes) == 5


def test_the_api_answers_a_proof_over_a_damaged_log_503_not_as_the_readers_fault(log40):
    """Given a stored subtree hash deleted, then the proofs and the receipt that need it
    answer 503 `ledger_damaged` (not a 422 telling the reader to change tree_size), the
    operator's log says so, and a proof that does not need it is still given."""
    assert Node.objects.filter(key=node_key(4, 1)).delete()[0] == 1
    client = Client()

    answers = [
        client.get(INCLUSION, {"index": 0, "tree_size": SIZE}),
        client.get("/api/v1/ledger/proof/consistency", {"first": 10, "second": SIZE}),
        client.get("/api/v1/ledger/entries/0/receipt"),
    ]

    for response in answers:
        assert response.status_code == 503, response.content
        body = response.json()["error"]
        assert body["code"] == "ledger_damaged"
        assert "missing from its storage" in body["message"]
    assert client.get(INCLUSION, {"index": 20, "tree_size": 32}).status_code == 200


def test_negative_entry_indices_and_node_keys_are_refused_by_the_database(log40):
    """Given an insert of an entry or a tree node with a negative index or key, then the
    database refuses it (CHECK constraints): a negative key names no subtree."""
    with pytest.raises(IntegrityError), transaction.atomic():
        Node.objects.create(key=-1, hash=os.urandom(32))
    body = log.canonical_entry("test.event", None, None, "2025-01-01T00:00:00.000Z", {})
    with pytest.raises(IntegrityError), transaction.atomic():
        Entry.objects.create(
            index=-1, kind="test.event", time=log.now(), body=body, leaf_hash=support.leaf(body)
        )
    assert audit.verify_log().ok


@pytest.fixture
def unchecked_keys(log40):
    """The CHECK constraints lifted for this test, as an operator with database access
    could: verification must not rely on them."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA ignore_check_constraints = ON")
        else:  # undone with the test's transaction
            cursor.execute("ALTER TABLE ledger_node DROP CONSTRAINT node_key_not_negative")
    yield log40
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA ignore_check_constraints = OFF")


@pytest.mark.parametrize(
    "key",
    [(-1 << LEVEL_SHIFT) | 0, (-6 << LEVEL_SHIFT) | 7, -1, -(100 << LEVEL_SHIFT), -(2**63)],
    ids=["level-minus-one", "level-minus-six", "minus-one", "far-negative", "smallest"],
)
def test_a_tree_node_with_a_negative_key_is_found(unchecked_keys, key):
    """Given a tree node inserted with a negative key (holding a real node's hash, which
    `key >> 56` as a list index would have compared with the top levels), then
    verification reports it as an extra node, and never crashes."""
    top = Node.objects.get(key=node_key(5, 0)).hash
    Node.objects.create(key=key, hash=top)

    err = io.StringIO()
    with pytest.raises(CommandError, match="the ledger does not verify"):
        call_command("ledger", "verify", stdout=io.StringIO(), stderr=err)
    report = audit.verify_log()
    assert not report.ok
    assert f"an extra tree node with the negative key {key} is stored" in report.problems
    assert f"FAIL: an extra tree node with the negative key {key}" in err.getvalue()


def test_a_deleted_tree_node_is_not_masked_by_a_negative_key(unchecked_keys):
    """Given node (1, 3) deleted and a row added whose key >> 56 is -6 (the list index of
    level 1 among 6 levels), then verification still finds level 1 short, and the extra
    row; a proof of entry 4 fails as it must."""
    top = Node.objects.get(key=node_key(4, 1)).hash
    Node.objects.filter(key=node_key(4, 1)).delete()
    Node.objects.create(key=(-2 << LEVEL_SHIFT) | 1, hash=top)

    report = audit.verify_log()

    assert not report.ok
    assert "tree nodes are missing at level 4" in report.problems
    assert any("negative key" in p for p in report.problems)
    response = Client().get(INCLUSION, {"index": 4, "tree_size": SIZE})
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "ledger_damaged"


def test_an_altered_checkpoint_note_is_found(log40):
    """Given checkpoint 25's note edited to claim another root, then its signature no
    longer verifies and verification fails."""
    checkpoint = Checkpoint.objects.get(size=25)
    forged_root = support.b64(os.urandom(32))
    text, _sep, signature = checkpoint.note.partition("\n\n")
    origin, size, _root = text.split("\n")
    Checkpoint.objects.filter(pk=checkpoint.pk).update(
        note=f"{origin}\n{size}\n{forged_root}\n\n{signature}"
    )

    with pytest.raises(CommandError):
        call_command("ledger", "verify", stdout=io.StringIO(), stderr=io.StringIO())
    report = audit.verify_log()
    assert not report.ok
    assert any("not validly signed by the log" in p for p in report.problems)


def test_a_checkpoint_signed_by_another_key_is_found(log40):
    """Given checkpoint 10 replaced by the same text signed with a stranger's key under
    the log's name, then verification fails."""
    checkpoint = Checkpoint.objects.get(size=10)
    stranger = notes.generate_signer(checkpoints.origin())
    Checkpoint.objects.filter(pk=checkpoint.pk).update(
        note=notes.sign_note(checkpoint.body, stranger)
    )

    report = audit.verify_log()

    assert not report.ok
    assert any("not validly signed by the log" in p for p in report.problems)


@pytest.mark.parametrize(
    ("size", "edit"),
    [(25, {"root": "random"}), (10, {"root": "of-40"}), (40, {"size": 1000}), (25, {"size": 5})],
    ids=["root-random", "root-of-another", "size-raised", "size-lowered"],
)
def test_a_checkpoint_column_that_differs_from_its_note_is_found(log40, size, edit):
    """Given a checkpoint's size or root column edited (the note, which the signature
    covers, left alone), then verification fails and names the checkpoint: pages, the
    API and the log itself read those columns. No entry is at fault."""
    if edit.get("root") == "random":
        edit = {"root": os.urandom(32)}
    elif edit.get("root") == "of-40":
        edit = {"root": Checkpoint.objects.get(size=40).root}
    Checkpoint.objects.filter(size=size).update(**edit)

    err = io.StringIO()
    with pytest.raises(CommandError, match="no entry is at fault"):
        call_command("ledger", "verify", stdout=io.StringIO(), stderr=err)
    report = audit.verify_log()
    assert not report.ok
    assert any(
        p.startswith(f"checkpoint {size}'s size and root columns") for p in report.problems
    ), report.problems
    assert f"FAIL: checkpoint {size}'s size and root columns" in err.getvalue()
    assert report.first_bad_index is None


def test_a_consistently_rewritten_history_is_caught_by_the_checkpoints(log40):
    """Given entry 5 changed and every node and the head rebuilt to match (no internal
    trace), then verification still fails: the signed checkpoints hold the old roots,
    and the first bad index reported is at or before 5."""
    bodies = list(log40)
    bodies[5] = support.changed_body(bodies[5], n="rewritten")
    support.rewrite_history(bodies)

    with pytest.raises(CommandError):
        call_command("ledger", "verify", stdout=io.StringIO(), stderr=io.StringIO())
    report = audit.verify_log()
    assert not report.ok
    assert report.first_bad_index is not None
    assert report.first_bad_index <= 5
    assert any("do not match checkpoint 10" in p for p in report.problems)


def test_the_log_refuses_to_sign_a_rewritten_history(log40):
    """Given entry 5 changed with nodes and head rebuilt consistently, and one more entry
    appended on top, when a checkpoint is requested, then the log raises LedgerError
    (the new tree does not extend checkpoint 40) and signs nothing."""
    bodies = list(log40)
    bodies[5] = support.changed_body(bodies[5], n="rewritten")
    support.rewrite_history(bodies)
    with transaction.atomic():
        log.append("test.event", {"n": "after the rewrite"})

    with pytest.raises(log.LedgerError, match="not consistent with checkpoint 40"):
        checkpoints.issue_checkpoint()
    with pytest.raises(CommandError, match="not consistent"):
        call_command("ledger", "checkpoint", stdout=io.StringIO())

    assert list(Checkpoint.objects.values_list("size", flat=True)) == list(CHECKPOINT_SIZES)
    assert checkpoints.latest_checkpoint(refresh=False).size == 40


@pytest.mark.parametrize(
    "edit",
    [
        {"root": "forged"},  # the root of the rewritten 40 entries
        {"root": "random"},
        {"size": 1000},
        {"size": 30},  # then checkpoint 25 would be taken for the latest
    ],
    ids=["root-as-rewritten", "root-random", "size-raised", "size-lowered"],
)
def test_the_log_refuses_to_sign_when_a_checkpoint_column_was_edited(log40, caplog, edit):
    """Given entry 5 rewritten with nodes and head rebuilt, one entry appended on top, and
    the unsigned size or root column of checkpoint 40 edited (to the rewritten tree's
    root, or anything), when a checkpoint is requested, then the log takes the last size
    and root from the signed note, finds the columns disagree, and refuses (LedgerError,
    logged as critical), signing nothing: no receipt for the forged entry can verify."""
    bodies = list(log40)
    bodies[5] = support.changed_body(bodies[5], n="rewritten")
    support.rewrite_history(bodies)
    if edit.get("root") == "forged":
        edit = {"root": support.mth([support.leaf(b) for b in bodies])}
    elif edit.get("root") == "random":
        edit = {"root": os.urandom(32)}
    Checkpoint.objects.filter(size=SIZE).update(**edit)
    with transaction.atomic():
        log.append("test.event", {"n": "after the rewrite"})

    with caplog.at_level("CRITICAL", logger="sinergi.ledger.checkpoints"):
        with pytest.raises(log.LedgerError, match="columns differ from its signed note"):
            checkpoints.issue_checkpoint()
        with pytest.raises(CommandError, match="columns differ from its signed note"):
            call_command("ledger", "checkpoint", stdout=io.StringIO())

    assert "refusing to sign a checkpoint" in caplog.text
    assert Checkpoint.objects.count() == len(CHECKPOINT_SIZES)
    assert not Checkpoint.objects.filter(size=SIZE + 1).exists()


def test_the_log_refuses_to_sign_over_a_checkpoint_whose_note_was_replaced(log40):
    """Given checkpoint 40's note replaced by one a stranger signed in the log's name,
    then the log refuses to take its size and root for the last ones it signed."""
    stranger = notes.generate_signer(checkpoints.origin())
    checkpoint = Checkpoint.objects.get(size=SIZE)
    Checkpoint.objects.filter(pk=checkpoint.pk).update(
        note=notes.sign_note(checkpoint.body, stranger)
    )
    with transaction.atomic():
        log.append("test.event", {"n": "honest"})

    with pytest.raises(log.LedgerError, match="not validly signed by the log"):
        checkpoints.issue_checkpoint()
    assert Checkpoint.objects.count() == len(CHECKPOINT_SIZES)


def test_a_log_cut_below_its_latest_checkpoint_is_refused_with_a_clear_error(log40, tmp_path):
    """Given the head and the entries rolled back to 30, below signed checkpoint 40,
    then signing refuses with LedgerError (not a proof error deep in the tree code), and
    `ledger checkpoint` and `ledger export` end with that message and write no bundle;
    `verify` names the first entry missing."""
    support.rewrite_history(log40[:30])
    Entry.objects.filter(index__gte=30).delete()

    with pytest.raises(log.LedgerError, match=r"smaller than its latest signed checkpoint \(40\)"):
        checkpoints.issue_checkpoint()
    with pytest.raises(CommandError, match="smaller than its latest signed checkpoint"):
        call_command("ledger", "checkpoint", stdout=io.StringIO())
    target = tmp_path / "bundle.json"
    with pytest.raises(CommandError, match="smaller than its latest signed checkpoint"):
        call_command("ledger", "export", str(target), stdout=io.StringIO())
    assert list(tmp_path.iterdir()) == []
    report = audit.verify_log()
    assert "checkpoint 40 is larger than the log (30)" in report.problems
    assert report.first_bad_index == 30


def test_the_log_signs_an_honest_extension(log40):
    """Given the same log grown honestly by one entry, then the next checkpoint is signed
    (the refusal above is about the rewrite, not about growth)."""
    with transaction.atomic():
        log.append("test.event", {"n": "honest"})

    checkpoint = checkpoints.issue_checkpoint()

    assert checkpoint.size == 41
    assert audit.verify_log().ok


def test_a_refused_checkpoint_does_not_fail_the_change_that_triggered_it(log40, caplog):
    """Given a history rewritten after checkpoint 40, when a partnership is created (its
    commit appends and then tries to sign), then the change stands, nothing is signed for
    the rewritten tree, and the refusal is logged as critical for the operators."""
    from sinergi.partnerships.models import Partnership
    from sinergi.partnerships.services import create_partnership
    from tests.factories import PersonFactory

    bodies = list(log40)
    bodies[5] = support.changed_body(bodies[5], n="rewritten")
    support.rewrite_history(bodies)
    person = PersonFactory()
    checkpoints._last_attempt = 0.0
    with caplog.at_level("CRITICAL", logger="sinergi.ledger.checkpoints"):
        create_partnership(actor=person, title="After the rewrite")
        checkpoints._last_attempt = 0.0
        assert checkpoints.maybe_issue_checkpoint() is None
        assert checkpoints.latest_checkpoint().size == 40
    assert Partnership.objects.filter(title="After the rewrite").exists()
    assert list(Checkpoint.objects.values_list("size", flat=True)) == list(CHECKPOINT_SIZES)
    assert "did not sign a checkpoint" in caplog.text
    assert "refusing to sign size 41" in caplog.text


def test_outside_a_transaction_the_stored_hashes_are_read_beside_the_hashing(
    transactional_db, ledger_key
):
    """As the command runs it (no transaction open): the stored hashes are read on a
    connection of their own while the bodies are hashed; an honest log verifies, and an
    altered subtree hash is still found at its first entry. (Flushed after, as the other
    transactional ledger tests: no browser test with its serialized rollback runs after
    tests/ledger.)"""
    from sinergi.ledger.models import Head

    Head.objects.get_or_create(pk=1, defaults={"size": 0, "frontier": b""})
    support.append_events(40)
    assert not connection.in_atomic_block
    report = audit.verify_log()
    assert report.ok, report.problems
    assert report.size == 40

    assert Node.objects.filter(key=node_key(4, 1)).update(hash=os.urandom(32)) == 1

    report = audit.verify_log()
    assert not report.ok
    assert report.first_bad_index == 16, report.problems


@pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="only SQLite can hold a hash's bytes as text (PostgreSQL's bytea cannot)",
)
@pytest.mark.parametrize(
    ("update", "key", "first"),
    [
        ("UPDATE ledger_node SET hash = CAST(hash AS TEXT) WHERE key = %s", node_key(4, 1), 16),
        ('UPDATE ledger_entry SET leaf_hash = CAST(leaf_hash AS TEXT) WHERE "index" = %s', 5, 5),
    ],
    ids=["node", "leaf"],
)
def test_a_hash_stored_as_text_is_found(log40, update, key, first):
    """Given one stored hash turned into text of the same bytes (joined, the hashes are
    unchanged), then verification fails at the first entry under it."""
    with connection.cursor() as cursor:
        cursor.execute(update, [key])

    verify_fails_at(first)


@pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="only SQLite can hold a body as text (PostgreSQL's bytea cannot)",
)
@pytest.mark.parametrize("index", [0, 17, 39])
def test_a_body_stored_as_text_is_found_not_a_crash(log40, index):
    """Given one body turned into text by an SQL edit (the same characters), then
    verification reports that entry rather than failing with a TypeError."""
    with connection.cursor() as cursor:
        cursor.execute(
            'UPDATE ledger_entry SET body = CAST(body AS TEXT) WHERE "index" = %s', [index]
        )

    report = verify_fails_at(index)

    assert f"entry {index} is not stored as bytes" in report.problems


@pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="only SQLite can hold a body as text (PostgreSQL's bytea cannot)",
)
def test_a_body_stored_as_text_with_a_gap_before_it_is_found_too(log40):
    """The slower path, taken when an entry is missing, reads text bodies too."""
    from sinergi.ledger.models import Entry

    with connection.cursor() as cursor:
        cursor.execute('UPDATE ledger_entry SET body = CAST(body AS TEXT) WHERE "index" = 30')
    Entry.objects.filter(index=35).delete()

    report = verify_fails_at(30)

    assert "entry 30 is not stored as bytes" in report.problems


def test_a_head_claiming_a_huge_log_is_reported_not_waited_for(transactional_db, ledger_key):
    """Outside a transaction, a head whose size is far beyond the stored entries is
    reported at the first missing entry (the stored hashes are not read by its size)."""
    from sinergi.ledger.models import Head

    Head.objects.get_or_create(pk=1, defaults={"size": 0, "frontier": b""})
    support.append_events(40)
    Head.objects.filter(pk=1).update(size=2**62)

    report = audit.verify_log()
    assert not report.ok
    assert report.first_bad_index == 40, report.problems
