"""The form for moving a partnership back to an earlier stage."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from sinergi.partnerships.lifecycle.checklist import STAGES
from sinergi.partnerships.lifecycle.services import REASON_MAX_LENGTH
from sinergi.partnerships.models import Stage


class MoveBackForm(forms.Form):
    stage = forms.ChoiceField(label=_("Back to"), choices=())
    reason = forms.CharField(
        label=_("Why"),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For example: the agreement must be renegotiated."),
    )

    def __init__(self, *args: Any, current: str, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "back")
        super().__init__(*args, **kwargs)
        earlier = STAGES[: STAGES.index(current)]
        labels = dict(Stage.choices)
        self.fields["stage"].choices = [(stage, labels[stage]) for stage in reversed(earlier)]
