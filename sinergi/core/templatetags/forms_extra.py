"""Template helpers for forms."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


def error_groups(form: Any) -> list[dict[str, Any]]:
    """The groups of fields (a form's `error_groups`, e.g. a breakdown's dimension drawn
    as a fieldset) that have an error of their own, such as "does not add up". Each is a
    dict with `label`, `fields` (bound fields), `errors` and `errors_id` (the id of the
    element showing the errors)."""
    return [group for group in getattr(form, "error_groups", None) or () if group["errors"]]


@register.filter
def has_errors(form: Any) -> bool:
    """Whether the form comes back with any error: its own or one of its groups'. False
    for anything that is no form (e.g. a page without one, whose `form` is "")."""
    if not hasattr(form, "errors"):
        return False
    return bool(form.errors) or bool(error_groups(form))


@register.filter
def error_links(form: Any) -> list[tuple[str, str, Any]]:
    """What the error summary links, in form order, as (anchor id, label, bound field):
    each visible field with an error, and each group with an error at its first field
    (the group's label, linking its first input)."""
    groups = {id(group["fields"][0].field): group for group in error_groups(form)}
    links = []
    for field in form:
        if field.is_hidden:
            continue
        group = groups.get(id(field.field))
        if group is not None:
            links.append((anchor_id(field), group["label"], field))
        if field.errors:
            links.append((anchor_id(field), field.label, field))
    return links


@register.simple_tag
def focus_first_error(form: Any) -> str:
    """Give the first input the error summary links the focus when the page loads (so a
    phone scrolls to it), unless the form already chose a field to focus; and mark the
    inputs of a group with an error invalid, described by the group's errors. Renders
    nothing.

    A form whose error of its own is about some of its fields (sign-in's wrong username
    or password) names them in `non_field_error_fields`: they are marked invalid too,
    described by the summary, and the first gets the focus when no field has an error."""
    for group in error_groups(form):
        for field in group["fields"]:
            _mark_invalid(field, group["errors_id"])
    blamed = []
    if form.non_field_errors():
        summary = f"{form.prefix or 'form'}-errors"  # the id form_errors.html gives it
        for name in getattr(form, "non_field_error_fields", ()):
            blamed.append(form[name])
            _mark_invalid(form[name], summary)
    if any(field.field.widget.attrs.get("autofocus") for field in form if not field.is_hidden):
        return ""
    # The fields the summary links, the first focused; else the fields an error blames.
    first = [field for _anchor, _label, field in error_links(form)] or blamed
    if first:
        first[0].field.widget.attrs["autofocus"] = True
    return ""


def _mark_invalid(field: Any, described_by: str) -> None:
    """Mark a bound field's input invalid, described by the element `described_by` (and
    by its own help and error, as Django would describe it)."""
    described = [described_by]
    if field.help_text:
        described.append(f"{field.auto_id}_helptext")
    if field.errors:
        described.append(f"{field.auto_id}_error")
    attrs = field.field.widget.attrs
    attrs["aria-invalid"] = "true"
    attrs["aria-describedby"] = " ".join(described)


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
