"""The error summary at the top of a refused form links to each field with an error."""

from __future__ import annotations

import re

from django import forms
from django.template.loader import render_to_string


class Decision(forms.Form):
    decision = forms.ChoiceField(
        label="Decision", choices=[("approve", "Approve"), ("reject", "Reject")],
        widget=forms.RadioSelect,
    )  # fmt: skip
    topics = forms.MultipleChoiceField(
        label="Topics", choices=[("a", "A"), ("b", "B")], widget=forms.CheckboxSelectMultiple
    )
    reason = forms.CharField(label="Reason")


def test_every_link_of_the_summary_reaches_an_element_of_the_form():
    """Given a refused form with a radio group, a checkbox group and a text field, then each
    link of the summary points at an element the page has — the first option of a group
    (Django gives a group no label id), not "#", which jumps to the top of the page."""
    html = render_to_string("includes/form_fields.html", {"form": Decision(data={})})
    summary = html.split('class="form-errors"')[1].split("</div>")[0]
    targets = re.findall(r'<a href="#([^"]*)">', summary)
    assert targets == ["id_decision_0", "id_topics_0", "id_reason"]
    for target in targets:
        assert f'id="{target}"' in html


def test_a_form_with_optional_fields_marks_its_required_ones():
    """Given a form with required and optional fields, then it says that * marks the
    required ones and each required field's group carries the mark (WCAG 3.3.2); a form
    whose every field is required carries no note."""
    html = render_to_string("includes/form_fields.html", {"form": Decision()})
    assert "Fields marked" not in html  # every field is required: the note says nothing
    groups = re.findall(r'<div class="field([^"]*)">\s*<(?:label|fieldset)', html)
    assert groups == [" required", " required", " required"]

    class Optional(forms.Form):
        note = forms.CharField(label="Note", required=False)
        title = forms.CharField(label="Title")

    html = render_to_string("includes/form_fields.html", {"form": Optional()})
    assert "Fields marked * are required." in html
    assert re.findall(r'<div class="field([^"]*)">', html) == ["", " required"]
