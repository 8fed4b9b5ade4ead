"""The score a recommendation must reach to be shown ("For you", digests): where it comes from.

Leave-one-out over the submitters of the real HF daily papers feed, as in
`bench/recommend_eval.py`: a submitter's other papers are the library, the held-out paper is a
paper they wanted, and the rest of its feed day is what the ranker must sift. For each line
`t`, the share of held-out papers that reach it (recall) and how many of the day's other papers
reach it too. The others are not all unwanted (a submitter may like them), so precision here
is only a lower bound, and the line that maximises F1 of that bound (printed too) hides half
the wanted papers. This data favours authors (submitters often submit their group's papers),
so the recall of text similarity alone (a BibTeX library of other people's papers) is printed
beside it. The line chosen is the highest that keeps RECALL (95 %) of the held-out papers with
both signals and with text alone: it drops papers with next to nothing in common with the
library; the ranking orders the rest. (A line relative to each library's scores over the pool,
a z-score, was tried too and kept fewer wanted papers at every level.)

    .venv/bin/python bench/recommend_threshold.py [--max-cases 2000] [--seed 0]

Prints a table and writes bench/results/recommend_threshold.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import random
import sys
import time
from pathlib import Path

import numpy as np
from recommend_eval import DATA, cases, load

from papertide.rank.recommend import (
    AUTHOR_WEIGHT,
    MIN_SCORE,
    author_tokens,
    author_vectorizer,
    fused_scores,
    tfidf_vectorizer,
)

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "recommend_threshold.json"
LINES = [round(x, 3) for x in np.arange(0.0, 0.301, 0.01)]
RECALL = 0.95


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--max-cases", type=int, default=2000, help="0 = every case")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    if not args.data.exists():
        print(f"data not found: {args.data} (the shared hf_daily_papers set)", file=sys.stderr)
        return 2
    papers, by_day, by_user = load(args.data)
    all_cases = cases(papers, by_day, by_user)
    rng = random.Random(args.seed)
    chosen = (
        all_cases
        if args.max_cases <= 0
        else rng.sample(all_cases, min(args.max_cases, len(all_cases)))
    )
    texts = [f"{p['title']}. {p['abstract']}" for p in papers]
    authors = [author_tokens(p["authors"]) for p in papers]  # type: ignore[arg-type]
    # As in the app, the vocabulary and idf come from the pool being ranked: a week of papers
    # ("For you" and weekly digests rank the last 7 days).
    week_of = {day: dt.date.fromisoformat(day).isocalendar()[:2] for day in by_day}
    pools: dict[tuple[int, int], list[int]] = {}
    for day, ids in by_day.items():
        pools.setdefault(week_of[day], []).extend(ids)
    spaces = {}
    for week, ids in pools.items():
        pool = sorted(set(ids))
        text_v, author_v = tfidf_vectorizer(), author_vectorizer()
        tx = text_v.fit_transform([texts[i] for i in pool])
        ax = author_v.fit_transform([authors[i] for i in pool])
        spaces[week] = (text_v, author_v, {p: r for r, p in enumerate(pool)}, tx, ax)
    day_of: dict[int, str] = {}
    for day, ids in by_day.items():
        for i in ids:
            day_of.setdefault(i, day)  # as recommend_eval.cases: a paper's first feed day
    held_scores: list[float] = []
    held_text: list[float] = []
    other_scores: list[list[float]] = []
    none = np.zeros((0, 0), np.float32)
    for held, seeds, cands in chosen:
        text_v, author_v, row_of, tx, ax = spaces[week_of[day_of[held]]]
        rows = [row_of[i] for i in cands]
        st = text_v.transform([texts[i] for i in seeds])
        sa = author_v.transform([authors[i] for i in seeds])
        text_sims = np.asarray((tx[rows] @ st.T).toarray(), np.float32)
        author_sims = np.asarray((ax[rows] @ sa.T).toarray(), np.float32)
        no_neg = none.reshape(len(rows), 0)
        scores, _ = fused_scores([(1.0, text_sims, no_neg), (AUTHOR_WEIGHT, author_sims, no_neg)])
        target = cands.index(held)
        held_scores.append(float(scores[target]))
        held_text.append(float(fused_scores([(1.0, text_sims, no_neg)])[0][target]))
        other_scores.append([float(s) for i, s in enumerate(scores) if i != target])
    held_all = np.array(held_scores)
    text_only = np.array(held_text)
    table = []
    for line in LINES:
        recall = float((held_all >= line).mean())
        others = float(np.mean([sum(s >= line for s in day) for day in other_scores]))
        shown = recall + others
        precision = recall / shown if shown else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        table.append(
            {"line": line, "recall": round(recall, 4),
             "recall_text_only": round(float((text_only >= line).mean()), 4),
             "others_shown": round(others, 2),
             "precision_lower_bound": round(precision, 4), "f1": round(f1, 4)}
        )  # fmt: skip
    best = max(table, key=lambda r: r["f1"])
    chosen_line = max(
        r["line"] for r in table if r["recall"] >= RECALL and r["recall_text_only"] >= RECALL
    )
    print(f"{len(chosen)} cases; held-out score median {np.median(held_all):.3f}")
    print(f"{'line':>6} {'recall':>7} {'text':>7} {'others':>7} {'prec>=':>7} {'F1':>6}")
    for row in table:
        marks = [
            m
            for m, on in (
                (f"recall >= {RECALL}", row["line"] == chosen_line),
                ("best F1 of the bound", row is best),
                ("shipped", row["line"] == MIN_SCORE),
            )
            if on
        ]
        print(
            f"{row['line']:>6.2f} {row['recall']:>7.3f} {row['recall_text_only']:>7.3f} "
            f"{row['others_shown']:>7.2f} {row['precision_lower_bound']:>7.3f} "
            f"{row['f1']:>6.3f}{'  <- ' + ', '.join(marks) if marks else ''}"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "cases": len(chosen),
                "seed": args.seed,
                "held_out_median": round(float(np.median(held_all)), 4),
                "recall_goal": RECALL,
                "chosen_line": chosen_line,
                "best_f1_line": best["line"],
                "shipped_line": MIN_SCORE,
                "table": table,
                "machine": platform.platform(),
                "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
