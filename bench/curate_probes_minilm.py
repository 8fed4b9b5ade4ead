"""Issue-12 probe: papertide's MiniLM sentence vectors as the dense space (validation only).

    .venv/bin/python bench/curate_vectors.py --threads 1        # the vectors (resumable)
    .venv/bin/python bench/curate_eval.py --split val --no-baselines   # once: caches the rows
    .venv/bin/python bench/curate_probes_minilm.py

The shipped trend features compare 128-d SVD-of-tf-idf vectors; a live instance already stores
a 384-d all-MiniLM-L6-v2 vector per paper for search. Measured against the shipped features
refitted on the same rows (same 68 validation days as `bench/curate_probes.py`):

- (a) shipped + the trend features (the same seven definitions, `trend.TrendIndex`) computed
  on MiniLM vectors;
- (b) shipped with the MiniLM trend features instead of the SVD ones;
- (c) shipped + an out-of-fold logistic regression of "was picked" on the 384-d vector (whole
  fortnights held out together, as the tf-idf text score), and its rank within the day;
- (d) (a) + (c).

The vectors come from `/work/cache/curate-vec/` (`bench/curate_vectors.py`), which embeds the
validation split's papers newest day first. When it is only partly done, the probe trains on
the training days it fully covers (the "window" rows, every variant on the same rows); when the
window misses more than 30 days, it also reports the rankers trained on every training day with
the MiniLM columns missing (NaN) before the window. Results: the "minilm" entry of
bench/results/curate_probes.json.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from curate_eval import SPLITS, cached_prepare, inputs  # noqa: E402
from curate_probes import BASE, RESULTS  # noqa: E402

from papertide.rank.curate.evaluate import Prepared  # noqa: E402
from papertide.rank.curate.history import known_from  # noqa: E402
from papertide.rank.curate.model import (  # noqa: E402
    ALL_FEATURES,
    Config,
    DayRows,
    _rank_pct,
    fit_ranker,
    pick_index,
)
from papertide.rank.curate.protocol import DayResult, day_result, summarise  # noqa: E402
from papertide.rank.curate.records import Pick  # noqa: E402
from papertide.rank.curate.trend import TREND_FEATURES  # noqa: E402

VECTORS = Path("/work/cache/curate-vec")
DIM = 384
FORTNIGHT = 14
# A window missing only a few weeks of the oldest (least weighted) training days answers the
# question alone; beyond that, also fit on every day with the MiniLM columns missing.
MISSING_DAYS_WORTH_A_RUN = 30


def load_vectors() -> dict[str, NDArray[np.float32]]:
    """arXiv id -> MiniLM vector, for every chunk written so far."""
    ids = (VECTORS / "ids.txt").read_text().split()
    whole = VECTORS / "vectors.npy"
    if whole.exists():
        matrix = np.load(whole)
    else:
        parts = []
        k = 0
        while (VECTORS / "chunks" / f"{k:05d}.npy").exists():
            parts.append(np.load(VECTORS / "chunks" / f"{k:05d}.npy"))
            k += 1
        matrix = np.vstack(parts) if parts else np.zeros((0, DIM), dtype=np.float32)
    return {i: matrix[j] for j, i in enumerate(ids[: len(matrix)])}


def window_start(prepared: Prepared, have: NDArray[np.bool_]) -> dt.date:
    """The earliest day from which every listed day up to the last evaluated one has vectors."""
    last = max(prepared.test_days)
    start = last
    for day in sorted((d for d in prepared.corpus.by_day if d <= last), reverse=True):
        r = prepared.corpus.by_day[day]
        if not have[r.start : r.stop].all():
            break
        start = day
    missing = [d for d in prepared.test_days if d < start]
    if missing:
        raise SystemExit(f"{len(missing)} validation days have no vectors yet; embed more first")
    return start


def trend_columns(
    prepared: Prepared, picks: list[Pick], dense: NDArray[np.float32], lookup: dict[str, Any]
) -> dict[dt.date, NDArray[np.float32]]:
    """The seven trend features of every row day, on MiniLM vectors."""
    corpus = dataclasses.replace(prepared.corpus, dense=dense)
    pick_dense = np.asarray(
        [lookup.get(p.arxiv_id, np.zeros(DIM, np.float32)) for p in picks], dtype=np.float32
    ).reshape(len(picks), DIM)
    index = pick_index(picks, pick_dense, corpus)
    listed = {p.arxiv_id: p.day for p in corpus.papers}
    # The picks known each morning, as the replay's History.picked holds them.
    known = sorted((known_from(p, listed), p.arxiv_id) for p in picks)
    picked: set[str] = set()
    j = 0
    out: dict[dt.date, NDArray[np.float32]] = {}
    for rows in sorted(prepared.rows, key=lambda r: r.day):
        while j < len(known) and known[j][0] <= rows.day:
            picked.add(known[j][1])
            j += 1
        x, _ = index.features(rows.day, dense[rows.rows.start : rows.rows.stop], picked)
        out[rows.day] = x
    return out


def regression_columns(
    prepared: Prepared, dense: NDArray[np.float32], start: dt.date
) -> tuple[dict[dt.date, NDArray[np.float32]], float]:
    """An out-of-fold logistic regression of "was picked" on the vectors (training days from
    `start`: fortnights held out together) and its rank within the day; C chosen by the
    training rows' out-of-fold average precision, never by the validation days."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import average_precision_score
    from sklearn.model_selection import GroupKFold

    corpus = prepared.corpus
    until = prepared.split.train_until.toordinal()
    train = np.flatnonzero((corpus.days >= start.toordinal()) & (corpus.days <= until))
    rest = np.flatnonzero(corpus.days > until)
    y = np.asarray([p.arxiv_id in prepared.train_gain for p in corpus.papers], dtype=np.int8)
    folds = list(GroupKFold(5).split(train, y[train], corpus.days[train] // FORTNIGHT))

    def fit(rows: NDArray[np.int64], c: float) -> Any:
        return LogisticRegression(C=c, max_iter=2000).fit(dense[rows], y[rows])

    best: tuple[float, float, NDArray[np.float32]] | None = None
    for c in (0.1, 1.0, 10.0):
        oof = np.zeros(len(train), dtype=np.float32)
        for fit_rows, held in folds:
            oof[held] = fit(train[fit_rows], c).decision_function(dense[train[held]])
        ap = float(average_precision_score(y[train], oof))
        print(f"   MiniLM regression C={c:g}: out-of-fold average precision {ap:.4f}", flush=True)
        if best is None or ap > best[0]:
            best = (ap, c, oof)
    assert best is not None
    _, c, oof = best
    logit = np.full(len(corpus.papers), np.nan, dtype=np.float32)
    logit[train] = oof
    logit[rest] = fit(train, c).decision_function(dense[rest])
    out = {}
    for r in prepared.rows:
        part = logit[r.rows.start : r.rows.stop]
        rank = _rank_pct(part) if not np.isnan(part).any() else np.full_like(part, np.nan)
        out[r.day] = np.column_stack([part, rank]).astype(np.float32)
    return out, c


def predictor(ranker: Any, columns: NDArray[np.int64]) -> Callable[[DayRows], Any]:
    """A day's scores by one booster over some columns (bound here, not in a loop's lambda)."""
    return lambda rows: ranker.predict(rows.features[:, columns], num_threads=1)


def day_results(prepared: Prepared, scorer: Callable[[DayRows], Any]) -> list[DayResult]:
    """Each evaluated day's result, ranked as `evaluate.measure` ranks (same tie-breaking)."""
    results = []
    rng = np.random.default_rng(12)
    for rows in prepared.test_rows():
        ids = [prepared.corpus.papers[i].arxiv_id for i in rows.rows]
        scores = np.asarray(scorer(rows), dtype=np.float64)
        order = np.lexsort((rng.permutation(len(ids)), -scores))
        results.append(day_result(rows.day, [ids[i] for i in order], prepared.test_gain))
    return results


def paired_interval(diff: NDArray[np.float64]) -> list[float]:
    """A 95% bootstrap interval (days resampled) of the mean per-day difference."""
    rng = np.random.default_rng(5)
    means = diff[rng.integers(0, len(diff), size=(2000, len(diff)))].mean(axis=1)
    return [float(np.quantile(means, 0.025)), float(np.quantile(means, 0.975))]


def measure_variants(
    prepared: Prepared,
    trend: dict[dt.date, NDArray[np.float32]],
    regression: dict[dt.date, NDArray[np.float32]],
    first_day: dt.date,
) -> dict[str, dict[str, Any]]:
    """Baseline and (a)-(d), each ranker fitted on the training rows from `first_day`."""
    n_trend = len(TREND_FEATURES)
    for rows in prepared.rows:
        rows.features = np.hstack(
            [rows.features[:, :BASE], trend[rows.day], regression[rows.day]]
        ).astype(np.float32)
    svd = {ALL_FEATURES.index(n) for n in TREND_FEATURES}
    shipped = np.arange(BASE)
    minilm_trend = np.arange(BASE, BASE + n_trend)
    minilm_lr = np.arange(BASE + n_trend, BASE + n_trend + 2)
    variants = {
        "shipped features": shipped,
        "(a) + MiniLM trend features": np.concatenate([shipped, minilm_trend]),
        "(b) MiniLM trend instead of SVD trend": np.concatenate(
            [np.asarray([i for i in shipped if i not in svd]), minilm_trend]
        ),
        "(c) + MiniLM out-of-fold regression": np.concatenate([shipped, minilm_lr]),
        "(d) (a) + (c)": np.concatenate([shipped, minilm_trend, minilm_lr]),
    }
    x, gain, days = prepared.train_matrix()
    keep = days >= first_day.toordinal()
    x, gain, days = x[keep], gain[keep], days[keep]
    out: dict[str, dict[str, Any]] = {}
    base: list[DayResult] = []
    for label, columns in variants.items():
        t0 = time.perf_counter()
        ranker = fit_ranker(x[:, columns], gain, days, Config(calibration_days=0))
        found = day_results(prepared, predictor(ranker, columns))
        s = summarise(found)
        row: dict[str, Any] = {
            "precision@15": s.precision,
            "ndcg@15": s.ndcg,
            "recall@50": s.recall,
        }
        note = ""
        if not base:
            base = found
        else:
            for key, field in (("precision@15", "precision"), ("ndcg@15", "ndcg")):
                diff = np.asarray(
                    [
                        getattr(a, field) - getattr(b, field)
                        for a, b in zip(found, base, strict=True)
                    ]
                )
                row[f"{key} minus shipped, 95% interval over days"] = paired_interval(diff)
            ci = row["precision@15 minus shipped, 95% interval over days"]
            note = f"  P@15 diff 95% [{ci[0]:+.3f}, {ci[1]:+.3f}]"
        out[label] = row
        print(
            f"   {label:<45} P@15 {s.precision:.3f}  nDCG@15 {s.ndcg:.3f}  "
            f"R@50 {s.recall:.3f}{note}  ({time.perf_counter() - t0:.0f}s)",
            flush=True,
        )
    return out


def probe(prepared: Prepared, picks: list[Pick]) -> dict[str, object]:
    """Every variant on the rows the vectors cover (see the module docstring)."""
    split = prepared.split
    lookup = load_vectors()
    corpus = prepared.corpus
    have = np.asarray([p.arxiv_id in lookup for p in corpus.papers], dtype=np.bool_)
    start = window_start(prepared, have)
    dense = np.zeros((len(corpus.papers), DIM), dtype=np.float32)
    for i in np.flatnonzero(have):
        dense[i] = lookup[corpus.papers[int(i)].arxiv_id]
    known_picks = [p for p in picks if split.test_until is None or p.day <= split.test_until]
    window_picks = [p for p in known_picks if p.day.toordinal() >= start.toordinal() - 180]
    missing_picks = sum(1 for p in window_picks if p.arxiv_id not in lookup)
    window_days = sum(1 for r in prepared.rows if start <= r.day <= split.train_until)
    print(
        f"{len(lookup):,} vectors; {int(have.sum()):,} of {len(have):,} listed papers; window "
        f"from {start} ({window_days} training days); picks of its 180-day lookback without "
        f"a vector: {missing_picks}",
        flush=True,
    )
    t0 = time.perf_counter()
    trend = trend_columns(prepared, known_picks, dense, lookup)
    print(f"   trend features in {time.perf_counter() - t0:.0f}s", flush=True)
    regression, c = regression_columns(prepared, dense, start)
    # Days before the window have no vectors: their MiniLM columns are missing, not zero.
    for day in trend:
        if day < start:
            trend[day] = np.full_like(trend[day], np.nan)
    result: dict[str, object] = {
        "window_from": str(start),
        "regression_c": c,
        "listed_papers_with_vectors": int(have.sum()),
    }
    first = min(r.day for r in prepared.rows)
    if start > first:
        print(f"training days from {start} only (all variants):", flush=True)
        result["trained on the window's days"] = measure_variants(
            prepared, trend, regression, start
        )
        if (start - first).days > MISSING_DAYS_WORTH_A_RUN:
            print("every training day, MiniLM columns missing before the window:", flush=True)
            result["trained on every day (MiniLM missing before the window)"] = measure_variants(
                prepared, trend, regression, first
            )
    else:
        result["trained on every day"] = measure_variants(prepared, trend, regression, first)
    return result


def main() -> int:
    candidates, picks = inputs()
    prepared = cached_prepare("val", SPLITS["val"], Config(), candidates, picks)
    result = probe(prepared, picks)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results["minilm"] = _rounded(result)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {RESULTS}")
    return 0


def _rounded(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    if isinstance(value, float):
        return round(value, 4)
    return value


if __name__ == "__main__":
    sys.exit(main())
