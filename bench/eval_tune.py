"""Fit the search parameters on SciFact TRAIN (never test) and write them into the package.

    .venv/bin/python bench/eval_tune.py [--data /work/shared/data/scifact] [--model minilm-int8]
                                        [--write]

Grids are coarse (a few values each) because the machine is shared; see the log for every
point tried. `--from-params --steps calibration` refits only the calibration. Steps, each on
train queries only: BM25 field boosts (keyword nDCG@10), normalisation and the
convex weight (hybrid nDCG@10), dense pseudo-relevance feedback (hybrid nDCG@10), then one
logistic calibration per mode and the min_relevance that maximises mean set-F1. With --write the
result goes to src/papertide/search/params.json; bench/results/eval_tune.json keeps the log.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from papertide.config import Settings  # noqa: E402
from papertide.embed.registry import get_embedder  # noqa: E402
from papertide.search.beir import load_beir  # noqa: E402
from papertide.search.calibration import features, fit_calibrator  # noqa: E402
from papertide.search.evaluate import (  # noqa: E402
    CALIBRATION_DEPTH,
    cutoff_metrics,
    index_beir,
    rank_queries,
    ranking_metrics,
)
from papertide.search.params import SearchParams, load_params  # noqa: E402
from papertide.search.query import parse_query  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path("/work/shared/data/scifact"))
    parser.add_argument("--model", default="minilm-int8")
    parser.add_argument("--cache", type=Path, default=ROOT / "data" / "eval-cache")
    parser.add_argument("--write", action="store_true", help="write params.json into the package")
    parser.add_argument(
        "--steps", default="boosts,fusion,prf,rm3,calibration", help="which steps to run"
    )
    parser.add_argument(
        "--from-params", action="store_true", help="start from the shipped params.json"
    )
    args = parser.parse_args()
    steps = set(args.steps.split(","))

    settings = Settings(embed_model=args.model, data_dir=Path(tempfile.gettempdir()))
    embedder = get_embedder(settings)
    train = load_beir(args.data, "train")
    params = load_params() if args.from_params else SearchParams()
    log: dict[str, object] = {"model": embedder.name, "queries": len(train.queries)}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        index = index_beir(train, Path(tmp), embedder, params, args.cache)
        engine = index.engine

        def score(mode: str) -> float:
            ranked = rank_queries(index, train, mode)  # type: ignore[arg-type]
            return ranking_metrics(index, train, ranked)["ndcg@10"]

        # Steps to tune start switched off, so each is chosen given the ones before it.
        if "prf" in steps:
            params.prf_docs, params.prf_beta = 0, 0.0
        if "rm3" in steps:
            params.rm3_docs, params.rm3_terms, params.rm3_weight = 0, 0, 0.0
        engine.keyword.field_boosts = params.field_boosts
        # 1. BM25 field boosts
        grid = []
        if "boosts" not in steps:
            grid = [((params.title_boost, params.abstract_boost), 0.0)]
        for title, abstract in itertools.product([0.25, 0.5, 1.0], [1.0]):
            if "boosts" not in steps:
                break
            params.title_boost, params.abstract_boost = title, abstract
            engine.keyword.field_boosts = params.field_boosts
            grid.append(((title, abstract), score("keyword")))
        (params.title_boost, params.abstract_boost), best = max(grid, key=lambda g: g[1])
        engine.keyword.field_boosts = params.field_boosts
        log["boosts"] = {"grid": grid, "best": [params.title_boost, params.abstract_boost]}
        print("boosts", grid, flush=True)
        log["semantic_ndcg"] = score("semantic")
        best = score("hybrid")

        # 2. normalisation and weight
        grid = [((params.normalisation, params.weight), best)]
        for norm, weight in itertools.product(["zscore", "minmax"], [0.3, 0.4, 0.5, 0.6]):
            if "fusion" not in steps:
                break
            params.normalisation, params.weight = norm, round(float(weight), 2)
            grid.append(((norm, params.weight), score("hybrid")))
            print("fusion", grid[-1], flush=True)
        (params.normalisation, params.weight), best = max(grid, key=lambda g: g[1])
        log["fusion"] = {"grid": grid, "best": [params.normalisation, params.weight]}
        print("fusion", max(grid, key=lambda g: g[1]), flush=True)

        # 3. dense pseudo-relevance feedback (0 = off)
        grid = [((params.prf_docs, params.prf_beta), best)]
        for docs, beta in itertools.product([1, 3], [0.5, 1.0]):
            if "prf" not in steps:
                break
            params.prf_docs, params.prf_beta = docs, beta
            grid.append(((docs, beta), score("hybrid")))
            print("prf", grid[-1], flush=True)
        (params.prf_docs, params.prf_beta), best = max(grid, key=lambda g: g[1])
        log["prf"] = {"grid": grid, "best": [params.prf_docs, params.prf_beta]}
        print("prf", max(grid, key=lambda g: g[1]), flush=True)

        # 4. keyword pseudo-relevance feedback (RM3-like; 0 = off)
        grid = [((params.rm3_docs, params.rm3_terms, params.rm3_weight), best)]
        for docs, terms, weight in itertools.product([3, 10], [10], [0.2, 0.5]):
            if "rm3" not in steps:
                break
            params.rm3_docs, params.rm3_terms, params.rm3_weight = docs, terms, weight
            grid.append(((docs, terms, weight), score("hybrid")))
            print("rm3", grid[-1], flush=True)
        (params.rm3_docs, params.rm3_terms, params.rm3_weight), best = max(grid, key=lambda g: g[1])
        log["rm3"] = {"grid": grid, "best": [params.rm3_docs, params.rm3_terms, params.rm3_weight]}
        log["hybrid_ndcg"] = best

        # 5. calibration per mode, then the threshold that maximises mean set-F1
        for mode in ("hybrid", "keyword", "semantic"):
            if "calibration" not in steps:
                break
            params.calibration.pop(mode, None)
            ranked = rank_queries(index, train, mode)  # type: ignore[arg-type]
            rows, labels = [], []
            for qid, result in ranked.items():
                terms = parse_query(train.queries[qid])
                n_terms = len(terms.terms) + sum(len(p) for p in terms.phrases)
                feats = features(result.fused, n_terms, depth=CALIBRATION_DEPTH)
                docs = [index.doc_ids[i] for i in result.fused.paper_ids[:CALIBRATION_DEPTH]]
                rows.append(feats)
                labels.extend(int(train.qrels[qid].get(d, 0) > 0) for d in docs)
            calibrator = fit_calibrator(np.vstack(rows), np.array(labels))
            params.calibration[mode] = calibrator.to_dict()
            ranked = rank_queries(index, train, mode)  # type: ignore[arg-type]
            sweep = []
            for threshold in np.arange(0.05, 0.951, 0.025):
                metrics, _, _ = cutoff_metrics(index, train, ranked, round(float(threshold), 3))
                sweep.append((round(float(threshold), 3), metrics["f1"], metrics["ece"]))
            threshold, f1, ece = max(sweep, key=lambda s: s[1])
            params.min_relevance[mode] = threshold
            log[f"cutoff_{mode}"] = {"threshold": threshold, "train_f1": f1, "train_ece": ece}
            print("cutoff", mode, threshold, f1, ece, flush=True)

    previous = dict(params.provenance) if args.from_params else {}
    params.provenance = {
        "command": "python bench/eval_tune.py --write"
        + (f" (then --from-params --steps {args.steps} --write)" if args.from_params else ""),
        "data": "BEIR SciFact, qrels/train.tsv only (test never used)",
        "model": embedder.name,
        "fitted_at": dt.date.today().isoformat(),
        "train_ndcg@10": previous.get("train_ndcg@10")
        or {"hybrid": log["hybrid_ndcg"], "semantic": log["semantic_ndcg"]},
    }
    log["seconds"] = round(time.perf_counter() - started, 1)
    log["params"] = json.loads(params.to_json())
    full = steps >= {"boosts", "fusion", "prf", "rm3", "calibration"}
    name = "eval_tune.json" if full else f"eval_tune_{'_'.join(sorted(steps))}.json"
    out = ROOT / "bench" / "results" / name
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(log, indent=1, default=str) + "\n")
    if args.write:
        params.save(ROOT / "src" / "papertide" / "search" / "params.json")
    print(json.dumps(log["params"], indent=1))


if __name__ == "__main__":
    main()
