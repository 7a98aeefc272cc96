"""`sinergi ledger verify` and `export`: recompute the whole log from stored entries."""

from __future__ import annotations

import base64
import bisect
import contextlib
import hashlib
import itertools
import json
import logging
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import IO, TypeVar

from django.db import connection
from django.db.models import Prefetch

from sinergi.core.snapshot import consistent_reads
from sinergi.ledger import jcs, merkle, notes
from sinergi.ledger.checkpoints import (
    LogBehindCheckpoint,
    full_note,
    issue_checkpoint,
    verifier_key,
)
from sinergi.ledger.log import LedgerError, names_partnership, rfc3339, split_frontier
from sinergi.ledger.models import (
    LEVEL_SHIFT,
    LOWEST_STORED_LEVEL,
    Checkpoint,
    Cosignature,
    Entry,
    Head,
    Node,
    Witness,
)
from sinergi.ledger.offline import (
    BUNDLE_FORMAT,
    LevelBuilder,
    Report,
    build_levels,
    check_checkpoints,
)

BATCH = 20_000
T = TypeVar("T")
logger = logging.getLogger(__name__)
_cursor_ids = itertools.count()


def _stream(sql: str) -> Iterator[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        while rows := cursor.fetchmany(BATCH):
            yield from rows


def _leaf(body: object, index: int, report: Report) -> bytes:
    """The leaf hash of a stored body. A body that is not bytes (text, as an SQL edit on
    SQLite can leave it, where the API could not serve it) is reported at its index and
    hashed as its UTF-8 text, so that the checks after it go on."""
    if isinstance(body, bytes | bytearray | memoryview):
        return hashlib.sha256(b"\x00" + bytes(body)).digest()
    report.fail(f"entry {index} is not stored as bytes", index)
    return hashlib.sha256(b"\x00" + str(body).encode()).digest()


def _batches(
    sql: str, params: Sequence[object] = (), *, ahead: bool = False
) -> Iterator[list[tuple]]:
    """Rows in lists of BATCH. On PostgreSQL through a server-side cursor, so a large result
    is never held in memory at once, in binary format, so bytea arrives as plain bytes
    (text format doubles it on the wire and costs a hex decoding); with `ahead`, each
    batch is fetched while the caller works on the one before (`_read_ahead`)."""
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        raw = connection.connection.cursor(
            f"sinergi_ledger_{next(_cursor_ids)}",
            binary=True,
            withhold=connection.get_autocommit(),
        )
        with raw:
            raw.execute(sql, params)

            def fetch() -> list[tuple]:
                return raw.fetchmany(BATCH)

            yield from (_read_ahead(fetch) if ahead else iter(fetch, []))
        return
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(BATCH):
            yield rows


def _read_ahead(fetch: Callable[[], list[tuple]]) -> Iterator[list[tuple]]:
    """The batches `fetch` returns until an empty one, each fetched by a thread while the
    caller works on the one before: waiting for the database holds no lock of Python's,
    so the server's work (hashing the bodies) overlaps this process's (hashing the tree
    over them) on another core. At most two batches wait. The thread uses the caller's
    connection, which the caller leaves alone meanwhile."""
    waiting: queue.Queue[list[tuple] | BaseException | None] = queue.Queue(maxsize=2)
    stop = threading.Event()

    def read() -> None:
        try:
            while not stop.is_set() and (rows := fetch()):
                waiting.put(rows)
            waiting.put(None)
        except BaseException as error:  # handed to the caller, raised there
            waiting.put(error)

    reader = threading.Thread(target=read, name="ledger-verify-read", daemon=True)
    reader.start()
    try:
        while (item := waiting.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:  # also when the caller stops early: let the thread end before the cursor does
        stop.set()
        while reader.is_alive():
            with contextlib.suppress(queue.Empty):
                waiting.get(timeout=0.05)
        reader.join()


def _entry_count() -> tuple[int, bool]:
    """How many entries are stored, and whether their indices are exactly 0..count-1."""
    entry_table = connection.ops.quote_name(Entry._meta.db_table)
    index_column = connection.ops.quote_name("index")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*), MIN({index_column}), MAX({index_column}) FROM {entry_table}"  # noqa: S608
        )
        count, low, high = cursor.fetchone()
    return count, count == 0 or (low == 0 and high == count - 1)


#: Stored hashes compared per query: 32 MB of them at a time.
NODES_PER_READ = 1 << 20


#: What the database holds for one run of stored hashes: the number of rows, how many of
#: them are not 32-byte blobs (SQLite may hold text; PostgreSQL only bytea), and the
#: SHA-256 of the hashes joined in key order (a digest: all of them would take 64 bytes
#: of memory per entry).
Joined = tuple[int, int, bytes]


def _level_sizes(size: int) -> list[int]:
    """How many subtree hashes a log of `size` entries stores at each level: one per
    complete subtree from LOWEST_STORED_LEVEL up, none below (the leaves are stored with
    their entries)."""
    return [
        size >> level if level >= LOWEST_STORED_LEVEL else 0 for level in range(size.bit_length())
    ] or [0]


def _stored_levels(levels: list[list[bytes]]) -> list[list[bytes]]:
    """Of the hashes of every complete subtree, level by level, those stored as nodes."""
    return [hashes if level >= LOWEST_STORED_LEVEL else [] for level, hashes in enumerate(levels)]


def _leaves_differing(
    report: Report, computed: list[bytes], stored: Sequence[object], first: int
) -> list[int]:
    """Report each entry (indices from `first`) whose stored leaf hash is not the hash of
    its body; return their indices. One list comparison when all agree (the usual case)."""
    if computed == stored:
        return []
    bad = [first + n for n, (a, b) in enumerate(zip(computed, stored, strict=True)) if a != b]
    for index in bad:
        report.fail(f"entry {index} does not match its logged hash", index)
    return bad


def _node_count() -> int:
    node_table = connection.ops.quote_name(Node._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {node_table}")  # noqa: S608
        return cursor.fetchone()[0]


def _read_joined_nodes(sizes: list[int]) -> tuple[int, list[Joined]]:
    """The stored hashes' total count, and each run of up to NODES_PER_READ of them at
    each level of a tree with `sizes` nodes per level, as the database joins them.

    One value per run crosses the driver instead of a row per node."""
    return _node_count(), _read_runs(sizes)


def _read_runs(sizes: list[int]) -> list[Joined]:
    """The runs of `_read_joined_nodes`. They cover only subtrees of the log at its size,
    which appends never change, so another connection may read them."""
    runs: list[Joined] = []
    with connection.cursor() as cursor:
        for level, count in enumerate(sizes):
            for start in range(0, count, NODES_PER_READ):
                low = (level << LEVEL_SHIFT) + start
                high = low + min(NODES_PER_READ, count - start)
                bounds = [low, high] * (1 if connection.vendor == "postgresql" else 2)
                cursor.execute(_joined_nodes_sql(), bounds)
                found, misshapen, joined = cursor.fetchone()
                if connection.vendor == "postgresql":  # the server's digest of the run
                    digest = bytes(joined)
                else:
                    digest = hashlib.sha256(bytes(joined or b"")).digest()
                runs.append((found, misshapen or 0, digest))
    return runs


def _nodes_match(levels: list[list[bytes]], total: int, runs: list[Joined]) -> bool:
    """Whether the stored subtree hashes (`total`, `runs`) are exactly `levels`: no more,
    none missing, equal. A run matches when it has one hash per key of its range, every
    one 32 bytes long (so no two can shift bytes between them) and stored as bytes, and
    its joined hashes equal the computed ones joined."""
    if total != sum(len(hashes) for hashes in levels):
        return False
    expected = [
        (level, start)
        for level, hashes in enumerate(levels)
        for start in range(0, len(hashes), NODES_PER_READ)
    ]
    if len(expected) != len(runs):
        return False
    for (level, start), found in zip(expected, runs, strict=True):
        count, misshapen, digest = found
        run = levels[level][start : start + NODES_PER_READ]
        if (count, misshapen) != (len(run), 0):
            return False
        if digest != hashlib.sha256(b"".join(run)).digest():
            return False
    return True


def _joined_nodes_sql() -> str:
    """One run's count, its hashes that are not 32-byte blobs, and its joined hashes, for
    keys low to high - 1: the parameters (low, high), twice over on SQLite."""
    node_table = connection.ops.quote_name(Node._meta.db_table)
    if connection.vendor == "postgresql":
        # The server joins and digests the run (pg_catalog's SHA-256, never a function of
        # the same name elsewhere on the search path): 32 bytes cross the network, not
        # 32 MB. The rows come in key order from the primary key, unsorted: STRING_AGG's
        # own ORDER BY sorts them again (on disk past work_mem); the LIMIT keeps the run
        # one ordered scan, never split among parallel workers. Were the order ever
        # different, the digest would not match and `verify_log` would compare every
        # node one by one: slower, never a wrong verdict.
        return (
            "SELECT COUNT(*), COUNT(*) FILTER (WHERE LENGTH(hash) <> 32),"  # noqa: S608
            " pg_catalog.sha256(COALESCE(STRING_AGG(hash, ''::bytea), ''::bytea)) FROM"
            f" (SELECT hash FROM {node_table} WHERE key >= %s AND key < %s"
            f" ORDER BY key LIMIT {NODES_PER_READ}) AS run"
        )
    # SQLite's group_concat keeps a blob's bytes as they are (NULs included) and follows
    # the ordered subquery; the cast hands them back as a blob, not text to decode. A
    # hash of another length, or stored as text of the same bytes, would join the same:
    # those are counted apart, by a scan of their own (SQLite's aggregates cost more per
    # row than a second pass over the same pages).
    return (
        "SELECT COUNT(*), (SELECT COUNT(*) FROM"  # noqa: S608
        f" {node_table} WHERE key >= %s AND key < %s"
        " AND (LENGTH(hash) <> 32 OR typeof(hash) <> 'blob')),"
        " CAST(GROUP_CONCAT(hash, x'') AS BLOB) FROM"
        f" (SELECT hash FROM {node_table} WHERE key >= %s AND key < %s ORDER BY key)"
    )


# Entry columns against the logged bytes --------------------------------------------
#
# Entry.kind, .partnership_ref and .time are signed by nothing, yet readers rely on them:
# partnership_ref decides who may read a body. Each must say what the body says. Decoding
# every body as JSON would cost `verify` more than hashing it, so the bytes are checked
# first as `log.canonical_entry` writes them (RFC 8785: keys sorted, so the body starts
# with "actor", a string or null, then "kind" and "partnership", and ends with "time");
# only an entry that does not pass is decoded and compared field by field.

_ACTOR = (b'{"actor":"', b'{"actor":null,')
_KIND_KEY = b',"kind":'
_NO_PARTNERSHIP = b',"partnership":null,'
_A_PARTNERSHIP = b',"partnership":"'
_TIME_KEY = b',"time":"'
_markers: dict[tuple[str, bool], bytes | None] = {}


def _marker(kind: str, no_partnership: bool) -> bytes | None:
    """The bytes from the top-level "kind" to the start of the partnership's value for an
    entry whose columns are `kind` and (not) a partnership; None when the body needs a
    closer look: an admin entry about a partnership names its id, which must be the
    entry's partnership_ref."""
    key = (kind, no_partnership)
    if key not in _markers:
        try:
            kind_json = jcs.dumps(kind) if not kind.startswith("admin.") else None
        except (TypeError, ValueError, AttributeError):
            kind_json = None
        _markers[key] = (
            None
            if kind_json is None
            else _KIND_KEY + kind_json + (_NO_PARTNERSHIP if no_partnership else _A_PARTNERSHIP)
        )
    return _markers[key]


def _rfc3339_of(stored: object) -> str | None:
    """Entry.time as an entry's body writes it, from what the database gave (SQLite's
    text in the connection's time zone, or a datetime); None if it is neither."""
    if isinstance(stored, str):
        if (
            len(stored) == 26
            and stored[10] == " "
            and stored[19] == "."
            and stored[20:].isdigit()  # microseconds, not an offset of the same length
            and connection.timezone_name == "UTC"
        ):  # the usual case, without parsing: "2026-01-02 03:04:05.678901"
            return f"{stored[:10]}T{stored[11:23]}Z"
        try:
            stored = datetime.fromisoformat(stored)
        except ValueError:
            return None
    if not isinstance(stored, datetime):
        return None
    if stored.utcoffset() is None:
        stored = stored.replace(tzinfo=connection.timezone)
    return rfc3339(stored)


def _disagreeing(rows: Iterable[Sequence], first: int) -> list[int]:
    """The indices among `rows` (body, kind, no partnership, time; the first at index
    `first`) whose columns the quick check on the bytes does not find in the body. This
    runs once per entry: the usual time text is turned into the body's form inline."""
    found = []
    utc = connection.timezone_name == "UTC"
    markers, actor, kind_key, time_key = _markers, _ACTOR, _KIND_KEY, _TIME_KEY
    for n, (body, kind, no_partnership, stored) in enumerate(rows):
        marker = markers.get((kind, no_partnership)) or _marker(kind, bool(no_partnership))
        if (
            utc
            and type(stored) is str
            and len(stored) == 26
            and stored[10] == " "
            and stored[20:].isdigit()
        ):
            # SQLite's "2026-01-02 03:04:05.678901" as "2026-01-02T03:04:05.678Z"
            time = f"{stored[:10]}T{stored[11:23]}Z"
        else:
            time = _rfc3339_of(stored)
        if (
            marker is None
            or time is None
            or type(body) is not bytes
            or not body.startswith(actor)
            or not body.startswith(marker, body.find(kind_key))
            or not body.endswith(time_key + time.encode() + b'"}')
        ):
            found.append(first + n)
    return found


def _columns_differing(
    body: object, kind: str, partnership_ref: int | None, stored_time: object
) -> list[str]:
    """The names of the columns that say something other than the entry's body."""
    try:
        entry = json.loads(body if isinstance(body, str) else bytes(body))
    except (TypeError, ValueError):
        return []  # not an entry at all: its hash, which `append` logged, says so
    if not isinstance(entry, dict):
        return []
    differing = []
    if entry.get("kind") != kind:
        differing.append("kind")
    payload = entry.get("payload")
    if (entry.get("partnership") is None) != (partnership_ref is None) or (
        kind.startswith("admin.")
        and isinstance(payload, dict)
        and payload.get("model") == "partnership"
        and "id" in payload
        and payload["id"] != partnership_ref
    ):
        differing.append("partnership")
    if entry.get("time") != _rfc3339_of(stored_time):
        differing.append("time")
    return differing


def _suspects() -> list[int]:
    """The indices of the entries whose columns the quick check does not find in their
    bodies: in the database's SQL, or in Python for times SQLite keeps in another zone."""
    entry_table = connection.ops.quote_name(Entry._meta.db_table)
    index_column = connection.ops.quote_name("index")
    if connection.vendor == "postgresql" or connection.timezone_name == "UTC":
        postgresql = connection.vendor == "postgresql"
        agree = _PG_COLUMNS_AGREE if postgresql else _SQLITE_COLUMNS_AGREE
        sql = (
            f"SELECT {index_column} FROM {entry_table}"  # noqa: S608
            f" WHERE ({agree}) IS NOT TRUE ORDER BY 1"
        )
        params = _PG_COLUMNS_PARAMS if postgresql else _SQLITE_COLUMNS_PARAMS
        return [index for rows in _batches(sql, params) for (index,) in rows]
    time_column = connection.ops.quote_name("time")
    sql = (
        f"SELECT {index_column}, body, kind, partnership_ref IS NULL,"  # noqa: S608
        f" CAST({time_column} AS TEXT) FROM {entry_table} ORDER BY 1"
    )
    found = []
    for rows in _batches(sql):
        for index, *row in rows:
            found += _disagreeing([row], index)
    return found


def _entries_at(indices: list[int], columns: str) -> Iterator[list[tuple]]:
    """The entries at `indices` (a few: those a quick check singled out), 500 at a time,
    in index order: each row its index, then `columns` (SQL)."""
    entry_table = connection.ops.quote_name(Entry._meta.db_table)
    index_column = connection.ops.quote_name("index")
    for start in range(0, len(indices), 500):
        chunk = indices[start : start + 500]
        marks = ", ".join(["%s"] * len(chunk))
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {index_column}, {columns} FROM {entry_table}"  # noqa: S608
                f" WHERE {index_column} IN ({marks}) ORDER BY 1",
                chunk,
            )
            yield cursor.fetchall()


def _check_suspects(report: Report, suspects: list[int]) -> None:
    """Decode the bodies of `suspects` and report each column that differs from its body."""
    time_column = connection.ops.quote_name("time")
    as_stored = f"CAST({time_column} AS TEXT)" if connection.vendor == "sqlite" else time_column
    columns = f"body, kind, partnership_ref, {as_stored}"
    for rows in _entries_at(suspects, columns):
        for index, body, kind, partnership_ref, stored_time in rows:
            differing = _columns_differing(body, kind, partnership_ref, stored_time)
            if differing:
                names, many = " and ".join(differing), len(differing) > 1
                report.fail(
                    f"entry {index}'s {names} column{'s differ' if many else ' differs'} "
                    "from its logged body",
                    index,
                )


# An entry's partnership_ref against its body's partnership ---------------------------
#
# The body names its partnership by the short name (slug) it had then; partnership_ref by
# the row's id. `_suspects` finds a column nulled or set where the body says otherwise; an
# entry moved to another partnership's column (a private body served to a public
# partnership's readers) is found here, by what the log itself says of each partnership:
# its entries, in log order, begin with its creation (where the log holds one: test data
# and rows made before the ledger may have none), name it by its current short name back
# to the last logged rename, each rename's own entry carrying the new name, and a
# partnership that no longer exists has its deletion logged. The database hands over
# only the entries where the name changes along a partnership's entries, its first, and
# those of the kinds that create, edit or delete one. Its visibility, which decides who
# reads its entries, must be the one its last logged change of it says.

_NAMED = b',"partnership":"'
#: The kinds of entry that create, edit or delete a partnership (the admin's also any of
#: its rows: told apart by their payload).
_ABOUT_ITSELF = (
    "partnership.created",
    "partnership.updated",
    "partnership.deleted",
    "admin.added",
    "admin.changed",
    "admin.deleted",
)
#: index, partnership_ref, the body's short name (bytes; None if not found), kind.
NameRun = tuple[int, int, object, str]


def _slug_runs_sql() -> str:
    """See `_slug_runs`. Parameters: `_NAMED`, its length, then `_ABOUT_ITSELF`."""
    entry_table = connection.ops.quote_name(Entry._meta.db_table)
    index_column = connection.ops.quote_name("index")
    if connection.vendor == "postgresql":  # pg_catalog's, as in _PG_COLUMNS_AGREE
        rest = "pg_catalog.substring(body, pg_catalog.position(body, %s) OPERATOR(pg_catalog.+) %s)"
        slug = (
            "pg_catalog.substring(rest, 1, pg_catalog.position(rest,"
            " pg_catalog.decode('22', 'hex')) OPERATOR(pg_catalog.-) 1)"
        )
        differs = "slug OPERATOR(pg_catalog.<>) previous"
    else:
        rest = "substr(body, instr(body, %s) + %s)"
        slug = "substr(rest, 1, instr(rest, x'22') - 1)"
        differs = "slug <> previous"
    kinds = ", ".join(["%s"] * len(_ABOUT_ITSELF))
    return (
        f"SELECT {index_column}, partnership_ref, slug, kind FROM"  # noqa: S608
        f" (SELECT {index_column}, partnership_ref, slug, kind, LAG(slug) OVER"
        f" (PARTITION BY partnership_ref ORDER BY {index_column}) AS previous FROM"
        f" (SELECT {index_column}, partnership_ref, kind, {slug} AS slug FROM"
        f" (SELECT {index_column}, partnership_ref, kind, {rest} AS rest FROM {entry_table}"
        " WHERE partnership_ref IS NOT NULL) AS tails) AS named) AS runs"
        f" WHERE previous IS NULL OR {differs} OR kind IN ({kinds}) ORDER BY 2, 1"
    )


def _slug_runs() -> list[NameRun]:
    """Each partnership's entries whose body names it otherwise than its entry before,
    its first entry, and its entries of the kinds in `_ABOUT_ITSELF`, by partnership
    then index. The short name is the JSON string after the first ',"partnership":"' (a
    slug holds no quote or escape)."""
    with connection.cursor() as cursor:
        cursor.execute(_slug_runs_sql(), [_NAMED, len(_NAMED), *_ABOUT_ITSELF])
        return cursor.fetchall()


def _name_of(slug: object) -> str | None:
    if isinstance(slug, bytes | bytearray | memoryview):
        try:
            return bytes(slug).decode()
        except UnicodeDecodeError:
            return None
    return slug if isinstance(slug, str) else None  # a body stored as text (SQLite)


def _about_partnership(entry: object, kind: str, partnership_ref: int) -> bool:
    """Whether a decoded entry is `kind` done to partnership `partnership_ref` itself: the
    product's `partnership.<kind>`, or the admin's `admin.<kind>` of that row."""
    if not isinstance(entry, dict) or not isinstance(entry.get("payload"), dict):
        return False
    payload = entry["payload"]
    if entry.get("kind") == f"partnership.{kind}":
        return True
    return (
        entry.get("kind") == f"admin.{kind}"
        and payload.get("model") == "partnership"
        and payload.get("id") == partnership_ref
    )


def _renames(entry: object, partnership_ref: int, slug: str | None) -> bool:
    """Whether a decoded entry is the change of partnership `partnership_ref`'s short name
    to `slug`: the product's `partnership.updated` or the admin's change of the row."""
    if not isinstance(entry, dict) or not isinstance(entry.get("payload"), dict):
        return False
    payload = entry["payload"]
    if entry.get("kind") == "partnership.updated":
        changed = payload.get("changed")
        return isinstance(changed, dict) and slug is not None and changed.get("slug") == slug
    return _about_partnership(entry, "changed", partnership_ref) and "slug" in (
        payload.get("fields") or ()
    )


def _check_partnership_names(report: Report, rows: list[NameRun] | None = None) -> None:
    """Report each entry whose partnership_ref names a partnership its body does not
    (`rows`: `_slug_runs()`, read apart while the log was hashed, else read here).

    Per partnership: where its column holds a creation, that is its first entry and the
    only one; a partnership that no longer exists has its deletion in its column; and
    its runs of entries naming it alike, walked from the last, name it by its current
    short name (a deleted one's: its last entries' name) back to each logged rename,
    before which the run must be the one the rename began from. A run that names it
    otherwise is reported from its first entry."""
    from sinergi.partnerships.models import Partnership

    if rows is None:
        rows = _slug_runs()
    if not rows:
        return
    runs: dict[int, list[tuple[int, str | None, str]]] = {}
    for index, partnership_ref, slug, kind in rows:
        runs.setdefault(partnership_ref, []).append((index, _name_of(slug), kind))
    current: dict[int, str] = {}
    visibility: dict[int, str] = {}
    refs = list(runs)
    for start in range(0, len(refs), 500):
        found = Partnership._base_manager.filter(pk__in=refs[start : start + 500])
        for pk, slug, seen_by in found.values_list("pk", "slug", "visibility"):
            current[pk], visibility[pk] = slug, seen_by
    # The entries to read closely: where the name changes, and births and deaths.
    closely = [
        index
        for found in runs.values()
        for position, (index, _name, kind) in enumerate(found)
        if position or kind in _ABOUT_ITSELF
    ]
    decoded: dict[int, object] = {}
    for batch in _entries_at(sorted(closely), "body"):
        for index, body in batch:
            try:
                decoded[index] = json.loads(bytes(body))
            except (TypeError, ValueError):
                decoded[index] = None  # not an entry: its leaf hash says so
    for partnership_ref, found in runs.items():
        _check_one_partnership(report, partnership_ref, found, current, decoded)
        logged = _logged_visibility(partnership_ref, found, decoded)
        if partnership_ref in visibility and logged not in (None, visibility[partnership_ref]):
            report.fail(
                f"partnership {current[partnership_ref]} is {visibility[partnership_ref]} in"
                f" the database, but its entries last made it {logged}"
            )


def _logged_visibility(
    partnership_ref: int, found: list[tuple[int, str | None, str]], decoded: dict[int, object]
) -> str | None:
    """The visibility a partnership's entries last gave it: at its creation, or by its
    coordinators' last change of it; None when unknown (never logged, or last changed in
    the admin, whose entries name the fields changed, not their values)."""
    logged = None
    for index, _name, kind in found:
        entry = decoded.get(index)
        if not isinstance(entry, dict) or not isinstance(entry.get("payload"), dict):
            continue
        payload = entry["payload"]
        if kind == "partnership.created" and entry.get("kind") == kind:
            logged = payload.get("visibility")
        elif kind == "partnership.updated" and entry.get("kind") == kind:
            changed = payload.get("changed")
            if isinstance(changed, dict) and "visibility" in changed:
                logged = changed["visibility"]
        elif _about_partnership(entry, "added", partnership_ref) or (
            _about_partnership(entry, "changed", partnership_ref)
            and "visibility" in (payload.get("fields") or ())
        ):
            logged = None
    return logged if isinstance(logged, str) else None


def _check_one_partnership(
    report: Report,
    partnership_ref: int,
    found: list[tuple[int, str | None, str]],
    current: dict[int, str],
    decoded: dict[int, object],
) -> None:
    def moved(index: int) -> None:
        report.fail(
            f"entry {index}'s partnership column names a partnership its logged body does not",
            index,
        )

    births = [
        index
        for index, _name, _kind in found
        if _about_partnership(decoded.get(index), "created", partnership_ref)
        or _about_partnership(decoded.get(index), "added", partnership_ref)
    ]
    own = found
    if births:  # a partnership is created once: what comes before its creation is not its
        if births[-1] != found[0][0]:
            moved(found[0][0])
        own = [row for row in found if row[0] >= births[-1]]
    if partnership_ref not in current and not any(
        _about_partnership(decoded.get(index), "deleted", partnership_ref)
        for index, _name, _kind in found
    ):
        moved(found[0][0])  # a partnership that never was, or left without a trace
    # Forward from its first entry: a run of another name is a logged rename (which the
    # name goes on from) or does not belong here (and the name before it goes on).
    expected = own[0][1]
    for position, (index, name, _kind) in enumerate(own):
        if position == 0 or name == own[position - 1][1] or name == expected:
            continue
        if _renames(decoded.get(index), partnership_ref, name):
            expected = name
        else:
            moved(index)
    if partnership_ref in current and current[partnership_ref] != expected:
        moved(own[0][0])  # its short name changed without an entry saying so


#: The same quick check on the server (PostgreSQL), each function and operator
#: pg_catalog's: true when the body's "kind" is the kind column, its "partnership" is null
#: exactly when partnership_ref is, and it ends with the time column as
#: `log.rfc3339` writes it (to_char's MS truncates, as isoformat does).
_PG_COLUMNS_AGREE = (
    "(NOT pg_catalog.starts_with(kind, 'admin.')"
    " AND (pg_catalog.substring(body, 1, 10) OPERATOR(pg_catalog.=) %s"
    " OR pg_catalog.substring(body, 1, 14) OPERATOR(pg_catalog.=) %s)"
    " AND pg_catalog.position(body, %s) OPERATOR(pg_catalog.>) 0"
    " AND pg_catalog.position(body, %s) OPERATOR(pg_catalog.=) pg_catalog.position(body,"
    " %s OPERATOR(pg_catalog.||) pg_catalog.convert_to(pg_catalog.to_json(kind)::text, 'UTF8')"
    " OPERATOR(pg_catalog.||) CASE WHEN partnership_ref IS NULL THEN %s ELSE %s END)"
    " AND pg_catalog.substring(body, pg_catalog.length(body) OPERATOR(pg_catalog.-) 34)"
    " OPERATOR(pg_catalog.=) (%s OPERATOR(pg_catalog.||) pg_catalog.convert_to(pg_catalog.to_char("
    "pg_catalog.timezone('UTC', \"time\"), 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), 'UTF8')"
    " OPERATOR(pg_catalog.||) %s))"
)
_PG_COLUMNS_PARAMS = [
    *_ACTOR,
    _KIND_KEY,
    _KIND_KEY,
    _KIND_KEY,
    _NO_PARTNERSHIP,
    _A_PARTNERSHIP,
    _TIME_KEY,
    b'"}',
]


#: The quick check in SQLite's SQL, for times stored in UTC ("2026-01-02 03:04:05.678901",
#: the body's "2026-01-02T03:04:05.678Z"; a time stored otherwise is looked at closely).
#: Each piece is compared where it lies, a slice of the body against the column, rather
#: than against the expected bytes joined together first: SQLite's concatenations cost
#: more than its slices. The body's "kind" is the JSON string right after the first
#: ',"kind":' (the actor before it is null or a string, which holds no bare quote);
#: a kind whose JSON differs in length from its text is looked at closely.
_SQLITE_COLUMNS_AGREE = (
    "(substr(kind, 1, 6) <> 'admin.'"
    " AND (substr(body, 1, 10) = %s OR substr(body, 1, 14) = %s)"
    " AND CAST(substr(body, instr(body, %s) + %s, length(kind) + 2) AS TEXT) = json_quote(kind)"
    " AND substr(body, instr(body, %s) + %s + length(kind),"
    " CASE WHEN partnership_ref IS NULL THEN %s ELSE %s END)"
    " = CASE WHEN partnership_ref IS NULL THEN %s ELSE %s END"
    # 26 characters, the last three digits (microseconds, not a "+05" offset): one GLOB
    # over the whole text costs less than a length and a GLOB over a slice.
    " AND \"time\" GLOB '???????????????????????[0-9][0-9][0-9]'"
    " AND CAST(substr(body, -26, 23) AS TEXT) = replace(substr(\"time\", 1, 23), ' ', 'T')"
    " AND substr(body, -35, %s) = %s AND substr(body, -3) = %s)"
)
_SQLITE_COLUMNS_PARAMS = [
    *_ACTOR,
    _KIND_KEY,
    len(_KIND_KEY),
    _KIND_KEY,
    len(_KIND_KEY) + 2,  # past the kind's quotes
    len(_NO_PARTNERSHIP),
    len(_A_PARTNERSHIP),
    _NO_PARTNERSHIP,
    _A_PARTNERSHIP,
    len(_TIME_KEY),  # the last 35 bytes: the key, 23 for the time, 3 for 'Z"}'
    _TIME_KEY,
    b'Z"}',
]


def _apart(read: Callable[..., T], *args: object) -> T:
    """`read(*args)` in a worker thread, on that thread's own connection (Django's are per
    thread), closed after: the database's work on it overlaps the hashing in the caller's
    thread."""
    try:
        return read(*args)
    finally:
        connection.close()


def verify_log() -> Report:
    """`_verify_log` on one snapshot of the database (see sinergi.core.snapshot): appends
    committed while it runs are neither seen nor taken for rows beyond the log."""
    Head.objects.current()  # a missing head row is made here, not in the read-only snapshot
    with consistent_reads():
        return _verify_log()


def _verify_log() -> Report:
    """Rebuild every hash from the entry bodies and compare with what is stored.

    Checks, in order: indices run 0..size-1 without gaps or extras; each body hashes to
    its stored leaf; every stored subtree hash; the head; every checkpoint's signature
    and root; consistency between consecutive checkpoints. `first_bad_index` names the
    earliest entry that differs from what was logged.
    """
    report = Report()
    head = Head.objects.current()
    size = head.size
    report.size = size
    stored, contiguous = _entry_count()
    # The stored hashes are read while the bodies are hashed: on a connection of its
    # own, so only outside the caller's transaction (the command's case), where another
    # connection sees the same committed log; and only for a log whose entries and size
    # agree (the reading is sized by them).
    # The entries' columns are checked against their bodies likewise, at the same time
    # on a third connection (entries below the size never change either). Both are the
    # database's work, which holds no lock of Python's: with one thread for both, the
    # two queries one after the other took longer than the hashing (10^6 entries on two
    # cores, docs/benchmarks.md).
    reading = checking = naming = None
    if not connection.in_atomic_block and contiguous and stored == size:
        pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="ledger-verify")
        reading = pool.submit(_apart, _read_runs, _level_sizes(size))
        checking = pool.submit(_apart, _suspects)
        naming = pool.submit(_apart, _slug_runs)
        pool.shutdown(wait=False)  # the threads end with their tasks
    entry_table = connection.ops.quote_name(Entry._meta.db_table)
    node_table = connection.ops.quote_name(Node._meta.db_table)
    sha256 = hashlib.sha256  # merkle.leaf_hash, inlined: this runs once per entry
    leaves: list[bytes] = []
    builder: LevelBuilder | None = None  # the tree hashed as the leaves came (PostgreSQL)
    # The entries whose stored leaf hash is not their body's, in index order.
    bad_leaves: list[int] = []
    expected = 0
    index_column = connection.ops.quote_name("index")
    # The stored leaf hashes, as bytes; NULL for one SQLite holds as text (which would
    # not decode, and which no proof could serve), so that it differs from the hash.
    leaf = (
        "leaf_hash"
        if connection.vendor == "postgresql"
        else "CASE WHEN typeof(leaf_hash) = 'blob' THEN leaf_hash END"
    )
    if contiguous and connection.vendor == "postgresql":
        # Indices are exactly 0..count-1 (they are unique): the bodies in order suffice.
        # PostgreSQL hashes each body where it lies (pg_catalog's SHA-256 of 0x00 ‖ body,
        # RFC 9162's leaf) and sends 32 bytes, not the body: sending 10^6 bodies cost it
        # more than hashing them, on the cores this process hashes the tree on. Every
        # function and operator is pg_catalog's, never one of the same name elsewhere on
        # the search path. (The server was already trusted to send the stored bodies.)
        leaves_sql = (
            "SELECT pg_catalog.sha256(pg_catalog.decode('00', 'hex')"  # noqa: S608
            f" OPERATOR(pg_catalog.||) body), leaf_hash FROM {entry_table}"
            f" ORDER BY {index_column}"
        )
        # The tree over them is hashed a batch at a time as they come, while the server
        # hashes the next batch.
        builder = LevelBuilder()
        leaves = builder.levels[0]
        for rows in _batches(leaves_sql, ahead=True):
            computed, stored_leaves = [leaf for leaf, _ in rows], [leaf for _, leaf in rows]
            bad_leaves += _leaves_differing(report, computed, stored_leaves, len(leaves))
            builder.add(computed)
        expected = len(leaves)
    elif contiguous:
        bodies_sql = f"SELECT body, {leaf} FROM {entry_table} ORDER BY {index_column}"  # noqa: S608
        for rows in _batches(bodies_sql):
            try:
                computed = [sha256(b"\x00" + body).digest() for body, _ in rows]
            except TypeError:  # a body that is not bytes (SQLite holds any type): row by row
                computed = [
                    _leaf(body, len(leaves) + n, report) for n, (body, _) in enumerate(rows)
                ]
            stored_leaves = [leaf for _, leaf in rows]
            bad_leaves += _leaves_differing(report, computed, stored_leaves, len(leaves))
            leaves += computed
        expected = len(leaves)
    else:  # find the first missing index
        entries_sql = f"SELECT {index_column}, body, {leaf} FROM {entry_table} ORDER BY 1"  # noqa: S608
        for index, body, stored_leaf in _stream(entries_sql):
            if index != expected:
                report.fail(f"entry {expected} is missing", expected)
                break
            leaves.append(_leaf(body, expected, report))
            bad_leaves += _leaves_differing(report, leaves[-1:], [stored_leaf], expected)
            expected += 1
    # The entries whose kind, partnership or time column may differ from their body,
    # found apart (above) or here; then each is looked at closely.
    suspects = None
    if checking is not None:
        try:
            suspects = checking.result()
        except Exception:  # checked again in line below, where an error is the command's
            logger.warning("ledger verify: checking the columns apart failed", exc_info=True)
    if suspects is None:
        suspects = _suspects()
    _check_suspects(report, suspects)
    name_runs = None
    if naming is not None:
        try:
            name_runs = naming.result()
        except Exception:  # read again in line below, where an error is the command's
            logger.warning(
                "ledger verify: reading the partnership names apart failed", exc_info=True
            )
    _check_partnership_names(report, name_runs)
    if expected > size:
        report.fail(f"there are entries beyond the log size {size}", size)
        leaves = leaves[:size]
    elif expected < size and report.ok:
        report.fail(f"entry {expected} is missing", expected)

    paired = builder is not None and builder.levels[0] is leaves  # not cut to the size
    levels = builder.levels if paired else build_levels(leaves)
    stored_levels = _stored_levels(levels)
    counts = [0] * (len(levels) + 1)
    mask = (1 << LEVEL_SHIFT) - 1
    node_rows: Iterable[tuple] = ()
    sizes = [len(hashes) for hashes in stored_levels]
    read = None
    if reading is not None:
        try:
            read = reading.result()
        except Exception:  # read again in line below, where an error is the command's
            logger.warning("ledger verify: reading the stored hashes apart failed", exc_info=True)
    if read is not None and _level_sizes(size) == sizes:
        total, runs = _node_count(), read  # the count in this connection's snapshot
    else:  # the log's size and its entries differ (a fault to report), or in a transaction
        total, runs = _read_joined_nodes(sizes)
    if _nodes_match(stored_levels, total, runs):
        counts = sizes  # and none extra: nothing to report
    else:  # look at every stored node, to say what is wrong where
        # As bytes, and whether they were stored as bytes (SQLite may hold text).
        as_stored = (
            "CAST(hash AS BLOB), typeof(hash) = 'blob'"
            if connection.vendor == "sqlite"
            else "hash, TRUE"
        )
        node_rows = _stream(f"SELECT key, {as_stored} FROM {node_table} ORDER BY key")  # noqa: S608
    # Per level, the index the next stored node should have, and the first one missing.
    following = [0] * len(levels)
    first_missing: dict[int, int] = {}
    for key, stored, as_bytes in node_rows:
        level, index = key >> LEVEL_SHIFT, key & mask
        if key < 0:  # no subtree has such a key (`key >> 56` would count levels from the end)
            report.fail(f"an extra tree node with the negative key {key} is stored")
            continue
        if level < LOWEST_STORED_LEVEL:  # never read: it changes no proof
            report.fail(f"an extra tree node ({level}, {index}) is stored below level 4")
            continue
        if level >= len(levels) or index >= len(levels[level]):
            # A node over entries that are missing is bad from the first missing one on.
            report.fail(
                f"an extra tree node ({level}, {index}) is stored",
                min(max(index << level, len(leaves)), size),
            )
            continue
        counts[level] += 1
        if index != following[level]:
            first_missing.setdefault(level, following[level])
        following[level] = index + 1
        if not as_bytes or bytes(stored) != levels[level][index]:
            lo, hi = index << level, (index + 1) << level
            # Above a bad entry every stored hash differs too; that says nothing new.
            covers_bad_leaf = bisect.bisect_left(bad_leaves, lo) < bisect.bisect_left(
                bad_leaves, hi
            )
            report.fail(
                f"the stored hash of entries {lo} to {hi - 1} does not match them",
                None if covers_bad_leaf else lo,
            )
    for level, hashes in enumerate(stored_levels):
        if counts[level] != len(hashes) and len(leaves) == size:
            # Named by the first entry under the first missing one.
            missing = first_missing.get(level, following[level])
            report.fail(f"tree nodes are missing at level {level}", missing << level)

    frontier = split_frontier(bytes(head.frontier))
    start, expected_frontier, starts = 0, [], []
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1 and level < len(levels) and (start >> level) < len(levels[level]):
            expected_frontier.append(levels[level][start >> level])
            starts.append(start)
            start += 1 << level
    if frontier != expected_frontier:
        # Named, as a stored subtree hash is, by the first entry of the first differing
        # right-edge subtree, unless that subtree holds an entry already found bad.
        first = size
        for lo, a, b in zip(starts, frontier, expected_frontier, strict=False):
            if a != b:
                hi = lo + (1 << ((size - lo).bit_length() - 1))
                bad = bisect.bisect_left(bad_leaves, lo) < bisect.bisect_left(bad_leaves, hi)
                first = None if bad or len(leaves) != size else lo
                break
        report.fail("the log head does not match the entries", first)

    verifier = notes.parse_vkey(verifier_key())
    witnesses = []
    for witness in Witness.objects.all():
        try:
            witnesses.append(notes.parse_vkey(witness.vkey))
        except notes.NoteError as exc:
            report.fail(f"witness {witness.name}'s verifier key is not one: {exc}")
    cosignatures = Cosignature.objects.select_related("witness").order_by("witness__name")
    rows = Checkpoint.objects.order_by("size").prefetch_related(
        Prefetch("cosignatures", queryset=cosignatures)
    )
    checkpoint_notes = []
    for row in rows:
        note = full_note(row, row.cosignatures.all())
        _check_columns(report, row, note)
        checkpoint_notes.append(note)
    check_checkpoints(report, levels, len(leaves), checkpoint_notes, verifier, witnesses)
    return report


def _check_columns(report: Report, row: Checkpoint, note: str) -> None:
    """Report a checkpoint whose size or root column differs from what its note says.
    The columns are signed by nothing, yet pages, the API and the export read them."""
    try:
        signed = notes.parse_checkpoint_text(notes.split_note(note)[0])
    except notes.NoteError:
        return  # not a checkpoint note: check_checkpoints reports it
    if (signed.size, signed.root) != (row.size, bytes(row.root)):
        report.fail(
            f"checkpoint {signed.size}'s size and root columns ({row.size}, "
            f"{base64.b64encode(bytes(row.root)).decode()}) differ from its signed note"
        )


def export_bundle(handle: IO[str], *, public: bool = False) -> tuple[int, int, int]:
    """Write an audit bundle (entries, checkpoints with cosignatures, keys) as JSON; return
    the number of entries, how many of them were withheld, and how many of those carry no
    salt (written before entries were salted: their leaf hash can confirm a guessed body).

    Each entry is the base64 of its exact bytes. With `public`, an entry whose body an
    anonymous reader may not see (a private partnership's, as the entries API decides) is
    `{"leaf_hash": base64}` instead: the bundle then verifies all the same (the tree, every
    checkpoint and cosignature) and can be published without the private bodies, which
    the salt in each partnership's entry keeps from being guessed from their hashes.

    The head is signed first, and the bundle holds the entries its latest checkpoint
    covers: an entry under no checkpoint is vouched for by nothing, and `verify-bundle`
    refuses it. Everything is read from one snapshot of the database (`consistent_reads`,
    as `verify` does), so a checkpoint signed or an entry appended while the export runs
    cannot make the bundle disagree with itself."""
    if Head.objects.current().size or Checkpoint.objects.exists():
        try:
            issue_checkpoint()
        except LogBehindCheckpoint:
            raise  # the entries the kept checkpoints cover are not all there to export
        except LedgerError as exc:
            # A head the log refuses to sign (`ledger verify` says why), or a key it
            # cannot use: the bundle still holds everything the kept checkpoints cover.
            logger.critical("export: the head was not signed: %s", exc)
    with consistent_reads():
        return _export_bundle(handle, public)


def _export_bundle(handle: IO[str], public: bool) -> tuple[int, int, int]:
    size = Checkpoint.objects.order_by("-size").values_list("size", flat=True).first() or 0
    withheld_refs: set[int] = set()
    if public:
        from django.contrib.auth.models import AnonymousUser

        from sinergi.access import policy

        refs = set(
            Entry.objects.filter(index__lt=size, partnership_ref__isnull=False)
            .order_by()
            .values_list("partnership_ref", flat=True)
            .distinct()
        )
        withheld_refs = refs - policy.readable_partnership_ids(AnonymousUser(), refs)
    entry_table = connection.ops.quote_name(Entry._meta.db_table)
    handle.write(json.dumps({"format": BUNDLE_FORMAT, "vkey": verifier_key()})[:-1])
    handle.write(', "witnesses": ' + json.dumps(_witness_keys()))
    handle.write(', "checkpoints": ')
    kept = Checkpoint.objects.filter(size__lte=size).order_by("size")
    handle.write(json.dumps([full_note(c) for c in kept]))
    handle.write(', "entries": [')
    sql = f"SELECT body, partnership_ref FROM {entry_table} WHERE {connection.ops.quote_name('index')} < %s ORDER BY {connection.ops.quote_name('index')}"  # noqa: E501, S608
    first, withheld, unsalted = True, 0, 0
    for rows in _batches(sql, [size]):  # on PostgreSQL never the whole log in memory
        for body, ref in rows:
            body = bytes(body)
            # A body that names a partnership is withheld when its partnership_ref (signed
            # by nothing) was nulled too.
            if ref in withheld_refs or (public and ref is None and names_partnership(body)):
                leaf = merkle.leaf_hash(body)
                item = '{"leaf_hash": "' + base64.b64encode(leaf).decode() + '"}'
                withheld += 1
                unsalted += not _salted(body)
            else:
                item = '"' + base64.b64encode(body).decode() + '"'
            handle.write(("" if first else ",") + item)
            first = False
    handle.write("]}\n")
    return size, withheld, unsalted


def _witness_keys() -> list[str]:
    """The registered witnesses' verifier keys for a bundle: one that is not a key (an
    SQL edit; the admin refuses them) is left out and logged, so that the bundle still
    verifies; `ledger verify` reports it."""
    keys = []
    for witness in Witness.objects.all():
        try:
            notes.parse_vkey(witness.vkey)
        except notes.NoteError as exc:
            logger.error("export: witness %s's verifier key is not one (%s)", witness.name, exc)
            continue
        keys.append(witness.vkey)
    return keys


def _salted(body: bytes) -> bool:
    """Whether an entry's bytes carry a salt at the top level (not merely a payload field
    of that name)."""
    try:
        entry = json.loads(body)
    except ValueError:
        return False
    return isinstance(entry, dict) and isinstance(entry.get("salt"), str)
