"""The error a route raises, and whether a request wants its answer (and errors) as JSON."""

from __future__ import annotations

from typing import Any

from fastapi import Request

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "invalid",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


class SignInFirst(Exception):
    """A signed-out reader opened a page that needs an account: the answer is the sign-in page,
    which brings them back to `back` (this page, with its query) afterwards."""

    def __init__(self, back: str) -> None:
        super().__init__(back)
        self.back = back


class WebError(Exception):
    """Raised by routes for an expected failure: status, a short code and a human message."""

    def __init__(
        self,
        status: int,
        message: str,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or CODES.get(status, "error")
        self.message = message
        self.headers = headers or {}


def wants_json(request: Request) -> bool:
    path = request.url.path
    if path.startswith("/api/") or path.endswith(".json") or path == "/openapi.json":
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}
