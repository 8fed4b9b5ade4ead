"""Comments: a small Markdown subset rendered by markdown-it-py, then cleaned by nh3.

Raw HTML in the source is never passed through (html=False), and nh3 allows only the tags the
subset produces, so a `<script>` typed in a comment shows up as text.
"""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "p",
    "em",
    "strong",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "br",
    "del",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = MarkdownIt("zero", {"html": False, "linkify": False, "breaks": True})
    md.enable(
        [
            "emphasis",
            "backticks",
            "link",
            "list",
            "blockquote",
            "fence",
            "code",
            "newline",
            "strikethrough",
            "escape",
            "paragraph",
            "autolink",
        ]
    )
    return md


def render_comment(source: str) -> str:
    """Sanitised HTML for a comment written in the Markdown subset."""
    html = _parser().render(source)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer ugc",
    )
