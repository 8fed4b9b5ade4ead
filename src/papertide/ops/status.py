"""Probes shared by /readyz, /metrics and the admin job page: each answers, never raises."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import Engine, and_, func, or_, select, text

from papertide.config import Settings
from papertide.jobs.queue import JobQueue
from papertide.jobs.runs import run_counts
from papertide.search.sync import read_state
from papertide.store.schema import Paper, utcnow

log = logging.getLogger("papertide.ops")


def database_ok(engine: Engine) -> bool:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:
        return False
    return True


def database_error(engine: Engine) -> str | None:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        return str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:300]
    return None


def job_counts(engine: Engine) -> dict[tuple[str, str], int]:
    try:
        return run_counts(engine)
    except Exception:
        return {}


def queue_depth(queue: JobQueue) -> dict[str, int | None]:
    try:
        depth = queue.depth()
        return {"pending": depth["pending"], "scheduled": depth["scheduled"]}
    except Exception as exc:
        log.warning("queue depth unavailable: %s", exc)
        return {"pending": None, "scheduled": None}


def _cursor(state: dict[str, Any]) -> tuple[dt.datetime, int] | None:
    cursor = state.get("papers_cursor")
    if not isinstance(cursor, list | tuple) or len(cursor) != 2:
        return None
    when = dt.datetime.fromisoformat(str(cursor[0]))
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when, int(cursor[1])


def index_status(settings: Settings, engine: Engine) -> dict[str, Any]:
    """Is this node's index built and loadable, and how far behind the database is it?

    Lag is the age of the oldest database change the index has not seen yet (0 when current);
    `papers_behind` counts those papers.
    """
    index_dir = settings.effective_index_dir
    try:
        state = read_state(index_dir)
    except Exception as exc:
        return {"ok": False, "error": f"index at {index_dir} unreadable: {exc}"}
    if state is None:
        return {"ok": False, "error": f"no index built yet at {index_dir}"}
    cursor = _cursor(state)
    if cursor is None:
        return {"ok": False, "error": "index state has no papers cursor"}
    since, last_id = cursor
    after = or_(Paper.updated_at > since, and_(Paper.updated_at == since, Paper.id > last_id))
    try:
        with engine.connect() as conn:
            behind, oldest = conn.execute(
                select(func.count(), func.min(Paper.updated_at)).where(after)
            ).one()
    except Exception as exc:
        return {"ok": True, "error": f"database unavailable: {exc}", "lag_seconds": None}
    lag = 0.0
    # min() keeps the column type, so this is already an aware UTC datetime.
    if behind and isinstance(oldest, dt.datetime):
        oldest_at = oldest if oldest.tzinfo else oldest.replace(tzinfo=dt.UTC)
        lag = max(0.0, (utcnow() - oldest_at).total_seconds())
    return {
        "ok": True,
        "papers_behind": int(behind),
        "lag_seconds": lag,
        "cursor": [since.isoformat(), last_id],
    }
