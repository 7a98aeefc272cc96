"""get_FOO_display() methods for fields whose choices are lazily translated codelists."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.utils.encoding import force_str


def display_of(field_name: str, choices: Iterable[tuple[Any, Any]]) -> Callable[[Any], Any]:
    """A get_<field_name>_display method that finds the label in a dict made once.

    Django's generated method rebuilds a dict of every choice on each call, and hashing
    each lazy label translates it, so showing one status cost a gettext per choice; on
    list and detail pages that was a large share of the rendering. The result is the same:
    the label in the active language, or the stored value when it is not a choice.
    Define it in the model body (Django then keeps it) as
    `get_role_display = display_of("role", ROLES)`.
    """
    labels = dict(choices)

    def get_display(self: Any) -> Any:
        value = getattr(self, field_name)
        return force_str(labels.get(value, value), strings_only=True)

    get_display.__name__ = f"get_{field_name}_display"
    return get_display
