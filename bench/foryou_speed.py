"""How long "For you" takes over the whole listing: a real SQLite file holding real arXiv papers
(the shared corpus, cs.AI/cs.CL/cs.CV/cs.LG), 1,000 listed papers per listing day, and a library
of 50 papers announced before the window.

Measured, end to end as the page and the feed call it (`recommend`: load the library, query the
pool, build the ranker, rank), and in parts: a day's listing (1,000 papers: the daily digest) and
a week's (5 listing days, 5,000 papers: "For you", its feed, the weekly digest).

    .venv/bin/python bench/foryou_speed.py [--per-day 1000] [--library 50] [--repeat 5]

The listing days are synthetic (the corpus lists ~250 papers a day in these categories, so
consecutive papers are grouped 1,000 to a day); the papers are real. Prints a table and writes
bench/results/foryou_speed.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from foryou_eval import ARXIV, FEED, SCOPE, load_database

from papertide.digest.library import add_seeds
from papertide.ingest.pipeline import import_records
from papertide.models import PaperRecord, SeedOwner
from papertide.rank.recommend import (
    Ranker,
    RankerCache,
    load_seeds,
    recent_candidates,
    recommend,
)
from papertide.store.db import make_engine
from papertide.store.migrate import upgrade

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "foryou_speed.json"
LAST_DAY = dt.date(2026, 8, 21)  # a Friday: the week's five listing days end here


def timed(fn: Any, repeat: int) -> tuple[float, Any]:
    """Median seconds of `repeat` calls (after one warm-up call) and the last result."""
    result = fn()
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-day", type=int, default=1000)
    parser.add_argument("--days", type=int, default=5, help="listing days in the week")
    parser.add_argument("--library", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    docs, _ = load_database(ARXIV, FEED)
    listed = [d for d in docs if d.in_scope and d.day is not None]
    wanted = args.per_day * args.days + args.library
    if len(listed) < wanted:
        print(f"the corpus has {len(listed)} papers, {wanted} needed", file=sys.stderr)
        return 2
    chosen = listed[-wanted:]  # the newest papers, in first-seen order
    library, week = chosen[: args.library], chosen[args.library :]
    weekdays = [LAST_DAY - dt.timedelta(days=n) for n in range(7)]
    weekdays = sorted(d for d in weekdays if d.weekday() < 5)[-args.days :]
    records = [
        PaperRecord(
            arxiv_id=d.arxiv_id,
            title=d.title,
            abstract=d.abstract,
            authors=list(d.authors),
            categories=[SCOPE[0]],
            first_announced=weekdays[n // args.per_day] if n >= 0 else None,
        )
        for n, d in enumerate(week)
    ] + [
        PaperRecord(
            arxiv_id=d.arxiv_id,
            title=d.title,
            abstract=d.abstract,
            authors=list(d.authors),
            categories=["cs.LG"],
            first_announced=weekdays[0] - dt.timedelta(days=30),
        )
        for d in library
    ]
    with tempfile.TemporaryDirectory(prefix="foryou-speed-") as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'papertide.db'}")
        upgrade(engine)
        import_records(engine, records, source="bench")
        owner = SeedOwner.for_subscription(1)
        from sqlalchemy.orm import Session

        with Session(engine) as session:
            add_seeds(session, owner, [d.arxiv_id for d in library], "bench")
            session.commit()
        now = dt.datetime.combine(LAST_DAY, dt.time(12), dt.UTC)
        rows = []
        with Session(engine) as session:
            liked, _ = load_seeds(session, owner)
            for label, days in (("a day's listing", 0), ("a week's listing", 7)):
                pool_s, pool = timed(
                    lambda d=days: recent_candidates(session, now, days=d, categories=SCOPE),
                    args.repeat,
                )
                fit_s, ranker = timed(
                    lambda p=pool: Ranker(p, keep_similarities=False), args.repeat
                )
                rank_s, recs = timed(lambda r=ranker: Ranker.rank(r, liked, limit=20), args.repeat)
                end_to_end, recs = timed(
                    lambda d=days: recommend(
                        session, owner, now, categories=SCOPE, days=d, limit=20
                    ),
                    args.repeat,
                )
                # What a page view costs once the process holds the pool's ranker.
                cache = RankerCache()
                cached_s, _ = timed(
                    lambda d=days, c=cache: recommend(
                        session, owner, now, categories=SCOPE, days=d, cache=c, limit=20
                    ),
                    args.repeat,
                )
                rows.append(
                    {
                        "pool": label,
                        "candidates": len(pool),
                        "library": len(liked),
                        "query_pool_s": round(pool_s, 3),
                        "build_ranker_s": round(fit_s, 3),
                        "rank_s": round(rank_s, 4),
                        "recommend_end_to_end_s": round(end_to_end, 3),
                        "recommend_cached_ranker_s": round(cached_s, 3),
                        "recommended": len(recs),
                    }
                )
        engine.dispose()
    print(
        f"{'pool':<18} {'papers':>7} {'query':>7} {'build':>7} {'rank':>7} {'total':>7} "
        f"{'cached':>7}"
    )
    for row in rows:
        print(
            f"{row['pool']:<18} {row['candidates']:>7} {row['query_pool_s']:>7.3f} "
            f"{row['build_ranker_s']:>7.3f} {row['rank_s']:>7.4f} "
            f"{row['recommend_end_to_end_s']:>7.3f} {row['recommend_cached_ranker_s']:>7.3f}"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "per_day": args.per_day,
                "listing_days": args.days,
                "library": args.library,
                "repeat": args.repeat,
                "results": rows,
                # 2 cores shared with other jobs: the load says how busy they were.
                "load_average_1min": round(os.getloadavg()[0], 2),
                "machine": platform.platform(),
                "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
