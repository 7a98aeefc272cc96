"""Unique, readable slugs for links."""

from __future__ import annotations

import re
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


# A short name a person chooses: lower-case letters and digits, with single hyphens between
# them ("batik-2030"). Upper case is lowered before the check (`tidy_slug`), so that two
# names differing only in case cannot both be taken.
SLUG_SHAPE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_DJANGO_SLUG = re.compile(r"[-a-zA-Z0-9_]+")  # django.core.validators.validate_slug


def tidy_slug(slug: str) -> str:
    """A short name as typed, without surrounding spaces and in lower case."""
    return slug.strip().lower()


def check_shape(slug: str) -> None:
    """A ValidationError on `slug` unless it is lower-case letters and digits with single
    hyphens between them. A slug with other characters than letters, digits, hyphens and
    underscores passes: Django's check of a SlugField refuses it already, with its message."""
    if not SLUG_SHAPE.fullmatch(slug) and _DJANGO_SLUG.fullmatch(slug):
        raise ValidationError(
            {
                "slug": [
                    _(
                        "Use lower-case letters and digits, with single hyphens between "
                        "them (for example “batik-2030”)."
                    )
                ]
            }
        )


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
    base = _base(text, max_length - 6)
    # Taken in any letter case: a name differing only in case is the same name.
    taken = {
        slug.lower()
        for slug in model._default_manager.filter(slug__istartswith=base).values_list(
            "slug", flat=True
        )
    }
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
    base = _base(text, max_length - RANDOM_LENGTH - 1)
    return base + "-" + "".join(secrets.choice(_ALPHABET) for _ in range(RANDOM_LENGTH))


def _base(text: str, max_length: int) -> str:
    """`text` as a short name of the shape `check_shape` asks for, at most `max_length`
    long: slugify's, with its underscores as hyphens and no hyphen twice in a row."""
    base = re.sub(r"[-_]+", "-", slugify(text))
    return base[:max_length].strip("-") or "item"
