"""The community-interest model: features of a day's papers, a gradient-boosted scorer over them.

Feature groups (ablations switch them off by name):
- `meta`: what arXiv lists (authors, categories, comment, links, shape of title and abstract);
- `author`: the authors' earlier picks, their votes and earlier papers (time-respecting);
- `text`: a tf-idf logistic regression of "was picked" (out-of-fold on training rows);
- `trend`: closeness to the past weeks' picks and a vote of similar recent papers;
- `day`: how many papers the day lists, and each paper's rank within its day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from papertide.rank.curate.features import META_FEATURES, meta_matrix
from papertide.rank.curate.history import AUTHOR_FEATURES, History, known_from, replay
from papertide.rank.curate.records import Candidate, Pick
from papertide.rank.curate.text import TextModel
from papertide.rank.curate.trend import TREND_FEATURES, TrendIndex

TEXT_FEATURES = ("text_logit",)
DAY_FEATURES = ("day_papers", "text_rank", "author_rank", "id_rank", "id_month_lag")
FEATURE_GROUPS: dict[str, tuple[str, ...]] = {
    "meta": META_FEATURES,
    "author": AUTHOR_FEATURES,
    "text": TEXT_FEATURES,
    "trend": TREND_FEATURES,
    "day": DAY_FEATURES,
}
ALL_GROUPS = tuple(FEATURE_GROUPS)
ALL_FEATURES = tuple(name for names in FEATURE_GROUPS.values() for name in names)

Progress = Callable[[int], None]


@dataclass(frozen=True)
class Config:
    groups: tuple[str, ...] = ALL_GROUPS
    text_c: float = 4.0
    oof_blocks: bool = True
    # Chosen on the validation split (bench/results/curate_val_grid.json): a 30% sample of the
    # negatives is faster and no worse; positives weighted by their gain help nDCG and P@15.
    negatives: float = 0.3
    weighted: bool = True
    max_features: int = 200_000
    learning_rate: float = 0.08
    max_iter: int = 200
    max_leaf_nodes: int = 31
    min_samples_leaf: int = 80
    l2: float = 1.0

    def columns(self) -> NDArray[np.int64]:
        """Indices into ALL_FEATURES of the features this configuration uses."""
        wanted = {name for group in self.groups for name in FEATURE_GROUPS[group]}
        return np.asarray([i for i, n in enumerate(ALL_FEATURES) if n in wanted], dtype=np.int64)


@dataclass
class Corpus:
    """Listed papers flattened in day order, with their vectors, metadata and text scores."""

    papers: list[Candidate]
    days: NDArray[np.int64]
    vectors: sparse.csr_matrix
    meta: NDArray[np.float32]
    text_logit: NDArray[np.float32]
    by_day: dict[dt.date, range] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        papers: Sequence[Candidate],
        vectors: sparse.csr_matrix,
        text_logit: NDArray[np.float32],
        meta: NDArray[np.float32] | None = None,
    ) -> Corpus:
        order = sorted(range(len(papers)), key=lambda i: (papers[i].day, papers[i].arxiv_id))
        ordered = [papers[i] for i in order]
        idx = np.asarray(order, dtype=np.int64)
        corpus = cls(
            papers=ordered,
            days=np.asarray([p.day.toordinal() for p in ordered], dtype=np.int64),
            vectors=sparse.csr_matrix(vectors[idx]) if len(order) else vectors,
            meta=(meta[idx] if meta is not None else meta_matrix(ordered)),
            text_logit=text_logit[idx],
        )
        start = 0
        for i in range(1, len(ordered) + 1):
            if i == len(ordered) or ordered[i].day != ordered[start].day:
                corpus.by_day[ordered[start].day] = range(start, i)
                start = i
        return corpus


def pick_index(picks: Sequence[Pick], text_model: TextModel, corpus: Corpus) -> TrendIndex:
    """The trend index over a corpus and the picks (vectors by the corpus's text model)."""
    listed = {p.arxiv_id: p.day for p in corpus.papers}
    ordered = sorted(picks, key=lambda p: p.day)
    vectors = (
        text_model.vectors([p.text for p in ordered])
        if ordered
        else sparse.csr_matrix((0, corpus.vectors.shape[1]), dtype=np.float32)
    )
    return TrendIndex(
        paper_vectors=corpus.vectors,
        paper_days=corpus.days,
        paper_ids=[p.arxiv_id for p in corpus.papers],
        pick_vectors=vectors,
        pick_days=np.asarray([p.day.toordinal() for p in ordered], dtype=np.int64),
        pick_known=np.asarray([known_from(p, listed).toordinal() for p in ordered], dtype=np.int64),
        pick_titles=[p.title for p in ordered],
    )


def _rank_pct(values: NDArray[np.float32]) -> NDArray[np.float32]:
    """0 for the day's highest value, 1 for its lowest."""
    if values.size <= 1:
        return np.zeros_like(values)
    ranks = np.empty(values.size, dtype=np.float32)
    ranks[np.argsort(-values, kind="stable")] = np.arange(values.size, dtype=np.float32)
    return (ranks / (values.size - 1)).astype(np.float32)


def _id_order(arxiv_id: str) -> float:
    """Submission order of a new-style id (YYMM.NNNNN); 0 for old-style ids."""
    head, _, tail = arxiv_id.partition(".")
    if not tail or not head.isdigit() or not tail.isdigit():
        return 0.0
    return int(head) * 100_000 + int(tail)


def _month_lag(arxiv_id: str, day: dt.date) -> float:
    """Months between the id's submission month and the listing day (cross-lists, late ones)."""
    head = arxiv_id.partition(".")[0]
    if not head.isdigit() or len(head) != 4:
        return 99.0
    year, month = 2000 + int(head[:2]), int(head[2:])
    return float((day.year - year) * 12 + day.month - month)


@dataclass
class DayRows:
    day: dt.date
    rows: range  # into the corpus
    features: NDArray[np.float32]  # ALL_FEATURES
    nearest_pick: NDArray[np.int64]
    authors_picked: list[tuple[int, int]]


def day_rows(
    day: dt.date, rows: range, corpus: Corpus, history: History, trend: TrendIndex
) -> DayRows:
    """ALL_FEATURES of one day's papers, from the history as it stood that morning."""
    papers = corpus.papers[rows.start : rows.stop]
    author = np.asarray([history.author_features(p.authors, day) for p in papers], np.float32)
    author = author.reshape(len(papers), len(AUTHOR_FEATURES))
    logit = corpus.text_logit[rows.start : rows.stop].reshape(-1, 1)
    trend_x, nearest = trend.features(day, corpus.vectors[rows.start : rows.stop], history.picked)
    day_x = np.column_stack(
        [
            np.full(len(papers), np.log1p(len(papers)), dtype=np.float32),
            _rank_pct(logit[:, 0]),
            _rank_pct(author[:, AUTHOR_FEATURES.index("auth_gain_sum")]),
            _rank_pct(-np.asarray([_id_order(p.arxiv_id) for p in papers], dtype=np.float32)),
            np.asarray([_month_lag(p.arxiv_id, day) for p in papers], dtype=np.float32),
        ]
    )
    features = np.hstack([corpus.meta[rows.start : rows.stop], author, logit, trend_x, day_x])
    return DayRows(
        day=day,
        rows=rows,
        features=features.astype(np.float32),
        nearest_pick=nearest,
        authors_picked=[history.author_counts(p.authors) for p in papers],
    )


def all_day_rows(
    corpus: Corpus,
    picks: Sequence[Pick],
    trend: TrendIndex,
    *,
    emit: Callable[[dt.date], bool] = lambda day: True,
    history: History | None = None,
    all_papers: Sequence[Candidate] = (),
    progress: Progress | None = None,
) -> list[DayRows]:
    """Replay the days in order and build the rows of every day `emit` accepts."""
    by_day: Mapping[dt.date, Sequence[Candidate]] = {
        day: corpus.papers[r.start : r.stop] for day, r in corpus.by_day.items()
    }
    out: list[DayRows] = []
    for day, hist in replay(by_day, picks, history=history, all_papers=all_papers):
        if emit(day):
            out.append(day_rows(day, corpus.by_day[day], corpus, hist, trend))
        if progress is not None:
            progress(1)
    return out


def booster(config: Config) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(
        learning_rate=config.learning_rate,
        max_iter=config.max_iter,
        max_leaf_nodes=config.max_leaf_nodes,
        min_samples_leaf=config.min_samples_leaf,
        l2_regularization=config.l2,
        early_stopping=False,
        random_state=0,
    )
