"""Suggestions for an instance: train from its database, pick its model, suggest a day.

The instance's own model lives in `<data_dir>/curate/model/`; until it has one (or when its
community has too little history to train), the model shipped with papertide is used.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from papertide.rank.curate.database import community_picks, listed_papers
from papertide.rank.curate.model import Config
from papertide.rank.curate.suggest import (
    CurateError,
    CurateModel,
    Progress,
    Suggestion,
    default_model,
    load,
    save,
    suggest,
    train,
)
from papertide.rank.curate.trend import LONG, WINDOW

_cache: dict[Path, tuple[float, CurateModel]] = {}


def model_folder(data_dir: Path) -> Path:
    return data_dir / "curate" / "model"


def current_model(data_dir: Path) -> tuple[CurateModel, str]:
    """(the model to use, where it came from: "instance" or "shipped")."""
    folder = model_folder(data_dir)
    marker = folder / "model.json"
    if marker.exists():
        stamp = marker.stat().st_mtime
        cached = _cache.get(folder)
        if cached is None or cached[0] != stamp:
            _cache[folder] = (stamp, load(folder))
        return _cache[folder][1], "instance"
    shipped = _cache.get(Path("<shipped>"))
    if shipped is None:
        shipped = (0.0, default_model())
        _cache[Path("<shipped>")] = shipped
    return shipped[1], "shipped"


@dataclass(frozen=True)
class TrainReport:
    folder: str
    trained_until: str
    papers: int
    picked: int
    seconds: float


def train_from_database(
    engine: Engine,
    data_dir: Path,
    *,
    categories: Sequence[str],
    until: dt.date | None = None,
    config: Config | None = None,
    progress: Progress | None = None,
) -> TrainReport:
    """Retrain on the instance's papers and picks up to `until` (default: yesterday) and save.

    The new model replaces the old one only once it is completely written.
    """
    started = time.perf_counter()
    until = until or dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    with Session(engine) as session:
        papers = listed_papers(session, until=until, categories=categories)
        picks = community_picks(session, before=until + dt.timedelta(days=1))
    kwargs = {"progress": progress} if progress is not None else {}
    model = train(papers, picks, until=until, config=config, categories=tuple(categories), **kwargs)
    folder = model_folder(data_dir)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="model-", dir=folder.parent))
    save(model, staging)
    old = folder.with_name("model.old")
    if folder.exists():
        shutil.rmtree(old, ignore_errors=True)
        folder.rename(old)
    staging.rename(folder)
    shutil.rmtree(old, ignore_errors=True)
    return TrainReport(
        folder=str(folder),
        trained_until=until.isoformat(),
        papers=int(model.stats["papers"]),
        picked=int(model.stats["picked"]),
        seconds=round(time.perf_counter() - started, 1),
    )


def suggestions_for_day(
    engine: Engine, data_dir: Path, day: dt.date, *, categories: Sequence[str] = ()
) -> tuple[list[Suggestion], str]:
    """(the day's papers ranked with reasons, which model ranked them)."""
    model, origin = current_model(data_dir)
    since = min(day - dt.timedelta(days=WINDOW), model.trained_until + dt.timedelta(days=1))
    cats = tuple(categories) or model.categories
    with Session(engine) as session:
        papers = listed_papers(session, since=since, until=day, categories=cats)
        # The instance's own model counted every pick up to its training day already; the
        # trend features still compare the day with the past LONG days' picks.
        picks_since = (
            min(day - dt.timedelta(days=LONG), model.trained_until + dt.timedelta(days=1))
            if origin == "instance"
            else None
        )
        picks = community_picks(session, before=day, since=picks_since)
    todays = [p for p in papers if p.day == day]
    earlier = [p for p in papers if p.day < day]
    return suggest(model, day, todays, earlier_papers=earlier, picks=picks), origin


__all__ = [
    "CurateError",
    "TrainReport",
    "current_model",
    "latest_day",
    "model_folder",
    "suggestions_for_day",
    "train_from_database",
]


def latest_day(engine: Engine, categories: Sequence[str] = ()) -> dt.date | None:
    """The latest listing day in the database (in `categories` when given)."""
    from sqlalchemy import func, select

    from papertide.store.schema import Paper, PaperCategory

    stmt = select(func.max(Paper.first_announced))
    if categories:
        in_category = select(PaperCategory.paper_id).where(
            PaperCategory.category.in_(list(categories))
        )
        stmt = stmt.where(Paper.id.in_(in_category))
    with Session(engine) as session:
        value = session.scalar(stmt)
    return value if isinstance(value, dt.date) else None
