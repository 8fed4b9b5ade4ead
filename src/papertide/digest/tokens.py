"""Signed tokens in email links: confirm a subscription, manage it, unsubscribe in one click.

Tokens are HMAC-signed with the site secret (itsdangerous) and carry only a subscription id and a
purpose, so a forged or edited token fails verification and nothing needs storing server-side.
"""

from __future__ import annotations

import time
from typing import Literal

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

Purpose = Literal["confirm", "manage"]

# Confirmation links are short-lived; manage/unsubscribe links live in old mails for a long time
# and must keep working (RFC 8058 expects the unsubscribe URL to stay valid).
MAX_AGE: dict[str, int] = {
    "confirm": 7 * 86400,
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
    if not isinstance(value, int):
        raise TokenError("this link is not valid")
    return value
