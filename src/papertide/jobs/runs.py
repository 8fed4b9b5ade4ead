"""Job history and cross-node leases, kept in the database every node already shares.

A lease (one row per job name in `job_locks`) makes sure the same job never runs twice at once,
whichever worker, node or queue backend picked it up. It expires unless renewed, so a worker
that is killed does not block the job forever; on the same machine a lease whose process is gone
is taken over at once.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from papertide.store.schema import JobLock, JobRun, utcnow

HOST = socket.gethostname()


def new_holder() -> str:
    """host:pid:token — unique per attempt, and says which process to check for liveness."""
    return f"{HOST}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _holder_is_dead(holder: str) -> bool:
    """True when `holder` ran on this machine and its process has exited."""
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != HOST or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class LockHeld(Exception):
    """The job is running elsewhere; `holder` says where."""

    def __init__(self, name: str, holder: str) -> None:
        super().__init__(f"{name} is already running ({holder})")
        self.holder = holder


def acquire_lease(engine: Engine, name: str, holder: str, ttl: float) -> None:
    """Take the lease on `name` or raise LockHeld."""
    now = utcnow()
    expires = now + dt.timedelta(seconds=ttl)
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(JobLock).values(
                    name=name, holder=holder, acquired_at=now, expires_at=expires
                )
            )
        return
    except IntegrityError:
        pass
    with engine.begin() as conn:
        current = conn.execute(
            select(JobLock.holder, JobLock.expires_at).where(JobLock.name == name)
        ).first()
        if current is None:  # released in between: try again from the start
            pass
        elif current.expires_at > now and not _holder_is_dead(current.holder):
            raise LockHeld(name, current.holder)
        else:
            # Compare-and-set on the old holder: of two nodes taking over, exactly one wins.
            taken = conn.execute(
                update(JobLock)
                .where(JobLock.name == name, JobLock.holder == current.holder)
                .values(holder=holder, acquired_at=now, expires_at=expires)
            ).rowcount
            if taken != 1:
                raise LockHeld(name, "another node taking over")
            conn.execute(
                update(JobRun)
                .where(JobRun.node == current.holder, JobRun.status == "running")
                .values(status="interrupted", finished_at=now, error="worker stopped mid-run")
            )
            return
    acquire_lease(engine, name, holder, ttl)


def renew_lease(engine: Engine, name: str, holder: str, ttl: float) -> bool:
    with engine.begin() as conn:
        return (
            conn.execute(
                update(JobLock)
                .where(JobLock.name == name, JobLock.holder == holder)
                .values(expires_at=utcnow() + dt.timedelta(seconds=ttl))
            ).rowcount
            == 1
        )


def release_lease(engine: Engine, name: str, holder: str) -> None:
    with engine.begin() as conn:
        conn.execute(delete(JobLock).where(JobLock.name == name, JobLock.holder == holder))


@contextmanager
def held_lease(engine: Engine, name: str, holder: str, ttl: float) -> Iterator[None]:
    """Hold the lease while the block runs, renewing it from a thread every ttl/3 seconds."""
    acquire_lease(engine, name, holder, ttl)
    stop = threading.Event()

    def heartbeat() -> None:
        while not stop.wait(ttl / 3):
            try:
                renew_lease(engine, name, holder, ttl)
            except Exception:  # a database blip: the next beat retries before the lease ends
                continue

    beat = threading.Thread(target=heartbeat, name=f"lease-{name}", daemon=True)
    beat.start()
    try:
        yield
    finally:
        stop.set()
        beat.join(timeout=5)
        release_lease(engine, name, holder)


# Run records -----------------------------------------------------------------------------------


def start_run(
    engine: Engine, name: str, *, trigger: str, node: str, task_id: str | None, attempt: int
) -> int:
    with engine.begin() as conn:
        result = conn.execute(
            insert(JobRun)
            .values(
                name=name,
                trigger=trigger,
                node=node,
                task_id=task_id,
                attempt=attempt,
                status="running",
                started_at=utcnow(),
                result={},
            )
            .returning(JobRun.id)
        )
        return int(result.scalar_one())


def finish_run(
    engine: Engine,
    run_id: int,
    status: str,
    *,
    error: str | None = None,
    result: dict[str, Any] | None = None,
) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(JobRun)
            .where(JobRun.id == run_id)
            .values(status=status, finished_at=utcnow(), error=error, result=result or {})
        )


@dataclass(frozen=True)
class RunView:
    id: int
    name: str
    trigger: str
    attempt: int
    status: str
    node: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    error: str | None
    result: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "trigger": self.trigger,
            "attempt": self.attempt,
            "status": self.status,
            "node": self.node,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "error": self.error,
            "result": self.result,
        }


def run_view(row: JobRun) -> RunView:
    return RunView(
        id=row.id,
        name=row.name,
        trigger=row.trigger,
        attempt=row.attempt,
        status=row.status,
        node=row.node,
        started_at=row.started_at,
        finished_at=row.finished_at,
        error=row.error,
        result=row.result or {},
    )


def recent_runs(
    engine: Engine, *, name: str | None = None, status: str | None = None, limit: int = 50
) -> list[RunView]:
    query = select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(limit)
    if name:
        query = query.where(JobRun.name == name)
    if status:
        query = query.where(JobRun.status == status)
    with Session(engine) as session:
        return [run_view(r) for r in session.scalars(query)]


def run_counts(engine: Engine) -> dict[tuple[str, str], int]:
    """(job, status) -> number of runs: the `papertide_job_runs` metric."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(JobRun.name, JobRun.status, func.count()).group_by(JobRun.name, JobRun.status)
        )
        return {(name, status): int(n) for name, status, n in rows}


def current_leases(engine: Engine) -> dict[str, tuple[str, dt.datetime]]:
    with engine.connect() as conn:
        rows = conn.execute(select(JobLock.name, JobLock.holder, JobLock.expires_at))
        return {name: (holder, expires) for name, holder, expires in rows}


def interrupted_jobs(engine: Engine) -> list[str]:
    """Jobs whose latest run was cut short (its worker died): the ones to resume at start-up."""
    names: list[str] = []
    leases = current_leases(engine)
    now = utcnow()
    with engine.connect() as conn:
        latest = (
            select(JobRun.name, func.max(JobRun.id).label("last")).group_by(JobRun.name).subquery()
        )
        rows = conn.execute(
            select(JobRun.name, JobRun.status, JobRun.node).join(latest, JobRun.id == latest.c.last)
        )
        for name, status, node in rows:
            if status == "interrupted":
                names.append(name)
            elif status == "running":
                lease = leases.get(name)
                alive = lease is not None and lease[0] == node and lease[1] > now
                if not alive or _holder_is_dead(node):
                    names.append(name)
    return sorted(names)


def recent_failures(engine: Engine, *, limit: int = 20) -> list[RunView]:
    """Failed, retrying and interrupted runs, newest first."""
    query = (
        select(JobRun)
        .where(JobRun.status.in_(("failed", "retrying", "interrupted")))
        .order_by(JobRun.started_at.desc(), JobRun.id.desc())
        .limit(limit)
    )
    with Session(engine) as session:
        return [run_view(r) for r in session.scalars(query)]
