"""The agreement draft form."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from sinergi.partnerships.agreements.services import CONTENT_FIELDS
from sinergi.partnerships.models import AgreementVersion


class DraftForm(forms.ModelForm):
    """The text and governance rules of a draft; the model's clean() checks the majority."""

    class Meta:
        model = AgreementVersion
        fields = list(CONTENT_FIELDS)
        widgets = {
            "text": forms.Textarea(attrs={"rows": 18, "spellcheck": "true"}),
            "majority_percent": forms.NumberInput(attrs={"min": 51, "max": 100}),
            "joining": forms.Textarea(attrs={"rows": 3}),
            "leaving": forms.Textarea(attrs={"rows": 3}),
            "dispute_resolution": forms.Textarea(attrs={"rows": 3}),
            "exit_strategy": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "text": _("Markdown: # headings, **bold**, lists with - or 1. and [links](https://…)."),
        }


class SignForm(forms.Form):
    """The confirm step: the hash the signer was shown travels back with the signature."""

    content_hash = forms.CharField(widget=forms.HiddenInput, max_length=64)
