"""Rank every query of the fitting collections once and keep what the relevance model reads.

    .venv/bin/python bench/relevance_data.py [--cache /tmp/relevance-cache]

For SciFact **train** and the three collections of ../shared/data/ir_collections (test qrels:
they are the only judgements these have, and they are used for fitting and leave-one-out
validation, never for reporting a test figure): the hybrid ranking of each query with the
shipped retrieval parameters, each candidate's BM25 and cosine, the query's analysed terms and
their idf, which candidates contain which term, and the label; for the score-distribution
studies also the query's best 1,000 cosines over the collection and BM25 scores, its cosines to
the background sample the serving code uses, and each sampled paper's nearest-neighbour cosine.
Written as one pickle per collection under the cache folder (never in the repository: the data
may not be bundled).
SciFact test is not read here.
"""

from __future__ import annotations

import argparse
import pickle
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
from papertide.search.engine import MODES  # noqa: E402
from papertide.search.evaluate import eval_query, index_beir  # noqa: E402
from papertide.search.params import load_params  # noqa: E402
from papertide.search.relevance import BACKGROUND_SAMPLE, query_evidence  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
COLLECTIONS = {
    "scifact-train": (DATA / "scifact", "train"),
    "cisi": (DATA / "ir_collections" / "cisi", "test"),
    "medline": (DATA / "ir_collections" / "medline", "test"),
    "npl": (DATA / "ir_collections" / "npl", "test"),
}


def nearest_neighbour(matrix: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Cosine of each sampled paper to its nearest other paper (collection density)."""
    out = np.empty(len(rows), dtype=np.float32)
    for start in range(0, len(rows), 512):
        block = matrix[rows[start : start + 512]] @ matrix.T
        block[np.arange(len(block)), rows[start : start + 512]] = -1.0
        out[start : start + 512] = block.max(axis=1)
    return out


def extract(name: str, folder: Path, split: str, cache: Path, embedder: object) -> None:
    started = time.perf_counter()
    data = load_beir(folder, split)
    params = load_params()
    params.calibration = {}  # scores only: the model is what is being fitted
    with tempfile.TemporaryDirectory(prefix="relevance-") as tmp:
        index = index_beir(data, Path(tmp), embedder, params, cache / "emb")  # type: ignore[arg-type]
        engine = index.engine
        assert engine.vectors is not None
        _, matrix = engine.vectors.vectors_for(list(range(len(data.docs))))
        matrix = matrix.astype(np.float64)
        mean = matrix.mean(axis=0)
        cov = np.cov(matrix, rowvar=False)
        # The serving code sees the collection through a fixed sample of its vectors
        # (BackgroundModel): the same sample here, for query-time distribution features.
        sample_rows = np.arange(len(matrix))
        if len(sample_rows) > BACKGROUND_SAMPLE:
            sample_rows = np.linspace(0, len(matrix) - 1, BACKGROUND_SAMPLE).astype(np.int64)
        sample = matrix[sample_rows]
        nn = nearest_neighbour(matrix, sample_rows)
        queries = []
        for qid, text in data.queries.items():
            parsed = eval_query(text)
            qvec = index.query_vectors[qid]
            judged = data.qrels[qid]
            cos_all = matrix @ qvec.astype(np.float64)
            row: dict[str, object] = {
                "qid": qid,
                "text": parsed.text,
                "relevant": sum(1 for g in judged.values() if g > 0),
                "bg_mean": float(mean @ qvec),
                "bg_std": float(np.sqrt(max(qvec @ cov @ qvec, 1e-12))),
                "cos_sorted": np.sort(cos_all)[::-1][:1000].astype(np.float32),
                "cos_sample": (sample @ qvec.astype(np.float64)).astype(np.float32),
                "bm25_top": np.array(
                    [s for _, s in engine.keyword.search(parsed.tantivy_string(), limit=1000)[0]]
                    if parsed.has_keywords
                    else [],
                    dtype=np.float32,
                ),
            }
            for mode in MODES:
                fused = engine.rank(parsed, mode=mode, query_vector=qvec).fused
                evidence = query_evidence(engine.keyword, parsed, fused.paper_ids)
                row[mode] = {
                    "paper_ids": fused.paper_ids,
                    "fused": fused.fused,
                    "keyword": fused.keyword,
                    "semantic": fused.semantic,
                    "labels": np.array(
                        [int(judged.get(index.doc_ids[i], 0) > 0) for i in fused.paper_ids]
                    ),
                    "terms": evidence.terms,
                    "idf": evidence.idf,
                    "matches": evidence.matches,
                    "known": evidence.known,
                }
            queries.append(row)
    out = cache / f"{name}.pkl"
    with out.open("wb") as handle:
        pickle.dump(
            {"name": name, "docs": len(data.docs), "nn_sample": nn, "queries": queries}, handle
        )
    print(f"{name}: {len(queries)} queries, {time.perf_counter() - started:.0f} s -> {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cache", type=Path, default=Path("/tmp/relevance-cache"))
    parser.add_argument("--only", default=",".join(COLLECTIONS))
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    embedder = get_embedder(
        Settings(embed_model="minilm-int8", data_dir=Path(tempfile.gettempdir()))
    )
    for name in args.only.split(","):
        folder, split = COLLECTIONS[name]
        extract(name, folder, split, args.cache, embedder)


if __name__ == "__main__":
    main()
