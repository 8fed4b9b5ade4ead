"""Training from an instance's database, suggesting a day with reasons, saving and loading.

Runs on the bundled sample (real papers and a pseudonymised feed month) in a real SQLite file
and a real PostgreSQL schema.
"""

from __future__ import annotations

import datetime as dt
import gzip
from pathlib import Path

import pytest
from sqlalchemy import Engine

from papertide.config import Settings
from papertide.ingest.sample import load_demo_data
from papertide.rank.curate.model import Config
from papertide.rank.curate.service import (
    latest_day,
    model_folder,
    suggestions_for_day,
    train_from_database,
)
from papertide.rank.curate.suggest import CurateError, load, suggest

SMALL = Config(max_iter=40, max_features=20_000)
TRAIN_UNTIL = dt.date(2026, 8, 14)


@pytest.fixture
def sample_engine(settings: Settings, engine: Engine) -> Engine:
    load_demo_data(settings, engine)
    return engine


@pytest.mark.slow
def test_a_model_trained_on_the_instance_ranks_its_latest_day_with_reasons(
    settings: Settings, sample_engine: Engine
) -> None:
    cats = settings.categories
    report = train_from_database(
        sample_engine, settings.data_dir, categories=cats, until=TRAIN_UNTIL, config=SMALL
    )
    assert report.picked >= 30
    assert (model_folder(settings.data_dir) / "model.json").exists()
    day = latest_day(sample_engine, cats)
    assert day is not None and day > TRAIN_UNTIL
    ranked, origin = suggestions_for_day(sample_engine, settings.data_dir, day, categories=cats)
    assert origin == "instance"
    assert len(ranked) > 1
    assert [s.score for s in ranked] == sorted((s.score for s in ranked), reverse=True)
    assert all(s.reasons for s in ranked)
    assert any("earlier papers were picked here" in r for s in ranked for r in s.reasons)
    # The score is a probability; the line is the saved model's threshold.
    model = load(model_folder(settings.data_dir))
    assert 0.0 < model.threshold < 1.0
    assert all(0.0 <= s.score <= 1.0 for s in ranked)
    assert all(s.above_line == (s.score >= model.threshold) for s in ranked)


@pytest.mark.slow
def test_a_saved_model_scores_exactly_as_before(settings: Settings, sample_engine: Engine) -> None:
    train_from_database(
        sample_engine,
        settings.data_dir,
        categories=settings.categories,
        until=TRAIN_UNTIL,
        config=SMALL,
    )
    day = latest_day(sample_engine, settings.categories)
    assert day is not None
    first, _ = suggestions_for_day(sample_engine, settings.data_dir, day)
    reloaded = load(model_folder(settings.data_dir))
    assert reloaded.trained_until == TRAIN_UNTIL
    again, _ = suggestions_for_day(sample_engine, settings.data_dir, day)
    assert [s.paper.arxiv_id for s in again] == [s.paper.arxiv_id for s in first]
    assert [s.score for s in again] == pytest.approx([s.score for s in first])


def test_training_without_any_pick_says_what_is_missing(settings: Settings, engine: Engine) -> None:
    from papertide.ingest.jsonl_snapshot import JsonlSnapshot
    from papertide.ingest.pipeline import import_records
    from papertide.ingest.sample import SAMPLE_PAPERS, sample_path

    import_records(engine, JsonlSnapshot(sample_path(SAMPLE_PAPERS)), source="papers only")
    with pytest.raises(CurateError, match="picked"):
        train_from_database(
            engine, settings.data_dir, categories=settings.categories, until=TRAIN_UNTIL
        )
    assert not (model_folder(settings.data_dir) / "model.json").exists()


def test_a_day_without_listed_papers_has_no_suggestions(tmp_path: Path) -> None:
    from papertide.rank.curate.suggest import default_model

    assert suggest(default_model(), dt.date(2026, 9, 1), []) == []


@pytest.mark.slow
def test_a_new_instance_gets_suggestions_from_the_shipped_model(
    settings: Settings, sample_engine: Engine
) -> None:
    day = latest_day(sample_engine, settings.categories)
    assert day is not None
    ranked, origin = suggestions_for_day(
        sample_engine, settings.data_dir, day, categories=settings.categories
    )
    assert origin == "shipped"
    assert ranked and all(s.reasons for s in ranked)
    # Its picks were made on the public feed it learnt from, so no reason claims they were "here".
    by_authors = [r for s in ranked for r in s.reasons if "earlier papers were picked" in r]
    assert by_authors
    assert all("picked on Hugging Face Daily Papers or here" in r for r in by_authors)


def test_the_shipped_model_holds_no_user_handles() -> None:
    from papertide.rank.curate.suggest import DEFAULT_MODEL

    meta = (DEFAULT_MODEL / "model.json").read_text()
    assert "submitted_by" not in meta and "submitter" not in meta
    with gzip.open(DEFAULT_MODEL / "authors.tsv.gz", "rt") as handle:
        header = handle.readline().rstrip("\n").split("\t")
    assert header == ["author", "picks", "gain", "papers", "pick_days"]


@pytest.mark.slow
def test_no_model_suggests_a_day_whose_picks_it_learnt_from(
    settings: Settings, sample_engine: Engine
) -> None:
    from papertide.rank.curate.service import (
        TrainedOnDay,
        day_suggestions,
        forget_day_suggestions,
    )
    from papertide.rank.curate.suggest import default_model

    cats = settings.categories
    train_from_database(
        sample_engine, settings.data_dir, categories=cats, until=TRAIN_UNTIL, config=SMALL
    )
    forget_day_suggestions()
    # A day the instance's model trained on: the shipped model (trained before it) ranks it.
    ranked, origin = suggestions_for_day(
        sample_engine, settings.data_dir, TRAIN_UNTIL, categories=cats
    )
    assert origin == "shipped" and ranked
    later = latest_day(sample_engine, cats)
    assert later is not None
    assert suggestions_for_day(sample_engine, settings.data_dir, later, categories=cats)[1] == (
        "instance"
    )
    # A day both learnt from: a few sample papers were listed before the shipped model's end.
    shipped_until = default_model().trained_until
    july = dt.date(2026, 7, 9)  # feed papers of the sample listed before its feed month
    assert july <= shipped_until
    with pytest.raises(TrainedOnDay, match="would only repeat them"):
        suggestions_for_day(sample_engine, settings.data_dir, july, categories=cats)
    found = day_suggestions(sample_engine, settings.data_dir, july, categories=tuple(cats))
    assert found.above == () and found.learnt_until == shipped_until and found.problem is None
    forget_day_suggestions()
