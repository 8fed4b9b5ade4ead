"""`papertide worker` and `papertide jobs status|run|failures`."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import typer

from papertide.cli.common import CommandError, err_console, handles_errors, open_database, settings

if TYPE_CHECKING:  # the CLI imports a command's parts when it runs, so `--help` stays fast
    from sqlalchemy import Engine

    from papertide.jobs.queue import JobQueue

jobs_app = typer.Typer(help="Background jobs: schedule, state, failures.", no_args_is_help=True)


@handles_errors
def worker(
    threads: int = typer.Option(2, "--threads", min=1, help="Jobs run at the same time."),
    scheduler: bool = typer.Option(
        True,
        "--scheduler/--no-scheduler",
        help="Also enqueue the periodic jobs. Leases keep a job from running twice at once "
        "anyway, but one scheduler per installation avoids needless skipped runs.",
    ),
) -> None:
    """Run the background jobs until stopped (`papertide jobs status` lists them)."""
    from papertide.jobs.queue import build_queue
    from papertide.ops.logs import configure_logging

    configure_logging()
    cfg = settings()
    engine = open_database(cfg)  # migrated before any job touches it
    queue = build_queue(cfg, engine=engine)
    backend = "redis" if cfg.redis_url else f"sqlite ({cfg.data_dir / 'jobs.sqlite3'})"
    err_console.print(
        f"worker: {threads} thread(s), queue {backend}, scheduler {'on' if scheduler else 'off'}"
    )
    resumed = queue.resume_interrupted()
    if resumed:
        err_console.print(f"resuming interrupted jobs: {', '.join(resumed)}")
    consumer = queue.consumer(threads=threads, scheduler=scheduler)
    try:
        consumer.run()  # blocks; SIGINT/SIGTERM stop it gracefully
    finally:
        queue.close()
        engine.dispose()


def _open_queue() -> tuple[JobQueue, Engine]:
    from papertide.jobs.queue import build_queue

    cfg = settings()
    engine = open_database(cfg)
    return build_queue(cfg, engine=engine), engine


@jobs_app.command("status")
@handles_errors
def status(
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object, nothing else."),
) -> None:
    """Every job: schedule, last run, last success, failures, who holds it now; queue depth."""
    from papertide.jobs.queue import jobs_overview

    queue, engine = _open_queue()
    try:
        overview = jobs_overview(queue)
    finally:
        queue.close()
        engine.dispose()
    if as_json:
        typer.echo(json.dumps(overview))
        return
    from rich.table import Table

    table = Table(
        "job", "schedule (UTC)", "last run", "status", "last ok", "failed 24h", "running on"
    )
    for job in overview["jobs"]:
        last = job["last_run"] or {}
        table.add_row(
            job["name"],
            job["schedule"],
            (last.get("started_at") or "never")[:19],
            last.get("status", "-"),
            (job["last_ok_at"] or "never")[:19],
            str(job["failed_24h"]),
            job["running_on"] or "-",
        )
    err_console.print(table)
    depth = overview["queue"]
    err_console.print(
        f"queue ({overview['backend']}): {depth['pending']} pending, {depth['scheduled']} scheduled"
    )


@jobs_app.command("run")
@handles_errors
def run(
    name: str = typer.Argument(..., help="Job name (see `papertide jobs status`)."),
    enqueue: bool = typer.Option(False, "--enqueue", help="Queue it for a worker instead."),
) -> None:
    """Run one job now, in this process (or --enqueue it for the workers)."""
    queue, engine = _open_queue()
    try:
        if name not in queue.specs:
            raise CommandError(f"no job named {name!r}; jobs: {', '.join(queue.specs)}")
        if enqueue:
            task_id = queue.enqueue(name)
            err_console.print(f"queued {name} (task {task_id})")
            return
        with err_console.status(f"running {name}…"):
            outcome = queue.run_now(name)
    finally:
        queue.close()
        engine.dispose()
    if outcome.status == "ok":
        err_console.print(f"{name}: ok (run {outcome.run_id})")
        return
    if outcome.status == "skipped":
        err_console.print(f"{name}: skipped — {outcome.error}")
        return
    first = (outcome.error or "").splitlines()[0] if outcome.error else "unknown error"
    raise CommandError(f"{name} failed (run {outcome.run_id}): {first}")


@jobs_app.command("failures")
@handles_errors
def failures(
    limit: int = typer.Option(20, "--limit", min=1),
    as_json: bool = typer.Option(False, "--json", help="Print JSON lines, nothing else."),
) -> None:
    """The most recent failed (and interrupted) job runs with their errors."""
    from papertide.jobs.runs import recent_failures

    cfg = settings()
    engine = open_database(cfg)
    try:
        runs = recent_failures(engine, limit=limit)
    finally:
        engine.dispose()
    if as_json:
        for r in runs:
            typer.echo(json.dumps(r.as_json()))
        return
    if not runs:
        err_console.print("no failed job runs")
        return
    for r in runs:
        first = (r.error or "").strip().splitlines()[0] if r.error else ""
        when = f"{r.started_at:%Y-%m-%d %H:%M:%S}"
        typer.echo(f"{when}  {r.name:<18} {r.status:<11} attempt {r.attempt}  {first}")


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)
    app.add_typer(jobs_app, name="jobs")
