"""System checks of Sinergi's own settings."""

from __future__ import annotations

import os
from typing import Any

from django.core.checks import Tags, Warning, register


@register(Tags.caches)
def unusable_pages_dir(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    """SINERGI_PAGES_DIR must be a directory Sinergi can write: otherwise kept pages are not
    shared between the server's processes (each computes them again), which is slower
    but correct, so a warning rather than a refusal to start."""
    from django.core.cache import caches

    from sinergi.core.stored import PageCache

    cache = caches["pages"]
    if not isinstance(cache, PageCache):
        return []
    problem = cache.problem
    if problem is None and not os.access(cache._dir, os.W_OK | os.X_OK):
        problem = PermissionError(f"cannot write in {cache._dir}")
    if problem is None:
        return []
    return [
        Warning(
            f"The kept pages' directory {cache._dir} cannot be used ({problem}).",
            hint=(
                "Point SINERGI_PAGES_DIR at a directory the server may create or write "
                "(it is a disposable cache). Until then each process keeps the pages it "
                "computes in its own memory only."
            ),
            id="sinergi.W001",
        )
    ]
