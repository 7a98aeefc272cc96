"""Helpers for the ledger tests: appending events, an independent tree, rewriting history.

The tree functions here are written from RFC 9162's definitions, separately from
sinergi.ledger, so that the tests do not check the code against itself.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from typing import Any

from django.db import transaction

from sinergi.ledger import checkpoints, log, notes
from sinergi.ledger.models import LOWEST_STORED_LEVEL, Checkpoint, Entry, Head, Node, node_key


def append_events(
    count: int,
    *,
    partnership: Any = None,
    actor: Any = None,
    kind: str = "test.event",
    first: int = 0,
) -> list[Entry]:
    """Append `count` events numbered from `first`, each in its own transaction, as a
    service would. (The time in an entry is to the millisecond: two events with the same
    number appended within one millisecond have the same bytes.)"""
    entries = []
    for n in range(first, first + count):
        with transaction.atomic():
            entries.append(log.append(kind, {"n": n}, partnership, actor))
    return entries


def leaf(body: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + body).digest()


def node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def mth(leaves: list[bytes]) -> bytes:
    """RFC 9162 §2.1.1 Merkle Tree Hash of a list of leaf hashes, by the recursive rule."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node(mth(leaves[:k]), mth(leaves[k:]))


def complete_subtrees(leaves: list[bytes]) -> dict[tuple[int, int], bytes]:
    """(level, index) → hash of every complete subtree: 2**level leaves from index << level."""
    hashes = {(0, i): h for i, h in enumerate(leaves)}
    level, row = 0, leaves
    while len(row) > 1:
        row = [node(row[i], row[i + 1]) for i in range(0, len(row) - 1, 2)]
        level += 1
        hashes.update(((level, i), h) for i, h in enumerate(row))
    return hashes


def stored_subtrees(leaves: list[bytes]) -> dict[int, bytes]:
    """Node.key → hash of every complete subtree the log stores as a node: those from
    LOWEST_STORED_LEVEL (16 leaves) up; the leaf hashes are stored with the entries."""
    return {
        node_key(level, index): value
        for (level, index), value in complete_subtrees(leaves).items()
        if level >= LOWEST_STORED_LEVEL
    }


def frontier(leaves: list[bytes]) -> bytes:
    """The roots of the complete subtrees making up the tree, largest first, concatenated."""
    hashes = complete_subtrees(leaves)
    size, start, parts = len(leaves), 0, []
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            parts.append(hashes[(level, start >> level)])
            start += 1 << level
    return b"".join(parts)


def stored_bodies() -> list[bytes]:
    return [bytes(b) for b in Entry.objects.order_by("index").values_list("body", flat=True)]


def rewrite_history(bodies: list[bytes]) -> None:
    """What an operator with write access to the database would do to change the past
    without leaving an internal trace: new bodies, every tree node and the head all
    recomputed to agree with each other."""
    for index, body in enumerate(bodies):
        Entry.objects.filter(index=index).update(body=body, leaf_hash=leaf(body))
    leaves = [leaf(b) for b in bodies]
    Node.objects.all().delete()
    Node.objects.bulk_create(
        Node(key=key, hash=value) for key, value in stored_subtrees(leaves).items()
    )
    Head.objects.filter(pk=1).update(size=len(bodies), frontier=frontier(leaves))


def changed_body(body: bytes, **payload: Any) -> bytes:
    """The same entry (and salt) with its payload replaced: still valid canonical JSON."""
    data = json.loads(body)
    return log.canonical_entry(
        data["kind"], data["partnership"], data["actor"], data["time"], payload, data.get("salt")
    )


def sign_as_log(checkpoint_text: str) -> str:
    """A checkpoint note signed with the log's own key, whatever it says."""
    return notes.sign_note(checkpoint_text, checkpoints.signer())


def forge_checkpoint(size: int, root: bytes) -> Checkpoint:
    """A checkpoint row signed with the log's own key, bypassing issue_checkpoint's checks
    (a malicious or compromised log)."""
    text = notes.checkpoint_text(checkpoints.origin(), size, root)
    return Checkpoint.objects.create(size=size, root=root, note=sign_as_log(text))


def b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


COMMAND_BLOCK = re.compile(r'<pre class="command" id="([^"]+)"[^>]*><code>(.*?)</code></pre>', re.S)


def page_commands(page: str) -> dict[str, str]:
    """The verification page's command blocks by id ("cmd-fetch", "cmd-receipt", …), as
    a browser shows and copies them: the text of each block, entities decoded."""
    return {name: html.unescape(text) for name, text in COMMAND_BLOCK.findall(page)}
