"""Agreement text: Markdown to safe HTML.

markdown-it-py renders CommonMark (plus tables and strikethrough) with raw HTML switched
off, and nh3 then keeps only an allow-list of tags, attributes and link schemes, so a
pasted `<script>`, an `onerror=` or a `javascript:` link never reaches the page even if
the renderer let something through.
"""

from __future__ import annotations

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

_renderer = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_renderer.enable(["table", "strikethrough"])

ALLOWED_TAGS = {
    "a", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6",
    "hr", "li", "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "ol": {"start"},
    "td": {"style"},
    "th": {"style"},
}
URL_SCHEMES = {"http", "https", "mailto"}


def _only_alignment(tag: str, attribute: str, value: str) -> str | None:
    # Table cells carry `style="text-align:…"` from the renderer; nothing else is kept.
    if attribute == "style":
        return value if value in {f"text-align:{a}" for a in ("left", "right", "center")} else None
    return value


#: The text sits in a section under the page's h1, its h2 and the version's h3: its own
#: headings start at h4 (a "# Parties" line is an h4), so the page's outline holds.
TOP_HEADING = 4


def render_markdown(text: str) -> SafeString:
    """The agreement text as sanitised HTML, safe to put in a page as it is."""
    tokens = _renderer.parse(text or "")
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            level = int(token.tag[1]) + TOP_HEADING - 1
            token.tag = f"h{min(level, 6)}"
    html = _renderer.renderer.render(tokens, _renderer.options, {})
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        attribute_filter=_only_alignment,
        strip_comments=True,
    )
    return mark_safe(clean)  # noqa: S308 - sanitised by nh3 just above
