"""`sinergi ledger verify` and `export`: recompute the whole log from stored entries."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import IO

from django.db import connection

from sinergi.ledger import merkle, notes
from sinergi.ledger.checkpoints import full_note, verifier_key
from sinergi.ledger.log import split_frontier
from sinergi.ledger.models import LEVEL_SHIFT, Checkpoint, Entry, Head, Node, Witness
from sinergi.ledger.offline import BUNDLE_FORMAT, Report, build_levels, check_checkpoints

BATCH = 20_000


def _stream(sql: str) -> Iterator[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        while rows := cursor.fetchmany(BATCH):
            yield from rows


def verify_log() -> Report:
    """Rebuild every hash from the entry bodies and compare with what is stored.

    Checks, in order: indices run 0..size-1 without gaps or extras; each body hashes to
    its stored leaf; every stored subtree hash; the head; every checkpoint's signature
    and root; consistency between consecutive checkpoints. `first_bad_index` names the
    earliest entry that differs from what was logged.
    """
    report = Report()
    head = Head.objects.get(pk=1)
    size = head.size
    report.size = size
    entry_table = connection.ops.quote_name(Entry._meta.db_table)
    node_table = connection.ops.quote_name(Node._meta.db_table)
    leaf_hash = merkle.leaf_hash
    leaves: list[bytes] = []
    expected = 0
    entries_sql = f"SELECT {connection.ops.quote_name('index')}, body FROM {entry_table} ORDER BY 1"  # noqa: S608
    for index, body in _stream(entries_sql):
        if index != expected:
            report.fail(f"entry {expected} is missing", expected)
            break
        leaves.append(leaf_hash(bytes(body)))
        expected += 1
    if expected > size:
        report.fail(f"there are entries beyond the log size {size}", size)
        leaves = leaves[:size]
    elif expected < size and report.ok:
        report.fail(f"entry {expected} is missing", expected)

    levels = build_levels(leaves)
    counts = [0] * (len(levels) + 1)
    mask = (1 << LEVEL_SHIFT) - 1
    for key, stored in _stream(f"SELECT key, hash FROM {node_table} ORDER BY key"):  # noqa: S608
        level, index = key >> LEVEL_SHIFT, key & mask
        if level >= len(levels) or index >= len(levels[level]):
            report.fail(
                f"an extra tree node ({level}, {index}) is stored", min(index << level, size)
            )
            continue
        counts[level] += 1
        if bytes(stored) != levels[level][index]:
            report.fail(
                f"entry {index << level} does not match its logged hash"
                if level == 0
                else f"the stored hash of entries {index << level} to {((index + 1) << level) - 1}"
                " does not match them",
                index << level,
            )
    for level, hashes in enumerate(levels):
        if counts[level] != len(hashes) and len(leaves) == size:
            report.fail(f"tree nodes are missing at level {level}", 0)

    frontier = split_frontier(bytes(head.frontier))
    start, expected_frontier = 0, []
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1 and level < len(levels) and (start >> level) < len(levels[level]):
            expected_frontier.append(levels[level][start >> level])
            start += 1 << level
    if frontier != expected_frontier:
        report.fail("the log head does not match the entries", size)

    verifier = notes.parse_vkey(verifier_key())
    witnesses = [notes.parse_vkey(w.vkey) for w in Witness.objects.all()]
    check_checkpoints(
        report,
        levels,
        len(leaves),
        (full_note(c) for c in Checkpoint.objects.order_by("size").prefetch_related()),
        verifier,
        witnesses,
    )
    return report


def export_bundle(handle: IO[str]) -> int:
    """Write an audit bundle (entries, checkpoints with cosignatures, keys) as JSON."""
    size = Head.objects.values_list("size", flat=True).get(pk=1)
    entry_table = connection.ops.quote_name(Entry._meta.db_table)
    handle.write(json.dumps({"format": BUNDLE_FORMAT, "vkey": verifier_key()})[:-1])
    handle.write(', "witnesses": ' + json.dumps([w.vkey for w in Witness.objects.all()]))
    handle.write(', "checkpoints": ')
    handle.write(json.dumps([full_note(c) for c in Checkpoint.objects.order_by("size")]))
    handle.write(', "entries": [')
    sql = f"SELECT body FROM {entry_table} WHERE {connection.ops.quote_name('index')} < %s ORDER BY {connection.ops.quote_name('index')}"  # noqa: E501, S608
    first = True
    with connection.cursor() as cursor:
        cursor.execute(sql, [size])
        while rows := cursor.fetchmany(BATCH):
            for (body,) in rows:
                handle.write(
                    ("" if first else ",") + '"' + base64.b64encode(bytes(body)).decode() + '"'
                )
                first = False
    handle.write("]}\n")
    return size
