"""Forms of the RACI page: a work package, and one cell of the matrix."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from sinergi.core.once import OnceForm
from sinergi.partnerships.models import (
    WORK_PACKAGE_DESCRIPTION_MAX_LENGTH,
    Partnership,
    Raci,
    WorkPackage,
)

LETTER_CHOICES = [("", _("No part")), *Raci.choices]


class WorkPackageForm(forms.ModelForm):
    # The API's limit: a longer text saved here could not be sent back through the API.
    description = WorkPackage._meta.get_field("description").formfield(
        max_length=WORK_PACKAGE_DESCRIPTION_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3})
    )

    class Meta:
        model = WorkPackage
        fields = ["code", "title", "description", "goal", "position"]

    def __init__(self, *args: Any, partnership: Partnership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["goal"].queryset = partnership.goals.order_by("position", "pk")
        self.fields["goal"].required = False
        self.fields["position"].required = False
        self.fields["position"].help_text = _("Rows are sorted by this number; left empty, last.")
        if self.instance.pk is None:
            self.initial.pop("position", None)

    def _post_clean(self) -> None:
        # The service validates the row (and the code's uniqueness) with full_clean().
        pass


class NewWorkPackageForm(OnceForm, WorkPackageForm):
    """A work package to add, added once however often the form is sent."""


class CellForm(forms.Form):
    """One cell: which work package, which partner, and the letter (empty clears it)."""

    work_package = forms.IntegerField(min_value=1)
    organisation = forms.SlugField(max_length=80)
    letter = forms.ChoiceField(choices=LETTER_CHOICES, required=False)
