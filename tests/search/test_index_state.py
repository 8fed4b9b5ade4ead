"""The typed index state (`state.json`) and the index health that /readyz and /metrics report."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine

from papertide.config import Settings
from papertide.search.api import Searcher
from papertide.search.state import (
    STATE_FILE,
    Cursor,
    IndexState,
    StateProblem,
    StateUnavailable,
    index_health,
    read_state,
    write_state,
)
from papertide.store.schema import Paper

# A state.json as the sync has always written it (format 1).
WRITTEN = {
    "format": 1,
    "model": "all-MiniLM-L6-v2-int8",
    "papers_cursor": ["2026-11-20T08:15:02.123456+00:00", 158898],
    "embeddings_cursor": ["2026-11-20T09:00:00+00:00", 42],
    "feed_cursor": "2026-11-19T23:59:59.500000+00:00",
    "papers": 158898,
    "vectors": 3098,
    "synced_at": "2026-11-20T09:00:01.000001+00:00",
}


def _write_raw(index_dir: Path, text: str) -> None:
    index_dir.mkdir(parents=True, exist_ok=True)
    (index_dir / STATE_FILE).write_text(text)


def test_a_written_state_reads_back_typed_and_writes_the_same_json(tmp_path: Path) -> None:
    _write_raw(tmp_path, json.dumps(WRITTEN))
    state = read_state(tmp_path)
    assert isinstance(state, IndexState)
    assert state.model == "all-MiniLM-L6-v2-int8"
    assert state.papers_cursor == Cursor(
        dt.datetime(2026, 11, 20, 8, 15, 2, 123456, tzinfo=dt.UTC), 158898
    )
    assert state.embeddings_cursor.id == 42
    assert state.feed_cursor == dt.datetime(2026, 11, 19, 23, 59, 59, 500000, tzinfo=dt.UTC)
    assert (state.papers, state.vectors) == (158898, 3098)
    assert state.to_json() == WRITTEN
    write_state(tmp_path, replace(state, papers=7))
    assert read_state(tmp_path) == replace(state, papers=7)


def test_a_naive_time_in_the_file_is_read_as_utc(tmp_path: Path) -> None:
    _write_raw(tmp_path, json.dumps({**WRITTEN, "feed_cursor": "2026-11-19T23:59:59"}))
    state = read_state(tmp_path)
    assert isinstance(state, IndexState)
    assert state.feed_cursor == dt.datetime(2026, 11, 19, 23, 59, 59, tzinfo=dt.UTC)


def test_a_folder_without_state_is_missing(tmp_path: Path) -> None:
    assert read_state(tmp_path / "never-built") == StateUnavailable(StateProblem.MISSING)
    assert read_state(tmp_path) == StateUnavailable(StateProblem.MISSING)


def test_a_state_of_another_format_is_reported_as_such(tmp_path: Path) -> None:
    _write_raw(tmp_path, json.dumps({**WRITTEN, "format": 2}))
    state = read_state(tmp_path)
    assert isinstance(state, StateUnavailable)
    assert state.problem is StateProblem.OTHER_FORMAT


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("{not json", "Expecting property name"),
        ("[1, 2]", "expected a JSON object"),
        (json.dumps({**WRITTEN, "papers_cursor": ["x", 0]}), "papers_cursor is not an ISO time"),
        (json.dumps({**WRITTEN, "papers_cursor": None}), "papers_cursor is missing"),
        (json.dumps({k: v for k, v in WRITTEN.items() if k != "model"}), "model is missing"),
        (json.dumps({**WRITTEN, "vectors": "8"}), "vectors is missing or not an integer"),
    ],
)
def test_an_unreadable_state_says_what_is_wrong(tmp_path: Path, text: str, detail: str) -> None:
    _write_raw(tmp_path, text)
    state = read_state(tmp_path)
    assert isinstance(state, StateUnavailable)
    assert state.problem is StateProblem.UNREADABLE
    assert detail in state.detail


def test_undecodable_bytes_are_unreadable_not_an_exception(tmp_path: Path) -> None:
    (tmp_path / STATE_FILE).write_bytes(b"\xff\xfe{")
    state = read_state(tmp_path)
    assert isinstance(state, StateUnavailable) and state.problem is StateProblem.UNREADABLE


def test_health_of_a_node_without_an_index(settings: Settings, engine: Engine) -> None:
    health = index_health(settings, engine)
    assert not health.built
    assert health.state == StateUnavailable(StateProblem.MISSING)
    assert health.error == f"no index built yet at {settings.effective_index_dir}"
    assert health.papers_behind is None and health.lag_seconds is None


def test_health_of_an_unreadable_index(settings: Settings, engine: Engine) -> None:
    _write_raw(settings.effective_index_dir, "{not json")
    health = index_health(settings, engine)
    assert not health.built
    assert health.error is not None
    assert health.error.startswith(f"index at {settings.effective_index_dir} unreadable: ")
    assert health.papers_behind is None and health.lag_seconds is None


def test_health_of_a_current_index_and_of_one_behind(
    corpus: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    Searcher(settings).sync(corpus, embed=False)
    health = index_health(settings, corpus)
    assert health.built and health.error is None
    assert isinstance(health.state, IndexState) and health.state.papers == 8
    assert health.papers_behind == 0 and health.lag_seconds == 0.0

    with corpus.begin() as conn:
        conn.execute(
            Paper.__table__.insert(),
            [{"arxiv_id": "2611.00001", "title": "A new paper", "abstract": "text"}],
        )
    # An hour later the index has still not seen the paper: an hour of lag.
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    monkeypatch.setattr("papertide.search.state.utcnow", lambda: later)
    behind = index_health(settings, corpus)
    assert behind.built and behind.papers_behind == 1
    assert behind.lag_seconds is not None and 3590 < behind.lag_seconds <= 3600 + 60


def test_health_with_the_database_down_is_built_with_unknown_lag(
    corpus: Engine, settings: Settings, tmp_path: Path
) -> None:
    Searcher(settings).sync(corpus, embed=False)
    gone = create_engine(f"sqlite:///{tmp_path / 'no-such-folder' / 'x.db'}")
    health = index_health(settings, gone)
    assert health.built and health.error is None
    assert health.papers_behind is None and health.lag_seconds is None
