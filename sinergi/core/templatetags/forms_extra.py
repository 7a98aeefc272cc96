"""Template helpers for forms."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def fields_with_errors(form: Any) -> list[Any]:
    """The visible bound fields of `form` that have errors, in form order."""
    return [field for field in form.visible_fields() if field.errors]


@register.simple_tag
def focus_first_error(form: Any) -> str:
    """Give the first field with an error the focus when the page loads (so a phone
    scrolls to it), unless the form already chose a field to focus. Renders nothing."""
    fields = [field.field for field in form.visible_fields()]
    if any(f.widget.attrs.get("autofocus") for f in fields):
        return ""
    for field in form.visible_fields():
        if field.errors:
            field.field.widget.attrs["autofocus"] = True
            break
    return ""
