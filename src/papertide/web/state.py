"""What the app holds for its lifetime (built by create_app, never at import time)."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

from fastapi import Request
from fastapi.templating import Jinja2Templates
from prometheus_client import CollectorRegistry
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from papertide.config import Settings
from papertide.jobs.queue import JobQueue, build_queue
from papertide.models import SeedOwner
from papertide.rank.recommend import RankerCache, Recommendation, recommend
from papertide.search.follower import IndexFollower
from papertide.web.ratelimit import RateLimits
from papertide.web.security import SessionCodec

T = TypeVar("T")


class TTLCache:
    """A tiny thread-safe cache for rendered pages and query results.

    Entries are fresh for `ttl` seconds: long enough to absorb a burst of identical requests,
    short enough that other nodes (which cannot see our invalidations) show a new vote almost at
    once. `get_or_refresh` also serves an entry up to `grace` seconds past its ttl while exactly
    one caller renders the new one, so an expiry under load does not send every waiting request
    to the database at the same moment.
    """

    def __init__(self, ttl: float, max_entries: int = 2048, grace: float = 10.0) -> None:
        self.ttl = ttl
        self.grace = grace
        self.max_entries = max_entries
        self._data: dict[Any, tuple[float, Any]] = {}
        self._refreshing: set[Any] = set()
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any | None:
        hit = self._data.get(key)
        if hit is None or hit[0] < time.monotonic():
            return None
        return hit[1]

    def get_or_refresh(self, key: Any) -> Any | None:
        """The entry if fresh; a stale one while someone else refreshes it; None = render it."""
        hit = self._data.get(key)
        if hit is None:
            return None
        expires, value = hit
        now = time.monotonic()
        if expires >= now:
            return value
        if expires + self.grace < now:
            return None
        with self._lock:
            if key in self._refreshing:
                return value
            self._refreshing.add(key)
        return None

    def set(self, key: Any, value: Any) -> None:
        with self._lock:
            if len(self._data) >= self.max_entries:
                self._data.clear()
            self._data[key] = (time.monotonic() + self.ttl, value)
            self._refreshing.discard(key)

    def abandon(self, key: Any) -> None:
        """The refresh of `key` failed or produced nothing cacheable: let another caller try."""
        with self._lock:
            self._refreshing.discard(key)

    def get_or_set(self, key: Any, make: Callable[[], T]) -> T:
        value = self.get(key)
        if value is None:
            value = make()
            self.set(key, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._refreshing.clear()


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
    # Lists that change only when papers are imported (the categories this instance holds):
    # minutes old is fine, and a vote does not clear them.
    facets: TTLCache = field(default_factory=lambda: TTLCache(ttl=300.0))
    # Each app has its own registry (no module globals): apps in one process never mix numbers.
    metrics: CollectorRegistry = field(default_factory=CollectorRegistry)
    # "For you" and its feed: one ranker per pool (a week's listing), shared by every reader.
    rankers: RankerCache = field(default_factory=RankerCache)
    index_follower: IndexFollower | None = None
    _job_queue: JobQueue | None = None
    _job_queue_lock: threading.Lock = field(default_factory=threading.Lock)

    def invalidate(self) -> None:
        """Forget cached pages and data after a write (a vote, a submission, a hide)."""
        self.pages.clear()
        self.data.clear()

    def recommendations(self, db: Session, owner: SeedOwner, limit: int) -> list[Recommendation]:
        """For you: this instance's pool (its categories' listing and its feed), best first."""
        return recommend(
            db,
            owner,
            self.settings.now(),
            categories=self.settings.categories,
            cache=self.rankers,
            limit=limit,
        )

    def warm_for_you(self) -> None:
        """Build this node's For-you ranker for the current pool if it has none yet, so the
        first reader after a new listing day does not wait for it (seconds for a week of a big
        listing). Called by the node's follower between index syncs; a cache hit costs one
        query of the pool's ids."""
        with self.sessions() as db:
            self.rankers.ranker(db, self.settings.now(), categories=self.settings.categories)

    def job_queue(self) -> JobQueue:
        """This app's handle on the job queue, built on first use: most pages never need it."""
        with self._job_queue_lock:
            if self._job_queue is None:
                self._job_queue = build_queue(self.settings, engine=self.engine)
            return self._job_queue


def page_key(scope: Any) -> tuple[str, bytes]:
    """The page cache key of a request: its path and raw query string."""
    return scope["path"], scope.get("query_string", b"")


def not_modified(
    if_none_match: str | None,
    if_modified_since: str | None,
    etag: str | None,
    last_modified: dt.datetime | None,
) -> bool:
    """RFC 9110 conditional GET: does the client already hold this version?

    If-None-Match decides when present (weak comparison); otherwise If-Modified-Since.
    """
    if if_none_match is not None:
        if not etag:
            return False
        tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
        return "*" in tags or etag.removeprefix("W/") in tags
    if if_modified_since and last_modified is not None:
        try:
            when = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        return last_modified.replace(microsecond=0) <= when
    return False


def web_state(request: Request) -> WebState:
    return request.app.state.web
