"""Reads that see the database as of one moment while writers go on.

`sinergi ledger verify` and `sinergi finance check` read the log's head, then its
entries, stored hashes and checkpoints, then the finance rows, in many queries. On a
live server appends commit between those queries, and a check that reads the head first
and the entries after would take the newer entries for rows beyond the log (a false
alarm). Inside `consistent_reads()` every query of this connection sees one snapshot:

- PostgreSQL: a READ ONLY transaction at REPEATABLE READ (one snapshot for all its
  statements; writers are not blocked);
- SQLite: a deferred transaction, which in WAL mode keeps the snapshot of its first read
  and takes no write lock (Django's own `atomic()` would begin IMMEDIATE here, which
  blocks every writer for the length of the check).

Within a transaction of the caller's, that transaction's view stands and nothing is
begun.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection


@contextmanager
def consistent_reads() -> Iterator[None]:
    if connection.in_atomic_block or connection.vendor not in ("postgresql", "sqlite"):
        yield
        return
    begin = (
        "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
        if connection.vendor == "postgresql"
        else "BEGIN DEFERRED"
    )
    with connection.cursor() as cursor:
        cursor.execute(begin)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ROLLBACK")  # nothing was written: ending it is all
