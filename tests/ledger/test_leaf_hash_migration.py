"""Migration 0007 converts a log stored the earlier way (a leaf node per entry and a node
for every complete subtree) to leaf hashes with the entries and nodes from level 4 up,
and back, on the real database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder

from sinergi.ledger import audit, log, merkle
from sinergi.ledger.models import Entry, Head, Node, node_key
from tests.ledger import support

BEFORE = [("ledger", "0006_keys_not_negative")]
AFTER = [("ledger", "0007_leaf_hash_with_entry")]
SIZE = 40


def migrate(target: list[tuple[str, str]]):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)
    return executor.loader.project_state(target).apps


@pytest.fixture
def old_layout(transactional_db, ledger_key):
    """A 40-entry log written as the code before 0007 wrote it; the database is
    migrated forward again afterwards, whatever the test did."""
    old = migrate(BEFORE)
    bodies = [
        log.canonical_entry("test.event", None, None, "2026-12-01T00:00:00.000Z", {"n": n})
        for n in range(SIZE)
    ]
    leaves = [support.leaf(body) for body in bodies]
    moment = datetime(2026, 12, 1, tzinfo=UTC)  # the time the bodies say
    old.get_model("ledger", "Entry").objects.bulk_create(
        old.get_model("ledger", "Entry")(index=i, kind="test.event", time=moment, body=body)
        for i, body in enumerate(bodies)
    )
    old.get_model("ledger", "Node").objects.bulk_create(
        old.get_model("ledger", "Node")(key=node_key(level, index), hash=value)
        for (level, index), value in support.complete_subtrees(leaves).items()
    )
    old.get_model("ledger", "Head").objects.update_or_create(
        pk=1, defaults={"size": SIZE, "frontier": support.frontier(leaves)}
    )
    yield leaves
    with connection.cursor() as cursor:  # whatever the test left, in either layout
        cursor.execute("DELETE FROM ledger_entry")
        cursor.execute("DELETE FROM ledger_node")
    migrate(AFTER)


def old_nodes(old) -> dict[int, bytes]:
    return {
        key: bytes(value)
        for key, value in old.get_model("ledger", "Node").objects.values_list("key", "hash")
    }


@pytest.mark.parametrize(
    ("change", "first"),
    [
        ("altered level-1 node", 8),
        ("altered level-3 node", 32),
        ("altered leaf node", 0),  # every subtree above it differs: 0 to 7 first
        ("leaf node for no entry", 45),
        ("missing leaf node", 6),
        ("level-2 node as text", 4),
    ],
)
def test_a_tree_that_disagrees_with_itself_is_not_converted(old_layout, change, first):
    """Given a log in the earlier layout whose nodes below level 4 were changed (the rows
    0007 would delete), when 0007 runs, then it stops with a message naming the first
    bad index and changes nothing: the evidence stays for `ledger verify`."""
    old = migrate(BEFORE)
    nodes = old.get_model("ledger", "Node").objects
    if change == "altered level-1 node":
        nodes.filter(key=node_key(1, 4)).update(hash=bytes(32))
    elif change == "altered level-3 node":
        nodes.filter(key=node_key(3, 4)).update(hash=bytes(32))
    elif change == "altered leaf node":
        nodes.filter(key=node_key(0, 3)).update(hash=bytes(32))
    elif change == "leaf node for no entry":
        nodes.create(key=node_key(0, 45), hash=bytes(32))
    elif change == "missing leaf node":
        nodes.filter(key=node_key(0, 6)).delete()
    elif connection.vendor == "sqlite":  # PostgreSQL's bytea holds bytes only
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE ledger_node SET hash = CAST(hash AS TEXT) WHERE key = %s",
                [node_key(2, 1)],
            )
    else:
        pytest.skip("only SQLite can hold a hash as text")
    before = old_nodes(old) if change != "level-2 node as text" else None

    with pytest.raises(Exception, match=rf"migration 0007 stopped: .*first bad index {first}"):
        migrate(AFTER)

    old = migrate(BEFORE)  # still there: nothing was applied
    if before is not None:
        assert old_nodes(old) == before
    assert old.get_model("ledger", "Node").objects.filter(key=node_key(2, 1)).exists()
    recorded = MigrationRecorder(connection).applied_migrations()
    assert AFTER[0] not in recorded


def test_an_earlier_log_moves_its_leaves_into_the_entries_and_verifies(old_layout):
    """Given a log in the earlier layout, when 0007 runs, then each entry holds its leaf
    hash, only the nodes from level 4 up remain, the whole log verifies, and a proof
    that needs subtrees of 2, 4 and 8 entries verifies against the root."""
    leaves = old_layout

    migrate(AFTER)

    stored_leaves = Entry.objects.order_by("index").values_list("leaf_hash", flat=True)
    assert [bytes(value) for value in stored_leaves] == leaves
    nodes = {key: bytes(value) for key, value in Node.objects.values_list("key", "hash")}
    assert nodes == support.stored_subtrees(leaves)
    assert sorted(nodes) == [node_key(4, 0), node_key(4, 1), node_key(5, 0)]
    report = audit.verify_log()
    assert report.ok, report.problems
    assert report.size == SIZE
    proof = log.inclusion(21, SIZE)
    assert proof.leaf_hash == leaves[21]

    merkle.verify_inclusion(21, SIZE, leaves[21], proof.hashes, support.mth(leaves))


def test_going_back_restores_every_node(old_layout):
    """Given 0007 applied and then reversed, then the earlier layout is back: a node for
    every complete subtree, the leaves among them, equal to an independent computation."""
    leaves = old_layout
    migrate(AFTER)

    old = migrate(BEFORE)

    restored = {
        key: bytes(value)
        for key, value in old.get_model("ledger", "Node").objects.values_list("key", "hash")
    }
    expected = {
        node_key(level, index): value
        for (level, index), value in support.complete_subtrees(leaves).items()
    }
    assert restored == expected
    assert Head.objects.get(pk=1).size == SIZE


def test_going_back_keys_leaf_nodes_by_entry_index(old_layout):
    """Given 0007 applied and entry 3 then deleted (a change `verify` reports), when 0007
    is reversed, then each leaf node is keyed by its entry's index (entry 4's leaf under
    key 4, nothing under key 3) and no subtree over the gap is made up."""
    leaves = old_layout
    migrate(AFTER)
    Entry.objects.filter(index=3).delete()

    restored = old_nodes(migrate(BEFORE))

    assert node_key(0, 3) not in restored
    assert restored[node_key(0, 4)] == leaves[4]
    assert node_key(1, 1) not in restored  # entries 2 and 3
    assert node_key(2, 0) not in restored and node_key(3, 0) not in restored
    assert restored[node_key(1, 2)] == support.node(leaves[4], leaves[5])
