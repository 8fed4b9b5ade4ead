"""Request size limits, enforced before any route reads the request.

uvicorn with httptools accepts headers of any size and bodies of any length; a route parsing a
form would read them all into memory. This middleware answers 431 for oversized headers and
413 for oversized bodies (by Content-Length at once, or as soon as a chunked body passes the
limit), so hostile input gets a 4xx and never costs more than the limit. A NUL character in
the path or the query string gets a 400 here too: no URL of ours has one, and PostgreSQL cannot
even compare a text with one in it.
"""

from __future__ import annotations

import json

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from papertide.config import Settings


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body larger than {limit} bytes")


class RequestLimitsMiddleware:
    def __init__(self, app: ASGIApp, *, max_body: int, max_headers: int) -> None:
        self.app = app
        self.max_body = max_body
        self.max_headers = max_headers

    async def _refuse(self, send: Send, status: int, message: str) -> None:
        code = {413: "too_large", 431: "headers_too_large"}.get(status, "bad_request")
        body = json.dumps({"error": {"code": code, "message": message}}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = scope.get("headers", [])
        size = sum(len(k) + len(v) + 4 for k, v in headers)
        if size > self.max_headers:
            await self._refuse(send, 431, f"request headers larger than {self.max_headers} bytes")
            return
        if "\x00" in scope.get("path", "") or _has_nul(scope.get("query_string", b"")):
            await self._refuse(send, 400, "a URL cannot contain NUL characters (%00)")
            return
        for key, value in headers:
            if key == b"content-length":
                if not value.isdigit():
                    await self._refuse(send, 400, "invalid Content-Length")
                    return
                if int(value) > self.max_body:
                    await self._refuse(send, 413, f"request body larger than {self.max_body} bytes")
                    return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise BodyTooLarge(self.max_body)
            return message

        await self.app(scope, limited_receive, send)


def _has_nul(query: bytes) -> bool:
    return b"\x00" in query or b"%00" in query


def install_request_limits(app: FastAPI, settings: Settings) -> None:
    """settings.max_body_bytes (default 10 MiB) and settings.max_header_bytes (32 KiB)."""
    app.add_middleware(
        RequestLimitsMiddleware,
        max_body=settings.max_body_bytes,
        max_headers=settings.max_header_bytes,
    )
