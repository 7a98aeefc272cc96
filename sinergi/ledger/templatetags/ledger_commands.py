"""Writing values into the shell commands the verification page shows."""

from __future__ import annotations

import json
import shlex

from django import template

register = template.Library()


@register.filter
def shell(value: object) -> str:
    """`value` as one word for sh/bash, quoted only if it needs to be (a URL with `?` and
    `&`; a registered witness's key whose name holds shell syntax, which must never run)."""
    return shlex.quote(str(value))


@register.filter
def python_string(value: object) -> str:
    """`value` as a Python string literal that can stand inside a single-quoted shell word:
    ASCII (JSON's escapes are Python's too), its apostrophes written as \\u0027."""
    return json.dumps(str(value)).replace("'", "\\u0027")
