"""Work done after a response has gone to the client.

`defer(work)` during a request runs `work` once the server has sent the response and
closes it (PEP 3333's `close()`, where Django runs a response's closers), so the time a
client waits does not depend on it. Outside a request it runs at once. Used where that
time would tell something: a password-reset mail is sent only to an address with an
account, so sending it within the request would let anyone time which addresses have one.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

logger = logging.getLogger(__name__)
_local = threading.local()


def defer(work: Callable[[], object]) -> None:
    """Run `work` after the current response is sent (now, outside a request)."""
    queue: list[Callable[[], object]] | None = getattr(_local, "queue", None)
    if queue is None:
        work()
    else:
        queue.append(work)


def _run(queue: list[Callable[[], object]]) -> None:
    for work in queue:
        try:
            work()
        except Exception:  # the response is gone: log it, as a failed task would be
            logger.exception("work deferred until after the response failed")


class AfterResponseMiddleware:
    """Collects what views `defer` and hands it to the response, to run when it closes."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        outer = getattr(_local, "queue", None)
        _local.queue = queue = []
        try:
            response = self.get_response(request)
        finally:
            _local.queue = outer
        if queue:
            # Django calls a response's closers from close(), which the server calls once
            # the body is sent (and the test client likewise).
            response._resource_closers.append(lambda: _run(queue))
        return response
