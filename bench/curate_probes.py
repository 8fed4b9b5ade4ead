"""Issue-12 probes on the validation split: ideas for more P@15, each measured against the same
rows, none shipped unless it wins clearly (a difference under ~0.01 is day-to-day noise here).

    .venv/bin/python bench/curate_eval.py --split val --no-baselines   # once: caches the rows
    .venv/bin/python bench/curate_probes.py [--only NAME ...]

Validation only (train <= 2025-11-30, rank 2025-12-01 ... 2026-02-28, labels before 2026-03-01);
no test split is read. Each probe adds columns to the shipped feature rows (or swaps the
ranker) and fits the shipped LightGBM ranker without calibration:

- `members`: authors who are members of the feed's community, as a live instance would know
  them: authors with a linked account on an earlier pick, or who submitted their own paper
  (read from the raw feed snapshots, `daily_papers_snapshots.jsonl.gz`, as of each feed date).
- `pairs`: co-author pairs' earlier picks and papers (a pair names a group far more precisely
  than one common name does).
- `coauthors`: the earlier picks of each author's earlier co-authors (one hop in the
  co-author graph).
- `text_recent`: the tf-idf regression refitted with training papers weighted
  0.5 ** (age / 90 days), as an added column and as a replacement.
- `ensembles`: the binary objective, slower learning, smaller trees, and rank averages.
- `ceiling`: the evaluated days split into odd and even halves, each ranked by a ranker that
  also trained on the other half: do the features gain from labels closer in time?
- `siblings`: the day's other papers sharing an author (a group's burst of papers): how many,
  and where this paper stands among them by text score, authors' gains, code and project page.
- `submitters`: the taste of the community's most active submitter (about a quarter of the
  picks since September 2025): a tf-idf regression of their own submissions, out-of-fold by
  fortnight like the shipped text score. A live instance knows who submitted what; the handle
  never leaves this script.
- `day_ranks`: every author and trend feature also as its percentile within the day.
- `day_density`: how crowded a paper's topic is among the day's papers.
- `link_owners`: the earlier picks of the GitHub owners and github.io sites a paper links to.
- `objectives`: the booster's randomness (three seeds), binary labels and other truncation
  levels for lambdarank, LightGBM's rank_xendcg, exponential label gains, and averages over
  seeds.

The MiniLM vectors as the dense space are probed by `bench/curate_probes_minilm.py` (its vectors
come from `bench/curate_vectors.py`).

Results: bench/results/curate_probes.json.
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import datetime as dt
import gzip
import itertools
import json
import pickle
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from curate_eval import CACHE, DATA, FEED, SPLITS, cached_prepare, inputs  # noqa: E402

from papertide.rank.curate.evaluate import Prepared, measure, stack_rows  # noqa: E402
from papertide.rank.curate.history import known_from  # noqa: E402
from papertide.rank.curate.model import (  # noqa: E402
    ALL_FEATURES,
    Config,
    DayRows,
    _rank_pct,
    fit_ranker,
)
from papertide.rank.curate.protocol import day_result, summarise  # noqa: E402
from papertide.rank.curate.records import Candidate, author_key  # noqa: E402

SNAPSHOTS = DATA / "hf_daily_papers" / "daily_papers_snapshots.jsonl.gz"
RESULTS = Path(__file__).resolve().parent / "results" / "curate_probes.json"
BASE = len(ALL_FEATURES)
MAX_AUTHORS = 25
ONE_DAY = dt.timedelta(days=1)
Extra = dict[dt.date, NDArray[np.float32]]


def author_keys(authors: Sequence[str]) -> list[str]:
    keys: list[str] = []
    for name in authors[:MAX_AUTHORS]:
        key = author_key(name)
        if key and key not in keys:
            keys.append(key)
    return keys


def summary_of(prepared: Prepared, scorer: Callable[[DayRows], Any]) -> dict[str, float]:
    s = measure(prepared, scorer)
    return {"precision@15": s.precision, "ndcg@15": s.ndcg, "recall@50": s.recall}


def fit_and_measure(
    prepared: Prepared, columns: NDArray[np.int64], config: Config | None = None
) -> tuple[dict[str, float], Any]:
    x, gain, days = prepared.train_matrix()
    ranker = fit_ranker(x[:, columns], gain, days, config or Config(calibration_days=0))
    result = summary_of(prepared, lambda r: ranker.predict(r.features[:, columns], num_threads=1))
    return result, ranker


def with_extra(prepared: Prepared, extra: Extra) -> dict[str, dict[str, float]]:
    """The shipped features against the shipped features plus `extra`, on the same rows."""
    for rows in prepared.rows:
        rows.features = np.hstack([rows.features[:, :BASE], extra[rows.day]])
    width = prepared.rows[0].features.shape[1]
    base, _ = fit_and_measure(prepared, np.arange(BASE))
    added, _ = fit_and_measure(prepared, np.arange(width))
    return {"shipped features": base, "with the probe's columns": added}


def score_columns(prepared: Prepared, score: NDArray[np.float32]) -> Extra:
    """A per-paper score as two columns of each day's rows: the score and its rank that day."""
    return {
        r.day: np.column_stack(
            [score[r.rows.start : r.rows.stop], _rank_pct(score[r.rows.start : r.rows.stop])]
        ).astype(np.float32)
        for r in prepared.rows
    }


def text_vectors(prepared: Prepared) -> Any:
    """The shipped text stage's tf-idf vectors of every paper (the newest cached stage)."""
    stages = sorted(CACHE.glob("text-*.pkl"), key=lambda p: p.stat().st_mtime)
    with stages[-1].open("rb") as handle:
        stage = pickle.load(handle)
    return stage.model.vectors([p.text for p in prepared.corpus.papers])


def replay_days(prepared: Prepared) -> list[DayRows]:
    return sorted(prepared.rows, key=lambda r: r.day)


def members_probe(prepared: Prepared) -> dict[str, dict[str, float]]:
    listed = {p.arxiv_id: p.day for p in prepared.corpus.papers}
    events: list[tuple[dt.date, set[str]]] = []
    with gzip.open(SNAPSHOTS, "rt") as handle:
        for line in handle:
            record = json.loads(line)
            entry = record.get("entry")
            if not isinstance(entry, dict):
                continue
            paper = entry.get("paper") or {}
            authors = [a for a in paper.get("authors", []) if isinstance(a, dict)]
            names = [author_key(a.get("name", "")) for a in authors]
            members = {n for a, n in zip(authors, names, strict=True) if a.get("user") and n}
            by = paper.get("submittedOnDailyBy") or entry.get("submittedBy") or {}
            submitter = author_key(by.get("fullname") or "") if isinstance(by, dict) else ""
            if submitter and submitter in names:
                members.add(submitter)
            day = dt.date.fromisoformat(record["feed_date"])
            events.append((max(day, listed.get(paper.get("id"), day)) + ONE_DAY, members))
    events.sort(key=lambda e: e[0])
    count: collections.Counter[str] = collections.Counter()
    last: dict[str, dt.date] = {}
    extra: Extra = {}
    j = 0
    for rows in replay_days(prepared):
        while j < len(events) and events[j][0] <= rows.day:
            for key in events[j][1]:
                count[key] += 1
                last[key] = events[j][0]
            j += 1
        out = []
        for i in rows.rows:
            keys = author_keys(prepared.corpus.papers[i].authors) or [""]
            seen = [count.get(k, 0) for k in keys]
            n = sum(1 for c in seen if c)
            recent = sum(1 for k in keys if k in last and (rows.day - last[k]).days <= 90)
            out.append([n, n / len(keys), seen[0] > 0, seen[-1] > 0, max(seen), recent])
        extra[rows.day] = np.asarray(out, dtype=np.float32)
    return with_extra(prepared, extra)


def _history_events(prepared: Prepared) -> list[tuple[dt.date, int, tuple[str, ...], float]]:
    """(known day, 0 = pick / 1 = paper, authors, gain), in order: what the replay sees."""
    candidates, picks = inputs()
    listed = {p.arxiv_id: p.day for p in prepared.corpus.papers}
    events: list[tuple[dt.date, int, tuple[str, ...], float]] = []
    seen: set[str] = set()
    for pick in picks:
        if pick.arxiv_id not in seen:
            seen.add(pick.arxiv_id)
            gain = float(np.log2(2 + max(pick.upvotes, 0)))
            events.append((known_from(pick, listed), 0, pick.authors, gain))
    for c in candidates:
        events.append((c.day + ONE_DAY, 1, c.authors, 0.0))
    events.sort(key=lambda e: (e[0], e[1]))
    return events


def pairs_probe(prepared: Prepared) -> dict[str, dict[str, float]]:
    events = _history_events(prepared)
    picks: collections.Counter[tuple[str, str]] = collections.Counter()
    papers: collections.Counter[tuple[str, str]] = collections.Counter()
    gains: collections.Counter[tuple[str, str]] = collections.Counter()
    extra: Extra = {}
    j = 0
    for rows in replay_days(prepared):
        while j < len(events) and events[j][0] <= rows.day:
            _, kind, authors, gain = events[j]
            for pair in itertools.combinations(sorted(author_keys(authors)), 2):
                if kind == 0:
                    picks[pair] += 1
                    gains[pair] += gain
                else:
                    papers[pair] += 1
            j += 1
        out = []
        for i in rows.rows:
            keys = sorted(author_keys(prepared.corpus.papers[i].authors))
            pairs = list(itertools.combinations(keys, 2))
            if not pairs:
                out.append([0.0] * 7)
                continue
            pk = [picks.get(p, 0) for p in pairs]
            pp = [papers.get(p, 0) for p in pairs]
            n = sum(1 for c in pk if c)
            out.append(
                [
                    n,
                    max(pk),
                    sum(pk),
                    max((a + 0.05) / (b + 1.0) for a, b in zip(pk, pp, strict=True)),
                    float(np.log1p(max(pp))),
                    max(gains.get(p, 0.0) for p in pairs),
                    n / len(pairs),
                ]
            )
        extra[rows.day] = np.asarray(out, dtype=np.float32)
    return with_extra(prepared, extra)


def coauthors_probe(prepared: Prepared) -> dict[str, dict[str, float]]:
    events = _history_events(prepared)
    picks: collections.Counter[str] = collections.Counter()
    coauthors: dict[str, set[str]] = collections.defaultdict(set)
    extra: Extra = {}
    j = 0
    for rows in replay_days(prepared):
        while j < len(events) and events[j][0] <= rows.day:
            _, kind, authors, _ = events[j]
            keys = author_keys(authors)
            if kind == 0:
                picks.update(keys)
            else:
                for a in keys:
                    coauthors[a].update(k for k in keys if k != a)
            j += 1
        out = []
        for i in rows.rows:
            keys = author_keys(prepared.corpus.papers[i].authors)
            own = set(keys)
            # Co-authors outside the paper's own author list: the wider group.
            mass = [
                [picks.get(b, 0) for b in coauthors.get(a, ()) if b not in own][:2000] for a in keys
            ]
            sums = [sum(m) for m in mass] or [0]
            picked = [sum(1 for v in m if v) / max(len(m), 1) for m in mass] or [0.0]
            out.append(
                [
                    float(np.log1p(max(sums))),
                    float(np.log1p(sum(sums))),
                    max(picked),
                    float(np.mean(picked)),
                ]
            )
        extra[rows.day] = np.asarray(out, dtype=np.float32)
    return with_extra(prepared, extra)


def text_recent_probe(prepared: Prepared) -> dict[str, dict[str, float]]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold

    corpus = prepared.corpus
    vectors = text_vectors(prepared)
    train = np.flatnonzero(corpus.days <= prepared.split.train_until.toordinal())
    rest = np.flatnonzero(corpus.days > prepared.split.train_until.toordinal())
    y = np.asarray([p.arxiv_id in prepared.train_gain for p in corpus.papers], dtype=np.int8)

    def fit(rows: NDArray[np.int64]) -> Any:
        weight = 0.5 ** ((corpus.days[rows].max() - corpus.days[rows]) / 90.0)
        model = LogisticRegression(C=4.0, max_iter=300, solver="liblinear")
        return model.fit(vectors[rows], y[rows], sample_weight=weight)

    logit = np.zeros(len(corpus.papers), dtype=np.float32)
    logit[rest] = fit(train).decision_function(vectors[rest])
    blocks = corpus.days[train] // 14
    for fit_rows, held in GroupKFold(5).split(train, y[train], blocks):
        logit[train[held]] = fit(train[fit_rows]).decision_function(vectors[train[held]])
    extra = score_columns(prepared, logit)
    out = with_extra(prepared, extra)
    dropped = {ALL_FEATURES.index("text_logit"), ALL_FEATURES.index("text_rank")}
    swap = np.asarray([i for i in range(BASE) if i not in dropped] + [BASE, BASE + 1])
    out["recency-weighted text instead of the shipped text"], _ = fit_and_measure(prepared, swap)
    return out


def ensembles_probe(prepared: Prepared) -> dict[str, dict[str, float]]:
    from scipy.stats import rankdata

    columns = np.arange(BASE)
    base = Config(calibration_days=0)
    variants = {
        "lambdarank (shipped)": base,
        "binary objective": dataclasses.replace(base, objective="binary"),
        "learning rate 0.02, 800 trees": dataclasses.replace(
            base, learning_rate=0.02, max_iter=800
        ),
        "15 leaves, >= 200 rows a leaf, 600 trees": dataclasses.replace(
            base, max_leaf_nodes=15, min_samples_leaf=200, max_iter=600
        ),
    }
    out: dict[str, dict[str, float]] = {}
    rankers: dict[str, Any] = {}
    for name, config in variants.items():
        out[name], rankers[name] = fit_and_measure(prepared, columns, config)

    def average(names: list[str]) -> Callable[[DayRows], NDArray[np.float64]]:
        return lambda r: sum(
            (rankdata(rankers[n].predict(r.features[:, columns], num_threads=1)) for n in names),
            np.zeros(len(r.rows)),
        )

    out["rank average: lambdarank + binary"] = summary_of(
        prepared, average(["lambdarank (shipped)", "binary objective"])
    )
    out["rank average: all four"] = summary_of(prepared, average(list(rankers)))
    return out


def ceiling_probe(prepared: Prepared) -> dict[str, dict[str, float]]:
    test = prepared.test_rows()
    gain = {**prepared.train_gain, **prepared.test_gain}
    train_rows = [r for r in prepared.rows if r.day <= prepared.split.train_until]
    results = []
    for half in (0, 1):
        other = [r for k, r in enumerate(test) if k % 2 != half]
        x, g, d = stack_rows(sorted(train_rows + other, key=lambda r: r.day), prepared.corpus, gain)
        ranker = fit_ranker(x[:, :BASE], g, d, Config(calibration_days=0))
        for rows in (r for k, r in enumerate(test) if k % 2 == half):
            scores = ranker.predict(rows.features[:, :BASE], num_threads=1)
            ids = [prepared.corpus.papers[i].arxiv_id for i in rows.rows]
            ranked = [ids[i] for i in np.argsort(-scores, kind="stable")]
            results.append(day_result(rows.day, ranked, prepared.test_gain))
    s = summarise(results)
    base, _ = fit_and_measure(prepared, np.arange(BASE))
    return {
        "shipped features": base,
        "also trained on the other half of the evaluated days": {
            "precision@15": s.precision,
            "ndcg@15": s.ndcg,
            "recall@50": s.recall,
        },
    }


def siblings_probe(prepared: Prepared) -> dict[str, dict[str, float]]:
    papers = prepared.corpus.papers
    col = {name: ALL_FEATURES.index(name) for name in ALL_FEATURES}
    extra: Extra = {}
    for rows in prepared.rows:
        f = rows.features[:, :BASE]
        text, gains, most = (
            f[:, col[n]] for n in ("text_logit", "auth_gain_sum", "auth_picks_max")
        )
        code, page = f[:, col["code_link"]], f[:, col["project_page"]]
        keys = [set(author_keys(papers[i].authors)) for i in rows.rows]
        papers_of: dict[str, list[int]] = collections.defaultdict(list)
        for j, own in enumerate(keys):
            for key in own:
                papers_of[key].append(j)
        out = []
        for j, own in enumerate(keys):
            group = np.asarray(sorted({k for a in own for k in papers_of[a]} - {j}), dtype=np.int64)
            if not len(group):
                out.append([0.0] * 8)
                continue
            shared = sum(1 for a in own if len(papers_of[a]) > 1) / len(own)
            out.append(
                [
                    len(group),
                    shared,
                    float((text[group] > text[j]).mean()),
                    float(text[j] - text[group].max()),
                    float((gains[group] > gains[j]).mean()),
                    float(most[group].max() - most[j]),
                    float(code[j] - code[group].max()),
                    float(page[j] - page[group].max()),
                ]
            )
        extra[rows.day] = np.asarray(out, dtype=np.float32)
    return with_extra(prepared, extra)


def submitters_probe(prepared: Prepared) -> dict[str, dict[str, float]]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold

    until = prepared.split.train_until
    submitted: list[tuple[dt.date, str, str]] = []
    with gzip.open(FEED, "rt") as feed:
        for line in feed:
            row = json.loads(line)
            day = dt.date.fromisoformat(row["feed_date"])
            if day <= until and row.get("submitted_by"):
                submitted.append((day, row["submitted_by"], row["arxiv_id"]))
    recent = collections.Counter(s for d, s, _ in submitted if (until - d).days < 90)
    top, count = recent.most_common(1)[0]
    print(
        f"   the top submitter made {count / sum(recent.values()):.1%} of the last 90 days' picks"
    )
    theirs = {a for _, s, a in submitted if s == top}
    first = min(d for d, s, _ in submitted if s == top).toordinal()
    corpus = prepared.corpus
    vectors = text_vectors(prepared)
    y = np.asarray([p.arxiv_id in theirs for p in corpus.papers], dtype=np.int8)
    # Rows from the submitter's first submission on: before it, they could not have picked.
    train = np.flatnonzero((corpus.days <= until.toordinal()) & (corpus.days >= first))

    def fit(rows: NDArray[np.int64]) -> Any:
        return LogisticRegression(C=4.0, max_iter=300, solver="liblinear").fit(
            vectors[rows], y[rows]
        )

    logit = fit(train).decision_function(vectors).astype(np.float32)
    for fit_rows, held in GroupKFold(5).split(train, y[train], corpus.days[train] // 14):
        logit[train[held]] = fit(train[fit_rows]).decision_function(vectors[train[held]])
    extra = score_columns(prepared, logit)
    return with_extra(prepared, extra)


def objectives_probe(prepared: Prepared) -> dict[str, dict[str, float]]:
    import lightgbm as lgb

    from papertide.rank.curate.model import MAX_LABEL, _lgb_params

    x, gain, days = prepared.train_matrix()
    x = x[:, :BASE]
    weight = 0.5 ** ((days.max() - days) / Config().half_life)
    _, sizes = np.unique(days, return_counts=True)
    graded = np.clip(np.rint(gain), 0, MAX_LABEL).astype(np.int32)

    def booster(label: NDArray[np.int32], **change: Any) -> Any:
        params = {**_lgb_params(Config(calibration_days=0)), **change}
        data = lgb.Dataset(x, label=label, group=sizes, weight=weight)
        return lgb.train(params, data, num_boost_round=Config().max_iter)

    def scored(boosters: list[Any]) -> dict[str, float]:
        return summary_of(
            prepared,
            lambda r: sum(b.predict(r.features[:, :BASE], num_threads=1) for b in boosters),
        )

    out: dict[str, dict[str, float]] = {}
    seeds = [booster(graded, seed=s, feature_fraction_seed=s) for s in (3, 11, 29, 41, 53)]
    for s, b in zip((3, 11, 29), seeds, strict=False):
        out[f"shipped, seed {s}" + (" (shipped)" if s == 3 else "")] = scored([b])
    out["average of 5 seeds"] = scored(seeds)
    half = [
        booster(graded, seed=s, feature_fraction_seed=s, feature_fraction=0.5)
        for s in (3, 11, 29, 41, 53)
    ]
    out["50% of the features per tree, average of 5 seeds"] = scored(half)
    out["binary labels (any pick = 1)"] = scored([booster((gain > 0).astype(np.int32))])
    out["truncation level 15"] = scored([booster(graded, lambdarank_truncation_level=15)])
    out["truncation level 60"] = scored([booster(graded, lambdarank_truncation_level=60)])
    out["rank_xendcg"] = scored([booster(graded, objective="rank_xendcg")])
    gains_2 = [2.0**i - 1 for i in range(MAX_LABEL + 1)]
    out["exponential label gains"] = scored([booster(graded, label_gain=gains_2)])
    return out


def day_ranks_probe(prepared: Prepared) -> dict[str, dict[str, float]]:
    """Each author and trend feature also as its percentile within the day."""
    columns = [i for i, n in enumerate(ALL_FEATURES) if n.startswith(("auth_", "trend", "kernel"))]
    extra = {
        r.day: np.column_stack([_rank_pct(r.features[:, i]) for i in columns]).astype(np.float32)
        for r in prepared.rows
    }
    return with_extra(prepared, extra)


def day_density_probe(prepared: Prepared) -> dict[str, dict[str, float]]:
    """How crowded the paper's topic is that day: cosines (dense text vectors) to the day's
    other papers (top-5 mean, how many above 0.5) and their text scores near it."""
    corpus = prepared.corpus
    unit = corpus.dense / np.maximum(np.linalg.norm(corpus.dense, axis=1, keepdims=True), 1e-9)
    extra: Extra = {}
    for r in prepared.rows:
        vectors = unit[r.rows.start : r.rows.stop]
        chance = 1.0 / (1.0 + np.exp(-corpus.text_logit[r.rows.start : r.rows.stop]))
        sims = vectors @ vectors.T
        np.fill_diagonal(sims, -1.0)
        near_picks = (np.clip(sims, 0.0, None) ** 4 @ chance) / len(chance)
        extra[r.day] = np.column_stack(
            [
                np.sort(sims, axis=1)[:, -5:].mean(axis=1),
                (sims > 0.5).sum(axis=1),
                near_picks,
                _rank_pct(near_picks.astype(np.float32)),
            ]
        ).astype(np.float32)
    return with_extra(prepared, extra)


GITHUB_OWNER = re.compile(r"github\.com/([A-Za-z0-9_.-]+)", re.IGNORECASE)
GITHUB_PAGES = re.compile(r"https?://([a-z0-9.-]+\.github\.io)", re.IGNORECASE)


def link_owners(paper: Candidate) -> set[str]:
    """Who a paper's links name: GitHub owners and github.io sites (a lab, a person)."""
    text = " ".join([paper.abstract, paper.comment, *paper.code_links])
    found = {o.lower().rstrip(".") for o in GITHUB_OWNER.findall(text)}
    return (found | {h.lower() for h in GITHUB_PAGES.findall(text)}) - {""}


def link_owners_probe(prepared: Prepared) -> dict[str, dict[str, float]]:
    """The earlier picks and papers of the GitHub owners and github.io sites a paper links to
    (from the arXiv text of earlier listed papers: the organisation an author list hides)."""
    candidates, picks = inputs()
    by_id = {c.arxiv_id: c for c in candidates}
    listed = {c.arxiv_id: c.day for c in candidates}
    events: list[tuple[dt.date, int, set[str]]] = []
    seen: set[str] = set()
    for pick in picks:
        if pick.arxiv_id in by_id and pick.arxiv_id not in seen:
            seen.add(pick.arxiv_id)
            events.append((known_from(pick, listed), 0, link_owners(by_id[pick.arxiv_id])))
    events += [(c.day + ONE_DAY, 1, owners) for c in candidates if (owners := link_owners(c))]
    events.sort(key=lambda e: (e[0], e[1]))
    owner_picks: collections.Counter[str] = collections.Counter()
    owner_papers: collections.Counter[str] = collections.Counter()
    extra: Extra = {}
    j = 0
    for rows in replay_days(prepared):
        while j < len(events) and events[j][0] <= rows.day:
            _, kind, owners = events[j]
            (owner_picks if kind == 0 else owner_papers).update(owners)
            j += 1
        out = []
        for i in rows.rows:
            owners = link_owners(prepared.corpus.papers[i])
            if not owners:
                out.append([0.0, 0.0, 0.0, -1.0])
                continue
            most = max(owner_picks[o] for o in owners)
            papers = max(owner_papers[o] for o in owners)
            out.append([1.0, most, papers, (most + 0.05) / (papers + 1.0)])
        extra[rows.day] = np.asarray(out, dtype=np.float32)
    return with_extra(prepared, extra)


PROBES: dict[str, Callable[[Prepared], dict[str, dict[str, float]]]] = {
    "members": members_probe,
    "pairs": pairs_probe,
    "coauthors": coauthors_probe,
    "text_recent": text_recent_probe,
    "ensembles": ensembles_probe,
    "ceiling": ceiling_probe,
    "siblings": siblings_probe,
    "submitters": submitters_probe,
    "objectives": objectives_probe,
    "day_ranks": day_ranks_probe,
    "day_density": day_density_probe,
    "link_owners": link_owners_probe,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", nargs="*", choices=sorted(PROBES), default=list(PROBES))
    args = parser.parse_args()
    candidates, picks = inputs()
    config = Config()
    results: dict[str, object] = {}
    if RESULTS.exists():
        results = json.loads(RESULTS.read_text())
    results["split"] = {k: str(v) for k, v in dataclasses.asdict(SPLITS["val"]).items()}
    for name in args.only:
        prepared = cached_prepare("val", SPLITS["val"], config, candidates, picks)
        t0 = time.perf_counter()
        found = PROBES[name](prepared)
        for label, row in found.items():
            print(
                f"{name:<12} {label:<55} P@15 {row['precision@15']:.3f}  "
                f"nDCG@15 {row['ndcg@15']:.3f}  R@50 {row['recall@50']:.3f}",
                flush=True,
            )
        print(f"   ({time.perf_counter() - t0:.0f}s)")
        results[name] = {k: {m: round(v, 4) for m, v in row.items()} for k, row in found.items()}
        RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
