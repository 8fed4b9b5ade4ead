"""The taste features: a paper against the picked and unpicked earlier papers of its authors
who have an earlier pick, as the history stood that morning."""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from papertide.rank.curate.history import History
from papertide.rank.curate.reasons import same_line_reason
from papertide.rank.curate.records import Candidate, Pick
from papertide.rank.curate.suggest import CurateError, _load_taste, _save_taste, day_history
from papertide.rank.curate.taste import EMPTY, NOT_LISTED, TASTE_FEATURES, Taste

DAY = dt.date(2026, 3, 10)
AGENTS = np.asarray([1.0, 0.0, 0.0], dtype=np.float32)
THEORY = np.asarray([0.0, 1.0, 0.0], dtype=np.float32)
VISION = np.asarray([0.0, 0.0, 1.0], dtype=np.float32)


def _paper(arxiv_id: str, day: dt.date, authors: tuple[str, ...] = ("Ada Lovelace",)) -> Candidate:
    return Candidate(
        arxiv_id=arxiv_id,
        day=day,
        title=f"Paper {arxiv_id}",
        abstract="",
        authors=authors,
        categories=("cs.LG",),
        comment="",
    )


def _features(history: History, vector: np.ndarray, authors: tuple[str, ...]) -> dict[str, float]:
    values = history.taste_features(authors, vector, DAY)
    return dict(zip(TASTE_FEATURES, values, strict=True))


def _group_history() -> History:
    """Ada's agent paper was picked; her two theory papers (listed weeks ago) were not."""
    papers = [
        _paper("2602.00001", DAY - dt.timedelta(days=30)),
        _paper("2602.00002", DAY - dt.timedelta(days=29)),
        _paper("2602.00003", DAY - dt.timedelta(days=28)),
    ]
    taste = Taste(
        vectors=np.vstack([AGENTS, THEORY, THEORY]),
        days=np.asarray([p.day.toordinal() for p in papers]),
        ids=[p.arxiv_id for p in papers],
    )
    history = History(taste=taste)
    for paper in papers:
        history.add_paper(paper)
    history.add_pick(
        Pick(
            "2602.00001",
            DAY - dt.timedelta(days=29),
            20,
            title="Agents  that plan",
            authors=("Ada Lovelace",),
        )
    )
    return history


def test_a_paper_near_a_groups_picked_work_ranks_above_one_near_its_unpicked_work() -> None:
    history = _group_history()
    agents = _features(history, AGENTS, ("Ada Lovelace",))
    theory = _features(history, THEORY, ("Ada Lovelace",))
    assert agents["taste_papers"] == theory["taste_papers"] == 3
    assert agents["taste_pick_max"] == pytest.approx(1.0)
    assert theory["taste_pick_max"] == pytest.approx(0.0, abs=1e-6)
    assert theory["taste_other_max"] == pytest.approx(1.0)
    assert agents["taste_rate"] > 0.5 > theory["taste_rate"]
    assert agents["taste_gain_rate"] > theory["taste_gain_rate"] == pytest.approx(0.0)
    assert agents["taste_near_rate"] == 1.0 and theory["taste_near_rate"] == 0.0
    # The reason names the closest picked paper of the same authors, when it is close.
    title, similarity = history.closest_pick(("Ada Lovelace",), AGENTS)
    assert (title, similarity) == ("Agents that plan", pytest.approx(1.0))
    title, similarity = history.closest_pick(("Ada Lovelace",), THEORY)
    assert same_line_reason(title, similarity) is None
    assert same_line_reason("Agents that plan", 0.9) == (
        "close to the same authors' “Agents that plan”, picked here"
    )


def test_authors_never_picked_and_a_history_without_vectors_give_the_empty_row() -> None:
    history = _group_history()
    history.add_paper(_paper("2602.00004", DAY - dt.timedelta(days=20), ("Brand New",)))
    assert history.taste_features(("Brand New",), AGENTS, DAY) == EMPTY
    assert History().taste_features(("Ada Lovelace",), AGENTS, DAY) == EMPTY


def test_a_pick_counts_only_once_it_is_known() -> None:
    taste = Taste(vectors=np.vstack([AGENTS]), days=np.asarray([DAY.toordinal() - 30]), ids=["a"])
    history = History(taste=taste)
    history.add_paper(_paper("a", DAY - dt.timedelta(days=30)))
    # No author of the paper has a pick yet: nothing to compare with.
    assert history.taste_features(("Ada Lovelace",), AGENTS, DAY) == EMPTY
    history.add_pick(Pick("a", DAY - dt.timedelta(days=2), 5, authors=("Ada Lovelace",)))
    assert _features(history, AGENTS, ("Ada Lovelace",))["taste_pick_max"] == pytest.approx(1.0)


def test_a_paper_listed_in_the_past_week_is_not_counted_as_unpicked_yet() -> None:
    history = _group_history()
    before = _features(history, THEORY, ("Ada Lovelace",))
    taste = history.taste
    assert taste is not None
    recent = _paper("2603.00009", DAY - dt.timedelta(days=2))
    taste.add_rows([recent.arxiv_id], THEORY.reshape(1, -1), [recent.day.toordinal()])
    history.add_paper(recent)
    after = _features(history, THEORY, ("Ada Lovelace",))
    assert after["taste_papers"] == before["taste_papers"] + 1
    # Not settled: the weighted rate and the near count are as before.
    assert after["taste_rate"] == pytest.approx(before["taste_rate"])
    assert after["taste_near"] == before["taste_near"]


def test_a_pick_not_listed_here_joins_its_authors_papers_when_picked() -> None:
    taste = Taste(vectors=np.vstack([VISION]), days=np.asarray([NOT_LISTED]), ids=["old"])
    history = History(taste=taste)
    history.add_pick(Pick("old", DAY - dt.timedelta(days=400), 3, authors=("Grace Hopper",)))
    f = _features(history, VISION, ("Grace Hopper",))
    assert f["taste_papers"] == 1 and f["taste_pick_max"] == pytest.approx(1.0)


def test_a_subset_and_a_saved_copy_score_the_same(tmp_path: Path) -> None:
    history = _group_history()
    taste = history.taste
    assert taste is not None
    other = _paper("2602.00005", DAY - dt.timedelta(days=25), ("Grace Hopper",))
    taste.add_rows([other.arxiv_id], VISION.reshape(1, -1), [other.day.toordinal()])
    history.add_paper(other)
    query = np.asarray([0.9, 0.3, 0.1], dtype=np.float32)
    want = _features(history, query, ("Ada Lovelace",))
    subset = taste.subset(["ada lovelace"])
    assert subset.ids == ["2602.00001", "2602.00002", "2602.00003"]
    history.taste = subset
    assert _features(history, query, ("Ada Lovelace",)) == pytest.approx(want)
    _save_taste(taste, tmp_path)
    history.taste = _load_taste(tmp_path)
    assert history.taste.titles == {0: "Agents that plan"}
    # Saved as int8 unit vectors: cosines move by under 0.01.
    assert _features(history, query, ("Ada Lovelace",)) == pytest.approx(want, abs=0.02)


def test_picks_made_since_training_reach_the_days_taste_features() -> None:
    from papertide.rank.curate.suggest import default_model

    model = default_model()
    assert model.history.taste is not None
    text = "Spectral graph sparsification of quantum error correcting codes. We sparsify."
    title, _, abstract = text.partition(". ")
    author = ("Zebulon Quarkwright",)
    later = model.trained_until + dt.timedelta(days=10)
    earlier = replace(_paper("2609.00001", later, author), title=title, abstract=abstract)
    today = replace(earlier, arxiv_id="2609.00002", day=later + dt.timedelta(days=3))
    pick = Pick(earlier.arxiv_id, later, 12, title=title, abstract=abstract, authors=author)
    vector = model.dense([today])[0]
    without = day_history(model, [today], [earlier], [])
    assert without.taste_features(author, vector, today.day) == EMPTY
    with_pick = day_history(model, [today], [earlier], [pick])
    f = dict(zip(TASTE_FEATURES, with_pick.taste_features(author, vector, today.day), strict=True))
    assert f["taste_papers"] == 1
    assert f["taste_pick_max"] == pytest.approx(1.0, abs=1e-3)
    # The shipped model's own rows are untouched by a day's scoring.
    assert "2609.00001" not in model.history.taste.row_of


def test_a_model_that_uses_taste_without_its_file_is_refused(tmp_path: Path) -> None:
    from papertide.rank.curate.suggest import DEFAULT_MODEL, load

    folder = tmp_path / "model"
    shutil.copytree(DEFAULT_MODEL, folder)
    assert "taste" in load(folder).config.groups
    whole = (folder / "taste.npz").read_bytes()
    (folder / "taste.npz").write_bytes(whole[:1000])  # cut short: not a zip file any more
    with pytest.raises(CurateError, match="cannot be read"):
        load(folder)
    (folder / "taste.npz").unlink()
    with pytest.raises(CurateError, match="taste"):
        load(folder)
