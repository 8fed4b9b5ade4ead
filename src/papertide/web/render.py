"""Templates: the Jinja environment, its filters, and `render_page`, the one way to render pages."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from papertide.latex import latex_parts, latex_to_text
from papertide.models import web_link
from papertide.web.deps import load_user, web_session
from papertide.web.security import CSRF_FIELD
from papertide.web.serialize import published
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


def _snippet(html: str | None) -> Markup:
    """Search snippets come as HTML with highlight marks: keep only those tags, and show the
    LaTeX inside as text (no KaTeX on result lists)."""
    import nh3

    # Converted first and cleaned last: whatever the markup turns into passes the cleaner.
    text = latex_to_text(html)
    return Markup(nh3.clean(text, tags={"mark", "b", "em", "strong"}, attributes={}))


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
