"""Suggestions for an instance: train from its database, pick its model, suggest a day.

The instance's own model lives in `<data_dir>/curate/model/`; until it has one (or when its
community has too little history to train), the model shipped with papertide is used.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from papertide.rank.curate.database import community_picks, hidden_papers, listed_papers
from papertide.rank.curate.model import DEFAULT_THRESHOLD, Config
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

log = logging.getLogger("papertide.curate")
_cache: dict[Path, tuple[float, CurateModel]] = {}


def model_folder(data_dir: Path) -> Path:
    return data_dir / "curate" / "model"


def current_model(data_dir: Path, day: dt.date | None = None) -> tuple[CurateModel, str]:
    """(the model to use, where it came from: "instance" or "shipped").

    For a `day`, the instance's model only if it was trained on the days before it: a model
    that learnt from the day's own picks would only repeat them (the shipped one serves then,
    and the caller checks that it too was trained before the day)."""
    folder = model_folder(data_dir)
    marker = folder / "model.json"
    if marker.exists():
        stamp = marker.stat().st_mtime
        cached = _cache.get(folder)
        if cached is None or cached[0] != stamp:
            try:
                _cache[folder] = (stamp, load(folder))
            except CurateError as exc:
                # An unreadable or older-format model (after an upgrade) must not take the
                # suggestions away until the next retrain replaces it: the shipped one serves.
                log.warning(
                    "the instance's suggestion model is not usable, shipped one serves: %s", exc
                )
                _cache.pop(folder, None)
        if folder in _cache and (day is None or _cache[folder][1].trained_until < day):
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


class TrainedOnDay(CurateError):
    """Every model at hand was trained on the day's own picks: it cannot suggest that day."""

    def __init__(self, day: dt.date, trained_until: dt.date) -> None:
        self.trained_until = trained_until
        super().__init__(
            f"no suggestions for {day}: the model learnt from the picks up to {trained_until}, "
            "that day's among them, so it would only repeat them"
        )


def suggestions_for_day(
    engine: Engine, data_dir: Path, day: dt.date, *, categories: Sequence[str] = ()
) -> tuple[list[Suggestion], str]:
    """(the day's papers ranked with reasons, which model ranked them); CurateError when every
    model at hand learnt from that day's picks."""
    model, origin = current_model(data_dir, day)
    if model.trained_until >= day:
        raise TrainedOnDay(day, model.trained_until)
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
    "DaySuggestions",
    "TrainReport",
    "TrainedOnDay",
    "chance_label",
    "current_model",
    "day_suggestions",
    "forget_day_suggestions",
    "latest_day",
    "model_folder",
    "model_stamp",
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


# The day's suggestions above the line, for pages, feeds and digests. ------------------------


# A day's suggestions change only when the model is replaced (its stamp is part of the key) or
# when papers of that day are imported late; ten minutes bounds the second.
DAY_TTL = 600.0
# A failure (model unreadable) is retried sooner: an admin fixing it should not wait long.
FAILED_TTL = 60.0
_DAY_ENTRIES = 64
_day_cache: dict[tuple[object, ...], tuple[float, DaySuggestions]] = {}
# One scoring at a time: the model object (and its vector cache) is shared, and a second
# reader of the same day should wait for the first one's answer instead of scoring it again.
_day_lock = threading.Lock()


@dataclass(frozen=True)
class DaySuggestions:
    """The papers of one listing day at or above the model's line, best first."""

    day: dt.date
    origin: str  # "instance", "shipped", or "" when no model could score the day
    threshold: float
    considered: int  # the day's papers in the categories that the model ranked
    above: tuple[Suggestion, ...]
    problem: str | None = None  # why nothing could be ranked (for the log and the API)
    # Set when every model at hand learnt from this day's picks (up to this day): no ranking.
    learnt_until: dt.date | None = None

    @property
    def below(self) -> int:
        return self.considered - len(self.above)


def chance_label(score: float) -> str:
    """A suggestion's probability of being picked, as a percentage never claiming certainty."""
    if score < 0.005:
        return "<1%"
    if score > 0.995:
        return ">99%"
    return f"{round(score * 100)}%"


def model_stamp(data_dir: Path) -> str:
    """Which model serves now: the instance's (by its file's time) or the shipped one."""
    try:
        return f"instance:{(model_folder(data_dir) / 'model.json').stat().st_mtime_ns}"
    except OSError:
        return "shipped"


def day_suggestions(
    engine: Engine, data_dir: Path, day: dt.date, *, categories: Sequence[str] = ()
) -> DaySuggestions:
    """The day's suggestions above the line, cached per (database, day, model); never raises.

    An unreadable model or a failing scorer gives an empty answer with `problem` set (and a
    log line), so the pages, feeds and digests that show suggestions keep working without them.
    """
    return _without_hidden(engine, _cached_day(engine, data_dir, day, categories))


def _cached_day(
    engine: Engine, data_dir: Path, day: dt.date, categories: Sequence[str]
) -> DaySuggestions:
    key = (str(engine.url), str(data_dir), day, model_stamp(data_dir), tuple(categories))
    hit = _day_cache.get(key)
    if hit is not None and hit[0] > time.monotonic():
        return hit[1]
    with _day_lock:
        hit = _day_cache.get(key)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        result = _score_day(engine, data_dir, day, categories)
        if len(_day_cache) >= _DAY_ENTRIES:
            _day_cache.clear()
        ttl = FAILED_TTL if result.problem else DAY_TTL
        _day_cache[key] = (time.monotonic() + ttl, result)
        return result


def _without_hidden(engine: Engine, result: DaySuggestions) -> DaySuggestions:
    """Drop papers a moderator hid from the feed: checked on every call (a handful of ids), so a
    hide takes effect at once, on every web node, whatever the cache holds."""
    if not result.above:
        return result
    with Session(engine) as session:
        hidden = hidden_papers(session, [s.paper.arxiv_id for s in result.above])
    if not hidden:
        return result
    return replace(result, above=tuple(s for s in result.above if s.paper.arxiv_id not in hidden))


def _score_day(
    engine: Engine, data_dir: Path, day: dt.date, categories: Sequence[str]
) -> DaySuggestions:
    try:
        model, origin = current_model(data_dir, day)
        threshold = float(model.threshold)
        if not _listed_on(engine, day, categories or model.categories):
            # Weekends, days before the data or after it: no window of papers to load.
            return DaySuggestions(day, origin, threshold, 0, ())
        ranked, origin = suggestions_for_day(engine, data_dir, day, categories=categories)
    except TrainedOnDay as exc:
        return DaySuggestions(day, "", DEFAULT_THRESHOLD, 0, (), learnt_until=exc.trained_until)
    except CurateError as exc:
        log.warning("no suggestions for %s: %s", day, exc)
        return DaySuggestions(day, "", DEFAULT_THRESHOLD, 0, (), problem=str(exc))
    except Exception as exc:  # a broken model must not take the daily page down with it
        log.exception("scoring the suggestions of %s failed", day)
        return DaySuggestions(
            day, "", DEFAULT_THRESHOLD, 0, (), problem=f"the suggestion model failed ({exc})"
        )
    above = tuple(s for s in ranked if s.score >= threshold)
    return DaySuggestions(day, origin, threshold, len(ranked), above)


def _listed_on(engine: Engine, day: dt.date, categories: Sequence[str]) -> bool:
    """Whether any paper in the categories was first announced on `day`."""
    from sqlalchemy import select

    from papertide.store.schema import Paper, PaperCategory

    stmt = select(Paper.id).where(Paper.first_announced == day).limit(1)
    if categories:
        in_category = select(PaperCategory.paper_id).where(
            PaperCategory.category.in_(list(categories))
        )
        stmt = stmt.where(Paper.id.in_(in_category))
    with Session(engine) as session:
        return session.scalar(stmt) is not None


def forget_day_suggestions() -> None:
    """Drop every cached day (tests, or after importing a day's papers late)."""
    with _day_lock:
        _day_cache.clear()
