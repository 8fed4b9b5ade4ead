"""Offline evaluation of recommendations: leave-one-out over the submitters of the real HF daily
papers feed, papertide's ranker side by side with the arxiv-sanity-lite baseline in one run.

For each submitter with at least two papers and each of their papers p: the seeds are the
submitter's other papers, the candidates are the papers on p's feed day (minus seeds), and we record
where p lands. Metrics: hit-rate@10 and MRR (plus the expected values of a random order, because a
day has only ~15 papers). Baseline: tf-idf (arxiv-sanity-lite's settings) + a linear SVM per seed
set (C=0.01, balanced classes) trained with the seeds as positives and the day's papers plus a fixed
random sample of the corpus as negatives, as arxiv-sanity-lite trains on its whole database.

    .venv/bin/python bench/recommend_eval.py [--max-cases 2000] [--seed 0] [--no-embed]

Prints a table and writes bench/results/recommend_eval.json.
"""

from __future__ import annotations

import argparse
import collections
import gzip
import json
import platform
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from papertide.rank.recommend import (
    AUTHOR_WEIGHT,
    TOP_K,
    author_tokens,
    author_vectorizer,
    fused_scores,
    knn_scores,
    normalise,
    tfidf_vectorizer,
)

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "hf_daily_papers" / "daily_papers.jsonl.gz"
RESULTS = ROOT / "bench" / "results" / "recommend_eval.json"
# Embedding 9,877 abstracts takes minutes on a busy machine: keep them outside the repository.
EMBED_CACHE = Path(tempfile.gettempdir()) / "papertide-eval" / "hf_daily_embeddings.npy"


def load(path: Path) -> tuple[list[dict[str, object]], dict[str, list[int]], dict[str, list[int]]]:
    papers: list[dict[str, object]] = []
    index: dict[str, int] = {}
    by_day: dict[str, list[int]] = collections.defaultdict(list)
    by_user: dict[str, list[int]] = collections.defaultdict(list)
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            aid = row["arxiv_id"]
            if aid not in index:
                index[aid] = len(papers)
                papers.append(row)
            i = index[aid]
            if i not in by_day[row["feed_date"]]:
                by_day[row["feed_date"]].append(i)
            user = row.get("submitted_by")
            if user and i not in by_user[user]:
                by_user[user].append(i)
    return papers, by_day, by_user


def cases(
    papers: list[dict[str, object]], by_day: dict[str, list[int]], by_user: dict[str, list[int]]
) -> list[tuple[int, list[int], list[int]]]:
    """(held-out paper, seeds, candidates including the held-out paper) per leave-one-out case."""
    day_of: dict[int, str] = {}
    for day, ids in by_day.items():
        for i in ids:
            day_of.setdefault(i, day)
    out = []
    for _user, ids in sorted(by_user.items()):
        if len(ids) < 2:
            continue
        for held in ids:
            seeds = [i for i in ids if i != held]
            seed_set = set(seeds)
            cands = [i for i in by_day[str(day_of[held])] if i not in seed_set]
            if len(cands) >= 2:
                out.append((held, seeds, cands))
    return out


def rank_of(scores: np.ndarray, target: int) -> float:
    """1-based rank of `target`; ties share the average rank (no luck from the input order)."""
    better = float((scores > scores[target]).sum())
    ties = float((scores == scores[target]).sum()) - 1
    return better + 1 + ties / 2


def corpus_tfidf(texts: list[str]):  # type: ignore[no-untyped-def]
    from sklearn.feature_extraction.text import TfidfVectorizer

    # arxiv-sanity-lite's compute.py settings.
    vectorizer = TfidfVectorizer(
        input="content",
        encoding="utf-8",
        decode_error="replace",
        strip_accents="unicode",
        lowercase=True,
        analyzer="word",
        stop_words="english",
        token_pattern=r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b",
        ngram_range=(1, 2),
        max_features=20000,
        norm="l2",
        use_idf=True,
        smooth_idf=True,
        sublinear_tf=True,
        max_df=0.1,
        min_df=5,
    )
    return vectorizer.fit_transform(texts).astype(np.float32)


def embeddings(papers: list[dict[str, object]]) -> np.ndarray | None:
    """Sentence embeddings from papertide.embed (the bundled offline model), cached on disk."""
    try:
        from papertide.config import load_settings
        from papertide.embed.base import paper_text
        from papertide.embed.registry import get_embedder
    except ImportError:
        return None
    texts = [paper_text(str(p["title"]), str(p["abstract"])) for p in papers]
    if EMBED_CACHE.exists():
        cached = np.load(EMBED_CACHE)
        if len(cached) == len(texts):
            return np.asarray(cached, np.float32)
    started = time.perf_counter()
    embedder = get_embedder(load_settings(data_dir="/tmp/papertide-eval"))
    vectors = np.concatenate(
        [embedder.embed(texts[i : i + 256]) for i in range(0, len(texts), 256)]
    ).astype(np.float32)
    print(f"embedded {len(texts)} papers in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    EMBED_CACHE.parent.mkdir(parents=True, exist_ok=True)
    np.save(EMBED_CACHE, vectors)
    return vectors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--max-cases", type=int, default=2000, help="0 = every case")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--negatives", type=int, default=2000, help="corpus sample for the SVM")
    parser.add_argument("--no-embed", action="store_true")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    if not args.data.exists():
        print(f"data not found: {args.data} (the shared hf_daily_papers set)", file=sys.stderr)
        return 2
    from scipy.sparse import hstack
    from sklearn.svm import LinearSVC

    papers, by_day, by_user = load(args.data)
    all_cases = cases(papers, by_day, by_user)
    rng = random.Random(args.seed)
    chosen = (
        all_cases
        if args.max_cases <= 0
        else rng.sample(all_cases, min(args.max_cases, len(all_cases)))
    )
    texts = [f"{p['title']}. {p['abstract']}" for p in papers]
    x = corpus_tfidf(texts)
    emb = None if args.no_embed else embeddings(papers)
    emb_n = normalise(emb) if emb is not None else None
    negatives_pool = list(range(len(papers)))

    xt = tfidf_vectorizer().fit_transform(texts)  # the ranker's own text space
    xa = author_vectorizer().fit_transform([author_tokens(p["authors"]) for p in papers])  # type: ignore[arg-type]
    x_svm_authors = hstack([x, xa]).tocsr()

    methods = [
        "random (expected)",
        "tfidf+svm (arxiv-sanity-lite)",
        "tfidf+svm, authors added",
        "papertide, text only",
        "papertide (text + authors)",
    ]
    if emb_n is not None:
        methods += ["embeddings knn (MiniLM)", "papertide + embeddings 0.1"]
    ranks: dict[str, list[float]] = {m: [] for m in methods}
    timings: dict[str, float] = collections.defaultdict(float)

    def svm_rank(features, seeds, cands, negs):  # type: ignore[no-untyped-def]
        seed_set = set(seeds)
        train_ids = seeds + [i for i in cands if i not in seed_set] + negs
        y = np.zeros(len(train_ids))
        y[: len(seeds)] = 1
        clf = LinearSVC(class_weight="balanced", max_iter=10000, tol=1e-6, C=0.01)
        clf.fit(features[train_ids], y)
        return clf.decision_function(features[cands])

    def sims(features, cands, seeds):  # type: ignore[no-untyped-def]
        return np.asarray((features[cands] @ features[seeds].T).toarray(), np.float32)

    def ours(with_authors, cands, seeds, no_neg):  # type: ignore[no-untyped-def]
        spaces = [(1.0, sims(xt, cands, seeds), no_neg)]
        if with_authors:
            spaces.append((AUTHOR_WEIGHT, sims(xa, cands, seeds), no_neg))
        return fused_scores(spaces)[0]

    def embed_knn(cands, seeds):  # type: ignore[no-untyped-def]
        assert emb_n is not None
        return knn_scores(emb_n[cands] @ emb_n[seeds].T, k=TOP_K)

    def timed(target, method, fn, *fn_args):  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        scores = fn(*fn_args)
        timings[method] += time.perf_counter() - t0
        ranks[method].append(rank_of(scores, target))
        return scores

    empty = np.zeros((0, 0), np.float32)
    for held, seeds, cands in chosen:
        target = cands.index(held)
        seed_set = set(seeds)
        negs = [i for i in rng.sample(negatives_pool, args.negatives) if i not in seed_set]

        no_neg = empty.reshape(len(cands), 0)
        timed(target, "tfidf+svm (arxiv-sanity-lite)", svm_rank, x, seeds, cands, negs)
        timed(target, "tfidf+svm, authors added", svm_rank, x_svm_authors, seeds, cands, negs)
        timed(target, "papertide, text only", ours, False, cands, seeds, no_neg)
        both = timed(target, "papertide (text + authors)", ours, True, cands, seeds, no_neg)
        if emb_n is not None:
            em = timed(target, "embeddings knn (MiniLM)", embed_knn, cands, seeds)
            timed(target, "papertide + embeddings 0.1", np.add, both, 0.1 * em)
    # Exact expectations for a random order of n candidates.
    sizes = [len(c) for _, _, c in chosen]
    rows = []
    for m in methods:
        if m == "random (expected)":
            hit = float(np.mean([min(10, n) / n for n in sizes]))
            mrr = float(np.mean([sum(1 / r for r in range(1, n + 1)) / n for n in sizes]))
        else:
            r = np.array(ranks[m])
            hit = float((r <= 10).mean())
            mrr = float((1 / r).mean())
        rows.append(
            {
                "method": m,
                "hit_rate_at_10": round(hit, 4),
                "mrr": round(mrr, 4),
                "seconds": round(timings.get(m, 0.0), 2),
            }
        )
    print(
        f"{len(chosen)} leave-one-out cases (of {len(all_cases)}), "
        f"{len(papers)} papers, median {int(np.median(sizes))} candidates per day"
    )
    print(f"{'method':<34} {'hit@10':>8} {'MRR':>8} {'seconds':>8}")
    for row in rows:
        print(
            f"{row['method']:<34} {row['hit_rate_at_10']:>8.4f} {row['mrr']:>8.4f} "
            f"{row['seconds']:>8.1f}"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "cases": len(chosen),
                "all_cases": len(all_cases),
                "papers": len(papers),
                "median_candidates": int(np.median(sizes)),
                "seed": args.seed,
                "svm_negatives": args.negatives,
                "top_k": TOP_K,
                "author_weight": AUTHOR_WEIGHT,
                "results": rows,
                "machine": platform.platform(),
                "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
