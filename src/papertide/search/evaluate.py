"""Search quality on a BEIR folder: nDCG@10, Recall@100, MRR@10 per mode, and the cutoff.

The corpus is indexed into a temporary folder with the same KeywordIndex/VectorIndex/HybridEngine
the product uses; vectors are cached per model and text so a second run embeds nothing.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from papertide.embed.base import Embedder, paper_text
from papertide.embed.cache import embed_cached
from papertide.search.beir import BeirDataset
from papertide.search.calibration import expected_calibration_error
from papertide.search.engine import MODES, HybridEngine, Mode, Ranked
from papertide.search.keyword import KeywordDoc, KeywordIndex
from papertide.search.params import SearchParams
from papertide.search.query import MAX_QUERY_CHARS, ParsedQuery, parse_query
from papertide.search.vectors import RowMeta, VectorIndex

CALIBRATION_DEPTH = 20  # results per query that the cutoff and ECE look at


def eval_query(text: str) -> ParsedQuery:
    """A collection's query as the search box would take it: longer ones cut at a word.

    The product refuses queries over MAX_QUERY_CHARS (QueryTooLong); test collections have some
    (CISI: 1,462 characters), which are evaluated on their first MAX_QUERY_CHARS characters.
    """
    text = " ".join(text.split())
    if len(text) > MAX_QUERY_CHARS:
        cut = text[: MAX_QUERY_CHARS + 1]
        text = cut[: cut.rfind(" ")] if " " in cut else cut[:MAX_QUERY_CHARS]
    return parse_query(text)


def ndcg_at(ranked: list[str], judged: Mapping[str, int], k: int = 10) -> float:
    dcg = sum((2 ** judged.get(d, 0) - 1) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted((g for g in judged.values() if g > 0), reverse=True)[:k]
    idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def recall_at(ranked: list[str], judged: Mapping[str, int], k: int = 100) -> float:
    relevant = {d for d, g in judged.items() if g > 0}
    return len(relevant & set(ranked[:k])) / len(relevant) if relevant else 0.0


def mrr_at(ranked: list[str], judged: Mapping[str, int], k: int = 10) -> float:
    for i, d in enumerate(ranked[:k]):
        if judged.get(d, 0) > 0:
            return 1.0 / (i + 1)
    return 0.0


def set_scores(returned: list[str], judged: Mapping[str, int]) -> tuple[float, float, float]:
    """Precision, recall, F1 of a returned set (an empty set scores 0)."""
    relevant = {d for d, g in judged.items() if g > 0}
    hits = len(relevant & set(returned))
    p = hits / len(returned) if returned else 0.0
    r = hits / len(relevant) if relevant else 0.0
    return p, r, (2 * p * r / (p + r) if p + r > 0 else 0.0)


@dataclass
class BeirIndex:
    engine: HybridEngine
    doc_ids: list[str]  # paper id i (int) <-> BEIR doc id doc_ids[i]
    query_vectors: dict[str, np.ndarray] = field(default_factory=dict)


def index_beir(
    data: BeirDataset,
    folder: Path,
    embedder: Embedder | None,
    params: SearchParams,
    cache_dir: Path | None,
    progress: Callable[[str, int, int], None] | None = None,
) -> BeirIndex:
    """Index a BEIR corpus (keyword always, vectors when an embedder is given) into `folder`."""
    keyword = KeywordIndex.create(folder / "keyword", params.field_boosts)
    keyword.upsert(
        KeywordDoc(paper_id=i, arxiv_id=d.doc_id, title=d.title, abstract=d.text)
        for i, d in enumerate(data.docs)
    )
    keyword.commit()
    vectors = None
    query_vectors: dict[str, np.ndarray] = {}
    if embedder is not None:
        texts = [paper_text(d.title, d.text) for d in data.docs]
        done = 0

        def step(n: int) -> None:
            nonlocal done
            done += n
            if progress is not None:
                progress("embedding corpus", done, len(texts))

        matrix = embed_cached(embedder, texts, cache_dir, progress=step)
        vectors = VectorIndex(folder / "vectors", embedder.name, embedder.dim)
        vectors.upsert(list(range(len(texts))), matrix, [RowMeta()] * len(texts))
        qids = list(data.queries)
        qmat = embed_cached(
            embedder, [eval_query(data.queries[q]).semantic_text for q in qids], cache_dir
        )
        query_vectors = dict(zip(qids, qmat, strict=True))
    engine = HybridEngine(keyword, vectors, embedder, params)
    return BeirIndex(engine, [d.doc_id for d in data.docs], query_vectors)


def rank_queries(index: BeirIndex, data: BeirDataset, mode: Mode) -> dict[str, Ranked]:
    out: dict[str, Ranked] = {}
    for qid, text in data.queries.items():
        parsed = eval_query(text)
        out[qid] = index.engine.rank(parsed, mode=mode, query_vector=index.query_vectors.get(qid))
    return out


def ranking_metrics(
    index: BeirIndex, data: BeirDataset, ranked: Mapping[str, Ranked]
) -> dict[str, float]:
    n10, r100, m10 = [], [], []
    for qid, result in ranked.items():
        docs = [index.doc_ids[i] for i in result.fused.paper_ids]
        judged = data.qrels[qid]
        n10.append(ndcg_at(docs, judged))
        r100.append(recall_at(docs, judged))
        m10.append(mrr_at(docs, judged))
    return {
        "ndcg@10": round(float(np.mean(n10)), 4),
        "recall@100": round(float(np.mean(r100)), 4),
        "mrr@10": round(float(np.mean(m10)), 4),
        "queries": len(ranked),
    }


def cutoff_metrics(
    index: BeirIndex, data: BeirDataset, ranked: Mapping[str, Ranked], threshold: float
) -> tuple[dict[str, Any], np.ndarray, np.ndarray]:
    """Set P/R/F1 at `threshold`, the fixed top-10 F1, ECE; and the (probs, labels) pairs."""
    ps, rs, fs, top10 = [], [], [], []
    probs: list[float] = []
    labels: list[int] = []
    for qid, result in ranked.items():
        judged = data.qrels[qid]
        docs = [index.doc_ids[i] for i in result.fused.paper_ids[:CALIBRATION_DEPTH]]
        rel = result.relevance[:CALIBRATION_DEPTH]
        returned = [d for d, p in zip(docs, rel, strict=True) if p >= threshold]
        p, r, f = set_scores(returned, judged)
        ps.append(p)
        rs.append(r)
        fs.append(f)
        top10.append(set_scores(docs[:10], judged)[2])
        probs.extend(float(x) for x in rel)
        labels.extend(int(judged.get(d, 0) > 0) for d in docs)
    prob_arr, label_arr = np.array(probs), np.array(labels)
    valid = np.isfinite(prob_arr)
    metrics: dict[str, Any] = {
        "precision": round(float(np.mean(ps)), 4),
        "recall": round(float(np.mean(rs)), 4),
        "f1": round(float(np.mean(fs)), 4),
        "ece": round(expected_calibration_error(prob_arr[valid], label_arr[valid]), 4),
        "min_relevance": threshold,
        "top10_f1": round(float(np.mean(top10)), 4),
    }
    return metrics, prob_arr, label_arr


def reliability_diagram(probs: np.ndarray, labels: np.ndarray, path: Path, title: str) -> None:
    """Save a reliability diagram (matplotlib, imported only here) as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    edges = np.linspace(0, 1, 11)
    which = np.clip(np.digitize(probs, edges[1:-1]), 0, 9)
    centers, observed, counts = [], [], []
    for b in range(10):
        sel = which == b
        if sel.any():
            centers.append(probs[sel].mean())
            observed.append(labels[sel].mean())
            counts.append(int(sel.sum()))
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.plot([0, 1], [0, 1], "--", color="grey", label="perfect")
    ax.plot(centers, observed, "o-", label="papertide")
    for x, y, c in zip(centers, observed, counts, strict=True):
        ax.annotate(str(c), (x, y), textcoords="offset points", xytext=(4, -10), fontsize=7)
    ax.set_xlabel("predicted relevance")
    ax.set_ylabel("observed fraction relevant")
    ax.set_title(title, fontsize=9)
    ax.legend(loc="upper left")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def run_eval(
    data: BeirDataset,
    embedder: Embedder | None,
    params: SearchParams,
    cache_dir: Path | None,
    diagram: Path | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, Any]:
    """The whole evaluation: one JSON-able dict {keyword, semantic, hybrid, cutoff}."""
    with tempfile.TemporaryDirectory(prefix="papertide-eval-") as tmp:
        index = index_beir(data, Path(tmp), embedder, params, cache_dir, progress)
        out: dict[str, Any] = {}  # mode -> metrics
        hybrid_ranked: dict[str, Ranked] = {}
        for mode in MODES:
            if mode != "keyword" and embedder is None:
                out[mode] = None
                continue
            ranked = rank_queries(index, data, mode)
            out[mode] = ranking_metrics(index, data, ranked)
            if mode == "hybrid":
                hybrid_ranked = ranked
        cut_mode: Mode = "hybrid" if embedder is not None else "keyword"
        ranked = hybrid_ranked or rank_queries(index, data, cut_mode)
        judge = next(iter(ranked.values())).judged_by if ranked else cut_mode
        threshold = params.min_relevance.get(judge, 0.5)
        cutoff, probs, labels = cutoff_metrics(index, data, ranked, threshold)
        cutoff["mode"] = judge
        out["cutoff"] = cutoff
        if diagram is not None and np.isfinite(probs).any():
            reliability_diagram(
                probs, labels, diagram, f"{cut_mode} relevance, ECE {cutoff['ece']}"
            )
            cutoff["diagram"] = str(diagram)
        return out
