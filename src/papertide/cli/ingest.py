"""`papertide import jsonl|hf-daily`, `papertide ingest arxiv`, `papertide fetch`.

Progress bars and messages go to stderr; with `--json` stdout carries one summary object and
nothing else. Exit status: 0 when everything was imported, 1 when records were skipped or the
input broke off (the summary says where the report is), 2 for configuration errors.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from papertide.cli.common import (
    CommandError,
    err_console,
    handles_errors,
    open_database,
    settings,
)

if TYPE_CHECKING:
    from papertide.ingest.pipeline import ImportReport

import_app = typer.Typer(help="Import snapshot files (JSONL, Hugging Face daily papers).")
ingest_app = typer.Typer(help="Harvest papers from arXiv (OAI-PMH).")

JSON_OPTION = typer.Option(False, "--json", help="Print one JSON summary on stdout, nothing else.")
BATCH_OPTION = typer.Option(5000, "--batch-size", min=1, max=50000, help="Records per transaction.")


def _progress(total: int, label: str, quiet: bool) -> Any:
    """A rich progress bar over input bytes on stderr (a no-op object when quiet)."""
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TextColumn("{task.fields[records]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        disable=quiet,
        transient=False,
    )


def _finish(report: ImportReport, as_json: bool, what: str) -> None:
    """Print the summary the way the user asked and exit non-zero when anything was lost."""
    if as_json:
        typer.echo(json.dumps(report.to_dict()))
    else:
        p = report.papers
        line = (
            f"{what}: {report.summary()} — papers new {p.inserted:,}, updated {p.updated:,}, "
            f"unchanged {p.unchanged:,}"
        )
        if report.feed is not None:
            f = report.feed
            line += (
                f"; feed entries new {f.inserted:,}, updated {f.updated:,}, "
                f"unchanged {f.unchanged:,}; imported users {f.users_created:,}"
            )
        err_console.print(line, highlight=False, soft_wrap=True)
    if not report.ok:
        if as_json:
            err_console.print(f"[bold red]error:[/] {report.summary()}", highlight=False)
        raise typer.Exit(1)


def _run_file_import(source: Any, source_name: str, batch_size: int, as_json: bool) -> None:
    from papertide.ingest.files import SourceError
    from papertide.ingest.pipeline import import_records
    from papertide.ingest.prefetch import maybe_prefetched

    cfg = settings()
    engine = open_database(cfg)
    stream = maybe_prefetched(source)
    try:
        with _progress(source.size, source_name, not err_console.is_terminal) as bar:
            task = bar.add_task(Path(source_name).name, total=source.size, records="")

            def on_batch(report: ImportReport) -> None:
                bar.update(
                    task,
                    completed=stream.bytes_read,
                    records=f"{report.read:,} records, {report.skipped:,} skipped",
                )

            report = import_records(
                engine,
                stream,
                source=source_name,
                batch_size=batch_size,
                progress=on_batch,
                report_dir=cfg.data_dir / "reports",
            )
            bar.update(task, completed=source.size)
    except SourceError as exc:
        raise CommandError(str(exc)) from None
    finally:
        engine.dispose()
    _finish(report, as_json, f"import {source_name}")


def _open_source(kind: str, path: Path) -> Any:
    from papertide.ingest.files import SourceError

    try:
        if kind == "jsonl":
            from papertide.ingest.jsonl_snapshot import JsonlSnapshot

            return JsonlSnapshot(path)
        from papertide.ingest.hf_daily import HfDailyFile

        return HfDailyFile(path)
    except SourceError as exc:
        raise CommandError(str(exc)) from None


@import_app.command("jsonl")
@handles_errors
def import_jsonl(
    path: Path = typer.Argument(..., help="A .jsonl or .jsonl.gz file (Kaggle or shared shape)."),
    batch_size: int = BATCH_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Import an arXiv metadata snapshot (JSON Lines, plain or gzip; shape detected per line)."""
    _run_file_import(_open_source("jsonl", path), str(path), batch_size, as_json)


@import_app.command("hf-daily")
@handles_errors
def import_hf_daily(
    path: Path = typer.Argument(..., help="A daily-papers JSON response or snapshot JSONL(.gz)."),
    batch_size: int = BATCH_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Import Hugging Face daily-papers responses: feed entries, upvotes, submitters, links."""
    _run_file_import(_open_source("hf", path), str(path), batch_size, as_json)


@ingest_app.command("arxiv")
@handles_errors
def ingest_arxiv(
    set_spec: str = typer.Option(
        ..., "--set", help="OAI set, e.g. cs, math, physics:astro-ph, cs:cs:LG."
    ),
    from_date: str | None = typer.Option(None, "--from", help="First datestamp (YYYY-MM-DD)."),
    until_date: str | None = typer.Option(None, "--until", help="Last datestamp (YYYY-MM-DD)."),
    metadata_prefix: str = typer.Option(
        "arXiv", "--metadata-prefix", help="arXiv (default), arXivRaw (all versions) or oai_dc."
    ),
    max_pages: int | None = typer.Option(
        None, "--max-pages", min=1, help="Stop after this many pages (resume later)."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Harvest arXiv over OAI-PMH; an interrupted harvest of the same query resumes."""
    from papertide.ingest.arxiv_oai import HarvestError, HarvestReport, harvest

    cfg = settings()
    engine = open_database(cfg)
    try:
        with _progress(0, "arXiv", not err_console.is_terminal) as bar:
            task = bar.add_task(f"OAI-PMH {set_spec}", total=None, records="")

            def on_page(report: HarvestReport) -> None:
                bar.update(
                    task,
                    total=report.expected,
                    completed=report.read,
                    records=f"page {report.pages}, {report.read:,} records",
                )

            report = harvest(
                cfg,
                engine,
                set_spec=set_spec,
                from_date=from_date,
                until_date=until_date,
                metadata_prefix=metadata_prefix,
                progress=on_page,
                report_dir=cfg.data_dir / "reports",
                max_pages=max_pages,
            )
    except HarvestError as exc:
        raise CommandError(str(exc)) from None
    finally:
        engine.dispose()
    if not as_json and not report.complete:
        err_console.print(
            f"stopped after {report.pages} page(s); run the same command to resume", highlight=False
        )
    _finish(report, as_json, f"harvest {set_spec}")


@handles_errors
def fetch(
    arxiv_ids: list[str] = typer.Argument(..., help="arXiv ids, e.g. 2401.00001 hep-th/9901001v2"),
    as_json: bool = JSON_OPTION,
) -> None:
    """Fetch single papers from the arXiv API and store them (new or updated)."""
    from papertide.ingest.arxiv_api import ArxivApiError, fetch_papers
    from papertide.ingest.pipeline import import_records

    cfg = settings()
    try:
        records = fetch_papers(cfg, arxiv_ids)
    except ArxivApiError as exc:
        raise CommandError(str(exc)) from None
    engine = open_database(cfg)
    try:
        report = import_records(engine, records, source="arXiv API")
    finally:
        engine.dispose()
    found = {r.arxiv_id for r in records}
    from papertide.models import normalize_arxiv_id

    missing = [raw for raw in arxiv_ids if normalize_arxiv_id(raw) not in found]
    if as_json:
        data = report.to_dict()
        data["found"] = sorted(found)
        data["missing"] = missing
        typer.echo(json.dumps(data))
    else:
        for record in records:
            err_console.print(f"{record.arxiv_id}  {record.title}", highlight=False)
        p = report.papers
        err_console.print(
            f"fetched {len(records)}: new {p.inserted}, updated {p.updated}, "
            f"unchanged {p.unchanged}",
            highlight=False,
        )
    if missing:
        err_console.print(
            f"[bold red]error:[/] not found on arXiv: {', '.join(missing)}", highlight=False
        )
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(import_app, name="import")
    app.add_typer(ingest_app, name="ingest")
    app.command("fetch")(fetch)
