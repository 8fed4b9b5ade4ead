"""Sign-in links: single use, valid 15 minutes, signed; only a hash of each token is stored.

Opening a link shows a button and only pressing it signs in (`pending_email`, then
`redeem_token`): mail scanners and link previews fetch links (GET or HEAD) and must not use them
up. A browser that signed in before gets a device cookie (OWASP's device cookies against
lockout), so the owner of an address still gets links while someone floods that address.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from papertide.models import parse_email
from papertide.store.schema import LoginToken, User

TOKEN_MINUTES = 15
DEVICE_COOKIE = "pt_device"
DEVICE_MAX_AGE = 365 * 24 * 3600


class SignInError(Exception):
    """A link that cannot sign anyone in; the message says why."""


def normalise_email(value: str) -> str | None:
    """The address to mail a link to, or None (control characters, no domain, …)."""
    return parse_email(value)


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="papertide.signin")


def _hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def issue_token(session: Session, secret: str, email: str, next_path: str, now: dt.datetime) -> str:
    """A signed token for `email`; its hash is stored so that it can be used exactly once."""
    nonce = secrets.token_urlsafe(24)
    session.add(
        LoginToken(
            token_hash=_hash(nonce),
            email=email,
            created_at=now,
            expires_at=now + dt.timedelta(minutes=TOKEN_MINUTES),
        )
    )
    return _serializer(secret).dumps({"n": nonce, "x": next_path})


def _valid_row(
    session: Session, secret: str, token: str, now: dt.datetime
) -> tuple[LoginToken, str]:
    try:
        data = _serializer(secret).loads(token, max_age=TOKEN_MINUTES * 60)
    except SignatureExpired:
        raise SignInError("this sign-in link has expired; ask for a new one") from None
    except BadSignature:
        raise SignInError("this sign-in link is not valid; ask for a new one") from None
    if not isinstance(data, dict) or not isinstance(data.get("n"), str):
        raise SignInError("this sign-in link is not valid; ask for a new one")
    row = session.scalars(
        select(LoginToken).where(LoginToken.token_hash == _hash(data["n"]))
    ).first()
    if row is None:
        raise SignInError("this sign-in link is not valid; ask for a new one")
    if row.expires_at <= now:
        raise SignInError("this sign-in link has expired; ask for a new one")
    return row, str(data.get("x") or "/")


def pending_email(session: Session, secret: str, token: str, now: dt.datetime) -> str:
    """The address an unused, unexpired link would sign in; SignInError otherwise. Uses nothing."""
    row, _next = _valid_row(session, secret, token, now)
    if row.used_at is not None:
        raise SignInError("this sign-in link was already used; ask for a new one")
    return row.email


def redeem_token(session: Session, secret: str, token: str, now: dt.datetime) -> tuple[User, str]:
    """The user the token signs in (created on first sign-in) and where to go next."""
    row, next_path = _valid_row(session, secret, token, now)
    # Conditional update: of two concurrent clicks only one finds the token unused.
    used = session.execute(
        update(LoginToken)
        .where(LoginToken.id == row.id, LoginToken.used_at.is_(None))
        .values(used_at=now)
    )
    if used.rowcount != 1:  # type: ignore[attr-defined]
        raise SignInError("this sign-in link was already used; ask for a new one")
    user = session.scalars(select(User).where(User.email == row.email)).first()
    if user is None:
        user = _create_user(session, row.email, now)
    user.last_login_at = now
    return user, next_path


def _create_user(session: Session, email: str, now: dt.datetime) -> User:
    # The public handle says nothing about the address: a mailbox name is often a real name or
    # a handle used elsewhere, and /u/{name} is public.
    for _attempt in range(20):
        name = f"reader-{secrets.token_hex(3)}"
        if not session.scalar(select(func.count()).where(User.name == name)):
            break
    user = User(email=email, name=name, created_at=now)
    try:
        with session.begin_nested():
            session.add(user)
    except IntegrityError:  # a concurrent sign-up took the name: a longer random one
        user = User(email=email, name=f"reader-{secrets.token_hex(6)}", created_at=now)
        session.add(user)
        session.flush()
    return user


def _device_serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="papertide.device")


def device_cookie(secret: str, email: str) -> str:
    """The value of the cookie that marks this browser as one `email` signed in from."""
    return _device_serializer(secret).dumps(_hash(email))


def is_known_device(secret: str, cookie: str | None, email: str) -> bool:
    """Did `email` sign in from the browser sending this cookie (within a year)?"""
    if not cookie:
        return False
    try:
        value = _device_serializer(secret).loads(cookie, max_age=DEVICE_MAX_AGE)
    except BadSignature:
        return False
    return bool(value == _hash(email))
