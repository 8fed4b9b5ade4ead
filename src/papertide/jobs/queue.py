"""The one queue and scheduler: huey wiring, running a job under its lease, and the workers.

Library: huey. It has the two backends papertide needs and nothing more — SqliteHuey (a file in
the data folder, no server: one machine) and RedisHuey (`PAPERTIDE_REDIS_URL`: any number of
workers on many machines) — plus a cron-like scheduler, retries with exponential backoff and a
consumer that runs as threads. (procrastinate would need PostgreSQL even on a laptop; dramatiq
needs a separate scheduler; celery is much heavier than a few periodic jobs warrant.)

What huey does not give across nodes, `jobs.runs` adds in the shared database: a lease per job
name, so a job never runs twice at once whichever worker picked it up, and a history of every run.
Nothing here runs at import time: `build_queue(settings)` makes the queue and registers the jobs.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey, crontab
from huey.api import TaskWrapper
from huey.consumer import Consumer
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from papertide.config import Settings
from papertide.jobs.runs import (
    LockHeld,
    current_leases,
    finish_run,
    held_lease,
    interrupted_jobs,
    new_holder,
    recent_failures,
    recent_runs,
    run_view,
    start_run,
)
from papertide.jobs.specs import JobSpec, as_result, default_jobs
from papertide.store.db import make_engine
from papertide.store.schema import JobRun, utcnow

log = logging.getLogger("papertide.jobs")


@dataclass(frozen=True)
class Outcome:
    run_id: int
    status: str  # ok | failed | retrying | skipped
    error: str | None = None


def _error_text(exc: BaseException) -> str:
    tail = "".join(traceback.format_exception(exc)[-6:])
    return f"{type(exc).__name__}: {exc}\n{tail}"[:8000]


def execute_job(
    settings: Settings,
    engine: Engine,
    spec: JobSpec,
    *,
    trigger: str = "manual",
    task_id: str | None = None,
    attempt: int = 1,
    retries_left: int = 0,
) -> Outcome:
    """Run `spec` once under its lease and record the run; raise only to ask for a retry."""
    holder = new_holder()
    run_id = start_run(
        engine, spec.name, trigger=trigger, node=holder, task_id=task_id, attempt=attempt
    )
    log.info("job started", extra={"job": spec.name, "run": run_id, "attempt": attempt})
    try:
        with held_lease(engine, spec.name, holder, spec.lease_seconds):
            result = spec.run(settings, engine)
    except LockHeld as exc:
        finish_run(engine, run_id, "skipped", error=str(exc))
        log.info("job skipped", extra={"job": spec.name, "run": run_id, "reason": str(exc)})
        return Outcome(run_id, "skipped", str(exc))
    except Exception as exc:
        status = "retrying" if retries_left > 0 else "failed"
        try:
            finish_run(engine, run_id, status, error=_error_text(exc))
        except Exception:  # the database itself is down: the retry records it later
            log.exception("cannot record job failure", extra={"job": spec.name, "run": run_id})
        log.error(
            "job failed",
            extra={"job": spec.name, "run": run_id, "status": status, "error": str(exc)},
        )
        raise
    finish_run(engine, run_id, "ok", result=as_result(result))
    log.info("job finished", extra={"job": spec.name, "run": run_id})
    return Outcome(run_id, "ok")


# The queue -------------------------------------------------------------------------------------


def make_huey(settings: Settings, *, name: str | None = None) -> Huey:
    """RedisHuey when settings.redis_url is set (many nodes), else SqliteHuey in the data folder."""
    name = name or settings.queue_name
    if settings.redis_url:
        return RedisHuey(name, url=settings.redis_url, results=False, utc=True)
    settings.ensure_data_dir()
    return SqliteHuey(
        name, filename=str(settings.data_dir / "jobs.sqlite3"), results=False, utc=True
    )


class JobQueue:
    """The huey instance with papertide's jobs registered on it, and the engine they share."""

    def __init__(
        self,
        settings: Settings,
        *,
        name: str | None = None,
        jobs: Sequence[JobSpec] | None = None,
        engine: Engine | None = None,
    ) -> None:
        self.settings = settings
        self.huey = make_huey(settings, name=name)
        self.specs = {spec.name: spec for spec in (jobs if jobs is not None else default_jobs())}
        self._engine = engine
        self._owns_engine = engine is None
        self._engine_lock = threading.Lock()
        self.tasks: dict[str, TaskWrapper] = {}
        for spec in self.specs.values():
            self._register(spec)

    @property
    def engine(self) -> Engine:
        with self._engine_lock:
            if self._engine is None:
                self._engine = make_engine(self.settings.effective_database_url)
            return self._engine

    def _register(self, spec: JobSpec) -> None:
        def run(trigger: str = "manual", task: Any = None) -> str:
            retries_left = int(task.retries) if task is not None else 0
            outcome = execute_job(
                self.settings,
                self.engine,
                spec,
                trigger=trigger,
                task_id=getattr(task, "id", None),
                attempt=spec.retries - retries_left + 1,
                retries_left=retries_left,
            )
            return outcome.status

        options: dict[str, Any] = {
            "retries": spec.retries,
            "retry_delay": spec.retry_delay,
            "retry_backoff": spec.retry_backoff,
            "context": True,
        }
        self.tasks[spec.name] = self.huey.task(name=spec.name, **options)(run)

        def scheduled(task: Any = None) -> str:
            return run("schedule", task)

        when = crontab(
            minute=spec.schedule.minute,
            hour=spec.schedule.hour,
            day_of_week=spec.schedule.day_of_week,
        )
        self.huey.periodic_task(when, name=f"{spec.name}.schedule", **options)(scheduled)

    def enqueue(self, name: str, trigger: str = "manual") -> str:
        """Put job `name` on the queue now; returns the task id."""
        spec = self.specs.get(name)
        if spec is None:
            raise KeyError(f"no job named {name!r}; jobs: {', '.join(self.specs)}")
        task = self.tasks[name].s(trigger)
        self.huey.enqueue(task)
        return str(task.id)

    def run_now(self, name: str) -> Outcome:
        """Run job `name` in this process, under its lease, without retries (the CLI's `run`)."""
        spec = self.specs.get(name)
        if spec is None:
            raise KeyError(f"no job named {name!r}; jobs: {', '.join(self.specs)}")
        try:
            return execute_job(self.settings, self.engine, spec, trigger="manual")
        except Exception as exc:
            last = recent_runs(self.engine, name=name, limit=1)
            return Outcome(last[0].id if last else 0, "failed", f"{type(exc).__name__}: {exc}")

    def resume_interrupted(self) -> list[str]:
        """Enqueue every job whose last run was cut off by a dead worker; returns their names."""
        names = [n for n in interrupted_jobs(self.engine) if n in self.specs]
        for name in names:
            self.enqueue(name, trigger="resume")
        return names

    def depth(self) -> dict[str, int]:
        """Tasks waiting now, and tasks scheduled for later (retries waiting out their delay)."""
        return {"pending": int(self.huey.pending_count()), "scheduled": self.huey.scheduled_count()}

    def consumer(self, *, threads: int = 2, scheduler: bool = True, embedded: bool = False) -> Any:
        """A huey consumer; `embedded` ones run inside another program (no signal handlers)."""
        cls = EmbeddedConsumer if embedded else Consumer
        return cls(
            self.huey,
            workers=threads,
            worker_type="thread",
            periodic=scheduler,
            scheduler_interval=1,
            # An idle worker polls SQLite at most every 2 s (Redis blocks on the list instead).
            max_delay=2.0,
            check_worker_health=True,
        )

    def close(self) -> None:
        if self._owns_engine and self._engine is not None:
            self._engine.dispose()
        self.huey.storage.close()


class EmbeddedConsumer(Consumer):
    """Signals belong to the host program (uvicorn, pytest), not to the queue."""

    def _set_signal_handlers(self) -> None:
        return None


class EmbeddedWorker:
    """A worker inside another process (e.g. `papertide serve` on one machine): start(), stop()."""

    def __init__(self, queue: JobQueue, *, threads: int = 1, scheduler: bool = True) -> None:
        self.queue = queue
        self.consumer = queue.consumer(threads=threads, scheduler=scheduler, embedded=True)

    def start(self) -> None:
        self.queue.resume_interrupted()
        self.consumer.start()

    def stop(self, timeout: float = 10.0) -> None:
        self.consumer.shutdown_timeout = timeout
        self.consumer.stop(graceful=True)


def build_queue(
    settings: Settings,
    *,
    name: str | None = None,
    jobs: Sequence[JobSpec] | None = None,
    engine: Engine | None = None,
) -> JobQueue:
    """The queue for these settings with the periodic jobs (or `jobs`) registered."""
    return JobQueue(settings, name=name, jobs=jobs, engine=engine)


def jobs_overview(queue: JobQueue) -> dict[str, Any]:
    """Everything `papertide jobs status` and the admin page show, as one JSON object."""
    engine = queue.engine
    since = utcnow() - dt.timedelta(hours=24)
    leases = current_leases(engine)
    now = utcnow()
    jobs: list[dict[str, Any]] = []
    with Session(engine) as session:
        for name, spec in queue.specs.items():
            last = session.scalars(
                select(JobRun)
                .where(JobRun.name == name)
                .order_by(JobRun.started_at.desc(), JobRun.id.desc())
                .limit(1)
            ).first()
            last_ok = session.scalar(
                select(func.max(JobRun.finished_at)).where(
                    JobRun.name == name, JobRun.status == "ok"
                )
            )
            failed = session.scalar(
                select(func.count()).where(
                    JobRun.name == name,
                    JobRun.status.in_(("failed", "interrupted")),
                    JobRun.started_at >= since,
                )
            )
            lease = leases.get(name)
            jobs.append(
                {
                    "name": name,
                    "description": spec.description,
                    "schedule": spec.schedule.text,
                    "retries": spec.retries,
                    "last_run": run_view(last).as_json() if last else None,
                    "last_ok_at": last_ok.isoformat() if last_ok else None,
                    "failed_24h": int(failed or 0),
                    "running_on": lease[0] if lease and lease[1] > now else None,
                }
            )
    depth: dict[str, Any]
    try:
        depth = dict(queue.depth())
    except Exception as exc:  # the queue backend (Redis) is down: say so, keep the rest
        depth = {"pending": None, "scheduled": None, "error": str(exc)}
    return {
        "backend": "redis" if queue.settings.redis_url else "sqlite",
        "queue": depth,
        "jobs": jobs,
        "failures": [r.as_json() for r in recent_failures(engine, limit=20)],
    }
