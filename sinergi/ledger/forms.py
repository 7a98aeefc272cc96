"""The verification page's one question: which entry its commands are for."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

# ASCII digits only: int() would also take "٢" or " 1_0", which no URL of the log uses.
# Nineteen digits are past any log's size (a size is below 2**63).
DECIMAL = re.compile(r"[0-9]{1,19}")


class EntryForm(forms.Form):
    """?index=N on /ledger/: a non-negative decimal below the size of the latest
    checkpoint (the entries a receipt and an inclusion proof can be had for)."""

    index = forms.CharField(
        label=_("Entry index"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "size": 8}),
    )

    def __init__(self, *args: Any, size: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.size = size
        if size:
            self.fields["index"].help_text = _("From 0 to %(last)s.") % {"last": size - 1}

    def clean_index(self) -> int:
        value = self.cleaned_data["index"]
        if value == "":
            return 0
        if not self.size:
            raise forms.ValidationError(_("The log is empty: it has no entry to check yet."))
        if not DECIMAL.fullmatch(value) or int(value) >= self.size:
            raise forms.ValidationError(
                _("Give the index of an entry of this log: a whole number from 0 to %(last)s."),
                params={"last": self.size - 1},
            )
        return int(value)

    def entry_index(self) -> int:
        """The index asked for, or 0 when none (or no valid one) was."""
        if self.is_bound and self.is_valid():
            return self.cleaned_data["index"]
        return 0
