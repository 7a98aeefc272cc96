"""Unique, readable slugs for links."""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.db.models import Model
from django.utils.text import slugify
from django.utils.translation import gettext as _

# Lower-case letters and digits without the look-alikes 0/o and 1/l.
_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
RANDOM_LENGTH = 8  # 40 bits: not to be found by trying addresses


# Addresses of the site's own pages where a partnership's or an organisation's slug goes
# (/partnerships/new/, /organisations/subdivisions/ …): a row with one of these slugs
# could not be reached at its own address.
RESERVED_SLUGS = frozenset({"new", "organisation-lookup", "subdivisions"})


def check_not_reserved(slug: str) -> None:
    """A ValidationError on `slug` when it is the address of one of the site's pages."""
    if slug in RESERVED_SLUGS:
        raise ValidationError(
            {
                "slug": [
                    _("“%(slug)s” is the address of a page of the site; choose another.")
                    % {"slug": slug}
                ]
            }
        )


def unique_slug(model: type[Model], text: str, max_length: int = 80) -> str:
    """A slug from `text` that no row of `model` uses yet (`name`, `name-2`, …), and that
    is not the address of one of the site's pages (`new-2`)."""
    base = slugify(text)[: max_length - 6].strip("-") or "item"
    taken = set(model._default_manager.filter(slug__startswith=base).values_list("slug", flat=True))
    taken |= RESERVED_SLUGS
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
