"""Errors that services raise and that pages and the API turn into clear messages."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class LikelyDuplicate(Exception):
    """Creating this row would probably duplicate existing ones; confirm to go ahead."""

    def __init__(self, candidates: Sequence[Any]) -> None:
        super().__init__("likely duplicate")
        self.candidates = list(candidates)


class Conflict(Exception):
    """The change is well formed but contradicts the current state (e.g. last coordinator)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class RetryLater(Exception):
    """A refusal that will not be one shortly: answered as its 422 with `Retry-After`
    (the API's `sinergi.api` handler). `error` is the ValidationError it stands for."""

    def __init__(self, error: Exception, seconds: int = 1) -> None:
        super().__init__(error)
        self.error = error
        self.seconds = seconds
