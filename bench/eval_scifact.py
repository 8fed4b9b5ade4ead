"""SciFact TEST figures (the parameters were fitted on train): saved as JSON and a PNG.

    .venv/bin/python bench/eval_scifact.py [--data ../shared/data/scifact]

Runs the same evaluation as `papertide eval PATH --json` and writes
bench/results/eval_scifact.json and bench/results/reliability_scifact.png.
"""

from __future__ import annotations

import argparse
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
from papertide.search.evaluate import run_eval  # noqa: E402
from papertide.search.params import load_params  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "scifact")
    parser.add_argument("--cache", type=Path, default=ROOT / "data" / "eval-cache")
    args = parser.parse_args()
    embedder = get_embedder(Settings(data_dir=Path(tempfile.gettempdir())))
    data = load_beir(args.data, "test")
    started = time.perf_counter()
    out_dir = ROOT / "bench" / "results"
    result = run_eval(
        data, embedder, load_params(), args.cache, diagram=out_dir / "reliability_scifact.png"
    )
    result["seconds"] = round(time.perf_counter() - started, 1)
    result["model"] = embedder.name
    result["split"] = "test (parameters fitted on train only)"
    (out_dir / "eval_scifact.json").write_text(json.dumps(result, indent=1) + "\n")
    print(f"{'mode':<10}{'nDCG@10':>10}{'Recall@100':>12}{'MRR@10':>10}")
    for mode in ("keyword", "semantic", "hybrid"):
        m = result[mode]
        print(f"{mode:<10}{m['ndcg@10']:>10.4f}{m['recall@100']:>12.4f}{m['mrr@10']:>10.4f}")
    print("cutoff", json.dumps(result["cutoff"]))


if __name__ == "__main__":
    main()
