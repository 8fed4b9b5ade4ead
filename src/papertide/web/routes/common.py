"""Helpers the page routes share: cached anonymous pages, vote state, redirects."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from papertide.store.queries import voted_paper_ids
from papertide.store.schema import AuditLog, User
from papertide.web.deps import web_session
from papertide.web.state import page_key, web_state


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def audit(
    db: Session, actor: User, action: str, target_type: str, target_id: Any, **details: Any
) -> None:
    """Record a moderation action (or an admin acting on someone else's content)."""
    db.add(
        AuditLog(
            actor_id=actor.id,
            action=action,
            target_type=target_type,
            target_id=str(target_id),
            details=details,
            created_at=utcnow(),
        )
    )


def cached_anonymous(request: Request, make: Callable[[], Response]) -> Response:
    """Serve a page from the short page cache when nobody is signed in and nothing is pending.

    Signed-in pages carry vote state and CSRF tokens, so only anonymous pages are shared.
    """
    if not _shareable(request):
        return make()
    state = web_state(request)
    key = page_key(request.scope)
    hit = state.pages.get(key)
    if hit is not None:
        body, status, media_type, headers = hit
        return Response(body, status_code=status, media_type=media_type, headers=headers)
    try:
        response = make()
    except BaseException:
        state.pages.abandon(key)
        raise
    remember_page(request, response)
    return response


def _shareable(request: Request) -> bool:
    session = web_session(request)
    return session.user_id is None and not session.has_messages and not session.modified


def remember_page(request: Request, response: Response) -> None:
    """Keep an anonymous 200 response in the page cache; later hits skip the route entirely."""
    state = web_state(request)
    key = page_key(request.scope)
    if (
        response.status_code == 200
        and _shareable(request)
        and isinstance(response.body, bytes)
        and "set-cookie" not in response.headers
    ):
        # Security headers are added on the way out by the middleware, for hits and misses alike.
        headers = {
            k: v for k, v in response.headers.items() if k.lower() not in ("content-length",)
        }
        state.pages.set(key, (response.body, response.status_code, response.media_type, headers))
    else:
        state.pages.abandon(key)


def voted_ids(db: Session, user: User | None, paper_ids: list[int]) -> set[int]:
    return voted_paper_ids(db, user.id, paper_ids) if user is not None else set()


def redirect(url: str, status: int = 303) -> RedirectResponse:
    return RedirectResponse(url, status_code=status)


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def page_links(base: str, params: dict[str, Any], page: int, has_next: bool) -> dict[str, str]:
    from urllib.parse import urlencode

    def url(p: int) -> str:
        query = {k: v for k, v in params.items() if v not in (None, "")}
        query["p"] = p
        return f"{base}?{urlencode(query)}"

    links = {}
    if page > 0:
        links["prev"] = url(page - 1)
    if has_next:
        links["next"] = url(page + 1)
    return links
