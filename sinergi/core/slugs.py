"""Unique, readable slugs for links."""

from __future__ import annotations

import secrets

from django.db.models import Model
from django.utils.text import slugify

# Lower-case letters and digits without the look-alikes 0/o and 1/l.
_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
RANDOM_LENGTH = 8  # 40 bits: not to be found by trying addresses


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


def unguessable_slug(text: str, max_length: int = 80) -> str:
    """A slug from `text` with a random ending (`name-7kq3x9ab`), for a private thing.

    Slugs are unique across the site, so whoever creates one can find out which are
    taken; with a random ending nobody can confirm a guess from the name alone.
    """
    base = slugify(text)[: max_length - RANDOM_LENGTH - 1].strip("-") or "item"
    return base + "-" + "".join(secrets.choice(_ALPHABET) for _ in range(RANDOM_LENGTH))
