"""Forms for a partner's commitment and expectations."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from sinergi.partners.models import Capability
from sinergi.partnerships.expectations.services import MAX_ID
from sinergi.partnerships.models import ExpectationTopic, Horizon

IMPORTANCE_CHOICES = [
    (1, _("1 — nice to have")),
    (2, "2"),
    (3, "3"),
    (4, "4"),
    (5, _("5 — essential")),
]


class CapabilityChoiceField(forms.ModelMultipleChoiceField):
    def _check_values(self, value: Any) -> QuerySet[Capability]:
        # An id beyond a 64-bit integer is no choice; Django would send it to the database
        # in its IN (…) look-up, which overflows there (a 500).
        for pk in value:
            try:
                number = int(pk)
            except (TypeError, ValueError):
                continue  # Django's own check names it
            if not 0 < number <= MAX_ID:
                raise ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": pk},
                )
        return super()._check_values(value)

    def label_from_instance(self, obj: Capability) -> str:
        parts = [str(obj.get_kind_display()), obj.sector_label]
        if obj.regions:
            parts.append(", ".join(obj.region_labels))
        label = " · ".join(parts)
        if obj.description:
            label = f"{label} — {obj.description[:120]}"
        return label


class CommitmentForm(forms.Form):
    contribution = forms.CharField(
        label=_("Contribution"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What this partner commits to bring to the partnership."),
    )
    capabilities = CapabilityChoiceField(
        label=_("Capabilities it draws on"),
        queryset=Capability.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, capabilities: QuerySet[Capability], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["capabilities"].queryset = capabilities


class ExpectationForm(forms.Form):
    topic = forms.ChoiceField(label=_("Topic"), choices=ExpectationTopic.choices)
    horizon = forms.ChoiceField(label=_("Horizon"), choices=Horizon.choices)
    importance = forms.TypedChoiceField(
        label=_("Importance"), choices=IMPORTANCE_CHOICES, coerce=int, initial=3
    )
    description = forms.CharField(
        label=_("What it wants"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
