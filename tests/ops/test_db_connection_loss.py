"""Database connections killed under a running node (what a PostgreSQL restart does to them).

Every request must end with a whole response, 200 or 503 with Retry-After; none may be cut off
its connection, and the node must serve normally again as soon as the database is back.
"""

from __future__ import annotations

import threading
import time
import uuid

import httpx
import pytest
from sqlalchemy import Engine, text

from papertide.config import Settings
from papertide.ingest.sample import load_demo_data
from papertide.store.db import make_engine, request_session, session_factory
from papertide.web.app import create_app

from .serving import serving

PG_ONLY = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)


def _tagged(url: str, tag: str) -> str:
    return f"{url}&application_name={tag}"


def _terminate(admin: Engine, tag: str) -> int:
    """Kill every server process of connections tagged `tag`, as a server shutdown does."""
    with admin.begin() as conn:
        return int(
            conn.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE application_name = :tag"
                ),
                {"tag": tag},
            ).scalar_one()
        )


@PG_ONLY
def test_closing_a_session_whose_connection_was_killed_does_not_raise(
    settings: Settings, engine: Engine
) -> None:
    tag = f"pt-loss-{uuid.uuid4().hex[:8]}"
    app_engine = make_engine(_tagged(settings.effective_database_url, tag))
    try:
        factory = session_factory(app_engine)
        with request_session(factory) as session:
            assert session.execute(text("SELECT 1")).scalar_one() == 1  # a transaction is open
            assert _terminate(engine, tag) == 1
        # The broken connection was dropped, not returned to the pool for the next request.
        with request_session(factory) as session:
            assert session.execute(text("SELECT 2")).scalar_one() == 2
    finally:
        app_engine.dispose()


@PG_ONLY
def test_requests_while_connections_are_killed_end_in_200_or_503_never_cut(
    settings: Settings, engine: Engine
) -> None:
    load_demo_data(settings, engine)
    tag = f"pt-loss-{uuid.uuid4().hex[:8]}"
    settings = settings.model_copy(
        update={"database_url": _tagged(settings.effective_database_url, tag)}
    )
    app = create_app(settings)
    paths = ["/api/daily_papers?limit=5", "/feed.rss", "/api/trending", "/trending", "/"]
    statuses: dict[int, int] = {}
    failures: list[str] = []
    missing_retry_after: list[str] = []
    stop = threading.Event()
    lock = threading.Lock()

    def client(base: str, worker: int) -> None:
        # Keep-alive connections, like a browser or a proxy: a response cut after it was sent
        # shows up as a broken connection on the next request.
        with httpx.Client(base_url=base, timeout=30) as http:
            n = 0
            while not stop.is_set():
                path = paths[(worker + n) % len(paths)]
                # A query string the page cache has not seen, so every request reaches the DB.
                sep = "&" if "?" in path else "?"
                try:
                    response = http.get(f"{path}{sep}n={worker}-{n}")
                except httpx.TransportError as exc:
                    with lock:
                        failures.append(f"{path}: {type(exc).__name__}: {exc}")
                    continue
                finally:
                    n += 1
                with lock:
                    statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                    if response.status_code == 503 and "retry-after" not in response.headers:
                        missing_retry_after.append(path)

    with serving(app) as base:
        threads = [threading.Thread(target=client, args=(base, i)) for i in range(4)]
        for thread in threads:
            thread.start()
        killed = 0
        try:
            deadline = time.monotonic() + 4
            while time.monotonic() < deadline:
                killed += _terminate(engine, tag)
                time.sleep(0.05)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=60)
        after = httpx.get(f"{base}/api/daily_papers?limit=5", timeout=30)

    assert killed > 10, "the test did not manage to kill connections under load"
    assert failures == []
    assert set(statuses) <= {200, 503}, statuses
    assert statuses.get(200, 0) > 0
    assert missing_retry_after == []
    assert after.status_code == 200
