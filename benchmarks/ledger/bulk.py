"""Bulk append, proof latency, full verification and bytes per entry, for one log size.

    python benchmarks/ledger/bulk.py pymerkle --n N --db FILE
    python benchmarks/ledger/bulk.py ours --n N [--proofs K --pymerkle-db FILE] [--verify R]

Prints one JSON object. `pymerkle` builds FILE with N entries; `ours` appends the same N
events (common.event) to the database in the environment (fresh, migrated by run.py) and
then times proofs for both logs in the same process, alternating call by call, so both
see the same machine at the same moment.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import encode_event, event, percentile, setup_django

WARMUP = 200


def proof_samples(n: int, count: int) -> tuple[list[int], list[int]]:
    """Random leaf indices (0-based) and first sizes (1..n-1) for the proofs, seeded by n."""
    rng = random.Random(n)
    total = WARMUP + count
    return [rng.randrange(n) for _ in range(total)], [rng.randrange(1, n) for _ in range(total)]


def summary(samples: list[float], first: float) -> dict[str, float]:
    return {
        "p50_ms": percentile(samples, 0.50),
        "p99_ms": percentile(samples, 0.99),
        "first_ms": first,
        "count": len(samples),
    }


def paired_latencies(calls: dict, arguments: dict) -> dict[str, dict[str, float]]:
    """p50/p99 in ms of each `calls[name](*arguments[name][k])`, the names taking turns (and
    turns about who goes first), after WARMUP calls each; `first_ms` is the very first."""
    names = list(calls)
    samples: dict[str, list[float]] = {name: [] for name in names}
    first: dict[str, float] = {}
    for position in range(len(arguments[names[0]])):
        for name in names if position % 2 == 0 else reversed(names):
            started = time.perf_counter()
            calls[name](*arguments[name][position])
            elapsed = (time.perf_counter() - started) * 1000
            first.setdefault(name, elapsed)
            if position >= WARMUP:
                samples[name].append(elapsed)
    return {name: summary(samples[name], first[name]) for name in names}


def bare_tree(bodies: list[bytes]) -> bytes:
    """A plain hashlib loop over the bodies: every leaf hash, every internal node, the root.

    Pairs neighbours level by level and carries an odd last node up unchanged, which gives
    the RFC 9162 root and, on the way, every complete-subtree hash the ledger stores.
    """
    sha256 = hashlib.sha256
    level = [sha256(b"\x00" + body).digest() for body in bodies]
    while len(level) > 1:
        pairs = iter(level)
        upper = [
            sha256(b"\x01" + left + right).digest()
            for left, right in zip(pairs, pairs, strict=False)
        ]
        if len(level) & 1:
            upper.append(level[-1])
        level = upper
    return level[0]


def ours(args: argparse.Namespace) -> dict:
    setup_django()
    from django.db import connection, transaction

    from sinergi.ledger import audit, log, merkle
    from sinergi.ledger.models import Entry, Head, Node

    result: dict = {"vendor": connection.vendor}
    n = args.n
    started = time.perf_counter()
    with transaction.atomic():
        log.append_many(event(i) for i in range(n))
    result["bulk_s"] = time.perf_counter() - started
    head = log.current_head()
    assert head.size == n

    if args.proofs:
        from pymerkle import SqliteTree
        from pymerkle import verify_consistency as their_consistency
        from pymerkle import verify_inclusion as their_inclusion

        tree = SqliteTree(args.pymerkle_db)  # freshly opened: an empty subtree cache
        indices, firsts = proof_samples(n, args.proofs)
        for index in indices[:3]:  # both logs give proofs that verify
            proof = log.inclusion(index, n)
            merkle.verify_inclusion(index, n, proof.leaf_hash, proof.hashes, head.root)
        for first in firsts[:3]:
            proof = log.consistency(first, n)
            merkle.verify_consistency(first, n, proof.hashes, proof.first_root, head.root)
        timed = paired_latencies(
            {"ours": log.inclusion, "pymerkle": tree.prove_inclusion},
            {"ours": [(i, n) for i in indices], "pymerkle": [(i + 1, n) for i in indices]},
        )
        result["inclusion"], result["pymerkle_inclusion"] = timed["ours"], timed["pymerkle"]
        timed = paired_latencies(
            {"ours": log.consistency, "pymerkle": tree.prove_consistency},
            {"ours": [(m, n) for m in firsts], "pymerkle": [(m, n) for m in firsts]},
        )
        result["consistency"], result["pymerkle_consistency"] = timed["ours"], timed["pymerkle"]
        their_root = tree.get_root(n)
        for index in indices[:3]:
            their_inclusion(tree.get_leaf(index + 1), their_root, tree.prove_inclusion(index + 1))
        for first in firsts[:3]:
            their_consistency(tree.get_root(first), their_root, tree.prove_consistency(first))
        tree.close()

    if args.verify:
        bodies = [bytes(b) for b in Entry.objects.order_by("index").values_list("body", flat=True)]
        verify_times, bare_times = [], []
        for _round in range(args.verify):
            started = time.perf_counter()
            root = bare_tree(bodies)
            bare_times.append(time.perf_counter() - started)
            assert root == head.root
            started = time.perf_counter()
            report = audit.verify_log()
            verify_times.append(time.perf_counter() - started)
            assert report.ok, report.problems
            assert report.size == n
        del bodies
        result["verify_s"] = min(verify_times)
        result["bare_s"] = min(bare_times)
        result["verify_all_s"] = verify_times
        result["bare_all_s"] = bare_times

    result["bytes_per_entry"] = _bytes_per_entry(connection, n, [Entry, Node, Head])
    return result


def _bytes_per_entry(connection, n: int, models: list) -> float:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            total = 0
            for model in models:
                cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
                cursor.execute("SELECT pg_total_relation_size(%s)", [model._meta.db_table])
                total += cursor.fetchone()[0]
        return total / n
    path = connection.settings_dict["NAME"]
    with connection.cursor() as cursor:
        cursor.execute("VACUUM")
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    return _file_bytes(path) / n


def _file_bytes(path: str) -> int:
    return sum(os.path.getsize(p) for p in (path, path + "-wal") if os.path.exists(p))


def pymerkle(args: argparse.Namespace) -> dict:
    setup_django()  # for encode_event: the same bytes as our entries, made the same way
    import sqlite3

    from pymerkle import SqliteTree

    n = args.n
    result: dict = {}
    tree = SqliteTree(args.db)
    # The same work as ours: events in, encoded (clock and RFC 8785) and stored as leaves,
    # streamed through append_entries, which inserts in chunks of 100,000.
    started = time.perf_counter()
    size = tree.append_entries(encode_event(i) for i in range(n))
    result["bulk_s"] = time.perf_counter() - started
    assert size == n
    tree.close()
    # How much of that is encoding, which pymerkle itself does not do.
    started = time.perf_counter()
    for i in range(n):
        encode_event(i)
    result["encode_s"] = time.perf_counter() - started

    con = sqlite3.connect(args.db)
    con.execute("VACUUM")
    con.close()
    result["bytes_per_entry"] = _file_bytes(args.db) / n
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("system", choices=["ours", "pymerkle"])
    parser.add_argument("--n", type=int, required=True)
    parser.add_argument("--db", help="pymerkle's SQLite file to create")
    parser.add_argument("--pymerkle-db", help="pymerkle's log of the same N entries, for proofs")
    parser.add_argument("--proofs", type=int, default=0, help="proofs to time of each kind")
    parser.add_argument("--verify", type=int, default=0, help="rounds of verify_log vs bare loop")
    args = parser.parse_args()
    result = ours(args) if args.system == "ours" else pymerkle(args)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
