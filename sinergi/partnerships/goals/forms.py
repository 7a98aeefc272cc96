"""Forms for the "Vision and goals" tab: the shared vision and one SMART goal."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from sinergi.core.numbers import DecimalNumberField
from sinergi.core.once import OnceForm
from sinergi.partners.models import Organisation
from sinergi.partnerships.models import VISION_MAX_LENGTH, Goal, Partnership


def _label(name: str) -> str:
    return capfirst(Goal._meta.get_field(name).verbose_name)


def _help(name: str) -> str:
    return Goal._meta.get_field(name).help_text


class VisionForm(forms.Form):
    vision = forms.CharField(
        label=_("Shared vision"),
        required=False,
        max_length=VISION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4, "autofocus": True}),
        help_text=_("What the partners want to achieve together, in a few sentences."),
    )


class GoalForm(forms.Form):
    """One SMART goal. `auto_id` keeps the ids of several forms on one page apart."""

    title = forms.CharField(label=_label("title"), max_length=300)
    measure = forms.CharField(
        label=_label("measure"), max_length=300, required=False, help_text=_help("measure")
    )
    baseline_value = DecimalNumberField(
        label=_label("baseline_value"), max_digits=20, decimal_places=4, required=False
    )
    target_value = DecimalNumberField(
        label=_label("target_value"), max_digits=20, decimal_places=4, required=False
    )
    unit = forms.CharField(
        label=_label("unit"), max_length=40, required=False, help_text=_help("unit")
    )
    target_date = forms.DateField(
        label=_label("target_date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    owner = forms.ModelChoiceField(
        label=_label("owner"),
        queryset=Organisation.objects.none(),
        required=False,
        help_text=_help("owner"),
        empty_label=_("No owner yet"),
    )
    sdg_targets = forms.CharField(
        label=_label("sdg_targets"),
        required=False,
        max_length=300,
        help_text=_(
            "Official target codes separated by commas, e.g. 3.b, 3.8. Type words to find one."
        ),
    )

    def __init__(
        self, *args: Any, partnership: Partnership, auto_id: str = "id_%s", **kwargs: Any
    ) -> None:
        super().__init__(*args, auto_id=auto_id, **kwargs)
        self.fields["owner"].queryset = Organisation.objects.filter(
            pk__in=partnership.participations.values("organisation_id")
        ).order_by("name")
        options_id = (auto_id % "sdg_targets") + "-options"
        self.fields["sdg_targets"].widget.attrs.update(
            {
                "list": options_id,
                "autocomplete": "off",
                "hx-get": reverse("sdg-target-options"),
                "hx-trigger": "input changed delay:250ms",
                "hx-target": f"#{options_id}",
                "hx-swap": "innerHTML",
                "hx-sync": "this:replace",
            }
        )
        self.sdg_options_id = options_id

    def clean_sdg_targets(self) -> list[str]:
        """ "3.b, 3.8" → ["3.b", "3.8"]; whether they exist is the service's check."""
        text = self.cleaned_data.get("sdg_targets") or ""
        # "SDG 13.1, SDG 11.5" as well as "13.1 11.5": a prefix is not a code of its own.
        text = re.sub(r"(?i)\bSDGs?\s+(?=\d)", "", text)
        return [code for code in re.split(r"[\s,;]+", text) if code]

    @staticmethod
    def initial_for(goal: Goal) -> dict[str, Any]:
        return {
            "title": goal.title,
            "measure": goal.measure,
            "baseline_value": goal.baseline_value,  # shown the reader's way by the field
            "target_value": goal.target_value,
            "unit": goal.unit,
            "target_date": goal.target_date,
            "owner": goal.owner_id,
            "sdg_targets": ", ".join(goal.sdg_targets),
        }


class NewGoalForm(OnceForm, GoalForm):
    """A goal to add, added once however often the form is sent."""
