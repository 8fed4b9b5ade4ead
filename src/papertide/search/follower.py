"""Keeps one node's index files in step with the database: a sync every `interval` seconds.

The interval (settings.index_sync_seconds) bounds how long a new paper takes to become
searchable on every node; a node started without an index builds it this way.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy import Engine

from papertide.config import Settings
from papertide.search.api import get_searcher

log = logging.getLogger("papertide.search")


class IndexFollower:
    """A background thread syncing this node's index; start() and stop() around serving.

    `also`: other work that keeps this node in step with the database on the same beat (the
    web app warms its For-you ranker here), run before each sync so a long embedding run does
    not hold it up; its failures are logged apart from the index's.
    """

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        interval: float,
        also: Callable[[], None] | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.interval = interval
        self.also = also
        self.stop_event = threading.Event()
        self.thread: threading.Thread | None = None
        self.last_ok: float | None = None
        self.last_error: str | None = None

    def sync_once(self) -> None:
        # Asked between batches, so a shutdown never waits on (or kills) a long embedding run.
        get_searcher(self.settings).sync(
            self.engine,
            embed=self.settings.index_follower_embeds,
            should_stop=self.stop_event.is_set,
        )
        self.last_ok = time.time()
        self.last_error = None

    def _loop(self) -> None:
        while not self.stop_event.is_set():
            if self.also is not None:
                try:
                    self.also()
                except Exception as exc:  # same: a bad round must not stop the follower
                    log.warning(
                        "follower task failed", extra={"error": f"{type(exc).__name__}: {exc}"}
                    )
            try:
                self.sync_once()
            except Exception as exc:  # database down, disk full: log, keep trying
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.warning("index sync failed", extra={"error": self.last_error})
            self.stop_event.wait(self.interval)

    def start(self) -> None:
        self.thread = threading.Thread(target=self._loop, name="index-follower", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.stop_event.set()
        if self.thread is not None:
            self.thread.join(timeout=30)
