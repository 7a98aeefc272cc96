"""The form for one capability need: kind, sector, regions, weight and a note."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from sinergi.core.forms import apply_domain_errors
from sinergi.core.geography import region_labels
from sinergi.partners.capabilities.queries import sector_choices
from sinergi.partners.models import CapabilityKind
from sinergi.partnerships.models import CapabilityNeed, Partnership


def _label(name: str) -> str:
    return capfirst(CapabilityNeed._meta.get_field(name).verbose_name)


def split_codes(text: str) -> list[str]:
    """ "ID-PA, id-nt  MY" → ["ID-PA", "ID-NT", "MY"]."""
    return [code.upper() for code in re.split(r"[\s,;]+", text or "") if code]


# Where a service's field errors show on this form.
FORM_FIELD_OF = {
    "sector_vocabulary": "sector",
    "sector_code": "sector",
    "regions": "other_regions",
}


class NeedForm(forms.Form):
    """One need. `auto_id` keeps the ids of several forms on one page apart."""

    kind = forms.ChoiceField(label=_label("kind"), choices=CapabilityKind.choices)
    sector = forms.ChoiceField(
        label=_("Sector"),
        required=False,
        help_text=_("An OECD DAC sector or an SDG goal; any sector if left empty."),
    )
    regions = forms.MultipleChoiceField(
        label=_("Where"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Anywhere if none is chosen."),
    )
    other_regions = forms.CharField(
        label=_("Other places"),
        required=False,
        max_length=300,
        help_text=_("ISO 3166 codes separated by commas, e.g. ID-PA, TL."),
    )
    weight = forms.IntegerField(
        label=_label("weight"),
        initial=3,
        widget=forms.NumberInput(attrs={"min": 1, "max": 5}),
        help_text=CapabilityNeed._meta.get_field("weight").help_text,
    )
    note = forms.CharField(label=_label("note"), required=False, max_length=300)

    def __init__(self, *args: Any, partnership: Partnership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sector"].choices = sector_choices()
        places = list(partnership.regions or []) or list(partnership.countries or [])
        self.fields["regions"].choices = list(zip(places, region_labels(places), strict=True))

    @classmethod
    def initial_for(cls, need: CapabilityNeed, partnership: Partnership) -> dict[str, Any]:
        places = set(partnership.regions or []) or set(partnership.countries or [])
        return {
            "kind": need.kind,
            "sector": f"{need.sector_vocabulary}:{need.sector_code}" if need.sector_code else "",
            "regions": [code for code in need.regions if code in places],
            "other_regions": ", ".join(code for code in need.regions if code not in places),
            "weight": need.weight,
            "note": need.note,
        }

    def need_fields(self) -> dict[str, Any]:
        """The cleaned data as the need services take it."""
        data = self.cleaned_data
        vocabulary, _sep, code = (data.get("sector") or "").partition(":")
        regions = list(
            dict.fromkeys([*data.get("regions", []), *split_codes(data["other_regions"])])
        )
        return {
            "kind": data["kind"],
            "sector_vocabulary": vocabulary if code else "",
            "sector_code": code,
            "regions": regions,
            "weight": data["weight"],
            "note": data["note"],
        }

    def add_service_errors(self, error: ValidationError) -> None:
        """Put a service's field errors on this form's fields (sector, regions)."""
        apply_domain_errors(self, error, FORM_FIELD_OF)
