"""The agreement draft form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from sinergi.partnerships.agreements.services import CONTENT_FIELDS
from sinergi.partnerships.models import (
    AGREEMENT_RULE_MAX_LENGTH,
    AGREEMENT_TEXT_MAX_LENGTH,
    AgreementVersion,
)

# The API's limits: a longer text saved here could not be sent back through the API.
MAX_LENGTHS = {
    "text": AGREEMENT_TEXT_MAX_LENGTH,
    "joining": AGREEMENT_RULE_MAX_LENGTH,
    "leaving": AGREEMENT_RULE_MAX_LENGTH,
    "dispute_resolution": AGREEMENT_RULE_MAX_LENGTH,
    "exit_strategy": AGREEMENT_RULE_MAX_LENGTH,
}


class MarkdownField(forms.CharField):
    """The agreement text as typed, as the API takes it: not stripped, which would take
    the indentation off its first line (four spaces begin a code block), and the same
    text then hashes the same whichever way it came. A text of spaces and line breaks
    only is no text: "This field is required.", as for an empty one."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**{**kwargs, "strip": False})

    def to_python(self, value: Any) -> str:
        text = super().to_python(value)
        return text if text.strip() else ""


class DraftForm(forms.ModelForm):
    """The text and governance rules of a draft; the model's clean() checks the majority."""

    class Meta:
        model = AgreementVersion
        fields = list(CONTENT_FIELDS)
        field_classes = {"text": MarkdownField}
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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, limit in MAX_LENGTHS.items():
            field = self.fields[name]
            field.max_length = limit
            field.validators.append(MaxLengthValidator(limit))
            field.widget.attrs.update(field.widget_attrs(field.widget))
        # The model's range (51 to 100), not its column's (0 up): "-1" is told the
        # percentage it needs.
        self.fields["majority_percent"] = forms.IntegerField(
            label=self.fields["majority_percent"].label,
            help_text=self.fields["majority_percent"].help_text,
            required=False,
            min_value=51,
            max_value=100,
            widget=self.fields["majority_percent"].widget,
        )

    def _post_clean(self) -> None:
        super()._post_clean()
        # A percentage refused for its range was given: the model's "needs its
        # percentage" (it saw none) would contradict the message before it.
        errors = self.errors.get("majority_percent")
        if errors and len(errors) > 1:
            self.errors["majority_percent"] = errors[:1]


class SignForm(forms.Form):
    """The confirm step: the hash the signer was shown travels back with the signature."""

    content_hash = forms.CharField(widget=forms.HiddenInput, max_length=64)
