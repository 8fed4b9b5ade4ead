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
- `author_taste`, `author_taste2` (and its `_tfidf`, `_picked_only`, `_picked_authors`
  variants): a paper against its authors' earlier papers, picked and not (the fourth round;
  the last variant is what ships as the `taste` group, taste.py). Run with `--base third`.
- `title_style`: a character n-gram regression on the title alone.
- `orgs`: the organisations the feed names for the authors' earlier picks.
- `taste_roles`, `knn_long`, `taste_siblings`: on top of the shipped taste features, the first
  and last author's taste alone and the past 120 days only; the pick rate of a paper's 50
  nearest recent papers; where a paper stands by taste among its group's papers of the day.
- `author_lr`, `author_words_lr`, `all_fields_lr` (and their `_rank` forms, the day's rank
  only): a logistic regression with one column per author, alone, beside the tf-idf words, and
  with the comment's words and the categories too (the fifth round).
- `boosters`: monotone author counts, extra trees, path smoothing, and training without the last
  training week (its late picks are not known yet).
- `activity`: how busy the authors are on arXiv right now (days since their previous paper,
  papers in the past 30 days).
- `ingroup_lr`, `ingroup_lr_rank`: a tf-idf regression fitted only on the followed groups' papers
  (an author with an earlier pick).
- `roles`, `recent_rate`, `burst`, `pick_lag` (the sixth round): credit 1/n per author of an
  earlier pick and picks in the same role (first, last author); the authors' pick rate over the
  past 90 and 180 days only; their picks of the past 3, 7 and 14 days; how many of their earlier
  picks were on the feed on their own listing day (the feed's snapshot is taken hours after
  arXiv's announcement).
- `submitter_libraries`: who in the community would submit the paper: overlaps of its authors
  with each submitter's library of earlier submissions, and how active and focused they are.
- `minilm_taste`, `minilm_taste_instead`: the `taste` columns computed on the MiniLM search
  vectors (`bench/curate_vectors.py`), beside the shipped SVD ones or in their place.
- `boosters2`: DART, GOSS, row bagging, unnormalised lambdas, 63 bins (the sixth round).
- `prune`: each shipped column left out in turn; the columns whose removal helped on one half
  of the validation days dropped together and judged on the other half.
- `text_lr` (the seventh round): the text regression alone ranking each day, in eight variants
  (regularisation, class balance, votes as weights, a linear SVM, scikit-learn's default
  vectoriser, the feed's picks never listed here as extra positives).
- `specialist`: a ranker trained only on the followed groups' papers (an author with an earlier
  pick), ranking those of each day above the rest.

`--base third` adds a probe's columns to the third design (every group but `taste`) instead of
the shipped groups; `--seeds 3 11 29` averages every figure per day over booster seeds and
reports the difference's 95% interval (days resampled).

The MiniLM vectors as the dense space are probed by `bench/curate_probes_minilm.py` (its vectors
come from `bench/curate_vectors.py`).

Results: bench/results/curate_probes.json.
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import datetime as dt
import functools
import gzip
import itertools
import json
import pickle
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from curate_eval import CACHE, DATA, FEED, SPLITS, cached_prepare, inputs  # noqa: E402

from papertide.rank.curate.evaluate import (  # noqa: E402
    Prepared,
    measure,
    measure_days,
    stack_rows,
)
from papertide.rank.curate.history import known_from  # noqa: E402
from papertide.rank.curate.model import (  # noqa: E402
    ALL_FEATURES,
    ALL_GROUPS,
    Config,
    DayRows,
    _rank_pct,
    fit_ranker,
)
from papertide.rank.curate.protocol import day_result, summarise  # noqa: E402
from papertide.rank.curate.records import Candidate, Pick, author_key  # noqa: E402

SNAPSHOTS = DATA / "hf_daily_papers" / "daily_papers_snapshots.jsonl.gz"
RESULTS = Path(__file__).resolve().parent / "results" / "curate_probes.json"
BASE = len(ALL_FEATURES)
MAX_AUTHORS = 25
ONE_DAY = dt.timedelta(days=1)
Extra = dict[dt.date, NDArray[np.float32]]
AuthorDays = dict[str, list[int]]
Event = TypeVar("Event")


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


# What a probe's columns are added to (--base) and the booster seeds averaged over (--seeds).
BASES: dict[str, tuple[str, ...]] = {
    "shipped": Config().groups,
    # The design before the fourth round: every group but taste (the raw text score in).
    "third": tuple(g for g in ALL_GROUPS if g != "taste"),
}
SETTINGS: dict[str, Any] = {"base": "shipped", "seeds": [3]}


def _per_day(prepared: Prepared, columns: NDArray[np.int64], seed: int) -> NDArray[np.float64]:
    x, gain, days = prepared.train_matrix()
    ranker = fit_ranker(x[:, columns], gain, days, Config(calibration_days=0, seed=seed))
    found = measure_days(prepared, lambda r: ranker.predict(r.features[:, columns], num_threads=1))
    return np.asarray([(d.precision, d.ndcg, d.recall) for d in found], dtype=np.float64)


def _mean_row(values: NDArray[np.float64]) -> dict[str, float]:
    """Per-day (P@15, nDCG@15, R@50) rows averaged over the days."""
    m = values.mean(axis=0)
    return {"precision@15": float(m[0]), "ndcg@15": float(m[1]), "recall@50": float(m[2])}


def _interval(base: NDArray[np.float64], added: NDArray[np.float64]) -> dict[str, float]:
    """Mean per-day difference with its 95% interval (days resampled)."""
    diff = added - base
    draws = np.random.default_rng(0).integers(0, len(diff), size=(2000, len(diff)))
    low, high = np.percentile(diff[draws].mean(axis=1), [2.5, 97.5], axis=0)
    return {
        **_mean_row(diff),
        "precision@15 low": float(low[0]),
        "precision@15 high": float(high[0]),
        "ndcg@15 low": float(low[1]),
        "ndcg@15 high": float(high[1]),
    }


def _seed_average(prepared: Prepared, columns: NDArray[np.int64]) -> NDArray[np.float64]:
    """Per-day figures of the ranker on `columns`, averaged over the booster seeds (--seeds)."""
    return np.mean([_per_day(prepared, columns, s) for s in SETTINGS["seeds"]], axis=0)


def with_extra(
    prepared: Prepared, extra: Extra, *, instead_of: Sequence[str] = ()
) -> dict[str, dict[str, float]]:
    """The base features (--base) against them plus `extra` (less the base features named in
    `instead_of`), on the same rows, averaged per day over the booster seeds (--seeds), with
    the difference's 95% interval (days resampled)."""
    for rows in prepared.rows:
        rows.features = np.hstack([rows.features[:, :BASE], extra[rows.day]])
    width = prepared.rows[0].features.shape[1]
    base_columns = Config(groups=BASES[SETTINGS["base"]]).columns()
    dropped = {ALL_FEATURES.index(name) for name in instead_of}
    kept = np.asarray([c for c in base_columns if c not in dropped], dtype=np.int64)
    base = _seed_average(prepared, base_columns)
    added = _seed_average(prepared, np.concatenate([kept, np.arange(BASE, width)]))
    return {
        f"{SETTINGS['base']} features": _mean_row(base),
        "with the probe's columns": _mean_row(added),
        "difference": _interval(base, added),
    }


def score_columns(prepared: Prepared, score: NDArray[np.float32]) -> Extra:
    """A per-paper score as two columns of each day's rows: the score and its rank that day."""
    return {
        r.day: np.column_stack(
            [score[r.rows.start : r.rows.stop], _rank_pct(score[r.rows.start : r.rows.stop])]
        ).astype(np.float32)
        for r in prepared.rows
    }


def cached_text_model() -> Any:
    """The shipped text model of the newest text stage `curate_eval.py` cached."""
    stages = sorted(CACHE.glob("text-*.pkl"), key=lambda p: p.stat().st_mtime)
    with stages[-1].open("rb") as handle:
        return pickle.load(handle).model


def text_vectors(prepared: Prepared) -> Any:
    """The shipped text stage's tf-idf vectors of every paper (the newest cached stage)."""
    return cached_text_model().vectors([p.text for p in prepared.corpus.papers])


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
            events.append((max(day, listed.get(str(paper.get("id")), day)) + ONE_DAY, members))
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
    gains: dict[tuple[str, str], float] = collections.defaultdict(float)
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


def day_groups(
    papers: Sequence[Candidate], rows: DayRows
) -> tuple[list[set[str]], list[NDArray[np.int64]], dict[str, list[int]]]:
    """For each of a day's papers: its authors, the day's other papers sharing one of them
    (positions within the day), and each author's papers that day."""
    keys = [set(author_keys(papers[i].authors)) for i in rows.rows]
    papers_of: dict[str, list[int]] = collections.defaultdict(list)
    for j, own in enumerate(keys):
        for key in own:
            papers_of[key].append(j)
    groups = [
        np.asarray(sorted({k for a in own for k in papers_of[a]} - {j}), dtype=np.int64)
        for j, own in enumerate(keys)
    ]
    return keys, groups, papers_of


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
        keys, groups, papers_of = day_groups(papers, rows)
        out = []
        for j, own in enumerate(keys):
            group = groups[j]
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


def author_taste_probe(prepared: Prepared) -> dict[str, dict[str, float]]:
    """Which of a group's topics this community picks: the paper's cosines (dense text vectors)
    to its authors' earlier papers listed here, split into those picked by that morning and the
    rest, and a similarity-weighted pick rate over them (a group's picked line of work against
    its unpicked ones)."""
    _, picks = inputs()
    corpus = prepared.corpus
    listed = {p.arxiv_id: p.day for p in corpus.papers}
    index = {p.arxiv_id: i for i, p in enumerate(corpus.papers)}
    known = sorted((known_from(p, listed), index[p.arxiv_id]) for p in picks if p.arxiv_id in index)
    unit = corpus.dense / np.maximum(np.linalg.norm(corpus.dense, axis=1, keepdims=True), 1e-9)
    keys_of = [author_keys(p.authors) for p in corpus.papers]
    earlier: dict[str, list[int]] = collections.defaultdict(list)
    picked: set[int] = set()
    extra: Extra = {}
    j = 0
    done = 0  # corpus papers (day order) already added to their authors' lists
    for rows in replay_days(prepared):
        while j < len(known) and known[j][0] <= rows.day:
            picked.add(known[j][1])
            j += 1
        while done < len(corpus.papers) and corpus.papers[done].day < rows.day:
            for key in keys_of[done]:
                earlier[key].append(done)
            done += 1
        out = []
        for i in rows.rows:
            own = sorted({k for a in keys_of[i] for k in earlier.get(a, ())[-300:]})
            if not own:
                out.append([0.0, -1.0, -1.0, 0.0, -1.0, 0.0])
                continue
            idx = np.asarray(own, dtype=np.int64)
            sims = unit[idx] @ unit[i]
            hit = np.fromiter((k in picked for k in own), dtype=bool, count=len(own))
            weight = np.clip(sims, 0.0, None) ** 4
            rate = float((weight * hit).sum() + 0.05) / float(weight.sum() + 1.0)
            near = sims > 0.5
            out.append(
                [
                    float(len(own)),
                    float(sims[hit].max()) if hit.any() else -1.0,
                    float(sims[~hit].max()) if (~hit).any() else -1.0,
                    rate,
                    float(hit[near].mean()) if near.any() else -1.0,
                    float(near.sum()),
                ]
            )
        extra[rows.day] = np.asarray(out, dtype=np.float32)
    return with_extra(prepared, extra)


def title_style_probe(prepared: Prepared) -> dict[str, dict[str, float]]:
    """The title alone, as characters (2-5-grams within words): a name, a colon, an acronym,
    "Towards", "Scaling" - a regression of "picked" out-of-fold by fortnight, like the text
    score."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold

    corpus = prepared.corpus
    titles = [p.title for p in corpus.papers]
    train = np.flatnonzero(corpus.days <= prepared.split.train_until.toordinal())
    rest = np.flatnonzero(corpus.days > prepared.split.train_until.toordinal())
    y = np.asarray([p.arxiv_id in prepared.train_gain for p in corpus.papers], dtype=np.int8)
    vectorizer = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 5), lowercase=False, min_df=5, sublinear_tf=True
    )
    vectorizer.fit([titles[i] for i in train])
    vectors = vectorizer.transform(titles)

    def fit(rows: NDArray[np.int64]) -> Any:
        return LogisticRegression(C=1.0, max_iter=300, solver="liblinear").fit(
            vectors[rows], y[rows]
        )

    logit = np.zeros(len(titles), dtype=np.float32)
    logit[rest] = fit(train).decision_function(vectors[rest])
    for fit_rows, held in GroupKFold(5).split(train, y[train], corpus.days[train] // 14):
        logit[train[held]] = fit(train[fit_rows]).decision_function(vectors[train[held]])
    return with_extra(prepared, score_columns(prepared, logit))


def orgs_probe(prepared: Prepared) -> dict[str, dict[str, float]]:
    """The organisations an instance has seen the paper's authors pick under: the feed names an
    organisation on 58% of its entries since October 2025 (earlier ones have none), which ties
    a lab's authors together. For each organisation, its picks in the past 90 days; for the
    paper, the busiest organisation of its authors and how many of them have one."""
    _, picks = inputs()
    listed = {p.arxiv_id: p.day for p in prepared.corpus.papers}
    org_of: dict[str, str] = {}
    with gzip.open(FEED, "rt") as feed:
        for line in feed:
            row = json.loads(line)
            org = row.get("organization")
            if org:
                org_of[row["arxiv_id"]] = str(org).lower()
    events = sorted(
        (known_from(p, listed), org_of[p.arxiv_id], tuple(author_keys(p.authors)))
        for p in picks
        if p.arxiv_id in org_of
    )
    author_orgs: dict[str, set[str]] = collections.defaultdict(set)
    org_days: dict[str, list[dt.date]] = collections.defaultdict(list)
    extra: Extra = {}
    j = 0
    for rows in replay_days(prepared):
        while j < len(events) and events[j][0] <= rows.day:
            day, org, picked_keys = events[j]
            org_days[org].append(day)
            for key in picked_keys:
                author_orgs[key].add(org)
            j += 1
        recent = {
            o: sum(1 for d in days if (rows.day - d).days <= 90) for o, days in org_days.items()
        }
        out = []
        for i in rows.rows:
            keys = author_keys(prepared.corpus.papers[i].authors) or [""]
            orgs = {o for k in keys for o in author_orgs.get(k, ())}
            with_org = sum(1 for k in keys if k in author_orgs)
            busiest = max((recent[o] for o in orgs), default=0)
            total = max((len(org_days[o]) for o in orgs), default=0)
            out.append([float(len(orgs)), with_org / len(keys), float(busiest), float(total)])
        extra[rows.day] = np.asarray(out, dtype=np.float32)
    return with_extra(prepared, extra)


def author_taste2_probe(
    prepared: Prepared,
    space: str = "dense",
    picked_only: bool = False,
    picked_authors: bool = False,
) -> dict[str, dict[str, float]]:
    """`author_taste` with the authors' older picks too (picks from before the listing data,
    embedded by the text stage from their feed title and abstract), their gains, and the
    last week's papers left out of the unpicked side (a pick often comes days later).

    Variants: `space="tfidf"` compares tf-idf rows instead of the dense vectors;
    `picked_only` keeps the columns that need no unpicked paper; `picked_authors` compares with
    the papers of the authors with an earlier pick only (the shipped design, taste.py)."""
    _, picks = inputs()
    corpus = prepared.corpus
    listed = {p.arxiv_id: p.day for p in corpus.papers}
    index = {p.arxiv_id: i for i, p in enumerate(corpus.papers)}
    first: dict[str, Any] = {}
    for p in picks:
        if p.arxiv_id not in first or p.day < first[p.arxiv_id].day:
            first[p.arxiv_id] = p
    gain_of = {a: float(np.log2(2 + max(p.upvotes, 0))) for a, p in first.items()}
    outside = [p for a, p in first.items() if a not in index]
    model = cached_text_model()
    if space == "tfidf":
        from scipy import sparse
        from sklearn.preprocessing import normalize

        tfidf = sparse.vstack(
            [
                model.vectors([p.text for p in corpus.papers]),
                model.vectors([p.text for p in outside]),
            ]
        ).tocsr()
        unit = normalize(tfidf)
        dense = np.zeros((unit.shape[0], 1), dtype=np.float32)
    else:
        extra_dense = model.dense(model.vectors([p.text for p in outside]))
        dense = np.vstack([corpus.dense, extra_dense]).astype(np.float32)
        unit = dense / np.maximum(np.linalg.norm(dense, axis=1, keepdims=True), 1e-9)
    n = len(corpus.papers)
    gains = np.zeros(len(dense), dtype=np.float32)
    for a, g in gain_of.items():
        if a in index:
            gains[index[a]] = g
    for k, p in enumerate(outside):
        gains[n + k] = gain_of[p.arxiv_id]
    # (known day, row): a pick's row becomes picked (and, if outside, an earlier paper) then.
    known = sorted(
        [(known_from(p, listed), index[a]) for a, p in first.items() if a in index]
        + [(known_from(p, listed), n + k) for k, p in enumerate(outside)]
    )
    keys_of = [author_keys(p.authors) for p in corpus.papers] + [
        author_keys(p.authors) for p in outside
    ]
    days_of = np.concatenate([corpus.days, np.full(len(outside), -1)])
    earlier: dict[str, list[int]] = collections.defaultdict(list)
    picked: set[int] = set()
    pick_authors: set[str] = set()
    extra: Extra = {}
    j = 0
    done = 0
    for rows in replay_days(prepared):
        while j < len(known) and known[j][0] <= rows.day:
            row = known[j][1]
            picked.add(row)
            pick_authors.update(keys_of[row])
            if row >= n:
                for key in keys_of[row]:
                    earlier[key].append(row)
            j += 1
        while done < n and corpus.papers[done].day < rows.day:
            for key in keys_of[done]:
                earlier[key].append(done)
            done += 1
        today = rows.day.toordinal()
        out = []
        for i in rows.rows:
            authors = [a for a in keys_of[i] if a in pick_authors] if picked_authors else keys_of[i]
            own = sorted({k for a in authors for k in earlier.get(a, ())[-400:]})
            if not own:
                empty = (
                    [-1.0, -1.0, 0.0, 0.0]
                    if picked_only
                    else [0.0, -1.0, -1.0, 0.0, 0.0, -1.0, 0.0, -1.0]
                )
                out.append(empty)
                continue
            idx = np.asarray(own, dtype=np.int64)
            product = unit[idx] @ unit[i].T
            sims = np.asarray(product.toarray() if hasattr(product, "toarray") else product).ravel()
            if space == "tfidf":
                sims = np.sqrt(np.clip(sims, 0.0, None))  # tf-idf cosines run lower
            hit = np.fromiter((k in picked for k in own), dtype=bool, count=len(own))
            settled = hit | (days_of[idx] < today - 7)
            weight = np.clip(sims, 0.0, None) ** 4
            rate = float((weight * hit)[settled].sum() + 0.05) / float(weight[settled].sum() + 1.0)
            grate = float((weight * gains[idx] * hit).sum()) / float(weight[settled].sum() + 1.0)
            near = (sims > 0.5) & settled
            top = np.sort(sims[hit])[-3:] if hit.any() else np.asarray([-1.0])
            if picked_only:
                w_hit = weight[hit]
                out.append(
                    [
                        float(sims[hit].max()) if hit.any() else -1.0,
                        float(top.mean()),
                        float(w_hit.sum()),
                        float((w_hit * gains[idx][hit]).sum()),
                    ]
                )
                continue
            out.append(
                [
                    float(len(own)),
                    float(sims[hit].max()) if hit.any() else -1.0,
                    float(sims[~hit].max()) if (~hit).any() else -1.0,
                    rate,
                    grate,
                    float(hit[near].mean()) if near.any() else -1.0,
                    float(near.sum()),
                    float(top.mean()),
                ]
            )
        extra[rows.day] = np.asarray(out, dtype=np.float32)
    return with_extra(prepared, extra)


def _taste_replay(
    prepared: Prepared,
    row: Callable[[list[str], int, Any, dt.date], list[float]],
    vectors: Callable[[list[Pick]], tuple[NDArray[np.float32], NDArray[np.float32]]] | None = None,
) -> Extra:
    """Replay the shipped taste table (taste.py) day by day and build extra columns with
    `row(authors with an earlier pick, corpus index, taste, day)`. `vectors(known picks)` gives
    other dense vectors (listed papers, picks) than the shipped SVD ones; with them, the authors
    are the shipped model's (its first 40, `History._picked_keys`) rather than this script's 25,
    so that the columns can stand in for the shipped ones."""
    from papertide.rank.curate.history import History
    from papertide.rank.curate.model import taste_table

    _, picks = inputs()
    corpus = prepared.corpus
    last = prepared.split.test_until
    known = [p for p in picks if last is None or p.day <= last]
    if vectors is None:
        model = cached_text_model()
        pick_dense = model.dense(model.vectors([p.text for p in known]))
    else:
        dense, pick_dense = vectors(known)
        corpus = dataclasses.replace(corpus, dense=dense)
    history = History(taste=taste_table(corpus, known, pick_dense))
    listed = {p.arxiv_id: p.day for p in corpus.papers}
    events = sorted(
        [(known_from(p, listed), 0, k) for k, p in enumerate(known)]
        + [(c.day + ONE_DAY, 1, i) for i, c in enumerate(corpus.papers)]
    )
    extra: Extra = {}
    j = 0
    for rows in replay_days(prepared):
        while j < len(events) and events[j][0] <= rows.day:
            _, kind, k = events[j]
            if kind == 0:
                history.add_pick(known[k])
            else:
                history.add_paper(corpus.papers[k])
            j += 1
        out = []
        for i in rows.rows:
            keys = (
                history._picked_keys(corpus.papers[i].authors)
                if vectors is not None
                else [
                    a
                    for a in author_keys(corpus.papers[i].authors)
                    if a in history.authors and history.authors[a].picks
                ]
            )
            out.append(row(keys, i, history.taste, rows.day))
        extra[rows.day] = np.asarray(out, dtype=np.float32)
    return extra


def taste_roles_probe(prepared: Prepared) -> dict[str, dict[str, float]]:
    """Taste of the first and of the last author alone (student and group leader), and of the
    authors' papers of the past 120 days only (the group's current lines of work)."""
    corpus = prepared.corpus
    unit = corpus.dense / np.maximum(np.linalg.norm(corpus.dense, axis=1, keepdims=True), 1e-9)
    names = [author_keys(p.authors) for p in corpus.papers]

    def row(keys: list[str], i: int, taste: Any, day: dt.date) -> list[float]:
        first = names[i][:1]
        last = names[i][-1:]
        out: list[float] = []
        for part in (
            [k for k in keys if k in first],
            [k for k in keys if k in last],
        ):
            f = taste.features(part, unit[i], day) if part else (0.0, -1.0, -1.0, 0.0, 0.0)
            out += [f[1], f[3], f[4]]
        rows = sorted({r for k in keys for r in taste.author_rows.get(k, ())[-400:]})
        recent = [r for r in rows if taste.days[r] >= day.toordinal() - 120]
        if recent:
            idx = np.asarray(recent)
            sims = taste.vectors[idx] @ unit[i]
            hit = taste.picked[idx]
            w = np.clip(sims, 0, None) ** 4
            out += [float(len(recent)), (float((w * hit).sum()) + 0.05) / (float(w.sum()) + 1.0)]
        else:
            out += [0.0, 0.0]
        return out

    return with_extra(prepared, _taste_replay(prepared, row))


def knn_long_probe(prepared: Prepared) -> dict[str, dict[str, float]]:
    """The community's taste over everything listed in the past 180 days (not only the
    authors' papers): the pick rate and gain among a paper's 50 nearest settled papers."""
    corpus = prepared.corpus
    unit = (
        corpus.dense / np.maximum(np.linalg.norm(corpus.dense, axis=1, keepdims=True), 1e-9)
    ).astype(np.float32)
    _, picks = inputs()
    listed = {p.arxiv_id: p.day for p in corpus.papers}
    index = {p.arxiv_id: i for i, p in enumerate(corpus.papers)}
    known_day = np.full(len(corpus.papers), 10**9, dtype=np.int64)
    gain = np.zeros(len(corpus.papers), dtype=np.float32)
    for p in picks:
        i = index.get(p.arxiv_id)
        if i is not None:
            known_day[i] = min(known_day[i], known_from(p, listed).toordinal())
            gain[i] = float(np.log2(2 + max(p.upvotes, 0)))
    extra: Extra = {}
    for rows in replay_days(prepared):
        o = rows.day.toordinal()
        pool = np.flatnonzero((corpus.days >= o - 180) & (corpus.days < o - 7))
        if len(pool) < 100:
            extra[rows.day] = np.zeros((len(rows.rows), 4), dtype=np.float32)
            continue
        sims = unit[rows.rows.start : rows.rows.stop] @ unit[pool].T
        top = np.argpartition(-sims, 50, axis=1)[:, :50]
        hit = (known_day[pool][top] <= o).astype(np.float32)
        w = np.take_along_axis(sims, top, axis=1).clip(0, None) ** 4
        extra[rows.day] = np.column_stack(
            [
                hit.mean(axis=1),
                (w * hit).sum(axis=1) / (w.sum(axis=1) + 1e-6),
                (hit * gain[pool][top]).mean(axis=1),
                _rank_pct(((w * hit).sum(axis=1) / (w.sum(axis=1) + 1e-6)).astype(np.float32)),
            ]
        ).astype(np.float32)
    return with_extra(prepared, extra)


def taste_siblings_probe(prepared: Prepared) -> dict[str, dict[str, float]]:
    """Among the day's papers sharing an author with this one (a group's burst), where this
    paper stands by the shipped taste rate and by its closest picked paper: does the community
    take the one of a group's papers most like what it took from the group before?"""
    papers = prepared.corpus.papers
    rate_col = ALL_FEATURES.index("taste_rate")
    near_col = ALL_FEATURES.index("taste_pick_max")
    extra: Extra = {}
    for rows in prepared.rows:
        f = rows.features[:, :BASE]
        rate, near = f[:, rate_col], f[:, near_col]
        _, groups, _ = day_groups(papers, rows)
        out = []
        for j, group in enumerate(groups):
            if not len(group):
                out.append([0.0, 0.0, 0.0, 0.0, 0.0])
                continue
            out.append(
                [
                    float(len(group)),
                    float((rate[group] > rate[j]).mean()),
                    float(rate[j] - rate[group].max()),
                    float((near[group] > near[j]).mean()),
                    float(near[j] - near[group].max()),
                ]
            )
        extra[rows.day] = np.asarray(out, dtype=np.float32)
    return with_extra(prepared, extra)


def _author_matrix(prepared: Prepared, train: NDArray[np.int64]) -> Any:
    """Binary paper x author rows over the authors of at least two training papers."""
    from scipy import sparse

    papers = prepared.corpus.papers
    keys = [author_keys(p.authors) for p in papers]
    counts = collections.Counter(k for i in train for k in keys[int(i)])
    column = {k: j for j, k in enumerate(k for k, n in counts.items() if n >= 2)}
    rows, cols = [], []
    for i, names in enumerate(keys):
        for k in names:
            j = column.get(k)
            if j is not None:
                rows.append(i)
                cols.append(j)
    data = np.ones(len(rows), dtype=np.float32)
    return sparse.csr_matrix((data, (rows, cols)), shape=(len(papers), len(column)))


def _regression_columns(
    prepared: Prepared, vectors: Any, train: NDArray[np.int64], c: float, rank_only: bool
) -> Extra:
    """A logistic regression of "picked" over `vectors`, fitted on the `train` rows, as columns
    of every day: out-of-fold by fortnight on the `train` rows, from the regression fitted on
    all of them elsewhere. `rank_only`: the day's rank alone (the raw score of the regression
    fitted on every row is more confident on later days than its out-of-fold scores were; its
    rank within the day is not)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold

    corpus = prepared.corpus
    y = np.asarray([p.arxiv_id in prepared.train_gain for p in corpus.papers], dtype=np.int8)

    def fit(rows: NDArray[np.int64]) -> Any:
        return LogisticRegression(C=c, max_iter=300, solver="liblinear").fit(vectors[rows], y[rows])

    logit = np.zeros(len(corpus.papers), dtype=np.float32)
    rest = np.flatnonzero(~np.isin(np.arange(len(corpus.papers)), train))
    logit[rest] = fit(train).decision_function(vectors[rest])
    for fit_rows, held in GroupKFold(5).split(train, y[train], corpus.days[train] // 14):
        logit[train[held]] = fit(train[fit_rows]).decision_function(vectors[train[held]])
    columns = score_columns(prepared, logit)
    if rank_only:
        columns = {day: values[:, 1:] for day, values in columns.items()}
    return columns


def _field_matrix(prepared: Prepared, train: NDArray[np.int64]) -> Any:
    """The comment's words (tf-idf, 1-2-grams, fitted on the training papers) beside every
    listed category as a column."""
    from scipy import sparse
    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

    papers = prepared.corpus.papers
    comments = [p.comment or "" for p in papers]
    words = TfidfVectorizer(ngram_range=(1, 2), min_df=5, sublinear_tf=True)
    words.fit([comments[int(i)] for i in train])
    cats = CountVectorizer(analyzer=lambda c: list(c), binary=True)
    cats.fit([papers[int(i)].categories for i in train])
    return sparse.hstack(
        [words.transform(comments), cats.transform([p.categories for p in papers])], format="csr"
    )


def author_lr_probe(
    prepared: Prepared, *, words: bool = False, fields: bool = False, rank_only: bool = False
) -> dict[str, dict[str, float]]:
    """A logistic regression over the authors themselves (one column per author of two or more
    training papers), optionally beside the tf-idf words: a group's weight is learnt jointly
    with its co-authors' (explaining away a prolific co-author that the counts credit), out-of-
    fold by fortnight like the shipped text score."""
    from scipy import sparse

    corpus = prepared.corpus
    train = np.flatnonzero(corpus.days <= prepared.split.train_until.toordinal())
    vectors = _author_matrix(prepared, train)
    if words:
        vectors = sparse.hstack([text_vectors(prepared), vectors], format="csr")
    if fields:
        vectors = sparse.hstack([vectors, _field_matrix(prepared, train)], format="csr")
    return with_extra(prepared, _regression_columns(prepared, vectors, train, 1.0, rank_only))


def boosters_probe(prepared: Prepared, *, sixth: bool = False) -> dict[str, dict[str, float]]:
    """Booster settings the earlier grids did not cover, on the shipped features, each averaged
    over the booster seeds (--seeds): monotone author counts, extra trees, path smoothing, and
    leaving out the last training week (its late picks are not known yet: a third of a day's
    picks reach the feed a day or more after the listing, so its papers look unpicked).
    `sixth` (the sixth round, `boosters2`): dropout boosting (DART), gradient-based one-side
    sampling, row bagging, unnormalised lambdas, coarser histograms."""
    import lightgbm as lgb

    from papertide.rank.curate.model import MAX_LABEL, _lgb_params

    columns = Config().columns()
    names = [ALL_FEATURES[i] for i in columns]
    x, gain, days = prepared.train_matrix()
    x = x[:, columns]
    label = np.clip(np.rint(gain), 0, MAX_LABEL).astype(np.int32)
    monotone_names = {
        "auth_picks_max",
        "auth_picks_sum",
        "auth_picked_n",
        "auth_gain_max",
        "auth_gain_sum",
        "auth_decay_max",
        "auth_decay_sum",
        "auth_recent_max",
    }
    monotone = [1 if n in monotone_names else 0 for n in names]

    def per_day(seed: int, keep: NDArray[np.bool_] | None = None, **change: Any) -> Any:
        rows = np.ones(len(days), dtype=bool) if keep is None else keep
        d = days[rows]
        weight = 0.5 ** ((d.max() - d) / Config().half_life)
        _, sizes = np.unique(d, return_counts=True)
        params = {
            **_lgb_params(Config(calibration_days=0)),
            "seed": 0,
            "feature_fraction_seed": seed,
            "bagging_seed": seed,
            **change,
        }
        data = lgb.Dataset(x[rows], label=label[rows], group=sizes, weight=weight)
        booster = lgb.train(params, data, num_boost_round=Config().max_iter)
        found = measure_days(
            prepared,
            lambda r: np.asarray(booster.predict(r.features[:, columns], num_threads=1)),
        )
        return np.asarray([(f.precision, f.ndcg, f.recall) for f in found], dtype=np.float64)

    seeds = SETTINGS["seeds"]

    def averaged(**change: Any) -> NDArray[np.float64]:
        return np.mean([per_day(s, **change) for s in seeds], axis=0)

    base = averaged()
    out = {"shipped settings": _mean_row(base)}
    variants: dict[str, dict[str, Any]] = {
        "monotone author counts": {"monotone_constraints": monotone},
        "extra trees": {"extra_trees": True},
        "path smoothing 10": {"path_smooth": 10.0},
        "without the last 7 training days": {"keep": days <= days.max() - 7},
        "without the last 3 training days": {"keep": days <= days.max() - 3},
    }
    if sixth:
        variants = {
            "dart, drop rate 0.1": {"boosting": "dart", "drop_rate": 0.1},
            "goss": {"data_sample_strategy": "goss"},
            "bagging 70% of rows per tree": {"bagging_fraction": 0.7, "bagging_freq": 1},
            "lambdas not normalised": {"lambdarank_norm": False},
            "63 bins per feature": {"max_bin": 63},
        }
    for name, change in variants.items():
        found = averaged(**change)
        out[name] = _mean_row(found)
        out[f"{name}: difference"] = _interval(base, found)
        print(f"  {name}: P@15 {out[name]['precision@15']:.3f}", flush=True)
    return out


def activity_probe(prepared: Prepared) -> dict[str, dict[str, float]]:
    """How busy the authors are on arXiv right now, picked or not: days since any author's
    previous paper listed here, the most and the total papers of one author in the past 30
    days, and how many of the authors listed a paper in the past 7."""
    corpus = prepared.corpus
    seen: dict[str, list[int]] = collections.defaultdict(list)
    out = np.zeros((len(corpus.papers), 4), dtype=np.float32)
    order = np.argsort(corpus.days, kind="stable")
    pending: list[tuple[int, list[str]]] = []
    current = None
    for i in map(int, order):
        day = int(corpus.days[i])
        if day != current:
            for d, keys in pending:
                for k in keys:
                    seen[k].append(d)
            pending = []
            current = day
        keys = author_keys(corpus.papers[i].authors)
        since, most, total, week = 400.0, 0, 0, 0
        for k in keys:
            days = seen.get(k)
            if not days:
                continue
            since = min(since, float(day - days[-1]))
            recent = sum(1 for d in days[-60:] if day - d <= 30)
            most = max(most, recent)
            total += recent
            week += 1 if day - days[-1] <= 7 else 0
        out[i] = (since, most, total, week)
        pending.append((day, keys))
    extra = {r.day: out[r.rows.start : r.rows.stop] for r in prepared.rows}
    return with_extra(prepared, extra)


def ingroup_lr_probe(prepared: Prepared, *, rank_only: bool = False) -> dict[str, dict[str, float]]:
    """A tf-idf regression fitted only on the training papers with an author who had an earlier
    pick that morning (the papers among which the ranking is decided: every hit and 94% of the
    wrong papers of the shipped top 15 on validation have one), so it learns which topics of
    the followed groups are picked rather than what the followed groups write about;
    out-of-fold by fortnight like the shipped text score."""
    corpus = prepared.corpus
    vectors = text_vectors(prepared)
    followed = np.zeros(len(corpus.papers), dtype=bool)
    column = ALL_FEATURES.index("auth_picks_max")
    for rows in prepared.rows:
        followed[rows.rows.start : rows.rows.stop] = rows.features[:, column] > 0
    is_train = corpus.days <= prepared.split.train_until.toordinal()
    train = np.flatnonzero(is_train & followed)
    return with_extra(prepared, _regression_columns(prepared, vectors, train, 4.0, rank_only))


def _replayed_columns(
    prepared: Prepared,
    events: Sequence[tuple[dt.date, Event]],
    learn: Callable[[dt.date, Event], None],
    row_of: Callable[[list[str], int], list[float]],
) -> Extra:
    """Extra columns: each paper's `row_of(its author keys, its day's ordinal)`, once `learn`
    has seen every event (sorted by the day it becomes known) up to that morning."""
    extra: Extra = {}
    j = 0
    for rows in replay_days(prepared):
        while j < len(events) and events[j][0] <= rows.day:
            learn(*events[j])
            j += 1
        today = rows.day.toordinal()
        extra[rows.day] = np.asarray(
            [row_of(author_keys(prepared.corpus.papers[i].authors), today) for i in rows.rows],
            dtype=np.float32,
        )
    return extra


def _author_events(prepared: Prepared) -> list[tuple[dt.date, tuple[int, list[str]]]]:
    """`_history_events` as (known day, (0 = pick / 1 = paper, author keys))."""
    return [(d, (kind, author_keys(a))) for d, kind, a, _ in _history_events(prepared)]


def roles_probe(prepared: Prepared) -> dict[str, dict[str, float]]:
    """Credit and role in the authors' earlier picks: a pick credits each of its n authors 1/n
    (a middle name on a 30-author pick says little), and counts separately for its first and its
    last author (the student who submits the paper, the group's lead); for this paper's first and
    last author, their picks and pick rate in that same role."""
    credit: dict[str, float] = collections.defaultdict(float)
    paper_credit: dict[str, float] = collections.defaultdict(float)
    role_picks: collections.Counter[tuple[str, str]] = collections.Counter()
    role_papers: collections.Counter[tuple[str, str]] = collections.Counter()

    def learn(_: dt.date, event: tuple[int, list[str]]) -> None:
        kind, keys = event
        if not keys:
            return
        counts = credit if kind == 0 else paper_credit
        roles = role_picks if kind == 0 else role_papers
        for k in keys:
            counts[k] += 1.0 / len(keys)
        roles[("first", keys[0])] += 1
        roles[("last", keys[-1])] += 1

    def row_of(keys: list[str], _: int) -> list[float]:
        if not keys:
            return [0.0] * 9
        c = [credit.get(k, 0.0) for k in keys]
        rate = [(credit.get(k, 0.0) + 0.05) / (paper_credit.get(k, 0.0) + 1.0) for k in keys]
        fp, fn = role_picks.get(("first", keys[0]), 0), role_papers.get(("first", keys[0]), 0)
        lp, ln = role_picks.get(("last", keys[-1]), 0), role_papers.get(("last", keys[-1]), 0)
        led = sum(1 for k in keys if role_picks.get(("first", k)) or role_picks.get(("last", k)))
        return [
            max(c),
            sum(c),
            max(rate),
            fp,
            (fp + 0.25) / (fn + 5.0),
            lp,
            (lp + 0.25) / (ln + 5.0),
            led,
            led / len(keys),
        ]

    return with_extra(
        prepared, _replayed_columns(prepared, _author_events(prepared), learn, row_of)
    )


def _author_days(
    prepared: Prepared, row_of: Callable[[list[str], int, AuthorDays, AuthorDays], list[float]]
) -> Extra:
    """Columns from `row_of(author keys, day, pick days, paper days)`: the ordinal days on which
    each author's earlier picks and earlier papers became known."""
    pick_days: AuthorDays = collections.defaultdict(list)
    paper_days: AuthorDays = collections.defaultdict(list)

    def learn(known: dt.date, event: tuple[int, list[str]]) -> None:
        kind, keys = event
        for k in keys:
            (pick_days if kind == 0 else paper_days)[k].append(known.toordinal())

    return _replayed_columns(
        prepared,
        _author_events(prepared),
        learn,
        lambda keys, today: row_of(keys, today, pick_days, paper_days),
    )


def recent_rate_probe(prepared: Prepared) -> dict[str, dict[str, float]]:
    """The authors' pick rate over their recent papers only (the past 90 and 180 days): a group
    the community started or stopped following shows here before its lifetime rate moves."""

    def row_of(keys: list[str], today: int, picks: AuthorDays, papers: AuthorDays) -> list[float]:
        row: list[float] = []
        for window in (90, 180):
            rates, total = [0.0], 0
            for k in keys:
                p = sum(1 for d in picks.get(k, ())[-200:] if today - d <= window)
                n = sum(1 for d in papers.get(k, ())[-400:] if today - d <= window)
                total += p
                rates.append((p + 0.25) / (n + 5.0))
            row += [max(rates), float(np.mean(rates[1:])) if keys else 0.0, total]
        return row

    return with_extra(prepared, _author_days(prepared, row_of))


def burst_probe(prepared: Prepared) -> dict[str, dict[str, float]]:
    """Picks come in group bursts: the authors' picks that became known in the past 3, 7 and
    14 days (most of one author, all authors), the shipped counts' 90-day window being too long
    to see a series of related papers whose first one was just picked."""

    def row_of(keys: list[str], today: int, picks: AuthorDays, _: AuthorDays) -> list[float]:
        row: list[float] = []
        for window in (3, 7, 14):
            counts = [
                sum(1 for d in picks.get(k, ())[-50:] if today - d <= window) for k in keys
            ] or [0]
            row += [max(counts), sum(counts)]
        return row

    return with_extra(prepared, _author_days(prepared, row_of))


def pick_lag_probe(prepared: Prepared) -> dict[str, dict[str, float]]:
    """How fast the authors' earlier papers were picked: the feed's snapshot is taken a few hours
    after arXiv's announcement, so a day's picks are mostly papers someone submitted at once (the
    group itself, or a regular). Per author: earlier picks on their own listing day (or before),
    picks a day or more later, and the share picked at once."""
    _, picks = inputs()
    listed = {p.arxiv_id: p.day for p in prepared.corpus.papers}
    events: list[tuple[dt.date, tuple[list[str], bool]]] = []
    seen: set[str] = set()
    for pick in sorted(picks, key=lambda p: p.day):
        if pick.arxiv_id not in seen:
            seen.add(pick.arxiv_id)
            day = listed.get(pick.arxiv_id)
            at_once = day is not None and pick.day <= day
            events.append((known_from(pick, listed), (author_keys(pick.authors), at_once)))
    events.sort(key=lambda e: e[0])
    fast: collections.Counter[str] = collections.Counter()
    slow: collections.Counter[str] = collections.Counter()

    def learn(_: dt.date, event: tuple[list[str], bool]) -> None:
        (fast if event[1] else slow).update(event[0])

    def row_of(keys: list[str], _: int) -> list[float]:
        keys = keys or [""]
        f = [fast.get(k, 0) for k in keys]
        s = [slow.get(k, 0) for k in keys]
        share = [(a + 0.5) / (a + b + 1.0) for a, b in zip(f, s, strict=True) if a + b]
        return [max(f), sum(f), max(s), max(share, default=0.0), f[0], f[-1]]

    return with_extra(prepared, _replayed_columns(prepared, events, learn, row_of))


def submitter_libraries_probe(prepared: Prepared) -> dict[str, dict[str, float]]:
    """Who in the community would submit this paper? Each submitter's library is the authors of
    what they submitted before that morning (a live instance knows who submitted what; "For
    you" finds a submitter's next submission among a whole day's listing at MRR 0.94 mostly
    through these author overlaps). Per paper: how many submitters' libraries share an author,
    how many of those submitted in the past 30 days, the largest share of the paper's authors
    in one library, the largest share of one submitter's submissions that involve these authors
    (a focused submitter, often the group's own student, scores near 1; a generalist near 0),
    the same among active submitters, the fewest days since an overlapping submitter's latest
    submission, and the most submissions of the past 30 days among them."""
    listed = {c.arxiv_id: c.day for c in prepared.corpus.papers}
    events: list[tuple[dt.date, tuple[str, list[str]]]] = []
    seen: set[str] = set()
    with gzip.open(FEED, "rt") as feed:
        for line in feed:
            row = json.loads(line)
            who, arxiv_id = row.get("submitted_by"), row.get("arxiv_id")
            if who and arxiv_id and arxiv_id not in seen:
                seen.add(arxiv_id)
                day = dt.date.fromisoformat(row["feed_date"])
                known = max(day, listed.get(arxiv_id, day)) + ONE_DAY
                events.append((known, (who, author_keys(row.get("authors") or []))))
    events.sort(key=lambda e: e[0])
    library: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    submitted: collections.Counter[str] = collections.Counter()
    when: dict[str, list[int]] = collections.defaultdict(list)
    by_author: dict[str, set[str]] = collections.defaultdict(set)

    def learn(known: dt.date, event: tuple[str, list[str]]) -> None:
        who, names = event
        library[who].update(names)
        submitted[who] += 1
        when[who].append(known.toordinal())
        for k in names:
            by_author[k].add(who)

    def row_of(keys: list[str], today: int) -> list[float]:
        who_all = set().union(*(by_author.get(k, set()) for k in keys)) if keys else set()
        row = [0.0, 0.0, 0.0, 0.0, 0.0, 400.0, 0.0]
        for who in who_all:
            lib = library[who]
            recent = sum(1 for d in when[who][-100:] if today - d <= 30)
            # Approximate: counts of author mentions, capped at the submissions made.
            focus = min(max(lib[k] for k in keys), submitted[who]) / submitted[who]
            row[0] += 1
            row[2] = max(row[2], sum(1 for k in keys if k in lib) / len(keys))
            row[3] = max(row[3], focus)
            if recent:
                row[1] += 1
                row[4] = max(row[4], focus)
            row[5] = min(row[5], float(today - when[who][-1]))
            row[6] = max(row[6], float(recent))
        return row

    return with_extra(prepared, _replayed_columns(prepared, events, learn, row_of))


def prune_probe(prepared: Prepared) -> dict[str, dict[str, float]]:
    """Every added column of the fifth and sixth rounds made validation worse: is the booster
    spending splits on redundant columns it already has? Each shipped column is left out in
    turn (averaged over --seeds); the columns whose removal raised P@15 + nDCG@15 on one half of
    the validation days are dropped together, and the pruned model is judged on the other half
    (both ways round), so the choice is never measured on the days it was made on."""
    columns = Config().columns()
    days = [r.day for r in prepared.test_rows()]
    assert days == sorted(days), "the halves are periods: test rows must be in day order"
    n_days = len(days)
    halves = {"first": np.arange(n_days) < n_days // 2}
    halves["second"] = ~halves["first"]

    base = _seed_average(prepared, columns)
    helped: dict[str, list[int]] = {"first": [], "second": []}
    for c in columns:
        without = _seed_average(prepared, columns[columns != c])
        for half, mask in halves.items():
            if (without[mask, :2] - base[mask, :2]).sum(axis=1).mean() > 0:
                helped[half].append(int(c))
    out: dict[str, dict[str, float]] = {}
    for chosen_on, judged_on in (("first", "second"), ("second", "first")):
        dropped = helped[chosen_on]
        kept = np.asarray([c for c in columns if c not in dropped], dtype=np.int64)
        pruned = _seed_average(prepared, kept)
        mask = halves[judged_on]
        out[f"shipped, on the {judged_on} half"] = _mean_row(base[mask])
        row = _interval(base[mask], pruned[mask])
        row["columns dropped"] = float(len(dropped))
        out[f"pruned on the {chosen_on} half, judged on the {judged_on}"] = row
        print(f"   dropped (chosen on the {chosen_on} half):", [ALL_FEATURES[c] for c in dropped])
    return out


def minilm_taste_probe(prepared: Prepared, *, instead: bool = False) -> dict[str, dict[str, float]]:
    """The `taste` columns (a paper against its followed authors' earlier papers, picked and
    not) computed on the MiniLM vectors a live instance stores for search instead of the
    128-d SVD of the tf-idf: beside the shipped ones, or (`instead`) in their place. Needs the
    validation split's vectors from `bench/curate_vectors.py`; picks without one (fed before
    2024-09-01) are embedded here."""
    from curate_probes_minilm import DIM, load_vectors

    from papertide.embed.base import paper_text
    from papertide.embed.minilm_onnx import MiniLMOnnxEmbedder
    from papertide.rank.curate.taste import EMPTY, TASTE_FEATURES

    lookup = load_vectors()
    corpus = prepared.corpus
    missing = [i for i, c in enumerate(corpus.papers) if c.arxiv_id not in lookup]
    if missing:
        raise SystemExit(f"{len(missing):,} listed papers have no MiniLM vector yet")
    dense = np.stack([lookup[c.arxiv_id] for c in corpus.papers]).astype(np.float32)

    def vectors(known: list[Pick]) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
        todo = [p for p in known if p.arxiv_id not in lookup]
        if todo:
            print(f"   embedding {len(todo):,} older picks", flush=True)
            found = MiniLMOnnxEmbedder(threads=2).embed(
                [paper_text(p.title, p.abstract) for p in todo]
            )
            lookup.update({p.arxiv_id: v for p, v in zip(todo, found, strict=True)})
        picks_dense = np.stack([lookup[p.arxiv_id] for p in known]) if known else np.zeros((0, DIM))
        return dense, picks_dense.astype(np.float32)

    def row(keys: list[str], i: int, taste: Any, day: dt.date) -> list[float]:
        return list(taste.features(keys, dense[i], day) if keys else EMPTY)

    extra = _taste_replay(prepared, row, vectors)
    return with_extra(prepared, extra, instead_of=TASTE_FEATURES if instead else ())


def _text_variants(prepared: Prepared) -> dict[str, NDArray[np.float32]]:
    """Variants of the text regression (title + abstract, the shipped stage's tf-idf vectors),
    each as a log-odds for every paper from the variant fitted on all the training papers:
    the class balance, the regularisation, votes as weights, and the community's picks the
    listing never held (older feed picks, other categories) as extra positives."""
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC

    corpus = prepared.corpus
    model = cached_text_model()
    vectors = model.vectors([p.text for p in corpus.papers])
    train = np.flatnonzero(corpus.days <= prepared.split.train_until.toordinal())
    gain = np.asarray([prepared.train_gain.get(p.arxiv_id, 0.0) for p in corpus.papers])
    y = (gain[train] > 0).astype(np.int8)
    listed = {p.arxiv_id for p in corpus.papers}
    extra: dict[str, Pick] = {}
    # Every pick of the feed file (the probe filters by day): `Prepared` keeps only gains.
    for pick in inputs()[1]:
        if pick.arxiv_id not in listed and pick.day <= prepared.split.train_until and pick.abstract:
            extra.setdefault(pick.arxiv_id, pick)
    extra_vectors = model.vectors([p.text for p in extra.values()])
    extra_gain = np.asarray([prepared.train_gain.get(i, 1.0) for i in extra])
    print(
        f"   text variants: {len(train)} training papers, {int(y.sum())} picked, "
        f"{len(extra)} extra picks",
        flush=True,
    )

    def lr(c: float, **kw: Any) -> Any:
        return LogisticRegression(C=c, max_iter=500, solver="liblinear", **kw)

    def score(classifier: Any) -> NDArray[np.float32]:
        return np.asarray(classifier.decision_function(vectors), dtype=np.float32)

    x = vectors[train]
    x_more = sparse.vstack([x, extra_vectors], format="csr")
    y_more = np.concatenate([y, np.ones(len(extra), dtype=np.int8)])
    # scikit-learn's default vectoriser (unigrams, no stop words, raw tf), fitted on every
    # training paper rather than the shipped sample of 30,000.
    plain = TfidfVectorizer(dtype=np.float32).fit([corpus.papers[int(i)].text for i in train])
    plain_vectors = plain.transform([p.text for p in corpus.papers])
    plain_lr = lr(4.0).fit(plain_vectors[train], y)
    out = {
        "shipped (C 4)": score(lr(4.0).fit(x, y)),
        "default vectoriser, fitted on every training paper": np.asarray(
            plain_lr.decision_function(plain_vectors), dtype=np.float32
        ),
        "C 1": score(lr(1.0).fit(x, y)),
        "C 16": score(lr(16.0).fit(x, y)),
        "balanced classes": score(lr(4.0, class_weight="balanced").fit(x, y)),
        "positives weighted by gain": score(
            lr(4.0).fit(x, y, sample_weight=np.where(y > 0, gain[train], 1.0))
        ),
        "linear SVM (arxiv-sanity, C 0.1)": score(
            LinearSVC(C=0.1, class_weight="balanced", max_iter=10_000).fit(x, y)
        ),
        "+ picks never listed here": score(lr(4.0).fit(x_more, y_more)),
        "+ picks never listed here, weighted by gain": score(
            lr(4.0).fit(
                x_more,
                y_more,
                sample_weight=np.concatenate([np.where(y > 0, gain[train], 1.0), extra_gain]),
            )
        ),
    }
    return out


def text_lr_probe(prepared: Prepared) -> dict[str, dict[str, float]]:
    """The text regression alone, ranking each validation day (as the issue's "tf-idf +
    logistic regression" row), in each variant."""
    return {
        name: summary_of(prepared, _day_slice(logit))
        for name, logit in _text_variants(prepared).items()
    }


def _day_slice(score: NDArray[np.float32]) -> Callable[[DayRows], NDArray[np.float32]]:
    """A day's rows' share of a per-paper score (bound here, not in a loop's lambda)."""
    return lambda rows: score[rows.rows.start : rows.rows.stop]


def specialist_probe(prepared: Prepared) -> dict[str, dict[str, float]]:
    """A ranker trained only on the papers of followed groups (an author with an earlier pick
    that morning), the pairs the ranking is decided among: the shipped ranker's lambdas are
    spent mostly on easy pairs (a followed group's paper against an unknown one). Followed
    papers are ranked by the specialist, the rest after them by the shipped ranker."""
    followed = ALL_FEATURES.index("auth_picks_max")
    columns = Config().columns()
    x, gain, days = prepared.train_matrix()
    mask = x[:, followed] > 0

    def figures(score: Callable[[DayRows], NDArray[np.float64]]) -> NDArray[np.float64]:
        found = measure_days(prepared, score)
        return np.asarray([(d.precision, d.ndcg, d.recall) for d in found], dtype=np.float64)

    def per_day(seed: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """(the shipped ranker's, the specialist's) per-day figures with one booster seed."""
        config = Config(calibration_days=0, seed=seed)
        general = fit_ranker(x[:, columns], gain, days, config)
        special = fit_ranker(x[mask][:, columns], gain[mask], days[mask], config)

        def shipped(rows: DayRows) -> NDArray[np.float64]:
            return np.asarray(general.predict(rows.features[:, columns], num_threads=1), np.float64)

        def specialist(rows: DayRows) -> NDArray[np.float64]:
            out = shipped(rows)
            on = rows.features[:, followed] > 0
            if on.any():
                out[on] = 1_000.0 + special.predict(rows.features[on][:, columns], num_threads=1)
            return out

        return figures(shipped), figures(specialist)

    both = [per_day(s) for s in SETTINGS["seeds"]]
    base = np.mean([b for b, _ in both], axis=0)
    added = np.mean([a for _, a in both], axis=0)
    print(
        f"   followed: {mask.mean():.3f} of the training papers, "
        f"{(gain[mask] > 0).sum() / max((gain > 0).sum(), 1):.3f} of their picks",
        flush=True,
    )
    return {
        "shipped ranker": _mean_row(base),
        "followed papers by a ranker trained on them": _mean_row(added),
        "difference": _interval(base, added),
    }


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
    "author_taste": author_taste_probe,
    "title_style": title_style_probe,
    "orgs": orgs_probe,
    "author_taste2": author_taste2_probe,
    "author_taste2_tfidf": functools.partial(author_taste2_probe, space="tfidf"),
    "author_taste2_picked_only": functools.partial(author_taste2_probe, picked_only=True),
    "author_taste2_picked_authors": functools.partial(author_taste2_probe, picked_authors=True),
    "taste_roles": taste_roles_probe,
    "knn_long": knn_long_probe,
    "taste_siblings": taste_siblings_probe,
    "author_lr": author_lr_probe,
    "author_words_lr": functools.partial(author_lr_probe, words=True),
    "all_fields_lr": functools.partial(author_lr_probe, words=True, fields=True),
    "author_lr_rank": functools.partial(author_lr_probe, rank_only=True),
    "author_words_lr_rank": functools.partial(author_lr_probe, words=True, rank_only=True),
    "boosters": boosters_probe,
    "activity": activity_probe,
    "ingroup_lr": ingroup_lr_probe,
    "ingroup_lr_rank": functools.partial(ingroup_lr_probe, rank_only=True),
    "roles": roles_probe,
    "recent_rate": recent_rate_probe,
    "burst": burst_probe,
    "pick_lag": pick_lag_probe,
    "prune": prune_probe,
    "boosters2": functools.partial(boosters_probe, sixth=True),
    "submitter_libraries": submitter_libraries_probe,
    "minilm_taste": minilm_taste_probe,
    "minilm_taste_instead": functools.partial(minilm_taste_probe, instead=True),
    "text_lr": text_lr_probe,
    "specialist": specialist_probe,
    "all_fields_lr_rank": functools.partial(
        author_lr_probe, words=True, fields=True, rank_only=True
    ),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", nargs="*", choices=sorted(PROBES), default=list(PROBES))
    parser.add_argument("--base", choices=sorted(BASES), default="shipped")
    parser.add_argument("--seeds", type=int, nargs="+", default=[3])
    args = parser.parse_args()
    SETTINGS.update(base=args.base, seeds=args.seeds)
    candidates, picks = inputs()
    config = Config()
    split = {k: str(v) for k, v in dataclasses.asdict(SPLITS["val"]).items()}
    for name in args.only:
        prepared = cached_prepare("val", SPLITS["val"], config, candidates, picks)
        t0 = time.perf_counter()
        found = PROBES[name](prepared)
        for label, row in found.items():
            interval = (
                f"  (95%: P@15 {row['precision@15 low']:+.3f} … {row['precision@15 high']:+.3f},"
                f" nDCG@15 {row['ndcg@15 low']:+.3f} … {row['ndcg@15 high']:+.3f})"
                if "precision@15 low" in row
                else ""
            )
            print(
                f"{name:<12} {label:<55} P@15 {row['precision@15']:.3f}  "
                f"nDCG@15 {row['ndcg@15']:.3f}  R@50 {row['recall@50']:.3f}{interval}",
                flush=True,
            )
        print(f"   ({time.perf_counter() - t0:.0f}s)")
        key = (
            name
            if args.base == "shipped" and args.seeds == [3]
            else f"{name} ({args.base} base, seeds {' '.join(map(str, args.seeds))})"
        )
        # Read just before writing: another run of this script may have written meanwhile.
        results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
        results["split"] = split
        results[key] = {k: {m: round(v, 4) for m, v in row.items()} for k, row in found.items()}
        RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
