"""Search latency, index build time, memory and incremental add, at 158,898 and 1,000,000 papers.

    .venv/bin/python bench/search_latency.py [--sizes 158898,1000000] [--queries 200]

What is real and what is synthetic (printed with the results as well):
- Papers: the real 158,898 of ../shared/data/arxiv. The 1,000,000 set repeats them with new ids
  (same text), so keyword statistics are those of a corpus with duplicates.
- Vectors: real MiniLM vectors of the 3,098 bundled sample papers (sample_embeddings.npz); every
  other paper gets a perturbed copy of one of them (gaussian noise, renormalised, cosine ~0.9 to
  its source). Embedding 158,898 papers takes hours on this CPU and only speed is measured here.
- Queries: 200 realistic queries, the first 3-7 words of random paper titles; the query
  embedding (real model) is inside the timed section.
Indexes are written straight from the file (the DB->index sync is the same code per batch).
Results: a table on stdout and bench/results/search_latency.json.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import gzip
import json
import os
import random
import resource
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
# The serving process of a before/after comparison imports papertide from another checkout.
sys.path.insert(0, os.environ.get("PAPERTIDE_BENCH_SRC", str(ROOT / "src")))

from papertide.config import Settings  # noqa: E402
from papertide.search.api import Searcher  # noqa: E402
from papertide.search.demo_vectors import sample_vectors_path  # noqa: E402
from papertide.search.keyword import KeywordDoc, KeywordIndex, day_number  # noqa: E402
from papertide.search.params import load_params  # noqa: E402
from papertide.search.state import IndexState, write_state  # noqa: E402
from papertide.search.vectors import RowMeta, VectorIndex  # noqa: E402

ARXIV = ROOT.parent / "shared" / "data" / "arxiv" / "arxiv_papers.jsonl.gz"


MODES = ("keyword", "semantic", "hybrid", "hybrid_filtered")


def rss_mb() -> float:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_papers() -> list[dict[str, object]]:
    import datetime as dt

    out = []
    with gzip.open(ARXIV, "rt", encoding="utf-8") as handle:
        for line in handle:
            r = json.loads(line)
            out.append(
                {
                    "arxiv_id": r["id"],
                    "title": " ".join(r["title"].split()),
                    "abstract": " ".join(r["abstract"].split()),
                    "authors": r.get("authors") or [],
                    "categories": r.get("categories") or [],
                    "day": dt.date.fromisoformat(r["first_seen"]),
                }
            )
    return out


def synthetic_vectors(n: int, rng: np.random.Generator) -> np.ndarray:
    with np.load(sample_vectors_path()) as data:
        real = data["vectors"].astype(np.float32)
    out = np.empty((n, real.shape[1]), dtype=np.float32)
    for start in range(0, n, 100_000):
        stop = min(n, start + 100_000)
        base = real[rng.integers(0, len(real), stop - start)]
        noisy = base + rng.normal(0, 0.025, base.shape).astype(np.float32)
        out[start:stop] = noisy / np.linalg.norm(noisy, axis=1, keepdims=True)
    out[: len(real)] = real
    return out


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values) * 1000, q))


def run_size(
    size: int,
    papers: list[dict[str, object]],
    queries: list[str],
    seed: int,
    keep: Path | None = None,
    srcs: list[Path] | None = None,
    rounds: int = 1,
    modes: tuple[str, ...] = MODES,
) -> dict:
    """Build (or, with `keep`, reuse) the indexes of `size` papers and time the queries.

    `srcs`: serve from each of these checkouts' src folders in turn, `rounds` times, so that a
    before/after pair shares the machine's load (the result holds every run and its load).
    """
    rng = np.random.default_rng(seed)
    result: dict[str, object] = {"papers": size}
    with contextlib.ExitStack() as stack:
        if keep is None:
            tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix=f"bench-{size}-"))
        else:
            tmp = str(keep / str(size))
        index_dir = Path(tmp) / "index"
        if (index_dir / "state.json").exists():
            print(f"[{size}] reusing the indexes in {index_dir}", flush=True)
            return serve_all(result, index_dir, queries, srcs, rounds, modes)
        index_dir.mkdir(parents=True, exist_ok=True)
        params = load_params()
        settings = Settings(data_dir=Path(tmp), index_dir=index_dir)
        searcher = Searcher(settings, params)
        embedder = searcher.embedder

        def doc(i: int) -> KeywordDoc:
            p = papers[i % len(papers)]
            copy = i // len(papers)
            return KeywordDoc(
                paper_id=i + 1,
                arxiv_id=str(p["arxiv_id"]) + (f"-{copy}" if copy else ""),
                title=str(p["title"]),
                abstract=str(p["abstract"]),
                authors=p["authors"],  # type: ignore[arg-type]
                categories=p["categories"],  # type: ignore[arg-type]
                first_announced=p["day"],  # type: ignore[arg-type]
                has_code=(i % 7 == 0),
                on_feed=(i % 50 == 0),
            )

        def meta(i: int) -> RowMeta:
            p = papers[i % len(papers)]
            return RowMeta(
                categories=p["categories"],  # type: ignore[arg-type]
                day=day_number(p["day"]),  # type: ignore[arg-type]
                has_code=(i % 7 == 0),
                on_feed=(i % 50 == 0),
            )

        base = size - 1000  # the last 1,000 are added afterwards, without a rebuild
        started = time.perf_counter()
        keyword = KeywordIndex.create(index_dir / "keyword", params.field_boosts)
        for start in range(0, base, 20_000):
            keyword.upsert(doc(i) for i in range(start, min(base, start + 20_000)))
        keyword.commit()
        result["keyword_build_s"] = round(time.perf_counter() - started, 1)
        print(f"[{size}] keyword index built in {result['keyword_build_s']} s", flush=True)

        vectors_all = synthetic_vectors(size, rng)
        started = time.perf_counter()
        vectors = VectorIndex(index_dir / "vectors", embedder.name, embedder.dim)
        vectors.hnsw_min_rows = size + 1  # build the graph once, at the end
        for start in range(0, base, 50_000):
            stop = min(base, start + 50_000)
            vectors.upsert(
                list(range(start + 1, stop + 1)),
                vectors_all[start:stop],
                [meta(i) for i in range(start, stop)],
            )
        vectors.build_hnsw()
        vectors.save()
        result["vector_build_s"] = round(time.perf_counter() - started, 1)
        print(f"[{size}] vector index built in {result['vector_build_s']} s", flush=True)
        write_state(index_dir, replace(IndexState.empty(embedder.name), papers=base, vectors=base))
        del vectors, keyword
        gc.collect()

        # Incremental add of 1,000 papers to the existing files (embedding excluded).
        started = time.perf_counter()
        keyword = KeywordIndex(index_dir / "keyword", params.field_boosts)
        keyword.upsert(doc(i) for i in range(base, size))
        keyword.commit()
        loaded = VectorIndex.load(index_dir / "vectors")
        assert loaded is not None
        loaded.upsert(
            list(range(base + 1, size + 1)),
            vectors_all[base:size],
            [meta(i) for i in range(base, size)],
        )
        loaded.save()
        write_state(index_dir, replace(IndexState.empty(embedder.name), papers=size, vectors=size))
        result["add_1000_s"] = round(time.perf_counter() - started, 2)
        del loaded, keyword, vectors_all
        gc.collect()

        result["index_disk_mb"] = round(
            sum(f.stat().st_size for f in index_dir.rglob("*") if f.is_file()) / 1e6, 0
        )
        return serve_all(result, index_dir, queries, srcs, rounds, modes)


def serve_all(
    result: dict[str, object],
    index_dir: Path,
    queries: list[str],
    srcs: list[Path] | None,
    rounds: int,
    modes: tuple[str, ...],
) -> dict[str, object]:
    """Queries run in a fresh process, so its RSS is that of a process holding the index."""
    import subprocess

    qfile = index_dir.parent / "queries.json"
    qfile.write_text(json.dumps(queries))
    runs = []
    for round_ in range(rounds):
        for src in srcs or [ROOT / "src"]:
            load = os.getloadavg()[0]
            out = subprocess.run(
                [
                    sys.executable,
                    "-X",
                    "faulthandler",
                    __file__,
                    "--serve",
                    str(index_dir),
                    str(qfile),
                    ",".join(modes),
                ],
                capture_output=True,
                text=True,
                env={**os.environ, "PAPERTIDE_BENCH_SRC": str(src)},
            )
            if out.returncode != 0:
                sys.exit(f"the serving process failed:\n{out.stderr[-3000:]}")
            run = json.loads(out.stdout.strip().splitlines()[-1])
            run.update(src=str(src), round=round_ + 1, load_before=round(load, 2))
            run["load_after"] = round(os.getloadavg()[0], 2)
            runs.append(run)
            for mode in modes:
                print(
                    f"[{result['papers']}] {src} round {round_ + 1} (load {load:.1f}) "
                    f"{mode}: {run[mode]}",
                    flush=True,
                )
    if len(runs) == 1:
        result.update(runs[0])
    else:
        result["runs"] = runs
    return result


def serve(index_dir: Path, query_file: Path, modes: tuple[str, ...] = MODES) -> None:
    """Load the index as the web app would and time the queries; print one JSON line."""
    from papertide.search.api import SearchFilters

    queries = json.loads(query_file.read_text())
    before = rss_mb()
    settings = Settings(data_dir=index_dir.parent, index_dir=index_dir)
    searcher = Searcher(settings, load_params())
    searcher.search("warm up the model and the files", min_relevance=0.0)
    result: dict[str, object] = {"rss_mb_loaded": round(rss_mb(), 0), "rss_mb_start": before}
    cats = [("cs.CV",), ("astro-ph",), ("math",), ("cs.CL",)]
    for mode in modes:
        times = []
        for i, q in enumerate(queries):
            flt = SearchFilters(categories=cats[i % 4]) if mode == "hybrid_filtered" else None
            t = time.perf_counter()
            searcher.search(
                q,
                flt or SearchFilters(),
                limit=20,
                min_relevance=0.0,
                mode=mode.split("_")[0],  # type: ignore[arg-type]
            )
            times.append(time.perf_counter() - t)
        result[mode] = {
            "p50_ms": round(percentile(times, 50), 1),
            "p95_ms": round(percentile(times, 95), 1),
        }
    result["rss_mb_after_queries"] = round(rss_mb(), 0)
    print(json.dumps(result))


def main() -> None:
    if len(sys.argv) in (4, 5) and sys.argv[1] == "--serve":
        modes = tuple(sys.argv[4].split(",")) if len(sys.argv) == 5 else MODES
        serve(Path(sys.argv[2]), Path(sys.argv[3]), modes)
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="158898,1000000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--keep", type=Path, default=None, help="build the indexes here once")
    parser.add_argument(
        "--src", type=Path, action="append", default=None, help="serve from this src (repeat)"
    )
    parser.add_argument("--rounds", type=int, default=1, help="alternate the --src runs")
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument(
        "--out", type=Path, default=ROOT / "bench" / "results" / "search_latency.json"
    )
    args = parser.parse_args()
    modes = tuple(args.modes.split(","))
    if not ARXIV.exists():
        sys.exit(f"{ARXIV} not found: this benchmark needs the shared arXiv file")
    papers = load_papers()
    random.seed(7)
    queries = []
    for p in random.sample(papers, args.queries):
        words = str(p["title"]).split()
        queries.append(" ".join(words[: random.randint(3, 7)]))
    sizes: list[dict[str, Any]] = []
    results: dict[str, Any] = {
        "note": "papers: real 158,898 (the 1M set repeats them with new ids); vectors: 3,098 real "
        "MiniLM vectors + perturbed copies (synthetic); queries: 3-7 first words of real titles; "
        "query embedding included in timings",
        "machine": "2 cores shared with other engineers' work",
        "sizes": sizes,
    }
    for size in [int(s) for s in args.sizes.split(",")]:
        sizes.append(run_size(size, papers, queries, size, args.keep, args.src, args.rounds, modes))
        gc.collect()
    out = args.out
    results["command"] = " ".join(["python", *sys.argv])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1) + "\n")
    print(f"\n{'papers':>10} {'mode':<16} {'p50 ms':>8} {'p95 ms':>8}")
    for r in sizes:
        for run in r.get("runs", [r]):
            for mode in modes:
                print(
                    f"{r['papers']:>10,} {mode:<16} {run[mode]['p50_ms']:>8}"
                    f" {run[mode]['p95_ms']:>8}  {run.get('src', '')}"
                    f" load {run.get('load_before', '')}"
                )
        if "keyword_build_s" in r:
            print(
                f"{r['papers']:>10,} build keyword {r['keyword_build_s']} s, vectors "
                f"{r['vector_build_s']} s; add 1,000: {r['add_1000_s']} s"
            )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
