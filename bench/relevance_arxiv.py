"""Does the relevance line behave on real arXiv papers? Nonsense, exact phrases, navigation.

    .venv/bin/python bench/relevance_arxiv.py [--papers 3000] [--cache /tmp/relevance-cache]
                                              [--corpus arxiv|demo] [--mode hybrid|keyword|semantic]
                                              [--src src] [--out bench/results/relevance_arxiv.json]

Indexes the first N papers of ../shared/data/arxiv/arxiv_papers.jsonl.gz (file order, i.e. the
earliest first_seen) with the bundled model (vectors cached under --cache, never in the repo),
then searches through the product's `Searcher.search` with the default cutoff:

- 20 nonsense queries (2 from issue 11, 9 random letter strings and 9 salads of everyday words,
  both drawn with a fixed seed): how many return nothing above the line ("silent").
- phrase queries (a fixed list chosen before any run): of the top-50 results whose title
  contains the phrase, how many are above the line.
- navigational: the exact title of 20 papers (fixed seed) and their arXiv ids: is the paper
  first and above the line.
- latency of Searcher.search (p50/p95) over all these queries.

`--corpus demo` runs the same queries on the bundled sample's 2,822 papers with their shipped
vectors, the collection `papertide demo` serves (its titles are the navigational sample).

`--src` imports papertide from another checkout (e.g. /work/main/src) to compare with main;
the nonsense and phrase figures only need `Searcher.search`, which both have.
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import importlib
import json
import random
import re
import string
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
ARXIV = ROOT.parent / "shared" / "data" / "arxiv" / "arxiv_papers.jsonl.gz"

PHRASES = [
    "diffusion model",
    "black hole",
    "reinforcement learning",
    "large language model",
    "graph neural network",
    "retrieval augmented generation",
    "dark matter",
    "gravitational wave",
    "federated learning",
    "object detection",
    "knowledge distillation",
    "quantum error correction",
    "speech recognition",
    "point cloud",
    "autonomous driving",
]
EVERYDAY = [
    "marmalade",
    "trombone",
    "giraffe",
    "teapot",
    "pancake",
    "umbrella",
    "banjo",
    "pickle",
    "saxophone",
    "walrus",
    "lollipop",
    "flamingo",
    "cupcake",
    "kazoo",
    "pudding",
    "accordion",
    "hamster",
    "doughnut",
    "ukulele",
    "pineapple",
    "moustache",
    "toaster",
    "spatula",
    "bagpipe",
    "meringue",
    "platypus",
    "custard",
    "harmonica",
    "waffle",
    "armadillo",
]


def nonsense_queries(seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    out = ["qwzx blorfing snarkle", "marmalade trombone giraffe"]
    for _ in range(9):
        words = [
            "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(4, 9)))
            for _ in range(rng.randint(2, 4))
        ]
        out.append(" ".join(words))
    for _ in range(9):
        out.append(" ".join(rng.sample(EVERYDAY, rng.randint(2, 4))))
    return out


def norm(text: str) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text.lower()).split())


def has_words(phrase: str, text: str) -> bool:
    """Every word of the phrase is in the text (a plural's stem is enough)."""
    words = set(norm(text).split())
    stems = {w[:-1] for w in words if len(w) > 3 and w.endswith("s")}
    return all(
        w in words or w in stems or (w.endswith("s") and w[:-1] in words)
        for w in (x for x in norm(phrase).split() if x not in {"of", "the", "a", "an", "for"})
    )


def load_papers(n: int, path: Path = ARXIV) -> list[dict[str, Any]]:
    out = []
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            r = json.loads(line)
            out.append(
                {
                    "arxiv_id": r["id"],
                    "title": " ".join(r["title"].split()),
                    "abstract": " ".join(r["abstract"].split()),
                    "authors": r.get("authors") or [],
                    "categories": r.get("categories") or [],
                }
            )
            if len(out) >= n:
                break
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--papers", type=int, default=3000)
    parser.add_argument(
        "--corpus",
        choices=("arxiv", "demo"),
        default="arxiv",
        help="demo: the bundled sample's papers and shipped vectors (what papertide demo shows)",
    )
    parser.add_argument("--cache", type=Path, default=Path("/tmp/relevance-cache"))
    parser.add_argument("--src", type=Path, default=ROOT / "src")
    parser.add_argument("--params", type=Path, default=None, help="a params.json to use")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--show", action="append", default=[], help="print a query's top 10")
    parser.add_argument("--mode", default="hybrid", choices=("hybrid", "keyword", "semantic"))
    args = parser.parse_args()
    sys.path.insert(0, str(args.src.resolve()))
    config = importlib.import_module("papertide.config")
    api = importlib.import_module("papertide.search.api")
    keyword_mod = importlib.import_module("papertide.search.keyword")
    vectors_mod = importlib.import_module("papertide.search.vectors")
    params_mod = importlib.import_module("papertide.search.params")
    sync_mod = importlib.import_module("papertide.search.sync")
    base_mod = importlib.import_module("papertide.embed.base")
    cache_mod = importlib.import_module("papertide.embed.cache")

    sample_mod = importlib.import_module("papertide.search.demo_vectors")
    source = ARXIV
    if args.corpus == "demo":
        source = sample_mod.sample_vectors_path().parent / "arxiv_papers.jsonl.gz"
    papers = load_papers(args.papers, source)
    params = params_mod.load_params(args.params)
    result: dict[str, Any] = {
        "command": " ".join(["python", *sys.argv]),
        "corpus": args.corpus,
        "papers": len(papers),
        "src": str(args.src),
        "mode": args.mode,
        "min_relevance": params.min_relevance.get(args.mode),
    }
    with tempfile.TemporaryDirectory(prefix="relevance-arxiv-") as tmp:
        index_dir = Path(tmp) / "index"
        settings = config.Settings(data_dir=Path(tmp), index_dir=index_dir)
        searcher = api.Searcher(settings, params)
        embedder = searcher.embedder
        keyword = keyword_mod.KeywordIndex.create(index_dir / "keyword", params.field_boosts)
        keyword.upsert(
            keyword_mod.KeywordDoc(
                paper_id=i + 1,
                arxiv_id=p["arxiv_id"],
                title=p["title"],
                abstract=p["abstract"],
                authors=p["authors"],
                categories=p["categories"],
            )
            for i, p in enumerate(papers)
        )
        keyword.commit()
        texts = [base_mod.paper_text(p["title"], p["abstract"]) for p in papers]
        texts_by_id = {p["arxiv_id"]: f"{p['title']} {p['abstract']}" for p in papers}
        shipped: dict[str, Any] = {}
        if args.corpus == "demo":  # the demo's vectors are the shipped ones (float16)
            with np.load(sample_mod.sample_vectors_path()) as data:
                shipped = dict(zip(data["arxiv_ids"].tolist(), data["vectors"], strict=True))
        missing = [i for i, p in enumerate(papers) if p["arxiv_id"] not in shipped]
        matrix = np.zeros((len(papers), embedder.dim), dtype=np.float32)
        if missing:
            matrix[missing] = cache_mod.embed_cached(
                embedder, [texts[i] for i in missing], args.cache / "emb-arxiv"
            )
        for i, p in enumerate(papers):
            if p["arxiv_id"] in shipped:
                matrix[i] = shipped[p["arxiv_id"]].astype(np.float32)
        vectors = vectors_mod.VectorIndex(index_dir / "vectors", embedder.name, embedder.dim)
        vectors.upsert(
            list(range(1, len(papers) + 1)),
            matrix,
            [vectors_mod.RowMeta(categories=p["categories"]) for p in papers],
        )
        vectors.save()
        if hasattr(sync_mod, "STATE_FORMAT"):  # a checkout from before search/state.py
            sync_mod.write_state(
                index_dir,
                {
                    "format": sync_mod.STATE_FORMAT,
                    "model": embedder.name,
                    "papers_cursor": ["x", 0],
                },
            )
        else:
            state_mod = importlib.import_module("papertide.search.state")
            empty = state_mod.IndexState.empty(embedder.name)
            state_mod.write_state(
                index_dir, dataclasses.replace(empty, papers=len(papers), vectors=len(papers))
            )
        del keyword, vectors
        timings: list[float] = []

        def search(query: str, **kw: Any) -> Any:
            started = time.perf_counter()
            response = searcher.search(query, mode=args.mode, **kw)
            timings.append(time.perf_counter() - started)
            return response

        def line_of(response: Any) -> float:
            """The line of the model that judged `response` (a checkout from before
            `SearchResponse.line` judged each mode by that mode's model)."""
            line = getattr(response, "line", None)
            return float(line if line is not None else params.min_relevance.get(args.mode, 0.0))

        search("warm up the model", min_relevance=0.0)
        timings.clear()
        if args.show:
            for q in args.show:
                print(f"== {q}")
                shown = search(q, limit=10, min_relevance=0.0)
                line = line_of(shown)
                for r in shown.results:
                    mark = "*" if r.relevance >= line else " "
                    print(f"  {mark} {r.relevance:.3f} {r.arxiv_id:<11} {r.title[:90]}")
            return

        # 1. nonsense
        rows: list[dict[str, Any]] = []
        for q in nonsense_queries():
            response = search(q)
            top = search(q, limit=3, min_relevance=0.0).results
            rows.append(
                {
                    "query": q,
                    "above_line": len(response.results),
                    "top3_relevance": [r.relevance for r in top],
                }
            )
        silent = sum(1 for r in rows if r["above_line"] == 0)
        result["nonsense"] = {"silent": silent, "of": len(rows), "queries": rows}
        print(f"nonsense: {silent} of {len(rows)} silent", flush=True)

        # 2. phrases in titles
        rows = []
        for phrase in PHRASES:
            response = search(phrase, limit=50, min_relevance=0.0)
            top50 = response.results
            line = line_of(response)
            having = [r for r in top50 if norm(phrase) in norm(r.title)]
            above = [r for r in having if r.relevance >= line]
            top10_above = sum(1 for r in top50[:10] if r.relevance >= line)
            # Precision proxy: of everything above the line, the share whose title or abstract
            # has every word of the phrase (a plural's stem counts). Papers can be on topic
            # without the words ("MoE"), so this undercounts; it catches partial matches.
            cleared = search(phrase, limit=200).results
            on_topic = sum(1 for r in cleared if has_words(phrase, texts_by_id[r.arxiv_id]))
            rows.append(
                {
                    "query": phrase,
                    "title_has_phrase": len(having),
                    "above_line": len(above),
                    "top10_above_line": top10_above,
                    "cleared_line": len(cleared),
                    "cleared_with_phrase_words": on_topic,
                    "relevance_of_those": [r.relevance for r in having],
                }
            )
            print(
                f"  {phrase!r}: {len(above)}/{len(having)} above the line; "
                f"{on_topic}/{len(cleared)} above the line have its words",
                flush=True,
            )
        having_total = sum(r["title_has_phrase"] for r in rows)
        above_total = sum(r["above_line"] for r in rows)
        result["phrases"] = {
            "above_line": above_total,
            "of": having_total,
            "share": round(above_total / max(having_total, 1), 4),
            "cleared_line": sum(r["cleared_line"] for r in rows),
            "cleared_with_phrase_words": sum(r["cleared_with_phrase_words"] for r in rows),
            "queries": rows,
        }
        cleared_total = result["phrases"]["cleared_line"]
        worded_total = result["phrases"]["cleared_with_phrase_words"]
        print(f"phrases: {above_total} of {having_total} above the line", flush=True)
        print(f"phrases: {worded_total} of {cleared_total} above the line have the words")

        # 3. navigational: exact titles and arXiv ids of a fixed sample
        rng = random.Random(7)
        sample = rng.sample(papers, 20)
        nav = {"title_first": 0, "title_first_above": 0, "id_first": 0, "id_first_above": 0}
        for p in sample:
            response = search(p["title"], limit=5, min_relevance=0.0)
            got = response.results
            if got and got[0].arxiv_id == p["arxiv_id"]:
                nav["title_first"] += 1
                nav["title_first_above"] += int(got[0].relevance >= line_of(response))
            response = search(p["arxiv_id"], limit=5, min_relevance=0.0)
            got = response.results
            if got and got[0].arxiv_id == p["arxiv_id"]:
                nav["id_first"] += 1
                nav["id_first_above"] += int(got[0].relevance >= line_of(response))
        result["navigational"] = {**nav, "of": len(sample)}
        print(f"navigational: {nav} of {len(sample)}", flush=True)

        ms = np.array(timings) * 1000
        result["latency_ms"] = {
            "searches": len(ms),
            "p50": round(float(np.percentile(ms, 50)), 2),
            "p95": round(float(np.percentile(ms, 95)), 2),
        }
        print(f"latency: {result['latency_ms']}", flush=True)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
