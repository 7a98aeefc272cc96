"""IATI identifiers as the registry and transactions take them.

IATI's rules (the organisation identifier guidance of IATI 2.03): an organisation
identifier is a registration agency's prefix, a hyphen and the organisation's number in
that register (`XM-DAC-41122`, `ID-KMK-0001`); an activity identifier starts with its
reporting organisation's identifier. Neither contains spaces or the characters
`/ & | ?`. These checks keep out what no identifier holds (markup, spreadsheet
formulas, a lone number) without guessing at registers.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_ORGANISATION = re.compile(r"[A-Za-z0-9]+(?:[-._:][A-Za-z0-9]+)*", re.ASCII)
_FORBIDDEN = re.compile(r"[\s/&|?<>\"'=;,\\]")


def check_organisation_identifier(value: str, field: str = "iati_identifier") -> None:
    """A ValidationError on `field` unless `value` is empty or reads as an IATI
    organisation identifier: letters and digits in parts joined by hyphens (dots,
    underscores or colons), with at least one hyphen after the agency prefix."""
    if value and (not _ORGANISATION.fullmatch(value) or "-" not in value):
        raise ValidationError(
            {
                field: [
                    _(
                        "Write an IATI organisation identifier: the register's prefix, a "
                        "hyphen and the number, as in XM-DAC-41122 (no spaces)."
                    )
                ]
            }
        )


def check_activity_identifier(value: str, field: str) -> None:
    """A ValidationError on `field` unless `value` is empty or could be an IATI activity
    identifier: it starts with a letter or a digit and holds no space, no `/ & | ?` (IATI's
    rule), and no quotes, angle brackets, `=`, `;`, `,` or backslashes."""
    if value and (not value[0].isalnum() or not value.isascii() or _FORBIDDEN.search(value)):
        raise ValidationError(
            {
                field: [
                    _(
                        "Write an IATI activity identifier, as in XM-DAC-41122-PRJ-2026-01: "
                        "letters, digits and hyphens, no spaces."
                    )
                ]
            }
        )
