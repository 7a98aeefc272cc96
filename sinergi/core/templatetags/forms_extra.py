"""Template helpers for forms."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def fields_with_errors(form: Any) -> list[Any]:
    """The visible bound fields of `form` that have errors, in form order (every field
    of the form, also those a form draws apart from `visible_fields`)."""
    return [field for field in form if not field.is_hidden and field.errors]


@register.simple_tag
def focus_first_error(form: Any) -> str:
    """Give the first field with an error the focus when the page loads (so a phone
    scrolls to it), unless the form already chose a field to focus. Renders nothing."""
    if any(field.field.widget.attrs.get("autofocus") for field in form if not field.is_hidden):
        return ""
    wrong = fields_with_errors(form)  # the fields the summary links, the first focused
    if wrong:
        wrong[0].field.widget.attrs["autofocus"] = True
    return ""


@register.filter
def anchor_id(field: Any) -> str:
    """The id a link to `field` should point at: its input's, or for a group of radio
    buttons or checkboxes (which Django labels by no single id) the first option's."""
    if field.id_for_label:
        return field.id_for_label
    for option in field.subwidgets:
        if option.id_for_label:
            return option.id_for_label
    return field.auto_id or ""


@register.filter
def marks_required(form: Any) -> bool:
    """Whether the form shows the "* required" note: some of its visible fields are
    required and some are not (when every field is required, the mark says nothing)."""
    required = [field.field.required for field in form.visible_fields()]
    return any(required) and not all(required)
