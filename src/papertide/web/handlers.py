"""One error shape everywhere: `{"error": {"code", "message"}}` for JSON, a page for people.

Also turns a lost database into 503 + Retry-After instead of a 500, a value the database
refuses (a NUL character on PostgreSQL, a number out of range) into a 400, and answers an
unexpected error inside the app (`CatchUnexpected`), so even a 500 carries the security headers
and leaves the connection open.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import DataError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from papertide.web.errors import CODES, SignInFirst, WebError, error_body, wants_json
from papertide.web.render import render_page

log = logging.getLogger("papertide.web")

RETRY_AFTER_SECONDS = 10


def error_response(
    request: Request,
    status: int,
    code: str,
    message: str,
    headers: dict[str, str] | None = None,
    *,
    action: tuple[str, str] | None = None,
) -> Response:
    """The error as JSON or as a page; `action` (url, label) is a way on offered on the page."""
    if wants_json(request):
        return JSONResponse(error_body(code, message), status_code=status, headers=headers)
    titles = {404: "Not found", 429: "Slow down", 403: "Not allowed"}
    response = render_page(
        request,
        "error.html",
        {
            "status": status,
            "code": code,
            "message": message,
            "heading": titles.get(status),
            "action": action,
        },
        status_code=status,
    )
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:3]:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p not in ("query", "path", "body"))
        parts.append(f"{loc or 'request'}: {err.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


INTERNAL_ERROR = "something went wrong on our side; it was logged"


class CatchUnexpected:
    """Answers an exception no handler took with the 500 error page, from inside the app.

    Starlette leaves such exceptions to its outermost middleware, which sends its 500 from
    outside every other middleware (so without the security headers) and then re-raises to the
    server, which closes the connection. Installed inside the session and headers middleware,
    this sends the page on the normal way out instead."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception:
            if started:  # too late for another answer: the server ends this response
                raise
            request = Request(scope, receive)
            log.exception("unhandled error on %s %s", request.method, request.url.path)
            try:
                response = error_response(request, 500, "internal_error", INTERNAL_ERROR)
            except Exception:  # the error page itself failed (e.g. the database is gone)
                response = JSONResponse(error_body("internal_error", INTERNAL_ERROR), 500)
            await response(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    app.add_middleware(CatchUnexpected)

    @app.exception_handler(WebError)
    async def _web_error(request: Request, exc: WebError) -> Response:
        return error_response(request, exc.status, exc.code, exc.message, exc.headers)

    @app.exception_handler(SignInFirst)
    async def _sign_in_first(request: Request, exc: SignInFirst) -> Response:
        target = f"/login?{urlencode({'next': exc.back}, safe='/')}"
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else "request failed"
        if exc.status_code == 404 and message == "Not Found":
            message = f"nothing at {request.url.path}"
        headers = dict(exc.headers) if exc.headers else None
        return error_response(
            request, exc.status_code, CODES.get(exc.status_code, "error"), message, headers
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        return error_response(request, 422, "invalid", _validation_message(exc))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        # Only errors outside CatchUnexpected (in the outer middleware) end up here.
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(request, 500, "internal_error", INTERNAL_ERROR)

    @app.exception_handler(DataError)
    async def _refused_value(request: Request, exc: DataError) -> Response:
        # Input checks stop these first; this is the net under them.
        reason = str(exc.orig).strip().splitlines()[0][:200] if exc.orig else "invalid value"
        log.warning("value refused by the database on %s: %s", request.url.path, reason)
        return error_response(
            request, 400, "bad_request", "a value in this request cannot be stored or searched"
        )

    # A database that is down, restarting or overloaded: tell clients to come back shortly.
    async def _database_unavailable(request: Request, exc: Exception) -> Response:
        log.warning(
            "database unavailable",
            extra={"path": request.url.path, "error": str(exc).splitlines()[0][:300]},
        )
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}
        message = "the database is unavailable right now; try again in a few seconds"
        if wants_json(request):
            return JSONResponse(
                error_body("unavailable", message), status_code=503, headers=headers
            )
        page = (
            "<!doctype html><meta charset=utf-8><title>Unavailable</title>"
            f"<h1>Back in a moment</h1><p>{message}.</p>"
        )
        return HTMLResponse(page, status_code=503, headers=headers)

    for cls in (OperationalError, InterfaceError, PoolTimeout):
        app.add_exception_handler(cls, _database_unavailable)
