"""The one queue and scheduler: which background jobs exist, when they run, and how.

Library: huey 3.5.4. It has the two backends papertide needs and nothing more — SqliteHuey (a
file in the data folder, no server: one machine) and RedisHuey (`PAPERTIDE_REDIS_URL`: any number
of workers on many machines) — plus a cron-like scheduler, retries with exponential backoff and a
consumer that runs as threads. It is one small pure-Python package. (procrastinate would need
PostgreSQL even on a laptop; dramatiq needs a separate scheduler such as APScheduler; celery is
much heavier than four periodic jobs warrant.)

What huey does not give across nodes, papertide adds in the shared database (`ops/jobstate.py`):
a lease per job name, so a job never runs twice at once whichever worker picked it up, and a
history of every run (status, attempt, error, result) for `papertide jobs …` and the admin page.

The jobs call the other parts of papertide by name, imported inside the job, so a worker starts
and keeps running even when one part is missing or broken; that job records a clear failure.
Nothing here runs at import time: `build_queue(settings)` makes the queue and registers the jobs.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import importlib
import logging
import threading
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from papertide.config import Settings

if TYPE_CHECKING:
    from huey import Huey
    from huey.api import TaskWrapper
    from sqlalchemy import Engine

log = logging.getLogger("papertide.jobs")

JobFunction = Callable[[Settings, "Engine"], Any]

# Papers embedded per run of embed_and_sync (about a minute of CPU for the bundled model).
EMBED_BATCH = 2000


class JobUnavailable(Exception):
    """A part the job needs is not installed or not importable; retrying will not help."""


@dataclass(frozen=True)
class Schedule:
    """Cron fields (UTC) as huey's crontab takes them; `text` is what people read."""

    minute: str = "*"
    hour: str = "*"
    day_of_week: str = "*"

    @property
    def text(self) -> str:
        return f"{self.minute} {self.hour} * * {self.day_of_week}"


@dataclass(frozen=True)
class JobSpec:
    name: str
    description: str
    schedule: Schedule
    run: JobFunction
    # A lease longer than the slowest normal run; it is renewed while the job is alive anyway.
    lease_seconds: float = 120.0
    retries: int = 3
    retry_delay: float = 60.0  # then x2 per attempt: 60 s, 120 s, 240 s
    retry_backoff: float = 2.0


def require(module: str, attr: str) -> Any:
    """`module.attr`, or JobUnavailable saying which piece is missing and why."""
    try:
        mod = importlib.import_module(module)
    except Exception as exc:  # ImportError, or a broken module raising anything at import
        raise JobUnavailable(
            f"{module}.{attr} is not available ({type(exc).__name__}: {exc})"
        ) from None
    value = getattr(mod, attr, None)
    if value is None:
        raise JobUnavailable(f"{module}.{attr} is not available ({module} has no {attr!r})")
    return value


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value)


def as_result(value: Any) -> dict[str, Any]:
    """What a job returned, as the JSON object stored with its run."""
    out = _jsonable(value)
    return out if isinstance(out, dict) else {"result": out}


# The jobs --------------------------------------------------------------------------------------
# Each is a thin adapter onto another part's public function; all are idempotent by design of
# the part they call (upserts keyed by arXiv id, an `updated_at` cursor for the index, one
# delivery row per recipient and period for digests).


PHYSICS_ARCHIVES = frozenset(
    [
        "astro-ph",
        "cond-mat",
        "gr-qc",
        "hep-ex",
        "hep-lat",
        "hep-ph",
        "hep-th",
        "math-ph",
        "nlin",
        "nucl-ex",
        "nucl-th",
        "physics",
        "quant-ph",
    ]
)
# New listings can carry a datestamp a day or two old; re-reading them is harmless (upserts).
LOOKBACK_DAYS = 3


def oai_set(category: str) -> str:
    """arXiv OAI-PMH set for a category: cs.LG -> cs:cs:LG, hep-th -> physics:hep-th."""
    archive, _, sub = category.partition(".")
    group = "physics" if archive in PHYSICS_ARCHIVES else archive
    if not sub:
        return f"physics:{archive}" if group == "physics" and archive != "physics" else archive
    return f"{group}:{archive}:{sub}"


def _unfinished_from(engine: Engine, set_spec: str) -> str | None:
    """The from-date of a harvest of this set that was cut off, so the next run resumes it."""
    from sqlalchemy import select

    from papertide.store.schema import HarvestState

    prefix = f"arxiv-oai|arXiv|{set_spec}|"
    with engine.connect() as conn:
        keys = conn.execute(
            select(HarvestState.key)
            .where(HarvestState.key.startswith(prefix), HarvestState.status == "running")
            .order_by(HarvestState.updated_at.desc())
        ).scalars()
        for key in keys:
            parts = key.split("|")
            if len(parts) == 5 and parts[3] and not parts[4]:
                return parts[3]
    return None


def ingest_arxiv(settings: Settings, engine: Engine) -> Any:
    """Harvest new arXiv listings (OAI-PMH) for settings.categories; a cut-off run resumes."""
    harvest = require("papertide.ingest.arxiv_oai", "harvest")
    default_from = (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=LOOKBACK_DAYS)).isoformat()
    reports: dict[str, Any] = {}
    for set_spec in dict.fromkeys(oai_set(c) for c in settings.categories):
        from_date = _unfinished_from(engine, set_spec) or default_from
        report = harvest(
            settings,
            engine,
            set_spec=set_spec,
            from_date=from_date,
            report_dir=settings.data_dir / "reports",
        )
        reports[set_spec] = report.to_dict() if hasattr(report, "to_dict") else report
    return reports


def embed_and_sync(settings: Settings, engine: Engine) -> Any:
    """Index new papers by keyword at once, embed a batch of them, then index their vectors.

    Keyword sync comes first so a new paper is findable within one run even while a backlog is
    being embedded; each run embeds at most EMBED_BATCH papers so the lease stays short.
    """
    get_searcher = require("papertide.search.api", "get_searcher")
    embed_pending = require("papertide.embed.job", "embed_pending")
    get_embedder = require("papertide.embed.registry", "get_embedder")
    searcher = get_searcher(settings)
    first = searcher.sync(engine)
    embedded = embed_pending(engine, get_embedder(settings), limit=EMBED_BATCH)
    second = searcher.sync(engine) if embedded.embedded else None
    return {"sync": first, "embedded": embedded, "vector_sync": second}


def refresh_trending(settings: Settings, engine: Engine) -> Any:
    """Recompute trending for every window (the web caches it briefly; this keeps it warm)."""
    refresh = None
    with contextlib.suppress(JobUnavailable):
        refresh = require("papertide.rank.trending", "refresh_trending")
    if refresh is not None:
        return refresh(settings, engine)
    trending_papers = require("papertide.rank.trending", "trending_papers")
    windows = require("papertide.rank.trending", "WINDOWS")
    from sqlalchemy.orm import Session

    now = dt.datetime.now(dt.UTC)
    with Session(engine) as session:
        return {w: len(trending_papers(session, w, now)) for w in windows}


def send_digests(settings: Settings, engine: Engine) -> Any:
    """Send the digests and alerts that are due; one delivery row per recipient and period."""
    send_due = require("papertide.digest.send", "send_due")
    return send_due(settings, engine, dt.datetime.now(dt.UTC))


def default_jobs() -> list[JobSpec]:
    """The periodic jobs, in the order they feed each other."""
    return [
        JobSpec(
            "ingest_arxiv",
            "harvest new arXiv listings for the configured categories",
            Schedule(minute="20", hour="*/3"),
            ingest_arxiv,
            lease_seconds=600.0,
        ),
        JobSpec(
            "embed_and_sync",
            "embed new papers and sync the worker's search index",
            Schedule(minute="*"),
            embed_and_sync,
            retry_delay=20.0,
        ),
        JobSpec(
            "refresh_trending",
            "recompute trending (day, week, month)",
            Schedule(minute="*/15"),
            refresh_trending,
        ),
        JobSpec(
            "send_digests",
            "send due digests and alerts",
            Schedule(minute="*/10"),
            send_digests,
            lease_seconds=300.0,
        ),
    ]


# Running one job -------------------------------------------------------------------------------


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
    from papertide.ops.jobstate import LockHeld, finish_run, held_lease, new_holder, start_run

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
    except JobUnavailable as exc:
        finish_run(engine, run_id, "failed", error=str(exc))
        log.error("job unavailable", extra={"job": spec.name, "run": run_id, "error": str(exc)})
        return Outcome(run_id, "failed", str(exc))
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
        from huey import RedisHuey

        return RedisHuey(name, url=settings.redis_url, results=False, utc=True)
    from huey import SqliteHuey

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
                from papertide.store.db import make_engine

                self._engine = make_engine(self.settings.effective_database_url)
            return self._engine

    def _register(self, spec: JobSpec) -> None:
        from huey import crontab

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
            from papertide.ops.jobstate import recent_runs

            last = recent_runs(self.engine, name=name, limit=1)
            return Outcome(last[0].id if last else 0, "failed", f"{type(exc).__name__}: {exc}")

    def resume_interrupted(self) -> list[str]:
        """Enqueue every job whose last run was cut off by a dead worker; returns their names."""
        from papertide.ops.jobstate import interrupted_jobs

        names = [n for n in interrupted_jobs(self.engine) if n in self.specs]
        for name in names:
            self.enqueue(name, trigger="resume")
        return names

    def depth(self) -> dict[str, int]:
        """Tasks waiting now, and tasks scheduled for later (retries waiting out their delay)."""
        return {"pending": int(self.huey.pending_count()), "scheduled": self.huey.scheduled_count()}

    def consumer(self, *, threads: int = 2, scheduler: bool = True, embedded: bool = False) -> Any:
        """A huey consumer; `embedded` ones run inside another program (no signal handlers)."""
        from huey.consumer import Consumer

        cls = _embedded_consumer_class() if embedded else Consumer
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


def _embedded_consumer_class() -> type:
    from huey.consumer import Consumer

    class EmbeddedConsumer(Consumer):
        """Signals belong to the host program (uvicorn, pytest), not to the queue."""

        def _set_signal_handlers(self) -> None:
            return None

    return EmbeddedConsumer


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
