"""Comments: a small Markdown subset rendered by markdown-it-py, then cleaned by nh3.

Raw HTML in the source is never passed through (html=False), and nh3 allows only the tags the
subset produces, so a `<script>` typed in a comment shows up as text.

Math (`$…$`, `$$…$$`, `\\(…\\)`, `\\[…\\]`) is cut out before Markdown can touch it (an
underscore in `$x_1$` is not emphasis) and kept as escaped text in `<span class="math-inline">` or
`math-display`; the paper page renders those spans with the vendored KaTeX (`static/paper.js`,
KaTeX's `trust` off, so `\\href` and friends stay inert). Inside code, a `$` is just a dollar.
"""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererProtocol
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from markupsafe import escape

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
    "span",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
ALLOWED_CLASSES = {"span": {"math-inline", "math-display"}}
MAX_MATH = 2000  # characters of one formula; longer ones stay text


def _close(src: str, start: int, end: int, closing: str, *, dollar: bool) -> int:
    """Where `closing` ends the formula opened before `start`, or -1."""
    pos = start
    while True:
        found = src.find(closing, pos, end)
        if found < 0 or found - start > MAX_MATH:
            return -1
        if src[found - 1] == "\\":  # an escaped delimiter belongs to the formula
            pos = found + 1
            continue
        if dollar and closing == "$":
            # Pandoc's rule: "$5 and $10" is money, not math.
            after = src[found + 1] if found + 1 < end else ""
            if src[found - 1].isspace() or after.isdigit():
                pos = found + 1
                continue
        return found


def _math(state: StateInline, silent: bool) -> bool:
    """Inline rule: a formula becomes one token whose content Markdown never parses."""
    src, pos, end = state.src, state.pos, state.posMax
    for opening, closing, display in (
        ("$$", "$$", True),
        ("\\[", "\\]", True),
        ("\\(", "\\)", False),
        ("$", "$", False),
    ):
        if not src.startswith(opening, pos):
            continue
        start = pos + len(opening)
        if start >= end:
            return False
        if opening == "$" and src[start].isspace():
            return False
        # A formula never runs into code: "$5 and `$x$`" leaves the code span alone.
        tick = src.find("`", start, end)
        found = _close(src, start, end if tick < 0 else tick, closing, dollar=opening[0] == "$")
        if found < 0 or found == start:
            return False
        if not silent:
            token = state.push("math_display" if display else "math_inline", "span", 0)
            token.content = src[start:found]
            token.markup = opening
        state.pos = found + len(closing)
        return True
    return False


def _render_math(
    renderer: RendererProtocol,
    tokens: list[Token],
    idx: int,
    options: OptionsDict,
    env: EnvType,
) -> str:
    token = tokens[idx]
    kind = "math-display" if token.type == "math_display" else "math-inline"
    return f'<span class="{kind}">{escape(token.content)}</span>'


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
    # Before "escape", so `\\(` opens a formula instead of becoming a bare parenthesis.
    md.inline.ruler.before("escape", "math", _math)
    md.add_render_rule("math_inline", _render_math)
    md.add_render_rule("math_display", _render_math)
    return md


def render_comment(source: str) -> str:
    """Sanitised HTML for a comment written in the Markdown subset."""
    html = _parser().render(source)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer ugc",
    )
