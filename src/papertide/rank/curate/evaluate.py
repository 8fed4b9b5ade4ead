"""The issue-12 protocol end to end: fit on the training months, rank each test day, measure.

Everything fitted (vectoriser, regression, booster) sees only papers listed up to
`train_until` and picks dated up to that day; each test day is then scored with the history a
live instance would have that morning (picks known before it), and judged against every pick of
its papers (any feed date).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from papertide.rank.curate.features import has_link
from papertide.rank.curate.model import (
    ALL_FEATURES,
    Config,
    Corpus,
    DayRows,
    Scorer,
    all_day_rows,
    fit_scorer,
    pick_index,
    taste_table,
)
from papertide.rank.curate.protocol import (
    FIRST_FULL_DAY,
    DayResult,
    Summary,
    day_result,
    days_with_positive,
    gains,
    group_days,
    summarise,
)
from papertide.rank.curate.records import DEFAULT_CATEGORIES, Candidate, Pick, in_categories
from papertide.rank.curate.text import TextModel, fit_text_model, out_of_fold_scores

ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Split:
    train_until: dt.date
    test_from: dt.date
    test_until: dt.date | None = None
    # Labels of the test days: picks dated before this day (None: every pick). A validation
    # split inside the training months sets it to the end of those months.
    labels_before: dt.date | None = None
    start: dt.date = FIRST_FULL_DAY

    def __post_init__(self) -> None:
        if self.test_from <= self.train_until:
            raise ValueError(
                f"the test period must start after the training period: test from "
                f"{self.test_from} is not after train until {self.train_until}"
            )
        if self.test_until is not None and self.test_until < self.test_from:
            raise ValueError(f"test until {self.test_until} is before test from {self.test_from}")


@dataclass
class TextStage:
    model: TextModel
    dense: NDArray[np.float32]  # all papers, input order
    logits: NDArray[np.float32]  # out-of-fold on training papers, fitted model elsewhere


def fit_text_stage(
    papers: Sequence[Candidate], train: NDArray[np.bool_], labels: NDArray[np.int8], config: Config
) -> TextStage:
    """Fit the text model on the training papers; out-of-fold logits for them."""
    train_idx = np.flatnonzero(train)
    model, train_vectors = fit_text_model(
        [papers[int(i)].text for i in train_idx],
        labels[train_idx],
        c=config.text_c,
        max_features=config.max_features,
        dims=config.dims,
        projection_terms=config.projection_terms,
    )
    vectors = model.vectors([p.text for p in papers])
    logits = model.scores(vectors)
    dense = model.dense(vectors)
    del vectors
    blocks = None
    if config.oof_blocks:
        # Fortnights: close enough in time to share topics, so they are held out together.
        blocks = np.asarray(
            [papers[int(i)].day.toordinal() // 14 for i in train_idx], dtype=np.int64
        )
    logits[train_idx] = out_of_fold_scores(
        train_vectors, labels[train_idx], c=config.text_c, blocks=blocks
    )
    return TextStage(model, dense, logits)


@dataclass
class Prepared:
    """Everything a split's rankers share: the corpus, labels and the rows of every day."""

    corpus: Corpus
    rows: list[DayRows]
    train_gain: dict[str, float]
    test_gain: dict[str, float]
    test_days: list[dt.date]
    split: Split

    def train_matrix(self) -> tuple[NDArray[np.float32], NDArray[np.float32], NDArray[np.int64]]:
        """(features, gains (0: not picked), ordinal days) of the training days' papers."""
        parts = [r for r in self.rows if r.day <= self.split.train_until]
        return stack_rows(parts, self.corpus, self.train_gain)

    def test_rows(self) -> list[DayRows]:
        wanted = set(self.test_days)
        return [r for r in self.rows if r.day in wanted]


def prepare(
    candidates: Sequence[Candidate],
    picks: Sequence[Pick],
    split: Split,
    config: Config,
    *,
    categories: tuple[str, ...] = DEFAULT_CATEGORIES,
    text_stage: Callable[[Sequence[Candidate], NDArray[np.bool_], NDArray[np.int8]], TextStage]
    | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> Prepared:
    """Fit the text stage on the training months and build every day's feature rows."""
    last = split.test_until
    by_day = group_days(
        (c for c in candidates if in_categories(c, categories)), start=split.start, until=last
    )
    papers = [c for day_papers in by_day.values() for c in day_papers]
    train_gain = gains(picks, before=split.train_until + ONE_DAY)
    test_gain = gains(picks, before=split.labels_before)
    test_days = days_with_positive(by_day, test_gain, start=split.test_from, until=last)
    if not test_days:
        raise ValueError(
            f"no test day: no listed paper from {split.test_from} on was ever picked; "
            "check --test-from and that the feed file covers the test period"
        )
    train = np.asarray([p.day <= split.train_until for p in papers], dtype=np.bool_)
    if not train.any():
        raise ValueError(f"no listed paper on or before {split.train_until}: nothing to train on")
    labels = np.asarray([p.arxiv_id in train_gain for p in papers], dtype=np.int8)
    if labels[train].sum() == 0:
        raise ValueError(f"no pick among the papers listed up to {split.train_until}")
    report = progress or (lambda stage, done, total: None)
    report("text model", 0, 1)
    stage = (text_stage or (lambda p, t, y: fit_text_stage(p, t, y, config)))(papers, train, labels)
    corpus = Corpus.build(papers, stage.dense, stage.logits)
    known_picks = [p for p in picks if last is None or p.day <= last]
    pick_dense = stage.model.dense(stage.model.vectors([p.text for p in known_picks]))
    trend = pick_index(known_picks, pick_dense, corpus)
    wanted = set(test_days)
    report("text model", 1, 1)
    total = len(corpus.by_day)
    done = [0]

    def step(n: int) -> None:
        done[0] += n
        report("features", done[0], total)

    rows = all_day_rows(
        corpus,
        known_picks,
        trend,
        emit=lambda day: day <= split.train_until or day in wanted,
        progress=step,
        taste=taste_table(corpus, known_picks, pick_dense),
    )
    return Prepared(corpus, rows, train_gain, test_gain, test_days, split)


def measure(prepared: Prepared, scorer: Callable[[DayRows], NDArray[np.float64]]) -> Summary:
    """Rank each test day by the scorer (ties broken by a fixed shuffle) and average."""
    return summarise(measure_days(prepared, scorer))


def measure_days(
    prepared: Prepared, scorer: Callable[[DayRows], NDArray[np.float64]]
) -> list[DayResult]:
    """Each test day ranked by the scorer (ties broken by a fixed shuffle)."""
    results: list[DayResult] = []
    rng = np.random.default_rng(12)
    for rows in prepared.test_rows():
        ids = [prepared.corpus.papers[i].arxiv_id for i in rows.rows]
        scores = np.asarray(scorer(rows), dtype=np.float64)
        tie = rng.permutation(len(ids))
        order = np.lexsort((tie, -scores))
        results.append(day_result(rows.day, [ids[i] for i in order], prepared.test_gain))
    return results


def col(name: str) -> int:
    return ALL_FEATURES.index(name)


def baseline_scorers(prepared: Prepared) -> dict[str, Callable[[DayRows], NDArray[np.float64]]]:
    """The issue's reference rankings, rebuilt on the same rows."""
    from sklearn.linear_model import LogisticRegression

    corpus = prepared.corpus
    rng = np.random.default_rng(0)
    x, gain, _ = prepared.train_matrix()
    y = (gain > 0).astype(np.int8)
    base_rate = float(y.mean())
    lr_cols = [col("text_logit"), col("auth_picks_sum"), col("auth_gain_max"), col("any_link")]
    combo = LogisticRegression(max_iter=500).fit(
        np.log1p(np.abs(x[:, lr_cols])) * np.sign(x[:, lr_cols]), y
    )

    def smoothed(rows: DayRows) -> NDArray[np.float64]:
        picks = rows.features[:, col("auth_picks_sum")]
        papers = np.expm1(rows.features[:, col("auth_papers_mean")])
        n = rows.features[:, col("n_authors")]
        return np.asarray((picks + 5 * base_rate) / (papers * np.maximum(n, 1) + 5), np.float64)

    return {
        "random": lambda rows: rng.random(len(rows.rows)),
        "has a link in abstract/comment": lambda rows: np.asarray(
            [has_link(corpus.papers[i]) for i in rows.rows], dtype=np.float64
        ),
        "number of authors": lambda rows: rows.features[:, col("n_authors")].astype(np.float64),
        "authors' earlier picks (smoothed rate)": smoothed,
        "tf-idf + logistic regression": lambda rows: rows.features[:, col("text_logit")].astype(
            np.float64
        ),
        "tf-idf LR + authors + link": lambda rows: combo.decision_function(
            np.log1p(np.abs(rows.features[:, lr_cols])) * np.sign(rows.features[:, lr_cols])
        ),
    }


def stack_rows(
    parts: Sequence[DayRows], corpus: Corpus, gain: dict[str, float]
) -> tuple[NDArray[np.float32], NDArray[np.float32], NDArray[np.int64]]:
    """(features, gains (0: not picked), ordinal days) of some days' rows."""
    x = np.vstack([r.features for r in parts])
    ids = [corpus.papers[i].arxiv_id for r in parts for i in r.rows]
    g = np.asarray([gain.get(i, 0.0) for i in ids], dtype=np.float32)
    days = np.concatenate([np.full(len(r.rows), r.day.toordinal(), dtype=np.int64) for r in parts])
    return x, g, days


def fit_model_scorer(prepared: Prepared, config: Config) -> Scorer:
    """Fit the ranker, its calibration and line on the training rows."""
    x, gain, days = prepared.train_matrix()
    return fit_scorer(x, gain, days, config)


def fit_booster(prepared: Prepared, config: Config) -> Callable[[DayRows], NDArray[np.float64]]:
    """Fit the ranker on the training rows; a scorer of day rows (raw scores)."""
    scorer = fit_model_scorer(prepared, config)
    return lambda rows: scorer.raw(rows.features)


def ndcg_note(summary: Summary) -> str:
    return (
        f"P@15 {summary.precision:.3f}  nDCG@15 {summary.ndcg:.3f}  R@50 {summary.recall:.3f}"
        f"  ({summary.days} days)"
    )


__all__ = [
    "Split",
    "baseline_scorers",
    "fit_booster",
    "fit_model_scorer",
    "measure",
    "prepare",
]
