"""Operations on the partner registry: register, edit and remove organisations."""

from __future__ import annotations

import copy
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from sinergi.access import policy
from sinergi.core.errors import Conflict, LikelyDuplicate
from sinergi.core.geography import tidy_code, tidy_codes
from sinergi.core.identifiers import check_organisation_identifier
from sinergi.core.slugs import unguessable_slug, unique_slug
from sinergi.ledger.log import hold_row
from sinergi.partners.capabilities.services import follow_org_type
from sinergi.partners.models import Organisation, Person
from sinergi.partners.queries import find_likely_duplicates

ORGANISATION_FIELDS = (
    "name",
    "acronym",
    "org_type",
    "iati_identifier",
    "country",
    "subdivisions",
    "website",
    "description_en",
    "description_id",
)


def _tidy(organisation: Organisation) -> None:
    """Tidy what was sent as a form would: texts trimmed (a name of spaces is then blank,
    and refused), codes in upper case and each once. An IATI identifier has no spaces
    (IATI's rule for identifiers); that it is the registry's once, whatever its case, is
    `_check_identifier_free`'s to check."""
    for name in ("name", "acronym", "website", "description_en", "description_id"):
        value = getattr(organisation, name)
        if isinstance(value, str):
            setattr(organisation, name, value.strip())
    organisation.country = tidy_code(organisation.country)
    organisation.subdivisions = tidy_codes(organisation.subdivisions)
    identifier = organisation.iati_identifier
    if not isinstance(identifier, str):
        return
    organisation.iati_identifier = identifier = identifier.strip()
    check_organisation_identifier(identifier)


def _identifier_taken() -> ValidationError:
    return ValidationError(
        {"iati_identifier": [_("An organisation with this IATI identifier is already registered.")]}
    )


def _check_identifier_free(organisation: Organisation) -> None:
    """A ValidationError when another organisation has its IATI identifier, in any case."""
    identifier = organisation.iati_identifier
    if not identifier or not isinstance(identifier, str):
        return
    taken = Organisation.objects.filter(iati_identifier__iexact=identifier).exclude(
        pk=organisation.pk
    )
    if taken.exists():
        raise _identifier_taken()


def _clash(organisation: Organisation) -> str | None:
    """The unique field another organisation shares with `organisation`, if any: what an
    IntegrityError on its save was about."""
    others = Organisation.objects.exclude(pk=organisation.pk)
    identifier = organisation.iati_identifier
    if identifier and others.filter(iati_identifier__iexact=identifier).exists():
        return "iati_identifier"
    if others.filter(slug__iexact=organisation.slug).exists():
        return "slug"
    return None


SLUG_ATTEMPTS = 5
READABLE_ATTEMPTS = 2  # then a random ending, which two people cannot both draw


def _new_slug(organisation: Organisation, *, readable: bool = True) -> str:
    """The short name made from the acronym, or else the name: the first one free, or one
    with a random ending once readable ones were taken by others at the same moment."""
    text = organisation.acronym or organisation.name
    return unique_slug(Organisation, text) if readable else unguessable_slug(text)


def register_organisation(
    *, actor: Person, confirm_duplicate: bool = False, **fields: Any
) -> Organisation:
    """Add an organisation to the registry.

    Raises LikelyDuplicate with the candidates when the registry probably holds it
    already, unless `confirm_duplicate` is set. A taken IATI identifier is always an error.
    """
    if not policy.can_create_organisation(actor):
        raise PermissionDenied
    unknown = set(fields) - set(ORGANISATION_FIELDS)
    if unknown:
        raise TypeError(f"unknown organisation fields: {sorted(unknown)}")
    organisation = Organisation(**fields)
    _tidy(organisation)
    _check_identifier_free(organisation)
    organisation.slug = _new_slug(organisation)
    # The made short name's uniqueness is the database's to check, at the insert: checked
    # here, one taken meanwhile by someone else would be refused instead of made again.
    organisation.full_clean(exclude=["slug"])
    if not confirm_duplicate:
        candidates = find_likely_duplicates(
            name=organisation.name,
            acronym=organisation.acronym,
            iati_identifier=organisation.iati_identifier,
        )
        if candidates:
            raise LikelyDuplicate(candidates)
    for attempt in range(SLUG_ATTEMPTS):
        if attempt:
            organisation.slug = _new_slug(organisation, readable=attempt < READABLE_ATTEMPTS)
        try:
            with transaction.atomic():
                organisation.save(force_insert=True)
            break
        except IntegrityError as exc:
            # Someone registering at the same moment took the identifier (refused: it was
            # sent) or the short name made from the same name (made again).
            clash = _clash(organisation)
            if clash == "iati_identifier":
                raise _identifier_taken() from exc
            if clash != "slug" or attempt == SLUG_ATTEMPTS - 1:
                raise
    return organisation


def update_organisation(
    *, actor: Person, organisation: Organisation, **fields: Any
) -> Organisation:
    """Change an organisation's profile; only its admins and staff may.

    Writes the fields whose values differ from `organisation` as the caller read it, onto
    the row as it is now, and leaves `organisation` as saved; Http404 when the
    organisation was removed meanwhile."""
    if not policy.can_edit_organisation(actor, organisation):
        raise PermissionDenied
    unknown = set(fields) - set(ORGANISATION_FIELDS)
    if unknown:
        raise TypeError(f"unknown organisation fields: {sorted(unknown)}")
    asked = copy.copy(organisation)
    for name, value in fields.items():
        setattr(asked, name, value)
    _tidy(asked)
    # Only what the request changes from the copy it read is written: a form sends every
    # field back, and the others' values are then those read, maybe changed meanwhile.
    changed = [name for name in fields if getattr(asked, name) != getattr(organisation, name)]
    try:
        with transaction.atomic():
            # The row as it is now (404 when removed meanwhile), checked with the changes.
            hold_row(organisation)
            for name in changed:
                setattr(organisation, name, getattr(asked, name))
            _check_identifier_free(organisation)
            organisation.full_clean()
            if changed:
                organisation.save(update_fields=[*changed, "updated_at"])
            if "org_type" in changed:
                follow_org_type(organisation)  # the matching index carries the type
    except IntegrityError as exc:
        # An identifier registered at this moment by someone else (in the same case).
        if _clash(organisation) == "iati_identifier":
            raise _identifier_taken() from exc
        raise
    return organisation


def delete_organisation(*, actor: Person, organisation: Organisation) -> None:
    """Remove an organisation that takes part in no partnership; Http404 when it was
    removed meanwhile."""
    if not policy.can_delete_organisation(actor, organisation):
        raise PermissionDenied
    with transaction.atomic():
        # The ledger's lock, then the row, as an edit takes them: a removal and an edit at
        # once wait for each other, and the later one finds the row gone (404).
        hold_row(organisation)
        if organisation.participations.exists():
            raise Conflict(
                _("This organisation takes part in partnerships; remove it from them first.")
            )
        try:
            organisation.delete()
        except ProtectedError:
            # e.g. a counterparty of recorded transactions: history keeps its organisations.
            raise Conflict(
                _("This organisation appears in recorded finance and cannot be removed.")
            ) from None
