"""One pure-ASGI middleware: loads the session cookie, writes it back when changed, and adds the
security headers to every response (cheaper per request than a BaseHTTPMiddleware chain)."""

from __future__ import annotations

from http.cookies import SimpleCookie

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from papertide.web.security import (
    SECURITY_HEADERS,
    SESSION_COOKIE,
    SESSION_MAX_AGE,
    SessionCodec,
    WebSession,
)


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


class SessionAndHeadersMiddleware:
    def __init__(self, app: ASGIApp, codec: SessionCodec, *, secure: bool) -> None:
        self.app = app
        self.codec = codec
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        session = self.codec.loads(_cookie_value(scope, SESSION_COOKIE))
        scope.setdefault("state", {})["web_session"] = session

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

    def _cookie(self, session: WebSession) -> str:
        flags = "Path=/; HttpOnly; SameSite=Lax" + ("; Secure" if self.secure else "")
        if session.cleared and not session.sid and session.user_id is None:
            return f"{SESSION_COOKIE}=; Max-Age=0; {flags}"
        return f"{SESSION_COOKIE}={self.codec.dumps(session)}; Max-Age={SESSION_MAX_AGE}; {flags}"
