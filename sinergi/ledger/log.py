"""Appending to the log and reading proofs from it.

The tree is stored as its leaf hashes (with the entries) and the hashes of its complete
subtrees of 16 leaves or more (Node), so an append writes one entry and, once in 16
appends, at most log2(n) nodes; a proof reads O(log n) nodes and at most 16 leaves per
edge of the ranges it covers, in one query.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model, QuerySet
from django.db.models.base import ModelState
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from sinergi.core import sql
from sinergi.ledger import jcs, merkle, notes
from sinergi.ledger.models import LEVEL_SHIFT, LOWEST_STORED_LEVEL, Entry, Head, Node, node_key


class LedgerError(Exception):
    """The ledger cannot do what was asked (bad request or broken invariant).

    `field` names the request parameter at fault, when a reader's request is refused (its
    message is then in the reader's language)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class DamagedLog(LedgerError):
    """The stored log lacks a hash it needs (rows deleted behind the ledger's back): no
    fault of the request. The proof that needs it cannot be given; signing refuses only
    when a hash it reads itself is missing (those of the last signed size and the tree's
    top), so damage deeper down is found by `sinergi ledger verify`, which names the first
    entry concerned."""


def now() -> datetime:
    """The clock the ledger stamps entries with (the seam tests replace)."""
    return timezone.now()


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def canonical_entry(
    kind: str,
    partnership: str | None,
    actor: str | None,
    time: str,
    payload: dict[str, Any],
    salt: str | None = None,
) -> bytes:
    """The RFC 8785 bytes of an entry — exactly what the leaf hash covers.

    An entry of a partnership also carries `salt`, 128 random bits (`new_salt`): its leaf
    hash is public while its body follows the partnership's permission policy, and without
    the salt anyone could confirm a guess of a private body (who joined, which amount) by
    hashing candidates until one matched the published leaf."""
    entry = {
        "kind": kind,
        "partnership": partnership,
        "actor": actor,
        "time": time,
        "payload": payload,
    }
    if salt is not None:
        entry["salt"] = salt
    return jcs.dumps(entry)


def names_partnership(body: bytes) -> bool:
    """Whether an entry's logged bytes name a partnership (their `partnership` is not
    null). Readers outside a partnership are given its bodies only by what this says
    too, never by the unsigned Entry.partnership_ref column alone. Unsure (not an entry
    as `canonical_entry` writes them): True, so the body is withheld."""
    body = bytes(body)
    # In RFC 8785 bytes the keys come sorted: "actor" (a string or null, where a quote
    # is escaped), then "kind" (a string), then "partnership". So the first
    # `,"partnership":` is the top-level one.
    if body.startswith((b'{"actor":"', b'{"actor":null,')):
        at = body.find(b',"partnership":')
        if at >= 0:
            return not body.startswith(b"null,", at + len(b',"partnership":'))
    try:
        entry = json.loads(body)
    except ValueError:
        return True
    return not isinstance(entry, dict) or entry.get("partnership") is not None


def new_salt() -> str:
    """A fresh salt for one entry: base64 of 16 bytes from the operating system's CSPRNG
    (the seam tests replace to make bodies reproducible)."""
    return base64.b64encode(os.urandom(16)).decode("ascii")


def split_frontier(blob: bytes) -> list[bytes]:
    return [bytes(blob[i : i + 32]) for i in range(0, len(blob), 32)]


def root_from_frontier(frontier: list[bytes]) -> bytes:
    if not frontier:
        return merkle.EMPTY_ROOT
    root = frontier[-1]
    for left in reversed(frontier[:-1]):
        root = merkle.node_hash(left, root)
    return root


@dataclass(frozen=True)
class TreeHead:
    size: int
    root: bytes


def current_head() -> TreeHead:
    head = Head.objects.current()
    return TreeHead(size=head.size, root=root_from_frontier(split_frontier(head.frontier)))


def append(
    kind: str,
    payload: dict[str, Any],
    partnership: Any = None,
    actor: Any = None,
) -> Entry:
    """Append one event to the log inside the caller's transaction.

    The caller must be in `transaction.atomic()`: the domain change and its entry commit
    together or not at all. The head row is locked (`SELECT … FOR UPDATE`; on SQLite the
    IMMEDIATE transaction already holds the write lock), so concurrent appends from any
    number of processes are serialised and indices have no gaps.

    The rows are written with plain SQL (no model signals; nothing listens to them): the
    ORM's query building used to cost more than the four small statements themselves.
    On PostgreSQL the lock, the hashing and the writes are one call of a server-side
    function (migration 0004): each round trip to the server costs more than the work it
    carries, and the head lock is then held for one round trip less. The entry's time is
    read there just before the lock, so a writer that waited for the lock may log a time
    a little earlier than the entry before it; indices, not times, order the log.
    Returns the new entry as a saved model instance.
    """
    # `connection`'s wrapper, looked up once: each attribute read through the proxy
    # finds it again in a context-local store (about 3 µs, a dozen times per append).
    db = connections[DEFAULT_DB_ALIAS]
    if not db.in_atomic_block:
        raise LedgerError("ledger.append must run inside the caller's transaction")
    _check_kind(kind)
    partnership_ref = getattr(partnership, "pk", None)
    if db.vendor == "postgresql":
        slug = None
        if partnership_ref is not None:
            # The head first, then the short name in a statement of its own: it sees
            # every rename committed before this append's place in the log.
            _lock_head(db)
            slug = _slugs_now({partnership_ref: partnership}).get(partnership_ref)
        moment = now()
        body = _entry_body(kind, payload, partnership, actor, moment, slug)
        index = _append_on_server(db, kind, partnership_ref, moment, body)
        return _appended(db, index, kind, partnership_ref, moment, body, merkle.leaf_hash(body))
    index, frontier = _lock_head(db)
    moment = now()
    slug = _slugs_now({partnership_ref: partnership}).get(partnership_ref)
    body = _entry_body(kind, payload, partnership, actor, moment, slug)
    leaf = merkle.leaf_hash(body)
    nodes = []
    current, level, position = leaf, 0, index
    while position & 1:
        current = merkle.node_hash(frontier.pop(), current)
        level += 1
        position >>= 1
        if level >= LOWEST_STORED_LEVEL:
            nodes.append((node_key(level, position), current))
    frontier.append(current)
    _write_append(
        db,
        (index, kind, partnership_ref, _time_adapter(db.vendor)(moment), body, leaf),
        nodes,
        frontier,
    )
    return _appended(db, index, kind, partnership_ref, moment, body, leaf)


def _appended(
    db: BaseDatabaseWrapper,
    index: int,
    kind: str,
    partnership_ref: int | None,
    moment: datetime,
    body: bytes,
    leaf: bytes,
) -> Entry:
    """After an append: the checkpoint attempt on commit, and the entry as a saved row.

    The row is made as `Model.from_db` would make it, minus `__init__`'s field-by-field
    work (1 µs instead of 7): Entry has no pre_init or post_init receivers and no field
    that sets itself up on assignment (tests/ledger/test_append.py fails first if it
    gains one)."""
    db.on_commit(_after_append)
    entry = Entry.__new__(Entry)
    state = ModelState()
    state.adding, state.db = False, db.alias
    entry.__dict__.update(
        _state=state,
        index=index,
        kind=kind,
        partnership_ref=partnership_ref,
        time=moment,
        body=body,
        leaf_hash=leaf,
    )
    return entry


_APPEND_ON_SERVER = "SELECT ledger_append_entry(%s, %s, %s, %s)"
DAMAGED_HEAD = "the log head is damaged: its frontier does not match its size"
DAMAGED_HEAD_SQLSTATE = "SL001"  # raised by ledger_append_entry


def _append_on_server(
    db: BaseDatabaseWrapper, kind: str, partnership_ref: int | None, moment: datetime, body: bytes
) -> int:
    """Append on PostgreSQL with one call of `ledger_append_entry`, which locks the head,
    hashes the leaf and the subtrees it completes, writes the entry with its leaf hash,
    the nodes it completes from level 4 up and the new head, and returns the entry's
    index. The statement is prepared once per connection (`sinergi.core.sql`)."""
    _count_write()
    params = [kind, partnership_ref, _time_adapter("postgresql")(moment), body]
    with sql.cursor(db) as cursor:
        try:
            cursor.execute(_APPEND_ON_SERVER, params)
            index = cursor.fetchone()[0]
            if index is None:  # no head row (a flushed database): create it, then append
                Head.objects.current()
                cursor.execute(_APPEND_ON_SERVER, params)
                index = cursor.fetchone()[0]
        except DatabaseError as error:
            if getattr(error.__cause__, "sqlstate", None) == DAMAGED_HEAD_SQLSTATE:
                raise LedgerError(DAMAGED_HEAD) from error
            raise
    if index is None:
        raise LedgerError("the log head is missing")
    return index


def _check_kind(kind: str) -> None:
    if not kind or len(kind) > 60:
        raise LedgerError("an entry kind is 1 to 60 characters")


def _slugs_now(partnerships: dict[Any, Any]) -> dict[int, str]:
    """The short names the partnerships (by id) have in the database now, inside the
    appending transaction with the head locked. An entry names its partnership by this,
    not by a copy read earlier in the request: a rename committed meanwhile (a finance
    import parses its file between the two) comes before the entry in the log, so the
    entry must carry the new name (`sinergi ledger verify` checks that entries name
    their partnership as its logged renames say)."""
    wanted = [pk for pk in partnerships if pk is not None]
    if not wanted:
        return {}
    from sinergi.partnerships.models import Partnership

    table = connection.ops.quote_name(Partnership._meta.db_table)
    marks = ", ".join(["%s"] * len(wanted))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, slug FROM {table} WHERE id IN ({marks})", wanted)  # noqa: S608
        return dict(cursor.fetchall())


def _entry_body(
    kind: str,
    payload: dict[str, Any],
    partnership: Any,
    actor: Any,
    moment: datetime,
    slug: str | None = None,
) -> bytes:
    """The logged bytes of one event: who (by username) did what, where, when; salted
    when it belongs to a partnership (see `canonical_entry`). `slug`: the partnership's
    short name now (`_slugs_now`), else the one `partnership` holds."""
    slug = slug or getattr(partnership, "slug", None)
    return canonical_entry(
        kind,
        slug,
        getattr(actor, "username", None) if actor is not None else None,
        rfc3339(moment),
        payload,
        new_salt() if slug is not None else None,
    )


_ENTRY_COLUMNS = ["index", "kind", "partnership_ref", "time", "body", "leaf_hash"]
_NODE_COLUMNS = ["key", "hash"]


def hold() -> int:
    """Take the log's head lock now, inside the caller's transaction, before locking any
    other row: writers that lock a row of their own and then append would otherwise take
    the two locks in the opposite order to those that append first (a deadlock).

    Returns the log's size: the index the caller's next append will get, since no one
    else appends until the caller's transaction ends."""
    if not connection.in_atomic_block:
        raise LedgerError("ledger.hold must run inside the caller's transaction")
    return _lock_head()[0]


M = TypeVar("M", bound=Model)


def hold_row(instance: M) -> M:
    """`hold()`, then reload `instance` from its row as it is now, locked until the
    caller's transaction ends; returns `instance` (Http404 when the row is gone).

    An update checks and writes the row as it is now, not as its request read it before:
    another request may have changed or deleted it in between, and a save of that copy
    would undo their logged change, or bring a deleted row back. Fields the caller had
    set on `instance` are reloaded too: set them again after this."""
    hold()
    manager = type(instance)._default_manager
    try:
        instance.refresh_from_db(from_queryset=manager.select_for_update(no_key=True))
    except ObjectDoesNotExist:
        raise Http404(_("It was deleted meanwhile.")) from None
    return instance


_WRITES = [0]
_WRITES_LOCK = threading.Lock()


def writes() -> int:
    """How many times this process has locked the log to append (`append`, `append_many`,
    `hold`). A reader that noted it beside a value read from the log knows, while it is
    unchanged, that nothing in this process can have appended since: another process's
    append is then no different from one committed just after the read."""
    return _WRITES[0]


def _count_write() -> None:
    with _WRITES_LOCK:
        _WRITES[0] += 1


def _lock_head(db: BaseDatabaseWrapper | None = None) -> tuple[int, list[bytes]]:
    """Lock the head row (re-created if missing, as Head.objects.locked does); return the
    log size and the frontier. `db`: `connection`'s wrapper, when the caller has it."""
    _count_write()
    if db is None:
        db = connections[DEFAULT_DB_ALIAS]
    table = db.ops.quote_name(Head._meta.db_table)
    if db.vendor == "sqlite":  # see _write_append
        db.validate_no_broken_transaction()
        db.ensure_connection()
        with db.wrap_database_errors:
            row = db.connection.execute(
                f"SELECT size, frontier FROM {table} WHERE id = 1"  # noqa: S608
            ).fetchone()
    else:
        lock = " FOR UPDATE" if db.features.has_select_for_update else ""
        with db.cursor() as cursor:
            cursor.execute(f"SELECT size, frontier FROM {table} WHERE id = 1{lock}")  # noqa: S608
            row = cursor.fetchone()
    if row is None:
        head = Head.objects.locked()
        size, frontier = head.size, bytes(head.frontier)
    else:
        size, frontier = row[0], bytes(row[1])
    # The frontier holds one 32-byte hash per 1-bit of the size (the complete subtrees
    # the tree splits into); anything else would store wrong hashes from here on.
    if len(frontier) != 32 * size.bit_count():
        raise LedgerError(DAMAGED_HEAD)
    return size, split_frontier(frontier)


def _write_append(
    db: BaseDatabaseWrapper, entry: tuple, nodes: list[tuple[int, bytes]], frontier: list[bytes]
) -> None:
    """Write one entry, the nodes it completes (often none) and the new head (PostgreSQL
    appends on the server, `_append_on_server`). On SQLite straight on the driver's
    connection, inside the caller's transaction all the same: Django's cursor wrapper
    (placeholder rewriting, query logging) cost more than the statements themselves,
    which the driver keeps prepared.
    Errors come out as Django's, and the statements do not show in Django's query log."""
    if db.vendor == "sqlite":
        raw = db.connection
        entry_sql, node_sql, head_sql = _sqlite_append_sql()
        with db.wrap_database_errors:  # Django's exceptions, as from its cursor
            raw.execute(entry_sql, entry)
            if nodes:
                raw.executemany(node_sql, nodes)
            raw.execute(head_sql, (entry[0] + 1, b"".join(frontier)))
        return
    _insert_rows(Entry._meta.db_table, _ENTRY_COLUMNS, [entry])
    _insert_rows(Node._meta.db_table, _NODE_COLUMNS, nodes)
    _store_head(entry[0] + 1, frontier)


@cache
def _sqlite_append_sql() -> tuple[str, str, str]:
    quote = connection.ops.quote_name
    entry_names = ", ".join(quote(column) for column in _ENTRY_COLUMNS)
    marks = ", ".join("?" * len(_ENTRY_COLUMNS))
    # Table and column names come from the models, never from input.
    return (
        f"INSERT INTO {quote(Entry._meta.db_table)} ({entry_names}) VALUES ({marks})",  # noqa: S608
        f"INSERT INTO {quote(Node._meta.db_table)} (key, hash) VALUES (?, ?)",  # noqa: S608
        f"UPDATE {quote(Head._meta.db_table)} SET size = ?, frontier = ? WHERE id = 1",  # noqa: S608
    )


def _store_head(size: int, frontier: list[bytes]) -> None:
    table = connection.ops.quote_name(Head._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET size = %s, frontier = %s WHERE id = 1",  # noqa: S608
            [size, b"".join(frontier)],
        )


def append_many(entries: Iterable[Sequence[Any]], *, batch_size: int = 20_000) -> range:
    """Append many events in order, inside the caller's transaction; return their indices.

    Each item holds the arguments of `append`: `(kind, payload)` or
    `(kind, payload, partnership, actor)`. The result is exactly what calling `append` for
    each item in turn would store: the same entries (each stamped by its own `now()`), the
    same subtree hashes and the same head. But the leaf hashes, subtree hashes and frontier are
    computed in memory and written `batch_size` entries at a time (COPY on PostgreSQL,
    `executemany` elsewhere), so a million entries take seconds rather than a million
    round trips. The head row is locked as in `append`, and the whole batch runs in a
    savepoint: if any item is rejected (LedgerError) nothing of the batch is kept. One
    checkpoint attempt follows the commit, as after an `append`.
    """
    if not connection.in_atomic_block:
        raise LedgerError("ledger.append_many must run inside the caller's transaction")
    if batch_size < 1:
        raise LedgerError("batch_size must be at least 1")
    entry_table, node_table = Entry._meta.db_table, Node._meta.db_table
    prep_time = _time_adapter(connection.vendor)
    sha256 = hashlib.sha256
    with transaction.atomic():
        first, frontier = _lock_head()
        index = first
        entry_rows: list[tuple] = []
        node_rows: list[tuple[int, bytes]] = []
        slugs: dict[int, str] = {}  # each partnership's short name now, read once
        for item in entries:
            kind, payload, partnership, actor = _arguments(*item)
            _check_kind(kind)
            moment = now()
            pk = getattr(partnership, "pk", None)
            if pk is not None and pk not in slugs:
                slugs[pk] = _slugs_now({pk: partnership}).get(pk) or partnership.slug
            body = _entry_body(kind, payload, partnership, actor, moment, slugs.get(pk))
            # merkle.leaf_hash and merkle.node_hash, inlined for speed.
            leaf = current = sha256(b"\x00" + body).digest()
            level, position = 0, index
            while position & 1:
                current = sha256(b"\x01" + frontier.pop() + current).digest()
                level += 1
                position >>= 1
                if level >= LOWEST_STORED_LEVEL:
                    node_rows.append(((level << LEVEL_SHIFT) | position, current))
            frontier.append(current)
            entry_rows.append((index, kind, pk, prep_time(moment), body, leaf))
            index += 1
            if len(entry_rows) >= batch_size:
                _insert_rows(entry_table, _ENTRY_COLUMNS, entry_rows)
                _insert_rows(node_table, _NODE_COLUMNS, node_rows)
                entry_rows, node_rows = [], []
        _insert_rows(entry_table, _ENTRY_COLUMNS, entry_rows)
        _insert_rows(node_table, _NODE_COLUMNS, node_rows)
        if index > first:
            _store_head(index, frontier)
            transaction.on_commit(_after_append)
    return range(first, index)


@cache
def _time_adapter(vendor: str) -> Callable[[datetime], Any]:
    """Entry.time's database value for a moment: what the ORM would send, without its cost.

    For aware datetimes this is exactly DateTimeField.get_db_prep_save: the value itself on
    PostgreSQL, and on SQLite (time zone support on) its text in the connection's zone.
    Anything else takes the field's own path. Made once per database kind (the settings
    it reads do not change while the process runs).
    """
    field = Entry._meta.get_field("time")

    def prepare(moment: datetime) -> Any:
        return field.get_db_prep_save(moment, connection)

    if vendor == "postgresql":
        return lambda m: m if isinstance(m, datetime) and m.utcoffset() is not None else prepare(m)
    if vendor == "sqlite" and settings.USE_TZ:
        zone = connection.timezone
        in_utc = zone is UTC

        def to_sqlite(m: datetime) -> Any:
            if in_utc and type(m) is datetime and m.tzinfo is UTC:
                # The clock's own moments: "YYYY-MM-DD HH:MM:SS[.ffffff]+00:00" without its
                # offset is the naive text, in one call instead of three (a bulk append
                # makes one per entry).
                return m.isoformat(" ")[:-6]
            if isinstance(m, datetime) and m.utcoffset() is not None:
                return str(m.astimezone(zone).replace(tzinfo=None))
            return prepare(m)

        return to_sqlite
    return prepare


def _arguments(
    kind: str, payload: dict[str, Any], partnership: Any = None, actor: Any = None
) -> tuple[str, dict[str, Any], Any, Any]:
    return kind, payload, partnership, actor


def _insert_rows(table: str, columns: list[str], rows: list[tuple]) -> None:
    """Insert rows of plain values (already adapted for the database).

    A few rows go in one multi-row INSERT; many go through COPY on PostgreSQL and
    `executemany` elsewhere.
    """
    if not rows:
        return
    quote = connection.ops.quote_name
    names = ", ".join(quote(column) for column in columns)
    marks = "(" + ", ".join(["%s"] * len(columns)) + ")"
    with connection.cursor() as cursor:
        if len(rows) <= _FEW_ROWS:
            cursor.execute(
                f"INSERT INTO {quote(table)} ({names}) VALUES {', '.join([marks] * len(rows))}",  # noqa: S608
                [value for row in rows for value in row],
            )
        elif connection.vendor == "postgresql":
            raw = cursor.cursor  # the psycopg cursor under Django's wrapper
            with raw.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany(f"INSERT INTO {quote(table)} ({names}) VALUES {marks}", rows)  # noqa: S608


_FEW_ROWS = 64  # at most 6 * 64 parameters: within SQLite's oldest limit of 999


def _after_append() -> None:
    from sinergi.ledger.checkpoints import maybe_issue_checkpoint

    maybe_issue_checkpoint()


# Proofs ---------------------------------------------------------------------------


def _stored(lo: int, hi: int) -> int | None:
    """The key of the stored hash of entries lo..hi-1, if one is stored: a leaf, or a
    complete subtree from LOWEST_STORED_LEVEL up."""
    n = hi - lo
    if n & (n - 1) == 0 and lo % n == 0:
        level = n.bit_length() - 1
        if level == 0 or level >= LOWEST_STORED_LEVEL:
            return node_key(level, lo >> level)
    return None


def _blocks(lo: int, hi: int, found: set[int]) -> None:
    key = _stored(lo, hi)
    if key is not None:
        found.add(key)
        return
    n = hi - lo
    k = merkle.split_point(n)
    _blocks(lo, lo + k, found)
    _blocks(lo + k, hi, found)


def _keys_in(column: str, keys: set[int]) -> tuple[str, list[Any]]:
    """`column` among `keys`: on PostgreSQL `= ANY(array)`, one statement text whatever
    the number of keys (prepared once per connection, `sinergi.core.sql`); elsewhere
    `IN (…)`. The array goes as its text form, which psycopg sends as it is: adapting a
    Python list inspects every element first, and cost a proof more than the text."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s::bigint[])", [_array_text(keys)]
    return f"{column} IN ({', '.join(['%s'] * len(keys))})", sorted(keys)


def _array_text(keys: set[int]) -> str:
    """PostgreSQL's text form of a bigint array of `keys`, in order."""
    return "{" + ",".join(map(str, sorted(keys))) + "}"


def _keys_of(ranges: Iterable[tuple[int, int]]) -> set[int]:
    """The keys of the stored hashes that make up `ranges`: leaves (key = index) and
    complete subtrees from LOWEST_STORED_LEVEL up."""
    keys: set[int] = set()
    for lo, hi in ranges:
        _blocks(lo, hi, keys)
    return keys


def _stored_hashes_sql(keys: set[int], head: bool) -> tuple[str, list[Any]]:
    """One query for the stored hashes of `keys`: the subtree hashes from Node, the leaf
    hashes from their entries; rows (key, hash), or with `head` (size, key, hash), where
    the head row's size comes once (alone on PostgreSQL, beside the nodes elsewhere) and
    is NULL elsewhere. A key with no stored hash gives no row, or a NULL hash."""
    quote = connection.ops.quote_name
    leaves = {key for key in keys if key < 1 << LEVEL_SHIFT}
    nodes = keys - leaves
    node_table, entry_table = quote(Node._meta.db_table), quote(Entry._meta.db_table)
    head_table = quote(Head._meta.db_table)
    size = "NULL, " if head else ""
    parts, params = [], []
    if connection.vendor == "postgresql":
        # Each node by its own primary-key look-up, one per key of the array. With
        # `key = ANY(array)` the plan prepared for every proof reads the node table's
        # index as a bitmap and visits its heap pages (a sequential scan when the log is
        # small): at 10^4 entries that was 0.45 ms a proof against 0.19 ms this way,
        # measured with psycopg alone on one connection.
        if head:
            parts.append(
                f"SELECT h.size, NULL::bigint, NULL::bytea FROM {head_table} h WHERE h.id = 1"  # noqa: S608
            )
        if nodes:
            parts.append(
                f"SELECT {size}k, (SELECT hash FROM {node_table} WHERE key = k)"  # noqa: S608
                " FROM unnest(%s::bigint[]) k"
            )
            params.append(_array_text(nodes))
    elif head and nodes:
        where, node_params = _keys_in("n.key", nodes)
        parts.append(
            f"SELECT h.size, n.key, n.hash FROM {head_table} h"  # noqa: S608
            f" LEFT JOIN {node_table} n ON {where} WHERE h.id = 1"
        )
        params += node_params
    elif head:
        parts.append(f"SELECT h.size, NULL, NULL FROM {head_table} h WHERE h.id = 1")  # noqa: S608
    elif nodes:
        where, node_params = _keys_in("key", nodes)
        parts.append(f"SELECT key, hash FROM {node_table} WHERE {where}")  # noqa: S608
        params += node_params
    if leaves:
        index = quote("index")
        where, leaf_params = _keys_in(index, leaves)
        parts.append(f"SELECT {size}{index}, leaf_hash FROM {entry_table} WHERE {where}")  # noqa: S608
        params += leaf_params
    return " UNION ALL ".join(parts), params


MISSING_NODES = "the stored tree is missing nodes"


class StoredTree:
    """`hash_range` over the stored nodes, loading what a set of ranges needs at once."""

    def __init__(self) -> None:
        self.hashes: dict[int, bytes] = {}
        self._keys: set[int] | None = None

    def load(self, ranges: Iterable[tuple[int, int]]) -> None:
        keys = _keys_of(ranges)
        missing = keys - self.hashes.keys()
        if missing:
            # Plain SQL: the ORM's query building would cost more than the query itself.
            query, params = _stored_hashes_sql(missing, head=False)
            with sql.cursor(connection) as cursor:
                cursor.execute(query, params)
                self.hashes.update(
                    (key, bytes(value)) for key, value in cursor.fetchall() if value is not None
                )
        if not keys <= self.hashes.keys():
            raise DamagedLog(MISSING_NODES)

    def load_with_size(self, ranges: Iterable[tuple[int, int]]) -> int:
        """Load what the ranges need and return the log size, read in the same query (a
        proof then costs one round trip). Missing nodes are not reported here: check the
        size first, then `require` the same ranges."""
        keys = self._keys = _keys_of(ranges)
        if max(keys, default=0) >= 1 << 63:  # no such key can be stored (nor such a size)
            return _head_size()
        query, params = _stored_hashes_sql(keys, head=True)
        with sql.cursor(connection) as cursor:
            cursor.execute(query, params)
            rows = cursor.fetchall()
        self.hashes.update((key, bytes(value)) for _size, key, value in rows if value is not None)
        size = next((size for size, _key, _value in rows if size is not None), None)
        if size is None:  # no head row: _head_size re-creates it
            return _head_size()
        return size

    def require(self) -> None:
        """After `load_with_size`: every node its ranges need was there."""
        if self._keys is None:
            raise LedgerError("require() checks what load_with_size() read: call that first")
        if not self._keys <= self.hashes.keys():
            raise DamagedLog(MISSING_NODES)

    def hash_range(self, lo: int, hi: int) -> bytes:
        key = _stored(lo, hi)
        if key is not None:
            return self.hashes[key]
        k = merkle.split_point(hi - lo)
        return merkle.node_hash(self.hash_range(lo, lo + k), self.hash_range(lo + k, hi))


def _proof_hashes(ranges: list[tuple[int, int]], tree: StoredTree) -> list[bytes]:
    """The proof whose building asked for `ranges` (`_recorded_ranges`), in proof order:
    `merkle.inclusion_proof` and `consistency_proof` ask for each element's range once,
    from the root down, and reverse the list."""
    return [tree.hash_range(lo, hi) for lo, hi in reversed(ranges)]


def _recorded_ranges(build: Any) -> list[tuple[int, int]]:
    ranges: list[tuple[int, int]] = []

    def record(lo: int, hi: int) -> bytes:
        ranges.append((lo, hi))
        return bytes(32)

    build(record)
    return ranges


def _head_size() -> int:
    """The log size, read with one plain query (proofs ask for it on every request)."""
    table = connection.ops.quote_name(Head._meta.db_table)
    with sql.cursor(connection) as cursor:
        cursor.execute(f"SELECT size FROM {table} WHERE id = 1")  # noqa: S608
        row = cursor.fetchone()
    return row[0] if row is not None else Head.objects.current().size


def _check_size(size: int, what: str, head_size: int | None = None) -> int:
    if head_size is None:
        head_size = _head_size()
    if size < 1 or size > head_size:
        raise LedgerError(
            _("%(name)s must be between 1 and the log size, %(size)d.")
            % {"name": what, "size": head_size},
            what,
        )
    return head_size


def root_at(size: int) -> bytes:
    """The root hash of the tree of the first `size` entries."""
    if size == 0:
        return merkle.EMPTY_ROOT
    _check_size(size, "tree_size")
    tree = StoredTree()
    tree.load([(0, size)])
    return tree.hash_range(0, size)


@dataclass(frozen=True)
class InclusionProof:
    index: int
    tree_size: int
    leaf_hash: bytes
    root: bytes
    hashes: list[bytes]


def inclusion(index: int, tree_size: int) -> InclusionProof:
    """The RFC 9162 inclusion proof of entry `index` in the tree of `tree_size` entries."""
    if not 0 <= index < tree_size or tree_size >= notes.MAX_SIZE:
        _check_size(tree_size, "tree_size")
        raise LedgerError(_("index must be at least 0 and smaller than tree_size."), "index")
    ranges = _recorded_ranges(lambda h: merkle.inclusion_proof(index, tree_size, h))
    needed = [*ranges, (0, tree_size), (index, index + 1)]
    tree = StoredTree()
    _check_size(tree_size, "tree_size", tree.load_with_size(needed))
    tree.require()
    return InclusionProof(
        index=index,
        tree_size=tree_size,
        leaf_hash=tree.hash_range(index, index + 1),
        root=tree.hash_range(0, tree_size),
        hashes=_proof_hashes(ranges, tree),
    )


def index_of_leaf(leaf: bytes) -> int | None:
    """The first index whose leaf hash is `leaf`, through the index on the entries' leaf
    hashes (`ledger_entry_leaf_hash`). The indices come unordered and the least is taken
    here: with ORDER BY index LIMIT 1 a planner may walk the primary key instead, reading
    every entry until one matches (all of them when none does)."""
    return min(leaf_entries(leaf).values_list("index", flat=True), default=None)


def leaf_entries(leaf: bytes) -> QuerySet[Entry]:
    """The entries whose leaf hash is `leaf`, in no order (see `index_of_leaf`)."""
    return Entry.objects.filter(leaf_hash=leaf).order_by()


@dataclass(frozen=True)
class ConsistencyProof:
    first: int
    second: int
    first_root: bytes
    second_root: bytes
    hashes: list[bytes]


def consistency(first: int, second: int) -> ConsistencyProof:
    """The RFC 9162 proof that the tree of `second` entries extends that of `first`."""
    if not 1 <= first <= second or second >= notes.MAX_SIZE:
        _check_size(second, "second")
        raise LedgerError(_("first must be at least 1 and at most second."), "first")
    ranges = _recorded_ranges(lambda h: merkle.consistency_proof(first, second, h))
    needed = [*ranges, (0, first), (0, second)]
    tree = StoredTree()
    _check_size(second, "second", tree.load_with_size(needed))
    tree.require()
    return ConsistencyProof(
        first=first,
        second=second,
        first_root=tree.hash_range(0, first),
        second_root=tree.hash_range(0, second),
        hashes=_proof_hashes(ranges, tree),
    )


def b64(value: bytes) -> str:
    return base64.b64encode(value).decode()
