"""Forms for partnership pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sinergi.codelists import ORGANISATION_ROLES
from sinergi.core.forms import CountriesBeforeProvinces, subdivision_choices
from sinergi.core.geography import country_choices, currency_choices
from sinergi.core.once import OnceForm
from sinergi.core.slugs import tidy_slug
from sinergi.partners.models import Organisation, Person
from sinergi.partnerships.models import (
    SUMMARY_MAX_LENGTH,
    VISION_MAX_LENGTH,
    MemberRole,
    Partnership,
)


class PartnershipForm(CountriesBeforeProvinces, forms.ModelForm):
    """A partnership's description; the short name is lowered as organisations' are
    ("Batik-2030" is "batik-2030"), and checked by the model (`Partnership.clean`)."""

    country_field = "countries"
    provinces_field = "regions"

    countries = forms.MultipleChoiceField(
        label=_("Countries"),
        required=False,
        choices=(),
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("Hold Ctrl (⌘) to choose several."),
    )
    regions = forms.MultipleChoiceField(
        label=_("Provinces and regions"),
        required=False,
        choices=(),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    base_currency = forms.ChoiceField(label=_("Base currency"), choices=())
    # The API's limits: a longer text saved here could not be sent back through the API.
    summary = Partnership._meta.get_field("summary").formfield(
        max_length=SUMMARY_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3})
    )
    vision = Partnership._meta.get_field("vision").formfield(
        max_length=VISION_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 4})
    )

    class Meta:
        model = Partnership
        fields = [
            "title",
            "slug",
            "summary",
            "vision",
            "start_date",
            "end_date",
            "activity_status",
            "base_currency",
            "countries",
            "regions",
            "visibility",
        ]
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "end_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args: Any, subdivisions_url: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False
        self.fields["slug"].help_text = _(
            "Left empty, it is made from the title; a private partnership's gets a random "
            "ending, so that nobody can find its address by guessing. Short names are "
            "unique across Sinergi: anyone trying one that is in use learns that it is taken."
        )
        self.fields["countries"].choices = country_choices()
        self.fields["base_currency"].choices = currency_choices()
        # The model's default (IDR): the declared field would otherwise start at the first
        # currency of the list, AED, which is easy to miss and cannot be changed later.
        self.fields["base_currency"].initial = Partnership._meta.get_field("base_currency").default
        if self.is_bound:
            countries = self.data.getlist("countries")
        else:
            countries = self.initial.get("countries") or (
                self.instance.countries if self.instance.pk else []
            )
        self.fields["regions"].choices = subdivision_choices(countries)
        self.fields["countries"].widget.attrs.update(
            {
                "hx-get": subdivisions_url,
                "hx-target": "#id_regions",
                "hx-trigger": "change",
                "hx-include": "this",
                "hx-swap": "innerHTML",
            }
        )

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"]
        if self.instance.pk and slug == self.instance.slug:
            return slug  # kept as it is, even if given before short names were lowered
        return tidy_slug(slug)


class NewPartnershipForm(OnceForm, PartnershipForm):
    """A new partnership's description, saved once however often the form is sent."""


class AddPartnerForm(forms.Form):
    # A name (200) with its acronym (30) as the suggestions write it fits; a longer text
    # names no organisation (and SQLite refuses a LIKE pattern of 50,000 characters).
    organisation = forms.CharField(
        label=_("Organisation"),
        max_length=300,
        help_text=_("Type to search the registry, then pick a name."),
        widget=forms.TextInput(attrs={"list": "organisation-options", "autocomplete": "off"}),
    )
    role = forms.ChoiceField(label=_("Role"), choices=ORGANISATION_ROLES)
    contribution = forms.CharField(label=_("Contribution"), max_length=300, required=False)

    def clean_organisation(self) -> Organisation:
        """The organisation by its short name, its name, its acronym, or the "Name
        (ACRONYM)" the suggestions show, letter case aside; an acronym that several
        organisations share is refused with a request to pick one."""
        value = " ".join(self.cleaned_data["organisation"].split())
        name, _sep, acronym = value.removesuffix(")").rpartition(" (")
        for query in (
            Q(slug__iexact=value),
            Q(name__iexact=value),
            Q(name__iexact=name, acronym__iexact=acronym) if name else None,
            Q(acronym__iexact=value),
        ):
            if query is None:
                continue
            found = list(Organisation.objects.filter(query)[:2])
            if len(found) == 1:
                return found[0]
            if found:
                raise forms.ValidationError(
                    _("Several organisations in the registry are called “%(name)s”: pick one.")
                    % {"name": value[:80]}
                )
        raise forms.ValidationError(_("Pick an organisation from the registry."))


class GrantMembershipForm(forms.Form):
    person = forms.ModelChoiceField(label=_("Person"), queryset=Person.objects.none())
    # The least power that takes part: a higher role is a deliberate choice.
    role = forms.ChoiceField(label=_("Role"), choices=MemberRole.choices, initial=MemberRole.MEMBER)

    def __init__(self, *args: Any, people: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if people is not None:
            self.fields["person"].queryset = people


class InviteForm(OnceForm):
    email = forms.EmailField(label=_("E-mail"))
    organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.none()
    )
    role = forms.ChoiceField(label=_("Role"), choices=MemberRole.choices, initial=MemberRole.MEMBER)

    def __init__(self, *args: Any, organisations: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if organisations is not None:
            self.fields["organisation"].queryset = organisations


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=())

    def __init__(self, *args: Any, choices: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = choices
