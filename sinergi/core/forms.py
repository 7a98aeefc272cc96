"""Form pieces shared by the apps' pages."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django import forms
from django.core.exceptions import ValidationError

from sinergi.core.geography import subdivisions_of


def subdivision_choices(countries: Iterable[str]) -> list[tuple[str, str]]:
    """Subdivision options for the chosen countries, labelled with the country when several."""
    countries = [c for c in countries if c]
    choices: list[tuple[str, str]] = []
    for country in countries:
        for code, name in subdivisions_of(country):
            label = f"{name} ({country})" if len(countries) > 1 else name
            choices.append((code, label))
    return choices


def apply_domain_errors(
    form: forms.Form, error: ValidationError, field_map: Mapping[str, str] | None = None
) -> None:
    """Attach a service's ValidationError to the form, per field where the field exists.

    `field_map` names the form field that shows a model field's errors when the two
    differ (e.g. "sector_code" → "sector" for a combined picker).
    """
    names = field_map or {}
    if hasattr(error, "error_dict"):
        for name, messages in error.message_dict.items():
            field = names.get(name, name)
            target = field if field in form.fields else None
            for message in messages:
                form.add_error(target, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


def focus_first_field(form: forms.Form) -> None:
    """Give the form's first visible field `autofocus`, for a form that opens in place of
    what the reader acted on (HTMX focuses it once swapped in), so the keyboard goes to
    it rather than to the top of the page."""
    first = next(iter(form.visible_fields()), None)
    if first is not None:
        first.field.widget.attrs["autofocus"] = True
