"""Templates: the Jinja environment, its filters, and `render_page`, the one way to render pages."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from papertide.latex import latex_parts, latex_to_text
from papertide.models import web_link
from papertide.search.query import MAX_QUERY_CHARS
from papertide.store.queries import published
from papertide.web.deps import load_user, web_session
from papertide.web.security import CSRF_FIELD
from papertide.web.state import web_state

TEMPLATES = Path(__file__).with_name("templates")


def _number(value: int | float | None) -> str:
    return "" if value is None else f"{value:,}"


def _date(value: dt.date | dt.datetime | None, fmt: str = "%b %-d, %Y") -> str:
    return "" if value is None else value.strftime(fmt)


def _authors(names: list[str] | None, limit: int = 6) -> str:
    names = names or []
    if len(names) <= limit:
        return ", ".join(names)
    return ", ".join(names[:limit]) + f" and {len(names) - limit} more"


def _tex(text: str | None) -> Markup:
    """Text for an element KaTeX renders (`data-math`): markup turned into text, math as typed.

    A literal dollar sign (`\\$` in the source) gets an element of its own, so that KaTeX, which
    pairs the dollars of one text node, never takes it for the start of math.
    """
    html = []
    for part in latex_parts(text):
        shown = str(escape(part.text))
        if not part.math:
            shown = shown.replace("$", '<span class="dollar">$</span>')
        html.append(shown)
    return Markup("".join(html))


def _plain(text: str | None) -> str:
    """Text for anywhere KaTeX does not run (lists, titles, labels): markup and math as text."""
    return latex_to_text(text)


def _paragraphs(text: str | None) -> Markup:
    """Blank lines as paragraphs, each as `_tex` renders it (math for KaTeX, markup as text)."""
    parts = [p.strip() for p in (text or "").split("\n\n") if p.strip()]
    return Markup("".join(f"<p>{_tex(p)}</p>" for p in parts))


_MARKED = re.compile(r"<mark>(.*?)</mark>", re.S)


def _snippet(snippet_html: str | None) -> Markup:
    """A search snippet (escaped text with <mark> around the query's words) with its LaTeX shown
    as text (no KaTeX on result lists), and the same words marked again.

    The marks are taken out before the LaTeX is converted: inside math (`$0.8\\mathrm{Mpc}$`)
    they would be converted with it, into literal "< mark >" text or a mark left open. The
    marked words are then marked wherever they stand in the converted text (the search engine
    marks every occurrence of them in the snippet, so this is the same set), and every tag is
    written here, so the marks are always balanced."""
    if not snippet_html:
        return Markup("")
    words = {html.unescape(w).strip() for w in _MARKED.findall(snippet_html)}
    text = latex_to_text(html.unescape(snippet_html.replace("<mark>", "").replace("</mark>", "")))
    words = {w for w in words if w}
    if not words:
        return escape(text)
    # Longest first, so that "models" is marked whole rather than as "model" + "s".
    pattern = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    found = re.compile(rf"(?<!\w)(?:{pattern})(?!\w)", re.IGNORECASE)
    out, last = [], 0
    for match in found.finditer(text):
        out.append(str(escape(text[last : match.start()])))
        out.append(f"<mark>{escape(match.group(0))}</mark>")
        last = match.end()
    out.append(str(escape(text[last:])))
    return Markup("".join(out))


def build_templates() -> Jinja2Templates:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        number=_number,
        published=published,
        snippet=_snippet,
        date=_date,
        authors=_authors,
        paragraphs=_paragraphs,
        tex=_tex,
        plain=_plain,
        tojson_attr=json.dumps,
        weblink=web_link,
    )
    # The search boxes (the page's and the header's) take no more than a search accepts.
    env.globals["max_query"] = MAX_QUERY_CHARS
    return Jinja2Templates(env=env)


def common_context(request: Request) -> dict[str, Any]:
    """What every page can use: site name, signed-in user, CSRF helpers, flash messages."""
    state = web_state(request)
    session = web_session(request)
    user = getattr(request.state, "user", None)
    if user is None and session.user_id is not None and not hasattr(request.state, "user"):
        with state.sessions() as db:
            user = load_user(request, db)

    def csrf_token() -> str:
        return state.codec.csrf_token(session)

    def csrf_input() -> Markup:
        return Markup(f'<input type="hidden" name="{CSRF_FIELD}" value="{csrf_token()}">')

    return {
        "request": request,
        "site_name": state.settings.site_name,
        "current_user": user,
        "csrf_token": csrf_token,
        "csrf_input": csrf_input,
        "flash": session.pop_flash() if session.has_messages else [],
        "categories": state.settings.categories,
        "path": request.url.path,
    }


def render_page(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render `template` with the common context plus `context`."""
    merged = common_context(request)
    merged.update(context or {})
    html = web_state(request).templates.get_template(template).render(merged)
    return HTMLResponse(html, status_code=status_code, headers=headers)
