"""`papertide curate eval|train|today`: the community-interest model that suggests papers."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from papertide.cli.common import CommandError, err_console, handles_errors, open_database, settings

if TYPE_CHECKING:
    from papertide.rank.curate.records import Candidate, Pick

curate_app = typer.Typer(
    help="Suggested papers: evaluate, train and show the community-interest model.",
    no_args_is_help=True,
)


def _date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{option} {value!r} is not a date; use YYYY-MM-DD") from None


@contextmanager
def _stages() -> Iterator[Callable[[str, int, int], None]]:
    """A progress callback (stage, done, total) drawing one rich bar per stage."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    tasks: dict[str, Any] = {}
    with Progress(
        TextColumn("{task.description:<12}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=err_console,
        transient=False,
    ) as bar:

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=max(total, 1))
            bar.update(tasks[stage], completed=done, total=max(total, 1))

        yield update


# Reading files: ingest's readers, turned into the model's inputs. Several files may be given;
# bad lines are counted and described, never fatal.


def split_paths(values: list[str]) -> list[Path]:
    """Paths from options that may each hold several comma-separated paths."""
    return [Path(p.strip()) for value in values for p in value.split(",") if p.strip()]


def load_candidates(paths: list[Path]) -> tuple[list[Candidate], list[str]]:
    """Listed papers (those with a listing day) and a description of every skipped line."""
    from papertide.ingest.files import Skipped, TruncatedInput
    from papertide.ingest.jsonl_snapshot import JsonlSnapshot
    from papertide.rank.curate.records import candidate_from_record

    out: list[Candidate] = []
    skipped: list[str] = []
    for path in paths:
        try:
            for item in JsonlSnapshot(path):
                if isinstance(item, Skipped):
                    skipped.append(f"{path.name} {item.where}: {item.reason}")
                    continue
                candidate = candidate_from_record(item)
                if candidate is None:
                    skipped.append(f"{path.name} {item.arxiv_id}: no listing day (first_seen)")
                    continue
                out.append(candidate)
        except TruncatedInput as exc:
            skipped.append(exc.where)
    return out, skipped


def load_picks(paths: list[Path]) -> tuple[list[Pick], list[str]]:
    """Community picks (feed entries) and a description of every skipped line."""
    from papertide.ingest.files import Skipped, TruncatedInput
    from papertide.ingest.hf_daily import HfDailyFile
    from papertide.rank.curate.records import pick_from_feed_record

    out: list[Pick] = []
    skipped: list[str] = []
    for path in paths:
        try:
            for item in HfDailyFile(path):
                if isinstance(item, Skipped):
                    skipped.append(f"{path.name} {item.where}: {item.reason}")
                    continue
                out.append(pick_from_feed_record(item))
        except TruncatedInput as exc:
            skipped.append(exc.where)
    return out, skipped


def _load_inputs(papers: list[str], feed: list[str]) -> tuple[list[Candidate], list[Pick]]:
    from papertide.ingest.files import SourceError

    paper_paths, feed_paths = split_paths(papers), split_paths(feed)
    if not paper_paths or not feed_paths:
        raise CommandError("give at least one --papers file and one --feed file")
    try:
        with err_console.status("reading papers and feed"):
            candidates, skipped_papers = load_candidates(paper_paths)
            picks, skipped_feed = load_picks(feed_paths)
    except SourceError as exc:
        raise CommandError(str(exc)) from None
    for what, skipped in (("papers", skipped_papers), ("feed", skipped_feed)):
        if skipped:
            err_console.print(f"skipped {len(skipped):,} {what} records, first: {skipped[0]}")
    if not candidates:
        raise CommandError("the --papers files hold no paper with a listing day (first_seen)")
    if not picks:
        raise CommandError("the --feed files hold no usable feed entry: nothing to learn from")
    err_console.print(f"{len(candidates):,} papers, {len(picks):,} feed entries")
    return candidates, picks


@curate_app.command("eval")
@handles_errors
def eval_command(
    papers: list[str] = typer.Option(..., "--papers", help="arXiv metadata JSONL(.gz); a,b,c ok."),
    feed: list[str] = typer.Option(..., "--feed", help="Daily-papers feed JSONL(.gz); a,b,c ok."),
    train_until: str = typer.Option(..., "--train-until", help="Last training day (YYYY-MM-DD)."),
    test_from: str = typer.Option(..., "--test-from", help="First test day."),
    test_until: str | None = typer.Option(None, "--test-until", help="Last test day."),
    categories: str = typer.Option(
        "cs.AI,cs.CL,cs.CV,cs.LG", "--categories", help="Candidate categories, comma-separated."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as one JSON object."),
) -> None:
    """Fit on the training months, rank every test day, print P@15, nDCG@15 and R@50."""
    from papertide.rank.curate.evaluate import Split, fit_booster, measure, prepare
    from papertide.rank.curate.model import Config

    until = _date(train_until, "--train-until")
    start = _date(test_from, "--test-from")
    assert until is not None and start is not None
    try:
        split = Split(until, start, _date(test_until, "--test-until"))
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    candidates, picks = _load_inputs(papers, feed)
    config = Config()
    cats = tuple(c.strip() for c in categories.split(",") if c.strip())
    try:
        with _stages() as progress:
            prepared = prepare(candidates, picks, split, config, categories=cats, progress=progress)
            progress("booster", 0, 1)
            scorer = fit_booster(prepared, config)
            progress("booster", 1, 1)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    summary = measure(prepared, scorer).as_dict()
    if as_json:
        typer.echo(json.dumps(summary))
        return
    for key, value in summary.items():
        typer.echo(f"{key:<18} {value}")


@curate_app.command("train")
@handles_errors
def train_command(
    until: str | None = typer.Option(
        None, "--until", help="Last day to learn from (default: yesterday)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the report as one JSON object."),
) -> None:
    """Retrain the suggestion model on this instance's papers and community picks."""
    from dataclasses import asdict

    from papertide.rank.curate.service import CurateError, train_from_database

    cfg = settings()
    engine = open_database(cfg)
    try:
        with _stages() as progress:
            report = train_from_database(
                engine,
                cfg.data_dir,
                categories=cfg.categories,
                until=_date(until, "--until"),
                progress=progress,
            )
    except CurateError as exc:
        raise CommandError(str(exc)) from None
    if as_json:
        typer.echo(json.dumps(asdict(report)))
        return
    err_console.print(
        f"trained on {report.papers:,} papers ({report.picked:,} picked) up to "
        f"{report.trained_until} in {report.seconds:.0f} s; saved to {report.folder}"
    )


@curate_app.command("today")
@handles_errors
def today_command(
    day: str | None = typer.Option(None, "--day", help="Listing day (default: the latest)."),
    limit: int = typer.Option(15, "--limit", min=1, max=1000, help="How many suggestions."),
    as_json: bool = typer.Option(False, "--json", help="Print the suggestions as JSON."),
) -> None:
    """Show the day's suggested papers, best first, with their reasons."""
    from papertide.rank.curate.service import CurateError, latest_day, suggestions_for_day

    cfg = settings()
    engine = open_database(cfg)
    when = _date(day, "--day") or latest_day(engine, cfg.categories)
    if when is None:
        raise CommandError(
            "no listed paper in the database yet; import arXiv listings first "
            "(papertide import jsonl … or papertide harvest)"
        )
    try:
        with err_console.status(f"scoring the papers of {when}"):
            ranked, origin = suggestions_for_day(
                engine, cfg.data_dir, when, categories=cfg.categories
            )
    except CurateError as exc:
        raise CommandError(str(exc)) from None
    if not ranked:
        raise CommandError(f"no paper in {', '.join(cfg.categories)} was listed on {when}")
    top = ranked[:limit]
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "day": when.isoformat(),
                    "model": origin,
                    "candidates": len(ranked),
                    "above_line": sum(1 for s in ranked if s.above_line),
                    "suggestions": [
                        {
                            "arxiv_id": s.paper.arxiv_id,
                            "title": s.paper.title,
                            "score": round(s.score, 4),
                            "above_line": s.above_line,
                            "reasons": list(s.reasons),
                        }
                        for s in top
                    ],
                }
            )
        )
        return
    above = sum(1 for s in ranked if s.above_line)
    err_console.print(
        f"{when}: {len(top)} of {len(ranked):,} papers ({origin} model); {above} above the line"
    )
    for rank, s in enumerate(top, start=1):
        mark = "*" if s.above_line else " "
        typer.echo(f"{rank:>3}.{mark}{s.paper.arxiv_id}  {s.paper.title}")
        typer.echo(f"     {s.score:.3f} · {'; '.join(s.reasons)}")


def register(app: typer.Typer) -> None:
    app.add_typer(curate_app, name="curate")
