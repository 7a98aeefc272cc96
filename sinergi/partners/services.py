"""Operations on the partner registry: register, edit and remove organisations."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from sinergi.access import policy
from sinergi.core.errors import Conflict, LikelyDuplicate
from sinergi.core.geography import tidy_code, tidy_codes
from sinergi.core.identifiers import check_organisation_identifier
from sinergi.core.slugs import unique_slug
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
    (IATI's rule for identifiers) and is the registry's once, whatever its case."""
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
    taken = Organisation.objects.filter(iati_identifier__iexact=identifier).exclude(
        pk=organisation.pk
    )
    if identifier and taken.exists():
        raise ValidationError(
            {
                "iati_identifier": [
                    _("An organisation with this IATI identifier is already registered.")
                ]
            }
        )


def _save(organisation: Organisation) -> Organisation:
    organisation.full_clean()
    try:
        with transaction.atomic():
            organisation.save()
            follow_org_type(organisation)  # the matching index carries the type
    except IntegrityError as exc:
        # A concurrent registration won the race for the identifier or slug.
        raise ValidationError(
            {
                "iati_identifier": [
                    _("An organisation with this IATI identifier is already registered.")
                ]
            }
        ) from exc
    return organisation


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
    organisation.slug = unique_slug(Organisation, organisation.acronym or organisation.name)
    organisation.full_clean()
    if not confirm_duplicate:
        candidates = find_likely_duplicates(
            name=organisation.name,
            acronym=organisation.acronym,
            iati_identifier=organisation.iati_identifier,
        )
        if candidates:
            raise LikelyDuplicate(candidates)
    return _save(organisation)


def update_organisation(
    *, actor: Person, organisation: Organisation, **fields: Any
) -> Organisation:
    """Change an organisation's profile; only its admins and staff may."""
    if not policy.can_edit_organisation(actor, organisation):
        raise PermissionDenied
    unknown = set(fields) - set(ORGANISATION_FIELDS)
    if unknown:
        raise TypeError(f"unknown organisation fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(organisation, name, value)
    _tidy(organisation)
    return _save(organisation)


def delete_organisation(*, actor: Person, organisation: Organisation) -> None:
    """Remove an organisation that takes part in no partnership."""
    if not policy.can_delete_organisation(actor, organisation):
        raise PermissionDenied
    with transaction.atomic():
        locked = Organisation.objects.select_for_update(no_key=True, of=("self",)).get(
            pk=organisation.pk
        )
        if locked.participations.exists():
            raise Conflict(
                _("This organisation takes part in partnerships; remove it from them first.")
            )
        try:
            locked.delete()
        except ProtectedError:
            # e.g. a counterparty of recorded transactions: history keeps its organisations.
            raise Conflict(
                _("This organisation appears in recorded finance and cannot be removed.")
            ) from None
