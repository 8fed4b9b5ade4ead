"""`papertide thumbnails make|status`: card images now, and what became of them."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import typer

from papertide.cli.common import CommandError, err_console, handles_errors, open_database, settings

thumbnails_app = typer.Typer(
    help="Card thumbnails: page one of each feed paper's arXiv PDF.", no_args_is_help=True
)


@thumbnails_app.command("make")
@handles_errors
def make(
    limit: int | None = typer.Option(
        None, "--limit", min=1, help="At most this many papers [default: THUMBNAILS_PER_RUN]."
    ),
) -> None:
    """Fetch and render the thumbnails feed papers lack, now (as the make_thumbnails job does,
    under its lease and recorded with its runs)."""
    from rich.progress import Progress

    from papertide.jobs.queue import execute_job
    from papertide.jobs.specs import default_jobs
    from papertide.thumbs.job import ThumbnailRun, thumbnail_feed_papers

    cfg = settings()
    engine = open_database(cfg)
    spec = next(s for s in default_jobs() if s.name == "make_thumbnails")
    runs: list[ThumbnailRun] = []
    try:
        with Progress(console=err_console, transient=True) as bar:
            task = bar.add_task("thumbnails", total=None)

            def tick(done: int, total: int, arxiv_id: str) -> None:
                bar.update(task, completed=done, total=total, description=arxiv_id)

            def run(job_settings: Any, job_engine: Any) -> ThumbnailRun:
                runs.append(
                    thumbnail_feed_papers(job_settings, job_engine, limit=limit, progress=tick)
                )
                return runs[-1]

            outcome = execute_job(cfg, engine, dataclasses.replace(spec, run=run))
    except Exception as exc:
        raise CommandError(f"make_thumbnails failed: {exc}") from None
    finally:
        engine.dispose()
    if outcome.status == "skipped":
        raise CommandError(f"{outcome.error}; try again when that run has finished")
    result = runs[0]
    failed = ", ".join(f"{n} {status}" for status, n in sorted(result.failed.items()))
    err_console.print(
        f"{result.made} thumbnail{'s' * (result.made != 1)} made"
        + (f"; no image for {failed}" if failed else "")
        + f"; {result.waiting} feed paper{'s' * (result.waiting != 1)} waiting"
        + f" (run {outcome.run_id})"
    )
    for failure in result.failures:
        err_console.print(
            f"  {failure['arxiv_id']}: {failure['status']} — {failure['reason']}", highlight=False
        )
    if result.stopped:
        raise CommandError(result.stopped)


@thumbnails_app.command("status")
@handles_errors
def status(
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object, nothing else."),
) -> None:
    """Thumbnails per status, feed papers waiting, and the latest failures with their reasons."""
    from papertide.thumbs.job import thumbnail_overview

    cfg = settings()
    engine = open_database(cfg)
    try:
        overview = thumbnail_overview(engine)
    finally:
        engine.dispose()
    if as_json:
        typer.echo(json.dumps(overview))
        return
    counts = ", ".join(f"{status} {n}" for status, n in overview["statuses"].items())
    err_console.print(f"thumbnails: {counts}; {overview['waiting']} feed papers waiting")
    for failure in overview["failures"]:
        err_console.print(
            f"  {(failure['at'] or '')[:19]}  {failure['arxiv_id']}: {failure['status']} — "
            f"{failure['reason']}",
            highlight=False,
        )


def register(app: typer.Typer) -> None:
    app.add_typer(thumbnails_app, name="thumbnails")
