"""Computed pages and figures, reused while the data they show has not changed.

The finance overview, the results dashboard and their API twins are computed from many
rows; a reader asking again gets the same answer, so the answer is kept. Callers put a
*version* read from the database on this very request into the key (the partnership's
latest ledger index, a digest of what the dashboard shows; see `finance.queries.fresh`
and `results.queries.fresh_dashboard`). A write changes the version, and the first read
after it commits computes afresh, so a kept answer is never stale: nothing needs
invalidating, and no batch job has to run.

Two levels:

- the process's own memory (Django's `default` cache, in-process), for the repeat
  reader of a busy page;
- the `pages` cache: Django's file-based cache in `SINERGI_DATA_DIR/pages`, shared by
  every process of the app server and kept over restarts, so a page computed once is
  there for every worker (`PageCache` below).

The keys also name the database and the code (`KEY_PREFIX`: a digest of the
database's address and of the installed code's files), so two databases served from one
data directory never share an answer, and a new release never serves a page an older
one rendered. After restoring a database from a backup, empty the `pages` directory: a
restored history can reach the same version again with other content.
"""

from __future__ import annotations

import contextlib
import logging
import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import caches
from django.core.cache.backends.filebased import FileBasedCache

T = TypeVar("T")

logger = logging.getLogger(__name__)

LOCAL_SECONDS = 600


class PageCache(FileBasedCache):
    """Django's file-based cache, culling now and then rather than on every write.

    Django's version lists the whole directory on each `set` to decide whether to cull;
    with thousands of pages that listing costs more than writing the page. Here one
    write in `CHECK_EVERY` (at random, so every process takes its share) does it.
    """

    CHECK_EVERY = 200

    def __init__(self, dir: str, params: dict[str, Any]) -> None:
        # Django creates the directory here, when the cache is first used (by the system
        # checks, before any command runs). One that cannot be made (a read-only mount, a
        # file in its place) leaves the pages unshared: `reuse` then only keeps them in
        # memory, and the check `unusable_pages_dir` says why.
        self.problem: OSError | None = None
        try:
            super().__init__(dir, params)
        except OSError as exc:
            self.problem = exc
            logger.warning("pages cache: cannot use %s: %s", self._dir, exc)

    def _cull(self) -> None:
        if random.randrange(self.CHECK_EVERY) == 0:
            super()._cull()


def reuse(
    key: str,
    compute: Callable[[], T],
    seconds: int = LOCAL_SECONDS,
    shared_seconds: int | None = None,
    max_age: int | None = None,
) -> T:
    """`compute()`, or the answer kept under `key` (which must hold a current version).

    Read from this process's memory, else from the shared `pages` cache, else computed
    and kept in both: `seconds` in memory, `shared_seconds` (default: `seconds` too) in
    the shared files. A version that covers everything the answer shows may keep it
    long; one that does not (the finance version misses a partner's renaming) passes
    `max_age`: an answer computed that many seconds ago or more is computed again,
    however often it was read since (see `reuse_dated`). A shared cache that cannot be
    read or written (a full disk, a read-only directory, a file left by older code)
    costs only the reuse: the page is still served, and an unreadable file is removed.
    """
    if max_age is not None:
        dated = reuse_dated(key, lambda: (time.time(), compute()), seconds, shared_seconds, max_age)
        return dated[1]
    return _reuse(key, compute, seconds, shared_seconds, None)


def reuse_dated(
    key: str,
    compute: Callable[[], tuple[float, T]],
    seconds: int,
    shared_seconds: int | None,
    max_age: int,
) -> tuple[float, T]:
    """`(born, answer)` kept under `key`, computed again once `born` is `max_age` old.

    `compute()` returns the pair: `born` is when the oldest data it shows was read (an
    answer built from kept parts is as old as its oldest part), so nothing shows data
    older than `max_age` seconds, whichever level it comes from."""
    return _reuse(key, compute, seconds, shared_seconds, max_age)


def _reuse(
    key: str,
    compute: Callable[[], Any],
    seconds: int,
    shared_seconds: int | None,
    max_age: int | None,
) -> Any:
    def usable(found: Any) -> bool:
        if found is None:
            return False
        return max_age is None or time.time() - found[0] < max_age

    local = caches["default"]
    found = local.get(key)
    if usable(found):
        return found
    try:
        found = caches["pages"].get(key)
    except Exception as exc:  # any unreadable file, whatever it raises: compute afresh
        logger.warning("pages cache: cannot read %s: %r", key, exc)
        _forget(key)
        found = None
    if not usable(found):
        found = compute()
        try:
            caches["pages"].set(key, found, shared_seconds or seconds)
        except OSError as exc:
            logger.warning("pages cache: cannot keep %s: %s", key, exc)
    local.set(key, found, seconds)
    return found


def _forget(key: str) -> None:
    with contextlib.suppress(OSError):
        caches["pages"].delete(key)


def clear() -> None:
    """Empty both levels (tests start from nothing; after a database restore)."""
    caches["default"].clear()
    caches["pages"].clear()
