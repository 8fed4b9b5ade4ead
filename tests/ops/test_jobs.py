"""The job queue: real SqliteHuey and RedisHuey consumers, leases in the real database."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from papertide.cli import app
from papertide.config import Settings
from papertide.jobs.queue import EmbeddedWorker, JobQueue, build_queue, execute_job
from papertide.jobs.runs import (
    HOST,
    LockHeld,
    acquire_lease,
    interrupted_jobs,
    recent_runs,
    release_lease,
    start_run,
)
from papertide.jobs.specs import JobSpec, Schedule
from papertide.store.schema import JobLock

from .serving import wait_for

REDIS_URL = "redis://127.0.0.1:6379/0"


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


# Jobs used by these tests: real functions with effects a test can see. ------------------------


def _append_marker(settings: Settings, _engine: Engine) -> dict[str, int]:
    marker = settings.data_dir / "marker.txt"
    with marker.open("a") as fh:
        fh.write("x")
    return {"written": len(marker.read_text())}


def _fail_twice_then_succeed(settings: Settings, _engine: Engine) -> str:
    counter = settings.data_dir / "attempts.txt"
    seen = int(counter.read_text()) if counter.exists() else 0
    counter.write_text(str(seen + 1))
    if seen < 2:
        raise RuntimeError(f"flaky upstream (attempt {seen + 1})")
    return "finally"


def _needs_missing_piece(settings: Settings, engine: Engine) -> Any:
    return importlib.import_module("papertide.not_built_yet").run(settings, engine)


def _slow(settings: Settings, _engine: Engine) -> str:
    gate = settings.data_dir / "release"
    deadline = time.monotonic() + 20
    while not gate.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return "released"


SPECS = [
    JobSpec("marker", "append a marker", Schedule(), _append_marker, retries=0),
    JobSpec(
        "flaky", "fails twice", Schedule(), _fail_twice_then_succeed, retries=3, retry_delay=0.5
    ),
    JobSpec("missing", "needs a part not built", Schedule(), _needs_missing_piece, retries=0),
    JobSpec("slow", "waits for a file", Schedule(), _slow, retries=0, lease_seconds=3.0),
]


@pytest.fixture
def queue(settings: Settings, engine: Engine) -> Iterator[JobQueue]:
    q = build_queue(settings, name=f"pt-test-{uuid.uuid4().hex[:8]}", jobs=SPECS, engine=engine)
    yield q
    q.huey.storage.flush_all()
    q.close()


@pytest.fixture
def redis_settings(settings: Settings) -> Settings:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {exc}")
    return settings.model_copy(update={"redis_url": REDIS_URL})


# Leases ----------------------------------------------------------------------------------------


def test_a_held_lease_keeps_a_second_holder_out_until_released(engine: Engine) -> None:
    acquire_lease(engine, "job", "nodeA:1:a", ttl=60)
    with pytest.raises(LockHeld, match="nodeA"):
        acquire_lease(engine, "job", "nodeB:2:b", ttl=60)
    release_lease(engine, "job", "nodeA:1:a")
    acquire_lease(engine, "job", "nodeB:2:b", ttl=60)


def test_an_expired_lease_is_taken_over(engine: Engine) -> None:
    acquire_lease(engine, "job", "elsewhere:1:a", ttl=0.2)
    time.sleep(0.3)
    acquire_lease(engine, "job", "here:2:b", ttl=60)
    assert _lease_holder(engine) == "here:2:b"


def test_a_lease_of_a_dead_local_process_is_taken_over_and_its_run_marked_interrupted(
    engine: Engine,
) -> None:
    ghost = f"{HOST}:{_dead_pid()}:gone"
    start_run(engine, "job", trigger="schedule", node=ghost, task_id=None, attempt=1)
    acquire_lease(engine, "job", ghost, ttl=3600)
    assert interrupted_jobs(engine) == ["job"]
    acquire_lease(engine, "job", f"{HOST}:1:new", ttl=60)
    [run] = recent_runs(engine, name="job")
    assert run.status == "interrupted"


def _lease_holder(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return conn.execute(select(JobLock.holder)).scalar()


def test_the_same_job_never_runs_twice_at_once(settings: Settings, engine: Engine) -> None:
    slow = SPECS[3]
    outcomes: list[str] = []
    first = threading.Thread(
        target=lambda: outcomes.append(execute_job(settings, engine, slow).status)
    )
    first.start()
    wait_for(lambda: recent_runs(engine, name="slow"), "the first run to start")
    wait_for(lambda: _lease_holder(engine), "the lease to be taken")
    second = execute_job(settings, engine, slow)
    (settings.data_dir / "release").touch()
    first.join(timeout=30)
    assert second.status == "skipped" and "already running" in (second.error or "")
    assert outcomes == ["ok"]


# A real consumer -------------------------------------------------------------------------------


def _statuses(engine: Engine, name: str) -> list[tuple[int, str]]:
    return sorted((r.attempt, r.status) for r in recent_runs(engine, name=name))


def _run_worker_scenario(q: JobQueue, settings: Settings) -> None:
    worker = EmbeddedWorker(q, threads=2, scheduler=False)
    worker.start()
    try:
        q.enqueue("marker")
        q.enqueue("flaky")
        q.enqueue("missing")
        engine = q.engine
        wait_for(lambda: _statuses(engine, "marker") == [(1, "ok")], "marker to run")
        wait_for(lambda: (3, "ok") in _statuses(engine, "flaky"), "flaky to succeed")
        wait_for(lambda: _statuses(engine, "missing"), "missing to be recorded")
    finally:
        worker.stop()
    assert (settings.data_dir / "marker.txt").read_text() == "x"
    # Retried with backoff: two recorded failures, then success on the third attempt.
    assert _statuses(engine, "flaky") == [(1, "retrying"), (2, "retrying"), (3, "ok")]
    [missing] = recent_runs(engine, name="missing")
    assert missing.status == "failed"
    assert "No module named 'papertide.not_built_yet'" in (missing.error or "")
    assert [r.result for r in recent_runs(engine, name="marker")] == [{"written": 1}]


def test_sqlite_queue_runs_retries_and_records_jobs(queue: JobQueue, settings: Settings) -> None:
    assert type(queue.huey).__name__ == "SqliteHuey"
    _run_worker_scenario(queue, settings)


def test_redis_queue_runs_retries_and_records_jobs(
    redis_settings: Settings, engine: Engine
) -> None:
    q = build_queue(
        redis_settings, name=f"pt-test-{uuid.uuid4().hex[:8]}", jobs=SPECS, engine=engine
    )
    try:
        assert type(q.huey).__name__ == "RedisHuey"
        _run_worker_scenario(q, redis_settings)
    finally:
        q.huey.storage.flush_all()
        q.close()


def test_worker_start_resumes_a_job_cut_off_by_a_dead_worker(
    queue: JobQueue, engine: Engine, settings: Settings
) -> None:
    ghost = f"{HOST}:{_dead_pid()}:gone"
    start_run(engine, "marker", trigger="schedule", node=ghost, task_id=None, attempt=1)
    acquire_lease(engine, "marker", ghost, ttl=3600)
    worker = EmbeddedWorker(queue, threads=1, scheduler=False)
    worker.start()
    try:
        wait_for(lambda: ("resume", "ok") in _triggers(engine), "the resumed run")
    finally:
        worker.stop()
    assert sorted(_triggers(engine)) == [("resume", "ok"), ("schedule", "interrupted")]
    assert (settings.data_dir / "marker.txt").read_text() == "x"


def _triggers(engine: Engine) -> list[tuple[str, str]]:
    return [(r.trigger, r.status) for r in recent_runs(engine, name="marker")]


# The command line ------------------------------------------------------------------------------


def test_jobs_cli_runs_a_real_job_and_shows_status_and_failures(
    settings: Settings, engine: Engine
) -> None:
    with pytest.raises(ModuleNotFoundError):  # a failure for `jobs failures` to show
        execute_job(settings, engine, SPECS[2])
    runner = CliRunner()
    result = runner.invoke(app, ["jobs", "run", "send_digests"])
    assert result.exit_code == 0, result.output
    assert "send_digests: ok" in result.output

    result = runner.invoke(app, ["jobs", "status", "--json"])
    assert result.exit_code == 0, result.output
    overview = json.loads(result.stdout)
    names = [j["name"] for j in overview["jobs"]]
    assert names == [
        "ingest_arxiv",
        "embed_and_sync",
        "retrain_suggestions",
        "send_digests",
        "make_thumbnails",
    ]
    digests = next(j for j in overview["jobs"] if j["name"] == "send_digests")
    assert digests["last_run"]["status"] == "ok" and digests["last_ok_at"]
    assert overview["backend"] == "sqlite"

    result = runner.invoke(app, ["jobs", "failures"])
    assert result.exit_code == 0
    assert "missing" in result.stdout and "not_built_yet" in result.stdout

    result = runner.invoke(app, ["jobs", "run", "no_such_job"])
    assert result.exit_code == 1 and "no job named" in result.output


def test_worker_command_starts_and_stops_on_sigterm(settings: Settings, tmp_path: Path) -> None:
    import os
    import signal

    env = {k: v for k, v in os.environ.items()}
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("papertide")),
            "worker",
            "--threads",
            "1",
            "--no-scheduler",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(lambda: (settings.data_dir / "jobs.sqlite3").exists(), "the queue file")
        time.sleep(1.0)
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert '"msg": "Huey consumer started' in err


@pytest.mark.parametrize(
    ("category", "oai"),
    [
        ("cs.LG", "cs:cs:LG"),
        ("math.CO", "math:math:CO"),
        ("astro-ph.GA", "physics:astro-ph:GA"),
        ("hep-th", "physics:hep-th"),
        ("quant-ph", "physics:quant-ph"),
        ("physics.optics", "physics:physics:optics"),
        ("q-bio.NC", "q-bio:q-bio:NC"),
        ("cs", "cs"),
    ],
)
def test_categories_map_to_arxiv_oai_sets(category: str, oai: str) -> None:
    from papertide.ingest.arxiv_listings import oai_set

    assert oai_set(category) == oai
