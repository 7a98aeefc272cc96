"""One writer process for the durable-append benchmark; run.py starts 1 or 4 of them.

    python benchmarks/ledger/appends.py ours --worker 0 --start-at T --seconds S [--sync full]
    python benchmarks/ledger/appends.py pymerkle --db FILE --worker 0 --start-at T --seconds S
    python benchmarks/ledger/appends.py floor [--autocommit] --worker 0 --start-at T --seconds S

All writers start at the same wall-clock moment T, append for S seconds, each append in
its own committed transaction, and print {"count": …} as JSON.

- ours: `with transaction.atomic(): ledger.log.append(kind, payload)` against the database
  in the environment (DATABASE_URL or SINERGI_SQLITE_PATH), as the app does: on SQLite
  with the app's `PRAGMA synchronous=FULL` (the WAL fsynced at every commit). `--sync
  normal` sets NORMAL instead (the app's setting before 2026-12-02), which in WAL mode
  survives a crash of the process but not a power cut.
- pymerkle: `SqliteTree(FILE).append_entry(bytes)` with the same bytes our entries carry;
  pymerkle commits each append (`with self.con:`) in SQLite's default rollback-journal mode
  with synchronous=FULL; its connection gets the same 20 s busy timeout as ours.
- floor: PostgreSQL's own limit, psycopg with no Django and no ledger (see `floor`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import encode_event, event, setup_django, wait_until


def ours(args: argparse.Namespace) -> int:
    setup_django()
    from django.db import connection, transaction

    from sinergi.ledger import log

    if args.sync and connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA synchronous={args.sync.upper()}")
    base = args.worker * 10_000_000
    # Warm up the connection (and Django's lazy bits) before the clock starts.
    Head = log.Head
    Head.objects.get(pk=1)
    wait_until(args.start_at)
    deadline = args.start_at + args.seconds
    count = 0
    while time.time() < deadline:
        kind, payload = event(base + count)
        with transaction.atomic():
            log.append(kind, payload)
        count += 1
    return count


def pymerkle(args: argparse.Namespace) -> int:
    setup_django()  # for encode_event: the same bytes as our entries, made the same way
    from pymerkle import SqliteTree

    base = args.worker * 10_000_000
    tree = SqliteTree(args.db)
    # Wait for the write lock as long as our SQLite settings do (busy_timeout=20000); the
    # sqlite3 module's default of 5 s gives up under four writers that fsync every commit.
    tree.con.execute("PRAGMA busy_timeout=20000")
    tree.get_size()
    wait_until(args.start_at)
    deadline = args.start_at + args.seconds
    count = 0
    while time.time() < deadline:
        tree.append_entry(encode_event(base + count))
        count += 1
    tree.close()
    return count


def floor(args: argparse.Namespace) -> int:
    """What PostgreSQL itself allows on this machine, with no Django and no ledger: psycopg
    alone, each transaction `BEGIN; UPDATE` the ledger's head row `; COMMIT` (the three
    round trips of any one-statement transaction, serialised on one row as appends are),
    or with `--autocommit` one `UPDATE` committing on its own (one round trip). The UPDATE
    changes nothing but is written and flushed like any other; prepared once."""
    import psycopg

    statement = "UPDATE ledger_head SET size = size WHERE id = 1"
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=args.autocommit) as conn:
        conn.execute(statement, prepare=True)
        if not args.autocommit:
            conn.commit()
        wait_until(args.start_at)
        deadline = args.start_at + args.seconds
        count = 0
        while time.time() < deadline:
            conn.execute(statement, prepare=True)
            if not args.autocommit:
                conn.commit()
            count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("system", choices=["ours", "pymerkle", "floor"])
    parser.add_argument("--worker", type=int, default=0)
    parser.add_argument("--start-at", type=float, required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--db", help="pymerkle's SQLite file")
    parser.add_argument("--sync", choices=["normal", "full"], help="SQLite synchronous pragma")
    parser.add_argument("--autocommit", action="store_true", help="floor: one-statement commits")
    args = parser.parse_args()
    count = {"ours": ours, "pymerkle": pymerkle, "floor": floor}[args.system](args)
    print(json.dumps({"count": count}))


if __name__ == "__main__":
    main()
