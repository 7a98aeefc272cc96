"""A web form takes no longer text than the API does for the same field: a longer one
saved through a page went on the ledger and could then not be sent back unchanged
through the API ("at most 10000 characters")."""

from __future__ import annotations

import pytest
from django import forms

from sinergi.partners.forms import OrganisationForm
from sinergi.partnerships.agreements.forms import DraftForm
from sinergi.partnerships.raci.forms import WorkPackageForm
from sinergi.results.forms import IndicatorForm, ResultForm, ValueForm


def field_of(form_class: type[forms.BaseForm], name: str) -> forms.Field:
    if form_class is DraftForm:
        return DraftForm().fields[name]  # its limits are set per form
    return form_class.base_fields[name]


@pytest.mark.parametrize(
    ("form_class", "name", "limit"),
    [
        (WorkPackageForm, "description", 10_000),
        (DraftForm, "text", 100_000),
        (DraftForm, "joining", 10_000),
        (DraftForm, "leaving", 10_000),
        (DraftForm, "dispute_resolution", 10_000),
        (DraftForm, "exit_strategy", 10_000),
        (OrganisationForm, "description_en", 10_000),
        (OrganisationForm, "description_id", 10_000),
        (ResultForm, "description", 5_000),
        (IndicatorForm, "description", 5_000),
        (ValueForm, "text", 5_000),
        (ValueForm, "narrative", 10_000),
    ],
)
def test_a_form_takes_as_much_text_as_the_api_and_no_more(form_class, name, limit):
    field = field_of(form_class, name)

    assert field.clean("x" * limit) == "x" * limit
    with pytest.raises(forms.ValidationError) as refused:
        field.clean("x" * (limit + 1))
    assert f"at most {limit} characters (it has {limit + 1})" in refused.value.messages[0]
    assert field.widget.attrs.get("maxlength") == str(limit)
