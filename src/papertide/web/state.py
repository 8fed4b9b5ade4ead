"""What the app holds for its lifetime (built by create_app, never at import time)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from fastapi import Request
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from papertide.config import Settings
from papertide.web.ratelimit import RateLimits
from papertide.web.security import SessionCodec

T = TypeVar("T")


class TTLCache:
    """A tiny thread-safe cache for rendered pages and query results.

    Entries live a few seconds: long enough to absorb a burst of identical requests, short enough
    that other nodes (which cannot see our invalidations) show a new vote almost at once.
    """

    def __init__(self, ttl: float, max_entries: int = 2048) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._data: dict[Any, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any | None:
        hit = self._data.get(key)
        if hit is None or hit[0] < time.monotonic():
            return None
        return hit[1]

    def set(self, key: Any, value: Any) -> None:
        with self._lock:
            if len(self._data) >= self.max_entries:
                self._data.clear()
            self._data[key] = (time.monotonic() + self.ttl, value)

    def get_or_set(self, key: Any, make: Callable[[], T]) -> T:
        value = self.get(key)
        if value is None:
            value = make()
            self.set(key, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


@dataclass
class WebState:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    codec: SessionCodec
    limits: RateLimits
    templates: Jinja2Templates
    pages: TTLCache = field(default_factory=lambda: TTLCache(ttl=5.0))
    data: TTLCache = field(default_factory=lambda: TTLCache(ttl=5.0))
    searcher: Any = None
    searcher_error: str | None = None

    def invalidate(self) -> None:
        """Forget cached pages and data after a write (a vote, a submission, a hide)."""
        self.pages.clear()
        self.data.clear()


def web_state(request: Request) -> WebState:
    return request.app.state.web
