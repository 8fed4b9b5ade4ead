"""Signed tokens in email links: confirm a subscription, manage it, unsubscribe in one click,
apply a change someone asked for on the subscribe form.

Tokens are HMAC-signed with the site secret (itsdangerous) and carry a subscription id and a
purpose (a change token also the settings asked for), so a forged or edited token fails
verification and nothing needs storing server-side.
"""

from __future__ import annotations

import time
from typing import Any, Literal

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

Purpose = Literal["confirm", "manage", "change"]

# Confirmation links are short-lived; manage/unsubscribe links live in old mails for a long time
# and must keep working (RFC 8058 expects the unsubscribe URL to stay valid).
MAX_AGE: dict[str, int] = {
    "confirm": 7 * 86400,
    "change": 7 * 86400,
    "manage": 400 * 86400,
}


class TokenError(Exception):
    """The token is not valid; the message says whether it is expired or simply wrong."""


def _serializer(secret: str, purpose: Purpose, now: float | None = None) -> URLSafeTimedSerializer:
    """A serializer whose signing clock can be set, so expiry is testable without waiting."""

    class Signer(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(now if now is not None else time.time())

    return URLSafeTimedSerializer(secret, salt=f"papertide.subscription.{purpose}", signer=Signer)


def make_token(
    secret: str, purpose: Purpose, subscription_id: int, now: float | None = None
) -> str:
    """A URL-safe token for `purpose` on one subscription."""
    serializer = _serializer(secret, purpose, now)
    return str(serializer.dumps(int(subscription_id)))


def read_token(secret: str, purpose: Purpose, token: str, now: float | None = None) -> int:
    """The subscription id in a valid token; TokenError when forged, edited or expired."""
    value = _load(secret, purpose, token, now)
    if not isinstance(value, int):
        raise TokenError("this link is not valid")
    return value


def make_change_token(
    secret: str, subscription_id: int, change: dict[str, Any], now: float | None = None
) -> str:
    """A URL-safe token that applies `change` (frequency, send_hour, timezone) to one
    subscription: mailed to its address, so only its owner can apply it."""
    serializer = _serializer(secret, "change", now)
    return str(serializer.dumps({"id": int(subscription_id), "change": change}))


def read_change_token(
    secret: str, token: str, now: float | None = None
) -> tuple[int, dict[str, Any]]:
    """(subscription id, change) from a valid change token; TokenError otherwise."""
    value = _load(secret, "change", token, now)
    if (
        not isinstance(value, dict)
        or not isinstance(value.get("id"), int)
        or not isinstance(value.get("change"), dict)
    ):
        raise TokenError("this link is not valid")
    return value["id"], value["change"]


def _load(secret: str, purpose: Purpose, token: str, now: float | None) -> Any:
    serializer = _serializer(secret, purpose, now)
    if len(token) > 512:
        raise TokenError("this link is not valid (too long); use the link from your latest email")
    try:
        # itsdangerous checks max_age against the real clock; compare with ours instead.
        value, signed_at = serializer.loads(token, max_age=None, return_timestamp=True)
    except SignatureExpired:  # pragma: no cover - max_age is None
        raise TokenError("this link has expired") from None
    except BadSignature:
        raise TokenError("this link is not valid; use the link from your latest email") from None
    current = now if now is not None else time.time()
    if current - signed_at.timestamp() > MAX_AGE[purpose]:
        raise TokenError("this link has expired; subscribe again or use a newer email")
    return value
