""" "For you" over the whole day's listing: does a person's library find the paper they went on
to submit among every new paper of its listing day?

Data (read-only, shared): the HF daily papers feed (`submitted_by`, the day it was submitted) and
the arXiv listing corpus (`first_seen` = the listing day). For each feed submitter with at least
MIN_SEEDS + 1 submissions and each of their submissions p with at least MIN_SEEDS earlier ones:

- the candidates are every paper of the corpus first seen on p's listing day in the instance's
  categories (cs.AI, cs.CL, cs.CV, cs.LG: any of a paper's categories), minus the seeds; p must be
  among them (cases where it is not, or is outside the categories, are dropped and counted);
- the seeds are the submitter's submissions dated strictly before p's listing day (time
  respecting: nothing submitted on or after the day being ranked); at least MIN_SEEDS of them.

Metrics: MRR, hit@10 and the median rank of p (ties share the average rank), per split.
Submitters are split at random (fixed seed) into a validation half, on which any setting was
chosen, and a test half, reported once. Handles live in memory only: the results hold counts.

Methods, on the same cases:
- papertide as shipped: `papertide.rank.recommend.Ranker` built on the day's candidates;
- arxiv-sanity-lite: its compute.py tf-idf (title + abstract + author names, its exact settings)
  fitted on its "database" (every corpus paper in the categories plus the feed's papers), and its
  serve.py `LinearSVC(class_weight="balanced", max_iter=10000, tol=1e-6, C=0.01)` trained with
  the seeds as positives and the day's candidates plus a fixed random sample of the database as
  negatives (arxiv-sanity-lite trains on its whole database);
- random order (exact expectation).

    .venv/bin/python bench/foryou_eval.py [--split validation|test|both] [--max-cases N]

Prints a table and writes bench/results/foryou_eval.json (or --out).
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import datetime as dt
import gzip
import json
import os
import pickle
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
from recommend_eval import corpus_tfidf

from papertide.rank.recommend import AUTHOR_WEIGHT, MIN_SCORE, TOP_K, Ranker
from papertide.store.schema import Paper

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
ARXIV = SHARED / "arxiv" / "arxiv_papers.jsonl.gz"
FEED = SHARED / "hf_daily_papers" / "daily_papers.jsonl.gz"
RESULTS = ROOT / "bench" / "results" / "foryou_eval.json"
CACHE = Path(os.environ.get("FORYOU_CACHE", Path(tempfile.gettempdir()) / "papertide-foryou"))
SCOPE = ("cs.AI", "cs.CL", "cs.CV", "cs.LG")  # the instance's categories (the default settings)
MIN_SEEDS = 5


@dataclasses.dataclass(frozen=True, slots=True)
class Doc:
    arxiv_id: str
    title: str
    abstract: str
    authors: tuple[str, ...]
    day: dt.date | None  # listing day (first_seen); None for feed papers outside the corpus
    in_scope: bool


@dataclasses.dataclass(frozen=True, slots=True)
class Case:
    submitter: int  # an index into the run's submitters, never the handle
    held: int  # row of the held-out paper in the database
    seeds: tuple[int, ...]  # rows, oldest first
    day: dt.date
    candidates: tuple[int, ...]  # rows of the day's listing minus the seeds (held included)


def _cached(name: str, sources: Iterable[Path], build: Callable[[], Any]) -> Any:
    """Parsing 159k records takes a while on a shared machine: keep the result under CACHE,
    keyed by the inputs' sizes and times."""
    key = "-".join(f"{p.stat().st_size}.{int(p.stat().st_mtime)}" for p in sources)
    path = CACHE / f"{name}-{key}.pkl"
    if path.exists():
        with path.open("rb") as fh:
            return pickle.load(fh)
    value = build()
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as fh:
        pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(path)
    return value


def _clean(text: str) -> str:
    return " ".join(str(text or "").split())


def load_database(arxiv: Path, feed: Path) -> tuple[list[Doc], list[tuple[str, dt.date, str]]]:
    """The database (corpus papers in the categories, then feed papers not among them) and the
    feed's submissions as (handle, day submitted, arXiv id), first submission per paper."""

    def build() -> tuple[list[tuple[Any, ...]], list[tuple[str, dt.date, str]]]:
        docs: list[Doc] = []
        seen: dict[str, int] = {}
        with gzip.open(arxiv, "rt", encoding="utf-8") as fh:
            for line in fh:
                r = json.loads(line)
                cats = set(r.get("categories") or [])
                doc = Doc(
                    r["id"],
                    _clean(r["title"]),
                    _clean(r["abstract"]),
                    tuple(a for a in r.get("authors") or [] if a.strip()),
                    dt.date.fromisoformat(r["first_seen"]),
                    bool(cats & set(SCOPE)),
                )
                seen[doc.arxiv_id] = len(docs)
                docs.append(doc)
        submissions: list[tuple[str, dt.date, str]] = []
        with gzip.open(feed, "rt", encoding="utf-8") as fh:
            for line in fh:
                r = json.loads(line)
                aid = r["arxiv_id"]
                if aid not in seen:
                    seen[aid] = len(docs)
                    docs.append(
                        Doc(
                            aid,
                            _clean(r["title"]),
                            _clean(r["abstract"]),
                            tuple(a for a in r.get("authors") or [] if a.strip()),
                            None,
                            False,
                        )
                    )
                if r.get("submitted_by"):
                    when = r.get("submitted_on_daily_at") or r["feed_date"]
                    submissions.append((r["submitted_by"], dt.date.fromisoformat(when[:10]), aid))
        # Out-of-scope corpus papers are neither candidates nor negatives: drop them (but keep
        # any a submitter submitted, as seeds).
        wanted = {aid for _, _, aid in submissions}
        kept = [d for d in docs if d.in_scope or d.day is None or d.arxiv_id in wanted]
        # Plain tuples in the cache, so any script importing this module can read it.
        return [dataclasses.astuple(d) for d in kept], submissions

    rows, submissions = _cached("database-v2", [arxiv, feed], build)
    return [Doc(*r) for r in rows], submissions


def build_cases(
    docs: list[Doc], submissions: list[tuple[str, dt.date, str]]
) -> tuple[list[Case], dict[str, int], int]:
    """The cases, the count of dropped ones per reason, and the number of eligible submitters."""
    row = {d.arxiv_id: i for i, d in enumerate(docs)}
    by_day: dict[dt.date, list[int]] = collections.defaultdict(list)
    for i, d in enumerate(docs):
        if d.in_scope and d.day is not None:
            by_day[d.day].append(i)
    by_user: dict[str, dict[str, dt.date]] = collections.defaultdict(dict)
    for user, when, aid in sorted(submissions, key=lambda s: (s[1], s[2])):
        by_user[user].setdefault(aid, when)  # a paper counts once, at its first submission
    users = sorted(u for u, subs in by_user.items() if len(subs) > MIN_SEEDS)
    dropped: collections.Counter[str] = collections.Counter()
    out: list[Case] = []
    for number, user in enumerate(users):
        subs = sorted(by_user[user].items(), key=lambda kv: (kv[1], kv[0]))
        for aid, when in subs:
            if sum(1 for _, w in subs if w < when) < MIN_SEEDS:
                continue  # not a case: fewer than MIN_SEEDS earlier submissions
            doc = docs[row[aid]]
            if doc.day is None:
                dropped["not in the arXiv corpus"] += 1
                continue
            if not doc.in_scope:
                dropped["outside the instance's categories"] += 1
                continue
            # Before the day being ranked, and before the paper's own submission (a few papers
            # were submitted before the corpus first saw them).
            cutoff = min(doc.day, when)
            seeds = [row[a] for a, w in subs if w < cutoff]
            if len(seeds) < MIN_SEEDS:
                dropped[f"fewer than {MIN_SEEDS} submissions before its listing day"] += 1
                continue
            seed_set = set(seeds)
            cands = tuple(i for i in by_day[doc.day] if i not in seed_set)
            if row[aid] not in cands:  # cannot happen (in scope, on its day): checked anyway
                dropped["not in its day's pool"] += 1
                continue
            out.append(Case(number, row[aid], tuple(seeds), doc.day, cands))
    return out, dict(dropped), len(users)


def rank_of(scores: np.ndarray, target: int) -> float:
    """1-based rank of `target`; ties share the average rank (no luck from the input order)."""
    better = float((scores > scores[target]).sum())
    ties = float((scores == scores[target]).sum()) - 1
    return better + 1 + ties / 2


def svm_features(docs: list[Doc]):  # type: ignore[no-untyped-def]
    """arxiv-sanity-lite's compute.py: its TfidfVectorizer settings, over title + abstract +
    author names, fitted on the whole database."""

    def build():  # type: ignore[no-untyped-def]
        texts = [" ".join([d.title, d.abstract, " ".join(d.authors)]) for d in docs]
        return corpus_tfidf(texts).tocsr()

    started = time.perf_counter()
    x = _cached(f"svm-features-{len(docs)}", [ARXIV, FEED], build)
    print(f"svm features {x.shape} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return x


def paper(docs: list[Doc], i: int) -> Paper:
    """A transient Paper (never stored) carrying what the ranker reads."""
    d = docs[i]
    return Paper(id=i, arxiv_id=d.arxiv_id, title=d.title, abstract=d.abstract, authors=d.authors)


@dataclasses.dataclass(frozen=True, slots=True)
class Setting:
    """A ranker setting tried on the validation half."""

    name: str
    author_weight: float = AUTHOR_WEIGHT
    top_k: int = TOP_K


def per_submitter(values: np.ndarray, who: np.ndarray) -> float:
    """The mean over submitters of their mean: each person weighs the same, however many
    papers they submitted (one submitter has 924 of the validation half's 1,252 cases)."""
    return float(np.mean([values[who == s].mean() for s in np.unique(who)]))


def summarise(ranks: list[float], who: np.ndarray) -> dict[str, float]:
    r = np.array(ranks)
    return {
        "mrr": round(float((1 / r).mean()), 4),
        "hit_at_10": round(float((r <= 10).mean()), 4),
        "median_rank": float(np.median(r)),
        "mrr_per_submitter": round(per_submitter(1 / r, who), 4),
        "hit_at_10_per_submitter": round(per_submitter((r <= 10).astype(float), who), 4),
        "cases": len(ranks),
        "submitters": len(np.unique(who)),
    }


def evaluate(
    docs: list[Doc],
    cases: list[Case],
    x: Any,
    negatives: list[int],
    settings: list[Setting],
    *,
    svm: bool = True,
) -> tuple[dict[str, list[float]], dict[str, float]]:
    """Ranks of the held-out paper per method, and seconds spent per method."""
    from sklearn.svm import LinearSVC

    ranks: dict[str, list[float]] = collections.defaultdict(list)
    seconds: dict[str, float] = collections.defaultdict(float)
    by_day: dict[dt.date, list[Case]] = collections.defaultdict(list)
    for case in cases:
        by_day[case.day].append(case)
    done = 0
    for day in sorted(by_day):
        day_cases = by_day[day]
        pool_rows = sorted(
            {i for c in day_cases for i in c.candidates}
            | {i for c in day_cases for i in c.seeds if docs[i].day == day}
        )
        pool = [paper(docs, i) for i in pool_rows]
        position = {i: n for n, i in enumerate(pool_rows)}
        for setting in settings:
            t0 = time.perf_counter()
            ranker = Ranker(pool, author_weight=setting.author_weight, top_k=setting.top_k)
            seconds[setting.name] += time.perf_counter() - t0
            for case in day_cases:
                t0 = time.perf_counter()
                scores, _ = ranker.scores([paper(docs, i) for i in case.seeds])
                cand = scores[[position[i] for i in case.candidates]]
                seconds[setting.name] += time.perf_counter() - t0
                target = case.candidates.index(case.held)
                ranks[setting.name].append(rank_of(cand, target))
                if setting is settings[0]:  # the line (MIN_SCORE) on the whole listing
                    ranks["_held_score"].append(float(cand[target]))
                    ranks["_above_line"].append(float((cand >= MIN_SCORE).sum()))
        for case in day_cases:
            if svm:
                t0 = time.perf_counter()
                seed_set = set(case.seeds)
                negs = [i for i in case.candidates] + [i for i in negatives if i not in seed_set]
                train = list(case.seeds) + negs
                y = np.zeros(len(train))
                y[: len(case.seeds)] = 1
                clf = LinearSVC(
                    class_weight="balanced", verbose=False, max_iter=10000, tol=1e-6, C=0.01
                )
                clf.fit(x[train], y)
                s = clf.decision_function(x[list(case.candidates)])
                seconds["tfidf+svm (arxiv-sanity-lite)"] += time.perf_counter() - t0
                ranks["tfidf+svm (arxiv-sanity-lite)"].append(
                    rank_of(s, case.candidates.index(case.held))
                )
            n = len(case.candidates)
            ranks["random (expected)"].append(0.0)  # placeholder: expectations computed below
            ranks["_n"].append(float(n))
            ranks["_sub"].append(float(case.submitter))
        done += len(day_cases)
        if done // 200 != (done - len(day_cases)) // 200:
            print(f"{done}/{len(cases)} cases", file=sys.stderr, flush=True)
    return ranks, seconds


def table(ranks: dict[str, list[float]], methods: list[str]) -> list[dict[str, Any]]:
    who = np.array(ranks["_sub"])
    sizes = np.array(ranks["_n"])
    rows = []
    for m in methods:
        if m == "random (expected)":  # exact expectations over a random order of n papers
            mrr = np.array([sum(1 / r for r in range(1, int(n) + 1)) / n for n in sizes])
            hit = np.minimum(10, sizes) / sizes
            rows.append(
                {
                    "method": m,
                    "mrr": round(float(mrr.mean()), 4),
                    "hit_at_10": round(float(hit.mean()), 4),
                    "median_rank": float(np.median((sizes + 1) / 2)),
                    "mrr_per_submitter": round(per_submitter(mrr, who), 4),
                    "hit_at_10_per_submitter": round(per_submitter(hit, who), 4),
                    "cases": len(sizes),
                    "submitters": len(np.unique(who)),
                }
            )
        else:
            rows.append({"method": m, **summarise(ranks[m], who)})
    return rows


def split_cases(cases: list[Case], seed: int) -> dict[str, list[Case]]:
    submitters = sorted({c.submitter for c in cases})
    random.Random(seed).shuffle(submitters)
    validation = set(submitters[: len(submitters) // 2])
    return {
        "validation": [c for c in cases if c.submitter in validation],
        "test": [c for c in cases if c.submitter not in validation],
    }


SETTINGS = {
    "papertide (as shipped)": Setting("papertide (as shipped)"),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--arxiv", type=Path, default=ARXIV)
    parser.add_argument("--feed", type=Path, default=FEED)
    parser.add_argument("--split", choices=["validation", "test", "both"], default="validation")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--negatives", type=int, default=2000, help="database sample for the SVM")
    parser.add_argument("--max-cases", type=int, default=0, help="0 = every case of the split")
    parser.add_argument(
        "--grid", action="store_true", help="also try ranker settings (validation only)"
    )
    parser.add_argument("--no-svm", action="store_true")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    for path in (args.arxiv, args.feed):
        if not path.exists():
            print(f"data not found: {path}", file=sys.stderr)
            return 2
    if args.grid and args.split != "validation":
        print("--grid chooses settings: run it on the validation split only", file=sys.stderr)
        return 2
    started = time.perf_counter()
    docs, submissions = load_database(args.arxiv, args.feed)
    cases, dropped, submitters = build_cases(docs, submissions)
    print(
        f"{len(docs)} papers in the database, {len(cases)} cases from {submitters} submitters "
        f"with > {MIN_SEEDS} submissions; dropped {dropped} "
        f"({time.perf_counter() - started:.0f} s)",
        file=sys.stderr,
    )
    splits = split_cases(cases, args.seed)
    chosen = ["validation", "test"] if args.split == "both" else [args.split]
    x = None if args.no_svm else svm_features(docs)
    rng = random.Random(args.seed)
    negatives = sorted(rng.sample([i for i, d in enumerate(docs) if d.in_scope], args.negatives))
    settings = list(SETTINGS.values())
    if args.grid:
        settings += [
            Setting(f"papertide, authors {w}, k {k}", author_weight=w, top_k=k)
            for w, k in ((0.5, 5), (0.3, 20), (0.5, 20), (1.0, 5))
        ]
    methods = [
        "random (expected)",
        *([] if args.no_svm else ["tfidf+svm (arxiv-sanity-lite)"]),
        *[s.name for s in settings],
    ]
    report: dict[str, Any] = {
        "categories": list(SCOPE),
        "min_seeds": MIN_SEEDS,
        "seeds": "the submitter's submissions dated before the held-out paper's listing day",
        "database_papers": len(docs),
        "eligible_submitters": submitters,
        "cases_all": len(cases),
        "dropped": dropped,
        "svm_negatives": args.negatives,
        "seed": args.seed,
        "splits": {},
    }
    for name in chosen:
        part = splits[name]
        if args.max_cases and len(part) > args.max_cases:
            part = random.Random(args.seed).sample(part, args.max_cases)
        ranks, seconds = evaluate(docs, part, x, negatives, settings, svm=not args.no_svm)
        rows = table(ranks, methods)
        for row in rows:
            row["seconds"] = round(seconds.get(row["method"], 0.0), 1)
        pool = [len(c.candidates) for c in part]
        report["splits"][name] = {
            "cases": len(part),
            "submitters": len({c.submitter for c in part}),
            "days": len({c.day for c in part}),
            "candidates_median": statistics.median(pool),
            "candidates_max": max(pool),
            "seeds_median": statistics.median(len(c.seeds) for c in part),
            "results": rows,
            "line": {
                "min_score": MIN_SCORE,
                "held_out_kept": round(
                    float(np.mean(np.array(ranks["_held_score"]) >= MIN_SCORE)), 4
                ),
                "held_out_score_median": round(float(np.median(ranks["_held_score"])), 4),
                "papers_above_line_median": float(np.median(ranks["_above_line"])),
            },
        }
        print(
            f"\n{name}: {len(part)} cases, {report['splits'][name]['submitters']} submitters, "
            f"median {statistics.median(pool):.0f} candidates, "
            f"median {report['splits'][name]['seeds_median']:.0f} seeds"
        )
        print(
            f"{'method':<34} {'MRR':>7} {'hit@10':>7} {'median':>7} {'MRR/s':>7} {'hit/s':>7} "
            f"{'seconds':>8}   (/s: mean over submitters)"
        )
        line = report["splits"][name]["line"]
        print(
            f"the line {MIN_SCORE}: keeps {line['held_out_kept']:.1%} of the held-out papers; "
            f"median {line['papers_above_line_median']:.0f} of the day's papers above it"
        )
        for row in sorted(rows, key=lambda r: -r["mrr"]):
            print(
                f"{row['method']:<34} {row['mrr']:>7.4f} {row['hit_at_10']:>7.4f} "
                f"{row['median_rank']:>7.1f} {row['mrr_per_submitter']:>7.4f} "
                f"{row['hit_at_10_per_submitter']:>7.4f} {row['seconds']:>8.1f}"
            )
    report["machine"] = platform.platform()
    report["time"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
