"""A password rule Django's validators leave out."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# At least this many different characters: twelve spaces, or "aaaaaaaaaaaa", pass every
# one of Django's own validators.
MIN_DISTINCT = 4


class VariedPasswordValidator:
    """Refuse a password of spaces only, or of fewer than MIN_DISTINCT different characters."""

    def validate(self, password: str, user: Any = None) -> None:
        if not password.strip():
            raise ValidationError(_("Your password cannot be only spaces."), code="password_blank")
        if len(set(password)) < MIN_DISTINCT:
            raise ValidationError(
                _("Your password must use at least %(n)d different characters.")
                % {"n": MIN_DISTINCT},
                code="password_too_uniform",
            )

    def get_help_text(self) -> str:
        return _("Your password must use at least %(n)d different characters.") % {
            "n": MIN_DISTINCT
        }
