"""Forms for the partner registry pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from sinergi.core.forms import CountriesBeforeProvinces, subdivision_choices
from sinergi.core.geography import country_choices
from sinergi.core.once import FIELD, OnceForm
from sinergi.partners.models import DESCRIPTION_MAX_LENGTH, Organisation


class WebsiteField(forms.URLField):
    """A web address, "https://" assumed when none is typed. One too long for the field
    is refused with the length message alone, counting what was typed: checked after,
    it also drew "Enter a valid URL." (past 2,048 characters), and its count included
    the assumed "https://"."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("assume_scheme", "https")
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> str:
        typed = forms.CharField.to_python(self, value)
        if self.max_length is not None:
            MaxLengthValidator(self.max_length)(typed)
        return super().to_python(value)


class OrganisationForm(CountriesBeforeProvinces, forms.ModelForm):
    country = forms.ChoiceField(label=_("Country"), choices=())
    subdivisions = forms.MultipleChoiceField(
        label=_("Provinces and regions"),
        required=False,
        choices=(),
        help_text=_("Where it works inside that country. Hold Ctrl (⌘) to choose several."),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    # The API's limit: a longer text saved here could not be sent back through the API.
    description_en = Organisation._meta.get_field("description_en").formfield(
        max_length=DESCRIPTION_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 4})
    )
    description_id = Organisation._meta.get_field("description_id").formfield(
        max_length=DESCRIPTION_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 4})
    )
    confirm_duplicate = forms.BooleanField(
        label=_("Yes, this is a different organisation: register it anyway"),
        required=False,
    )

    class Meta:
        model = Organisation
        fields = [
            "name",
            "acronym",
            "org_type",
            "iati_identifier",
            "country",
            "subdivisions",
            "website",
            "description_en",
            "description_id",
        ]
        field_classes = {"website": WebsiteField}

    def __init__(self, *args: Any, subdivisions_url: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", "—"), *country_choices()]
        country = (
            self.data.get("country")
            if self.is_bound
            else self.initial.get("country", self.instance.country if self.instance.pk else "")
        )
        self.fields["subdivisions"].choices = subdivision_choices([country or ""])
        self.fields["country"].widget.attrs.update(
            {
                "hx-get": subdivisions_url,
                "hx-target": "#id_subdivisions",
                "hx-trigger": "change",
                "hx-include": "this",
                "hx-swap": "innerHTML",
            }
        )
        if self.instance.pk:
            del self.fields["confirm_duplicate"]

    def organisation_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("confirm_duplicate", None)
        data.pop(FIELD, None)
        return data


class NewOrganisationForm(OnceForm, OrganisationForm):
    """A new organisation's entry, registered once however often the form is sent."""
