"""Sign-in links: single use, valid 15 minutes, signed; only a hash of each token is stored."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from papertide.store.schema import LoginToken, User

TOKEN_MINUTES = 15
EMAIL = re.compile(
    r"^[^@\s<>\"',;]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9\-]{0,62}\.)+[A-Za-z0-9\-]{2,63}$"
)


class SignInError(Exception):
    """A link that cannot sign anyone in; the message says why."""


def normalise_email(value: str) -> str | None:
    email = value.strip().lower()
    return email if len(email) <= 320 and EMAIL.match(email) else None


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


def redeem_token(session: Session, secret: str, token: str, now: dt.datetime) -> tuple[User, str]:
    """The user the token signs in (created on first sign-in) and where to go next."""
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
    return user, str(data.get("x") or "/")


def _create_user(session: Session, email: str, now: dt.datetime) -> User:
    base = re.sub(r"[^a-z0-9_-]+", "-", email.split("@", 1)[0].lower()).strip("-")[:24] or "reader"
    name = base
    for attempt in range(1, 50):
        taken = session.scalar(select(func.count()).where(User.name == name))
        if not taken:
            break
        name = f"{base}-{attempt + 1}" if attempt < 10 else f"{base}-{secrets.token_hex(3)}"
    user = User(email=email, name=name, created_at=now)
    try:
        with session.begin_nested():
            session.add(user)
    except IntegrityError:  # a concurrent sign-up took the name: fall back to a random suffix
        user = User(email=email, name=f"{base}-{secrets.token_hex(4)}", created_at=now)
        session.add(user)
        session.flush()
    return user
