"""Leaf hashes move into the entry row, and subtrees of fewer than 16 entries are no
longer stored (models.LOWEST_STORED_LEVEL): an append writes one row, and once in 16
appends the nodes it completes, where it wrote three rows before.

Existing logs are converted in place: each entry takes its leaf hash from its level-0
node, and the nodes below level 4 are deleted. `sinergi ledger verify` afterwards
recomputes every hash from the bodies as before. The leaf-hash index moves with the
hashes, and PostgreSQL's append function (migration 0004) writes the new layout.

The conversion rewrites the entry table in one transaction: on a large log, run it in
a maintenance window (every write of the platform appends to the ledger and waits).
"""

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


def move_leaves(apps, schema_editor):
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    entry = quote(apps.get_model("ledger", "Entry")._meta.db_table)
    node = quote(apps.get_model("ledger", "Node")._meta.db_table)
    index = quote("index")
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {entry} SET leaf_hash = (SELECT n.hash FROM {node} n"  # noqa: S608
            f" WHERE n.key = {entry}.{index})"
        )
        cursor.execute(f"DELETE FROM {node} WHERE key < {STORED}")  # noqa: S608


def restore_leaves(apps, schema_editor):
    """Back to three rows per entry: the leaf nodes from the entries, and the nodes of
    levels 1 to 3 hashed again from them (RFC 9162: SHA-256(0x01 ‖ left ‖ right))."""
    import hashlib

    Entry = apps.get_model("ledger", "Entry")
    Node = apps.get_model("ledger", "Node")
    level = [
        bytes(value) for value in Entry.objects.order_by("index").values_list("leaf_hash", flat=True)
    ]
    rows = [Node(key=index, hash=value) for index, value in enumerate(level)]
    for height in range(1, 4):
        level = [
            hashlib.sha256(b"\x01" + level[i] + level[i + 1]).digest()
            for i in range(0, len(level) - 1, 2)
        ]
        rows += [Node(key=(height << 56) | i, hash=value) for i, value in enumerate(level)]
    Node.objects.bulk_create(rows, batch_size=10_000)


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
