"""Unique, readable slugs for links."""

from __future__ import annotations

from django.db.models import Model
from django.utils.text import slugify


def unique_slug(model: type[Model], text: str, max_length: int = 80) -> str:
    """A slug from `text` that no row of `model` uses yet (`name`, `name-2`, …)."""
    base = slugify(text)[: max_length - 6].strip("-") or "item"
    taken = set(model._default_manager.filter(slug__startswith=base).values_list("slug", flat=True))
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"
