"""Work done after a response has gone to the client.

`defer(work)` during a request hands `work` on once the server has sent the response and
closes it (PEP 3333's `close()`, where Django runs a response's closers): to a worker
thread of the process (`AFTER_RESPONSE_IN_THREAD`, the default), so that neither this
answer nor the next one on the same keep-alive connection waits for it, or, with the
setting off (the test settings), run right there in `close()`. Outside a request it runs at
once. Used where that time would tell something: a password-reset mail is sent only to an
address with an account, so sending it within the request would let anyone time which
addresses have one. Work still queued when the process ends is lost; a failure is logged.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

logger = logging.getLogger(__name__)
_local = threading.local()
_jobs: queue.SimpleQueue[list[Callable[[], object]]] = queue.SimpleQueue()
_worker: threading.Thread | None = None
_worker_lock = threading.Lock()


def defer(work: Callable[[], object]) -> None:
    """Run `work` after the current response is sent (now, outside a request)."""
    pending: list[Callable[[], object]] | None = getattr(_local, "queue", None)
    if pending is None:
        work()
    else:
        pending.append(work)


def _run(pending: list[Callable[[], object]]) -> None:
    for work in pending:
        try:
            work()
        except Exception:  # the response is gone: log it, as a failed task would be
            logger.exception("work deferred until after the response failed")


def _work_through_jobs() -> None:
    while True:
        _run(_jobs.get())


def _hand_over(pending: list[Callable[[], object]]) -> None:
    """From the response's close(): to the worker thread, started on first use (so after
    a server forks its workers), or here when the setting says so."""
    global _worker
    if not getattr(settings, "AFTER_RESPONSE_IN_THREAD", True):
        _run(pending)
        return
    with _worker_lock:
        if _worker is None or not _worker.is_alive():
            _worker = threading.Thread(
                target=_work_through_jobs, name="sinergi-after-response", daemon=True
            )
            _worker.start()
    _jobs.put(pending)


class AfterResponseMiddleware:
    """Collects what views `defer` and hands it to the response, to run when it closes."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        outer = getattr(_local, "queue", None)
        _local.queue = pending = []
        try:
            response = self.get_response(request)
        finally:
            _local.queue = outer
        if pending:
            # Django calls a response's closers from close(), which the server calls once
            # the body is sent (and the test client likewise).
            response._resource_closers.append(lambda: _hand_over(pending))
        return response
