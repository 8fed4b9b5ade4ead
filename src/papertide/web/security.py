"""Signed cookie sessions, CSRF tokens, safe redirects and the security headers.

The session lives in an itsdangerous-signed, HttpOnly, SameSite=Lax cookie, so any node with the
same secret key reads it. A session carries a random id; its CSRF token is an HMAC of that id,
so forms and htmx requests prove they came from our pages. A signed-in session also carries the
key of its row in `user_sessions` (web/sessions.py): anonymous requests never touch the database,
and signing out revokes the row, so an old copy of the cookie signs nobody in.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from itsdangerous import BadSignature, URLSafeTimedSerializer

SESSION_COOKIE = "pt_session"
SESSION_MAX_AGE = 30 * 24 * 3600
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"

# No CDN and no inline code: everything the pages load comes from /static.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


@dataclass
class WebSession:
    """What the session cookie holds; `modified` tells the middleware to write it back."""

    user_id: int | None = None
    key: str = ""  # the server-side session's key (see web/sessions.py); only when signed in
    sid: str = ""
    flash: list[str] = field(default_factory=list)
    # Messages shown next to one element of the next page (its id -> message) rather than at
    # the top, for redirects to an anchor far down the page ("#s-2608.20169"), where a message
    # at the top would be out of sight. The page that has the element takes them
    # (`take_notes`); any left over are shown at the top like `flash`.
    notes: dict[str, str] = field(default_factory=dict)
    modified: bool = False
    cleared: bool = False

    def ensure_sid(self) -> str:
        if not self.sid:
            self.sid = secrets.token_urlsafe(16)
            self.modified = True
        return self.sid

    def sign_in(self, user_id: int, key: str) -> None:
        # A new id on sign-in: a token planted before sign-in is useless after it.
        self.user_id = user_id
        self.key = key
        self.sid = secrets.token_urlsafe(16)
        self.modified = True

    def sign_out(self) -> None:
        self.user_id = None
        self.key = ""
        self.sid = ""
        self.flash = []
        self.notes = {}
        self.cleared = True
        self.modified = True

    def add_flash(self, message: str) -> None:
        self.ensure_sid()
        self.flash.append(message)
        self.modified = True

    def add_note(self, anchor: str, message: str) -> None:
        """A message for the element `anchor` (an id) of the next page; see `notes`."""
        self.ensure_sid()
        self.notes[anchor] = message
        self.modified = True

    def take_notes(self, anchors: Iterable[str]) -> dict[str, str]:
        """The notes for those of `anchors` the page shows, removed from the session."""
        taken = {a: self.notes.pop(a) for a in anchors if a in self.notes}
        if taken:
            self.modified = True
        return taken

    @property
    def has_messages(self) -> bool:
        return bool(self.flash or self.notes)

    def pop_flash(self) -> list[str]:
        """The messages for the top of the page: flash messages and notes no element took."""
        messages, self.flash = [*self.flash, *self.notes.values()], []
        self.notes = {}
        if messages:
            self.modified = True
        return messages


class SessionCodec:
    """Turns a WebSession into a signed cookie value and back."""

    def __init__(self, secret: str) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="papertide.session")
        self._csrf_key = hashlib.sha256(f"papertide.csrf:{secret}".encode()).digest()

    def dumps(self, session: WebSession) -> str:
        data: dict[str, Any] = {"s": session.sid}
        if session.user_id is not None:
            data["u"] = session.user_id
            data["k"] = session.key
        if session.flash:
            data["f"] = session.flash[-5:]
        if session.notes:
            data["n"] = dict(list(session.notes.items())[-5:])
        return self._serializer.dumps(data)

    def loads(self, value: str | None) -> WebSession:
        if not value:
            return WebSession()
        try:
            data = self._serializer.loads(value, max_age=SESSION_MAX_AGE)
        except BadSignature:
            # A forged or expired cookie is an anonymous visitor, and the cookie gets replaced.
            return WebSession(modified=True, cleared=True)
        if not isinstance(data, dict):
            return WebSession(modified=True, cleared=True)
        user_id, key = data.get("u"), data.get("k")
        flash = data.get("f")
        notes = data.get("n")
        if not isinstance(user_id, int) or not isinstance(key, str) or not key:
            user_id, key = None, ""  # e.g. a cookie from before sessions were stored
        return WebSession(
            user_id=user_id,
            key=key,
            sid=str(data.get("s") or ""),
            flash=[str(m) for m in flash] if isinstance(flash, list) else [],
            notes={str(k): str(v) for k, v in notes.items()} if isinstance(notes, dict) else {},
        )

    def csrf_token(self, session: WebSession) -> str:
        sid = session.ensure_sid()
        return hmac.new(self._csrf_key, sid.encode(), hashlib.sha256).hexdigest()

    def csrf_valid(self, session: WebSession, token: str | None) -> bool:
        if not token or not session.sid:
            return False
        expected = hmac.new(self._csrf_key, session.sid.encode(), hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, token)


def safe_next(target: str | None, default: str = "/") -> str:
    """`target` if it is a path on this site, else `default` (no open redirects)."""
    if not target:
        return default
    target = target.strip()
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target
