"""The append on PostgreSQL as one server-side function (sinergi.ledger.log.append).

It takes the head lock, hashes the leaf and the subtrees the new entry completes, and
writes the entry, its nodes and the new head, in one call inside the caller's
transaction. The arithmetic is that of `log.append` on other databases (RFC 9162 §2.1.1
hashing, Node.key = level << 56 | index); `sinergi ledger verify` recomputes every hash
from the entry bodies, so any difference would be reported at its index.

Every function and operator in the body is qualified with pg_catalog, so the caller's
search_path cannot swap them; the tables resolve as Django's own queries do. A head whose
frontier does not hold one hash per 1-bit of its size is refused with SQLSTATE SL001
(the log's own code), which `append` reports as LedgerError.

The app's database role runs it; on a server where EXECUTE on new functions is revoked
from PUBLIC, grant it: `GRANT EXECUTE ON FUNCTION ledger_append_entry(varchar, bigint,
timestamptz, bytea) TO <role>` (docs/operator-guide.md).
"""

from django.db import migrations

SIGNATURE = "ledger_append_entry(varchar, bigint, timestamptz, bytea)"

CREATE = r"""
CREATE OR REPLACE FUNCTION ledger_append_entry(
    p_kind varchar, p_partnership bigint, p_time timestamptz, p_body bytea
) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_size bigint;
    v_frontier bytea;
    v_hash bytea;
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
    v_hash := pg_catalog.sha256(pg_catalog.decode('00', 'hex') OPERATOR(pg_catalog.||) p_body);
    v_keys := ARRAY[v_size];
    v_hashes := ARRAY[v_hash];
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
        v_keys := v_keys
            OPERATOR(pg_catalog.||) ((v_level OPERATOR(pg_catalog.<<) 56) OPERATOR(pg_catalog.|) v_position);
        v_hashes := v_hashes OPERATOR(pg_catalog.||) v_hash;
    END LOOP;
    INSERT INTO ledger_entry ("index", kind, partnership_ref, "time", body)
        VALUES (v_size, p_kind, p_partnership, p_time, p_body);
    INSERT INTO ledger_node (key, hash) SELECT * FROM ROWS FROM (pg_catalog.unnest(v_keys), pg_catalog.unnest(v_hashes));
    UPDATE ledger_head
        SET size = v_size OPERATOR(pg_catalog.+) 1,
            frontier = pg_catalog.substring(v_frontier, 1, v_length) OPERATOR(pg_catalog.||) v_hash
        WHERE id OPERATOR(pg_catalog.=) 1;
    RETURN v_size;
END
$$
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {SIGNATURE}")


class Migration(migrations.Migration):
    dependencies = [("ledger", "0003_rowid_keys")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
