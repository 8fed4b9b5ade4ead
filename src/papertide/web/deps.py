"""FastAPI dependencies: database session, current user, sign-in and CSRF requirements."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from papertide.store.db import request_session
from papertide.store.schema import User
from papertide.web.errors import SignInFirst, WebError
from papertide.web.security import CSRF_FIELD, CSRF_HEADER, WebSession
from papertide.web.sessions import session_user
from papertide.web.state import WebState, web_state


def get_db(request: Request) -> Iterator[Session]:
    """One session per request; routes commit their own writes."""
    with request_session(web_state(request).sessions) as session:
        yield session


Db = Annotated[Session, Depends(get_db)]
State = Annotated[WebState, Depends(web_state)]


def web_session(request: Request) -> WebSession:
    session = request.state.web_session
    assert isinstance(session, WebSession)
    return session


def load_user(request: Request, db: Session) -> User | None:
    """The signed-in user for this request (cached on request.state)."""
    if hasattr(request.state, "user"):
        return request.state.user
    session = web_session(request)
    user = None
    if session.user_id is not None:
        user = session_user(db, session.user_id, session.key, dt.datetime.now(dt.UTC))
        if user is None:
            session.sign_out()  # signed out elsewhere, expired, or the account is gone
    request.state.user = user
    return user


def current_user(request: Request, db: Db) -> User | None:
    return load_user(request, db)


def require_user(request: Request, db: Db) -> User:
    user = load_user(request, db)
    if user is None:
        raise WebError(401, "sign in first", code="unauthorized")
    if user.banned:
        raise WebError(403, "this account is banned", code="banned")
    return user


def page_user(request: Request, db: Db) -> User:
    """The signed-in user of a page people open (not an API call): a signed-out reader is sent
    through sign-in and back to this very page instead of getting a 401; a banned account gets
    the same 403 as everywhere."""
    if load_user(request, db) is None:
        query = request.url.query
        raise SignInFirst(request.url.path + (f"?{query}" if query else ""))
    return require_user(request, db)


def require_admin(user: Annotated[User, Depends(require_user)]) -> User:
    if not user.is_admin:
        raise WebError(
            403,
            f"This is for the site's admins, and {user.name} is not one. "
            "An admin of this site can make you one (papertide admin NAME).",
        )
    return user


async def require_csrf(request: Request) -> None:
    """Every state-changing request carries the session's CSRF token (form field or header)."""
    token = request.headers.get(CSRF_HEADER)
    if not token:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            token = value if isinstance(value, str) else None
    codec = web_state(request).codec
    if not codec.csrf_valid(web_session(request), token):
        raise WebError(
            403,
            "missing or invalid CSRF token; reload the page and try again",
            code="csrf_failed",
        )


def limit_searches(request: Request) -> None:
    """Count a search (a non-empty `q`) against the client's search limit: each one costs CPU
    that every other request shares."""
    if request.query_params.get("q", "").strip():
        web_state(request).limits.hit("search", ip=client_ip(request))


CurrentUser = Annotated[User | None, Depends(current_user)]
SignedIn = Annotated[User, Depends(require_user)]
Admin = Annotated[User, Depends(require_admin)]
PageUser = Annotated[User, Depends(page_user)]
Csrf = Depends(require_csrf)
SearchLimit = Depends(limit_searches)


def client_ip(request: Request) -> str:
    """The client's address: the TCP peer, or what a trusted proxy says (settings.trusted_proxies,
    applied by uvicorn's ProxyHeadersMiddleware in create_app; nothing else rewrites it)."""
    return request.client.host if request.client else "unknown"
