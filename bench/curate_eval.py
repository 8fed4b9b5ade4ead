"""Issue-12 evaluation on the shared data: baselines, the model, ablations, other splits.

    python bench/curate_eval.py --split val       # validation inside the training months
    python bench/curate_eval.py --split test      # the 2026-03-01 test split (read once)
    python bench/curate_eval.py --split sep2025 --split jun2026

Parsed inputs and text stages are cached under /tmp/curate-model-cache (never in the repo).
Results go to bench/results/curate_<split>.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import hashlib
import itertools
import json
import pickle
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from papertide.cli.curate import load_candidates, load_picks
from papertide.rank.curate.evaluate import (
    Prepared,
    Split,
    TextStage,
    baseline_scorers,
    fit_model_scorer,
    fit_text_stage,
    measure,
    measure_days,
    prepare,
    stack_rows,
)
from papertide.rank.curate.model import (
    ALL_GROUPS,
    DEFAULT_GROUPS,
    Config,
    DayRows,
    Scorer,
    choose_line,
    line_stats,
)
from papertide.rank.curate.records import Candidate, Pick

# ../shared beside the checkout, as in CI.
DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
PAPERS = DATA / "arxiv" / "arxiv_papers.jsonl.gz"
FEED = DATA / "hf_daily_papers" / "daily_papers.jsonl.gz"
CACHE = Path("/tmp/curate-model-cache")
FEATURES_VERSION = "f4"
RESULTS = Path(__file__).resolve().parent / "results"

D = dt.date.fromisoformat
SPLITS = {
    # Validation inside the training months: labels only from picks before 2026-03-01.
    "val": Split(D("2025-11-30"), D("2025-12-01"), D("2026-02-28"), labels_before=D("2026-03-01")),
    "test": Split(D("2026-02-28"), D("2026-03-01")),
    "sep2025": Split(D("2025-08-31"), D("2025-09-01"), D("2025-11-30")),
    "jun2026": Split(D("2026-05-31"), D("2026-06-01")),
}


def raw_of(fitted: Scorer) -> Callable[[DayRows], NDArray[np.float64]]:
    """A day's raw scores by one fitted scorer (bound here, not in a loop's lambda)."""
    return lambda rows: fitted.raw(rows.features)


def inputs() -> tuple[list[Candidate], list[Pick]]:
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / "inputs.pkl"
    if path.exists():
        with path.open("rb") as handle:
            return pickle.load(handle)
    candidates, skipped_p = load_candidates([PAPERS])
    picks, skipped_f = load_picks([FEED])
    print(
        f"loaded {len(candidates):,} papers, {len(picks):,} picks; skipped {skipped_p + skipped_f}"
    )
    with path.open("wb") as handle:
        pickle.dump((candidates, picks), handle, protocol=5)
    return candidates, picks


def cached_stage(split: Split, config: Config):  # type: ignore[no-untyped-def]
    key = hashlib.sha1(
        f"{split.train_until}|{config.text_c}|{config.max_features}|{config.oof_blocks}|"
        f"{config.dims}|{config.projection_terms}|v3".encode()
    ).hexdigest()[:12]
    path = CACHE / f"text-{key}.pkl"

    def stage(
        papers: Sequence[Candidate], train: NDArray[np.bool_], labels: NDArray[np.int8]
    ) -> TextStage:
        if path.exists():
            with path.open("rb") as handle:
                cached: TextStage = pickle.load(handle)
            if cached.dense.shape[0] == len(papers):
                return cached
        result = fit_text_stage(papers, train, labels, config)
        with path.open("wb") as handle:
            pickle.dump(result, handle, protocol=5)
        return result

    return stage


def cached_prepare(
    name: str, split: Split, config: Config, candidates: list[Candidate], picks: list[Pick]
) -> Prepared:
    key = (
        f"{name}-{config.text_c}-{config.max_features}-{config.oof_blocks}-{config.dims}-"
        f"{config.projection_terms}-{FEATURES_VERSION}"
    )
    path = CACHE / f"prepared-{key}.pkl"
    if path.exists():
        with path.open("rb") as handle:
            return pickle.load(handle)
    prepared = prepare(candidates, picks, split, config, text_stage=cached_stage(split, config))
    with path.open("wb") as handle:
        pickle.dump(prepared, handle, protocol=5)
    return prepared


MODEL = "community-interest model"
ABLATIONS: dict[str, tuple[str, ...]] = {
    MODEL: DEFAULT_GROUPS,
    **{
        f"without {group}": tuple(g for g in DEFAULT_GROUPS if g != group)
        for group in ("taste", "author", "trend", "meta", "day")
    },
    "with the raw text score too (every group)": ALL_GROUPS,
    "previous design (raw text score, no taste)": tuple(g for g in ALL_GROUPS if g != "taste"),
    "text + author + meta (boosted baseline)": ("text", "author", "meta"),
    "author only": ("author",),
    "trend only": ("trend",),
}


def run(name: str, config: Config, *, baselines: bool, ablations: bool) -> dict[str, object]:
    split = SPLITS[name]
    candidates, picks = inputs()
    t0 = time.perf_counter()
    prepared = cached_prepare(name, split, config, candidates, picks)
    t_prep = time.perf_counter() - t0
    rows: dict[str, dict[str, float | int]] = {}

    def show(label: str, summary_dict: dict[str, float | int]) -> None:
        rows[label] = summary_dict
        print(
            f"{label:<45} P@15 {summary_dict['precision@15']:.3f}  nDCG@15 "
            f"{summary_dict['ndcg@15']:.3f}  R@50 {summary_dict['recall@50']:.3f}",
            flush=True,
        )

    print(f"[{name}] {split}  prepared in {t_prep:.0f}s; {len(prepared.test_days)} test days")
    if baselines:
        for label, scorer in baseline_scorers(prepared).items():
            show(label, measure(prepared, scorer).as_dict())
    variants = ABLATIONS if ablations else {MODEL: config.groups}
    line: dict[str, object] = {}
    for label, groups in variants.items():
        t1 = time.perf_counter()
        # The ablations need only the ranking: no calibration fit for them.
        calibration = config.calibration_days if label == MODEL else 0
        fitted = fit_model_scorer(
            prepared, dataclasses.replace(config, groups=groups, calibration_days=calibration)
        )
        show(f"model: {label}", measure(prepared, raw_of(fitted)).as_dict())
        print(f"   ({time.perf_counter() - t1:.0f}s)")
        if label == MODEL:
            line = threshold_report(prepared, fitted)
            print(json.dumps(line))
    summary = measure(prepared, lambda r: np.zeros(len(r.rows)))
    return {
        "split": {k: str(v) for k, v in dataclasses.asdict(split).items()},
        "config": dataclasses.asdict(config),
        "days": summary.days,
        "median_candidates": summary.median_candidates,
        "median_positives": summary.median_positives,
        "rows": rows,
        "line": line,
    }


def threshold_report(prepared: Prepared, fitted: Scorer) -> dict[str, object]:
    """The line and calibration as chosen on the training months' last days, then measured on
    the evaluated days (every paper of each day, picked = in the evaluated labels)."""
    x, gain, days = stack_rows(prepared.test_rows(), prepared.corpus, prepared.test_gain)
    probability = fitted.probability(fitted.raw(x))
    y = (gain > 0).astype(np.int8)
    bins = np.quantile(probability, [0.0, 0.5, 0.8, 0.9, 0.95, 0.98, 1.0])
    reliability = []
    for lo, hi in itertools.pairwise(bins):
        inside = (probability >= lo) & (probability <= hi)
        reliability.append(
            {
                "from": round(float(lo), 4),
                "to": round(float(hi), 4),
                "mean_probability": round(float(probability[inside].mean()), 4),
                "picked_share": round(float(y[inside].mean()), 4),
            }
        )
    f1_line = choose_line(probability, y, "f1")
    return {
        "threshold": fitted.threshold,
        "platt": list(fitted.platt),
        "chosen_on_calibration_days": fitted.calibration,
        "on_evaluated_days": line_stats(probability, y, days, fitted.threshold),
        "f1_line_if_chosen_on_these_days (not used)": {
            "threshold": f1_line,
            **line_stats(probability, y, days, f1_line),
        },
        "reliability": reliability,
    }


GRID: list[dict[str, object]] = [
    {},
    {"objective": "binary"},
    {"half_life": 0.0},
    {"learning_rate": 0.03, "max_iter": 500},
    {"max_leaf_nodes": 15},
    {"max_leaf_nodes": 15, "min_samples_leaf": 100},
    {"max_leaf_nodes": 63, "min_samples_leaf": 30},
    {"min_samples_leaf": 100},
    {"feature_fraction": 0.5},
    {"l2": 10.0},
]


def grid(name: str, config: Config) -> dict[str, object]:
    """Booster settings tried on the validation split (text stage and rows shared)."""
    candidates, picks = inputs()
    prepared = cached_prepare(name, SPLITS[name], config, candidates, picks)
    out: dict[str, object] = {}
    for change in GRID:
        trial = dataclasses.replace(config, **change)  # type: ignore[arg-type]
        fitted = fit_model_scorer(prepared, trial)
        summary = measure(prepared, raw_of(fitted)).as_dict()
        out[json.dumps(change)] = summary
        print(
            f"{json.dumps(change):<60} P@15 {summary['precision@15']:.3f}  "
            f"nDCG@15 {summary['ndcg@15']:.3f}  R@50 {summary['recall@50']:.3f}",
            flush=True,
        )
    return {"config": dataclasses.asdict(config), "trials": out}


def seeds_run(
    name: str, config: Config, seeds: list[int], *, settings: bool = False
) -> dict[str, object]:
    """The ablations (or, with `settings`, the booster settings of GRID) with the booster fitted
    once per seed, figures averaged per day over the seeds, and each variant's difference from
    the model with a 95% interval (days resampled, 2,000 draws): what a single seed cannot
    separate from the booster's own randomness."""
    candidates, picks = inputs()
    prepared = cached_prepare(name, SPLITS[name], config, candidates, picks)
    variants: dict[str, dict[str, object]] = (
        {(json.dumps(change) if change else MODEL): change for change in GRID}
        if settings
        else {label: {"groups": groups} for label, groups in ABLATIONS.items()}
    )
    per_day: dict[str, NDArray[np.float64]] = {}
    for label, change in variants.items():
        runs = []
        for seed in seeds:
            trial = dataclasses.replace(config, calibration_days=0, seed=seed, **change)  # type: ignore[arg-type]
            fitted = fit_model_scorer(prepared, trial)
            days = measure_days(prepared, raw_of(fitted))
            runs.append([(d.precision, d.ndcg, d.recall) for d in days])
        per_day[label] = np.asarray(runs, dtype=np.float64).mean(axis=0)
    rng = np.random.default_rng(0)
    rows: dict[str, dict[str, object]] = {}
    for label, values in per_day.items():
        diff = values - per_day[MODEL]
        draws = rng.integers(0, len(diff), size=(2000, len(diff)))
        low, high = np.percentile(diff[draws].mean(axis=1), [2.5, 97.5], axis=0)
        mean = values.mean(axis=0)
        rows[label] = {
            "precision@15": round(float(mean[0]), 4),
            "ndcg@15": round(float(mean[1]), 4),
            "recall@50": round(float(mean[2]), 4),
            "precision@15 minus model (95%)": [round(float(low[0]), 4), round(float(high[0]), 4)],
            "ndcg@15 minus model (95%)": [round(float(low[1]), 4), round(float(high[1]), 4)],
        }
        print(
            f"{label:<48} P@15 {mean[0]:.3f}  nDCG@15 {mean[1]:.3f}  R@50 {mean[2]:.3f}   "
            f"vs model: P@15 [{low[0]:+.3f}, {high[0]:+.3f}] "
            f"nDCG@15 [{low[1]:+.3f}, {high[1]:+.3f}]",
            flush=True,
        )
    return {"split": name, "seeds": seeds, "days": len(prepared.test_days), "rows": rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--split", action="append", choices=sorted(SPLITS), required=True)
    parser.add_argument("--no-baselines", action="store_true")
    parser.add_argument("--ablations", action="store_true")
    parser.add_argument("--set", action="append", default=[], help="config field=value")
    parser.add_argument("--grid", action="store_true", help="try booster settings (val only)")
    parser.add_argument("--out", help="results file suffix (default: the split name)")
    parser.add_argument(
        "--seeds", type=int, nargs="+", help="ablations averaged over these booster seeds"
    )
    args = parser.parse_args(argv)
    overrides: dict[str, object] = {}
    for item in args.set:
        key, value = item.split("=", 1)
        field_type = type(getattr(Config(), key))
        overrides[key] = field_type(value) if field_type is not tuple else tuple(value.split(","))
    config = Config(**overrides)  # type: ignore[arg-type]
    for name in args.split:
        if args.seeds:
            result = seeds_run(name, config, args.seeds, settings=args.grid)
            kind = "grid_seeds" if args.grid else "seeds"
            out = RESULTS / f"curate_{args.out or name}_{kind}.json"
            out.write_text(json.dumps(result, indent=2) + "\n")
            print(f"wrote {out}")
            continue
        if args.grid:
            result = grid(name, config)
            out = RESULTS / f"curate_{args.out or name}_grid.json"
            out.write_text(json.dumps(result, indent=2) + "\n")
            print(f"wrote {out}")
            continue
        result = run(name, config, baselines=not args.no_baselines, ablations=args.ablations)
        RESULTS.mkdir(exist_ok=True)
        out = RESULTS / f"curate_{args.out or name}.json"
        out.write_text(json.dumps(result, indent=2) + "\n")
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
