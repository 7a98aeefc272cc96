"""Form pieces shared by the apps' pages."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django import forms
from django.core.exceptions import ValidationError

from sinergi.core.errors import Conflict
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


class CountriesBeforeProvinces(forms.BaseForm):
    """A form whose provinces are picked within its country or countries: while a country
    is refused, the provinces are not judged (they could only be refused too, against no
    country or the one saved before), so the country's message is the only one."""

    country_field = "country"
    provinces_field = "subdivisions"

    def full_clean(self) -> None:
        super().full_clean()
        if self.country_field in self._errors:
            self._errors.pop(self.provinces_field, None)


def apply_domain_errors(
    form: forms.Form,
    error: ValidationError | Conflict,
    field_map: Mapping[str, str] | None = None,
) -> None:
    """Attach a service's ValidationError or Conflict to the form, per field where the
    field exists.

    `field_map` names the form field that shows a model field's errors when the two
    differ (e.g. "sector_code" → "sector" for a combined picker).
    """
    names = field_map or {}
    if isinstance(error, Conflict):
        field = names.get(error.field or "", error.field)
        form.add_error(field if field in form.fields else None, error.message)
    elif hasattr(error, "error_dict"):
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
