"""What issue 12's positives are: the feed's snapshot is an early, partial view of each day
(the shared data's README), so a positive is a paper submitted to the daily list before the
snapshot was taken. This script describes that cut from the feed alone, and asks whether how
early a group's earlier picks were submitted tells its next paper apart (an eighth-round idea:
a group whose submitter is awake at the announcement is seen; one who submits later is not).

    .venv/bin/python bench/curate_snapshot.py

- `submission_hours`: the feed's entries from 2025-03-20 on with a submission time, by the UTC
  hour they were submitted (arXiv announces at 00:00 UTC), and by the hour of the snapshot.
- `same_day_lead`: for entries submitted on their feed date, hours from submission to snapshot.
- `repeat_snapshots`: the feed dates with several snapshots: papers in each.
- `lag_strata` (validation months only, 2025-12-01 .. 2026-02-28; no test split is read): the
  pick rate of papers whose authors have an earlier pick with a submission time, by the most
  picks any one author has and by the median submission hour of those earlier picks.

Results: bench/results/curate_snapshot.json.
"""

from __future__ import annotations

import collections
import datetime as dt
import gzip
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from curate_eval import FEED, PAPERS  # noqa: E402

from papertide.rank.curate.records import DEFAULT_CATEGORIES, author_key  # noqa: E402

SNAPSHOTS = FEED.parent / "daily_papers_snapshots.jsonl.gz"
RESULTS = Path(__file__).resolve().parent / "results" / "curate_snapshot.json"
LISTING_FROM = "2025-03-20"
VAL_FROM, VAL_UNTIL = "2025-12-01", "2026-02-28"
PICK_STRATA = (("1", 1, 1), ("2-3", 2, 3), ("4-8", 4, 8), ("9+", 9, 10**6))
HOUR_STRATA = (("< 1 h", 0.0, 1.0), ("1-3 h", 1.0, 3.0), (">= 3 h", 3.0, 1e9))


def utc(stamp: str) -> dt.datetime:
    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """One record at a time (the paper snapshot is about 1 GB as Python objects)."""
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            yield json.loads(line)


def hours_after_midnight(stamp: str, day: str) -> float:
    """Hours from 00:00 UTC of `day` (arXiv's announcement) to `stamp`."""
    midnight = dt.datetime.fromisoformat(day + "T00:00:00+00:00")
    return (utc(stamp) - midnight).total_seconds() / 3600


def submission_hours(feed: list[dict[str, Any]]) -> dict[str, Any]:
    timed = [r for r in feed if r["feed_date"] >= LISTING_FROM and r.get("submitted_on_daily_at")]
    submitted = collections.Counter(utc(r["submitted_on_daily_at"]).hour for r in timed)
    snapshot = collections.Counter(utc(r["snapshot_time"]).hour for r in timed)
    same_day = [r for r in timed if r["submitted_on_daily_at"][:10] == r["feed_date"]]
    lead = collections.Counter(
        int((utc(r["snapshot_time"]) - utc(r["submitted_on_daily_at"])).total_seconds() // 3600)
        for r in same_day
    )
    first_hour = submitted.get(0, 0)
    return {
        "entries": len(timed),
        "submitted_same_day": len(same_day),
        "submission_hour_utc": dict(sorted(submitted.items())),
        "snapshot_hour_utc": dict(sorted(snapshot.items())),
        "share_submitted_in_first_hour": round(first_hour / len(timed), 4),
        "same_day_lead_hours": dict(sorted(lead.items())),
    }


def repeat_snapshots() -> dict[str, list[tuple[str, int]]]:
    seen: dict[str, dict[str, set[str]]] = collections.defaultdict(
        lambda: collections.defaultdict(set)
    )
    for row in read_jsonl(SNAPSHOTS):
        entry = row["entry"]
        if isinstance(entry, dict):
            seen[row["feed_date"]][row["snapshot_time"]].add(str(entry.get("paper", {}).get("id")))
    return {
        day: [(stamp[:16], len(ids)) for stamp, ids in sorted(times.items())]
        for day, times in sorted(seen.items())
        if len(times) > 1
    }


def lag_strata(feed: list[dict[str, Any]]) -> dict[str, Any]:
    """Replays the feed day by day (a pick is known the day after its feed date) over the
    listed papers, and for the validation days' papers with a followed author reports the pick
    rate by (most picks of one author, median submission hour of the authors' picks)."""
    picked = {r["arxiv_id"] for r in feed}
    events = sorted(
        (
            (dt.date.fromisoformat(r["feed_date"]) + dt.timedelta(days=1)).isoformat(),
            hours_after_midnight(r["submitted_on_daily_at"], r["feed_date"]),
            [author_key(a) for a in r["authors"]],
        )
        for r in feed
        if r.get("submitted_on_daily_at")
    )
    papers = sorted(
        (r["first_seen"], r["id"], r["authors"])
        for r in read_jsonl(PAPERS)
        if r["first_seen"] >= LISTING_FROM and set(r["categories"] or []) & set(DEFAULT_CATEGORIES)
    )
    lags: dict[str, list[float]] = collections.defaultdict(list)
    rows: list[tuple[int, float, bool]] = []
    next_event = 0
    for day, arxiv_id, authors in papers:
        while next_event < len(events) and events[next_event][0] <= day:
            _, hour, keys = events[next_event]
            for key in keys:
                lags[key].append(hour)
            next_event += 1
        if not VAL_FROM <= day <= VAL_UNTIL:
            continue
        keys = [author_key(a) for a in authors]
        known = [hour for key in keys for hour in lags.get(key, [])]
        if known:
            most = max(len(lags.get(key, [])) for key in keys)
            rows.append((most, float(np.median(known)), arxiv_id in picked))
    table = np.asarray(rows, dtype=np.float64)
    strata: dict[str, dict[str, dict[str, float]]] = {}
    for name, low, high in PICK_STRATA:
        by_picks = (table[:, 0] >= low) & (table[:, 0] <= high)
        strata[name] = {}
        for label, start, end in HOUR_STRATA:
            cell = by_picks & (table[:, 1] >= start) & (table[:, 1] < end)
            strata[name][label] = {
                "papers": int(cell.sum()),
                "pick_rate": round(float(table[cell, 2].mean()), 4) if cell.any() else 0.0,
            }
    return {
        "papers_with_a_followed_author": len(rows),
        "pick_rate": round(float(table[:, 2].mean()), 4),
        "by_most_picks_of_one_author_then_median_submission_hour": strata,
    }


def main() -> int:
    if not FEED.exists():
        print(f"curate_snapshot: {FEED} is missing (../shared beside it)", file=sys.stderr)
        return 1
    feed = list(read_jsonl(FEED))
    result = {
        "submission_hours": submission_hours(feed),
        "repeat_snapshots": repeat_snapshots(),
        "lag_strata": lag_strata(feed),
    }
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
