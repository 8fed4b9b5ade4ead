"""`papertide index rebuild|sync`, `papertide embed`, `papertide search`, `papertide eval`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from papertide.cli.common import CommandError, err_console, handles_errors, open_database, settings

index_app = typer.Typer(help="Build and update the local search index.", no_args_is_help=True)


def _progress() -> Any:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
        console=err_console,
    )


def _print_sync(report: Any) -> None:
    what = "rebuilt" if report.rebuilt else "synced"
    err_console.print(
        f"index {what} in {report.seconds:.1f} s: {report.keyword_docs:,} papers searchable, "
        f"{report.vectors:,} with vectors ({report.papers_indexed:,} papers and "
        f"{report.vectors_indexed:,} vectors written, {report.papers_deleted:,} removed)"
    )
    for note in report.notes:
        err_console.print(f"note: {note}")


def _embed(cfg: Any, engine: Any, searcher: Any, limit: int | None) -> None:
    """Embed pending papers with a progress bar, folding new vectors into the index as we go."""
    import time

    from papertide.embed.job import count_pending, embed_pending

    embedder = searcher.embedder
    pending, total = count_pending(engine, embedder.name)
    if limit is not None:
        pending = min(pending, limit)
    if pending == 0:
        err_console.print(f"all {total:,} papers have vectors ({embedder.name})")
        return
    started = time.perf_counter()
    with _progress() as bar:
        task = bar.add_task(f"embedding ({embedder.name})", total=pending, rate="")

        def step(done: int, _pending: int) -> None:
            rate = done / max(time.perf_counter() - started, 1e-6)
            bar.update(task, completed=done, rate=f"{rate:.0f} papers/s")

        def fold_in(done: int) -> None:
            # Semantic search improves while a long backfill runs: sync every ~2,000 vectors.
            if done % 2048 < 64:
                searcher.sync(engine, embed=False)

        report = embed_pending(engine, embedder, limit=limit, progress=step, after_batch=fold_in)
    rate = report.embedded / max(report.seconds, 1e-6)
    err_console.print(
        f"embedded {report.embedded:,} papers in {report.seconds:.1f} s ({rate:.1f}/s)"
    )


@index_app.command("rebuild")
@handles_errors
def rebuild() -> None:
    """Build the keyword and vector indexes from the database (replaces the local files)."""
    from papertide.search.api import get_searcher

    cfg = settings()
    engine = open_database(cfg)
    _print_sync(get_searcher(cfg).rebuild(engine))


@index_app.command("sync")
@handles_errors
def sync(
    embed: bool = typer.Option(True, "--embed/--no-embed", help="Also embed new/changed papers."),
    limit: int | None = typer.Option(None, "--limit", min=1, help="Embed at most N papers."),
) -> None:
    """Bring the index up to date with the database (papers, feed flags, vectors)."""
    from papertide.search.api import get_searcher

    cfg = settings()
    engine = open_database(cfg)
    searcher = get_searcher(cfg)
    report = searcher.sync(engine, embed=False)
    if embed:
        _embed(cfg, engine, searcher, limit)
        report = searcher.sync(engine, embed=False)
    _print_sync(report)


@handles_errors
def embed_command(
    limit: int | None = typer.Option(None, "--limit", min=1, help="Embed at most N papers."),
) -> None:
    """Embed papers that have no vector yet (or whose text changed) and store the vectors."""
    from papertide.search.api import get_searcher

    cfg = settings()
    engine = open_database(cfg)
    searcher = get_searcher(cfg)
    _embed(cfg, engine, searcher, limit)
    _print_sync(searcher.sync(engine, embed=False))


@handles_errors
def search_command(
    query: str = typer.Argument(..., help='What to look for (au:, ti:, cat: and "phrases" work).'),
    mode: str = typer.Option("hybrid", "--mode", help="hybrid, keyword or semantic."),
    limit: int = typer.Option(10, "--limit", min=1, max=200),
    min_relevance: float | None = typer.Option(
        None, "--min-relevance", min=0.0, max=1.0, help="Default: the tuned cutoff; 0 = all."
    ),
    category: list[str] = typer.Option([], "--category", help="Only these categories (cs, cs.CV)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object, nothing else."),
) -> None:
    """Search the local index."""
    from dataclasses import asdict

    from papertide.search.api import QueryTooLong, SearchFilters, get_searcher

    if mode not in ("hybrid", "keyword", "semantic"):
        raise CommandError(f"unknown mode {mode!r}; use hybrid, keyword or semantic")
    cfg = settings()
    searcher = get_searcher(cfg)
    try:
        response = searcher.search(
            query,
            SearchFilters(categories=tuple(category)),
            limit=limit,
            min_relevance=min_relevance,
            mode=mode,  # type: ignore[arg-type]
        )
    except QueryTooLong as exc:
        raise CommandError(str(exc)) from None
    if as_json:
        typer.echo(json.dumps(asdict(response), ensure_ascii=False))
        return
    if response.message:
        err_console.print(f"[yellow]{response.message}[/]", highlight=False)
    if response.suggestion:
        err_console.print(f"did you mean: {response.suggestion}", highlight=False, markup=False)
    for rank, r in enumerate(response.results, 1):
        typer.echo(f"{rank:>3}. {r.arxiv_id:<12} rel {r.relevance:.2f}  {r.title}")
    shown, total = len(response.results), response.total_candidates
    err_console.print(f"{shown} results ({response.mode}, {total:,} candidates)")


@handles_errors
def eval_command(
    path: Path = typer.Argument(..., help="A BEIR folder: corpus.jsonl[.gz], queries, qrels/."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object, nothing else."),
    split: str = typer.Option(
        "test", "--split", help="Which qrels file to score (qrels/SPLIT.tsv)."
    ),
    semantic: bool = typer.Option(True, "--semantic/--keyword-only", help="Embed the corpus."),
    diagram: Path | None = typer.Option(
        None,
        "--diagram",
        help="Reliability diagram PNG (default: <data_dir>/eval/reliability.png).",
    ),
) -> None:
    """Search quality on a BEIR dataset: nDCG@10, Recall@100, MRR@10 and the relevance cutoff."""
    from papertide.embed.registry import get_embedder
    from papertide.search.beir import BeirError, load_beir
    from papertide.search.evaluate import run_eval
    from papertide.search.params import load_params

    cfg = settings()
    try:
        data = load_beir(path, split)
    except BeirError as exc:
        raise CommandError(str(exc)) from None
    embedder = get_embedder(cfg) if semantic else None
    target = diagram or cfg.data_dir / "eval" / "reliability.png"
    with _progress() as bar:
        task = bar.add_task("embedding corpus", total=len(data.docs), rate="", visible=False)

        def progress(what: str, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, visible=True)

        result = run_eval(
            data,
            embedder,
            load_params(),
            cache_dir=cfg.data_dir / "eval-cache",
            diagram=target,
            progress=progress,
        )
    if as_json:
        typer.echo(json.dumps(result))
        return
    typer.echo(f"{path} ({split}: {len(data.queries)} queries, {len(data.docs):,} documents)")
    typer.echo(f"{'mode':<10}{'nDCG@10':>10}{'Recall@100':>12}{'MRR@10':>10}")
    for mode in ("keyword", "semantic", "hybrid"):
        m = result.get(mode)
        if m:
            typer.echo(
                f"{mode:<10}{m['ndcg@10']:>10.4f}{m['recall@100']:>12.4f}{m['mrr@10']:>10.4f}"
            )
    c = result["cutoff"]
    typer.echo(
        f"cutoff ({c['mode']}, min_relevance {c['min_relevance']}): precision {c['precision']:.4f} "
        f"recall {c['recall']:.4f} F1 {c['f1']:.4f} (fixed top-10 F1 {c['top10_f1']:.4f}) "
        f"ECE {c['ece']:.4f}"
    )
    if "diagram" in c:
        typer.echo(f"reliability diagram: {c['diagram']}")


def register(app: typer.Typer) -> None:
    app.add_typer(index_app, name="index")
    app.command("embed")(embed_command)
    app.command("search")(search_command)
    app.command("eval")(eval_command)
