"""Issue-12 evaluation on the shared data: baselines, the model, ablations, other splits.

    python bench/curate_eval.py --split dev       # validation inside the training months
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
from collections.abc import Sequence
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
    prepare,
    stack_rows,
)
from papertide.rank.curate.model import ALL_GROUPS, Config, Scorer, choose_line, line_stats
from papertide.rank.curate.records import Candidate, Pick

DATA = Path("/work/shared/data")
PAPERS = DATA / "arxiv" / "arxiv_papers.jsonl.gz"
FEED = DATA / "hf_daily_papers" / "daily_papers.jsonl.gz"
CACHE = Path("/tmp/curate-model-cache")
FEATURES_VERSION = "f3"
RESULTS = Path(__file__).resolve().parent / "results"

D = dt.date.fromisoformat
SPLITS = {
    # Validation inside the training months: labels only from picks before 2026-03-01.
    "val": Split(D("2025-11-30"), D("2025-12-01"), D("2026-02-28"), labels_before=D("2026-03-01")),
    "test": Split(D("2026-02-28"), D("2026-03-01")),
    "sep2025": Split(D("2025-08-31"), D("2025-09-01"), D("2025-11-30")),
    "jun2026": Split(D("2026-05-31"), D("2026-06-01")),
}


def inputs() -> tuple[list[Candidate], list[Pick]]:
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / "inputs.pkl"
    if path.exists():
        with path.open("rb") as handle:
            return pickle.load(handle)  # type: ignore[no-any-return]
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
            return pickle.load(handle)  # type: ignore[no-any-return]
    prepared = prepare(candidates, picks, split, config, text_stage=cached_stage(split, config))
    with path.open("wb") as handle:
        pickle.dump(prepared, handle, protocol=5)
    return prepared


ABLATIONS: dict[str, tuple[str, ...]] = {
    "all features": ALL_GROUPS,
    "without trend": tuple(g for g in ALL_GROUPS if g != "trend"),
    "without author": tuple(g for g in ALL_GROUPS if g != "author"),
    "without text": tuple(g for g in ALL_GROUPS if g not in ("text",)),
    "without meta": tuple(g for g in ALL_GROUPS if g != "meta"),
    "without day": tuple(g for g in ALL_GROUPS if g != "day"),
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
    variants = ABLATIONS if ablations else {"all features": ALL_GROUPS}
    line: dict[str, object] = {}
    for label, groups in variants.items():
        t1 = time.perf_counter()
        # The ablations need only the ranking: no calibration fit for them.
        calibration = config.calibration_days if label == "all features" else 0
        fitted = fit_model_scorer(
            prepared, dataclasses.replace(config, groups=groups, calibration_days=calibration)
        )
        show(f"model: {label}", measure(prepared, lambda r, f=fitted: f.raw(r.features)).as_dict())
        print(f"   ({time.perf_counter() - t1:.0f}s)")
        if label == "all features":
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
    {"half_life": 180.0},
    {"learning_rate": 0.03, "max_iter": 500},
    {"max_leaf_nodes": 15, "min_samples_leaf": 100},
    {"max_leaf_nodes": 63, "min_samples_leaf": 30},
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
        summary = measure(prepared, lambda r, f=fitted: f.raw(r.features)).as_dict()
        out[json.dumps(change)] = summary
        print(
            f"{json.dumps(change):<60} P@15 {summary['precision@15']:.3f}  "
            f"nDCG@15 {summary['ndcg@15']:.3f}  R@50 {summary['recall@50']:.3f}",
            flush=True,
        )
    return {"config": dataclasses.asdict(config), "trials": out}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--split", action="append", choices=sorted(SPLITS), required=True)
    parser.add_argument("--no-baselines", action="store_true")
    parser.add_argument("--ablations", action="store_true")
    parser.add_argument("--set", action="append", default=[], help="config field=value")
    parser.add_argument("--grid", action="store_true", help="try booster settings (val only)")
    parser.add_argument("--out", help="results file suffix (default: the split name)")
    args = parser.parse_args(argv)
    overrides: dict[str, object] = {}
    for item in args.set:
        key, value = item.split("=", 1)
        field_type = type(getattr(Config(), key))
        overrides[key] = field_type(value) if field_type is not tuple else tuple(value.split(","))
    config = Config(**overrides)  # type: ignore[arg-type]
    for name in args.split:
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
