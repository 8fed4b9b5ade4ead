"""Fit the search parameters on SciFact TRAIN (never test) and write them into the package.

    .venv/bin/python bench/eval_tune.py [--data ../shared/data/scifact] [--model minilm-int8]
                                        [--write]

Grids are coarse (a few values each) because the machine is shared; see the log for every
point tried. Steps, each on train queries only: BM25 field boosts (keyword
nDCG@10), normalisation and the convex weight (hybrid nDCG@10), dense and keyword
pseudo-relevance feedback (hybrid nDCG@10). The relevance model and `min_relevance` are fitted
by bench/relevance_fit.py on four collections and kept as shipped; after changing the retrieval
parameters, rerun bench/relevance_data.py and bench/relevance_fit.py --write. With --write the
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
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from papertide.config import Settings  # noqa: E402
from papertide.embed.registry import get_embedder  # noqa: E402
from papertide.search.beir import load_beir  # noqa: E402
from papertide.search.evaluate import (  # noqa: E402
    index_beir,
    rank_queries,
    ranking_metrics,
)
from papertide.search.params import SearchParams, load_params  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "scifact")
    parser.add_argument("--model", default="minilm-int8")
    parser.add_argument("--cache", type=Path, default=ROOT / "data" / "eval-cache")
    parser.add_argument("--write", action="store_true", help="write params.json into the package")
    parser.add_argument("--steps", default="boosts,fusion,prf,rm3", help="which steps to run")
    parser.add_argument(
        "--from-params", action="store_true", help="start from the shipped params.json"
    )
    args = parser.parse_args()
    steps = set(args.steps.split(","))

    settings = Settings(embed_model=args.model, data_dir=Path(tempfile.gettempdir()))
    embedder = get_embedder(settings)
    train = load_beir(args.data, "train")
    shipped = load_params()
    params = shipped if args.from_params else SearchParams()
    # The relevance model is fitted by bench/relevance_fit.py (four collections); keep it.
    params.calibration, params.min_relevance = shipped.calibration, shipped.min_relevance
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
        grid: list[tuple[Any, float]] = []
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
    if "calibration" in shipped.provenance:
        params.provenance["calibration"] = shipped.provenance["calibration"]
    log["seconds"] = round(time.perf_counter() - started, 1)
    log["params"] = json.loads(params.to_json())
    full = steps >= {"boosts", "fusion", "prf", "rm3"}
    name = "eval_tune.json" if full else f"eval_tune_{'_'.join(sorted(steps))}.json"
    out = ROOT / "bench" / "results" / name
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(log, indent=1, default=str) + "\n")
    if args.write:
        params.save(ROOT / "src" / "papertide" / "search" / "params.json")
    print(json.dumps(log["params"], indent=1))


if __name__ == "__main__":
    main()
