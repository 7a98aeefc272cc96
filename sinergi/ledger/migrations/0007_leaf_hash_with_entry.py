"""Leaf hashes move into the entry row, and subtrees of fewer than 16 entries are no
longer stored (models.LOWEST_STORED_LEVEL): an append writes one row, and once in 16
appends the nodes it completes, where it wrote three rows before.

Existing logs are converted in place: each entry takes its leaf hash from its level-0
node, and the nodes below level 4 are deleted, once they are found to be exactly what
the leaves give (otherwise the migration stops and changes nothing: `move_leaves`).
`sinergi ledger verify` afterwards recomputes every hash from the bodies as before. The
leaf-hash index moves with the hashes, and PostgreSQL's append function (migration 0004)
writes the new layout.

The conversion rewrites the entry table in one transaction: on a large log, run it in
a maintenance window (every write of the platform appends to the ledger and waits).
"""

import hashlib

from django.db import migrations, models

LEAVES = 1 << 56  # Node.key = level << 56 | index: level 0 is every key below this
STORED = 4 << 56  # the first key of level 4, the lowest level still stored

CREATE = r"""
CREATE OR REPLACE FUNCTION ledger_append_entry(
    p_kind varchar, p_partnership bigint, p_time timestamptz, p_body bytea
) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_size bigint;
    v_frontier bytea;
    v_hash bytea;
    v_leaf bytea;
    v_position bigint;
    v_level bigint := 0;
    v_length integer;
    v_keys bigint[];
    v_hashes bytea[];
BEGIN
    SELECT h.size, h.frontier INTO v_size, v_frontier
        FROM ledger_head h WHERE h.id OPERATOR(pg_catalog.=) 1 FOR UPDATE;
    IF NOT FOUND THEN
        RETURN NULL;  -- no head row: the caller creates it and calls again
    END IF;
    -- One 32-byte hash per 1-bit of the size, as sinergi.ledger.log._lock_head checks.
    -- OPERATOR(...) forms all bind alike, left to right: the brackets give the order.
    IF pg_catalog.length(v_frontier) OPERATOR(pg_catalog.<>)
            (32 OPERATOR(pg_catalog.*) pg_catalog.bit_count(CAST(v_size AS pg_catalog.bit(64)))) THEN
        RAISE EXCEPTION USING ERRCODE = 'SL001',
            MESSAGE = 'the log head is damaged: its frontier does not match its size';
    END IF;
    v_leaf := pg_catalog.sha256(pg_catalog.decode('00', 'hex') OPERATOR(pg_catalog.||) p_body);
    v_hash := v_leaf;
    v_keys := ARRAY[]::bigint[];
    v_hashes := ARRAY[]::bytea[];
    v_position := v_size;
    v_length := pg_catalog.length(v_frontier);
    WHILE (v_position OPERATOR(pg_catalog.&) 1) OPERATOR(pg_catalog.=) 1 LOOP
        v_hash := pg_catalog.sha256(
            pg_catalog.decode('01', 'hex')
            OPERATOR(pg_catalog.||) pg_catalog.substring(v_frontier, v_length OPERATOR(pg_catalog.-) 31, 32)
            OPERATOR(pg_catalog.||) v_hash
        );
        v_length := v_length OPERATOR(pg_catalog.-) 32;
        v_level := v_level OPERATOR(pg_catalog.+) 1;
        v_position := v_position OPERATOR(pg_catalog.>>) 1;
        IF v_level OPERATOR(pg_catalog.>=) 4 THEN  -- models.LOWEST_STORED_LEVEL
            v_keys := v_keys
                OPERATOR(pg_catalog.||) ((v_level OPERATOR(pg_catalog.<<) 56) OPERATOR(pg_catalog.|) v_position);
            v_hashes := v_hashes OPERATOR(pg_catalog.||) v_hash;
        END IF;
    END LOOP;
    INSERT INTO ledger_entry ("index", kind, partnership_ref, "time", body, leaf_hash)
        VALUES (v_size, p_kind, p_partnership, p_time, p_body, v_leaf);
    IF v_level OPERATOR(pg_catalog.>=) 4 THEN
        INSERT INTO ledger_node (key, hash) SELECT * FROM ROWS FROM (pg_catalog.unnest(v_keys), pg_catalog.unnest(v_hashes));
    END IF;
    UPDATE ledger_head
        SET size = v_size OPERATOR(pg_catalog.+) 1,
            frontier = pg_catalog.substring(v_frontier, 1, v_length) OPERATOR(pg_catalog.||) v_hash
        WHERE id OPERATOR(pg_catalog.=) 1;
    RETURN v_size;
END
$$
"""


class LogNotConverted(Exception):
    """The stored tree does not agree with itself; converting would delete the evidence."""


def _tables(apps, connection) -> tuple[str, str, str]:
    quote = connection.ops.quote_name
    return (
        quote(apps.get_model("ledger", "Entry")._meta.db_table),
        quote(apps.get_model("ledger", "Node")._meta.db_table),
        quote("index"),
    )


def _low_levels(leaves: dict[int, bytes]) -> dict[int, bytes]:
    """Node.key → hash of the subtrees of 2, 4 and 8 entries whose leaves are all in
    `leaves` (index → leaf hash), and the leaves themselves at level 0."""
    nodes = dict(leaves)
    below = leaves
    for level in range(1, 4):
        above = {}
        for index, left in below.items():
            right = below.get(index + 1)
            if index % 2 == 0 and right is not None:
                above[index // 2] = hashlib.sha256(b"\x01" + left + right).digest()
        nodes.update(((level << 56) | index, value) for index, value in above.items())
        below = above
    return nodes


def _first_entry(key: int) -> int:
    """The index of the first entry under the subtree whose Node.key is `key`."""
    return (key & (LEAVES - 1)) << (key >> 56)


def _refuse(what: str, first: int | None) -> None:
    where = f" (first bad index {first})" if first is not None else ""
    raise LogNotConverted(
        f"ledger migration 0007 stopped: {what}{where}. Converting would delete the tree "
        "nodes that show it. Nothing was changed. Run `sinergi ledger verify` (with the "
        "code before this migration) to see what differs, and restore the log from a "
        "backup before upgrading."
    )


def move_leaves(apps, schema_editor):
    """Each entry takes the hash of its level-0 node; then the nodes of levels 0 to 3 are
    deleted, but only once they are found to be exactly what the leaves give: a node
    that was altered, or stored for no entry, is evidence of a change to the log, which
    `sinergi ledger verify` reports and this conversion must not erase."""
    connection = schema_editor.connection
    entry, node, index = _tables(apps, connection)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT e.{index} FROM {entry} e LEFT JOIN {node} n ON n.key = e.{index}"  # noqa: S608
            f" WHERE n.key IS NULL ORDER BY 1"
        )
        missing = [row[0] for row in cursor.fetchmany(1)]
        if missing:
            _refuse("an entry has no leaf hash stored for it", missing[0])
        cursor.execute(
            f"UPDATE {entry} SET leaf_hash = (SELECT n.hash FROM {node} n"  # noqa: S608
            f" WHERE n.key = {entry}.{index})"
        )
        if connection.vendor == "sqlite":  # any type in any column: a hash edited into text
            cursor.execute(
                f"SELECT MIN(key) FROM {node} WHERE key >= 0 AND key < {STORED}"  # noqa: S608
                " AND typeof(hash) <> 'blob'"
            )
            (key,) = cursor.fetchone()
            if key is not None:
                _refuse("a stored hash is text, not bytes", _first_entry(key))
        cursor.execute(f"SELECT {index}, leaf_hash FROM {entry}")  # noqa: S608
        expected = _low_levels({i: bytes(leaf) for i, leaf in cursor.fetchall()})
        cursor.execute(f"SELECT key, hash FROM {node} WHERE key >= 0 AND key < {STORED}")  # noqa: S608
        stored = {key: bytes(value) for key, value in cursor.fetchall()}
        if stored != expected:
            differing = {k for k in stored.keys() | expected.keys() if stored.get(k) != expected.get(k)}
            first = min(_first_entry(key) for key in differing)
            _refuse("a stored subtree hash of fewer than 16 entries differs from its leaves", first)
        # Negative keys (none unless 0006's constraint was dropped) stay: verify reports them.
        cursor.execute(f"DELETE FROM {node} WHERE key >= 0 AND key < {STORED}")  # noqa: S608


def restore_leaves(apps, schema_editor):
    """Back to three rows per entry: a leaf node per entry (keyed by its index), and the
    nodes of levels 1 to 3 hashed again from them (RFC 9162: SHA-256(0x01 ‖ left ‖
    right)), written in batches."""
    connection = schema_editor.connection
    entry, node, index = _tables(apps, connection)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {index}, leaf_hash FROM {entry}")  # noqa: S608
        rows = sorted(_low_levels({i: bytes(leaf) for i, leaf in cursor.fetchall()}).items())
        cursor.execute(f"DELETE FROM {node} WHERE key >= 0 AND key < {STORED}")  # noqa: S608
        for start in range(0, len(rows), 10_000):
            cursor.executemany(
                f"INSERT INTO {node} (key, hash) VALUES (%s, %s)",  # noqa: S608
                rows[start : start + 10_000],
            )


def create_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def old_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        from importlib import import_module

        before = import_module("sinergi.ledger.migrations.0004_append_function")
        schema_editor.execute(before.CREATE)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0006_keys_not_negative")]

    operations = [
        migrations.AddField(
            model_name="entry",
            name="leaf_hash",
            field=models.BinaryField(max_length=32, null=True, verbose_name="leaf hash"),
        ),
        migrations.RunPython(move_leaves, restore_leaves, elidable=False),
        migrations.AlterField(
            model_name="entry",
            name="leaf_hash",
            field=models.BinaryField(max_length=32, verbose_name="leaf hash"),
        ),
        migrations.RemoveIndex(model_name="node", name="ledger_node_leaf_hash"),
        migrations.AddIndex(
            model_name="entry",
            index=models.Index(fields=["leaf_hash"], name="ledger_entry_leaf_hash"),
        ),
        migrations.RunPython(create_function, old_function, elidable=False),
    ]
