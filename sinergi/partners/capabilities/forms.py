"""The capability form: kind, one sector picker, countries and their provinces."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from sinergi.core.forms import CountriesBeforeProvinces, apply_domain_errors, subdivision_choices
from sinergi.core.geography import country_choices
from sinergi.partners.capabilities.queries import sector_choices
from sinergi.partners.models import Capability, CapabilityKind

# Where a service's field errors show on this form.
FORM_FIELD_OF = {
    "sector_vocabulary": "sector",
    "sector_code": "sector",
    "regions": "countries",
}


def split_regions(regions: list[str]) -> tuple[list[str], list[str]]:
    """(countries, provinces) of a region list; a province brings its country along."""
    provinces = [code for code in regions if "-" in code]
    countries = [code.split("-")[0] for code in regions]
    return list(dict.fromkeys(countries)), provinces


def join_regions(countries: list[str], provinces: list[str]) -> list[str]:
    """A region list: the chosen provinces, plus each chosen country none of them is in.

    A country with some of its provinces chosen stands for just those provinces.
    """
    narrowed = {code.split("-")[0] for code in provinces}
    return [c for c in countries if c not in narrowed] + list(provinces)


class CapabilityForm(CountriesBeforeProvinces, forms.Form):
    country_field = "countries"

    kind = forms.ChoiceField(label=_("Kind"), choices=CapabilityKind.choices)
    sector = forms.ChoiceField(
        label=_("Sector"),
        required=False,
        choices=(),
        help_text=_("An OECD DAC sector or an SDG goal, or any sector."),
    )
    countries = forms.MultipleChoiceField(
        label=_("Countries"),
        required=False,
        choices=(),
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("Leave empty for anywhere. Hold Ctrl (⌘) to choose several."),
    )
    subdivisions = forms.MultipleChoiceField(
        label=_("Provinces and regions"),
        required=False,
        choices=(),
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("Choose some to cover only those provinces of their country."),
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    evidence = forms.CharField(
        label=_("Evidence"),
        required=False,
        max_length=5000,
        help_text=_("Track record, references or links."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(
        self,
        *args: Any,
        capability: Capability | None = None,
        subdivisions_url: str = "",
        **kwargs: Any,
    ) -> None:
        if capability is not None and "initial" not in kwargs:
            countries, provinces = split_regions(capability.regions)
            kwargs["initial"] = {
                "kind": capability.kind,
                "sector": f"{capability.sector_vocabulary}:{capability.sector_code}"
                if capability.sector_code
                else "",
                "countries": countries,
                "subdivisions": provinces,
                "description": capability.description,
                "evidence": capability.evidence,
            }
        super().__init__(*args, **kwargs)
        self.fields["kind"].widget.attrs["autofocus"] = True  # also when swapped in by htmx
        self.fields["sector"].choices = sector_choices()
        self.fields["countries"].choices = country_choices()
        chosen = (
            self.data.getlist("countries")
            if self.is_bound and hasattr(self.data, "getlist")
            else self.initial.get("countries", [])
        )
        self.fields["subdivisions"].choices = subdivision_choices(chosen[:20])
        if subdivisions_url:
            self.fields["countries"].widget.attrs.update(
                {
                    "hx-get": subdivisions_url,
                    "hx-target": f"#{self['subdivisions'].auto_id}",
                    "hx-trigger": "change",
                    "hx-include": "this",
                    "hx-swap": "innerHTML",
                }
            )

    def capability_fields(self) -> dict[str, Any]:
        """The service's keyword arguments from the cleaned form."""
        data = self.cleaned_data
        vocabulary, _sep, code = data["sector"].partition(":")
        return {
            "kind": data["kind"],
            "sector_vocabulary": vocabulary,
            "sector_code": code,
            "regions": join_regions(data["countries"], data["subdivisions"]),
            "description": data["description"],
            "evidence": data["evidence"],
        }

    def add_service_errors(self, error: ValidationError) -> None:
        """Show a service's field errors next to the form field they concern."""
        apply_domain_errors(self, error, FORM_FIELD_OF)
