"""One pure-ASGI middleware: loads the session cookie, writes it back when changed, adds the
security headers to every response (cheaper per request than a BaseHTTPMiddleware chain), and
answers anonymous GETs straight from the page cache when it holds the page.

Serving cache hits here skips routing, dependency injection and the thread pool: that is what
lets the feed page keep up with a burst of readers (see bench/web_bench.py).
"""

from __future__ import annotations

from email.utils import parsedate_to_datetime
from http.cookies import SimpleCookie

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from papertide.web.security import (
    SECURITY_HEADERS,
    SESSION_COOKIE,
    SESSION_MAX_AGE,
    SessionCodec,
    WebSession,
)
from papertide.web.state import TTLCache, not_modified, page_key


def _cookie_value(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            cookie: SimpleCookie = SimpleCookie()
            try:
                cookie.load(value.decode("latin-1"))
            except Exception:  # a malformed Cookie header is simply no session
                return None
            if name in cookie:
                return cookie[name].value
    return None


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _without_body(send: Send) -> Send:
    async def send_headers_only(message: Message) -> None:
        if message["type"] == "http.response.body":
            if message.get("more_body", False):
                return
            message = {"type": "http.response.body", "body": b""}
        await send(message)

    return send_headers_only


class SessionAndHeadersMiddleware:
    def __init__(
        self, app: ASGIApp, codec: SessionCodec, *, secure: bool, pages: TTLCache | None = None
    ) -> None:
        self.app = app
        self.codec = codec
        self.secure = secure
        self.pages = pages

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] == "HEAD":
            # Answer HEAD like GET without the body (uptime checkers, link previews).
            scope = {**scope, "method": "GET"}
            send = _without_body(send)
        session = self.codec.loads(_cookie_value(scope, SESSION_COOKIE))
        scope.setdefault("state", {})["web_session"] = session
        if (
            self.pages is not None
            and scope["method"] == "GET"
            and session.user_id is None
            and not session.has_messages
            and not session.modified
        ):
            hit = self.pages.get_or_refresh(page_key(scope))
            if hit is not None:
                await self._send_cached(send, hit, scope)
                return

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {key.lower() for key, _ in headers}
                headers.extend((k, v) for k, v in SECURITY_HEADERS if k not in present)
                if session.modified:
                    headers.append((b"set-cookie", self._cookie(session).encode("latin-1")))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_wrapper)

    async def _send_cached(
        self,
        send: Send,
        hit: tuple[bytes, int, str | None, dict[str, str]],
        scope: Scope,
    ) -> None:
        body, status, _media_type, cached_headers = hit
        lowered = {k.lower(): v for k, v in cached_headers.items()}
        modified = lowered.get("last-modified")
        if not_modified(
            _header(scope, b"if-none-match"),
            _header(scope, b"if-modified-since"),
            lowered.get("etag"),
            parsedate_to_datetime(modified) if modified else None,
        ):
            # Feed readers poll with If-None-Match: answer 304 from the cache as the route would.
            status, body = 304, b""
            cached_headers = {
                k: v for k, v in cached_headers.items() if k.lower() != "content-type"
            }
        headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in cached_headers.items()]
        if status != 304:
            headers.append((b"content-length", str(len(body)).encode()))
        present = {key for key, _ in headers}
        headers.extend((k, v) for k, v in SECURITY_HEADERS if k not in present)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _cookie(self, session: WebSession) -> str:
        flags = "Path=/; HttpOnly; SameSite=Lax" + ("; Secure" if self.secure else "")
        if session.cleared and not session.sid and session.user_id is None:
            return f"{SESSION_COOKIE}=; Max-Age=0; {flags}"
        return f"{SESSION_COOKIE}={self.codec.dumps(session)}; Max-Age={SESSION_MAX_AGE}; {flags}"
