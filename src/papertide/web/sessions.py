"""Server-side sign-in sessions (OWASP ASVS 3.3.1: signing out invalidates the session).

Signing in creates a `user_sessions` row and puts its random key in the signed cookie; only the
key's SHA-256 is stored, so the table leaks no usable cookie. Each signed-in request looks the
row up together with the user (one query, the one `load_user` made anyway); anonymous requests
and the page cache never do. Signing out marks the row revoked, on every node at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from papertide.store.schema import User, UserSession
from papertide.web.security import SESSION_MAX_AGE


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def start_session(db: Session, user: User, now: dt.datetime) -> str:
    """A new session for `user`; returns the key the cookie carries."""
    # Rows of this user's ended sessions go now: the table holds live sessions, not history.
    db.execute(
        delete(UserSession).where(
            UserSession.user_id == user.id,
            or_(UserSession.expires_at <= now, UserSession.revoked_at.is_not(None)),
        )
    )
    key = secrets.token_urlsafe(32)
    db.add(
        UserSession(
            user_id=user.id,
            key_hash=_hash(key),
            created_at=now,
            expires_at=now + dt.timedelta(seconds=SESSION_MAX_AGE),
        )
    )
    return key


def session_user(db: Session, user_id: int, key: str, now: dt.datetime) -> User | None:
    """The user of a live session (`key` from a cookie naming `user_id`), else None."""
    if not key:
        return None
    return db.scalars(
        select(User)
        .join(UserSession, UserSession.user_id == User.id)
        .where(
            UserSession.key_hash == _hash(key),
            UserSession.user_id == user_id,
            UserSession.revoked_at.is_(None),
            UserSession.expires_at > now,
        )
    ).first()


def end_session(db: Session, key: str, now: dt.datetime) -> None:
    """Revoke the session with this key (signing out); nothing when there is none."""
    if key:
        db.execute(
            update(UserSession)
            .where(UserSession.key_hash == _hash(key), UserSession.revoked_at.is_(None))
            .values(revoked_at=now)
        )
