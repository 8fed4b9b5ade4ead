"""Token limit vs. quality on SciFact TRAIN: semantic and hybrid nDCG@10 at 128 and 256 tokens.

    .venv/bin/python bench/eval_token_limit.py

Uses the shipped params (fusion weight 0.4) and also weights 0.3 / 0.5 for each limit.
Writes bench/results/eval_token_limit.json.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
from papertide.config import Settings  # noqa: E402
from papertide.embed.registry import get_embedder  # noqa: E402
from papertide.search.beir import load_beir  # noqa: E402
from papertide.search.engine import Mode  # noqa: E402
from papertide.search.evaluate import index_beir, rank_queries, ranking_metrics  # noqa: E402
from papertide.search.params import load_params  # noqa: E402


def main() -> None:
    train = load_beir(ROOT.parent / "shared" / "data" / "scifact", "train")
    results: dict[str, dict[str, float]] = {}
    for model in ["minilm-int8-256", "minilm-int8"]:
        emb = get_embedder(Settings(data_dir=Path("/tmp"), embed_model=model))
        p = load_params()
        t = time.time()
        idx = index_beir(train, Path(tempfile.mkdtemp()), emb, p, ROOT / "data" / "eval-cache")
        print(model, "indexed", round(time.time() - t), flush=True)
        row: dict[str, float] = {}
        modes: tuple[Mode, ...] = ("semantic", "hybrid")
        for mode in modes:
            row[mode] = ranking_metrics(idx, train, rank_queries(idx, train, mode))["ndcg@10"]
        for w in [0.3, 0.5]:
            p.weight = w
            row[f"hybrid_w{w}"] = ranking_metrics(idx, train, rank_queries(idx, train, "hybrid"))[
                "ndcg@10"
            ]
        results[emb.name] = row
        print(model, row, flush=True)
    (ROOT / "bench" / "results" / "eval_token_limit.json").write_text(
        json.dumps(results, indent=1) + "\n"
    )


if __name__ == "__main__":
    main()
