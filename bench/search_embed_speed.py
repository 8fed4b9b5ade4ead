"""Embedding throughput of the shipped model on this machine: papers/s and query latency.

    .venv/bin/python bench/search_embed_speed.py [--papers 1000] [--limits 128,256]

Embeds title + abstract of the first N real papers of the bundled sample at each token limit
(intra-op threads = all cores), then 100 short queries one at a time. Prints a table and writes
bench/results/search_embed_speed.json. The machine is shared: compare ratios within one run.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from papertide.embed.base import paper_text  # noqa: E402
from papertide.embed.minilm_onnx import MiniLMOnnxEmbedder  # noqa: E402
from papertide.ingest.sample import sample_path  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--papers", type=int, default=1000)
    parser.add_argument("--limits", default="128,256")
    args = parser.parse_args()
    with gzip.open(sample_path("arxiv_papers.jsonl.gz"), "rt", encoding="utf-8") as handle:
        rows = [json.loads(line) for line, _ in zip(handle, range(args.papers), strict=False)]
    texts = [paper_text(r["title"], r["abstract"]) for r in rows]
    queries = [" ".join(r["title"].split()[:6]) for r in rows[:100]]
    results = []
    for limit in [int(x) for x in args.limits.split(",")]:
        embedder = MiniLMOnnxEmbedder(max_tokens=limit)
        embedder.embed(texts[:32])  # warm-up
        started = time.perf_counter()
        embedder.embed(texts)
        seconds = time.perf_counter() - started
        started = time.perf_counter()
        for q in queries:
            embedder.embed([q])
        query_ms = (time.perf_counter() - started) / len(queries) * 1000
        results.append(
            {
                "model": embedder.name,
                "max_tokens": limit,
                "papers": len(texts),
                "papers_per_s": round(len(texts) / seconds, 1),
                "query_ms": round(query_ms, 2),
            }
        )
        print(results[-1], flush=True)
    out = ROOT / "bench" / "results" / "search_embed_speed.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    payload = {"cores": os.cpu_count(), "load_avg": os.getloadavg(), "results": results}
    out.write_text(json.dumps(payload, indent=1) + "\n")
    print(f"\n{'model':<28}{'tokens':>7}{'papers/s':>10}{'query ms':>10}")
    for r in results:
        print(f"{r['model']:<28}{r['max_tokens']:>7}{r['papers_per_s']:>10}{r['query_ms']:>10}")
    print(f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores) wrote {out}")


if __name__ == "__main__":
    main()
