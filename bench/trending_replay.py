"""Replay the real HF daily-papers history through the trending formula.

For every feed day: how does the trending order (window "day", and the 7-day "week" window ending
that day) compare with the feed's own order by upvotes? Prints a table and writes
bench/results/trending_replay.json. Needs ../shared/data/hf_daily_papers (skips without it).

    .venv/bin/python bench/trending_replay.py [--data PATH]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from scipy.stats import kendalltau, spearmanr

from papertide.rank.trending import Window, score_terms

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "hf_daily_papers" / "daily_papers.jsonl.gz"
RESULTS = ROOT / "bench" / "results" / "trending_replay.json"


def load(path: Path) -> dict[dt.date, list[dict[str, Any]]]:
    days: dict[dt.date, list[dict[str, Any]]] = defaultdict(list)
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            days[dt.date.fromisoformat(row["feed_date"])].append(row)
    return dict(sorted(days.items()))


def scores(rows: list[dict[str, Any]], end: dt.date, window: Window) -> list[float]:
    out = []
    for row in rows:
        age = (end - dt.date.fromisoformat(row["feed_date"])).days + 1.0
        value, _, _ = score_terms(
            upvotes=int(row["upvotes"] or 0),
            recent_votes=0,
            github_stars=row.get("github_stars"),
            comments=0,  # the replay is an imported feed: its comments are counted on HF
            imported_comments=int(row.get("num_comments") or 0),
            age_days=age,
            window=window,
        )
        out.append(value)
    return out


def top_k_overlap(a: list[float], b: list[float], k: int) -> float:
    order_a = sorted(range(len(a)), key=lambda i: -a[i])[:k]
    order_b = sorted(range(len(b)), key=lambda i: -b[i])[:k]
    return len(set(order_a) & set(order_b)) / max(1, min(k, len(a)))


def mean_age(rows: list[dict[str, Any]], values: list[float], end: dt.date, k: int) -> float:
    top = sorted(range(len(values)), key=lambda i: -values[i])[:k]
    return statistics.fmean((end - dt.date.fromisoformat(rows[i]["feed_date"])).days for i in top)


def replay(days: dict[dt.date, list[dict[str, Any]]]) -> dict[str, Any]:
    per_day: list[dict[str, Any]] = []
    dates = list(days)
    for index, day in enumerate(dates):
        rows = days[day]
        if len(rows) < 5:
            continue
        votes = [float(r["upvotes"] or 0) for r in rows]
        trend = scores(rows, day, "day")
        rho = spearmanr(votes, trend).statistic
        tau = kendalltau(votes, trend).statistic
        week_rows = [
            r for d in dates[max(0, index - 6) : index + 1] if (day - d).days < 7 for r in days[d]
        ]
        week_votes = [float(r["upvotes"] or 0) for r in week_rows]
        week_trend = scores(week_rows, day, "week")
        per_day.append(
            {
                "date": day.isoformat(),
                "papers": len(rows),
                "spearman_day": round(float(rho), 4),
                "kendall_day": round(float(tau), 4),
                "top1_same_day": sorted(range(len(votes)), key=lambda i: -votes[i])[0]
                == sorted(range(len(trend)), key=lambda i: -trend[i])[0],
                "top5_overlap_day": round(top_k_overlap(votes, trend, 5), 3),
                "week_papers": len(week_rows),
                "spearman_week": round(float(spearmanr(week_votes, week_trend).statistic), 4),
                "top10_overlap_week": round(top_k_overlap(week_votes, week_trend, 10), 3),
                "top10_age_votes_week": round(mean_age(week_rows, week_votes, day, 10), 3),
                "top10_age_trending_week": round(mean_age(week_rows, week_trend, day, 10), 3),
            }
        )

    def avg(key: str) -> float:
        values = [d[key] for d in per_day if d[key] == d[key]]  # NaN-safe
        return round(statistics.fmean(values), 4)

    def med(key: str) -> float:
        values = [d[key] for d in per_day if d[key] == d[key]]
        return round(statistics.median(values), 4)

    summary = {
        "days": len(per_day),
        "papers": sum(d["papers"] for d in per_day),
        "spearman_day_mean": avg("spearman_day"),
        "spearman_day_median": med("spearman_day"),
        "kendall_day_mean": avg("kendall_day"),
        "top1_same_day_share": round(sum(d["top1_same_day"] for d in per_day) / len(per_day), 4),
        "top5_overlap_day_mean": avg("top5_overlap_day"),
        "spearman_week_mean": avg("spearman_week"),
        "top10_overlap_week_mean": avg("top10_overlap_week"),
        "top10_age_days_by_votes_week": avg("top10_age_votes_week"),
        "top10_age_days_by_trending_week": avg("top10_age_trending_week"),
    }
    return {"summary": summary, "per_day": per_day}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    if not args.data.exists():
        print(f"skipped: {args.data} not found", file=sys.stderr)
        return 0
    result = replay(load(args.data))
    result["data"] = str(args.data)
    summary = result["summary"]
    print(f"{'measure':<44} {'value':>10}")
    print("-" * 55)
    for key, value in summary.items():
        print(f"{key:<44} {value:>10}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=1))
    print(f"\nwritten {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
