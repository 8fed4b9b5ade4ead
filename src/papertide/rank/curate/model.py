"""The community-interest model: features of a day's papers, a gradient-boosted ranker over them,
and the calibration that turns its score into the probability that the community picks a paper.

Feature groups (ablations switch them off by name):
- `meta`: what arXiv lists (authors, categories, comment, links, shape of title and abstract);
- `author`: the authors' earlier picks, their votes and earlier papers (time-respecting);
- `text`: a tf-idf logistic regression of "was picked" (out-of-fold on training rows);
- `trend`: closeness to the past days', weeks' and months' picks, and a vote of similar recent
  papers (cosines of small dense vectors);
- `day`: how many papers the day lists, and each paper's rank within its day;
- `taste`: closeness to the picked and unpicked earlier papers of the authors with an earlier
  pick (which of a group's lines of work the community follows; taste.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from papertide.rank.curate.features import META_FEATURES, meta_matrix
from papertide.rank.curate.history import AUTHOR_FEATURES, History, known_from, replay
from papertide.rank.curate.records import Candidate, Pick
from papertide.rank.curate.taste import NOT_LISTED, TASTE_FEATURES, Taste, unit_rows
from papertide.rank.curate.trend import TREND_FEATURES, TrendIndex, in_sample

TEXT_FEATURES = ("text_logit",)
DAY_FEATURES = ("day_papers", "text_rank", "author_rank", "id_rank", "id_month_lag")
FEATURE_GROUPS: dict[str, tuple[str, ...]] = {
    "meta": META_FEATURES,
    "author": AUTHOR_FEATURES,
    "text": TEXT_FEATURES,
    "trend": TREND_FEATURES,
    "day": DAY_FEATURES,
    "taste": TASTE_FEATURES,
}
ALL_GROUPS = tuple(FEATURE_GROUPS)
# The model's groups: all but the raw text score. Its rank within the day (`text_rank`, a `day`
# feature) carries the text; the raw score is out-of-fold on training rows but comes from the
# model fitted on every row later on, which is more confident (sd 1.54 against 1.38 on the
# validation split), so the booster's cuts on it shift. Without it: P@15 0.453 / nDCG@15 0.610
# against 0.448 / 0.602 on validation (three booster seeds; docs/curation.md).
DEFAULT_GROUPS = tuple(g for g in ALL_GROUPS if g != "text")
ALL_FEATURES = tuple(name for names in FEATURE_GROUPS.values() for name in names)

Progress = Callable[[int], None]


@dataclass(frozen=True)
class Config:
    groups: tuple[str, ...] = DEFAULT_GROUPS
    text_c: float = 4.0
    oof_blocks: bool = True
    max_features: int = 200_000
    # The dense vectors of the trend features: SVD dimensions, over this many frequent terms.
    dims: int = 128
    projection_terms: int = 30_000
    # "lambdarank": LightGBM ranking each day's papers against each other (days are the query
    # groups, gains as in nDCG); "binary": a classifier of picked / not picked.
    objective: str = "lambdarank"
    # binary only: a share of the negatives, positives weighted by their gain.
    negatives: float = 0.3
    weighted: bool = True
    learning_rate: float = 0.05
    max_iter: int = 300
    max_leaf_nodes: int = 31
    min_samples_leaf: int = 50
    l2: float = 1.0
    feature_fraction: float = 0.8
    # The seed of the booster's feature sampling (it moves P@15 by about 0.007 on validation:
    # bench/curate_eval.py --seeds averages over several).
    seed: int = 3
    # Days: training days count 0.5 ** (age / half_life) (0: all days the same).
    # 180 chosen on the validation split (P@15 0.438 / nDCG@15 0.597 against 0.433 / 0.588).
    half_life: float = 180.0
    # The last days of the training period on which the score is calibrated and the line chosen
    # (by a ranker fitted on the days before them).
    calibration_days: int = 60
    # The line: "precision" = the lowest score above which at least half the papers were picked
    # on the calibration days; "f1" = the score maximising F1 of "picked" there.
    line: str = "precision"

    def columns(self) -> NDArray[np.int64]:
        """Indices into ALL_FEATURES of the features this configuration uses."""
        wanted = {name for group in self.groups for name in FEATURE_GROUPS[group]}
        return np.asarray([i for i, n in enumerate(ALL_FEATURES) if n in wanted], dtype=np.int64)


@dataclass
class Corpus:
    """Listed papers flattened in day order, with their dense vectors, metadata and text scores."""

    papers: list[Candidate]
    days: NDArray[np.int64]
    dense: NDArray[np.float32]
    meta: NDArray[np.float32]
    text_logit: NDArray[np.float32]
    by_day: dict[dt.date, range] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        papers: Sequence[Candidate],
        dense: NDArray[np.float32],
        text_logit: NDArray[np.float32],
        meta: NDArray[np.float32] | None = None,
    ) -> Corpus:
        order = sorted(range(len(papers)), key=lambda i: (papers[i].day, papers[i].arxiv_id))
        ordered = [papers[i] for i in order]
        idx = np.asarray(order, dtype=np.int64)
        corpus = cls(
            papers=ordered,
            days=np.asarray([p.day.toordinal() for p in ordered], dtype=np.int64),
            dense=np.ascontiguousarray(dense[idx]),
            meta=(meta[idx] if meta is not None else meta_matrix(ordered)),
            text_logit=text_logit[idx],
        )
        start = 0
        for i in range(1, len(ordered) + 1):
            if i == len(ordered) or ordered[i].day != ordered[start].day:
                corpus.by_day[ordered[start].day] = range(start, i)
                start = i
        return corpus


def pick_index(
    picks: Sequence[Pick],
    pick_dense: NDArray[np.float32],
    corpus: Corpus,
    listed: Mapping[str, dt.date] | None = None,
) -> TrendIndex:
    """The trend index over a corpus's sampled papers and the picks (`pick_dense`: their dense
    vectors, in the order of `picks`)."""
    if listed is None:
        listed = {p.arxiv_id: p.day for p in corpus.papers}
    order = sorted(range(len(picks)), key=lambda i: picks[i].day)
    ordered = [picks[i] for i in order]
    sampled = np.asarray([in_sample(p.arxiv_id) for p in corpus.papers], dtype=np.bool_)
    rows = np.flatnonzero(sampled)
    return TrendIndex(
        paper_vectors=np.ascontiguousarray(corpus.dense[rows]),
        paper_days=corpus.days[rows],
        paper_ids=[corpus.papers[int(i)].arxiv_id for i in rows],
        pick_vectors=np.ascontiguousarray(pick_dense[np.asarray(order, dtype=np.int64)])
        if len(order)
        else np.zeros((0, corpus.dense.shape[1]), dtype=np.float32),
        pick_days=np.asarray([p.day.toordinal() for p in ordered], dtype=np.int64),
        pick_known=np.asarray([known_from(p, listed).toordinal() for p in ordered], dtype=np.int64),
    )


def taste_table(corpus: Corpus, picks: Sequence[Pick], pick_dense: NDArray[np.float32]) -> Taste:
    """A row for every listed paper of the corpus and every pick not listed in it (its dense
    vector from `pick_dense`, in the order of `picks`); nothing picked or known yet."""
    listed = {p.arxiv_id for p in corpus.papers}
    outside: dict[str, int] = {}
    for i, pick in enumerate(picks):
        if pick.arxiv_id not in listed:
            outside.setdefault(pick.arxiv_id, i)
    taste = Taste(
        vectors=unit_rows(corpus.dense),
        days=corpus.days.copy(),
        ids=[p.arxiv_id for p in corpus.papers],
    )
    if outside:
        rows = np.asarray(list(outside.values()), dtype=np.int64)
        taste.add_rows(list(outside), pick_dense[rows], [NOT_LISTED] * len(outside))
    return taste


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
    trend_x, nearest = trend.features(day, corpus.dense[rows.start : rows.stop], history.picked)
    day_x = np.column_stack(
        [
            np.full(len(papers), np.log1p(len(papers)), dtype=np.float32),
            _rank_pct(logit[:, 0]),
            _rank_pct(author[:, AUTHOR_FEATURES.index("auth_gain_sum")]),
            _rank_pct(-np.asarray([_id_order(p.arxiv_id) for p in papers], dtype=np.float32)),
            np.asarray([_month_lag(p.arxiv_id, day) for p in papers], dtype=np.float32),
        ]
    )
    dense = corpus.dense[rows.start : rows.stop]
    taste = np.asarray(
        [history.taste_features(p.authors, dense[i], day) for i, p in enumerate(papers)],
        dtype=np.float32,
    ).reshape(len(papers), len(TASTE_FEATURES))
    features = np.hstack(
        [corpus.meta[rows.start : rows.stop], author, logit, trend_x, day_x, taste]
    )
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
    taste: Taste | None = None,
) -> list[DayRows]:
    """Replay the days in order and build the rows of every day `emit` accepts (`taste`: the
    vectors of the listed papers and picks, see taste_table; without it the taste features
    are empty)."""
    by_day: Mapping[dt.date, Sequence[Candidate]] = {
        day: corpus.papers[r.start : r.stop] for day, r in corpus.by_day.items()
    }
    if taste is not None:
        history = history if history is not None else History()
        history.taste = taste
    out: list[DayRows] = []
    for day, hist in replay(by_day, picks, history=history, all_papers=all_papers):
        if emit(day):
            out.append(day_rows(day, corpus.by_day[day], corpus, hist, trend))
        if progress is not None:
            progress(1)
    return out


# The scorer: a LightGBM ranker (or classifier), its calibration, and the line. ---------------

# Models saved without a line (none of this papertide's own) use this probability.
DEFAULT_THRESHOLD = 0.5
MAX_LABEL = 30


def _lgb_params(config: Config) -> dict[str, Any]:
    params: dict[str, Any] = {
        "objective": config.objective,
        "learning_rate": config.learning_rate,
        "num_leaves": config.max_leaf_nodes,
        "min_data_in_leaf": config.min_samples_leaf,
        "lambda_l2": config.l2,
        "feature_fraction": config.feature_fraction,
        "bagging_seed": config.seed,
        "feature_fraction_seed": config.seed,
        "seed": 0,
        "deterministic": True,
        "force_row_wise": True,
        # One thread: the worker shares two cores with the web process and other jobs, and
        # OpenMP threads of an oversubscribed machine wait on each other.
        "num_threads": 1,
        "verbosity": -1,
    }
    if config.objective == "lambdarank":
        # Linear gains, as in the protocol's nDCG: a label is round(log2(2 + votes)).
        params["label_gain"] = [float(i) for i in range(MAX_LABEL + 1)]
        params["lambdarank_truncation_level"] = 30
        params["eval_at"] = [15]
    return params


def fit_ranker(
    x: NDArray[np.float32],
    gain: NDArray[np.float32],
    day: NDArray[np.int64],
    config: Config,
) -> Any:
    """A LightGBM booster over rows `x` (grouped by ascending `day`), labels from `gain` (0:
    not picked, else log2(2 + votes))."""
    import lightgbm as lgb

    weight = None
    if config.half_life > 0:
        weight = 0.5 ** ((day.max() - day) / config.half_life)
    if config.objective == "lambdarank":
        label = np.clip(np.rint(gain), 0, MAX_LABEL).astype(np.int32)
        _, sizes = np.unique(day, return_counts=True)
        data = lgb.Dataset(x, label=label, group=sizes, weight=weight, free_raw_data=True)
    else:
        y = (gain > 0).astype(np.int32)
        keep = np.arange(len(y))
        if config.negatives < 1.0:
            rng = np.random.default_rng(7)
            keep = np.flatnonzero((y == 1) | (rng.random(len(y)) < config.negatives))
        w = np.where(y == 1, gain, 1.0) if config.weighted else np.ones(len(y))
        if weight is not None:
            w = w * weight
        data = lgb.Dataset(x[keep], label=y[keep], weight=w[keep], free_raw_data=True)
    return lgb.train(_lgb_params(config), data, num_boost_round=config.max_iter)


@dataclass
class Scorer:
    """Raw ranker scores, the Platt calibration turning them into a probability of being
    picked, and the line (a probability) above which a paper is suggested."""

    ranker: Any
    columns: NDArray[np.int64]
    platt: tuple[float, float] = (1.0, 0.0)
    threshold: float = DEFAULT_THRESHOLD
    calibration: dict[str, float] = field(default_factory=dict)

    def raw(self, features: NDArray[np.float32]) -> NDArray[np.float64]:
        if features.shape[0] == 0:
            return np.zeros(0, dtype=np.float64)
        out = self.ranker.predict(features[:, self.columns], num_threads=1)
        return np.asarray(out, dtype=np.float64)

    def probability(self, raw: NDArray[np.float64]) -> NDArray[np.float64]:
        a, b = self.platt
        return np.asarray(1.0 / (1.0 + np.exp(-(a * raw + b))), dtype=np.float64)


def _platt(raw: NDArray[np.float64], y: NDArray[np.int8]) -> tuple[float, float]:
    from sklearn.linear_model import LogisticRegression

    fitted = LogisticRegression(C=100.0).fit(raw.reshape(-1, 1), y)
    return float(fitted.coef_[0][0]), float(fitted.intercept_[0])


def choose_line(probability: NDArray[np.float64], y: NDArray[np.int8], how: str) -> float:
    """The line on the calibration days: the lowest probability above which at least half the
    papers were picked ("precision"), or the one maximising F1 of "picked" ("f1")."""
    order = np.argsort(-probability, kind="stable")
    hits = np.cumsum(y[order])
    shown = np.arange(1, len(order) + 1)
    precision = hits / shown
    if how == "f1":
        recall = hits / max(int(y.sum()), 1)
        f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-9)
        best = int(np.argmax(f1))
    else:
        ok = np.flatnonzero(precision >= 0.5)
        # Never on the strength of the first handful alone: at least 10 papers above the line.
        ok = ok[ok >= min(9, len(order) - 1)]
        if ok.size == 0:
            return float(probability.max()) + 1e-6
        best = int(ok[-1])
    return float(probability[order[best]])


def line_stats(
    probability: NDArray[np.float64], y: NDArray[np.int8], day: NDArray[np.int64], line: float
) -> dict[str, float]:
    """Per-day figures of a line: papers above it, their precision, recall, days with none."""
    above = probability >= line
    days = np.unique(day)
    per_day = np.asarray([int(above[day == d].sum()) for d in days])
    return {
        "days": float(len(days)),
        "above_per_day": float(per_day.mean()) if len(days) else 0.0,
        "days_with_none": float((per_day == 0).sum()),
        "precision_above": float(y[above].mean()) if above.any() else 0.0,
        "recall_above": float(y[above].sum() / max(int(y.sum()), 1)),
        "mean_probability": float(probability.mean()) if len(probability) else 0.0,
        "pick_rate": float(y.mean()) if len(y) else 0.0,
        "brier": float(np.mean((probability - y) ** 2)) if len(y) else 0.0,
    }


def fit_scorer(
    x: NDArray[np.float32], gain: NDArray[np.float32], day: NDArray[np.int64], config: Config
) -> Scorer:
    """Fit the ranker on every row; calibrate it and choose the line on the last
    `calibration_days` days with a ranker fitted on the days before them."""
    columns = config.columns()
    x = x[:, columns]
    y = (gain > 0).astype(np.int8)
    # A young instance holds few days: calibrate on its last quarter at most.
    span = int(day.max() - day.min()) + 1
    cut = int(day.max()) - min(config.calibration_days, max(1, span // 4))
    early = day <= cut
    platt, line, stats = (1.0, 0.0), DEFAULT_THRESHOLD, {}
    if config.calibration_days > 0 and early.any() and (~early).any() and y[~early].any():
        held = fit_ranker(x[early], gain[early], day[early], config)
        raw = np.asarray(held.predict(x[~early], num_threads=1), dtype=np.float64)
        platt = _platt(raw, y[~early])
        scorer = Scorer(held, np.arange(x.shape[1]), platt)
        probability = scorer.probability(raw)
        line = choose_line(probability, y[~early], config.line)
        stats = line_stats(probability, y[~early], day[~early], line)
    ranker = fit_ranker(x, gain, day, config)
    return Scorer(ranker, columns, platt, line, stats)
