"""`{% memo key … %}…{% endmemo %}`: a fragment of the page layout rendered once per process.

The navigation bars, tabs and footer that frame every page hold a few dozen translated
labels and reversed URLs. Rendering them costs a few milliseconds per request, and their
output depends only on the active language, the URL prefix and a handful of values
(the partnership's slug, the current tab, whether the reader is signed in). `memo`
renders its contents once for each combination of those and reuses the text after.

Only what the key names may vary inside the block: never put per-request or per-user
text there (the CSRF token, the reader's name, the current path, a partnership's title
that can be edited). The cache lives in the process, not in the configured cache
backend: a network round trip would cost more than rendering, and the fragments change
only with the code, which restarts the process. It is bounded (cleared when full) and
off when `DEBUG` is on, so edited templates show at once during development.

    {% load memo %}
    {% memo partnership.slug tab user.is_authenticated %}<nav>…</nav>{% endmemo %}
"""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings
from django.core.signals import setting_changed
from django.template.base import UNKNOWN_SOURCE, FilterExpression, NodeList, Parser, Token
from django.urls import get_script_prefix
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

register = template.Library()

MAX_FRAGMENTS = 20_000
_FRAGMENTS: dict[tuple[Any, ...], SafeString] = {}


def clear() -> None:
    """Forget every rendered fragment (settings changed, or a test wants a cold start)."""
    _FRAGMENTS.clear()


def _on_setting_changed(**kwargs: Any) -> None:
    clear()


setting_changed.connect(_on_setting_changed)


class MemoNode(template.Node):
    def __init__(
        self, nodelist: NodeList, place: tuple[str, int] | None, keys: list[FilterExpression]
    ):
        self.nodelist = nodelist
        self.place = place
        self.keys = keys

    def render(self, context: template.Context) -> str:
        if self.place is None or settings.DEBUG:
            return self.nodelist.render(context)
        key = (
            self.place,
            get_language(),
            get_script_prefix(),
            *(k.resolve(context) for k in self.keys),
        )
        try:
            found = _FRAGMENTS.get(key)
        except TypeError:  # a key value that cannot be hashed (a list): not reused
            return self.nodelist.render(context)
        if found is None:
            found = mark_safe(self.nodelist.render(context))  # noqa: S308 - rendered by the template
            if len(_FRAGMENTS) >= MAX_FRAGMENTS:
                _FRAGMENTS.clear()
            _FRAGMENTS[key] = found
        return found


@register.tag
def memo(parser: Parser, token: Token) -> MemoNode:
    """`{% memo key … %}…{% endmemo %}`, see the module's docstring."""
    keys = [parser.compile_filter(bit) for bit in token.split_contents()[1:]]
    nodelist = parser.parse(("endmemo",))
    parser.delete_first_token()
    # The block's place tells blocks apart: its template and its order in it.
    count = getattr(parser, "_memo_count", 0)
    parser._memo_count = count + 1  # type: ignore[attr-defined]
    origin = getattr(parser, "origin", None)
    name = getattr(origin, "name", None)
    # A template made from a string has no name to tell it from another: not reused.
    place = (str(name), count) if name and name != UNKNOWN_SOURCE else None
    return MemoNode(nodelist, place, keys)
