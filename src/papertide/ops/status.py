"""Probes shared by /readyz, /metrics and the admin job page: each answers, never raises.

The search index's health is `papertide.search.state.index_health`.
"""

from __future__ import annotations

import logging

from sqlalchemy import Engine, text

from papertide.jobs.queue import JobQueue
from papertide.jobs.runs import run_counts

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
